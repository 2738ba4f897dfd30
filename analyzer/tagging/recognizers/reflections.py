"""Reflections (MITI simple / complex), from the AnnoMI-trained heads. The turn head reads the
patient turns around the clinician's (embeddings, word overlap, similarity): a reflection only
exists relative to what the patient said."""
from __future__ import annotations

from ..base import Context, register
from ._model import ModelRecognizer


@register
class Reflections(ModelRecognizer):
    name = "reflections"
    labels = ("reflection.simple", "reflection.complex")
    order = 10
    turn_task, sent_task, what = "r", "sr", "reflection"

    def label_for(self, ctx: Context, turn: int, sentence: int, several: bool) -> tuple[str, float, str]:
        p_simple = float(ctx.cache["turn_p"]["rt"][ctx.cache["turn_row"][turn], 0])
        if p_simple >= 0.5:
            return "reflection.simple", p_simple, f"simple p={p_simple:.2f}"
        return "reflection.complex", 1 - p_simple, f"complex p={1 - p_simple:.2f}"
