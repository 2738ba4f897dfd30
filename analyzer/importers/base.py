"""The interface every transcript importer implements, and the helpers they share.

An importer is a small class (one module per format, like Presidio recognizers) with:

- ``format``      short name stored in ``Transcript.source["format"]``
- ``extensions``  lower-case file suffixes it owns (".vtt")
- ``max_bytes``   size limit; larger files are refused before they are read
- ``sniff(text)`` True when the content carries the format's own signature
- ``parse(text, path)`` the decoded text -> ``Transcript`` (raise ``InputError`` on bad input)

``load(path)`` reads the file safely (size, binary, encoding checks) and finishes the transcript
the same way for every format (source, sort, speakers). The dispatcher lives in ``__init__``.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import ClassVar

from ..errors import InputError
from ..model import Speaker, Transcript
from ..records import Source

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MB

# Signatures of files people may pass by mistake (audio, video, documents, archives).
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"RIFF", 0, "a WAV/RIFF audio file"),
    (b"ID3", 0, "an MP3 audio file"),
    (b"fLaC", 0, "a FLAC audio file"),
    (b"OggS", 0, "an Ogg audio file"),
    (b"ftyp", 4, "an MP4/M4A media file"),
    (b"\x1aE\xdf\xa3", 0, "a WebM/Matroska media file"),
    (b"PK\x03\x04", 0, "a ZIP archive (or a .docx/.xlsx document)"),
    (b"%PDF", 0, "a PDF document"),
    (b"\xd0\xcf\x11\xe0", 0, "an old Microsoft Office document"),
    (b"{\\rtf", 0, "an RTF document (save it as plain text)"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"ooBinaryFile", 0, "a binary Praat file (save it as a text file in Praat)"),
)


class Importer:
    """Base class: subclasses set the class attributes and implement ``parse``."""

    format: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    max_bytes: ClassVar[int] = DEFAULT_MAX_BYTES

    def sniff(self, text: str) -> bool:  # pragma: no cover - overridden
        return False

    def parse(self, text: str, path: Path) -> Transcript:  # pragma: no cover - overridden
        raise NotImplementedError

    def load(self, path: str | Path) -> Transcript:
        """Read ``path`` (size, binary and encoding checks) and import it."""
        path = Path(path)
        text, warnings = read_text(path, self.max_bytes)
        return self.from_text(text, path, warnings)

    def from_text(self, text: str, path: Path, warnings: list[str] | tuple = ()) -> Transcript:
        """Import already-decoded text; ``path`` is only used for messages and ``source``."""
        t = self.parse(text, path)
        t.warnings[:0] = list(warnings)
        return finish(t, self.format, path)


# --------------------------------------------------------------------------- reading files


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[str, list[str]]:
    """Read a text file of unknown encoding. Returns (text, warnings); InputError when it isn't text."""
    try:
        if not path.exists():
            raise InputError(path, "file not found")
        if path.is_dir():
            raise InputError(path, "is a folder, not a transcript file")
        with open(path, "rb") as f:
            _check_magic(f.read(16), path)
            size = path.stat().st_size
            if size > max_bytes:
                raise InputError(path, f"file is too large for a transcript ({size / MB:.1f} MB; the limit is "
                                       f"{max_bytes / MB:.0f} MB)")
            f.seek(0)
            data = f.read(max_bytes + 1)
    except InputError:
        raise
    except PermissionError:
        raise InputError(path, "cannot be read (permission denied)") from None
    except OSError as e:
        raise InputError(path, f"cannot be read ({e.strerror or e})") from None
    if len(data) > max_bytes:  # grew while we looked
        raise InputError(path, f"file is too large for a transcript (limit {max_bytes / MB:.0f} MB)")
    text, warnings = decode(data, path)
    if not text.strip():
        raise InputError(path, "file is empty")
    return text, warnings


