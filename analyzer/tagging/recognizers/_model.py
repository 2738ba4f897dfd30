"""Shared logic of the model recognizers: a turn-level head decides whether the turn has the
behaviour; sentence heads say which sentence(s) carry it (at least the most likely one)."""
from __future__ import annotations

import numpy as np

from ..base import Context, Recognizer, Tag

# Turn-level decision thresholds. The heads are trained with balanced class weights, which
# over-calls the rarer reflection; 0.6 was chosen on AnnoMI out-of-fold predictions (grouped CV:
# best is-reflection F1 and reflection counts that match the experts', R:Q pooled -1 %).
THRESHOLDS = {"q": 0.5, "r": 0.6, "inp": 0.5, "sq": 0.5, "sr": 0.5}


class ModelRecognizer(Recognizer):
    turn_task: str = ""  # turn-level head: is the behaviour in the turn?
    sent_task: str = ""  # sentence-level head: is it in this sentence?
    what: str = ""  # for "why"

    def label_for(self, ctx: Context, turn: int, sentence: int, several: bool) -> tuple[str, float, str]:
        """Label, its probability given the behaviour, and a note for "why"."""
        raise NotImplementedError

    @staticmethod
    def turn_p(ctx: Context, task: str, turn: int) -> float:
        """P(first class) of a turn head for a clinician turn."""
        return float(ctx.cache["turn_p"][task][ctx.cache["turn_row"][turn], 0])

    @staticmethod
    def sent_p(ctx: Context, task: str, sentence: int) -> float:
        """P(first class) of a sentence head for a clinician sentence."""
        return float(ctx.cache["sent_p"][task][ctx.cache["sent_row"][sentence], 0])

    def subtype(self, p_first: float) -> tuple[str, float, str]:
        """The first of ``labels`` when p_first >= 0.5, else the second, with its probability."""
        label, p = (self.labels[0], p_first) if p_first >= 0.5 else (self.labels[1], 1 - p_first)
        return label, p, f"{label.rsplit('.', 1)[-1]} p={p:.2f}"

    def sentences(self, ctx: Context, turn: int) -> list[int]:
        """The sentences of a turn that carry the behaviour: those the sentence head accepts, or
        at least the most likely one."""
        sents = np.nonzero(ctx.features.sent_turn == turn)[0]
        sp, srows = ctx.cache["sent_p"][self.sent_task], ctx.cache["sent_row"]
        ps = np.array([sp[srows[int(i)], 1] for i in sents])
        return [int(i) for i, p in zip(sents, ps) if p >= THRESHOLDS[self.sent_task]] or [int(sents[ps.argmax()])]

    def analyze(self, ctx: Context) -> list[Tag]:
        F = ctx.features
        tp, sp = ctx.cache.get("turn_p"), ctx.cache.get("sent_p")
        if not tp:
            return []
        rows, srows = ctx.cache["turn_row"], ctx.cache["sent_row"]
        tags = []
        for j, k in rows.items():
            p_turn = float(tp[self.turn_task][k, 1])
            if p_turn < THRESHOLDS[self.turn_task]:
                continue
            chosen = self.sentences(ctx, j)  # may be empty: nothing in this turn carries it
            for i in chosen:
                label, p_label, note = self.label_for(ctx, j, i, len(chosen) > 1)
                cues = ctx.cache["sent_cues"][srows[i]]
                why = f"{self.what} model p={p_turn:.2f}{', ' + note if note else ''}"
                if cues:
                    why += "; cues: " + ", ".join(cues[:4])
                s = F.flat[i]
                tags.append(Tag(label, p_turn * p_label, j, (s.start, s.end), why))
        return tags
