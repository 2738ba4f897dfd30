"""Run analysis jobs: decode -> transcribe -> speakers -> roles -> analysis stages -> save.

``run_job(store, job_id)`` claims the job (queued/interrupted -> running), beats a heartbeat from
a side thread, saves the transcript as a checkpoint once speech recognition is done (a re-run
after a crash starts from it), then stores the analysis and marks the job done in one
transaction. Any failure marks the job failed with a one-line reason; nothing stored is touched.

As a process (the app or ``batch`` can run jobs out of process; a test kills one mid-job):

    python -m analyzer.store.worker --data-dir DIR [--db-url URL] [--job ID ... | --pending]
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from contextlib import contextmanager
from typing import Callable, Iterator

from ..errors import InputError, ModelError
from ..progress import Progress
from .errors import NotFound
from .jobs import HEARTBEAT_S

ProgressFn = Callable[[str, float], None]


class JobNotRunnable(Exception):
    """The job is running elsewhere or already finished."""


class _JobProgress(Progress):
    """Records the current stage and fraction for the heartbeat; forwards to the caller's callback."""

    def __init__(self, fn: ProgressFn | None):
        self.fn, self.stage_name, self.fraction = fn, "starting", 0.0

    @contextmanager
    def stage(self, name: str) -> Iterator[Callable[[float], None]]:
        self.stage_name, self.fraction = name, 0.0
        self._emit()

        def update(f: float) -> None:
            self.fraction = max(0.0, min(1.0, float(f)))
            self._emit()

        yield update
        self.fraction = 1.0
        self._emit()

    def _emit(self) -> None:
        if self.fn:
            self.fn(self.stage_name, self.fraction)


def run_job(store, job_id: int, progress: ProgressFn | None = None):
    """Run one job to the end; returns the finished Job (state done or failed), or None if the
    visit was deleted while it ran (nothing is written then).
    Raises JobNotRunnable if it cannot be claimed; KeyboardInterrupt marks it interrupted."""
    try:
        return _run_job(store, job_id, progress)
    except NotFound:  # the visit (and with it this job) was deleted meanwhile
        return None


def _run_job(store, job_id: int, progress: ProgressFn | None):
    if not store.claim_job(job_id):
        raise JobNotRunnable(f"job {job_id} is already running or finished")
    prog = _JobProgress(progress)
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(store, job_id, prog, stop), daemon=True, name=f"heartbeat-{job_id}")
    beat.start()
    try:
        _, info = store._job_visit(job_id)
        analysis = _analyse(store, info, prog)
        stop.set()
        beat.join()
        store.finish_job(job_id, "done", analysis=analysis)
        store._apply_retention(info["visit_id"])
    except NotFound:
        raise
    except (InputError, ModelError) as e:
        store.finish_job(job_id, "failed", error=str(e))
    except (KeyboardInterrupt, SystemExit):
        store.finish_job(job_id, "interrupted", error="stopped by the user; re-run it")
        raise
    except Exception as e:  # a bug must not crash the app: the job says what happened
        store.finish_job(job_id, "failed", error=f"internal error ({type(e).__name__}: {e}); please report it")
    finally:
        stop.set()
        if beat.is_alive():
            beat.join()
    return store.get_job(job_id)


def _beat(store, job_id: int, prog: _JobProgress, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):
        try:
            store.heartbeat(job_id, prog.stage_name, prog.fraction)
        except Exception:  # a busy database must not kill the analysis; the next beat retries
            pass


def _analyse(store, info: dict, prog: _JobProgress) -> dict:
    """The runner on the stored visit: its recording (where the blob lives, under the user's name
    for it) or its transcript; a checkpointed transcript resumes after speech recognition."""
    from ..runner import Options, StageContext, VisitInput, plan, run
    from ..model import Transcript

    opts = Options.from_stored(info["options"], info["roles"])
    paths = info["audio"] if isinstance(info["audio"], list) else [info["audio"]] if info["audio"] else None
    ctx = StageContext(options=opts, progress=prog,
                       input=VisitInput(paths, info["source_name"]) if paths else None)
    if info["transcript"] is not None:
        ctx.transcript = Transcript.from_dict(info["transcript"])
        if paths is None and info["kind"] == "audio":
            ctx.audio_status = "the recording is no longer stored (deleted after analysis)"
    elif paths is None:
        raise InputError(info["source_name"], "the recording is no longer stored (deleted after analysis?)")
    stages = plan(ctx)
    if ctx.transcript is None:  # speech recognition is the long part: keep its result before the rest
        first = [s for s in stages if s.kind == "input"]
        run(ctx, first)
        store.save_transcript(info["visit_id"], ctx.transcript.to_dict())
        stages = [s for s in stages if s.kind != "input"]
    return run(ctx, stages).to_dict()


def main(argv: list[str] | None = None) -> int:
    from ..runtime import limit_native_threads

    limit_native_threads()
    for k, v in (("HF_HUB_OFFLINE", "1"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"), ("TRANSFORMERS_VERBOSITY", "error")):
        os.environ.setdefault(k, v)  # as the CLI: never reach for a model hub, no extra bars
    ap = argparse.ArgumentParser(prog="python -m analyzer.store.worker", description="run queued analysis jobs")
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--db-url")
    ap.add_argument("--job", type=int, action="append", default=[])
    ap.add_argument("--pending", action="store_true", help="run every queued job")
    args = ap.parse_args(argv)
    from . import open_store

    store = open_store(Path(args.data_dir), args.db_url)
    ids = args.job or (store.pending_jobs() if args.pending else [])
    status = 0
    for jid in ids:
        try:
            job = run_job(store, jid, lambda st, f: None)
        except JobNotRunnable as e:
            print(f"skip: {e}", file=sys.stderr)
            continue
        print(f"job {jid}: {job.state}" + (f" ({job.error})" if job.error else ""), file=sys.stderr)
        status = status or (0 if job.state == "done" else 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
