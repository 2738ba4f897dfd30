"""Visits that last: a database of visits (SQLite in a data folder, or PostgreSQL), audio on disk
by sha256, accounts, sharing with a coach, comments, corrections, consent and analysis jobs.

    store = open_store(Path("~/visits").expanduser())          # or url="postgresql://..."
    me = store.local_user()                                    # or store.authenticate(name, password)
    v = store.create_visit(me, Path("visit.ogg"), Consent("patient J.", "verbal, recorded", "Dr A"))
    run_job(store, v.jobs[0].id)                               # analyzer.store.worker
    store.load_analysis(me, v.id)
"""
from __future__ import annotations

from importlib import import_module

from .paths import ENV_DATA, ENV_DB_URL, default_data_dir

# Names resolved on first use, so importing analyzer.store.paths (the CLI's --help) stays cheap.
_LAZY = {
    "open_store": "api", "Store": "api",
    "AccessDenied": "errors", "ConsentRequired": "errors", "NotFound": "errors", "StoreError": "errors",
    "InputError": "errors", "StoreFault": "errors", "StoreFull": "errors", "StoreReadOnly": "errors",
    "StoreDamaged": "errors", "StoreUnavailable": "errors",
    "Consent": "records", "User": "records", "Visit": "records", "VisitSummary": "records", "Job": "records",
    "Comment": "records", "Correction": "records",
}
__all__ = ["default_data_dir", "ENV_DATA", "ENV_DB_URL", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
