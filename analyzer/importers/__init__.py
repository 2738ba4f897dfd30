"""Import transcripts a coach may already have, as ``analyzer.model.Transcript``.

One small importer per format (``base.Importer`` interface) and this dispatcher, which picks one by file
extension and, for ``.txt`` or unknown extensions, by content:

    JSON      .json       our own Transcript JSON                          (json_format.py)
    Text      .txt        "Doctor: ..." / "[doctor] ..." turns              (text.py)
    WebVTT    .vtt        cues with <v Name> voice tags or "Name:" prefixes (subtitles.py)
    SRT       .srt        cues with "Name:" / "[Name]" prefixes             (subtitles.py)
    TextGrid  .TextGrid   Praat interval tiers; a _doctor/_patient pair     (textgrid.py)

Utterances keep the input's boundaries and order (sorted by time only when every one is timed); every
problem with the input is an ``InputError`` naming the file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import InputError
from ..model import Transcript
from .base import DEFAULT_MAX_BYTES, Importer, read_text
from .json_format import JsonImporter
from .subtitles import SrtImporter, VttImporter
from .text import TextImporter
from .textgrid import TextGridImporter, find_partner, side_of

__all__ = ["IMPORTERS", "TRANSCRIPT_EXTENSIONS", "Importer", "importer_for", "is_transcript_path", "load_transcript"]

# Content sniffing order for files whose extension does not decide: strongest signatures first.
IMPORTERS: tuple[Importer, ...] = (TextGridImporter(), VttImporter(), SrtImporter(), JsonImporter(), TextImporter())
_BY_EXT = {ext: imp for imp in IMPORTERS for ext in imp.extensions}
_GENERIC = (".txt", ".text")  # extensions that may hide another format (a .txt that is really WEBVTT)
TRANSCRIPT_EXTENSIONS: tuple[str, ...] = tuple(sorted(_BY_EXT))
_TEXTGRID = _BY_EXT[".textgrid"]


def is_transcript_path(path: str | Path) -> bool:
    """True when ``path`` has a transcript extension (case-insensitive); audio and anything else -> False."""
    return Path(path).suffix.lower() in TRANSCRIPT_EXTENSIONS


def importer_for(path: str | Path, text: str | None = None) -> Importer:
    """The importer for ``path``: by a specific extension, else by sniffing ``text``, else plain text."""
    ext = Path(path).suffix.lower()
    if ext in _BY_EXT and ext not in _GENERIC:
        return _BY_EXT[ext]
    if text is not None:
        for imp in IMPORTERS:
            if imp.sniff(text):
                return imp
    return _BY_EXT[".txt"]


def load_transcript(paths: str | Path | Iterable[str | Path]) -> Transcript:
    """Import one transcript file, or a pair of TextGrids (two paths, or one ``_doctor``/``_patient``
    TextGrid whose partner sits beside it). Raises ``InputError`` (file and reason) on any bad input."""
    if isinstance(paths, (str, Path)):
        plist = [Path(paths)]
    else:
        try:
            plist = [Path(p) for p in paths]
        except TypeError:
            raise InputError(None, "expected a transcript path or a list of paths") from None
    if not plist:
        raise InputError(None, "no transcript file given")
    try:
        return _load(plist)
    except InputError:
        raise
    except Exception as e:  # a bug, not the user's fault: still one line, never a traceback
        raise InputError(plist[0], f"could not be imported ({type(e).__name__}: {e}); this is a bug in "
                                   "visit-analyzer, please report it") from e


def _load(plist: list[Path]) -> Transcript:
    if len(plist) > 2:
        raise InputError(plist[0], f"expected one transcript file or a pair of TextGrids, got {len(plist)} files")
    if len(plist) == 2:
        for p in plist:
            if p.suffix.lower() != ".textgrid" and not _TEXTGRID.sniff(read_text(p, _TEXTGRID.max_bytes)[0]):
                raise InputError(p, "two files can only be a pair of TextGrids (…_doctor.TextGrid and "
                                    "…_patient.TextGrid)")
        return _TEXTGRID.load_pair(plist)
    path = plist[0]
    imp = _BY_EXT.get(path.suffix.lower())
    if imp is None or path.suffix.lower() in _GENERIC:
        text, warnings = read_text(path, DEFAULT_MAX_BYTES)
        imp = importer_for(path, text)
        if imp is not _TEXTGRID or not side_of(path):
            return imp.from_text(text, path, warnings)
    if imp is _TEXTGRID and side_of(path):
        partner = find_partner(path)
        if partner is None:
            other = "patient" if side_of(path) == "clinician" else "doctor"
            raise InputError(path, f"the {other}'s TextGrid that pairs with it was not found beside it; "
                                   "give both files")
        return _TEXTGRID.load_pair([path, partner])
    return imp.load(path)
