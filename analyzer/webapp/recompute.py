"""Role review: who each speaker is, and the analysis again after a role change.

A role change only needs the analysis stages (tags, turn-taking) re-run on the stored
transcript: the words and times stay, speech recognition is not repeated.
"""
from __future__ import annotations

import copy
from typing import Any

from ..model import ROLES, Transcript
from ..pipeline import STAGES, Options, _load_stages
from ..progress import Progress
from ..roles import apply_role_overrides

# Keys the analysis stages add; cleared before the stages run again so nothing stale survives.
_UTTERANCE_STAGE_KEYS = ("tags", "main", "main_score")
_TOP_STAGE_KEYS = ("events", "metrics")


def recompute(analysis: dict[str, Any], overrides: dict[str, str], progress: Progress | None = None) -> dict[str, Any]:
    """The analysis with ``overrides`` (speaker id -> role) applied and every stage re-run."""
    bad = {sid: r for sid, r in overrides.items() if r not in ROLES}
    if bad:
        raise ValueError(f"unknown role(s) {bad}; expected one of {', '.join(ROLES)}")
    t = Transcript.from_dict(copy.deepcopy(analysis))
    for u in t.utterances:
        for k in _UTTERANCE_STAGE_KEYS:
            u.extra.pop(k, None)
    for k in _TOP_STAGE_KEYS:
        t.extra.pop(k, None)
    apply_role_overrides(t, overrides)
    progress = progress or Progress()
    _load_stages()
    opts = Options(roles=dict(overrides))
    for name, stage in STAGES.items():
        with progress.stage(name):
            stage(t, opts, progress)
    return t.to_dict()


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
