"""Role review: who each speaker is, and the analysis again after a role change.

A role change re-runs the analysis stages on the stored transcript through the runner (the
words and times stay, speech recognition is not repeated); the recording, when it is still
there, is decoded again for the stages that read it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model import ROLES
from ..progress import Progress
from ..runner import Options, reanalyse


def recompute(analysis: dict[str, Any], overrides: dict[str, str], progress: Progress | None = None,
              recording: Path | None = None) -> dict[str, Any]:
    """The analysis with ``overrides`` (speaker id -> role) applied and every stage re-run."""
    bad = {sid: r for sid, r in overrides.items() if r not in ROLES}
    if bad:
        raise ValueError(f"unknown role(s) {bad}; expected one of {', '.join(ROLES)}")
    return reanalyse(analysis, recording, Options(roles=dict(overrides)), progress).to_dict()


def swapped(analysis: dict[str, Any]) -> dict[str, str]:
    """Overrides that swap clinician and patient (other speakers keep their role)."""
    swap = {"clinician": "patient", "patient": "clinician"}
    return {sp["id"]: swap.get(sp.get("role"), sp.get("role") or "other") for sp in analysis.get("speakers", [])}


def speaker_rows(analysis: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per speaker: role, confidence, talk time and a sample line (a typical utterance)."""
    utts = analysis.get("utterances", [])
    rows = []
    for sp in analysis.get("speakers", []):
        own = [(i, u) for i, u in enumerate(utts) if u.get("speaker") == sp["id"]]
        # A sample line that says something: the first utterance of 6+ words, else the longest.
        sample = next(((i, u) for i, u in own if len(u.get("text", "").split()) >= 6), None)
        if sample is None and own:
            sample = max(own, key=lambda iu: len(iu[1].get("text", "")))
        text = sample[1]["text"].strip() if sample else ""
        rows.append({
            "id": sp["id"], "label": sp.get("label") or "", "role": sp.get("role") or "other",
            "confidence": sp.get("role_confidence"), "source": sp.get("role_source") or "auto",
            "talk_time": sp.get("talk_time"), "utterances": len(own),
            "sample": text if len(text) <= 160 else text[:157] + "…",
            "sample_at": sample[1].get("start") if sample else None,
            "sample_index": sample[0] if sample else None,
        })
    return rows


def current_roles(analysis: dict[str, Any]) -> dict[str, str]:
    return {sp["id"]: sp.get("role") or "other" for sp in analysis.get("speakers", [])}
