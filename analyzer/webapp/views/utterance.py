"""One utterance as every tab shows it (role, time, text, tags, why they fired), the selected
utterance's panel with its audio, and the comments and tag corrections on it."""
from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

import streamlit as st

from .. import media_guard
from .common import TAG_NAMES, badge, fmt_time, tag_name, text
from .context import ReportContext, selected

ROLE_ICONS = {"clinician": ":blue[:material/stethoscope:]", "patient": ":violet[:material/person:]",
              "other": ":gray[:material/group:]"}


def labels(u: dict[str, Any]) -> list[str]:
    return [t["label"] for t in u.get("tags") or [] if isinstance(t, dict) and isinstance(t.get("label"), str)]


def utterance_block(i: int, u: dict[str, Any], why: bool = False, comments: int = 0) -> None:
    role = str(u.get("role") or "other")
    head = f"{ROLE_ICONS.get(role, ROLE_ICONS['other'])} **{text(role)}** · {fmt_time(u.get('start'))}"
    if comments:
        head += f" · :material/chat: {comments}"
    badges = " ".join(badge(lab) for lab in dict.fromkeys(labels(u)))
    st.markdown(f"{head}  \n{text(u.get('text', ''))}" + (f"  \n{badges}" if badges else ""))
    if why:
        best: dict[str, dict] = {}  # one line per label: its strongest sentence
        for t in u.get("tags") or []:
            if isinstance(t, dict) and t.get("why") and t.get("score", 0) >= best.get(t.get("label"), {}).get("score", -1):
                best[t.get("label")] = t
        if best:
            st.caption("  \n".join(f"{text(tag_name(str(k)))} ({t.get('score', 0):.2f}): {text(t['why'])}"
                                   for k, t in best.items()))


def play(ctx: ReportContext, at: float | None) -> None:
    """The recording from just before ``at``, for this browser session only (see media_guard)."""
    if ctx.audio is None or not Path(ctx.audio).exists():
        st.caption(ctx.audio_note or "No recording is stored for this visit (a transcript, or audio deleted "
                   "after analysis).")
        return
    mime = mimetypes.guess_type(str(ctx.audio))[0] or "audio/ogg"
    start = int(max(0.0, (at or 0.0) - 0.5))
    if ctx.key.startswith("sample_"):  # the bundled synthetic samples are public
        st.audio(str(ctx.audio), format=mime, start_time=start)
        return
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    data = Path(ctx.audio).read_bytes()
    run = get_script_run_ctx()
    if run is not None:
        media_guard.register(_calculate_file_id(data, mime), run.session_id, st.context.cookies.get(media_guard.COOKIE))
    # No autoplay: every tab is rendered at once, so the Timeline, Transcript and Moments panels
    # would all start playing together.
    st.audio(data, format=mime, start_time=start)


def selected_panel(ctx: ReportContext, where: str) -> None:
    """The selected utterance with its tags, audio from there, comments and corrections."""
    i = selected()
    utts = ctx.analysis.get("utterances", [])
    if not isinstance(i, int) or not 0 <= i < len(utts):
        st.caption("Click a point on the timeline, a moment or ▶ in the transcript to play from there.")
        return
    u = utts[i]
    with st.container(border=True, key=f"selected_{where}"):
        st.markdown(f"**Selected: utterance {i + 1}** at {fmt_time(u.get('start'))}")
        utterance_block(i, u, why=True)
        play(ctx, u.get("start"))
        if where == "transcript":
            comment_box(ctx, i)


def comment_box(ctx: ReportContext, i: int) -> None:
    """Comments on this utterance (a coach's, visible to the clinician) and tag corrections."""
    for c in (c for c in ctx.comments if c.utterance == i):
        st.markdown(f":material/chat: **{text(c.author)}** ({text(c.author_role)}, "
                    f"{c.created_at:%Y-%m-%d %H:%M}): {text(c.text)}")
    for c in (c for c in ctx.corrections if c.utterance == i and c.kind == "tag"):
        was = tag_name(c.machine) if c.machine != "(none)" else "no tag"
        now = tag_name(c.corrected) if c.corrected != "(none)" else "no tag"
        st.markdown(f":material/edit: **{text(c.author)}** corrected a tag: {text(was)} → **{text(now)}** "
                    f"({c.created_at:%Y-%m-%d %H:%M})")
    if ctx.add_comment is not None:
        with st.form(f"comment_{ctx.key}_{i}", clear_on_submit=True):
            body = st.text_area("Comment on this moment", key=f"view_comment_text_{i}", height=80)
            if st.form_submit_button("Add comment") and body.strip():
                ctx.add_comment(i, body.strip())
                st.rerun()
    if ctx.add_correction is not None:
        u = ctx.analysis["utterances"][i]
        machine = list(dict.fromkeys(labels(u))) or ["(none)"]
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
