"""Mono (diarized mix): interruptions from the overlapped-speech detector (analyzer/overlap).

In a mix, Whisper writes one voice where two overlap and the diarizer gives each moment one
speaker, so the interrupter's onset under the other's speech leaves no overlapping words. The
detector finds where two voices sound at once in the audio itself; an interruption is such a
double-talk region of at least ``MIN_OVERLAP_S`` that starts while one speaker (A) is talking
(A has words within ACTIVE_GAP before it and 4+ words in the run so far) and after which the
other speaker (B) holds the floor (B's first words after the region start inside it or within
``TAKE_WITHIN`` after it, and are not a backchannel). ``at`` is the region's start, ``by`` B,
``of`` A. A's remaining speech is unknown in a mix, so the region's length stands for it
(``of_remaining_s`` is a lower bound) and ``succeeded`` is whether A has no more words within
YIELD_WITHIN of the onset. Events carry ``evidence: "overlap_detector"`` and ``confidence``
"medium" (mean two-voice probability >= 0.7) or "low".

Who cut in is then checked against the voices (``voice.py``: Resemblyzer d-vectors of the
VOICE_S before and after the region against per-speaker centroids from the speakers' clean
speech; the transcript is not changed). The speaker heard before the region is the one cut
into: if the voice there favours A over B by >= VOICE_CONFIRM the event stands; if it favours
B by >= VOICE_FLIP, by/of are swapped (``evidence: "overlap_detector_voice"``, low confidence,
no text); in between (neither voice clear) the event is dropped. A long region the words give
no event for becomes an interruption by Y of X when the audio before it is voiced
(VOICED_SHARE) and the voice before favours X and the voice after favours Y, each by >=
VOICE_TAKE (the interrupter's words were lost or placed too late). Thresholds read off day1.
"""
from __future__ import annotations

import bisect
from typing import Any

import numpy as np

from .lexicon import has_words, is_backchannel
from .params import ACTIVE_GAP, EPS, MIN_UTTERANCE_WORDS, YIELD_WITHIN
from .timeline import Timeline, Tok

MIN_OVERLAP_S = 1.0  # s of double talk for an interruption (the definition: >= 1.0 s of A still to come)
TAKE_WITHIN = 1.0  # s after the region in which B's words must begin
A_BEFORE = 0.1  # s; A is the speaker of the last word begun this long before the region (B's first word may open it)
ONSET_LEAD_S = 1.0  # s; when the words just before the region begin a segment of
#                      theirs that started at most this long before it, right after the other spoke,
#                      they are B's (the diarizer gave B's onset before the double talk was heard)
BRIDGE_S = 0.7  # s; double-talk stretches this close are one region
LOST_ONSET_S = 1.5  # s; a region this long inside A's speech with no words of B is an
#                      interruption by the other role (B's words lost in the mix; low confidence)
BACKCHANNEL_S = (0.4, MIN_OVERLAP_S)  # s: a region (BACKCHANNEL_BRIDGE_S) this long inside A's speech, no words of the
#                       other and A going on, is a backchannel by the other role (low confidence)
BACKCHANNEL_THRESHOLD, BACKCHANNEL_BRIDGE_S = 0.5, 0.2
THRESHOLD = 0.8  # two-voice probability for a region (tuned on day1; None: the model's own, analyzer/assets/overlap/)
VOICE_S = 1.5  # s of audio just before / after a region compared with the speaker centroids (voice.py)
VOICE_CONFIRM = 0.1  # the voice before the region must favour A by this much (cosine), else no event
VOICE_FLIP = 0.15  # ...and if it favours B by this much, B was talking: A came in (by/of swapped)
VOICED_SHARE = 0.4  # share of the VOICE_S before a region that must be voiced for VOICE_TAKE (the
#                     interrupter often comes in at a short pause of A, so not "all of it")
VOICE_TAKE = 0.2  # a region with no word-based event: the voice before favours X and after Y by this much: Y cut in
PARAMS = {"threshold": THRESHOLD, "voice_s": VOICE_S, "voice_confirm": VOICE_CONFIRM, "voice_flip": VOICE_FLIP,
          "voice_take": VOICE_TAKE, "voiced_share": VOICED_SHARE, "bridge_s": BRIDGE_S, "min_overlap_s": MIN_OVERLAP_S, "take_within_s": TAKE_WITHIN,
          "lost_onset_s": LOST_ONSET_S, "onset_lead_s": ONSET_LEAD_S, "backchannel_s": BACKCHANNEL_S, "backchannel_threshold": BACKCHANNEL_THRESHOLD,
          "backchannel_bridge_s": BACKCHANNEL_BRIDGE_S}


