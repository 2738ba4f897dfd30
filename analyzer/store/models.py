"""SQLAlchemy 2 tables. Schema changes go through Alembic (migrations/versions), never create_all.

Times are stored in UTC (timezone-aware in Python; SQLite keeps them naive, re-tagged on load).
Every child row of a visit cascades on delete, in the database (ON DELETE CASCADE) and in the ORM.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Text, TypeDecorator,
    UniqueConstraint, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so Alembic migrations (and SQLite batch mode) can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, on SQLite (naive storage) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # clinician | coach
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: local user, no sign-in
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    keep_audio: Mapped[bool] = mapped_column(Boolean, default=True)  # False: delete audio after analysis
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# One visit per recording (or transcript) and clinician: the content hash is unique per owner, so
# two processes adding the same file at once get one visit (insert-or-get). Rows marked as a
# duplicate_of another were stored twice before this rule and are kept, outside it.
_ONE_PER_CONTENT = text("duplicate_of IS NULL")


class VisitRow(Base):
    __tablename__ = "visits"
    __table_args__ = (Index("uq_visits_owner_content", "owner_id", "content_sha256", unique=True,
                            sqlite_where=_ONE_PER_CONTENT, postgresql_where=_ONE_PER_CONTENT),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source_name: Mapped[str] = mapped_column(String(255))  # the file name the user gave (no folder)
    source_kind: Mapped[str] = mapped_column(String(16))  # audio | transcript
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the input file(s)
    media_sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # audio kept on disk
    media_ext: Mapped[str | None] = mapped_column(String(16))
    audio_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration: Mapped[float | None] = mapped_column(Float)
    role_overrides: Mapped[dict | None] = mapped_column(JSON)
    consent_who: Mapped[str] = mapped_column(Text)
    consent_how: Mapped[str] = mapped_column(Text)
    consent_confirmed_by: Mapped[str] = mapped_column(String(200))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    analyzed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duplicate_of: Mapped[int | None] = mapped_column(Integer)  # the visit this one repeats (see above)

    owner: Mapped[UserRow] = relationship(lazy="joined")
    transcript: Mapped["TranscriptRow | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    analysis: Mapped["AnalysisRow | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    shares: Mapped[list["ShareRow"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    comments: Mapped[list["CommentRow"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    corrections: Mapped[list["CorrectionRow"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    jobs: Mapped[list["JobRow"]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                order_by="JobRow.id")


class TranscriptRow(Base):
    """The transcript before the analysis stages: a checkpoint, so a re-run skips speech recognition."""

    __tablename__ = "transcripts"
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnalysisRow(Base):
    __tablename__ = "analyses"
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ShareRow(Base):
    __tablename__ = "shares"
    __table_args__ = (UniqueConstraint("visit_id", "coach_id", name="uq_shares_visit_coach"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    redact: Mapped[bool] = mapped_column(Boolean, default=True)  # the coach sees names, dates... masked
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    coach: Mapped[UserRow] = relationship(lazy="joined")


class CommentRow(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    utterance: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[UserRow] = relationship(lazy="joined")


class CorrectionRow(Base):
    """A coach's (or clinician's) label beside the machine's, for training data."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    utterance: Mapped[int | None] = mapped_column(Integer)  # None for a whole-speaker role correction
    kind: Mapped[str] = mapped_column(String(16))  # tag | role
    machine: Mapped[str] = mapped_column(String(80))
    corrected: Mapped[str] = mapped_column(String(80))
    speaker: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)  # the utterance text at the time (training example)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[UserRow] = relationship(lazy="joined")


class JobRow(Base):
    """One analysis run: queued -> running(pid, heartbeat) -> done | failed | interrupted."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="analyze")
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    options: Mapped[dict | None] = mapped_column(JSON)
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    stage: Mapped[str | None] = mapped_column(String(80))
    progress: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditRow(Base):
    """Who did what to which visit, when: views, audio, shares, exports, deletes, sign-ins.

    Ids and action names only, never content, so a deleted visit leaves no health data here."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    visit_id: Mapped[int | None] = mapped_column(Integer, index=True)  # no foreign key: outlives the visit
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the visit's clinician, for their log
    detail: Mapped[str | None] = mapped_column(String(200))
