"""open_store and the Store class (the store's public entry points; see the package docstring)."""
from __future__ import annotations

import os
from pathlib import Path

from .accounts import AccountsMixin
from .audit import AuditMixin
from .coach import CoachMixin
from .core import CoreStore
from .jobs import JobsMixin
from .errors import StoreUnavailable, fault_from, message
from .paths import ENV_DB_URL, default_data_dir


class Store(AccountsMixin, AuditMixin, JobsMixin, CoachMixin, CoreStore):
    """See the package docstring; every method checks the user's access in the database."""

    def __repr__(self) -> str:
        return f"<Store {self.engine.url.render_as_string()} data={self.data_dir}>"


def open_store(data_dir: str | Path | None = None, url: str | None = None, recover: bool = True) -> Store:
    """Open (creating if needed) the store: check it, migrate the schema to head, mark jobs whose
    worker is gone as interrupted. ``url`` (or $VISIT_ANALYZER_DB_URL) picks PostgreSQL; audio always
    stays under ``data_dir``. A store that cannot be used raises a StoreFault (full, read-only,
    damaged, unavailable) with a one-line message, and is left as it was."""
    from sqlalchemy.exc import DBAPIError

    from .db import make_engine, sqlite_url, upgrade_to_head
    from .maintenance import check_before_open

    data_dir = Path(data_dir).expanduser() if data_dir else default_data_dir()
    url = url or os.environ.get(ENV_DB_URL) or None
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        (data_dir / "audio").mkdir(exist_ok=True, mode=0o700)
    except OSError as e:
        raise (fault_from(e, str(data_dir)) or StoreUnavailable(message(StoreUnavailable, str(data_dir), str(e)))) from e
    check_before_open(data_dir, sqlite=url is None)
    engine = make_engine(url or sqlite_url(data_dir))  # SQLite: the file made or tightened to 0600
    where = str(data_dir / "visits.db") if url is None else engine.url.render_as_string(hide_password=True)
    try:
        upgrade_to_head(engine)
        store = Store(engine, data_dir)
        if recover:
            store.recover_interrupted()
            store.collect_garbage()
    except (DBAPIError, OSError) as e:
        engine.dispose()
        fault = fault_from(e, where)
        if fault is None:
            raise
        raise fault from e
    return store
