"""The report of one visit: scorecard, timeline, annotated transcript, moments, speakers, exports."""
from __future__ import annotations

import json
import mimetypes
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from .common import fmt_time, rating_badge

SELECTED = "view_utt"  # session key: the utterance the user is looking at (timeline click, ▶, moment)


@dataclass
class ReportContext:
    key: str  # "sample:good_visit" or "visit:12": widget keys and caches
    title: str
    analysis: dict[str, Any]
    audio: Path | None = None
    set_roles: Callable[[dict[str, str]], None] | None = None  # None: roles cannot be changed here
    suggest_role: Callable[[str, str, str], None] | None = None  # coach: (speaker, machine, corrected)
    comments: list = field(default_factory=list)
    corrections: list = field(default_factory=list)  # a coach's tag/role corrections, shown beside the tags
    add_comment: Callable[[int, str], None] | None = None
    add_correction: Callable[[int, str, str], None] | None = None  # (utterance, machine tag, corrected)
    redacted: bool = False


@st.cache_data(max_entries=16, show_spinner=False)
def _report(analysis_json: str) -> dict[str, Any]:
    from ...report import build_report

    return build_report(json.loads(analysis_json)).to_json()


def report_of(analysis: dict[str, Any]):
    from ...report.model import Report

    return Report.from_json(_report(json.dumps(analysis, sort_keys=True)))


def select_utterance(i: int | None) -> None:
    st.session_state[SELECTED] = i


def show_report(ctx: ReportContext) -> None:
    a = ctx.analysis
    report = report_of(a)
    for w in a.get("warnings") or []:
        st.warning(w)
    for n in report.notes:
        st.info(n)
    tabs = st.tabs(["Scorecard", "Timeline", "Transcript", "Moments", "Speakers", "Export"])
    with tabs[0]:
        scorecard(report)
    with tabs[1]:
        timeline(ctx, report)
    with tabs[2]:
        from .transcript_view import transcript

        transcript(ctx)
    with tabs[3]:
        moments(ctx, report)
    with tabs[4]:
        from .speakers_view import speakers

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
                st.metric(f.label, f.display, help=f.detail or None)
                st.markdown(f"{rating_badge(f.rating)} {f.reference}")
                st.caption(f.why)


def _audio(ctx: ReportContext, at: float | None) -> None:
    if ctx.audio is None or not Path(ctx.audio).exists():
        st.caption("No recording is stored for this visit (a transcript, or audio deleted after analysis).")
        return
    mime = mimetypes.guess_type(str(ctx.audio))[0] or "audio/ogg"
    # No autoplay: every tab is rendered at once, so the Timeline, Transcript and Moments panels
    # would all start playing together.
    st.audio(str(ctx.audio), format=mime, start_time=int(max(0.0, (at or 0.0) - 0.5)))


def selected_panel(ctx: ReportContext, where: str) -> None:
    """The selected utterance with its tags, audio from there, comments and corrections."""
    from .transcript_view import utterance_block

    i = st.session_state.get(SELECTED)
    utts = ctx.analysis.get("utterances", [])
    if i is None or not 0 <= i < len(utts):
        st.caption("Click a point on the timeline, a moment or ▶ in the transcript to play from there.")
        return
    u = utts[i]
    with st.container(border=True, key=f"selected_{where}"):
        st.markdown(f"**Selected: utterance {i + 1}** at {fmt_time(u.get('start'))}")
        utterance_block(i, u, why=True)
        _audio(ctx, u.get("start"))
        if where == "transcript":
            from .transcript_view import comment_box

            comment_box(ctx, i)


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
                    st.markdown(f"{icon} **{m.title}** · {fmt_time(m.at)} · {m.speaker_role}")
                    st.markdown(f"> {m.text}")
                    if m.suggestion:
                        st.markdown(f"**{'What worked' if m.kind == 'example' else 'Could have said'}:** {m.suggestion}")
                    st.caption(m.why)
                    if st.button("▶ Go to this moment", key=f"view_moment_{m.kind}_{k}"):
                        select_utterance(m.utterance)
                        st.rerun()
    selected_panel(ctx, "moments")


def exports(ctx: ReportContext, report) -> None:
    from ...report import render_html, render_pdf

    a = ctx.analysis
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in ctx.title)[:60] or "visit"
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
