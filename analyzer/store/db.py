"""Engines for SQLite (default, a file in the data folder) and PostgreSQL, and Alembic upgrades.

SQLite runs in WAL mode with a busy timeout and every transaction taken with BEGIN IMMEDIATE, so
two processes writing at once wait for each other instead of failing; foreign keys are enforced
(ON DELETE CASCADE); deleted rows are overwritten (secure_delete) and the log truncated after a
delete (``purge_deleted``). PostgreSQL URLs use the psycopg 3 driver.
"""
from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_TIMEOUT_S = 60
_PG_MIGRATION_LOCK = 0x5649_5349  # pg_advisory_xact_lock key: one migrator at a time


def normalise_url(url: str) -> str:
    """'postgres://…' and 'postgresql://…' -> the psycopg 3 driver; anything else as given."""
    u = make_url(url)
    if u.drivername in ("postgres", "postgresql"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{(Path(data_dir) / 'visits.db').resolve()}"


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        _owner_only(make_url(url).database)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
        _sqlite_setup(engine)
        return engine
    if not url.startswith("postgresql"):
        raise ValueError(f"unsupported database URL {make_url(url).render_as_string()}: use sqlite:/// or postgresql://")
    return create_engine(url, pool_pre_ping=True)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        _wal_mode(cur)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")  # a committed state change survives power loss
        cur.execute("PRAGMA secure_delete=ON")  # deleted health data is overwritten, not left in free pages
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # IMMEDIATE: take the write lock up front (waiting up to the busy timeout), so a
        # read-then-write transaction never fails half-way with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _wal_mode(cur) -> None:
    """Switch the file to WAL (persistent, so once per file). While another connection holds the
    write lock on a new, not-yet-WAL file (a second process opening the store as the first creates
    it), SQLite answers the switch with "database is locked" at once, without its busy handler; so
    wait and retry here, up to the same busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.01
    while True:
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction (idempotent; safe with concurrent opens)."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


PURGE_WAIT_S = 5.0  # how long a delete waits for another process's read to end before reporting it


@dataclass
class PurgeResult:
    """Whether a delete is complete on disk: no byte of the deleted rows left in the database's files."""

    complete: bool
    holders: list[str] = field(default_factory=list)  # "pid 123 (streamlit run app.py)" keeping old pages
    note: str = ""

    def describe(self) -> str:
        if self.complete:
            return "complete on disk: the database file was rewritten without it and its log emptied"
        if self.note:
            return self.note
        who = f" (the store is open in: {'; '.join(self.holders)})" if self.holders else ""
        return ("not yet complete on disk: another process is in a read that began before the delete"
                f"{who}, so the deleted text stays in visits.db until that read ends; run "
                "`visit-analyzer store purge` once it has finished (or the process closed) to complete it")


def purge_deleted(engine: Engine, wait_s: float = PURGE_WAIT_S) -> PurgeResult:
    """After a delete: in WAL mode the write-ahead log still holds copies of the pages as they
    were before, and the database file keeps the old pages until the log is copied back. Copy
    the log into the database and truncate it (secure_delete has zeroed the freed space), so
    nothing of a deleted visit stays on disk. A read another process began before the delete
    pins the old pages: wait ``wait_s`` for it, then report who holds it."""
    if engine.dialect.name != "sqlite":
        return PurgeResult(False, note="PostgreSQL keeps the deleted rows' bytes in its files until its vacuum "
                                       "reuses the space; run VACUUM on the database to speed that up")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(wait_s * 1000)}")
        try:
            busy, log, _ = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    finally:
        raw.close()
    if busy == 0 and log <= 0:
        return PurgeResult(True)
    return PurgeResult(False, holders=processes_holding(Path(engine.url.database)))


def processes_holding(db: Path) -> list[str]:
    """Other processes on this machine with the database (or its log) open, read from /proc."""
    names = {str(db.resolve()), str(db.resolve()) + "-wal"}
    out = []
    for d in Path("/proc").glob("[0-9]*"):
        if int(d.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd) in names for fd in (d / "fd").iterdir()):
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                out.append(f"process {d.name} ({cmd[:80]})")
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return out


def _owner_only(database: str | None) -> None:
    """The database holds health data: its file is the owner's only (0600), whatever the umask or
    the mode of a folder made beforehand; SQLite gives its -wal and -shm files the database
    file's mode. An existing file is tightened if we may; one we cannot change is left to SQLite."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError:
        return
    for p in (database, database + "-wal", database + "-shm"):
        try:
            if os.stat(p).st_mode & 0o077:
                os.chmod(p, 0o600)
        except OSError:
            pass
