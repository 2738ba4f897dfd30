"""The app's error log: what a page could not do, with the traceback, kept on this machine for
whoever runs the app. The page itself shows one line and a reference into this file, never a
traceback (it names source paths and, in an exception's message, possibly health data)."""
from __future__ import annotations

import secrets
import traceback
from datetime import datetime, timezone
from pathlib import Path

LOG_NAME = "app-errors.log"


def log_path(data_dir: str | Path | None) -> Path:
    base = Path(data_dir) if data_dir else Path.home()
    return base / "logs" / LOG_NAME


def record(data_dir: str | Path | None, where: str, exc: BaseException) -> tuple[str, Path | None]:
    """Append the failure to the log; returns (reference, log file or None if it cannot be written)."""
    ref = secrets.token_hex(4)
    path = log_path(data_dir)
    entry = (f"--- {datetime.now(timezone.utc).isoformat(timespec='seconds')} ref {ref} in {where}\n"
             + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    from ..crashlog import append_private

    return ref, (path if append_private(path, entry) else None)


def one_line(exc: BaseException) -> str:
    """The exception's kind in plain words (never its message, which may quote user input)."""
    if isinstance(exc, MemoryError):
        return "the machine ran out of memory"
    if isinstance(exc, OSError):
        return "a file or the disk could not be used"
    name = type(exc).__name__
    if "Database" in name or "Operational" in name or "Integrity" in name:
        return "the visit store could not be read or written"
    return f"an internal error ({name})"
