"""Shared bits of the pages: the store (one per process), navigation, and ``text()``, the only
way user-written text reaches an element that reads Markdown."""
from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

import streamlit as st

from .. import errorlog
from ..config import AppConfig, load_config

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


# What Markdown, GFM and Streamlit read inside a line: emphasis, code, links and images, HTML and
# autolinks, tables, strikethrough, LaTeX, ``:directive[...]``/``:icon:`` and entities.
_INLINE = re.compile(r"([\\`*_\[\]<>|~$:]|&(?=#|[A-Za-z]+;))")
# ... and at the start of a line: headings, quotes, lists, rules, setext underlines.
_LINE_START = re.compile(r"^([#>+\-=]|\d+(?=[.)]))")
_WJ = "\u2060"  # word joiner: invisible, not a space


def text(value: Any) -> str:
    """User-written text (a title, a transcript line, a speaker label, a comment, a file name, a
    user name) for any element that reads Markdown: markdown, captions, alerts, headers, widget
    labels, progress text, table cells. It is shown as typed: no formatting, image, link, HTML,
    icon or colour.

    The characters that start Markdown are backslash-escaped (ordinary punctuation is left
    alone, so the text stays readable in the page source). GFM still turns bare ``http://``,
    ``www.`` and e-mail addresses into links, and Streamlit ``:material/name:`` into an icon,
    whatever is escaped, so an invisible word joiner is put inside them. Line breaks are kept, without the leading spaces that would start a
    code block."""
    out = []
    for line in str(value if value is not None else "").splitlines():
        line = _INLINE.sub(r"\\\1", line.strip())
        line = _LINE_START.sub(lambda m: ("\\" + m.group(1)) if not m.group(1)[0].isdigit()
                               else m.group(1) + "\\", line)
        if line:
            out.append(line)
    joined = "  \n".join(out)
    joined = re.sub(r"(:)(?=//|[A-Za-z])", lambda m: m.group(1) + _WJ, joined)  # ...and :icon/: names
    joined = re.sub(r"(?i)(www)(?=\.)", lambda m: m.group(1) + _WJ, joined)
    return joined.replace("@", "@" + _WJ)


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
    return TAG_NAMES.get(label, str(label).replace("_", " ").replace(".", " "))


def badge(label: str) -> str:
    """Markdown badge for a tag (Streamlit's :color-badge[...] syntax)."""
    return f":{TAG_COLOURS.get(label, 'gray')}-badge[{text(tag_name(label))}]"


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


def show_failure(where: str, exc: BaseException) -> None:
    """One line instead of a traceback; the traceback goes to the app's error log."""
    from ...store.errors import StoreFault

    if isinstance(exc, StoreFault):  # full, read-only, damaged or unreachable: already one plain line
        show_error(f"The visit store cannot be used: {text(str(exc))}")
        return
    ref, path = errorlog.record(load_config().data_dir, where, exc)
    log = f"in {text(path)}" if path else "in the app's console output (the log file could not be written)"
    st.error(f"This could not be shown: {errorlog.one_line(exc)}. Nothing already stored is lost; reload the "
             f"page to try again. The details are {log}, reference {ref}.", icon=":material/error:")


@contextmanager
def guard(where: str) -> Iterator[None]:
    """Around a page or a fragment: what escapes is shown as one line (``show_failure``).
    Streamlit's st.stop/st.rerun are BaseExceptions and pass through."""
    try:
        yield
    except Exception as e:
        if type(e).__name__ == "FragmentHandledException":  # Streamlit's own signal: already shown
            raise
        show_failure(where, e)
