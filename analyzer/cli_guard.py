"""One line, never a traceback: how the store's commands (batch, users, visits, store) end.

``guarded(data_dir, fn)`` runs a command; whatever escapes it becomes one line on standard error
and an exit code, and the full story (the traceback, and anything logged meanwhile) goes to a log
file, named in that line: ``<data dir>/logs/visit-analyzer.log`` (0600), or a file in the temporary
error log (analyzer.crashlog) when the data folder cannot take it (full, read-only).

Exit codes: 2 bad input or usage, 4 the store cannot be used (full, read-only, damaged,
unreachable), 1 an internal error (a bug), 130 interrupted.
"""
from __future__ import annotations

import logging
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import Callable

from .errors import InputError, ModelError

EXIT_INTERNAL, EXIT_INPUT, EXIT_MODEL, EXIT_STORE, EXIT_INTERRUPTED = 1, 2, 3, 4, 130
LOG_NAME = "visit-analyzer.log"


class _Buffer(logging.Handler):
    """Keeps what is logged during the command; written out only if something went wrong (a
    command that succeeds leaves no file, and creates no data folder)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def write_log(data_dir: Path | None, lines: list[str]) -> Path | None:
    """Append ``lines`` to the data folder's log (else the user's error log); returns the file, or None."""
    text = "\n".join([f"--- {datetime.now().isoformat(timespec='seconds')} {' '.join(sys.argv)}", *lines]) + "\n"
    from .crashlog import append_private, log_path

    cands = [data_dir / "logs" / LOG_NAME] if data_dir is not None else []
    cands.append(log_path())
    return next((path for path in cands if append_private(path, text)), None)


def guarded(data_dir: Path | None, fn: Callable[[], int]) -> int:
    """Run ``fn`` (a command's body, returning its exit code) so that nothing escapes as a traceback."""
    from .store.errors import StoreError, StoreFault

    buf = _Buffer()
    root = logging.getLogger("analyzer")
    root.addHandler(buf)
    old_level = root.level
    root.setLevel(logging.INFO)
    code, line, trace = 0, None, None
    try:
        code = fn()
    except InputError as e:
        code, line = EXIT_INPUT, f"error: {e}"
    except ModelError as e:
        code, line = EXIT_MODEL, f"error: {e}"
    except StoreFault as e:
        code, line, trace = EXIT_STORE, f"error: {e}", traceback.format_exc()
    except (KeyError, IndexError) as e:  # never a refusal the store words for the user: a bug
        code, line, trace = EXIT_INTERNAL, f"error: internal error ({type(e).__name__}: {e})", traceback.format_exc()
    except (StoreError, ValueError, LookupError, FileExistsError) as e:  # refusals worded for the user
        code, line = EXIT_INPUT, f"error: {e}"
    except KeyboardInterrupt:
        code, line = EXIT_INTERRUPTED, "interrupted: what was finished is stored; run the same command again to resume"
    except Exception as e:  # a bug: one line here, the whole trace in the log
        code, line, trace = EXIT_INTERNAL, f"error: internal error ({type(e).__name__}: {e})", traceback.format_exc()
    finally:
        root.removeHandler(buf)
        root.setLevel(old_level)
    if trace is None and not any(" ERROR " in x for x in buf.lines):  # a plain refusal: nothing to log
        if line:
            print(line, file=sys.stderr)
        return code
    log = write_log(data_dir, buf.lines + ([line] if line else []) + ([trace] if trace else []))
    where = f"the full log is in {log}" if log else "no log could be written"
    print(f"{line} ({where})" if line else f"details of the failures above: {where}", file=sys.stderr)
    return code
