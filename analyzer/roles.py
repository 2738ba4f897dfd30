"""Who is the clinician, who is the patient, who is someone else.

Clinicians ask most of the questions, use clinical vocabulary ("any chest pain?", "I'd
recommend", "let me examine") and usually open the visit; patients talk about themselves
("I've been", "my back"). Each speaker gets a clinician-likeness score from these cues; the
highest is the clinician, the next most talkative the patient, anyone else "other". The
confidence is the margin between the top two scores, squashed to 0..1. Users can override.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .model import ROLES, Transcript

_QUESTION_START = re.compile(
    r"^(what|how|when|where|why|who|which|whose|do|does|did|are|is|was|were|have|has|had|can|could|"
    r"would|will|should|shall|may|any|anything|tell me)\b",
    re.I,
)
_CLINICIAN_CUES = re.compile(
    r"\b(recommend|prescrib\w*|examin\w*|exam|blood pressure|blood test|bloods|tests?|results?|"
    r"medication|medicine|dose|mg|milligrams?|symptoms?|diagnos\w*|refer\w*|scan|x-ray|"
    r"let me|let's|take a look|how can i help|what brings you|any (chest|pain|fever|allerg\w*|"
    r"history|other|problems?|changes?)|do you (have|take|smoke|drink)|have you (had|been|noticed|tried)|"
    r"on a scale|follow[- ]up|nurse|pharmacy|appointment|i'?d like you to|i'?ll)\b",
    re.I,
)
_PATIENT_CUES = re.compile(
    r"\b(i'?ve been|i have been|i'?m (worried|scared|afraid|not sure|feeling|tired|exhausted)|"
    r"i feel|i felt|it hurts|my (back|chest|head|stomach|knee|leg|arm|wife|husband|mum|mom|dad|"
    r"daughter|son|job|work|doctor)|i (can'?t|couldn'?t) (sleep|eat|work|breathe)|doctor|thank you|"
    r"thanks)\b",
    re.I,
)


@dataclass
class RoleEvidence:
    speaker: str
    words: int
    questions: int
    utterances: int
    clinician_cues: int
    patient_cues: int
    spoke_first: bool
    score: float


def is_question(text: str) -> bool:
    t = text.strip()
    if not t:
        return False
    if t.endswith("?") or t.endswith("? ") or "?" in t[-3:]:
        return True
    return bool(_QUESTION_START.match(t))


def speaker_evidence(t: Transcript) -> dict[str, RoleEvidence]:
    ev: dict[str, RoleEvidence] = {}
    first = t.utterances[0].speaker if t.utterances else None
    for sid in t.speaker_ids():
        utts = [u for u in t.utterances if u.speaker == sid]
        words = sum(len(u.text.split()) for u in utts)
        # Count question sentences, not utterances: a clinician stacks several in one turn.
        sentences = [s for u in utts for s in re.split(r"(?<=[.?!])\s+", u.text) if s.strip()]
        q = sum(1 for s in sentences if is_question(s))
        cc = sum(len(_CLINICIAN_CUES.findall(u.text)) for u in utts)
        pc = sum(len(_PATIENT_CUES.findall(u.text)) for u in utts)
        n = max(1, len(sentences))
        score = (
            3.0 * (q / n)
            + 1.5 * (cc - pc) / math.sqrt(max(1, words) / 10)
            + (0.3 if sid == first else 0.0)
        )
        ev[sid] = RoleEvidence(sid, words, q, len(utts), cc, pc, sid == first, score)
    return ev


def assign_roles(t: Transcript) -> None:
    """Fill in roles for speakers whose role was not given by the input or the user."""
    t.ensure_speakers()
    fixed = {sid: s.role for sid, s in t.speakers.items() if s.role_source in ("input", "user")}
    taken = {r for r in fixed.values() if r in ("clinician", "patient")}
    auto = [sid for sid in t.speaker_ids() if sid not in fixed]
    if not auto:
        _apply(t)
        return
    ev = speaker_evidence(t)
    ranked = sorted(auto, key=lambda s: ev[s].score, reverse=True)
    scores = [ev[s].score for s in ranked]
    margin = scores[0] - scores[1] if len(scores) > 1 else abs(scores[0]) * 0.5
    conf = 1 / (1 + math.exp(-3.0 * margin))  # 0.5 = coin toss, ->1 as the cues separate
    remaining = [r for r in ("clinician", "patient") if r not in taken]
    if len(ranked) == 1 and len(remaining) == 2 and len(t.speaker_ids()) == 1:
        # A single voice: decide by the sign of its own score.
        sid = ranked[0]
        role = "clinician" if ev[sid].score > 1.0 else "patient"
        _set(t, sid, role, min(conf, 0.6))
        t.warnings.append(f"only one speaker was found ({sid}); roles and turn-taking need two")
        _apply(t)
        return
    if "clinician" in remaining:
        _set(t, ranked.pop(0), "clinician", conf)
    if "patient" in remaining and ranked:
        # The patient is the most talkative of the rest (a relative or interpreter says less).
        ranked.sort(key=lambda s: (ev[s].words - 5 * ev[s].clinician_cues), reverse=True)
        sid = ranked.pop(0)
        second = ev[ranked[0]].words if ranked else 0
        pconf = conf if not ranked else min(conf, 0.5 + 0.5 * (ev[sid].words - second) / max(1, ev[sid].words))
        _set(t, sid, "patient", pconf)
    for sid in ranked:
        _set(t, sid, "other", 0.5)
    _apply(t)


def apply_role_overrides(t: Transcript, overrides: dict[str, str]) -> None:
    """User's word is final: set roles by speaker id (or by a speaker's label)."""
    t.ensure_speakers()
    by_label = {(s.label or "").lower(): sid for sid, s in t.speakers.items() if s.label}
    for key, role in overrides.items():
        if role not in ROLES:
            raise ValueError(f"role {role!r} for {key!r}: expected one of {', '.join(ROLES)}")
        sid = key if key in t.speakers else by_label.get(key.lower())
        if sid is None:
            raise ValueError(f"no speaker {key!r}; speakers are {', '.join(t.speaker_ids())}")
        sp = t.speakers[sid]
        sp.role, sp.role_confidence, sp.role_source = role, 1.0, "user"  # type: ignore[assignment]
    _apply(t)


def parse_role_overrides(spec: str | None) -> dict[str, str]:
    """'S1=clinician,S2=patient' -> {'S1': 'clinician', 'S2': 'patient'}."""
    out: dict[str, str] = {}
    if not spec:
        return out
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(f"role override {part!r}: expected SPEAKER=ROLE, e.g. S1=clinician")
        k, v = (x.strip() for x in part.split("=", 1))
        out[k] = v.lower()
    return out


def _set(t: Transcript, sid: str, role: str, conf: float) -> None:
    sp = t.speakers[sid]
    sp.role, sp.role_confidence, sp.role_source = role, round(conf, 3), "auto"  # type: ignore[assignment]


def _apply(t: Transcript) -> None:
    for u in t.utterances:
        u.role = t.speakers[u.speaker].role