def decode(data: bytes, path: Path | None = None) -> tuple[str, list[str]]:
    """Bytes -> text: UTF-8 (with or without BOM), UTF-16 (BOM or clear NUL pattern), then
    Windows-1252/Latin-1 only when the result clearly reads as text."""
    if not data.strip():
        raise InputError(path, "file is empty")
    _check_magic(data[:16], path)
    candidates: list[tuple[str, str]] = []
    if data[:3] == b"\xef\xbb\xbf":
        candidates.append(("utf-8-sig", ""))
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates.append(("utf-16", ""))
    else:
        # UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte (also valid UTF-8!)
        nul_even, nul_odd = data[0::2].count(0), data[1::2].count(0)
        half = max(1, len(data) // 2)
        if nul_odd > 0.3 * half and nul_even < 0.05 * half:
            candidates.append(("utf-16-le", ""))
        elif nul_even > 0.3 * half and nul_odd < 0.05 * half:
            candidates.append(("utf-16-be", ""))
        candidates.append(("utf-8", ""))
        if 0 not in data:
            candidates.append(("cp1252", "file is not UTF-8; it was read as Windows-1252/Latin-1, so check "
                                         "accented letters"))
            candidates.append(("latin-1", "file is not UTF-8; it was read as Latin-1, so check accented letters"))
    for enc, warning in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        text = text.lstrip("\ufeff")
        if _looks_like_text(text) and (not warning or _mostly_ascii(text)):
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            return text, [warning] if warning else []
    if 0 in data[:4096] or not _looks_like_text(data[:4096].decode("latin-1")):
        raise InputError(path, "looks like a binary file, not a text transcript")
    raise InputError(path, "is not UTF-8 text (save the transcript as UTF-8)")


def _check_magic(head: bytes, path: Path | None) -> None:
    for magic, offset, what in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            raise InputError(path, f"this is {what}, not a transcript")


def _mostly_ascii(text: str) -> bool:
    """A legacy 8-bit reading is only believable for mostly-ASCII text with some accents."""
    sample = [c for c in text[:200_000] if not c.isspace()]
    return bool(sample) and sum(1 for c in sample if ord(c) > 127) <= 0.2 * len(sample)


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    bad = 0
    for ch in text[:200_000]:
        if ch in "\t\n\r\f":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs", "Co", "Cn") or ch == "\ufffd":
            bad += 1
    return bad <= max(0, len(text[:200_000]) // 1000)  # tolerate a stray control character or two


# --------------------------------------------------------------------------- building transcripts


def finish(t: Transcript, fmt: str, path: Path | list[Path], extra_source: dict | None = None) -> Transcript:
    """What every importer does last: source, time order (only when every utterance is timed), speakers."""
    first = path[0] if isinstance(path, list) else path
    if not t.utterances:
        raise InputError(first, "no utterances found in the transcript")
    t.source = Source.from_dict({"kind": "transcript", "format": fmt, "file": str(first), **(extra_source or {})})
    t.sort()
    t.ensure_speakers()
    return t


# Times written as [h:]mm:ss[.fff] or [h:]mm:ss[,fff] (SRT).
TIME_RE = r"\d{1,3}:\d{1,2}(?::\d{1,2})?(?:[.,]\d{1,3})?"


def parse_clock(s: str) -> float:
    """'01:02:03.5', '1:02', '00:01:02,500' -> seconds. ValueError on nonsense (minutes >= 60...)."""
    s = s.strip().replace(",", ".")
    if not re.fullmatch(r"\d+(?::\d+){1,2}(?:\.\d+)?", s):
        raise ValueError(f"{s!r} is not a time")
    frac = 0.0
    if "." in s:
        s, f = s.split(".", 1)
        frac = float("0." + f)
    parts = [int(p) for p in s.split(":")]
    if any(p >= 60 for p in parts[1:]):
        raise ValueError(f"{s!r} has minutes or seconds of 60 or more")
    secs = 0
    for p in parts:
        secs = secs * 60 + p
    return secs + frac


def fmt_clock(t: float) -> str:
    h, rem = divmod(t, 3600)
    m, s = divmod(rem, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


def slug(label: str) -> str:
    """'Dr. Smith' -> 'dr_smith'; ASCII only; '' when nothing usable is left."""
    s = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")[:40].strip("_")


class SpeakerBook:
    """Maps the labels found in an input to speakers with roles (see ``labels.role_for_label``)."""

    def __init__(self) -> None:
        self.speakers: dict[str, Speaker] = {}
        self._by_label: dict[str, str] = {}

    def get(self, label: str, role: str | None = None) -> Speaker:
        """Speaker for ``label``; ``role`` overrides the label's own role (e.g. from a file name)."""
        from .labels import role_for_label

        label = " ".join(label.split())
        key = label.casefold()
        if key in self._by_label:
            return self.speakers[self._by_label[key]]
        sid = slug(label) or f"speaker_{len(self.speakers) + 1}"
        if sid in self.speakers:  # same slug from a different spelling ("Dr. Smith" / "Dr Smith")
            self._by_label[key] = sid
            return self.speakers[sid]
        if role is None:
            role, recognised = role_for_label(label)
        else:
            recognised = True
        sp = Speaker(id=sid, role=role, role_confidence=1.0 if recognised else 0.0,
                     role_source="input" if recognised else "auto", label=label)
        self.speakers[sid] = sp
        self._by_label[key] = sid
        return sp
