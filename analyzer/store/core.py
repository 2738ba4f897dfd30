"""The store: users, visits (consent first), analyses, audio on disk, delete. Access rules live here.

Every public method that touches a visit takes the signed-in ``User`` and checks it against the
database (the record passed in is not trusted for its role): the owner may do everything; a coach
may read and comment on visits shared with them; anyone else gets ``AccessDenied``.
Each state change is one transaction.
"""
from __future__ import annotations

import getpass
import json
import os
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..errors import InputError
from . import blobs
from .audit import record
from .db import purge_deleted
from .errors import AccessDenied, ConsentRequired, NotFound
from .models import AnalysisRow, JobRow, ShareRow, TranscriptRow, UserRow, VisitRow, utcnow
from .passwords import hash_password, verify_password
from .records import ROLES, Consent, Job, User, Visit, VisitSummary

SPEAKER_ROLES = ("clinician", "patient", "other")
LOCAL_USERNAME = "local"


def _user(r: UserRow) -> User:
    return User(id=r.id, username=r.username, role=r.role, is_local=r.is_local, keep_audio=r.keep_audio)


def _job(r: JobRow) -> Job:
    return Job(id=r.id, visit_id=r.visit_id, kind=r.kind, state=r.state, stage=r.stage, progress=r.progress,
               pid=r.pid, attempts=r.attempts, error=r.error, created_at=r.created_at, started_at=r.started_at,
               heartbeat_at=r.heartbeat_at, finished_at=r.finished_at)


