"""Store-backed visits for the app: add an upload (consent first), run its job in the background
with progress, re-run an interrupted one, change roles (stages re-run on the stored transcript,
no speech recognition). The store does the access checks; this module never bypasses them.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import jobs
from ..errors import InputError


@dataclass
class Upload:
    name: str
    data: bytes


@dataclass
class ConsentAnswer:
    confirmed: bool
    who: str
    how: str
    confirmed_by: str

    def problem(self) -> str | None:
        """Why this consent is not enough to process the recording (None: it is)."""
        if not self.confirmed:
            return ("Not analysed: you must confirm that everyone recorded agreed to this recording being "
                    "analysed. Nothing was stored.")
        missing = [n for n, v in (("who consented", self.who), ("how consent was given", self.how),
                                  ("who confirmed it", self.confirmed_by)) if not (v or "").strip()]
        if missing:
            return f"Not analysed: please say {' and '.join(missing)}. Nothing was stored."
        return None


def job_key(store, visit_id: int) -> str:
    return f"visit:{store.data_dir}:{int(visit_id)}"


MAX_NAME = 120


def _safe_name(name: str) -> str:
    """The upload's name as a file name here: no folders, no odd characters, at most MAX_NAME
    characters, and always its extension (the format is read from it)."""
    name = re.sub(r"[^\w.\- ]", "_", Path(name or "upload").name).strip(" .") or "upload"
    if len(name) <= MAX_NAME:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 16:
        stem, ext = name, ""
    # Cut from the middle: the end of a name often says what it is ("…_doctor", "…_patient").
    room = MAX_NAME - (len(ext) + 1 if ext else 0)
    tail = min(40, room // 3)
    stem = stem[:room - tail - 1] + "_" + stem[-tail:]
    return stem + ("." + ext if ext else "")


def add_visit(store, user, uploads: list[Upload], consent: ConsentAnswer, title: str = ""):
    """Consent checked, the upload checked and stored with a queued job; returns the Visit.

    Raises ``ConsentRequired`` (no consent), ``InputError`` (bad file): nothing is stored then."""
    from ..store import Consent, ConsentRequired

    problem = consent.problem()
    if problem:
        raise ConsentRequired(problem)
    if not uploads:
        raise InputError(None, "no file was uploaded")
    tmp = Path(tempfile.mkdtemp(prefix="visit-upload-"))
    try:
        paths = []
        for n, up in enumerate(uploads):
            p = tmp / _safe_name(up.name)
            if p.exists():  # two uploads with one name (or names cut to the same): keep both
                p = tmp / _safe_name(f"{n + 1}_{p.name}")
            p.write_bytes(up.data)
            paths.append(p)
        return store.create_visit(user, paths if len(paths) > 1 else paths[0],
                                  Consent(consent.who.strip(), consent.how.strip(), consent.confirmed_by.strip()),
                                  title=title.strip())
    except InputError as e:  # say which upload, not our temporary path
        raise InputError(Path(e.path).name if e.path else None, e.reason) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def latest_job(visit):
    return visit.jobs[-1] if visit.jobs else None


def start(store, visit) -> jobs.Job | None:
    """Run the visit's queued job in the background (once; a running one is returned as is)."""
    from ..store.worker import JobNotRunnable, run_job

    key = job_key(store, visit.id)
    live = jobs.get_job(key)
    if live is not None and live.active:
        return live
    db_job = latest_job(visit)
    if db_job is None or db_job.state not in ("queued", "interrupted"):
        return live
    job_id, source = db_job.id, visit.source_name

    def work(report):
        try:
            done = run_job(store, job_id, progress=report)
        except JobNotRunnable as e:  # another worker (another app process, batch) has it
            raise jobs.JobFailed(f"This analysis is already running elsewhere ({e}).") from None
        if done is None:  # the visit was deleted while it was being analysed
            raise jobs.JobFailed("This visit was deleted while it was being analysed; nothing was kept.")
        if done.state != "done":
            raise jobs.JobFailed(friendly_job_error(done.error, source))
        return done

    # A re-run after a role change starts from the stored transcript: no decoding or transcribing.
    from_audio = visit.source_kind == "audio" and visit.analyzed_at is None
    kind = "audio" if from_audio else "stored audio" if visit.source_kind == "audio" else "transcript"
    return jobs.start_job(key, work, kind=kind,
                          channels=_channels(store, visit) if from_audio else None)


def _channels(store, visit) -> int | None:
    from ..speech import audio as audio_mod
    from ..store import blobs

    try:
        p = blobs.blob_path(store.audio_dir, visit.media_sha256, visit.media_ext or "bin")
        return audio_mod.probe(p).channels
    except Exception:  # only a hint for the progress bar
        return None


def friendly_job_error(error: str | None, source_name: str) -> str:
    """The store's one-line job error, with our storage path replaced by the user's file name."""
    if not error:
        return "The analysis did not finish (no reason was recorded). You can re-run it."
    msg = re.sub(r"(/[^\s:]+)+\.\w+:", f"{source_name}:", error)
    if msg.startswith("internal error"):
        return f"The analysis stopped because of an {msg}. Nothing stored was lost; you can re-run it."
    return f"This file could not be analysed: {msg}"


def rerun(store, user, visit) -> jobs.Job | None:
    """Re-queue an interrupted or failed job (owner only) and start it."""
    db_job = latest_job(visit)
    if db_job is not None and db_job.state in ("interrupted", "failed"):
        store.retry_job(user, db_job.id)
    jobs.forget(job_key(store, visit.id))
    return start(store, store.get_visit(user, visit.id))


def change_roles(store, user, visit, overrides: dict[str, str]) -> jobs.Job | None:
    """Store the owner's role overrides (logged as corrections) and re-run the analysis stages on
    the stored transcript in the background."""
    store.set_roles(user, visit.id, overrides)
    jobs.forget(job_key(store, visit.id))
    return start(store, store.get_visit(user, visit.id))


def status(store, visit) -> dict[str, Any]:
    """What the page shows for a visit: a live job (with its tracker), or the stored job state."""
    live = jobs.get_job(job_key(store, visit.id))
    db_job = latest_job(visit)
    if live is not None and live.active:
        return {"state": live.state, "job": live}
    if db_job is None:
        return {"state": "done" if visit.analyzed_at else "new", "job": None}
    if db_job.state == "failed":
        msg = live.error if (live is not None and live.error) else friendly_job_error(db_job.error, visit.source_name)
        return {"state": "failed", "error": msg, "job": live}
    if db_job.state == "running" and live is None:
        if db_job.id in store.recover_interrupted():  # its worker died since the store was opened
            return {"state": "interrupted", "job": None}
        # Running in another process (a batch worker, another app): show what it last reported.
        return {"state": "running-elsewhere", "stage": db_job.stage, "progress": db_job.progress or 0.0, "job": None}
    if db_job.state == "queued" and live is None:
        return {"state": "queued-idle", "job": None}  # queued before the app last stopped
    return {"state": db_job.state, "error": db_job.error, "job": live}