def regions_of(prob: np.ndarray) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """(regions for interruptions, short regions for backchannels)."""
    from ..overlap.model import load_model, regions

    thr = float(load_model()["threshold"]) if THRESHOLD is None else THRESHOLD
    return (regions(prob, thr, min_s=0.3, bridge_s=BRIDGE_S),
            regions(prob, BACKCHANNEL_THRESHOLD, min_s=0.2, bridge_s=BACKCHANNEL_BRIDGE_S))


def overlap_probability_for(t, mix: tuple[np.ndarray | None, str]) -> tuple[np.ndarray | None, str]:
    """(two-voice probability per 100 ms, status) for the visit's recording (``mix``: its mono
    samples and status, ``SourceAudio.mix()``)."""
    x, status = mix
    if x is None:
        return None, status
    try:
        from ..overlap.model import overlap_probability

        return overlap_probability(x), status
    except Exception as e:  # noqa: BLE001 - the stage still gives everything else
        return None, f"failed: {type(e).__name__}: {e}"


def voice_for(t, tl: Timeline, regs, mix: tuple[np.ndarray | None, str]) -> tuple[Any, str]:
    """(a ``voice.VoiceJudge`` with one centroid per speaker of the transcript, status); its
    centroid windows keep clear of the double-talk ``regs``."""
    if VOICE_CONFIRM is None:
        return None, "off"
    x, status = mix
    if x is None:
        return None, status
    try:
        from .voice import VoiceJudge

        segs = {sid: [(g.start, g.end) for g in gs] for sid, gs in tl.segments.items()}
        vj = VoiceJudge(x, segs, [(s, e) for s, e, _ in regs])
    except Exception as e:  # noqa: BLE001 - the detector's events are still given
        return None, f"failed: {type(e).__name__}: {e}"
    return vj, "used" if len(vj.centroids) >= 2 else "fewer than two speakers with clean speech"


def _last_before(tl: Timeline, t: float, exclude: str | None = None) -> Tok | None:
    best = None
    for sid, ts in tl.toks.items():
        if sid == exclude:
            continue
        i = bisect.bisect_right(tl.tok_starts[sid], t + EPS)
        for x in ts[max(0, i - 3):i]:
            if x.word and (best is None or x.end > best.end):
                best = x
    return best


def _first_after(tl: Timeline, t: float, exclude: str | None = None) -> Tok | None:
    best = None
    for sid, ts in tl.toks.items():
        if sid == exclude:
            continue
        i = bisect.bisect_left(tl.tok_starts[sid], t - EPS)
        for x in ts[i:i + 3]:
            if x.word and (best is None or x.start < best.start):
                best = x
    return best


def detector_events(tl: Timeline, regions: list[tuple[float, float, float]],
                    short: list[tuple[float, float, float]] = (), voice=None) -> list[dict[str, Any]]:
    """Interruptions from ``regions``; backchannels whose words were lost from ``short``
    regions outside the long ones. With ``voice`` (a ``voice.VoiceJudge``) who cut in is
    checked against the voices heard just before and after each region."""
    out: list[dict[str, Any]] = []
    long = [(s, e) for s, e, _ in regions if e - s >= MIN_OVERLAP_S - EPS]
    for s, e, p in short:
        if not any(a < e and s < b for a, b in long):
            bc = _lost_backchannel(tl, s, e, p)
            if bc is not None:
                out.append(bc)
    regs = [(s, e, p) for s, e, p in regions if e - s >= MIN_OVERLAP_S - EPS]
    sims = _voice_around(voice, regs)
    for (s, e, p), (before, after) in zip(regs, sims):
        ev = _region_event(tl, s, e, p)
        if before:
            ev = _voice_checked(tl, voice, ev, s, e, p, before, after)
        if ev is not None:
            out.append(ev)
    return sorted(out, key=lambda x: x["at"])