class CoreStore:
    def __init__(self, engine, data_dir: Path):
        self.engine = engine
        self.data_dir = Path(data_dir)
        self.audio_dir = self.data_dir / "audio"
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._sessions.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ users

    def create_user(self, username: str, password: str | None, role: str) -> User:
        username = (username or "").strip()
        if not username or len(username) > 80:
            raise ValueError("a username needs 1 to 80 characters")
        if role not in ROLES:
            raise ValueError(f"role {role!r}: expected one of {', '.join(ROLES)}")
        hashed = hash_password(password) if password is not None else None
        with self._tx() as s:
            if s.scalar(select(UserRow).where(UserRow.username == username)):
                raise ValueError(f"user {username!r} exists already")
            row = UserRow(username=username, role=role, password_hash=hashed, is_local=password is None)
            s.add(row)
            s.flush()
            return _user(row)

    def authenticate(self, username: str, password: str) -> User | None:
        with self._tx() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == (username or "").strip()))
            if not verify_password(row.password_hash if row else None, password or ""):
                record(s, row, "user.login_failed", username=(username or "").strip())
                return None
            record(s, row, "user.login")
            return _user(row)

    def local_user(self) -> User:
        """Single-user mode: one clinician without a password (someone alone on a laptop)."""
        with self._tx() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == LOCAL_USERNAME))
            if row is None:
                row = UserRow(username=LOCAL_USERNAME, role="clinician", password_hash=None, is_local=True)
                s.add(row)
                s.flush()
            return _user(row)

    def get_user(self, username: str) -> User | None:
        with self._tx() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            return _user(row) if row else None

    def users(self, role: str | None = None) -> list[User]:
        with self._tx() as s:
            q = select(UserRow).order_by(UserRow.username)
            if role:
                q = q.where(UserRow.role == role)
            return [_user(r) for r in s.scalars(q)]

    def set_audio_retention(self, user: User, keep_audio: bool) -> User:
        """keep_audio=False: each recording is deleted as soon as its analysis is stored."""
        with self._tx() as s:
            row = self._user_row(s, user)
            row.keep_audio = bool(keep_audio)
            return _user(row)

    def _user_row(self, s: Session, user: User) -> UserRow:
        row = s.get(UserRow, getattr(user, "id", None))
        if row is None or row.username != user.username:
            raise AccessDenied("unknown user; sign in again")
        return row

    # ------------------------------------------------------------------ access

    def _visit_row(self, s: Session, user: User, visit_id: int, need: str = "read") -> tuple[VisitRow, UserRow]:
        """The visit if ``user`` may ``need`` ("read", "comment" or "own") it; else AccessDenied/NotFound."""
        urow = self._user_row(s, user)
        try:
            vid = int(visit_id)
        except (TypeError, ValueError):
            raise NotFound(f"no visit {visit_id!r}") from None
        v = s.get(VisitRow, vid)
        if v is None:
            raise NotFound(f"no visit {vid}")
        if v.owner_id == urow.id:
            return v, urow
        if need != "own" and urow.role == "coach" and self._share(s, v.id, urow.id) is not None:
            return v, urow
        raise AccessDenied(f"visit {vid} is not yours and has not been shared with you")

    @staticmethod
    def _share(s: Session, visit_id: int, coach_id: int) -> ShareRow | None:
        return s.scalar(select(ShareRow).where(ShareRow.visit_id == visit_id, ShareRow.coach_id == coach_id))

    # ------------------------------------------------------------------ visits

    def create_visit(self, user: User, source_path: str | Path | list, consent: Consent | None,
                     title: str = "", options: dict | None = None) -> Visit:
        """Check consent and the input, copy the recording in, record the visit and a queued job.

        Bad input raises ``InputError`` before anything is stored."""
        consent = _check_consent(consent)
        with self._tx() as s:
            if self._user_row(s, user).role != "clinician":
                raise AccessDenied("only a clinician can add visits")
        paths = [Path(p) for p in (source_path if isinstance(source_path, (list, tuple)) else [source_path])]
        transcript, kind, duration = _check_input(paths, options)
        sha = blobs.sha256_files(paths)
        media_sha = media_ext = None
        created = None
        if kind == "audio":
            media_sha, media_ext = sha, paths[0].suffix.lower().lstrip(".") or "bin"
            dest, fresh = blobs.put_file(paths[0], self.audio_dir, sha, media_ext)
            created = dest if fresh else None
        try:
            with self._tx() as s:
                v = VisitRow(owner_id=user.id, title=(title or _default_title(paths))[:200], source_name=paths[0].name[:255],
                             source_kind=kind, content_sha256=sha, media_sha256=media_sha, media_ext=media_ext,
                             duration=duration, consent_who=consent.who, consent_how=consent.how,
                             consent_confirmed_by=consent.confirmed_by, consent_at=consent.at or utcnow())
                s.add(v)
                s.flush()
                if transcript is not None:
                    s.add(TranscriptRow(visit_id=v.id, data=transcript))
                s.add(JobRow(visit_id=v.id, kind="analyze", state="queued", options=options or None))
                record(s, self._user_row(s, user), "visit.create", v)
                vid = v.id
        except BaseException:
            if created is not None:
                self._drop_audio_if_unused(media_sha, media_ext)
            raise
        return self.get_visit(user, vid)

    def visits_for(self, user: User) -> list[VisitSummary]:
        """A clinician's own visits; a coach's shared ones. Newest first."""
        with self._tx() as s:
            urow = self._user_row(s, user)
            if urow.role == "coach":
                q = select(VisitRow).join(ShareRow, ShareRow.visit_id == VisitRow.id).where(ShareRow.coach_id == urow.id)
            else:
                q = select(VisitRow).where(VisitRow.owner_id == urow.id)
            rows = s.scalars(q.order_by(VisitRow.created_at.desc(), VisitRow.id.desc())).unique().all()
            return [self._summary(r) for r in rows]

    def find_visit(self, user: User, content_sha256: str) -> VisitSummary | None:
        """The user's latest visit made from this content (batch: skip what is done)."""
        with self._tx() as s:
            urow = self._user_row(s, user)
            r = s.scalars(select(VisitRow).where(VisitRow.owner_id == urow.id, VisitRow.content_sha256 == content_sha256)
                          .order_by(VisitRow.id.desc())).first()
            return self._summary(r) if r else None

    def get_visit(self, user: User, visit_id: int) -> Visit:
        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id)
            base = self._summary(v)
            return Visit(**base.__dict__, content_sha256=v.content_sha256, media_sha256=v.media_sha256,
                         media_ext=v.media_ext,
                         consent=Consent(v.consent_who, v.consent_how, v.consent_confirmed_by, v.consent_at),
                         role_overrides=dict(v.role_overrides or {}), can_edit=v.owner_id == urow.id,
                         jobs=[_job(j) for j in v.jobs])

    def _summary(self, v: VisitRow) -> VisitSummary:
        return VisitSummary(id=v.id, title=v.title, owner=v.owner.username, created_at=v.created_at,
                            source_name=v.source_name, source_kind=v.source_kind,
                            status=v.jobs[-1].state if v.jobs else ("done" if v.analyzed_at else "new"),
                            duration=v.duration, analyzed_at=v.analyzed_at,
                            has_audio=bool(v.media_sha256) and v.audio_deleted_at is None,
                            shared_with=sorted(sh.coach.username for sh in v.shares))

    def audio_path(self, user: User, visit_id: int) -> Path | None:
        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id)
            path = self._audio_file(v)
            if path is not None:
                record(s, urow, "audio.open", v)
            return path

    def _audio_file(self, v: VisitRow) -> Path | None:
        if not v.media_sha256 or v.audio_deleted_at is not None:
            return None
        p = blobs.blob_path(self.audio_dir, v.media_sha256, v.media_ext or "bin")
        return p if p.exists() else None

    # ------------------------------------------------------------------ analyses

    def save_analysis(self, visit_id: int, analysis: dict) -> None:
        """Store (or replace) a visit's analysis in one transaction. Internal: the worker calls it."""
        data = json.loads(json.dumps(analysis))  # JSON-able, and a private copy
        with self._tx() as s:
            self._put_analysis(s, visit_id, data)

    def _put_analysis(self, s: Session, visit_id: int, data: dict) -> None:
        v = s.get(VisitRow, int(visit_id))
        if v is None:
            raise NotFound(f"no visit {visit_id}")
        now = utcnow()
        if v.analysis is None:
            v.analysis = AnalysisRow(visit_id=v.id, data=data, created_at=now, updated_at=now)
        else:
            v.analysis.data, v.analysis.updated_at = data, now
        v.analyzed_at = now
        if v.duration is None:
            v.duration = (data.get("source") or {}).get("duration")

    def load_analysis(self, user: User, visit_id: int, redact: bool | None = None) -> dict | None:
        """The analysis dict. ``redact``: mask names, dates, phone numbers, addresses and record
        numbers; None = as the share says for a coach (masked by default), unmasked for the owner."""
        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id)
            data = v.analysis.data if v.analysis else None
            if redact is None:
                sh = self._share(s, v.id, urow.id) if v.owner_id != urow.id else None
                redact = bool(sh and sh.redact)
            elif v.owner_id != urow.id and not redact:
                sh = self._share(s, v.id, urow.id)
                redact = bool(sh and sh.redact)  # a coach cannot lift the owner's masking
            if data is not None:
                record(s, urow, "visit.view", v, "masked" if redact else None)
        if data is None:
            return None
        if redact:
            from ..redact import redact_analysis

            return redact_analysis(data)
        return data

    def set_roles(self, user: User, visit_id: int, overrides: dict[str, str]) -> Job:
        """The owner corrects who is who; stored, logged as role corrections, and a re-run queued
        (the stored transcript is reused: no speech recognition again)."""
        from .models import CorrectionRow

        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id, need="own")
            src = (v.analysis.data if v.analysis else None) or (v.transcript.data if v.transcript else None) or {}
            speakers = {sp.get("id"): sp for sp in src.get("speakers", [])}
            clean = {}
            for sid, role in (overrides or {}).items():
                if role not in SPEAKER_ROLES:
                    raise ValueError(f"role {role!r} for {sid!r}: expected one of {', '.join(SPEAKER_ROLES)}")
                if speakers and sid not in speakers:
                    raise ValueError(f"no speaker {sid!r}; speakers are {', '.join(speakers)}")
                clean[str(sid)] = role
                machine = (speakers.get(sid) or {}).get("role")
                if machine and machine != role:
                    s.add(CorrectionRow(visit_id=v.id, author_id=urow.id, utterance=None, kind="role",
                                        machine=machine, corrected=role, speaker=str(sid)))
            v.role_overrides = {**(v.role_overrides or {}), **clean}
            job = JobRow(visit_id=v.id, kind="analyze", state="queued")
            s.add(job)
            s.flush()
            return _job(job)

    # ------------------------------------------------------------------ delete

    def delete_visit(self, user: User, visit_id: int) -> None:
        """Remove the visit and everything of it: audio file, transcript, analysis, comments,
        corrections, shares, jobs. Rows first (one transaction), then the file."""
        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id, need="own")
            media = (v.media_sha256, v.media_ext)
            record(s, urow, "visit.delete", v)
            s.delete(v)
        purge_deleted(self.engine)
        if media[0]:
            self._drop_audio_if_unused(*media)

    def _drop_audio_if_unused(self, sha: str | None, ext: str | None) -> bool:
        if not sha:
            return False
        with self._tx() as s:
            still = s.scalar(select(VisitRow.id).where(VisitRow.media_sha256 == sha,
                                                       VisitRow.audio_deleted_at.is_(None)).limit(1))
        if still is not None:
            return False
        return blobs.remove_file(blobs.blob_path(self.audio_dir, sha, ext or "bin"))

    def collect_garbage(self, older_than: float = 3600.0) -> int:
        """Audio files no visit refers to (a crash between the DB commit and the unlink) and old
        temporaries. Recent files are left: a visit may be being added right now."""
        import time

        n = blobs.clean_temporaries(self.audio_dir, older_than)
        if not self.audio_dir.is_dir():
            return n
        with self._tx() as s:
            live = set(s.scalars(select(VisitRow.media_sha256).where(VisitRow.media_sha256.is_not(None),
                                                                     VisitRow.audio_deleted_at.is_(None))))
        for p in self.audio_dir.iterdir():
            if p.name.startswith(".") or p.name.split(".")[0] in live:
                continue
            try:
                if time.time() - p.stat().st_mtime > older_than:
                    n += blobs.remove_file(p)
            except FileNotFoundError:
                pass
        return n


