"""Information and advice (MITI giving information / persuade; RIAS giving information /
counselling). The AnnoMI input heads (therapist_input and its information/advice subtypes)
decide, with recommendation cues ("I'd recommend", "you should", "we'll start you on") as a
second source for the advice of medical visits."""
from __future__ import annotations

import re

import numpy as np

from ..base import Context, Tag, register
from ..rules import normalise
from .. import text as T
from ..text import BACKCHANNEL

GREETING = T.PHRASES["greeting"] + ("see you", "you're welcome", "good to see", "nice to see", "bye")
from ._model import ModelRecognizer

ADVICE = re.compile(
    r"\b(i'd|i would|i|we'd|we would) (recommend|suggest|advise|want you to|like you to|prescribe)\b|"
    r"\byou (should|need to|must|have to|might want to|may want to|could try|ought to|can take|could take)\b|"
    r"\b(i'm|i am|we're|we are|i'll|i will|we'll|we will|let's|let me|we can|we could|i can|i could|we should|"
    r"(i'm|i am|i'd be|i'll be) (quite |very |more than )?happy to) (going to |gonna |also )?"
    r"(start|put|prescribe|refer|order|send|get|give|increase|decrease|reduce|switch|change|book|arrange|schedule|"
    r"check|do|run|have you|continue|stop|try|see how|organi[sz]e|add|bump|up)\b|"
    r"\b(it's|it is|it'd be|it would be|would be) (probably |definitely |maybe |also |really )?(worth|best|a good idea|important|sensible)\b|"
    r"\b(make sure|try to|try and|keep taking|keep (yourself|an eye)|avoid|stay away|drink plenty|plenty of fluids|"
    r"get (some|plenty of) (rest|sleep|bed rest)|come back|call (us|me|the office|911|999|111)|"
    r"go to (the )?(a&e|er|emergency|hospital)|follow up (with|in|after|next)|see (a|the) (specialist|physio)|"
    r"think about (doing|taking|starting|getting))\b")
# Not advice (the labelling guide): transitions ("let's start with your diabetes", "we'll do a quick
# physical exam") and "I can see how ..." (empathy, which the "i can ... see how" cue reads as a plan).
NOT_ADVICE = re.compile(
    r"\b(let's|let us|we'll|we will|i'll|i will|i'm going to|i am going to|we're going to|why don't we)( just)?"
    r"( go ahead and( we'll| i'll)?)? (start|begin|move on|move|turn|go|talk) (with|to|on|onto|over|through|about)\b|"
    r"\b(do|have|take|doing) (a|the|your) (quick |brief )?(physical |neurological |chest )?(exam|examination)\b|"
    r"\bi (can|could) see how\b")


def advice_cue(text: str) -> re.Match | None:
    """The first recommendation cue in ``text`` that is not part of a transition or of "I can see
    how" (in an unpunctuated turn, "let's talk about your exam ... let's continue the diet" keeps
    the second)."""
    skip = [m.span() for m in NOT_ADVICE.finditer(text)]
    return next((m for m in ADVICE.finditer(text) if not any(a <= m.start() < b for a, b in skip)), None)


EXAM = re.compile(r"\b(take a (deep )?breath|breathe|look (up|down|left|right|at)|bend|lift|push|pull|squeeze|relax|"
                  r"lie (down|back)|sit (up|down)|stand up|open your mouth|say ah|follow my finger)\b")


@register
class Information(ModelRecognizer):
    name = "information"
    labels = ("information", "advice")
    order = 20
    turn_task, sent_task, what = "inp", "sia", "input"

    def sentences(self, ctx: Context, turn: int) -> list[int]:
        """Statements of the turn: sentences that are not questions, back-channels or fragments."""
        F = ctx.features
        sq, srows = ctx.cache["sent_p"]["sq"], ctx.cache["sent_row"]
        sents = [int(i) for i in np.nonzero(F.sent_turn == turn)[0]]
        refl = {t.span for t in ctx.tags if t.turn == turn and t.label.startswith("reflection.")}
        return [i for i in sents if sq[srows[i], 1] < 0.5 and not F.flat[i].text.rstrip().endswith("?")
                and sum(w.isalpha() for w in F.flat[i].words) >= 3
                and not all(w in BACKCHANNEL for w in F.flat[i].words)
                and (F.flat[i].start, F.flat[i].end) not in refl
                and not T.has(" " + F.flat[i].text.lower() + " ", GREETING)]

    def label_for(self, ctx: Context, turn: int, sentence: int, several: bool) -> tuple[str, float, str]:
        p_info = self.sent_p(ctx, "sia", sentence)
        if advice_cue(normalise(ctx.features.flat[sentence].text)):
            p_info = min(p_info, 0.3)
        return self.subtype(p_info)

    def analyze(self, ctx: Context) -> list[Tag]:
        tags = super().analyze(ctx)
        have = {(t.turn, t.span) for t in tags}
        F = ctx.features
        # Recommendation cues the counselling-trained heads missed (medical advice looks different)
        for i, s in enumerate(F.flat):
            j = int(F.sent_turn[i])
            if F.roles[j] != "clinician" or (j, (s.start, s.end)) in have:
                continue
            t = normalise(s.text)
            m = advice_cue(t)
            if m and not EXAM.search(t) and "?" not in s.text:
                tags.append(Tag("advice", 0.6, j, (s.start, s.end), f"recommendation cue: '{m.group(0).strip()}'"))
        return tags