def _voice_around(voice, regs) -> list[tuple[dict[str, float], dict[str, float]]]:
    """(similarity to each centroid of the VOICE_S before, of the VOICE_S after) per region."""
    if voice is None or len(getattr(voice, "centroids", {})) < 2 or not regs:
        return [({}, {}) for _ in regs]
    spans = [x for s, e, _ in regs for x in ((max(0.0, s - VOICE_S), s), (e, e + VOICE_S))]
    sim = voice.similarity(spans)
    return [(sim[2 * i], sim[2 * i + 1]) for i in range(len(regs))]


def _voice_checked(tl: Timeline, voice, ev, s: float, e: float, p: float, before: dict[str, float],
                   after: dict[str, float]) -> dict[str, Any] | None:
    """The event kept, with by/of swapped, or dropped by the voice heard before the region (the
    speaker talking then is the one cut into); with no event, one made from a clear change of
    voice across the region."""
    if ev is not None:
        a, b = ev["of_speaker"], ev["by_speaker"]
        if a not in before or b not in before:
            return ev
        d = before[a] - before[b]
        ev["voice_before"] = round(d, 2)
        if d >= VOICE_CONFIRM - EPS:
            return ev
        if VOICE_FLIP is not None and d <= -VOICE_FLIP + EPS:
            ev.update(by=tl.roles.get(a, "other"), by_speaker=a, of=tl.roles.get(b, "other"), of_speaker=b,
                      text="", evidence="overlap_detector_voice", confidence="low")
            return ev
        return None
    if VOICE_TAKE is None:
        return None
    if voice.voiced(s - VOICE_S, s) < VOICED_SHARE - EPS:
        return None  # nobody talking at the region's start (the words there may be lost: voice level)
    pair = [sid for sid in before if sid in after and tl.roles.get(sid) in ("clinician", "patient")]
    if len(pair) != 2 or tl.roles[pair[0]] == tl.roles[pair[1]]:
        return None
    x, y = sorted(pair, key=lambda sid: -before[sid])
    if before[x] - before[y] < VOICE_TAKE - EPS or after[y] - after[x] < VOICE_TAKE - EPS:
        return None
    return {"type": "interruption", "at": round(s, 2), "by": tl.roles[y], "by_speaker": y, "text": "",
            "of": tl.roles[x], "of_speaker": x, "of_remaining_s": round(e - s, 2), "of_remaining_words": None,
            "succeeded": True, "overlap_s": round(e - s, 2), "overlap_probability": round(p, 2),
            "voice_before": round(before[x] - before[y], 2), "evidence": "overlap_detector_voice", "confidence": "low"}


def _region_event(tl: Timeline, s: float, e: float, p: float) -> dict[str, Any] | None:
    """The interruption the transcript's words around a long double-talk region give, if any."""
    from .events import _run_at

    a_tok = _last_before(tl, s - A_BEFORE)
    if a_tok is None or s - a_tok.end > ACTIVE_GAP + EPS:
        return None  # nobody talking at the region's start: a simultaneous start or noise
    a = a_tok.speaker
    b_tok = None
    if ONSET_LEAD_S is not None:  # the words just before the region may already be B's
        seg = next((g for g in tl.segments[a] if g.start - EPS <= a_tok.start <= g.end + EPS), None)
        prev = _last_before(tl, seg.start - EPS, exclude=a) if seg is not None else None
        if (seg is not None and seg.start >= s - ONSET_LEAD_S - EPS and prev is not None
                and seg.start - prev.end <= ACTIVE_GAP + EPS):
            b_tok, a_tok, a = seg.toks[0], prev, prev.speaker
    ra = _run_at(tl, a, a_tok.start)
    if ra is None or sum(1 for x in ra.words if x.end <= s + 0.5) < MIN_UTTERANCE_WORDS:
        return None
    b_tok = b_tok or _first_after(tl, s - 0.3, exclude=a)
    if b_tok is None or b_tok.start > e + TAKE_WITHIN + EPS:
        return _lost_onset(tl, a, ra, s, e, p)
    b = b_tok.speaker
    rb = _run_at(tl, b, b_tok.start)
    said = [x for x in (rb.words if rb else [b_tok]) if x.start >= b_tok.start - EPS]
    text = " ".join(x.text for x in said[:4])
    if not has_words(text) or (len(said) <= 3 and is_backchannel(text)):
        return None
    a_more = [x for x in ra.words if x.start > max(e, b_tok.start) + EPS and x.start <= s + YIELD_WITHIN + EPS]
    return {"type": "interruption", "at": round(s, 2), "by": tl.roles.get(b, "other"), "by_speaker": b,
            "text": " ".join(x.text for x in said[:10]) + (" …" if len(said) > 10 else ""),
            "of": tl.roles.get(a, "other"), "of_speaker": a, "of_remaining_s": round(e - s, 2),
            "of_remaining_words": None, "succeeded": not a_more, "overlap_s": round(e - s, 2),
            "overlap_probability": round(p, 2), "evidence": "overlap_detector",
            "confidence": "medium" if p >= 0.7 else "low"}


