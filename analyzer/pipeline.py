"""A transcript file becomes a ``Transcript`` (stage ``read transcript``; a recording goes through
``analyzer.speech.stages`` instead); ``roles`` then says who is the clinician and who the patient,
wherever the transcript came from, and applies the user's overrides after, in this one place.

``analyze``, ``load_input`` and ``transcribe_audio`` are the entry points for code and tests; the
runner (``analyzer.runner``) orders every stage.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from .errors import InputError
from .model import Transcript
from .progress import Progress
from .runner import Options, StageContext, VisitInput, analyze, register_stage

__all__ = ["Options", "analyze", "load_input", "transcribe_audio"]

Update = Callable[[float], None]


def load_input(path: "str | Path | list | VisitInput", opts: Options | None = None,
               progress: Progress | None = None) -> Transcript:
    """Audio or transcript in, speaker-attributed transcript with roles out (no analysis stages)."""
    return analyze(path, opts, progress, until="roles")


def transcribe_audio(path: "str | Path | VisitInput", opts: Options | None = None,
                     progress: Progress | None = None) -> Transcript:
    """A recording in, the speaker-attributed transcript out (before roles)."""
    return analyze(path, opts, progress, until="speakers")


@register_stage("read transcript", label="Reading the transcript", assigns=("utterances", "speakers", "source"),
                requires=("transcript file",), weight=0.05, kind="input")
def read_stage(ctx: StageContext, update: Update) -> None:
    from .importers import load_transcript
    from .textlang import english_warning

    paths = ctx.input.paths
    try:
        t = load_transcript(paths if len(paths) > 1 else paths[0])
    except InputError as e:
        raise InputError(ctx.input.name, e.reason) from None
    t.source.file = ctx.input.name
    warning = english_warning(" ".join(u.text for u in t.utterances))
    if warning:
        t.warnings.append(warning)
    ctx.transcript = t
    update(1.0)


@register_stage("roles", label="Who is the clinician, who the patient", assigns=("roles",),
                requires=("utterances",), weight=0.01)
def roles_stage(ctx: StageContext, update: Update) -> None:
    """Roles wherever the transcript came from; the user's overrides after, in this one place."""
    from .roles import apply_role_overrides, assign_roles

    t = ctx.transcript
    assign_roles(t)
    if ctx.options.roles:
        try:
            apply_role_overrides(t, ctx.options.roles)
        except ValueError as e:
            raise InputError(None, f"role overrides: {e}") from None
    update(1.0)
