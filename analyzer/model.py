"""The transcript model that flows through every stage.

audio -> Transcript (words, utterances) -> speakers/roles -> tags -> metrics -> report.
One JSON form (docs/transcript-json.md; its JSON Schema is docs/analysis.schema.json) is read
and written by every stage; later stages add keys (``tags``, ``events``, ``metrics``) without
changing the ones here. ``schema_version`` is checked on load.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal

from .records import UNSET, Event, Metrics, Source, Tag

SCHEMA_VERSION = 1
ROLES = ("clinician", "patient", "other")
Role = Literal["clinician", "patient", "other"]


@dataclass
class Word:
    text: str
    start: float
    end: float
    probability: float | None = None
    speaker: str | None = None  # set when words are attributed before grouping

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "start": _r(self.start), "end": _r(self.end)}
        if self.probability is not None:
            d["probability"] = round(self.probability, 3)
        return d


@dataclass
class Utterance:
    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    role: Role = "other"
    words: list[Word] = field(default_factory=list)
    channel: int | None = None
    tags: list[Tag] | None = None  # None: not tagged yet (the tags stage assigns them)
    main: str | None = None  # the clinician's dominant behaviour: question | reflection | input | other
    main_score: float | None = None
    # Keys a newer stage or an imported file added are kept here untouched, so nothing is
    # dropped on the way through.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "speaker": self.speaker,
            "role": self.role,
            "start": _r(self.start),
            "end": _r(self.end),
            "text": self.text,
        }
        if self.words:
            d["words"] = [w.to_dict() for w in self.words]
        if self.channel is not None:
            d["channel"] = self.channel
        if self.tags is not None:
            d["tags"] = [tg.to_dict() for tg in self.tags]
        if self.main is not None:
            d["main"], d["main_score"] = self.main, self.main_score
        d.update(self.extra)
        return d


@dataclass
class Speaker:
    id: str
    role: Role = "other"
    role_confidence: float = 0.0
    role_source: str = "auto"  # auto | user | input
    label: str | None = None  # a name given in the input (e.g. "Dr Smith" in a VTT file)
    channel: int | None = None
    talk_time: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items() if v is not None}


@dataclass
class Transcript:
    utterances: list[Utterance] = field(default_factory=list)
    speakers: dict[str, Speaker] = field(default_factory=dict)
    source: Source = field(default_factory=Source)
    warnings: list[str] = field(default_factory=list)
    events: list[Event] | None = None  # None: turn-taking has not run
    metrics: Metrics | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # top-level keys of newer stages, kept as they are

    @property
    def has_times(self) -> bool:
        return bool(self.utterances) and all(u.start is not None and u.end is not None for u in self.utterances)

    def speaker_ids(self) -> list[str]:
        """Speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for u in self.utterances:
            seen.setdefault(u.speaker, None)
        for s in self.speakers:
            seen.setdefault(s, None)
        return list(seen)

    def ensure_speakers(self) -> None:
        """Make sure every speaker named by an utterance has a Speaker record."""
        for sid in self.speaker_ids():
            if sid not in self.speakers:
                role = next((u.role for u in self.utterances if u.speaker == sid), "other")
                self.speakers[sid] = Speaker(id=sid, role=role)

    def sort(self) -> None:
        """Time order (stable, so utterances without times keep their given order)."""
        if self.has_times:
            self.utterances.sort(key=lambda u: (u.start, u.end))

    def to_dict(self) -> dict[str, Any]:
        self.ensure_speakers()
        d: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "source": self.source.to_dict(),
            "speakers": [s.to_dict() for s in self.speakers.values()],
            "utterances": [u.to_dict() for u in self.utterances],
        }
        if self.warnings:
            d["warnings"] = list(self.warnings)
        if self.events is not None:
            d["events"] = [e.to_dict() for e in self.events]
        if self.metrics is not None:
            d["metrics"] = self.metrics.to_dict()
        d.update(self.extra)
        return d

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def save(self, path: str | Path) -> None:
        """Atomic write: a crash never leaves a half-written file behind."""
        from .fileio import atomic_write_text

        atomic_write_text(Path(path), self.to_json())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Transcript":
        """Build from the JSON form. Raises ValueError with a plain reason on bad input."""
        if not isinstance(data, dict) or not isinstance(data.get("utterances"), list):
            raise ValueError("expected a JSON object with an 'utterances' list")
        version = data.get("schema_version", SCHEMA_VERSION)  # hand-written transcripts may leave it out
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"invalid schema_version {version!r}; expected {SCHEMA_VERSION}")
        if version > SCHEMA_VERSION:
            raise ValueError(f"made by a newer visit-analyzer (schema_version {version}; this one reads "
                             f"{SCHEMA_VERSION}): update visit-analyzer to read it")
        utts: list[Utterance] = []
        known_u = {"speaker", "role", "start", "end", "text", "words", "channel", "tags", "main", "main_score"}
        for i, raw in enumerate(data["utterances"]):
            if not isinstance(raw, dict):
                raise ValueError(f"utterance {i} is not an object")
            text = raw.get("text")
            if not isinstance(text, str):
                raise ValueError(f"utterance {i} has no text")
            role = raw.get("role") or "other"
            if role not in ROLES:
                raise ValueError(f"utterance {i} has role {role!r}; expected one of {', '.join(ROLES)}")
            speaker = raw.get("speaker")
            speaker = str(speaker) if speaker not in (None, "") else role
            start, end = _time(raw.get("start"), i, "start"), _time(raw.get("end"), i, "end")
            if start is not None and end is not None and end < start:
                raise ValueError(f"utterance {i} ends ({end}) before it starts ({start})")
            words = []
            if not isinstance(raw.get("words") or [], list):
                raise ValueError(f"utterance {i} has 'words' that is not a list")
            for w in raw.get("words") or []:
                if not isinstance(w, dict) or not isinstance(w.get("text"), str):
                    raise ValueError(f"utterance {i} has a malformed word")
                ws, we = _time(w.get("start"), i, "word start"), _time(w.get("end"), i, "word end")
                if ws is None or we is None:
                    raise ValueError(f"utterance {i} has a word without times")
                prob = w.get("probability")
                if prob is not None and (isinstance(prob, bool) or not isinstance(prob, (int, float))):
                    raise ValueError(f"utterance {i} has a word with an invalid probability {prob!r}")
                words.append(Word(w["text"], ws, we, prob))
            ch = raw.get("channel")
            utts.append(
                Utterance(
                    speaker=speaker, text=text, start=start, end=end, role=role, words=words,
                    channel=ch if isinstance(ch, int) else None, tags=_tags(raw.get("tags"), i),
                    main=raw["main"] if isinstance(raw.get("main"), str) else None,
                    main_score=_score(raw.get("main_score")),
                    extra={k: v for k, v in raw.items() if k not in known_u},
                )
            )
        t = cls(utterances=utts)
        for key in ("speakers", "warnings"):
            if not isinstance(data.get(key) or [], list):
                raise ValueError(f"'{key}' must be a list")
        for raw in data.get("speakers") or []:
            if isinstance(raw, dict) and raw.get("id") is not None:
                role = raw.get("role") if raw.get("role") in ROLES else "other"
                conf = raw.get("role_confidence") or 0.0
                if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0 <= conf <= 1:
                    raise ValueError(f"speaker {raw['id']!r} has an invalid role_confidence {conf!r}")
                t.speakers[str(raw["id"])] = Speaker(
                    id=str(raw["id"]), role=role,
                    role_confidence=float(conf),
                    role_source=str(raw.get("role_source") or "input"),
                    label=raw.get("label"), channel=raw.get("channel"), talk_time=raw.get("talk_time"),
                )
        t.source = Source.from_dict(data["source"]) if isinstance(data.get("source"), dict) else Source()
        t.warnings = [str(w) for w in data.get("warnings") or []]
        t.events = _events(data.get("events"))
        if data.get("metrics") is not None:
            if not isinstance(data["metrics"], dict):
                raise ValueError("'metrics' must be an object")
            t.metrics = Metrics.from_dict(data["metrics"])
        known_t = {"schema_version", "source", "speakers", "utterances", "warnings", "events", "metrics"}
        t.extra = {k: v for k, v in data.items() if k not in known_t}
        t.ensure_speakers()
        return t

    @classmethod
    def from_json(cls, text: str) -> "Transcript":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"not valid JSON ({e.msg} at line {e.lineno})") from None
        return cls.from_dict(data)


