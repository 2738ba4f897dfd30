"""What every tab of a report draws from: the ``ReportContext``, the report built from the
analysis, and the selected utterance. The tabs import this module, never each other."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import streamlit as st

SELECTED = "view_utt"  # session key: the utterance the user is looking at (timeline click, ▶, moment)


@dataclass
class ReportContext:
    key: str  # "sample:good_visit" or "visit:12": widget keys and caches
    title: str
    analysis: dict[str, Any]
    audio: Path | None = None
    audio_note: str | None = None  # why there is no recording to play, when there is a reason to say
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


def selected() -> int | None:
    return st.session_state.get(SELECTED)
