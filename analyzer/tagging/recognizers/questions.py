"""Questions (MITI open / closed), from the AnnoMI-trained heads: the turn head decides whether
the turn asks a question, the sentence heads which sentence(s), the subtype heads open/closed."""
from __future__ import annotations

import re

import numpy as np

from ..base import Context, Tag, register
from ..text import closed_form, social_formula, statement_form
from ._model import ModelRecognizer


CLOSED_BY_FORM_P = 0.8  # AnnoMI's coders call 73 % of yes/no-form questions closed; MITI all
UNPUNCTUATED_P = 0.55  # a yes/no form in text without punctuation, where the heads lack their best cue
_PUNCT = re.compile(r"[.?!]")
OPENING_TURNS = 8  # "How are you?" within the visit's first utterances is a greeting


@register
class Questions(ModelRecognizer):
    name = "questions"
    labels = ("question.open", "question.closed")
    order = 10
    turn_task, sent_task, what = "q", "sq", "question"

    def sentences(self, ctx: Context, turn: int) -> list[int]:
        # a sentence in statement form is not asked, whatever the sentence head says; a social
        # formula ("Hi, how are you?", "Sorry?") is asked but is no question in MITI's sense
        kept = []
        for i in super().sentences(ctx, turn):
            s = ctx.features.flat[i]
            social = social_formula(s.words, turn < OPENING_TURNS, ctx.features.texts[turn][:s.start])
            if social:
                ctx.cache.setdefault("social", {})[turn] = social
            elif not statement_form(s):
                kept.append(i)
        return kept

    def label_for(self, ctx: Context, turn: int, sentence: int, several: bool) -> tuple[str, float, str]:
        # one question in the turn: the turn-level subtype head (it saw the whole turn);
        # several: each sentence's own subtype head
        label, p, note = self.subtype(self.sent_p(ctx, "sqt", sentence) if several else self.turn_p(ctx, "qt", turn))
        why_closed = closed_form(ctx.features.flat[sentence].words)
        if why_closed and label == "question.open":
            # MITI: the form decides (the model learnt "open" from counselling questions)
            return "question.closed", CLOSED_BY_FORM_P, f"closed: {why_closed}; model said {note}"
        return label, p, note

    def analyze(self, ctx: Context) -> list[Tag]:
        tags = super().analyze(ctx)
        # Transcripts without punctuation (some ASR tools, ACI-Bench's "aci" dialogues) hide the
        # '?' the heads lean on: a clinician turn the turn head let pass but whose clause has a
        # yes/no or one-fact form ("okay any history of endometriosis") is a closed question.
        tp, rows = ctx.cache.get("turn_p"), ctx.cache.get("turn_row", {})
        if not tp:
            return tags
        # The same for a sentence the recogniser cut off before its mark ("Don't worry about
        # that. Any allergies,"): Whisper ends a segment at the pause with a comma.
        F = ctx.features
        asked = {(t.turn, t.span[0]) for t in tags}
        asked_turns = {t.turn for t in tags}
        for j, k in rows.items():
            unpunctuated = not _PUNCT.search(F.texts[j])
            if unpunctuated and j in asked_turns:
                continue
            for i in np.nonzero(F.sent_turn == j)[0]:
                s = F.flat[int(i)]
                if (j, s.start) in asked or (not unpunctuated and _PUNCT.search(s.text.rstrip()[-1:])):
                    continue
                why = closed_form(s.words)
                if why:
                    where = "in text without punctuation" if unpunctuated else "in a sentence cut off before its mark"
                    tags.append(Tag("question.closed", UNPUNCTUATED_P, j, (s.start, s.end),
                                    f"closed: {why} {where}; question model p={float(tp['q'][k, 1]):.2f}"))
                    if unpunctuated:
                        break
        return tags
