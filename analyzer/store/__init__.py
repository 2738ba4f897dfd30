"""Visits that last: a database of visits (SQLite in a data folder, or PostgreSQL), audio on disk
by sha256, accounts, sharing with a coach, comments, corrections, consent and analysis jobs.

    store = open_store(Path("~/visits").expanduser())          # or url="postgresql://..."
    me = store.local_user()                                    # or store.authenticate(name, password)
    v = store.create_visit(me, Path("visit.ogg"), Consent("patient J.", "verbal, recorded", "Dr A"))
    run_job(store, v.jobs[0].id)                               # analyzer.store.worker
    store.load_analysis(me, v.id)
"""
from __future__ import annotations

import os
from pathlib import Path

from .coach import CoachMixin
from .core import CoreStore
from .errors import AccessDenied, ConsentRequired, InputError, NotFound, StoreError
from .jobs import JobsMixin
from .records import Comment, Consent, Correction, Job, User, Visit, VisitSummary

ENV_DATA = "VISIT_ANALYZER_DATA"
ENV_DB_URL = "VISIT_ANALYZER_DB_URL"

__all__ = ["open_store", "Store", "default_data_dir", "Consent", "User", "Visit", "VisitSummary", "Job",
           "Comment", "Correction", "AccessDenied", "ConsentRequired", "NotFound", "StoreError", "InputError"]


class Store(JobsMixin, CoachMixin, CoreStore):
    """See the module docstring; every method checks the user's access in the database."""

    def __repr__(self) -> str:
        return f"<Store {self.engine.url.render_as_string()} data={self.data_dir}>"


def default_data_dir() -> Path:
    """$VISIT_ANALYZER_DATA, else $XDG_DATA_HOME/visit-analyzer (~/.local/share/visit-analyzer)."""
    if os.environ.get(ENV_DATA):
        return Path(os.environ[ENV_DATA]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "visit-analyzer"


def open_store(data_dir: str | Path | None = None, url: str | None = None, recover: bool = True) -> Store:
    """Open (creating if needed) the store: migrate the schema to head, mark jobs whose worker
    is gone as interrupted. ``url`` (or $VISIT_ANALYZER_DB_URL) picks PostgreSQL; audio always
    stays under ``data_dir``."""
    from .db import make_engine, sqlite_url, upgrade_to_head

    data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (data_dir / "audio").mkdir(exist_ok=True, mode=0o700)
    url = url or os.environ.get(ENV_DB_URL) or sqlite_url(data_dir)
    engine = make_engine(url)
    upgrade_to_head(engine)
    store = Store(engine, data_dir)
    if recover:
        store.recover_interrupted()
        store.collect_garbage()
    return store
