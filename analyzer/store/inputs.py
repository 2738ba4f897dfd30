"""What a visit is made from, checked before anything is stored: consent, the files, and that the
files hold still while they are read (a recording still being written is not a visit)."""
from __future__ import annotations

import getpass
import os
import re
import time
from datetime import datetime
from pathlib import Path

from ..errors import InputError
from .errors import ConsentRequired
from .records import Consent

# A file modified this recently may still be being written (a recorder, a copy in progress).
SETTLE_S = 2.0
# How long to wait for such a file to hold still before refusing it.
MAX_SETTLE_WAIT_S = 12.0


def check_consent(consent: Consent | None) -> Consent:
    if consent is None:
        raise ConsentRequired("consent must be recorded before a visit is stored or analysed: "
                              "who consented, how, and who confirmed it")
    who, how = (consent.who or "").strip(), (consent.how or "").strip()
    by = (consent.confirmed_by or "").strip()
    missing = [n for n, v in (("who", who), ("how", how), ("confirmed by", by)) if not v]
    if missing:
        raise ConsentRequired(f"consent record incomplete: missing {', '.join(missing)}")
    at = consent.at
    if at is not None and not isinstance(at, datetime):
        raise ConsentRequired("consent time must be a datetime")
    return Consent(who=who[:2000], how=how[:2000], confirmed_by=by[:200], at=at)


def check_paths(paths: list[Path]) -> None:
    if not paths:
        raise InputError(None, "no file given")
    for p in paths:
        if not p.exists():
            raise InputError(p, "file not found")
        if p.is_dir():
            raise InputError(p, "is a folder, not a recording or transcript")


def check_input(paths: list[Path], options: dict | None) -> tuple[dict | None, str, float | None]:
    """Import a transcript (kept as JSON) or probe a recording; InputError for anything unusable."""
    from ..importers import is_transcript_path
    from ..speech import audio as audio_mod

    check_paths(paths)
    if len(paths) > 1 or is_transcript_path(paths[0]):
        from ..runner import VisitInput, analyze

        t = analyze(VisitInput(paths, paths[0].name), until="read transcript")  # the user's name, not a temp path
        return t.to_dict(), "transcript", None
    max_hours = float((options or {}).get("max_hours") or audio_mod.DEFAULT_MAX_HOURS)
    info = audio_mod.probe(paths[0], max_hours=max_hours)
    return None, "audio", info.duration


def snapshot(paths: list[Path]) -> list[tuple[int, int]]:
    """(size, mtime) of each file: taken before and after reading, to see it did not change meanwhile."""
    out = []
    for p in paths:
        try:
            st = p.stat()
        except OSError as e:
            raise InputError(p, f"cannot be read ({e.strerror or e})") from None
        out.append((st.st_size, st.st_mtime_ns))
    return out


def check_unchanged(paths: list[Path], before: list[tuple[int, int]]) -> None:
    for p, b, a in zip(paths, before, snapshot(paths)):
        if a != b:
            raise InputError(p, "changed while it was being read (is it still being written or copied?); "
                                "nothing was stored: add it again once it is complete")


def wait_until_settled(paths: list[Path], settle_s: float = SETTLE_S, max_wait_s: float = MAX_SETTLE_WAIT_S) -> None:
    """Return once the files have held still (size and time) for ``settle_s``; InputError if they
    keep changing for ``max_wait_s`` (a recording still being written)."""
    start = prev = snapshot(paths)
    if (time.time_ns() - max(m for _, m in prev)) / 1e9 >= settle_s:
        return  # untouched for a while: the usual case, no waiting
    t0 = time.monotonic()
    while time.monotonic() - t0 < max_wait_s:
        time.sleep(settle_s)
        cur = snapshot(paths)
        if cur == prev:
            return
        prev = cur
    grew = sum(s for s, _ in prev) - sum(s for s, _ in start)
    raise InputError(paths[0], f"is still being written (it kept changing for {max_wait_s:.0f} s"
                               + (f" and grew by {grew:,} bytes" if grew > 0 else "")
                               + "); skipped: run again once it is finished")


def default_title(paths: list[Path]) -> str:
    """The file name; for a TextGrid pair (X_doctor + X_patient) the visit's name X."""
    stem = paths[0].stem
    return re.sub(r"[_-](doctor|patient)$", "", stem, flags=re.I) if len(paths) > 1 else stem


def default_confirmer() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER", "unknown")