def _other_speaker(tl: Timeline, a: str) -> str | None:
    others = [sid for sid, r in tl.roles.items() if sid != a and r in ("clinician", "patient") and r != tl.roles.get(a)]
    return others[0] if len(others) == 1 else None


def _lost_backchannel(tl: Timeline, s: float, e: float, p: float) -> dict[str, Any] | None:
    """A short double-talk region inside A's speech with no words of anyone else near it."""
    from .events import _run_at

    if BACKCHANNEL_S is None or not (BACKCHANNEL_S[0] - EPS <= e - s <= BACKCHANNEL_S[1] + EPS):
        return None
    a_tok = _last_before(tl, s - A_BEFORE)
    if a_tok is None or s - a_tok.end > ACTIVE_GAP + EPS:
        return None
    a = a_tok.speaker
    ra = _run_at(tl, a, a_tok.start)
    b = _other_speaker(tl, a)
    if ra is None or b is None or ra.end < e + 0.3:
        return None  # A must go on past the region
    near = _first_after(tl, s - 0.5, exclude=a)
    if near is not None and near.start <= e + 0.5:
        return None  # the other's words are in the transcript: the word-based rules see them
    return {"type": "backchannel", "at": round(s, 2), "by": tl.roles[b], "by_speaker": b, "text": "",
            "of": tl.roles.get(a, "other"), "of_speaker": a, "overlap_s": round(e - s, 2),
            "overlap_probability": round(p, 2), "evidence": "overlap_detector_no_words", "confidence": "low"}


def _lost_onset(tl: Timeline, a: str, ra, s: float, e: float, p: float) -> dict[str, Any] | None:
    """A keeps talking through a long double-talk region and B's words are nowhere: B's attempt
    was lost in the mix. The other role is B (two-party visit)."""
    if LOST_ONSET_S is None or e - s < LOST_ONSET_S - EPS or ra.end < e - EPS:
        return None
    b = _other_speaker(tl, a)
    if b is None:
        return None
    return {"type": "interruption", "at": round(s, 2), "by": tl.roles[b], "by_speaker": b, "text": "",
            "of": tl.roles.get(a, "other"), "of_speaker": a, "of_remaining_s": round(e - s, 2),
            "of_remaining_words": None, "succeeded": False, "overlap_s": round(e - s, 2),
            "overlap_probability": round(p, 2), "evidence": "overlap_detector_no_words", "confidence": "low"}


def talk_with_double_talk(tl: Timeline, regs: list[tuple[float, float, float]]) -> dict[str, float]:
    """Talk time per role when each double-talk region also counts for the role whose words do
    not cover it (in a mix the transcript gives the region to one voice only)."""
    from .metrics import _union

    spans: dict[str, list[tuple[float, float]]] = {}
    for sid, segs in tl.segments.items():
        spans.setdefault(tl.roles.get(sid, "other"), []).extend((s.start, s.end) for s in segs)
    two = [r for r in spans if r in ("clinician", "patient")]
    if len(two) == 2:
        add: dict[str, list[tuple[float, float]]] = {r: [] for r in two}
        for s, e, _ in regs:
            cover = {r: _union([(max(a, s), min(b, e)) for a, b in spans[r] if b > s and a < e]) for r in two}
            lo = min(two, key=lambda r: cover[r])
            if cover[lo] < 0.5 * (e - s):
                add[lo].append((s, e))
        for r in two:
            spans[r] = spans[r] + add[r]
    return {r: _union(v) for r, v in spans.items()}
