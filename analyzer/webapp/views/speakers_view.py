"""Speaker review: each detected speaker with role and a sample line; swap or reassign roles."""
from __future__ import annotations

import streamlit as st

from ...model import ROLES
from ..recompute import current_roles, speaker_rows, swapped
from .common import fmt_time, text
from .context import ReportContext


def speakers(ctx: ReportContext) -> None:
    a = ctx.analysis
    rows = speaker_rows(a)
    st.caption("Check who is who: every figure depends on it. Roles were found from what each speaker says; "
               "change them here and the report is recomputed from the stored transcript (no re-transcription).")
    chosen: dict[str, str] = {}
    editable = ctx.set_roles is not None or ctx.suggest_role is not None
    for r in rows:
        with st.container(border=True, key=f"speaker_{r['id']}"):
            c1, c2 = st.columns([1, 3])
            with c1:
                name = text(r["id"]) + (f" ({text(r['label'])})" if r["label"] else "")
                if editable:
                    chosen[r["id"]] = st.selectbox(name, ROLES, index=ROLES.index(r["role"]) if r["role"] in ROLES else 2,
                                                   key=f"view_role_{ctx.key}_{r['id']}_{r['role']}")
                else:
                    st.markdown(f"**{name}**: {text(r['role'])}")
                conf = r["confidence"]
                src = {"auto": "detected", "user": "set by you", "input": "from the transcript"}.get(r["source"], r["source"])
                st.caption(text(src) + (f", confidence {conf:.0%}" if conf is not None and r["source"] == "auto" else ""))
            with c2:
                talk = f"{r['talk_time']:.0f} s of speech, " if r["talk_time"] else ""
                st.caption(f"{talk}{r['utterances']} utterances · sample at {fmt_time(r['sample_at'])}")
                st.markdown(f"> {text(r['sample']) or '(no words)'}")
    if not editable:
        st.caption("Only the clinician who owns this visit can change its roles.")
        return
    before = current_roles(a)
    c1, c2 = st.columns(2)
    if ctx.set_roles is not None:
        if c1.button("Swap clinician and patient", key=f"swap_{ctx.key}"):
            ctx.set_roles(swapped(a))
            return
        if c2.button("Recompute with these roles", key=f"apply_roles_{ctx.key}", disabled=chosen == before,
                     type="primary"):
            ctx.set_roles(chosen)
            return
    else:  # a coach: the role correction is recorded for the clinician, the report stays as is
        if c1.button("Record role corrections", key=f"suggest_roles_{ctx.key}", disabled=chosen == before):
            for sid, role in chosen.items():
                if role != before.get(sid):
                    ctx.suggest_role(sid, before.get(sid, "other"), role)
            st.success("Role corrections recorded for the clinician.")
