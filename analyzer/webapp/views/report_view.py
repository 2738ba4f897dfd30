"""The report of one visit: scorecard, timeline, annotated transcript, moments, speakers, exports."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import streamlit as st

from .common import fmt_time, rating_badge, text
from .context import ReportContext, report_of, select_utterance
from .speakers_view import speakers
from .transcript_view import transcript
from .utterance import selected_panel

__all__ = ["ReportContext", "show_report"]


def show_report(ctx: ReportContext) -> None:
    a = ctx.analysis
    report = report_of(a)
    for w in a.get("warnings") or []:
        st.warning(text(w))
    for n in report.notes:
        st.info(text(n))
    tabs = st.tabs(["Scorecard", "Timeline", "Transcript", "Moments", "Speakers", "Export"])
    with tabs[0]:
        scorecard(report)
    with tabs[1]:
        timeline(ctx, report)
    with tabs[2]:
        transcript(ctx)
    with tabs[3]:
        moments(ctx, report)
    with tabs[4]:
        speakers(ctx)
    with tabs[5]:
        exports(ctx, report)


def scorecard(report) -> None:
    st.caption("Each figure against its reference point, and why it matters for the relationship: patients "
               "who feel heard trust, disclose and follow through.")
    figs = report.scorecard
    for row in range(0, len(figs), 3):
        cols = st.columns(3)
        for col, f in zip(cols, figs[row:row + 3]):
            with col.container(border=True, key=f"fig_{f.key}"):
                # Label and value are the report's own words and numbers; the detail may quote the visit.
                st.metric(f.label, f.display, help=text(f.detail) or None)
                st.markdown(f"{rating_badge(f.rating)} {text(f.reference)}")
                st.caption(text(f.why))


def timeline(ctx: ReportContext, report) -> None:
    from ...report import timeline_figure

    a = ctx.analysis
    if not any(u.get("start") is not None for u in a.get("utterances", [])):
        st.info("This transcript has no times, so there is no timeline; the transcript tab has every utterance.")
        return
    fig = timeline_figure(a, report)
    ev = st.plotly_chart(fig, on_select="rerun", selection_mode=("points",), key=f"view_timeline_{ctx.key}",
                         width="stretch")
    pts = getattr(getattr(ev, "selection", None), "points", None) or []
    picked = _utterance_of_points(pts)
    last = st.session_state.get("view_timeline_last")
    if picked is not None and picked != last:  # a new click: jump there (later ▶ clicks still win)
        st.session_state["view_timeline_last"] = picked
        select_utterance(picked)
    st.caption("Hover for the words; click a turn or a marker to jump the transcript and the audio there.")
    selected_panel(ctx, "timeline")


def _utterance_of_points(points: list) -> int | None:
    for p in points:
        cd = p.get("customdata") if isinstance(p, dict) else None
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        try:
            return int(cd)
        except (TypeError, ValueError):
            continue
    return None


def moments(ctx: ReportContext, report) -> None:
    ex = [m for m in report.moments if m.kind == "example"]
    missed = [m for m in report.moments if m.kind == "missed"]
    left, right = st.columns(2)
    for col, title, items, icon in ((left, "Examples to keep", ex, ":green[:material/thumb_up:]"),
                                    (right, "Missed opportunities", missed, ":orange[:material/lightbulb:]")):
        with col:
            st.subheader(title)
            if not items:
                st.caption("None found in this visit.")
            for k, m in enumerate(items):
                with st.container(border=True, key=f"moment_{m.kind}_{k}"):
                    st.markdown(f"{icon} **{text(m.title)}** · {fmt_time(m.at)} · {text(m.speaker_role)}")
                    st.markdown(f"> {text(m.text)}")
                    if m.suggestion:
                        st.markdown(f"**{'What worked' if m.kind == 'example' else 'Could have said'}:** "
                                    f"{text(m.suggestion)}")
                    st.caption(text(m.why))
                    if st.button("▶ Go to this moment", key=f"view_moment_{m.kind}_{k}"):
                        select_utterance(m.utterance)
                        st.rerun()
    selected_panel(ctx, "moments")


def file_stem(title: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in title)[:60] or "visit"


def exports(ctx: ReportContext, report) -> None:
    from ...report import render_html, render_pdf

    a = ctx.analysis
    stem = file_stem(ctx.title)
    if ctx.redacted:
        st.info("Exports are redacted: names, dates, phone numbers, addresses and record numbers are masked.")
    st.download_button("Analysis (JSON)", json.dumps(a, ensure_ascii=False, indent=1), file_name=f"{stem}.analysis.json",
                       mime="application/json", key=f"dl_json_{ctx.key}")
    made_key = f"view_exports_{ctx.key}_{ctx.redacted}"
    made = st.session_state.get(made_key)
    if made is None:
        # Made on demand: the HTML carries Plotly inline (a few MB) and the PDF takes a moment.
        if st.button("Make the HTML and PDF reports", key=f"mk_exports_{ctx.key}"):
            with st.spinner("Rendering the report…"), tempfile.TemporaryDirectory() as tmp:
                p = Path(tmp) / "report.pdf"
                render_pdf(a, report, p, title=ctx.title)
                st.session_state[made_key] = {"html": render_html(a, report, title=ctx.title), "pdf": p.read_bytes()}
            st.rerun()
    else:
        c1, c2 = st.columns(2)
        c1.download_button("Report (HTML)", made["html"], file_name=f"{stem}.report.html", mime="text/html",
                           key=f"dl_html_{ctx.key}")
        c2.download_button("Report (PDF)", made["pdf"], file_name=f"{stem}.report.pdf", mime="application/pdf",
                           key=f"dl_pdf_{ctx.key}")
    st.caption("The HTML report is self-contained (opens without network); the JSON is the full analysis.")
