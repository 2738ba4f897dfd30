"""The visit list (own visits, or those shared with a coach) and the progress chart per clinician."""
from __future__ import annotations

from typing import Any

import streamlit as st

from .. import visits as visits_mod
from .common import fmt_time, goto, text

STATE_LABELS = {"done": ":green-badge[analysed]", "queued": ":blue-badge[queued]", "running": ":blue-badge[analysing]",
                "failed": ":red-badge[failed]", "interrupted": ":orange-badge[interrupted]", "new": ":gray-badge[new]"}


def visits_page(store, user) -> None:
    st.header("Visits shared with me" if user.role == "coach" else "My visits", anchor=False)
    items = store.visits_for(user)
    if not items:
        st.info("No visit shared with you yet." if user.role == "coach" else
                "No visit yet: analyse one (New visit), or open a sample visit from the sidebar.")
        return
    for v in items:
        state = v.status
        live = visits_mod.jobs.get_job(visits_mod.job_key(store, v.id))
        if live is not None and live.active:
            state = live.state
        elif state == "queued":
            state = "interrupted"  # queued before the app stopped: nothing will pick it up by itself
        with st.container(border=True, key=f"visit_row_{v.id}"):
            c1, c2, c3 = st.columns([5, 2, 1])
            owner = f" · by {text(v.owner)}" if user.role == "coach" else ""
            shared = f" · shared with {text(', '.join(v.shared_with))}" if v.shared_with else ""
            c1.markdown(f"**{text(v.title) or '(untitled)'}**  \n{v.created_at:%Y-%m-%d %H:%M} · {text(v.source_name)}"
                        + (f" · {fmt_time(v.duration)}" if v.duration else "") + owner + shared
                        + _feedback(store, user, v.id))
            c2.markdown(STATE_LABELS.get(state, state))
            if state in ("interrupted", "failed") and user.role == "clinician":
                if c2.button("Re-run", key=f"rerun_{v.id}"):
                    visits_mod.rerun(store, user, store.get_visit(user, v.id))
                    goto(visit=v.id)
            if c3.button("Open", key=f"open_{v.id}"):
                goto(visit=v.id)
    rows = store.export_corrections(user)
    if rows:
        import json

        st.download_button(f"Corrections as training data ({len(rows)}, JSON lines, redacted)",
                           "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                           file_name="corrections.jsonl", mime="application/json", key="dl_corrections")


_RATING_HEX = {"good": "#21a366", "fair": "#f0a030", "needs work": "#d93f3f", "info": "#3a7bd5", "n/a": "#999999"}


def _feedback(store, user, visit_id: int) -> str:
    """A coach's comments and corrections on the visit, so the clinician sees where to look."""
    n_c, n_k = len(store.comments(user, visit_id)), len(store.corrections(user, visit_id))
    parts = [f"{n} {w}{'s' if n != 1 else ''}" for n, w in ((n_c, "comment"), (n_k, "correction")) if n]
    return f"  \n:violet-badge[{', '.join(parts)}]" if parts else ""


def _numeric(fig: dict[str, Any]) -> float | None:
    v = fig.get("value")
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v):
        return float(v[0]) / max(1.0, float(v[0]) + float(v[1]))  # open : closed -> share of open questions
    return None


def progress_page(store, user) -> None:
    import plotly.graph_objects as go
    from html import escape

    st.header("Progress across visits", anchor=False)
    if user.role == "coach":
        owners = sorted({v.owner for v in store.visits_for(user)})
        if not owners:
            st.info("No clinician has shared a visit with you yet.")
            return
        clinician = st.selectbox("Clinician", owners, key="progress_clinician")
    else:
        clinician = user.username
    rows = store.progress(user, clinician)
    if not rows:
        st.info("No analysed visit yet.")
        return
    keys: dict[str, str] = {}
    for r in rows:
        for k, f in r["figures"].items():
            if _numeric(f) is not None:
                keys.setdefault(k, f["label"])
    default = [k for k in ("talk_share_patient", "reflection_to_question", "empathic_response_rate",
                           "interruptions_by_clinician") if k in keys] or list(keys)[:4]
    chosen = st.multiselect("Figures", list(keys), default=default, format_func=lambda k: keys[k],
                            key="progress_figures")
    # x: the visits in order (several a day are common; a time axis would stack them on one point).
    xs = [f"{n + 1}. {r['date'][:10]}" for n, r in enumerate(rows)]
    cols = st.columns(2)
    for n, k in enumerate(chosen):
        px, ys, hover, colours = [], [], [], []
        pct = False
        for x, r in zip(xs, rows):
            f = r["figures"].get(k)
            y = _numeric(f) if f else None
            if y is not None:
                pct = f.get("unit") == "percent" or f.get("unit") == "pair"
                px.append(x)
                ys.append(100 * y if pct else y)
                hover.append(f"{escape(str(r['title']))}: {escape(str(f['display']))} ({escape(str(f['rating']))})")
                colours.append(_RATING_HEX.get(f.get("rating"), "#888888"))
        # Each point coloured by its rating against the figure's reference (as on the scorecard).
        # Plotly reads <a>, <b>... in hover text: the visit's title is escaped to stay text.
        fig = go.Figure(go.Scatter(x=px, y=ys, mode="lines+markers", text=hover, hoverinfo="text",
                                   line=dict(color="#9aa5b1"), marker=dict(size=11, color=colours)))
        title = keys[k] + (" (% open)" if k == "open_closed" else "")
        fig.update_layout(title=title, height=260, margin=dict(l=10, r=10, t=40, b=10))
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=xs)
        fig.update_yaxes(rangemode="tozero", ticksuffix=" %" if pct else "", range=[-4, 104] if pct else None)
        cols[n % 2].plotly_chart(fig, key=f"progress_chart_{k}", width="stretch")
    st.caption("One point per analysed visit, oldest first, coloured by its rating: :green[good], :orange[fair], "
               ":red[needs work], :blue[info]. Hover for the visit.")
    # st.table reads Markdown in its cells: the title goes through text().
    st.table([{"#": n + 1, "visit": text(r["title"]), "date": r["date"][:10],
               **{keys[k]: r["figures"].get(k, {}).get("display") for k in chosen}} for n, r in enumerate(rows)])
