"""Where a full error report goes when something unexpected happens: the user sees one line
naming this file, never a traceback. The log stays on this machine, in the user's state folder."""
from __future__ import annotations

import datetime as dt
import os
import traceback
from pathlib import Path

ENV_LOG = "VISIT_ANALYZER_LOG"


def log_path() -> Path:
    if os.environ.get(ENV_LOG):
        return Path(os.environ[ENV_LOG]).expanduser()
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "visit-analyzer" / "errors.log"


def append_private(path: Path, text: str) -> bool:
    """Append to a log readable by its owner only (a traceback's values, a file name, may be
    health data); False when it cannot be written (full, read-only)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(text)
        return True
    except OSError:
        return False


def log_exception(exc: BaseException, context: str = "") -> Path | None:
    """Append the traceback to the error log; returns its path (None if it cannot be written)."""
    p = log_path()
    entry = f"--- {dt.datetime.now().isoformat(timespec='seconds')} {context}\n" + "".join(traceback.format_exception(exc))
    return p if append_private(p, entry) else None


def one_line(exc: BaseException, context: str = "") -> str:
    """'internal error (Type: message); full report in PATH' — for the last resort of an entry point."""
    p = log_exception(exc, context)
    msg = str(exc).splitlines()[0][:200] if str(exc) else ""
    where = f"; the full report is in {p}" if p else ""
    return f"internal error ({type(exc).__name__}{': ' + msg if msg else ''}){where}. Please report it."
