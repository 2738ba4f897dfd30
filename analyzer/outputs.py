"""Outputs never touch inputs, and appear only when the whole run succeeded.

``check_outputs`` is called before any work: every output path is resolved and refused when it
is an input (same path by another spelling, a symlink or a hard link: ``os.path.samefile``),
a folder, repeated, or in a folder that cannot be created or written. ``write_all`` writes every
output to a temporary file beside it and renames them into place only once all are written.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _existing_ancestor(p: Path) -> Path:
    for parent in p.parents:
        if parent.exists():
            return parent
    return Path(p.anchor or ".")


def check_outputs(outputs: dict[str, str | None], inputs: list[str]) -> list[str]:
    """Problems with the output paths, one line each (empty: all fine). ``outputs``: flag -> path."""
    problems: list[str] = []
    seen: dict[Path, str] = {}
    for flag, out in outputs.items():
        if not out:
            continue
        p = Path(out).expanduser()
        clash = next((i for i in inputs if Path(i).exists() and p.exists() and _same_file(p, Path(i))), None)
        if clash is None:
            clash = next((i for i in inputs if Path(i).expanduser().resolve() == p.resolve()), None)
        if clash is not None:
            problems.append(f"{flag} {out}: is the input {clash}; an output never replaces an input "
                            "(choose another file name)")
            continue
        if p.resolve() in seen:
            problems.append(f"{flag} {out}: the same file as {seen[p.resolve()]}; give each output its own name")
            continue
        seen[p.resolve()] = flag
        if p.is_dir():
            problems.append(f"{flag} {out}: is a folder; give a file name")
            continue
        parent = p.parent if p.parent.exists() else _existing_ancestor(p)
        if not parent.is_dir():
            problems.append(f"{flag} {out}: cannot create a folder there ({parent} is a file)")
        elif not os.access(parent, os.W_OK | os.X_OK):
            problems.append(f"{flag} {out}: the folder {parent} is not writable")
        elif p.exists() and not os.access(p, os.W_OK):
            problems.append(f"{flag} {out}: the file exists and is not writable")
    return problems


def write_all(files: dict[str, bytes]) -> None:
    """Write every file beside its destination, then rename all into place; on any failure no
    destination is touched and the temporary files are removed."""
    staged: list[tuple[str, Path]] = []
    try:
        for dest, data in files.items():
            d = Path(dest).expanduser()
            d.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{d.name}.", suffix=".tmp", dir=d.parent)
            staged.append((tmp, d))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, d in staged:
            os.replace(tmp, d)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
