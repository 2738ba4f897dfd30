"""The one stage runner every door uses: the CLI, the store's worker (app and ``batch``), the
role-change recompute and the sample cache.

A stage is a named step with a typed context (``StageContext``): the transcript being built, the
decoded audio when there is a recording, the options and the progress callback. Stages declare
what they ``assigns`` (so a re-run clears exactly that first) and what they ``requires`` (a
stage whose requirement is missing is not run, and the reason is kept in ``source.stages``
instead of the stage quietly doing something else). The app draws its progress from the stage
list the runner plans, so a new stage shows up there without touching the UI.

Where a recording's bytes live (``VisitInput.paths``: a temporary upload, a store blob) and
what the user calls it (``VisitInput.name``: written to ``source.file``) are kept apart: a
stage never re-finds a file by its display name, and no server path reaches an export.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .model import Transcript
from .records import UNSET
from .progress import Progress

if TYPE_CHECKING:  # the speech stack is heavy; only the stages that need it import it
    from .speech.audio import Audio
    from .speech.channels import ChannelPlan

DEFAULT_MAX_HOURS = 3.0


@dataclass
class Options:
    model: str | None = None  # "base" (default), "tiny.en", or a local CTranslate2 folder
    speakers: int | None = None  # known number of speakers; None = automatic (1-4)
    roles: dict[str, str] | None = None  # user overrides, speaker id or label -> role
    max_hours: float = DEFAULT_MAX_HOURS
    language: str | None = None  # force a language code; None = detect

    STORED = ("model", "speakers", "language", "max_hours")  # what a stored job keeps

    @classmethod
    def from_stored(cls, stored: dict[str, Any] | None, roles: dict[str, str] | None = None) -> "Options":
        return cls(roles=dict(roles) if roles else None,
                   **{k: v for k, v in (stored or {}).items() if k in cls.STORED})


@dataclass
class VisitInput:
    """What a door hands the runner: where the bytes are, and the user's name for them."""

    paths: list[Path]
    name: str | None = None  # shown to the user and written to source.file; default: the path as given

    def __post_init__(self) -> None:
        self.paths = [Path(p) for p in self.paths]
        if self.name is None:
            self.name = " + ".join(str(p) for p in self.paths)

    @classmethod
    def of(cls, path: "str | Path | list | VisitInput", name: str | None = None) -> "VisitInput":
        if isinstance(path, VisitInput):
            return path
        return cls(list(path) if isinstance(path, (list, tuple)) else [Path(path)], name)

    @property
    def is_transcript(self) -> bool:
        from .importers import is_transcript_path

        return len(self.paths) > 1 or is_transcript_path(self.paths[0])


@dataclass
class StageContext:
    """Everything a stage may read; stages write their results into ``transcript``."""

    options: Options = field(default_factory=Options)
    progress: Progress = field(default_factory=Progress)
    input: VisitInput | None = None
    transcript: Transcript | None = None
    audio: "Audio | None" = None  # decoded once per analysis (16 kHz float32, [channels, n])
    plan: "ChannelPlan | None" = None  # one speaker per channel, or a mix to diarize
    audio_status: str = "no audio"  # why ``audio`` is None, in words the report can show
    asr: Any = None  # the speech stage's words, for the speakers stage
    timings: dict[str, float] = field(default_factory=dict)

    def has(self, requirement: str) -> bool:
        t = self.transcript
        return {
            "recording": self.input is not None and not self.input.is_transcript,
            "transcript file": self.input is not None and self.input.is_transcript,
            "audio": self.audio is not None,
            "words": self.asr is not None,
            "utterances": t is not None and bool(t.utterances),
            "roles": t is not None and bool(t.speakers) and all(s.role for s in t.speakers.values()),
        }[requirement]


StageFn = Callable[[StageContext, Callable[[float], None]], None]


@dataclass(frozen=True)
class Stage:
    name: str
    label: str  # what the app shows while it runs
    fn: StageFn
    assigns: tuple[str, ...]  # "speakers", "utterances.tags", "events", ... (cleared before a re-run)
    requires: tuple[str, ...] = ()
    weight: float = 0.05  # share of a typical visit's wall time, for the app's overall bar
    kind: str = "analysis"  # "input": makes the transcript; "analysis": reads and extends it


STAGES: dict[str, Stage] = {}


def register_stage(name: str, *, label: str, assigns: Iterable[str], requires: Iterable[str] = (),
                   weight: float = 0.05, kind: str = "analysis") -> Callable[[StageFn], StageFn]:
    """Stages register here, in pipeline order (spaCy-style named components)."""

    def deco(fn: StageFn) -> StageFn:
        STAGES[name] = Stage(name, label, fn, tuple(assigns), tuple(requires), weight, kind)
        return fn

    return deco


