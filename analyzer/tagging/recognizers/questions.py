"""Questions (MITI open / closed), from the AnnoMI-trained heads: the turn head decides whether
the turn asks a question, the sentence heads which sentence(s), the subtype heads open/closed."""
from __future__ import annotations

from ..base import Context, register
from ..text import closed_form, statement_form
from ._model import ModelRecognizer


CLOSED_BY_FORM_P = 0.8  # AnnoMI's coders call 73 % of yes/no-form questions closed; MITI all


@register
class Questions(ModelRecognizer):
    name = "questions"
    labels = ("question.open", "question.closed")
    order = 10
    turn_task, sent_task, what = "q", "sq", "question"

    def sentences(self, ctx: Context, turn: int) -> list[int]:
        # a sentence in statement form is not asked, whatever the sentence head says
        return [i for i in super().sentences(ctx, turn) if not statement_form(ctx.features.flat[i])]

    def label_for(self, ctx: Context, turn: int, sentence: int, several: bool) -> tuple[str, float, str]:
        # one question in the turn: the turn-level subtype head (it saw the whole turn);
        # several: each sentence's own subtype head
        label, p, note = self.subtype(self.sent_p(ctx, "sqt", sentence) if several else self.turn_p(ctx, "qt", turn))
        why_closed = closed_form(ctx.features.flat[sentence].words)
        if why_closed and label == "question.open":
            # MITI: the form decides (the model learnt "open" from counselling questions)
            return "question.closed", CLOSED_BY_FORM_P, f"closed: {why_closed}; model said {note}"
        return label, p, note
