"""Praat TextGrids: one interval per utterance (PriMock57 style).

Long and short text formats (any encoding ``base.decode`` accepts, UTF-16 included) are read by one
token scanner: both formats are the same sequence of quoted strings, numbers and ``<exists>`` flags;
the long format only adds ``name =`` words and ``[n]`` indices, which are skipped.

- Empty intervals are silence and are skipped; times are kept exactly as given (overlaps stay).
- ``<UNSURE>words</UNSURE>`` keeps the words; ``<UNIN/>`` becomes "[unintelligible]",
  ``<INAUDIBLE_SPEECH/>`` "[inaudible]", any other ``<TAG/>`` "[tag]".
- Speaker and role: from a ``_doctor`` / ``_patient`` (or ``_clinician``) file-name suffix; in a file
  without one, each interval tier is a speaker named by the tier (role from that name).
- A pair (doctor file + patient file) is merged into one list sorted by start time.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import InputError
from ..model import Transcript, Utterance
from .base import MB, Importer, SpeakerBook, finish, read_text

TOKEN = re.compile(r'"[^"]*(?:""[^"]*)*"|<exists>|<absent>|\[[^\]\n"]*\]|![^\n]*|"'
                   r"|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
SIDE = re.compile(r"^(?P<base>.*?)[_\-. ](?P<side>doctor|patient|clinician)$", re.IGNORECASE)
SIDE_ROLE = {"doctor": "clinician", "clinician": "clinician", "patient": "patient"}
SIDE_LABEL = {"clinician": "Doctor", "patient": "Patient"}
MARKERS = {"unin": "[unintelligible]", "inaudible_speech": "[inaudible]", "inaudible": "[inaudible]"}
_SELF_CLOSING = re.compile(r"<\s*([A-Za-z][\w\-]*)\s*/\s*>")
_TAG = re.compile(r"</?\s*[A-Za-z][\w\-]*\s*>")


def clean_text(s: str) -> str:
    s = _SELF_CLOSING.sub(lambda m: f" {MARKERS.get(m.group(1).lower(), '[' + m.group(1).lower().replace('_', ' ') + ']')} ", s)
    s = _TAG.sub(" ", s)
    return " ".join(s.split())


def side_of(path: Path) -> str | None:
    """'clinician' / 'patient' from a file name like day1_consultation01_doctor.TextGrid, else None."""
    m = SIDE.match(Path(path).stem)
    return SIDE_ROLE[m.group("side").lower()] if m else None


def find_partner(path: Path) -> Path | None:
    """The other side's file beside ``path`` (…_doctor.TextGrid <-> …_patient.TextGrid), or None."""
    path = Path(path)
    m = SIDE.match(path.stem)
    if not m:
        return None
    want_role = "patient" if SIDE_ROLE[m.group("side").lower()] == "clinician" else "clinician"
    base = m.group("base").casefold()
    try:
        entries = sorted(path.parent.iterdir())
    except OSError:
        return None
    for p in entries:
        if p == path or p.suffix.lower() != path.suffix.lower() or not p.is_file():
            continue
        pm = SIDE.match(p.stem)
        if pm and pm.group("base").casefold() == base and SIDE_ROLE[pm.group("side").lower()] == want_role:
            return p
    return None


class _Tokens:
    def __init__(self, text: str, path: Path):
        self.text, self.path = text, path
        self.toks = [(m.group(), m.start()) for m in TOKEN.finditer(text)
                     if not m.group().startswith(("[", "!"))]
        self.i = 0

    def _fail(self, what: str) -> InputError:
        if self.i < len(self.toks):
            line = self.text.count("\n", 0, self.toks[self.i][1]) + 1
            return InputError(self.path, f"malformed TextGrid: expected {what} at line {line}")
        return InputError(self.path, f"malformed TextGrid: the file ends where {what} was expected (truncated?)")

    def next(self, what: str) -> str:
        if self.i >= len(self.toks):
            raise self._fail(what)
        tok = self.toks[self.i][0]
        self.i += 1
        return tok

    def string(self, what: str) -> str:
        tok = self.next(what)
        if len(tok) < 2 or not tok.startswith('"') or not tok.endswith('"'):
            self.i -= 1
            raise self._fail(what)
        return tok[1:-1].replace('""', '"')

    def number(self, what: str) -> float:
        tok = self.next(what)
        try:
            v = float(tok)
        except ValueError:
            self.i -= 1
            raise self._fail(what) from None
        if not math.isfinite(v):
            self.i -= 1
            raise self._fail(f"{what} (a finite number)")
        return v

    def count(self, what: str) -> int:
        v = self.number(what)
        if v < 0 or v != int(v):
            self.i -= 1
            raise self._fail(f"{what} (a whole number)")
        return int(v)

    def peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None


