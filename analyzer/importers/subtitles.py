"""WebVTT and SRT captions with speaker names.

A speaker is named by a VTT voice tag ``<v Dr Smith>text</v>``, by a ``Name: text`` prefix on a cue line
(Zoom style), or by a ``[Name] text`` prefix. Cue times give start and end. A cue without a name keeps
the previous cue's speaker; before the first name it goes to speaker "unknown" (role other), with a
warning. A cue naming several speakers (two voice tags, or "A: ... / B: ..." lines) becomes one
utterance per speaker, each with the cue's times (the file gives no finer timing).
"""
from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

from ..errors import InputError
from ..model import Speaker, Transcript, Utterance
from .base import Importer, SpeakerBook, parse_clock
from .labels import LABEL_LINE, TAG_LINE, is_known_label, plausible_label

_TIME = r"\d{1,3}:\d{1,2}(?::\d{1,2})?(?:[.,]\d{1,3})?"
TIMING = re.compile(rf"^\s*(?P<start>{_TIME})\s*-->\s*(?P<end>{_TIME})(?:\s.*)?$")
SRT_START = re.compile(rf"\A\s*\d+[ \t]*\n[ \t]*{_TIME}[ \t]*-->")
VOICE = re.compile(r"<v(?:\.[^\s>]{0,100})?(?:[ \t]+(?P<name>[^>\n]{0,200}))?>", re.IGNORECASE)
TAG = re.compile(r"</?[^>\n]{0,200}>")
ASS = re.compile(r"\{\\[^}\n]{0,200}\}")  # SRT "{\an8}" style overrides
UNKNOWN = "unknown"


def _clean(s: str) -> str:
    s = ASS.sub("", TAG.sub("", s))
    return " ".join(html.unescape(s).split())


def _label_match(line: str) -> re.Match | None:
    for rx in (TAG_LINE, LABEL_LINE):
        m = rx.match(line)
        if m and plausible_label(m.group("label")):
            return m
    return None


class _CueImporter(Importer):
    header = ""

    def parse(self, text: str, path: Path) -> Transcript:
        cues = self._cues(text, path)
        if not cues:
            raise InputError(path, f"no {self.format.upper()} cues found (a cue is a line "
                                   "'00:00:01.000 --> 00:00:04.000' followed by its text)")
        # Split each cue into (name or None, text) segments.
        raw: list[tuple[float, float, list[tuple[str | None, str, bool]]]] = []
        for start, end, payload in cues:
            segs: list[tuple[str | None, str, bool]] = []  # (name, text, from_voice_tag)
            if VOICE.search(payload):
                pos, name = 0, None
                for m in VOICE.finditer(payload):
                    segs.append((name, payload[pos:m.start()], name is not None))
                    name, pos = (m.group("name") or "").strip() or None, m.end()
                segs.append((name, payload[pos:], name is not None))
            else:
                for line in payload.split("\n"):
                    segs.append((None, line, False))
            raw.append((start, end, segs))
        # Name prefixes ("Dr Smith: ..." / "[Dr Smith] ...") inside segments; unknown names must recur.
        found: list[tuple[float, float, list[tuple[str | None, str, bool]]]] = []
        counts: Counter[str] = Counter()
        for start, end, segs in raw:
            out = []
            for name, body, voiced in segs:
                cleaned = _clean(body)
                m = None if voiced else _label_match(cleaned)
                if m:
                    out.append((m.group("label").strip("*_ \t"), m.group("text").strip(), False))
                    counts[" ".join(m.group("label").split()).casefold()] += 1
                else:
                    out.append((name, cleaned, voiced))
            found.append((start, end, out))

        book = SpeakerBook()
        utts: list[Utterance] = []
        current: Speaker | None = None
        unnamed_first = multi = 0
        for start, end, segs in found:
            merged: list[tuple[Speaker | None, str]] = []
            for name, body, voiced in segs:
                if name is not None and not voiced:
                    key = " ".join(name.split()).casefold()
                    if not (is_known_label(name) or counts[key] >= 2):  # e.g. "Note: ..." said once
                        body, name = f"{name}: {body}".strip(), None
                sp = book.get(name) if name else None
                if sp is None and merged:
                    merged[-1] = (merged[-1][0], f"{merged[-1][1]} {body}".strip())
                    continue
                merged.append((sp, body))
            merged = [(sp, b) for sp, b in merged if b]
            if len({id(sp) for sp, _ in merged}) > 1:
                multi += 1
            for sp, body in merged:
                if sp is None:
                    if current is None:
                        unnamed_first += 1
                        sp = book.speakers.get(UNKNOWN) or book.speakers.setdefault(UNKNOWN, Speaker(id=UNKNOWN))
                    else:
                        sp = current
                current = sp
                utts.append(Utterance(speaker=sp.id, role=sp.role, text=body, start=start, end=end))
        if not utts:
            raise InputError(path, "the cues contain no text")
        warnings = []
        named = [s for s in book.speakers if s != UNKNOWN]
        if not named:
            warnings.append(f"no speaker names found in the cues; all text is given to speaker {UNKNOWN!r}")
        elif unnamed_first:
            warnings.append(f"{unnamed_first} cue(s) before the first named speaker were given speaker {UNKNOWN!r}")
        if multi:
            warnings.append(f"{multi} cue(s) name several speakers; their utterances share the cue's times")
        if self.header and not text.lstrip().startswith(self.header):
            warnings.insert(0, f"the file does not start with {self.header!r}; read it as {self.format.upper()} anyway")
        return Transcript(utterances=utts, speakers=book.speakers, warnings=warnings)

    def _cues(self, text: str, path: Path) -> list[tuple[float, float, str]]:
        cues: list[tuple[float, float, str]] = []
        lines = text.split("\n")
        i, n = 0, len(lines)
        while i < n:
            # one block: consecutive non-blank lines
            while i < n and not lines[i].strip():
                i += 1
            first = i
            while i < n and lines[i].strip():
                i += 1
            block = lines[first:i]
            if not block:
                break
            head = block[0].strip()
            if self.header and head.startswith(self.header) and not cues:
                continue
            if re.match(r"^(NOTE|STYLE|REGION)(\s|$)", head):
                continue
            t_idx = next((k for k, ln in enumerate(block) if "-->" in ln), None)
            if t_idx is None:
                continue  # stray number or text outside a cue
            m = TIMING.match(block[t_idx])
            lineno = first + t_idx + 1
            if not m:
                raise InputError(path, f"line {lineno}: malformed cue time {block[t_idx].strip()[:60]!r}")
            try:
                start, end = parse_clock(m.group("start")), parse_clock(m.group("end"))
            except ValueError as e:
                raise InputError(path, f"line {lineno}: malformed cue time ({e})") from None
            if end < start:
                raise InputError(path, f"line {lineno}: cue ends before it starts")
            cues.append((start, end, "\n".join(block[t_idx + 1:])))
        return cues


class VttImporter(_CueImporter):
    format = "vtt"
    extensions = (".vtt",)
    header = "WEBVTT"

    def sniff(self, text: str) -> bool:
        return text.lstrip().startswith("WEBVTT")


class SrtImporter(_CueImporter):
    format = "srt"
    extensions = (".srt",)

    def sniff(self, text: str) -> bool:
        return bool(SRT_START.match(text))
