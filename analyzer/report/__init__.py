"""The feedback report over an analysis dict (the JSON ``visit-analyzer analyze`` writes):
a scorecard against reference points, the moments worth seeing, a timeline, and exports.

    report = build_report(analysis)          # pure; Report.to_json() is JSON-able
    fig = timeline_figure(analysis, report)  # plotly Figure; customdata = utterance index
    html = render_html(analysis, report)     # self-contained, no network
    render_pdf(analysis, report, path)        # or render_pdf_bytes(analysis, report)
"""
from __future__ import annotations

from .model import Figure, Moment, Report, fmt_value


def build_report(analysis: dict) -> Report:
    from . import facts as F
    from .moments import build_moments
    from .scorecard import build_scorecard

    analysis = F.normalize(analysis)
    us = F.utterances(analysis)
    src = analysis.get("source") or {}
    notes = []
    if us and not F.has_times(analysis):
        notes.append("The transcript has no times: talk share uses words, and interruptions, the opening "
                     "and monologue seconds cannot be measured.")
    caveats = analysis["metrics"].get("caveats")
    if isinstance(caveats, list):
        notes.extend(str(c) for c in caveats if c)
    low = [s for s in analysis.get("speakers") or [] if s.get("role_source") == "auto"
           and (F.num(s.get("role_confidence")) or 1) < 0.7]
    if low:
        notes.append("Roles were assigned with low confidence (" + ", ".join(s["id"] for s in low)
                     + "); check them in the speaker review before trusting the figures.")
    if not F.behaviour_counts(analysis).tagged:
        notes.append("No behaviour tags: questions, reflections and empathy are not counted.")
    summary = {"duration": F.num(src.get("duration")) or (max((u.get("end") or 0) for u in us) if us and F.has_times(analysis) else None),
               "utterances": len(us), "file": src.get("file"), "kind": src.get("kind"),
               "speakers": [{"id": s.get("id"), "role": s.get("role"), "label": s.get("label")}
                            for s in analysis.get("speakers") or []]}
    return Report(build_scorecard(analysis), build_moments(analysis), summary, notes)


def timeline_figure(analysis: dict, report: Report | None = None):
    from .timeline import timeline_figure as tf

    return tf(analysis, report if report is not None else build_report(analysis))


def render_html(analysis: dict, report: Report | None = None, title: str = "Visit feedback report") -> str:
    from .html import render_html as rh

    return rh(analysis, report if report is not None else build_report(analysis), title=title)


def render_pdf(analysis: dict, report: Report | None, path, title: str = "Visit feedback report") -> None:
    from .pdf import render_pdf as rp

    rp(analysis, report if report is not None else build_report(analysis), path, title=title)


def render_pdf_bytes(analysis: dict, report: Report | None = None, title: str = "Visit feedback report") -> bytes:
    from .pdf import render_pdf_bytes as rb

    return rb(analysis, report if report is not None else build_report(analysis), title=title)


__all__ = ["Figure", "Moment", "Report", "build_report", "fmt_value", "render_html", "render_pdf", "render_pdf_bytes",
           "timeline_figure"]
