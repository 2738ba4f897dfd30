"""The store's health: checked on every open, and ``visit-analyzer store check|backup|purge``.

A damaged SQLite database is reported and left exactly as it is: never repaired, migrated or
replaced by a new, empty one (the check reads it through a read-only connection, which does not
even replay its log). A missing or emptied database beside stored recordings is refused for the
same reason: starting afresh there would orphan, and later collect, every recording.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import blobs
from .errors import StoreDamaged, StoreFault, StoreReadOnly, StoreUnavailable, fault_from, message

# A zero-byte visits.db younger than this is a database another process is creating right now.
EMPTY_GRACE_S = 60.0


def recordings_in(audio_dir: Path) -> list[Path]:
    try:
        return [p for p in audio_dir.iterdir() if p.is_file() and not p.name.startswith(".")]
    except OSError:
        return []


def check_before_open(data_dir: Path, sqlite: bool) -> None:
    """Everything that must hold before the store writes a byte: the folder is writable, and (SQLite)
    the database file is a healthy database or absent from a store that holds no recordings."""
    db, audio = data_dir / "visits.db", data_dir / "audio"
    for p in (data_dir, audio, db):
        if p.exists() and not os.access(p, os.W_OK):
            raise StoreReadOnly(message(StoreReadOnly, str(p), "permission denied or a read-only disk"))
    if not sqlite:
        return
    n = len(recordings_in(audio))
    try:
        st = db.stat()
    except FileNotFoundError:
        if n:
            raise StoreDamaged(f"{db} is missing, but {audio} holds {n} recording(s): refusing to start a new, "
                               "empty store over them; restore visits.db from a backup, or move the data "
                               "folder away to start afresh") from None
        return
    if st.st_size == 0:
        if n or time.time() - st.st_mtime > EMPTY_GRACE_S:
            raise StoreDamaged(f"{db} is empty (0 bytes): refusing to create a new database over it; restore it "
                               "from a backup (or, if this store is new and holds nothing, delete the file)")
        return
    problems = quick_check(db)
    if problems:
        raise StoreDamaged(message(StoreDamaged, str(db), "; ".join(problems)[:300]))


def _read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True, timeout=60, check_same_thread=False)


def quick_check(db: Path, full: bool = False) -> list[str]:
    """SQLite's own check of the file's structure ([] = healthy), read-only. ``full`` runs
    integrity_check (also every index against its table), slower. A fault that is not damage
    (a full disk, no permission) raises its StoreFault instead."""
    conn = None
    try:
        conn = _read_only(db)
        rows = conn.execute("PRAGMA integrity_check(20)" if full else "PRAGMA quick_check(20)").fetchall()
    except sqlite3.Error as e:
        code = getattr(e, "sqlite_errorcode", 0) & 0xFF
        if code in (5, 6):  # busy/locked: another process is writing; not damage
            return []
        fault = fault_from(e, str(db))
        if fault is not None and not isinstance(fault, StoreDamaged):
            raise fault from e
        return [str(e)]
    finally:
        if conn is not None:
            conn.close()
    out = [r[0] for r in rows]
    return [] if out == ["ok"] else out


# ---------------------------------------------------------------------- store check / backup


@dataclass
class CheckReport:
    database: str
    problems: list[str] = field(default_factory=list)  # each one line
    visits: int = 0
    recordings: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_store(data_dir: Path, url: str | None = None) -> CheckReport:
    """The database (SQLite: integrity_check) and every recording it refers to (present, and its
    content matches its name). Reads only."""
    from sqlalchemy import select

    from .api import open_store
    from .models import VisitRow

    db = data_dir / "visits.db"
    rep = CheckReport(database=str(db) if url is None else "PostgreSQL")
    if url is None:
        try:
            check_before_open(data_dir, sqlite=True)
        except StoreDamaged as e:
            rep.problems.append(str(e))
            return rep
        if not db.exists():
            rep.problems.append(f"{db} does not exist")
            return rep
        damage = quick_check(db, full=True)
        if damage:
            rep.problems.append(message(StoreDamaged, str(db), "; ".join(damage)[:300]))
            return rep
    store = open_store(data_dir, url, recover=False)
    try:
        with store._tx() as s:
            rows = s.execute(select(VisitRow.id, VisitRow.source_name, VisitRow.media_sha256, VisitRow.media_ext,
                                    VisitRow.audio_deleted_at)).all()
        rep.visits = len(rows)
        for vid, name, sha, ext, gone in rows:
            if not sha or gone is not None:
                continue
            p = blobs.blob_path(store.audio_dir, sha, ext or "bin")
            if not p.exists():
                rep.problems.append(f"visit {vid} ({name}): its recording is missing from {store.audio_dir}")
            elif blobs.sha256_file(p) != sha:
                rep.problems.append(f"visit {vid} ({name}): its recording's content has changed on disk")
            else:
                rep.recordings += 1
    finally:
        store.close()
    return rep


@dataclass
class BackupReport:
    dest: Path
    database: bool  # False: PostgreSQL, back it up with pg_dump
    recordings: int


def backup_store(data_dir: Path, dest: Path, url: str | None = None) -> BackupReport:
    """A consistent copy of the store into the new folder ``dest`` (a data folder of its own:
    ``--data-dir DEST`` opens it): the SQLite database through SQLite's online backup API (safe
    while the app or a batch writes), then every recording. PostgreSQL: recordings only."""
    dest = Path(dest).expanduser()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise FileExistsError(f"{dest} exists and is not an empty folder: a backup never overwrites anything")
    db = data_dir / "visits.db"
    if url is None and not db.exists():
        raise StoreUnavailable(f"{db} does not exist: nothing to back up")
    try:
        (dest / "audio").mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(dest, 0o700)
        if url is None:
            _backup_sqlite(db, dest / "visits.db")
            problems = quick_check(dest / "visits.db", full=True)
            if problems:
                raise StoreDamaged(message(StoreDamaged, str(db), "its copy fails the integrity check: "
                                                                  + "; ".join(problems)[:200]))
        n = 0
        for p in recordings_in(data_dir / "audio"):
            out = dest / "audio" / p.name
            shutil.copyfile(p, out)
            os.chmod(out, 0o600)
            n += 1
    except OSError as e:
        fault = fault_from(e, str(dest))
        raise (fault or e) from e
    return BackupReport(dest=dest, database=url is None, recordings=n)


def _backup_sqlite(src: Path, out: Path) -> None:
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # health data: owner only
    os.close(fd)
    source = _read_only(src)
    target = sqlite3.connect(out)
    try:
        source.backup(target, pages=256, sleep=0.05)  # steps: writers are not blocked for long
        target.execute("PRAGMA journal_mode=WAL").fetchone()
    except sqlite3.Error as e:
        fault = fault_from(e, str(out))
        if isinstance(fault, StoreFault):
            raise fault from e
        raise StoreDamaged(message(StoreDamaged, str(src), str(e))) from e
    finally:
        target.close()
        source.close()
