"""Annotated transcript: role, time, colour-coded tags with why they fired, play from an
utterance, filter by tag and speaker; the selected utterance opens in place with its audio,
comments and tag corrections."""
from __future__ import annotations

import streamlit as st

from .common import tag_name
from .context import ReportContext, select_utterance, selected
from .utterance import labels, selected_panel, utterance_block

PAGE = 40


def transcript(ctx: ReportContext) -> None:
    utts = ctx.analysis.get("utterances", [])
    present = sorted({lab for u in utts for lab in labels(u)}, key=lambda x: tag_name(x))
    f1, f2, f3 = st.columns([3, 1.2, 1])
    tags = f1.multiselect("Show only utterances tagged", present, format_func=tag_name, key=f"view_tags_{ctx.key}")
    roles = f2.multiselect("Speakers", ["clinician", "patient", "other"], key=f"view_roles_{ctx.key}")
    why = f3.toggle("Why each tag fired", value=True, key=f"view_why_{ctx.key}")
    shown = [i for i, u in enumerate(utts)
             if (not tags or set(tags) & set(labels(u))) and (not roles or u.get("role") in roles)]
    sel = selected()
    if sel not in shown:  # otherwise it is drawn in place, where the user clicked
        selected_panel(ctx, "transcript")
    if not shown:
        st.caption("No utterance matches these filters.")
        return
    pages = (len(shown) + PAGE - 1) // PAGE
    page_key = f"view_page_{ctx.key}"
    if sel in shown and st.session_state.get("view_page_follow") != sel:  # jump to the selected utterance's page
        st.session_state[page_key] = shown.index(sel) // PAGE + 1
        st.session_state["view_page_follow"] = sel
    page = st.number_input(f"Page (of {pages}, {len(shown)} utterances)", 1, max(1, pages), key=page_key) if pages > 1 else 1
    n_comments: dict[int, int] = {}
    for c in ctx.comments:
        if c.utterance is not None:
            n_comments[c.utterance] = n_comments.get(c.utterance, 0) + 1
    for i in shown[(page - 1) * PAGE: page * PAGE]:
        if i == sel:
            selected_panel(ctx, "transcript")
            continue
        left, right = st.columns([12, 1])
        with left.container(key=f"utt_{i}"):
            utterance_block(i, utts[i], why=why, comments=n_comments.get(i, 0))
        if right.button("▶", key=f"view_play_{ctx.key}_{i}", help="Select this utterance and play from here"):
            select_utterance(i)
            st.rerun()