# Modules that register stages, in pipeline order: speech or transcript reading, roles, then
# tags feed turn-taking. A module is imported the first time a plan is made.
STAGE_MODULES = ("analyzer.speech.stages", "analyzer.pipeline", "analyzer.tagging", "analyzer.turntaking")


def load_stages() -> dict[str, Stage]:
    """Every registered stage, in pipeline order: by module (STAGE_MODULES), then as registered."""
    import importlib

    for mod in STAGE_MODULES:
        importlib.import_module(mod)

    def module_rank(stage: Stage) -> int:
        m = stage.fn.__module__
        return next((i for i, p in enumerate(STAGE_MODULES) if m == p or m.startswith(p + ".")), len(STAGE_MODULES))

    names = list(STAGES)
    return {s.name: s for s in sorted(STAGES.values(), key=lambda s: (module_rank(s), names.index(s.name)))}


def plan(ctx: StageContext) -> list[Stage]:
    """The stages this context will run, in order (what the app's progress lists)."""
    stages = load_stages()
    start = [s for s in stages.values() if s.kind == "input"]
    rest = [s for s in stages.values() if s.kind != "input"]
    if ctx.transcript is not None:  # a stored transcript: only the recording's decode is useful
        start = [s for s in start if s.name == "decode" and ctx.input is not None and not ctx.input.is_transcript]
    elif ctx.input is not None and ctx.input.is_transcript:
        start = [s for s in start if "transcript file" in s.requires]
    else:
        start = [s for s in start if "transcript file" not in s.requires]
    return start + rest


def stages_for(kind: str) -> list[Stage]:
    """The stages a visit goes through: "audio" (a new recording), "transcript file", "stored
    audio" (a stored transcript whose recording is kept: decoded again for turn-taking) or
    "transcript" (a stored transcript: the analysis stages only)."""
    rec, txt = VisitInput([Path("recording.wav")]), VisitInput([Path("transcript.txt")])
    ctx = {"audio": StageContext(input=rec), "transcript file": StageContext(input=txt),
           "stored audio": StageContext(input=rec, transcript=Transcript())}.get(kind)
    return plan(ctx or StageContext(transcript=Transcript()))


def clear(t: Transcript, assigns: Iterable[str]) -> None:
    """Remove what a stage assigns, so nothing stale from an earlier run survives a re-run."""
    for key in assigns:
        if key.startswith("utterances."):
            k = key.split(".", 1)[1]
            for u in t.utterances:
                setattr(u, k, None) if k in ("tags", "main", "main_score") else u.extra.pop(k, None)
        elif key in ("events", "metrics"):
            setattr(t, key, None)
        elif key in t.extra:
            t.extra.pop(key)


def run(ctx: StageContext, stages: list[Stage] | None = None) -> Transcript:
    """Run ``stages`` (default: ``plan(ctx)``) on ``ctx``; returns the finished transcript."""
    notes: dict[str, str] = {}
    for stage in stages if stages is not None else plan(ctx):
        missing = [r for r in stage.requires if not ctx.has(r)]
        if missing:
            notes[stage.name] = f"not run: needs {', '.join(missing)}"
            continue
        if ctx.transcript is not None and stage.kind == "analysis":
            clear(ctx.transcript, stage.assigns)
        with ctx.progress.stage(stage.name) as update:
            stage.fn(ctx, update)
    if ctx.transcript is None:
        raise RuntimeError("no stage made a transcript")  # a bug: plan() always has an input stage
    ctx.transcript.source.stages = notes or UNSET
    return ctx.transcript


def analyze(path: "str | Path | list | VisitInput", opts: Options | None = None, progress: Progress | None = None,
            *, until: str | None = None) -> Transcript:
    """Audio or transcript in, the whole analysis out (``until``: stop after that stage)."""
    ctx = StageContext(options=opts or Options(), progress=progress or Progress(), input=VisitInput.of(path))
    stages = plan(ctx)
    if until is not None:
        names = [s.name for s in stages]
        stages = stages[: names.index(until) + 1] if until in names else stages
    return run(ctx, stages)


def reanalyse(analysis: "dict[str, Any] | Transcript", recording: "str | Path | None" = None,
              opts: Options | None = None, progress: Progress | None = None,
              recording_status: str = "no audio") -> Transcript:
    """The analysis stages again on a stored transcript (a role change, a resumed job): the words
    and times stay; the recording, when it is still stored, is decoded for the stages that use it.
    ``recording_status`` says why there is none (e.g. retention deleted it)."""
    import copy

    t = analysis if isinstance(analysis, Transcript) else Transcript.from_dict(copy.deepcopy(analysis))
    ctx = StageContext(options=opts or Options(), progress=progress or Progress(), transcript=t,
                       input=VisitInput([Path(recording)], t.source.file or None) if recording else None,
                       audio_status=recording_status if recording is None else "no audio")
    return run(ctx)