def parse_tiers(text: str, path: Path) -> tuple[list[tuple[str, list[tuple[float, float, str]]]], list[str]]:
    """Interval tiers as [(name, [(start, end, raw text), ...])], and warnings."""
    if not re.match(r'\s*File type\s*=\s*"ooTextFile', text):
        raise InputError(path, 'not a Praat TextGrid text file (it should start with File type = "ooTextFile")')
    tk = _Tokens(text, path)
    tk.string("the file type")
    if tk.string("the object class") != "TextGrid":
        raise InputError(path, "this Praat file is not a TextGrid")
    tk.number("the start time of the grid")
    tk.number("the end time of the grid")
    if tk.peek() == "<absent>":
        raise InputError(path, "the TextGrid has no tiers")
    if tk.peek() == "<exists>":
        tk.next("<exists>")
    n_tiers = tk.count("the number of tiers")
    tiers: list[tuple[str, list[tuple[float, float, str]]]] = []
    warnings: list[str] = []
    for _ in range(n_tiers):
        cls = tk.string("a tier class")
        name = tk.string("a tier name")
        tk.number("the tier's start time")
        tk.number("the tier's end time")
        n = tk.count("the number of intervals")
        if cls == "IntervalTier":
            ivs = []
            for k in range(1, n + 1):
                a, b = tk.number("an interval start"), tk.number("an interval end")
                s = tk.string("an interval text")
                if a < 0 or b < a:
                    raise InputError(path, f"malformed TextGrid: interval {k} of tier {name!r} has times "
                                           f"{a}..{b}" + (" (negative)" if a < 0 else " (ends before it starts)"))
                ivs.append((a, b, s))
            if re.search(r"\bphones?\b", name, re.IGNORECASE):
                warnings.append(f"tier {name!r} looks like phone labels and was skipped")
            else:
                tiers.append((name, ivs))
        elif cls == "TextTier":
            for _ in range(n):
                tk.number("a point time")
                tk.string("a point text")
            warnings.append(f"point tier {name!r} was skipped (only interval tiers hold utterances)")
        else:
            raise InputError(path, f"malformed TextGrid: unknown tier class {cls!r}")
    return tiers, warnings


class TextGridImporter(Importer):
    format = "textgrid"
    extensions = (".textgrid",)
    max_bytes = 20 * MB  # a line per interval field: several times the size of the same text

    def sniff(self, text: str) -> bool:
        return bool(re.match(r'\s*File type\s*=\s*"ooTextFile', text)) and "TextGrid" in text[:300]

    def parse(self, text: str, path: Path, book: SpeakerBook | None = None, role: str | None = None) -> Transcript:
        book = book or SpeakerBook()
        tiers, warnings = parse_tiers(text, path)
        if not tiers:
            raise InputError(path, "the TextGrid has no interval tiers")
        role = role or side_of(path)
        utts: list[Utterance] = []
        for name, ivs in tiers:
            if role:
                sp = book.get(SIDE_LABEL[role], role=role)
            else:
                sp = book.get(name.strip() or f"Tier {len(book.speakers) + 1}")
            for a, b, raw in ivs:
                body = clean_text(raw)
                if body:
                    utts.append(Utterance(speaker=sp.id, role=sp.role, text=body, start=a, end=b))
        if not utts:
            raise InputError(path, "the TextGrid has no utterances (every interval is empty)")
        return Transcript(utterances=utts, speakers=book.speakers, warnings=warnings)

    def load_pair(self, paths: list[Path]) -> Transcript:
        """Two TextGrids on one clock (e.g. _doctor and _patient) -> one transcript sorted by start."""
        paths = [Path(p) for p in paths]
        if len(paths) != 2:
            raise InputError(paths[0] if paths else None, "expected a pair of TextGrid files")
        sides = [side_of(p) for p in paths]
        if sides[0] and sides[0] == sides[1]:
            who = "doctor" if sides[0] == "clinician" else "patient"
            raise InputError(paths[1], f"both TextGrids are the {who}'s side ({paths[0].name}, {paths[1].name})")
        if paths[0].resolve() == paths[1].resolve():
            raise InputError(paths[1], "the same TextGrid was given twice")
        book = SpeakerBook()
        utts: list[Utterance] = []
        warnings: list[str] = []
        for i, p in enumerate(paths):
            role, other = sides[i], sides[1 - i]
            if role is None and other is not None:
                role = "patient" if other == "clinician" else "clinician"
                warnings.append(f"{p.name}: taken as the {SIDE_LABEL[role].lower()}'s side "
                                f"(its partner is {paths[1 - i].name})")
            text, w = read_text(p, self.max_bytes)
            before = set(book.speakers)
            t = self.parse(text, p, book, role)
            if i == 1 and set(s for s in book.speakers) == before and not any(sides):
                raise InputError(p, "cannot tell the two speakers apart (same tier names in both files); name the "
                                    "files ..._doctor.TextGrid and ..._patient.TextGrid")
            utts += t.utterances
            warnings += [f"{p.name}: {x}" for x in w + t.warnings]
        bases = {SIDE.match(p.stem).group("base").casefold() for p in paths if SIDE.match(p.stem)}
        if len(bases) > 1:
            warnings.append(f"the two files look like different visits ({paths[0].name}, {paths[1].name})")
        order = {"clinician": 0, "patient": 1, "other": 2}
        speakers = dict(sorted(book.speakers.items(), key=lambda kv: order[kv[1].role]))  # doctor first
        t = Transcript(utterances=utts, speakers=speakers, warnings=warnings)
        return finish(t, self.format, paths, {"files": [str(p) for p in paths]})