def group_words(words: Iterable[Word], speaker: str, max_gap: float = 1.2, channel: int | None = None) -> list[Utterance]:
    """Group one speaker's time-ordered words into utterances, splitting at pauses > max_gap."""
    utts: list[Utterance] = []
    cur: list[Word] = []
    for w in words:
        if cur and w.start - cur[-1].end > max_gap:
            utts.append(_utt(cur, speaker, channel))
            cur = []
        cur.append(w)
    if cur:
        utts.append(_utt(cur, speaker, channel))
    return utts


def _utt(words: list[Word], speaker: str, channel: int | None) -> Utterance:
    text = "".join(w.text for w in words).strip()
    return Utterance(speaker=speaker, text=text, start=words[0].start, end=words[-1].end,
                     words=list(words), channel=channel)


def _tags(raw: Any, i: int) -> list[Tag] | None:
    if raw is None:
        return None
    def ok(x: Any) -> bool:
        return isinstance(x, str) or (isinstance(x, dict) and isinstance(x.get("label"), str))

    if not isinstance(raw, list) or not all(ok(x) for x in raw):
        raise ValueError(f"utterance {i} has 'tags' that are not a list of labels or {{label, score}} objects")
    return [Tag(label=x, score=UNSET) if isinstance(x, str) else Tag.from_dict(x) for x in raw]


def _events(raw: Any) -> list[Event] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(x, dict) and isinstance(x.get("type"), str) for x in raw):
        raise ValueError("'events' must be a list of objects with a 'type'")
    return [Event.from_dict(x) for x in raw]


def _score(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _time(v: Any, i: int, what: str) -> float | None:
    if v is None:
        return None
    bad = ValueError(f"utterance {i} has an invalid {what} time {v!r}")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise bad
    try:
        v = float(v)
    except OverflowError:  # an int too large for a float
        raise bad from None
    if not math.isfinite(v) or v < 0:
        raise bad
    return v


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 3)
