"""The visit on one time axis (Plotly): each role's turns as bars, coloured by what the turn
does; interruptions, backchannels and overlaps as markers on the row of who did them; the
report's moments on a row of their own.

Every point's ``customdata`` is the index of its utterance in ``analysis["utterances"]`` (an
int), so a click can jump the transcript and the audio there. Without times (text-only
transcripts) the x axis is the turn number.
"""
from __future__ import annotations

import textwrap
from html import escape

from . import facts as F
from .model import Report

ROWS = {"clinician": "Clinician", "patient": "Patient", "other": "Other"}
MOMENTS_ROW = "Moments"
# Clinician turns are coloured by their most telling behaviour (first match wins).
# A dismissal outranks the question that follows it ("Don't worry about that. Any allergies?");
# information and advice (AnnoMI's "input") come last, so a long explanation is not "other".
BEHAVIOUR = [
    ("reflection.complex", "complex reflection", "#1a9850"),
    ("empathy", "empathy", "#66bd63"),
    ("reflection.simple", "simple reflection", "#a6d96a"),
    ("partnership", "partnership", "#35978f"),
    ("dismissal", "dismissal", "#d73027"),
    ("question.open", "open question", "#4575b4"),
    ("question.closed", "closed question", "#fdae61"),
    ("advice", "advice / information", "#8c6d31"),
    ("information", "advice / information", "#8c6d31"),
]
PLAIN = {"clinician": ("clinician: other", "#9e9e9e"), "patient": ("patient", "#bdbdbd"), "other": ("other speaker", "#d0d0d0")}
CUE = ("emotional cue", "#9c27b0")
EVENTS = {  # type -> (legend name, marker symbol, colour, size)
    "opening_interrupted": ("opening interrupted", "star", "#b2182b", 16),
    "interruption": ("interruption", "x", "#d73027", 12),
    "overlap": ("overlap", "diamond-open", "#555555", 10),
    "backchannel": ("backchannel", "circle-open", "#555555", 8),
}
MOMENT_STYLE = {"example": ("best example", "triangle-up", "#1a9850"), "missed": ("missed opportunity", "triangle-down", "#e66101")}


def _wrap(text: str, width: int = 60, lines: int = 6) -> str:
    """Hover text, escaped: Plotly reads <a href>, <b>... in it, and a transcript's words are text."""
    out = textwrap.wrap(str(text or ""), width) or [""]
    if len(out) > lines:
        out = out[:lines] + ["\u2026"]
    return "<br>".join(escape(line) for line in out)


def _category(u: dict) -> tuple[str, str]:
    labs = F.labels(u)
    role = u.get("role") if u.get("role") in ROWS else "other"
    if role == "clinician":
        for label, name, colour in BEHAVIOUR:
            if label in labs:
                return name, colour
    if role == "patient" and "emotional_cue" in labs:
        return CUE
    return PLAIN[role]


def _clock(t: float | None) -> str:
    if t is None:
        return ""
    return f"{int(t // 60)}:{t % 60:04.1f}"


def timeline_figure(analysis: dict, report: Report):
    import plotly.graph_objects as go

    analysis = F.normalize(analysis)
    us = F.utterances(analysis)
    timed = F.has_times(analysis)
    rows_present = [r for r in ROWS if any((u.get("role") if u.get("role") in ROWS else "other") == r for u in us)]
    fig = go.Figure()
    # One bar trace per category, so the legend explains the colours.
    groups: dict[tuple[str, str], list[int]] = {}
    for i, u in enumerate(us):
        groups.setdefault(_category(u), []).append(i)
    order = list(dict.fromkeys((n, c) for _, n, c in BEHAVIOUR)) + [CUE] + list(PLAIN.values())
    for key in sorted(groups, key=lambda k: order.index(k) if k in order else 99):
        idx = groups[key]
        starts = [us[i]["start"] if timed else i for i in idx]
        widths = [max(0.05, (us[i]["end"] - us[i]["start"])) if timed else 0.9 for i in idx]
        hover = [f"<b>{ROWS.get(us[i].get('role'), 'Other')}</b> {_clock(us[i].get('start'))}"
                 f" \u00b7 #{i}<br>{_wrap(us[i]['text'])}"
                 + (f"<br><i>{escape(', '.join(sorted(F.labels(us[i]))))}</i>" if F.labels(us[i]) else "") for i in idx]
        fig.add_trace(go.Bar(
            name=key[0], orientation="h", base=starts, x=widths,
            y=[ROWS.get(us[i].get("role"), "Other") for i in idx], marker={"color": key[1]},
            customdata=idx, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", legendgroup="turns"))
    # Events on the row of who did them.
    for typ, (name, symbol, colour, size) in EVENTS.items():
        evs = [e for e in analysis.get("events") or [] if e.get("type") == typ]
        if not evs:
            continue
        pts = []
        for e in evs:
            role = e.get("by") if e.get("by") in ROWS else "other"
            i = _utterance_at(us, e["at"], role)
            pts.append((e["at"], ROWS[role], i, f"<b>{name}</b> by the {role} at {_clock(e['at'])}<br>{_wrap(e.get('text', ''))}"))
        fig.add_trace(go.Scatter(
            name=name, mode="markers", x=[p[0] for p in pts], y=[p[1] for p in pts], customdata=[p[2] for p in pts],
            hovertext=[p[3] for p in pts], hovertemplate="%{hovertext}<extra></extra>",
            marker={"symbol": symbol, "color": colour, "size": size, "line": {"width": 2, "color": colour}}))
    # The report's moments.
    for kind, (name, symbol, colour) in MOMENT_STYLE.items():
        ms = [m for m in report.moments if m.kind == kind]
        if not ms:
            continue
        xs = [(m.at if m.at is not None else 0) if timed else m.utterance for m in ms]
        fig.add_trace(go.Scatter(
            name=name, mode="markers", x=xs, y=[MOMENTS_ROW] * len(ms), customdata=[m.utterance for m in ms],
            hovertext=[f"<b>{escape(m.title)}</b><br>{_wrap(m.text)}<br><i>{_wrap(m.suggestion)}</i>" for m in ms],
            hovertemplate="%{hovertext}<extra></extra>", marker={"symbol": symbol, "color": colour, "size": 14}))
    rows = [MOMENTS_ROW] + [ROWS[r] for r in reversed(rows_present)]
    fig.update_layout(
        barmode="overlay", height=200 + 45 * len(rows), margin={"l": 90, "r": 20, "t": 30, "b": 40},
        xaxis={"title": "time (s)" if timed else "turn", "rangemode": "tozero"},
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(rows)), "fixedrange": True},
        legend={"orientation": "h", "y": -0.35}, hoverlabel={"align": "left"}, clickmode="event+select",
        plot_bgcolor="white", template="plotly_white")
    return fig


def _utterance_at(us: list[dict], at: float, role: str) -> int:
    """The utterance of ``role`` starting at (or nearest before) ``at``."""
    best, best_d = 0, float("inf")
    for i, u in enumerate(us):
        if u.get("start") is None:
            continue
        r = u.get("role") if u.get("role") in ROWS else "other"
        d = abs(u["start"] - at) if r == role else float("inf")
        if d < best_d:
            best, best_d = i, d
    return best
