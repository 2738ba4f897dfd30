"""Shared bits of the pages: the store (one per process), the signed-in user, navigation."""
from __future__ import annotations

from typing import Any

import streamlit as st

from ..config import AppConfig

# Tag colours (Streamlit badge colours), grouped by what they mean for the relationship.
TAG_COLOURS = {
    "question.open": "green", "question.closed": "orange", "reflection.simple": "blue",
    "reflection.complex": "violet", "empathy": "violet", "affirmation": "green", "partnership": "blue",
    "agenda": "green", "information": "gray", "advice": "gray", "dismissal": "red", "emotional_cue": "orange",
}
TAG_NAMES = {
    "question.open": "open question", "question.closed": "closed question", "reflection.simple": "simple reflection",
    "reflection.complex": "complex reflection", "empathy": "empathy", "affirmation": "affirmation",
    "partnership": "partnership", "agenda": "agenda", "information": "information", "advice": "advice",
    "dismissal": "dismissal", "emotional_cue": "emotional cue",
}
RATING_COLOURS = {"good": "green", "fair": "orange", "needs work": "red", "info": "blue", "n/a": "gray"}


def rating_badge(rating: str) -> str:
    return f":{RATING_COLOURS.get(rating, 'gray')}-badge[{rating}]"


@st.cache_resource(show_spinner="Opening the visit store…")
def get_store(data_dir: str, db_url: str | None):
    from ...store import open_store

    return open_store(data_dir, db_url)


def store_for(cfg: AppConfig):
    return get_store(str(cfg.data_dir), cfg.db_url)


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def tag_name(label: str) -> str:
    return TAG_NAMES.get(label, label.replace("_", " ").replace(".", " "))


def badge(label: str) -> str:
    """Markdown badge for a tag (Streamlit's :color-badge[...] syntax)."""
    colour = TAG_COLOURS.get(label, "gray")
    text = tag_name(label).replace("[", "(").replace("]", ")")
    return f":{colour}-badge[{text}]"


# st.metric cuts long values and labels with "…" ("not interrupted (7.3 s)" showed as "not interrupted…"):
# let them wrap instead, so every figure is read whole.
_CSS = """<style>
[data-testid="stMetricValue"], [data-testid="stMetricValue"] *, [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: anywhere; }
[data-testid="stMetricValue"] { font-size: 1.7rem; line-height: 1.2; }
/* The progress panel is redrawn every second; Streamlit greys stale elements while it reruns, which
   made the panel flicker grey. It is never stale in a way that matters. */
.st-key-analysis_progress, .st-key-analysis_progress *, [data-stale="true"]:has(.st-key-analysis_progress) {
  opacity: 1 !important; transition: none !important; }
</style>"""


def page_style() -> None:
    st.html(_CSS)


def goto(**params: Any) -> None:
    """Navigate: replace the URL's query parameters and rerun."""
    st.query_params.clear()
    for k, v in params.items():
        if v is not None:
            st.query_params[k] = str(v)
    for k in [k for k in st.session_state if str(k).startswith("view_")]:
        del st.session_state[k]  # per-visit view state (selected utterance, filters)
    st.rerun()


def show_error(message: str) -> None:
    st.error(message, icon=":material/error:")
