"""Plain-text transcripts: one turn per labelled line.

Accepted line starts (a line without one continues the previous turn):
    Doctor: ...            Dr Smith: ...          Patient (Mrs Jones): ...     **Nurse:** ...
    [doctor] ...           [patient_guest] ...    (ACI-Bench style tags)
    [00:01:02] Doctor: ... 00:01:02 Doctor: ...   Doctor (00:12): ...          [00:12] [doctor] ...
A label with a role or title word ("Mother", "Mr Jones", "Speaker 1") counts even once; any other
name-like label ("John") must start at least two lines, so "Note: take twice daily" inside a turn
stays text. Times, when every turn has one, give starts; each turn ends where the next begins.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ..errors import InputError
from ..model import Transcript, Utterance
from .base import Importer, SpeakerBook, fmt_clock, parse_clock
from .labels import LABEL_LINE, TAG_LINE, is_known_label, plausible_label

WORDS_PER_SECOND = 2.5  # only to estimate the end of a timed transcript's last turn


def _match(line: str) -> re.Match | None:
    for rx in (TAG_LINE, LABEL_LINE):
        m = rx.match(line)
        if m and plausible_label(m.group("label")):
            return m
    return None


def _key(label: str) -> str:
    return " ".join(label.split()).casefold()


class TextImporter(Importer):
    format = "text"
    extensions = (".txt", ".text")

    def sniff(self, text: str) -> bool:
        lines = [ln for ln in text.split("\n", 200)[:200] if ln.strip()]
        return sum(1 for ln in lines if _match(ln)) >= max(1, len(lines) // 4)

    def parse(self, text: str, path: Path) -> Transcript:
        lines = text.split("\n")
        matches = [_match(ln) for ln in lines]
        counts = Counter(_key(m.group("label")) for m in matches if m)
        book = SpeakerBook()
        turns: list[dict] = []
        skipped: list[str] = []
        for lineno, (line, m) in enumerate(zip(lines, matches), 1):
            if m and (is_known_label(m.group("label")) or counts[_key(m.group("label"))] >= 2):
                stamp = next((m.group(g) for g in ("t0", "t1", "t2") if g in m.re.groupindex and m.group(g)), None)
                start = None
                if stamp is not None:
                    try:
                        start = parse_clock(stamp)
                    except ValueError:
                        raise InputError(path, f"line {lineno}: malformed time {stamp!r}") from None
                sp = book.get(m.group("label").strip("*_ \t"))
                turns.append({"speaker": sp, "parts": [m.group("text").strip()], "start": start, "line": lineno})
            elif line.strip():
                body = line.strip()
                if turns:
                    turns[-1]["parts"].append(body)
                else:
                    skipped.append(body)
        warnings: list[str] = []
        utts: list[Utterance] = []
        for tr in turns:
            body = " ".join(p for p in tr["parts"] if p)
            if body:
                utts.append(Utterance(speaker=tr["speaker"].id, role=tr["speaker"].role, text=body,
                                      start=tr["start"]))
                tr["kept"] = True
        if not utts:
            raise InputError(path, "no speaker turns found: expected lines starting with a speaker label such as "
                                   "'Doctor:', 'Patient:' or '[doctor]'")
        empty = len(turns) - len(utts)
        if empty:
            warnings.append(f"{empty} speaker label(s) with no text after them were skipped")
        if skipped:
            preview = skipped[0][:40]
            warnings.append(f"{len(skipped)} line(s) before the first speaker label were skipped "
                            f"(first: {preview!r})")
        kept = [tr for tr in turns if tr.get("kept")]
        self._times(utts, kept, path, warnings)
        return Transcript(utterances=utts, speakers=book.speakers, warnings=warnings)

    @staticmethod
    def _times(utts: list[Utterance], turns: list[dict], path: Path, warnings: list[str]) -> None:
        timed = sum(1 for u in utts if u.start is not None)
        if timed == 0:
            return
        if timed < len(utts):
            for u in utts:
                u.start = None
            warnings.append(f"only {timed} of {len(utts)} turns have a time, so times were ignored")
            return
        for k in range(1, len(utts)):
            prev, u, tr = utts[k - 1], utts[k], turns[k]
            if u.start < prev.start:
                raise InputError(path, f"line {tr['line']}: time {fmt_clock(u.start)} is earlier than the "
                                       f"previous turn's ({fmt_clock(prev.start)})")
        for u, nxt in zip(utts, utts[1:]):
            u.end = nxt.start
        last = utts[-1]
        last.end = last.start + max(1.0, len(last.text.split()) / WORDS_PER_SECOND)
        warnings.append("the transcript gives start times only: each turn is taken to end where the next begins, "
                        "and the last turn's end is estimated from its length")
