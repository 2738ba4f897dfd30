"""Reflections (MITI simple / complex), from the AnnoMI-trained heads. The turn head reads the
patient turns around the clinician's (embeddings, word overlap, similarity): a reflection only
exists relative to what the patient said."""
from __future__ import annotations

from .. import text as T
from ..base import Context, Recognizer, Tag, register
from ._model import ModelRecognizer


@register
class Reflections(ModelRecognizer):
    name = "reflections"
    labels = ("reflection.simple", "reflection.complex")
    order = 10
    turn_task, sent_task, what = "r", "sr", "reflection"

    def label_for(self, ctx: Context, turn: int, sentence: int, several: bool) -> tuple[str, float, str]:
        return self.subtype(self.turn_p(ctx, "rt", turn))


# Openings that refer back to what the patient said (a reflection even when the patient said it
# a few turns ago), and openings of a summary that need some overlap with the patient's words.
REFER_BACK = ("you mentioned", "you said", "you told me", "you also mentioned", "you've mentioned", "you were saying",
              "you're saying", "when you say", "you described", "as you said", "like you said")
SUMMARY_START = ("so you", "you've got", "you have got", "so it's", "so that's", "so your", "so the", "so basically",
                 "just to recap", "to recap", "to summarise", "to summarize", "so just to", "just to summarise",
                 "just to summarize", "really just to")
ACK = {"ok", "okay", "great", "fine", "right", "alright", "yeah", "yes", "good", "perfect", "excellent", "lovely", "sure",
       "cool", "wow", "oh", "ohh", "unintelligible", "inaudible", "um", "uh", "mm", "hmm", "just", "mainly", "really"}
FIRST_PERSON = {"i", "i'm", "i've", "i'll", "i'd", "we", "we'll", "we're", "let's", "me", "my"}


GREETING = T.PHRASES["greeting"] + ("good to see", "nice to see", "great to see", "see you")


def _nominal(s: T.Sentence) -> set[str]:
    """Nouns, adjectives and numbers of a sentence (normalised): what an echo repeats."""
    return {T._stem(w) for w, tag in zip(s.words, s.pos) if tag.startswith(("NN", "JJ", "CD")) and w.isalnum()}


@register
class Echoes(Recognizer):
    """Medical reflections are mostly echoes: the clinician repeats or sums up what the patient
    just said, as acknowledgement ("You've got two cats. OK." after "I've got two cats"; "So you
    mentioned you're short of breath ..."). MITI codes them simple reflections. A statement
    sentence (not a question) whose content words mostly come from the patient's last turn, or
    that opens like a summary of it, is tagged where the counselling-trained heads did not."""

    name = "echoes"
    labels = ("reflection.simple",)
    order = 15  # after the model recognizers (skips sentences they tagged)

    def analyze(self, ctx: Context) -> list[Tag]:
        F = ctx.features
        sp, srows = ctx.cache.get("sent_p"), ctx.cache.get("sent_row")
        if not sp:
            return []
        done = {(t.turn, t.span) for t in ctx.tags if t.label.startswith("reflection.")}
        tags = []
        for i, s in enumerate(F.flat):
            j = int(F.sent_turn[i])
            p = int(F.prev_p[j])
            if F.roles[j] != "clinician" or p < 0 or (j, (s.start, s.end)) in done or j - p > 2:
                continue
            txt = s.text.strip()
            if txt.endswith("?") or sp["sq"][srows[i], 1] >= 0.5 and not T.statement_form(s):
                continue
            words = [w for w in s.words if w.isalpha()]
            low = " " + " ".join(w for w in s.words if w.isalpha() or "'" in w) + " "
            lem = _nominal(s) - ACK
            shared = lem & {x for ps in F.sents[p] for x in _nominal(ps)}
            why = None
            ref = next((r for r in REFER_BACK if f" {r} " in low), None)
            start = next((r for r in SUMMARY_START if f" {r} " in low[:40]), None)
            if (any(w in FIRST_PERSON for w in s.words) or T.has(low, GREETING)) and not ref:
                continue
            if ref:
                why = f"refers back to the patient: '{ref}'"
            elif len(words) <= 15 and shared and len(shared) / max(1, len(lem)) >= 0.5:
                why = f"echoes the patient: {', '.join(repr(x) for x in sorted(shared)[:3])}"
            elif start and shared:
                why = f"sums up the patient: '{start}'"
            if why:
                tags.append(Tag("reflection.simple", 0.6, j, (s.start, s.end), why))
        return tags
