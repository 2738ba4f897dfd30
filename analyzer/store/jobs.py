"""Analysis jobs: recorded before they start, one transaction per state change.

    queued -> running (pid, host, heartbeat) -> done | failed | interrupted
                                              interrupted / failed -> queued (re-run)

A worker claims a job with one conditional UPDATE (two workers never run the same job) and beats
a heartbeat while it runs. ``recover_interrupted`` (called on every open) marks running jobs whose
worker is gone as interrupted: the pid is dead (same host) or the heartbeat is stale.
"""
from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import select, update

from .errors import AccessDenied, NotFound
from .models import JobRow, VisitRow, utcnow
from .records import Job, User

HEARTBEAT_S = 2.0
STALE_S = 60.0  # a live worker beats every 2 s; a minute without one means it is gone
# On this machine the pid tells: a live pid is trusted this long without a beat (a busy machine),
# after which it is taken for a reused pid.
SAME_HOST_STALE_S = 600.0
RERUNNABLE = ("interrupted", "failed")


def pid_alive(pid: int | None) -> bool:
    """True if the process exists and is not a zombie (a killed child its parent has not reaped)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


class JobsMixin:
    host = socket.gethostname()

    def jobs_for(self, user: User) -> list:
        """Jobs of the visits the user owns, newest first."""
        from .core import _job

        with self._tx() as s:
            urow = self._user_row(s, user)
            rows = s.scalars(select(JobRow).join(VisitRow, VisitRow.id == JobRow.visit_id)
                             .where(VisitRow.owner_id == urow.id).order_by(JobRow.id.desc()))
            return [_job(r) for r in rows]

    def get_job(self, job_id: int) -> Job:
        from .core import _job

        with self._tx() as s:
            r = s.get(JobRow, int(job_id))
            if r is None:
                raise NotFound(f"no job {job_id}")
            return _job(r)

    def pending_jobs(self) -> list[int]:
        """Queued job ids, oldest first (a worker's to-do list)."""
        with self._tx() as s:
            return list(s.scalars(select(JobRow.id).where(JobRow.state == "queued").order_by(JobRow.id)))

    def claim_job(self, job_id: int, pid: int | None = None) -> bool:
        """queued/interrupted -> running, atomically; False if another worker has it or it is finished."""
        now = utcnow()
        with self._tx() as s:
            res = s.execute(update(JobRow).where(JobRow.id == int(job_id), JobRow.state.in_(("queued", "interrupted")))
                            .values(state="running", pid=pid or os.getpid(), host=self.host, started_at=now,
                                    heartbeat_at=now, finished_at=None, error=None, stage=None, progress=0.0,
                                    attempts=JobRow.attempts + 1))
            return res.rowcount == 1

    def heartbeat(self, job_id: int, stage: str | None = None, progress: float | None = None) -> bool:
        values = {"heartbeat_at": utcnow()}
        if stage is not None:
            values["stage"] = stage[:80]
        if progress is not None:
            values["progress"] = round(float(progress), 4)
        with self._tx() as s:
            res = s.execute(update(JobRow).where(JobRow.id == int(job_id), JobRow.state == "running").values(**values))
            return res.rowcount == 1

    def finish_job(self, job_id: int, state: str, error: str | None = None, analysis: dict | None = None) -> None:
        """running -> done | failed | interrupted; with ``analysis``, stored in the same transaction."""
        assert state in ("done", "failed", "interrupted")
        with self._tx() as s:
            job = s.get(JobRow, int(job_id))
            if job is None:
                raise NotFound(f"no job {job_id}")
            if analysis is not None:
                self._put_analysis(s, job.visit_id, analysis)
            job.state, job.error, job.finished_at = state, (error or None) and error[:4000], utcnow()
            if state == "done":
                job.progress = 1.0

    def save_transcript(self, visit_id: int, transcript: dict) -> None:
        """The checkpoint after speech recognition: a re-run after a crash starts from here."""
        from .models import TranscriptRow

        with self._tx() as s:
            v = s.get(VisitRow, int(visit_id))
            if v is None:
                raise NotFound(f"no visit {visit_id}")
            if v.transcript is None:
                v.transcript = TranscriptRow(visit_id=v.id, data=transcript)
            else:
                v.transcript.data = transcript

    def recover_interrupted(self, stale_s: float = STALE_S) -> list[int]:
        """Running jobs whose worker is gone -> interrupted. Returns their ids."""
        now = utcnow()
        gone = []
        with self._tx() as s:
            for j in s.scalars(select(JobRow).where(JobRow.state == "running")):
                beat = j.heartbeat_at or j.started_at or j.created_at
                silent = (now - beat).total_seconds()
                if j.host == self.host:
                    dead = not pid_alive(j.pid) or silent > max(stale_s, SAME_HOST_STALE_S)
                else:
                    dead = silent > stale_s
                if dead:
                    j.state, j.finished_at = "interrupted", now
                    j.error = "the worker stopped before finishing (the app or the machine stopped); re-run it"
                    gone.append(j.id)
        return gone

    def retry_job(self, user: User, job_id: int) -> Job:
        """The owner re-queues an interrupted or failed job."""
        from .core import _job

        with self._tx() as s:
            j = s.get(JobRow, int(job_id))
            if j is None:
                raise NotFound(f"no job {job_id}")
            self._visit_row(s, user, j.visit_id, need="own")
            if j.state not in RERUNNABLE:
                raise ValueError(f"job {job_id} is {j.state}; only interrupted or failed jobs are re-run")
            j.state, j.error, j.finished_at, j.pid, j.stage, j.progress = "queued", None, None, None, None, None
            return _job(j)

    def _job_visit(self, job_id: int) -> tuple[Job, dict]:
        """For the worker: the job and what it needs of its visit (no user: internal)."""
        from .core import _job

        with self._tx() as s:
            j = s.get(JobRow, int(job_id))
            if j is None:
                raise NotFound(f"no job {job_id}")
            v = s.get(VisitRow, j.visit_id)
            info = {"visit_id": v.id, "kind": v.source_kind, "audio": self._audio_file(v),
                    "source_name": v.source_name, "transcript": v.transcript.data if v.transcript else None,
                    "roles": dict(v.role_overrides or {}), "options": dict(j.options or {}),
                    "keep_audio": v.owner.keep_audio, "media": (v.media_sha256, v.media_ext)}
            return _job(j), info

    def _apply_retention(self, visit_id: int) -> bool:
        """Owner chose not to keep audio: mark it deleted (one transaction), then remove the file."""
        with self._tx() as s:
            v = s.get(VisitRow, int(visit_id))
            if v is None or v.owner.keep_audio or not v.media_sha256 or v.audio_deleted_at is not None:
                return False
            v.audio_deleted_at = utcnow()
            media = (v.media_sha256, v.media_ext)
        return self._drop_audio_if_unused(*media)


__all__ = ["JobsMixin", "pid_alive", "HEARTBEAT_S", "STALE_S", "AccessDenied"]