def _check_consent(consent: Consent | None) -> Consent:
    if consent is None:
        raise ConsentRequired("consent must be recorded before a visit is stored or analysed: "
                              "who consented, how, and who confirmed it")
    who, how = (consent.who or "").strip(), (consent.how or "").strip()
    by = (consent.confirmed_by or "").strip()
    missing = [n for n, v in (("who", who), ("how", how), ("confirmed by", by)) if not v]
    if missing:
        raise ConsentRequired(f"consent record incomplete: missing {', '.join(missing)}")
    at = consent.at
    if at is not None and not isinstance(at, datetime):
        raise ConsentRequired("consent time must be a datetime")
    return Consent(who=who[:2000], how=how[:2000], confirmed_by=by[:200], at=at)


def _check_input(paths: list[Path], options: dict | None) -> tuple[dict | None, str, float | None]:
    """Import a transcript (kept as JSON) or probe a recording; InputError for anything unusable."""
    from ..speech import audio as audio_mod
    from ..importers import is_transcript_path

    if not paths:
        raise InputError(None, "no file given")
    for p in paths:
        if not p.exists():
            raise InputError(p, "file not found")
        if p.is_dir():
            raise InputError(p, "is a folder, not a recording or transcript")
    if len(paths) > 1 or is_transcript_path(paths[0]):
        from ..runner import VisitInput, analyze

        t = analyze(VisitInput(paths, paths[0].name), until="read transcript")  # the user's name, not a temp path
        return t.to_dict(), "transcript", None
    max_hours = float((options or {}).get("max_hours") or audio_mod.DEFAULT_MAX_HOURS)
    info = audio_mod.probe(paths[0], max_hours=max_hours)
    return None, "audio", info.duration


def _default_title(paths: list[Path]) -> str:
    """The file name; for a TextGrid pair (X_doctor + X_patient) the visit's name X."""
    import re

    stem = paths[0].stem
    return re.sub(r"[_-](doctor|patient)$", "", stem, flags=re.I) if len(paths) > 1 else stem


def default_confirmer() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER", "unknown")
