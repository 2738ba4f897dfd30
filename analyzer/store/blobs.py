"""Files on disk under the data folder, named by the sha256 of their content.

Written to a temporary file in the same folder, fsynced, then renamed: a crash never leaves a
half-written file under a real name. Two visits of the same recording share one file.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterable

CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def sha256_files(paths: Iterable[str | Path]) -> str:
    """One hash for several files (a TextGrid pair): the hash of their sorted hashes."""
    hs = sorted(sha256_file(p) for p in paths)
    return hs[0] if len(hs) == 1 else hashlib.sha256("".join(hs).encode()).hexdigest()


def blob_path(folder: Path, sha: str, ext: str) -> Path:
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ValueError(f"not a sha256: {sha!r}")
    ext = ext.lower().lstrip(".")
    if not ext.isalnum() or len(ext) > 10:
        ext = "bin"
    return folder / f"{sha}.{ext}"


def put_file(src: str | Path, folder: Path, sha: str, ext: str) -> tuple[Path, bool]:
    """Copy ``src`` in as ``folder/<sha>.<ext>``; returns (path, created). Verifies the copy's hash.

    The source cannot be read, or changed while it was copied: ``InputError`` naming it. Writing
    fails (a full disk, a read-only folder): the ``OSError`` as raised. No temporary is left."""
    from ..errors import InputError

    dest = blob_path(folder, sha, ext)
    if dest.exists() and sha256_file(dest) == sha:
        return dest, False
    try:
        inp = open(src, "rb")
    except OSError as e:
        raise InputError(src, f"cannot be read ({e.strerror or e})") from None
    with inp:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=folder)
        try:
            _copy(inp, fd, src)
            if sha256_file(tmp) != sha:
                raise InputError(src, "changed while it was being copied (is it still being written?); nothing "
                                      "was stored: add it again once it is complete")
            os.chmod(tmp, 0o600)  # health data: readable by the owner only
            os.replace(tmp, dest)
            _fsync_dir(folder)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
    return dest, True


def _copy(inp, fd: int, src) -> None:
    from ..errors import InputError

    with os.fdopen(fd, "wb") as out:
        while True:
            try:
                chunk = inp.read(CHUNK)
            except OSError as e:
                raise InputError(src, f"cannot be read ({e.strerror or e})") from None
            if not chunk:
                break
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def remove_file(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    _fsync_dir(path.parent)
    return True


def clean_temporaries(folder: Path, older_than: float = 3600.0) -> int:
    """Remove temporaries a killed process left behind (never a finished file; an old one only,
    so a copy another process is making right now is left alone)."""
    import time

    n = 0
    if folder.is_dir():
        for p in folder.glob(".*.tmp"):
            try:
                if time.time() - p.stat().st_mtime > older_than:
                    n += remove_file(p)
            except FileNotFoundError:
                pass
    return n


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
