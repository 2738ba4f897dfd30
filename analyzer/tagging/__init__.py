"""Behaviour tagging: what the clinician does in each utterance (questions, reflections,
empathy, affirmation, partnership, agenda, information, advice, dismissal) and where the
patient offers an emotional cue.

Registers the pipeline stage ``tags``: every utterance gets ``tags`` (a list of
``{"label", "score", "why", "span"}``; ``span`` is the [start, end) character range of the
sentence it came from, and the utterance carries the union of its sentences' tags) and every
clinician utterance gets ``main`` (question | reflection | input | other, as AnnoMI codes the
dominant behaviour) with ``main_score``.

Layout: ``tagger.py`` runs it; ``recognizers/`` holds one file per behaviour (adding a
behaviour is adding a file); ``features.py``/``text.py``/``encoder.py`` build what the heads
read; ``heads.py`` holds the trained heads (``analyzer/assets/tagging``), ``train.py`` trains them.
"""
from __future__ import annotations

from ..runner import register_stage


@register_stage("tags", label="Tagging questions, reflections, empathy",
                assigns=("utterances.tags", "utterances.main", "utterances.main_score"), requires=("roles",),
                weight=0.08)
def tags_stage(ctx, update) -> None:
    from .tagger import get_tagger

    get_tagger().tag_transcript(ctx.transcript)
    update(1.0)
