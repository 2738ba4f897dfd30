"""The report's data: figures of the scorecard and moments of the visit, JSON-able.

A ``Figure``'s ``display`` is always made from its ``value`` by ``fmt_value`` (one place), so
the app, the HTML/PDF exports and the end-to-end test can compare figures as exact strings.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

RATINGS = ("good", "fair", "needs work", "info", "n/a")
UNITS = ("percent", "seconds", "seconds_uninterrupted", "count", "words", "ratio", "yesno", "pair")

REPORT_VERSION = 1


def fmt_value(value: Any, unit: str) -> str:
    """The one way a figure's value is shown. ``None`` (not measurable) is "n/a"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "percent":
        return f"{round(100 * value)} %"
    if unit == "seconds":
        return f"{value:.1f} s"
    if unit == "seconds_uninterrupted":  # the opening ran to its end: value is its length
        return f"not interrupted ({value:.1f} s)"
    if unit == "count":
        return str(int(value))
    if unit == "words":
        return f"{int(value)} words"
    if unit == "ratio":
        return f"{value:.2f}"
    if unit == "yesno":
        return "yes" if value else "no"
    if unit == "pair":  # (open, closed) -> "3 : 5"
        return f"{int(value[0])} : {int(value[1])}"
    raise ValueError(f"unknown unit {unit!r}")


@dataclass
class Figure:
    key: str
    label: str
    value: Any  # a number, a bool, [a, b] for pairs, or None when it cannot be measured
    display: str
    reference: str  # the reference point it is judged against (a threshold or a published figure)
    rating: str  # one of RATINGS
    why: str  # why it matters for the relationship, one line
    unit: str = "count"
    detail: str = ""  # how it was counted / why it is n/a
    utterances: list[int] = field(default_factory=list)  # where in the visit it comes from

    @classmethod
    def make(cls, key: str, label: str, value: Any, unit: str, *, reference: str, rating: str,
             why: str, detail: str = "", utterances: list[int] | None = None) -> "Figure":
        if rating not in RATINGS:
            raise ValueError(f"rating {rating!r}")
        if value is None:
            rating = "n/a"
        return cls(key, label, value, fmt_value(value, unit), reference, rating, why, unit, detail,
                   list(utterances or []))


@dataclass
class Moment:
    kind: str  # "example" | "missed"
    type: str  # e.g. "reflection", "agenda_question", "empathic_response", "opening_interrupted", ...
    title: str
    at: float | None  # seconds (None for text-only transcripts)
    end: float | None
    utterance: int  # index into analysis["utterances"]
    speaker_role: str
    text: str  # the words of the moment (quoted from the visit)
    suggestion: str  # what could have been said / what made it work
    why: str  # why it matters
    utterances: list[int] = field(default_factory=list)  # every utterance the moment spans


@dataclass
class Report:
    scorecard: list[Figure]
    moments: list[Moment]
    summary: dict[str, Any] = field(default_factory=dict)  # duration, speakers, counts, notes
    notes: list[str] = field(default_factory=list)  # caveats for the reader (missing timings, roles)

    def figure(self, key: str) -> Figure:
        for f in self.scorecard:
            if f.key == key:
                return f
        raise KeyError(key)

    def to_json(self) -> dict[str, Any]:
        return {"report_version": REPORT_VERSION, "scorecard": [asdict(f) for f in self.scorecard],
                "moments": [asdict(m) for m in self.moments], "summary": self.summary, "notes": list(self.notes)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Report":
        return cls([Figure(**f) for f in d["scorecard"]], [Moment(**m) for m in d["moments"]],
                   dict(d.get("summary", {})), list(d.get("notes", [])))
