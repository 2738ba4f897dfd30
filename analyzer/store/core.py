"""The store: users, visits (consent first), analyses, audio on disk, delete. Access rules live here.

Every public method that touches a visit takes the signed-in ``User`` and checks it against the
database (the record passed in is not trusted for its role): the owner may do everything; a coach
may read and comment on visits shared with them; anyone else gets ``AccessDenied``.
Each state change is one transaction.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import InputError
from . import blobs
from .audit import record
from .db import PurgeResult, purge_deleted
from .errors import AccessDenied, NotFound, fault_from
from .inputs import check_consent, check_input, check_paths, check_unchanged, default_confirmer, default_title, snapshot
from .models import AnalysisRow, JobRow, ShareRow, TranscriptRow, UserRow, VisitRow, utcnow
from .records import Consent, Job, User, Visit, VisitSummary

__all__ = ["CoreStore", "default_confirmer"]

SPEAKER_ROLES = ("clinician", "patient", "other")


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

    @property
    def where(self) -> str:
        """The store's database as the user knows it: the SQLite file, or the URL without password."""
        url = self.engine.url
        return url.database if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=True)

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error. A full disk,
        a read-only or damaged file, a lost server -> the StoreFault that says so."""
        try:
            with self._sessions.begin() as s:
                yield s
        except DBAPIError as e:
            fault = fault_from(e, self.where)
            if fault is None:
                raise
            raise fault from e

    def close(self) -> None:
        self.engine.dispose()

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

        One visit per content and clinician: the same recording (or transcript) again returns the
        visit already made from it (``existing=True``), even when two processes add it at once.
        Bad input raises ``InputError`` before anything is stored."""
        consent = check_consent(consent)
        with self._tx() as s:
            if self._user_row(s, user).role != "clinician":
                raise AccessDenied("only a clinician can add visits")
        paths = [Path(p) for p in (source_path if isinstance(source_path, (list, tuple)) else [source_path])]
        check_paths(paths)
        before = snapshot(paths)
        try:
            sha = blobs.sha256_files(paths)
        except OSError as e:
            raise InputError(e.filename or paths[0], f"cannot be read ({e.strerror or e})") from None
        found = self._visit_of_content(user, sha)
        if found is not None:
            return found
        try:
            transcript, kind, duration = check_input(paths, options)
        except InputError:
            check_unchanged(paths, before)  # a file changing under us explains any error it gave
            raise
        media_sha = media_ext = created = None
        if kind == "audio":
            media_sha, media_ext = sha, paths[0].suffix.lower().lstrip(".") or "bin"
            try:
                dest, fresh = blobs.put_file(paths[0], self.audio_dir, sha, media_ext)
            except OSError as e:  # writing our copy: a full disk, a read-only folder
                raise (fault_from(e, str(self.audio_dir)) or e) from e
            created = dest if fresh else None
        try:
            check_unchanged(paths, before)
            with self._tx() as s:
                if s.scalar(self._content_query(user.id, sha)) is not None:  # added meanwhile (SQLite:
                    raise _AddedMeanwhile  # BEGIN IMMEDIATE serialises this check and the insert)
                v = VisitRow(owner_id=user.id, title=(title or default_title(paths))[:200], source_name=paths[0].name[:255],
                             source_kind=kind, content_sha256=sha, media_sha256=media_sha, media_ext=media_ext,
                             duration=duration, consent_who=consent.who, consent_how=consent.how,
                             consent_confirmed_by=consent.confirmed_by, consent_at=consent.at or utcnow())
                s.add(v)
                s.flush()  # PostgreSQL: a concurrent insert of the same content fails here (unique index)
                if transcript is not None:
                    s.add(TranscriptRow(visit_id=v.id, data=transcript))
                s.add(JobRow(visit_id=v.id, kind="analyze", state="queued", options=options or None))
                record(s, self._user_row(s, user), "visit.create", v)
                vid = v.id
        except (_AddedMeanwhile, IntegrityError):
            self._drop_created(created, media_sha, media_ext)
            found = self._visit_of_content(user, sha)
            if found is None:
                raise
            return found
        except BaseException:
            self._drop_created(created, media_sha, media_ext)
            raise
        return self.get_visit(user, vid)

    @staticmethod
    def _content_query(owner_id: int, sha: str):
        return select(VisitRow.id).where(VisitRow.owner_id == owner_id, VisitRow.content_sha256 == sha,
                                         VisitRow.duplicate_of.is_(None))

    def _visit_of_content(self, user: User, sha: str) -> Visit | None:
        with self._tx() as s:
            vid = s.scalar(self._content_query(self._user_row(s, user).id, sha))
        if vid is None:
            return None
        v = self.get_visit(user, vid)
        v.existing = True
        return v

    def _drop_created(self, created: Path | None, sha: str | None, ext: str | None) -> None:
        if created is not None:
            try:
                self._drop_audio_if_unused(sha, ext)
            except Exception:  # left for collect_garbage; the original error is the one to report
                pass

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
        """The user's visit made from this content (batch: skip what is done)."""
        with self._tx() as s:
            urow = self._user_row(s, user)
            vid = s.scalar(self._content_query(urow.id, content_sha256))
            return self._summary(s.get(VisitRow, vid)) if vid is not None else None

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

    def delete_visit(self, user: User, visit_id: int) -> PurgeResult:
        """Remove the visit and everything of it: audio file, transcript, analysis, comments,
        corrections, shares, jobs. Rows first (one transaction), then the file. The result says
        whether the deleted text is gone from the database files too (see db.purge_deleted)."""
        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id, need="own")
            media = (v.media_sha256, v.media_ext)
            record(s, urow, "visit.delete", v)
            s.delete(v)
        done = purge_deleted(self.engine)
        if media[0]:
            self._drop_audio_if_unused(*media)
        return done

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
        temporaries. Recent files are left: a visit may be being added right now. A database
        without any visit beside recordings is the wrong one (another --db-url) or a lost one,
        never a reason to delete them: then nothing is collected."""
        import time

        n = blobs.clean_temporaries(self.audio_dir, older_than)
        if not self.audio_dir.is_dir():
            return n
        with self._tx() as s:
            if s.scalar(select(VisitRow.id).limit(1)) is None:
                return n
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


class _AddedMeanwhile(Exception):
    """Another process stored the same content between our look-up and our insert."""
