"""Plain records the store hands out (never live ORM rows: safe to keep after the session ends)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ROLES = ("clinician", "coach")
JOB_STATES = ("queued", "running", "done", "failed", "interrupted")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str  # clinician | coach
    is_local: bool = False
    keep_audio: bool = True


@dataclass
class Consent:
    """Who consented, how (verbal, written form, ...), who confirmed it, when (default: now)."""

    who: str
    how: str
    confirmed_by: str
    at: datetime | None = None


@dataclass
class Job:
    id: int
    visit_id: int
    kind: str
    state: str
    stage: str | None
    progress: float | None
    pid: int | None
    attempts: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None


@dataclass
class VisitSummary:
    id: int
    title: str
    owner: str  # username of the clinician
    created_at: datetime
    source_name: str
    source_kind: str
    status: str  # the latest job's state ("done" once analysed)
    duration: float | None
    analyzed_at: datetime | None
    has_audio: bool
    shared_with: list[str] = field(default_factory=list)


@dataclass
class Visit(VisitSummary):
    content_sha256: str = ""
    media_sha256: str | None = None
    media_ext: str | None = None
    consent: Consent | None = None
    role_overrides: dict[str, str] = field(default_factory=dict)
    can_edit: bool = False  # the owner: share, delete, set roles; a coach only reads and comments
    jobs: list[Job] = field(default_factory=list)
    existing: bool = False  # create_visit found this content already stored and returned that visit


@dataclass
class Comment:
    id: int
    visit_id: int
    author: str
    author_role: str
    utterance: int | None
    text: str
    created_at: datetime


@dataclass
class Correction:
    id: int
    visit_id: int
    author: str
    utterance: int | None
    kind: str  # tag | role
    machine: str
    corrected: str
    speaker: str | None
    text: str | None
    created_at: datetime
