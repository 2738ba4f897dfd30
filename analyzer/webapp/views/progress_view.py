"""The running analysis: stage names, a bar, elapsed time; polled by a fragment so the rest of
the page stays usable while the background thread works."""
from __future__ import annotations

import streamlit as st

from .. import jobs
from .common import guard

POLL_S = 1.0
_ICONS = {"done": ":green[:material/check_circle:]", "running": ":blue[:material/pending:]",
          "waiting": ":gray[:material/radio_button_unchecked:]"}


def draw_job(job: jobs.Job) -> None:
    if job.state == "queued":
        ahead = jobs.queued_ahead(job)
        st.progress(0.0, text=f"Waiting: {ahead} analysis{'es' if ahead != 1 else ''} ahead of this one "
                              "(one runs at a time on this machine)")
        return
    overall = job.tracker.overall()
    rows = job.tracker.snapshot()
    current = next((r for r in rows if r["state"] == "running"), None)
    label = current["label"] if current else "Finishing"
    st.progress(min(1.0, overall), text=f"{label} · {overall:.0%} · {job.elapsed():.0f} s")
    lines = []
    for r in rows:
        pct = f" {r['fraction']:.0%}" if r["state"] == "running" else ""
        detail = f" ({r['detail']})" if r["detail"] else ""
        lines.append(f"{_ICONS[r['state']]} {r['label']}{pct}{detail}")
    st.markdown("  \n".join(lines))


def progress_panel(job: jobs.Job) -> None:
    """Redrawn every second; when the job ends the whole page reruns to show the result."""

    @st.fragment(run_every=POLL_S)
    def panel() -> None:
        if not job.active:
            st.rerun()
        with guard("progress panel"), st.container(key="analysis_progress"):
            st.subheader("Analysing…", anchor=False)
            draw_job(job)
            st.caption("You can leave this page: the analysis goes on, and the visit list shows when it is done.")

    panel()


def elsewhere_panel(store, user, visit_id: int) -> None:
    """A job run by another process (a batch worker): show what its heartbeat last recorded."""

    @st.fragment(run_every=2 * POLL_S)
    def panel() -> None:
        with guard("progress panel (another process)"):
            store.recover_interrupted()  # a worker that died shows as interrupted, not as running forever
            v = store.get_visit(user, visit_id)
            j = v.jobs[-1] if v.jobs else None
            if j is None or j.state != "running":
                st.rerun()
            st.subheader("Analysing (in another process)…", anchor=False)
            st.progress(min(1.0, j.progress or 0.0), text=f"{j.stage or 'starting'} · {(j.progress or 0):.0%}")

    panel()
