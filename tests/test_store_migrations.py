"""Alembic: the schema the migrations build equals the models', and a migrated database equals a
fresh one (down to base and up again, with data in it), on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from analyzer.store import open_store
from analyzer.store.db import alembic_config, current_revision, make_engine, sqlite_url, upgrade_to_head
from analyzer.store.models import Base
from test_store_fixtures import CONSENT, FIX, backend, db_url, pg_cluster, store_url  # noqa: F401


def schema(engine) -> dict:
    """Tables -> columns (name, type, nullable), indexes, unique constraints and foreign keys."""
    insp = inspect(engine)
    out = {}
    for t in sorted(insp.get_table_names()):
        out[t] = {
            "columns": sorted((c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(t)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(t)),
            "unique": sorted((u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(t)),
            "fks": sorted((f["name"], tuple(f["constrained_columns"]), f["referred_table"],
                           (f.get("options") or {}).get("ondelete")) for f in insp.get_foreign_keys(t)),
        }
    return out


def _url(tmp_path, name, store_url, request, backend):
    if backend == "sqlite":
        (tmp_path / name).mkdir()
        return sqlite_url(tmp_path / name), None
    return db_url(request, backend)


def test_migrations_match_models(tmp_path, store_url):
    s = open_store(tmp_path / "d", store_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(s.engine) == head
    with s.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    s.close()


def test_fresh_and_migrated_databases_are_the_same(tmp_path, request, backend):
    url_a, clean_a = _url(tmp_path, "a", None, request, backend)
    url_b, clean_b = _url(tmp_path, "b", None, request, backend)
    try:
        fresh = make_engine(url_a)
        upgrade_to_head(fresh)
        # The other: every revision in turn, with data in it, then down to base and up again.
        migrated = make_engine(url_b)
        revs = [r.revision for r in reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions()))]
        upgrade_to_head(migrated, revs[0])
        with migrated.begin() as c:
            c.execute(text("INSERT INTO users (username, role, is_local, keep_audio, created_at) "
                           "VALUES ('ann', 'clinician', false, true, CURRENT_TIMESTAMP)"))
        for r in revs[1:]:
            upgrade_to_head(migrated, r)
        with migrated.connect() as c:
            assert c.execute(text("SELECT username FROM users")).scalar() == "ann"  # data survives upgrades
        from alembic import command

        cfg = alembic_config()
        with migrated.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert [t for t in inspect(migrated).get_table_names() if t != "alembic_version"] == []
        upgrade_to_head(migrated)
        assert schema(fresh) == schema(migrated)
        assert current_revision(fresh) == current_revision(migrated)
        fresh.dispose()
        migrated.dispose()
    finally:
        for c in (clean_a, clean_b):
            if c:
                c()


def test_open_is_idempotent_and_concurrent_safe(tmp_path, store_url):
    """Opening twice (two processes starting at once is the same code path) migrates once."""
    import threading

    errors = []

    def opener():
        try:
            open_store(tmp_path / "d", store_url).close()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=opener) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []
    s = open_store(tmp_path / "d", store_url)
    with s.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    s.close()


def test_open_waits_while_another_process_creates_the_database(tmp_path):
    """SQLite refuses the switch to WAL at once, without its busy handler, while another connection
    holds the write lock on the new file: the store must wait for it, not fail with "database is
    locked" (seen in CI as a flaky concurrent-open test)."""
    import sqlite3
    import threading
    import time

    d = tmp_path / "d"
    d.mkdir()
    holder = sqlite3.connect(d / "visits.db", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as a process creating the schema holds it
    holder.execute("CREATE TABLE scratch (x)")
    threading.Timer(0.5, holder.execute, ("COMMIT",)).start()
    t0 = time.monotonic()
    s = open_store(d)
    waited = time.monotonic() - t0
    holder.close()
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    s.close()
    assert waited >= 0.4  # it did wait for the lock
