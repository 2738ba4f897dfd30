"""Fixtures shared by the store tests: a store on SQLite and on a real, throw-away PostgreSQL.

PostgreSQL comes from Debian's packages (initdb/pg_ctl, see tests/pgcluster.py). Without
it the PostgreSQL half of the tests is skipped on a developer's machine, but FAILS in CI (CI=true).
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from analyzer.store import Consent, open_store

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "transcripts"
DATA = ROOT / "tests" / "data"
BACKENDS = ["sqlite", "postgresql"]
CONSENT = Consent(who="the patient (synthetic test visit)", how="verbal, at the start of the recording",
                  confirmed_by="test clinician")


@pytest.fixture(scope="session")
def pg_cluster():
    from pgcluster import PostgresMissing, TempCluster

    try:
        cluster = TempCluster().start()
    except (PostgresMissing, OSError) as e:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"PostgreSQL is required in CI: {e}")
        pytest.skip(f"PostgreSQL not available: {e}")
    yield cluster
    cluster.stop()


def db_url(request, backend: str) -> tuple[str | None, callable]:
    """(url, cleanup) for a fresh database of this backend (None = SQLite in the data folder)."""
    if backend == "sqlite":
        return None, lambda: None
    cluster = request.getfixturevalue("pg_cluster")
    name = "t_" + uuid.uuid4().hex[:12]
    return cluster.create_database(name), lambda: cluster.drop_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def store_url(request, backend):
    url, cleanup = db_url(request, backend)
    yield url
    cleanup()


@pytest.fixture
def store(tmp_path, store_url):
    s = open_store(tmp_path / "data", store_url)
    yield s
    s.close()


def db_counts(store, visit_id: int) -> dict[str, int]:
    """Rows that refer to a visit, table by table, read with plain SQL (not through the store)."""
    from sqlalchemy import text

    out = {}
    with store.engine.connect() as c:
        out["visits"] = c.execute(text("SELECT count(*) FROM visits WHERE id = :v"), {"v": visit_id}).scalar()
        for t in ("transcripts", "analyses", "shares", "comments", "corrections", "jobs"):
            out[t] = c.execute(text(f"SELECT count(*) FROM {t} WHERE visit_id = :v"), {"v": visit_id}).scalar()
    return out
