"""Annotated transcript: role, time, colour-coded tags with why they fired, play from an
utterance, filter by tag; comments and tag corrections on the selected utterance."""
from __future__ import annotations

from typing import Any

import streamlit as st

from .common import TAG_NAMES, badge, fmt_time, tag_name

PAGE = 40
ROLE_ICONS = {"clinician": ":blue[:material/stethoscope:]", "patient": ":violet[:material/person:]",
              "other": ":gray[:material/group:]"}


def _labels(u: dict[str, Any]) -> list[str]:
    return [t["label"] for t in u.get("tags") or [] if isinstance(t, dict) and t.get("label")]


def utterance_block(i: int, u: dict[str, Any], why: bool = False, comments: int = 0) -> None:
    role = u.get("role", "other")
    head = f"{ROLE_ICONS.get(role, ROLE_ICONS['other'])} **{role}** · {fmt_time(u.get('start'))}"
    if comments:
        head += f" · :material/chat: {comments}"
    badges = " ".join(badge(lab) for lab in dict.fromkeys(_labels(u)))
    st.markdown(f"{head}  \n{u.get('text', '')}" + (f"  \n{badges}" if badges else ""))
    if why:
        best: dict[str, dict] = {}  # one line per label: its strongest sentence
        for t in u.get("tags") or []:
            if t.get("why") and t.get("score", 0) >= best.get(t["label"], {}).get("score", -1):
                best[t["label"]] = t
        if best:
            st.caption("  \n".join(f"{tag_name(k)} ({t.get('score', 0):.2f}): {t['why']}" for k, t in best.items()))


def transcript(ctx) -> None:
    from .report_view import SELECTED, select_utterance, selected_panel

    utts = ctx.analysis.get("utterances", [])
    present = sorted({lab for u in utts for lab in _labels(u)}, key=lambda x: tag_name(x))
    f1, f2, f3 = st.columns([3, 1.2, 1])
    tags = f1.multiselect("Show only utterances tagged", present, format_func=tag_name, key=f"view_tags_{ctx.key}")
    roles = f2.multiselect("Speakers", ["clinician", "patient", "other"], key=f"view_roles_{ctx.key}")
    why = f3.toggle("Why each tag fired", value=True, key=f"view_why_{ctx.key}")
    shown = [i for i, u in enumerate(utts)
             if (not tags or set(tags) & set(_labels(u))) and (not roles or u.get("role") in roles)]
    sel = st.session_state.get(SELECTED)
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
        u = utts[i]
        left, right = st.columns([12, 1])
        with left.container(key=f"utt_{i}"):
            utterance_block(i, u, why=why, comments=n_comments.get(i, 0))
        if right.button("▶", key=f"view_play_{ctx.key}_{i}", help="Select this utterance and play from here"):
            select_utterance(i)
            st.rerun()


def comment_box(ctx, i: int) -> None:
    """Comments on this utterance (a coach's, visible to the clinician) and tag corrections."""
    mine = [c for c in ctx.comments if c.utterance == i]
    for c in mine:
        st.markdown(f":material/chat: **{c.author}** ({c.author_role}, {c.created_at:%Y-%m-%d %H:%M}): {c.text}")
    for c in (c for c in ctx.corrections if c.utterance == i and c.kind == "tag"):
        was = tag_name(c.machine) if c.machine != "(none)" else "no tag"
        now = tag_name(c.corrected) if c.corrected != "(none)" else "no tag"
        st.markdown(f":material/edit: **{c.author}** corrected a tag: {was} → **{now}** "
                    f"({c.created_at:%Y-%m-%d %H:%M})")
    if ctx.add_comment is not None:
        with st.form(f"comment_{ctx.key}_{i}", clear_on_submit=True):
            text = st.text_area("Comment on this moment", key=f"view_comment_text_{i}", height=80)
            if st.form_submit_button("Add comment") and text.strip():
                ctx.add_comment(i, text.strip())
                st.rerun()
    if ctx.add_correction is not None:
        u = ctx.analysis["utterances"][i]
        machine = list(dict.fromkeys(_labels(u))) or ["(none)"]
        with st.expander("Correct a tag (kept beside the machine's label as training data)"):
            c1, c2 = st.columns(2)
            old = c1.selectbox("Machine's tag", machine, format_func=lambda x: tag_name(x) if x != "(none)" else x,
                               key=f"view_corr_old_{i}")
            # No preselected answer: a default equal to the machine's tag would save a no-op correction.
            new = c2.selectbox("Should be", [t for t in list(TAG_NAMES) + ["(none)"] if t != old], index=None,
                               placeholder="Choose the right tag", key=f"view_corr_new_{i}",
                               format_func=lambda x: tag_name(x) if x != "(none)" else "no tag")
            if st.button("Save correction", key=f"view_corr_save_{i}", disabled=new is None):
                ctx.add_correction(i, old, new)
                st.rerun()  # the panel lists it above, as the clinician will see it
