"""Analyses in a background thread, with the stage list and bar the app draws.

The runner reports ``(stage, fraction)`` through ``analyzer.progress.CallbackProgress``;
``StageTracker`` shows the stages the runner plans for that kind of visit. Jobs run one at a time on a single worker thread: on
two cores a second analysis in parallel only slows both down; it waits as "queued" instead.
Job handles live in this module (one per process), so a page rerun or a second browser tab
finds the same running job.
"""
from __future__ import annotations

import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import InputError, ModelError

ProgressFn = Callable[[str, float], None]


class JobFailed(Exception):
    """The work ended and said why (the store's job records a failure instead of raising)."""



class StageTracker:
    """Thread-safe (stage, fraction) state; ``snapshot()`` is what the page draws. The stages,
    their labels and weights come from the runner's plan, so a new stage shows up here."""

    def __init__(self, kind: str = "audio", channels: int | None = None):
        from ..runner import stages_for

        planned = stages_for(kind)
        self.stages = tuple(s.name for s in planned)
        self.labels = {s.name: s.label for s in planned}
        self.weights = {s.name: s.weight for s in planned}
        self.fraction = {s: 0.0 for s in self.stages}
        self.current: str | None = None
        self.detail = ""
        self._lock = threading.Lock()

    def __call__(self, name: str, fraction: float) -> None:
        if name not in self.stages:
            return
        with self._lock:
            i = self.stages.index(name)
            for s in self.stages[:i]:  # a stage with nothing to do is done
                self.fraction[s] = 1.0
            self.fraction[name] = max(self.fraction[name], min(1.0, fraction))
            self.current = name

    def finish(self) -> None:
        with self._lock:
            for s in self.stages:
                self.fraction[s] = 1.0
            self.current = None

    def overall(self) -> float:
        with self._lock:
            total = sum(self.weights[s] for s in self.stages)
            return sum(self.weights[s] * self.fraction[s] for s in self.stages) / total

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = []
            for s in self.stages:
                f = self.fraction[s]
                state = "done" if f >= 1.0 else ("running" if s == self.current else "waiting")
                rows.append({"stage": s, "label": self.labels[s], "fraction": f, "state": state,
                             "detail": self.detail if s == self.current else ""})
            return rows


def plain_error(exc: BaseException) -> str:
    """What went wrong, in words a clinician can act on (no traceback, no temporary paths)."""
    if isinstance(exc, JobFailed):
        return str(exc)
    if isinstance(exc, InputError):
        return f"This file could not be analysed: {exc.reason}."
    if isinstance(exc, ModelError):
        return f"The speech model is missing or damaged ({exc}). Run scripts/setup.sh to reinstall it."
    if isinstance(exc, MemoryError):
        return "The machine ran out of memory during the analysis. Close other programs and re-run it."
    name = type(exc).__name__
    if name in ("ConsentRequired", "AccessDenied", "NotFound"):
        return str(exc)
    return (f"The analysis stopped because of an internal error ({name}: {exc}). Nothing stored was lost; "
            "you can re-run it.")


@dataclass
class Job:
    key: str
    tracker: StageTracker
    state: str = "queued"  # queued | running | done | failed
    error: str | None = None
    result: Any = None
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None
    log: list[tuple[float, str, float]] = field(default_factory=list)  # (t, stage, overall) for benchmarks

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.monotonic()) - self.started_at


_JOBS: dict[str, Job] = {}
_LOCK = threading.Lock()
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="visit-analysis")


def get_job(key: str) -> Job | None:
    with _LOCK:
        return _JOBS.get(key)


def queued_ahead(job: Job) -> int:
    with _LOCK:
        return sum(1 for j in _JOBS.values() if j.active and j is not job and j.queued_at < job.queued_at)


def start_job(key: str, work: Callable[[ProgressFn], Any], kind: str = "audio",
              channels: int | None = None, on_done: Callable[[Job], None] | None = None) -> Job:
    """Run ``work(report)`` on the worker thread, unless a job with this key is already active;
    ``report(stage, fraction)`` is the pipeline's progress (``CallbackProgress(report)``)."""
    with _LOCK:
        job = _JOBS.get(key)
        if job is not None and job.active:
            return job
        job = Job(key=key, tracker=StageTracker(kind, channels))
        _JOBS[key] = job

    def record(name: str, fraction: float) -> None:
        job.tracker(name, fraction)
        job.log.append((time.monotonic(), name, job.tracker.overall()))

    def run() -> None:
        job.state, job.started_at = "running", time.monotonic()
        try:
            job.result = work(record)
            job.tracker.finish()
            job.state = "done"
        except BaseException as e:  # a failed analysis is shown, never raised into the page
            job.error = plain_error(e)
            job.detail_trace = traceback.format_exc()  # type: ignore[attr-defined]
            job.state = "failed"
        finally:
            job.finished_at = time.monotonic()
            if on_done is not None:
                try:
                    on_done(job)
                except Exception:  # the page will show the job's own state
                    pass

    _POOL.submit(run)
    return job


def forget(key: str) -> None:
    with _LOCK:
        job = _JOBS.get(key)
        if job is not None and not job.active:
            del _JOBS[key]


def wait(job: Job, timeout: float = 600.0, poll: float = 0.2) -> Job:
    """Block until the job ends (scripts and tests; the page polls instead)."""
    t_end = time.monotonic() + timeout
    while job.active and time.monotonic() < t_end:
        time.sleep(poll)
    return job
