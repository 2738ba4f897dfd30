"""Questions (MITI open / closed), from the AnnoMI-trained heads: the turn head decides whether
the turn asks a question, the sentence heads which sentence(s), the subtype heads open/closed."""
from __future__ import annotations

from ..base import Context, register
from ._model import ModelRecognizer


@register
class Questions(ModelRecognizer):
    name = "questions"
    labels = ("question.open", "question.closed")
    order = 10
    turn_task, sent_task, what = "q", "sq", "question"

    def label_for(self, ctx: Context, turn: int, sentence: int, several: bool) -> tuple[str, float, str]:
        # one question in the turn: the turn-level subtype head (it saw the whole turn);
        # several: each sentence's own subtype head
        return self.subtype(self.sent_p(ctx, "sqt", sentence) if several else self.turn_p(ctx, "qt", turn))
