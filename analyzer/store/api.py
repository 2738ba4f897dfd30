"""open_store and the Store class (the store's public entry points; see the package docstring)."""
from __future__ import annotations

import os
from pathlib import Path

from .accounts import AccountsMixin
from .audit import AuditMixin
from .coach import CoachMixin
from .core import CoreStore
from .jobs import JobsMixin
from .paths import ENV_DB_URL, default_data_dir


class Store(AccountsMixin, AuditMixin, JobsMixin, CoachMixin, CoreStore):
    """See the package docstring; every method checks the user's access in the database."""

    def __repr__(self) -> str:
        return f"<Store {self.engine.url.render_as_string()} data={self.data_dir}>"


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
