"""Typed records the stages put on the transcript: where it came from (``Source``), behaviour
tags (``Tag``), turn-taking events (``Event``) and figures (``Metrics``).

Each serialises to exactly the JSON keys of analysis.json (docs/analysis.schema.json): a field
left unset is not written (``UNSET``), a field set to None is written as null, and keys a record
does not declare (a newer stage's, an imported file's) are kept in ``extra`` and written back
untouched, so a round trip through JSON loses nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()
R = TypeVar("R", bound="Record")


@dataclass
class Record:
    extra: dict[str, Any] = field(default_factory=dict, repr=False, kw_only=True)

    @classmethod
    def _declared(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "extra"]

    def to_dict(self) -> dict[str, Any]:
        d = {k: _plain(getattr(self, k)) for k in self._declared() if getattr(self, k) is not UNSET}
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls: type[R], data: dict[str, Any]) -> R:
        names = set(cls._declared())
        rec = cls(**{k: v for k, v in data.items() if k in names})
        rec.extra = {k: v for k, v in data.items() if k not in names}
        return rec

    def get(self, key: str, default: Any = None) -> Any:
        """Read a field or an extra key by its JSON name (code that handles records and JSON alike)."""
        v = getattr(self, key, UNSET) if key in self._declared() else self.extra.get(key, UNSET)
        return default if v is UNSET else v


def _plain(v: Any) -> Any:
    if isinstance(v, Record):
        return v.to_dict()
    if isinstance(v, tuple):
        return list(v)
    return v


@dataclass
class Source(Record):
    """The input: a recording (``kind`` "audio") or a transcript file; ``file`` is the user's
    name for it, never where the bytes were kept."""

    kind: str = UNSET  # "audio" | "transcript"
    format: str = UNSET
    file: str = UNSET
    codec: str | None = UNSET
    duration: float = UNSET
    channels: int = UNSET
    original_sample_rate: int | None = UNSET
    speaker_mode: str = UNSET  # "multichannel" (one speaker per channel) | "mix" (diarized)
    speaker_mode_reason: str = UNSET
    model: str = UNSET
    model_sha256: str = UNSET
    model_verified: bool = UNSET
    language: str = UNSET
    language_probability: float = UNSET
    language_note: str = UNSET
    timings: dict[str, float] = UNSET
    stages: dict[str, str] = UNSET  # stages that did not run, and why

    @property
    def is_audio(self) -> bool:
        return self.kind == "audio"


@dataclass
class Tag(Record):
    """One behaviour found in an utterance: ``label`` (e.g. "question.open"), its ``score``,
    ``why`` in words, and the [start, end) character ``span`` of the sentence it came from."""

    label: str = ""
    score: float = 0.0
    why: str = UNSET
    span: list[int] | None = UNSET


@dataclass
class Event(Record):
    """A turn-taking event: ``type`` (interruption | overlap | backchannel | opening_interrupted)
    at ``at`` seconds, by a role of another; the evidence and its confidence."""

    type: str = ""
    at: float = 0.0
    by: str = UNSET
    by_speaker: str = UNSET
    text: str = UNSET
    of: str = UNSET
    of_speaker: str = UNSET
    of_remaining_s: float | None = UNSET
    of_remaining_words: int | None = UNSET
    succeeded: bool = UNSET
    evidence: str = UNSET
    confidence: str = UNSET
    reason: str = UNSET


@dataclass
class Metrics(Record):
    """Turn-taking figures. Each figure is a small object as the report shows it; ``missing``
    names the figures that cannot be given and why, ``method`` how they were measured."""

    talk_time: dict[str, float] = UNSET
    talk_share: dict[str, float] = UNSET
    words: dict[str, int] = UNSET
    word_share: dict[str, float] = UNSET
    turns: dict[str, Any] = UNSET
    longest_monologue: dict[str, Any] = UNSET
    speech_rate_wpm: dict[str, Any] = UNSET
    pause_before_clinician: dict[str, Any] = UNSET
    wait_after_clinician_questions: dict[str, Any] = UNSET
    interruptions: dict[str, Any] = UNSET
    backchannels: dict[str, Any] = UNSET
    overlaps: dict[str, Any] = UNSET
    time_to_first_interruption_of_patient: Any = UNSET
    opening_statement: dict[str, Any] = UNSET
    agenda_elicited: dict[str, Any] = UNSET
    missing: dict[str, str] = UNSET
    caveats: list[str] = UNSET
    method: dict[str, Any] = UNSET
