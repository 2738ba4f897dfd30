"""Errors the store raises; the app and the CLI show them as one line to the user.

``StoreFault`` and its kinds are faults of the store itself (its disk, its files, its server), not
of the user's input: every stored visit is kept, and the message says what to do. ``fault_from``
turns the low-level exception (OSError, sqlite3, psycopg) into one of them, or None when it is
none of these.
"""
from __future__ import annotations

import errno

from ..errors import InputError  # noqa: F401  (re-exported: bad input files)


class StoreError(Exception):
    """Base class for refusals by the store."""


class ConsentRequired(StoreError):
    """No consent record: a visit is never stored or processed without one."""


class AccessDenied(StoreError):
    """The user may not see or change this visit (not theirs, not shared with them)."""


class NotFound(StoreError):
    """No such visit, job or user."""


class StoreFault(StoreError):
    """The store cannot do its work (disk, files, server). Nothing stored was changed by the failed step."""


class StoreFull(StoreFault):
    """No space left where the store writes (its database or audio folder)."""


class StoreReadOnly(StoreFault):
    """The store's files or folder cannot be written (permissions, a read-only disk)."""


class StoreDamaged(StoreFault):
    """The database file is damaged or not a database; it is left exactly as it was."""


class StoreUnavailable(StoreFault):
    """The database cannot be reached or opened (a PostgreSQL server down, a missing folder...)."""


_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
# sqlite3 primary result codes (sqlite_errorcode & 0xff)
_SQLITE = {13: StoreFull, 8: StoreReadOnly, 11: StoreDamaged, 26: StoreDamaged, 14: StoreUnavailable,
           10: StoreUnavailable, 23: StoreReadOnly, 5: StoreUnavailable, 6: StoreUnavailable}
# PostgreSQL SQLSTATE classes / codes
_PG = {"53100": StoreFull, "25006": StoreReadOnly, "42501": StoreReadOnly, "XX001": StoreDamaged,
       "XX002": StoreDamaged, "08": StoreUnavailable, "57P": StoreUnavailable, "53": StoreFull}


def fault_from(exc: BaseException, where: str) -> StoreFault | None:
    """The store fault ``exc`` stands for, with a one-line message naming ``where`` (a path or the
    database), or None when ``exc`` is not a fault of the store (a bug, a bad input...)."""
    orig = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's exception
    if isinstance(orig, StoreFault):
        return orig
    kind, detail = None, str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if isinstance(orig, OSError) and orig.errno is not None:
        if orig.errno in _FULL_ERRNOS:
            kind = StoreFull
        elif orig.errno in _READONLY_ERRNOS:
            kind = StoreReadOnly
        elif orig.errno == errno.EIO:
            kind = StoreUnavailable
        detail = orig.strerror or detail
    elif type(orig).__module__ == "sqlite3" and hasattr(orig, "sqlite_errorcode"):
        kind = _SQLITE.get(orig.sqlite_errorcode & 0xFF)
        if kind is StoreUnavailable and "disk I/O" in detail:
            kind = StoreFull if _disk_looks_full(where) else StoreUnavailable
    elif type(orig).__module__.startswith("psycopg"):
        state = getattr(orig, "sqlstate", None) or ""
        kind = _PG.get(state) or _PG.get(state[:3]) or _PG.get(state[:2])
        if kind is None and not state and type(orig).__name__ == "OperationalError":  # no server answered
            kind = StoreUnavailable
    if kind is None:
        return None
    return kind(message(kind, where, detail))


def message(kind: type, where: str, detail: str) -> str:
    what = {
        StoreFull: f"no space left for the store at {where} ({detail}): every visit stored so far is kept; "
                   "free some space and run the same command again to resume",
        StoreReadOnly: f"the store at {where} cannot be written ({detail}): check that you own it and that the "
                       "disk is not read-only; nothing was changed",
        StoreDamaged: f"the store's database {where} is damaged ({detail}): it was left untouched; restore it "
                      "from a backup, or salvage what is readable with `sqlite3 visits.db .recover`",
        StoreUnavailable: f"the store at {where} cannot be opened ({detail})",
    }
    return what[kind]


def _disk_looks_full(where: str) -> bool:
    """SQLite reports a failed write of its log as a plain I/O error; tell a full disk by its free space."""
    import os
    from pathlib import Path

    p = Path(where)
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        st = os.statvfs(p if p.is_dir() else p.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024
