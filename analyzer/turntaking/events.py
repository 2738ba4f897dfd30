"""Interruptions, backchannels and overlaps at each onset (definitions: package docstring)."""
from __future__ import annotations

import bisect
from typing import Any

from .params import ACK_PAUSE, ACTIVE_GAP, BACKCHANNEL_MAX_WORDS, CUT_OFF_GAP, EPS, MIN_REMAINING_S, MIN_UTTERANCE_WORDS, SEGMENT_GAP, SIMULTANEOUS, UNCLEAR_PROB, YIELD_PAUSE, YIELD_WITHIN
from .lexicon import has_words, is_backchannel, is_unfinished
from .timeline import Run, Span, Timeline, Tok

# --------------------------------------------------------------------------- events

def _r(x: float | None, n: int = 2) -> float | None:
    return None if x is None else round(float(x), n)


def _preview(toks: list[Tok], n: int = 10) -> str:
    words = [t.text for t in toks[:n]]
    return " ".join(words) + (" …" if len(toks) > n else "")


def _segment_at(tl: Timeline, sid: str, t: float) -> Span | None:
    i = bisect.bisect_right(tl.seg_starts.get(sid, []), t + EPS) - 1
    if i >= 0:
        s = tl.segments[sid][i]
        if s.end > t + EPS:
            return s
    return None


def _run_at(tl: Timeline, sid: str, t: float) -> Run | None:
    i = bisect.bisect_right(tl.run_starts.get(sid, []), t + EPS) - 1
    if i >= 0:
        r = tl.runs[sid][i]
        if r.end > t + EPS:
            return r
    return None


def _in_pause(tl: Timeline, sid: str, t: float) -> float:
    """Length of the pause of ``sid`` that ``t`` falls in (0 if ``t`` is inside a word)."""
    starts = tl.tok_starts.get(sid, [])
    i = bisect.bisect_right(starts, t + EPS)
    if i == 0 or i >= len(starts):
        return 0.0
    prev_end = max(x.end for x in tl.toks[sid][max(0, i - 3):i])
    if prev_end >= t - EPS:
        return 0.0
    return tl.toks[sid][i].start - prev_end


def _run_of(tl: Timeline, seg: Span) -> Run:
    return tl.run_of_seg[id(seg)]


def detect_events(tl: Timeline) -> list[dict[str, Any]]:
    """Interruptions, backchannels and overlaps at every onset (see the module docstring)."""
    events: list[dict[str, Any]] = []
    interrupted: set[tuple[int, int]] = set()  # (B's run, A's run): one interruption each
    for seg in tl.all_segments():
        b, t = seg.speaker, seg.start
        brun = _run_of(tl, seg)
        k = next(i for i, s in enumerate(brun.segments) if s is seg)
        # B resuming after a short pause (within a run) starts something new unless the other
        # speaker had come in while B was still mid-utterance: then it continues that overlap.
        b_prev = brun.segments[k - 1] if k else None
        # Who is talking at B's onset? (A started earlier, or at the same moment with a lower id.)
        cands = []
        for a in tl.segments:
            if a == b:
                continue
            sa = _segment_at(tl, a, t)
            if sa is None or (abs(sa.start - t) <= EPS and (sa.speaker, 0) > (b, 0)):
                continue
            if _in_pause(tl, a, t) > ACTIVE_GAP + EPS:
                continue  # A is inside a pause: B took a gap, not A's floor
            if b_prev is not None and sa.start > b_prev.start + EPS and b_prev.end - sa.start >= MIN_REMAINING_S - EPS:
                continue  # A came in while B still had a second to go: B resuming continues that
            ra = _run_at(tl, a, t)
            cont = _continuation_end(ra, t, seg.end, tl.seg_first)
            rem_words = sum(1 for x in ra.words if x.mid > t + EPS and x.end <= cont + EPS)
            utt_words = sum(1 for x in ra.words if x.end <= cont + EPS)  # A's utterance, through its end
            cands.append((cont - t, rem_words, a, sa, ra, cont, utt_words))
        after = [x for x in brun.words if x.start >= t - EPS]
        base = {"by": tl.roles.get(b, "other"), "by_speaker": b, "text": _preview(after)}
        if cands:
            rem_s, rem_w, a, sa, ra, cont, utt_w = max(cands, key=lambda c: (c[0], c[1]))
            ev = {**base, "of": tl.roles.get(a, "other"), "of_speaker": a,
                  "of_remaining_s": _r(rem_s), "of_remaining_words": rem_w, "of_words": utt_w}
            # What B says at this onset (B's segment: up to B's next pause longer than
            # SEGMENT_GAP) while A is still talking, at least B's first word; and whether B goes
            # straight on after it (then it is the start of a turn, not an acknowledgement).
            in_seg = [x for x in seg.words if x.start >= t - EPS] or after[:1]
            said = [x for x in in_seg if x.start < cont - EPS] or in_seg[:1]
            rest = in_seg[len(said):]
            said_text = " ".join(x.text for x in said)
            goes_on = bool(rest) and rest[0].start - said[-1].end < ACK_PAUSE - EPS
            if not has_words(said_text) and not goes_on:
                kind, reason = "overlap", "no_words"
            elif is_backchannel(said_text) and not goes_on:
                kind, reason = "backchannel", None
            elif _unclear(said) and not goes_on:
                kind, reason = "backchannel", "unclear"
            elif t - sa.start < SIMULTANEOUS - EPS:
                kind, reason = "overlap", "simultaneous"
            elif rem_s < MIN_REMAINING_S - EPS:
                kind, reason = "overlap", "near_end"
            elif utt_w < MIN_UTTERANCE_WORDS:
                kind, reason = "overlap", "few_words"
            else:
                kind, reason = "interruption", None
            if kind == "interruption":
                key = (id(brun), id(ra))
                if key in interrupted:
                    continue
                interrupted.add(key)
                stopped = rem_s
                ev.update(succeeded=bool(stopped <= YIELD_WITHIN + EPS),
                          of_stopped_after_s=_r(stopped), evidence="overlap", confidence="high")
            if reason:
                ev["reason"] = reason
            if kind != "interruption":
                ev.pop("of_stopped_after_s", None)
            events.append({"type": kind, "at": _r(t), **ev})
            if kind in ("backchannel",) or (kind == "overlap" and reason == "no_words"):
                if len(brun.words) <= BACKCHANNEL_MAX_WORDS and brun.segments and brun.segments[0] is seg:
                    brun.floor = False
            continue
        if tl.mix:
            ev = _cut_off(tl, seg, brun)
            if ev is not None:
                ev.pop("_run")
                events.append({"type": "overlap", "at": _r(t), **base, **ev, "reason": "possible_cut_off"})
    events.sort(key=lambda e: (e["at"], e["type"] != "interruption"))
    return events


def _unclear(said: list[Tok]) -> bool:
    """A few words the recogniser was unsure of, all of them: a hum or nod it misheard
    ("Amen, love." for "Mm-hmm", "Riot!"), so as short as a backchannel and read as one."""
    return (0 < len(said) <= BACKCHANNEL_MAX_WORDS
            and all(x.prob is not None and x.prob < UNCLEAR_PROB for x in said))


def _continuation_end(ra: Run, t: float, b_end: float, seg_first: set[int] | frozenset = frozenset()) -> float:
    """When A, talking at B's onset ``t``, stopped: A's first pause after ``t`` longer than
    SEGMENT_GAP (or the start of a new segment of A: a new annotated utterance after a pause),
    or of YIELD_PAUSE or more once B's segment has ended (what A says after that pause answers
    B), or the end of A's run."""
    end, prev_end = t, None
    for x in ra.toks:
        if x.end <= t + EPS:
            prev_end = x.end if prev_end is None else max(prev_end, x.end)
            continue
        if prev_end is not None and prev_end > t + EPS:
            pause = x.start - prev_end
            if pause > SEGMENT_GAP + EPS or id(x) in seg_first or (prev_end >= b_end - EPS and pause >= YIELD_PAUSE - EPS):
                break
        end = max(end, x.end)
        prev_end = x.end if prev_end is None else max(prev_end, x.end)
    return end


def _cut_off(tl: Timeline, seg: Span, brun: Run) -> dict[str, Any] | None:
    """Mono: B starts right after A stopped mid-clause (A's rest was cut off or lost in the mix)."""
    b, t = seg.speaker, seg.start
    if not has_words(seg.text) or is_backchannel(seg.text):
        return None
    prev: Tok | None = None
    for a, ts in tl.toks.items():
        if a == b:
            continue
        i = bisect.bisect_left(tl.tok_starts[a], t)  # A's words that started before B's onset
        for x in ts[max(0, i - 3):i]:
            if x.end <= t + CUT_OFF_GAP and (prev is None or x.end > prev.end):
                prev = x
    if prev is None or t - prev.end > CUT_OFF_GAP + EPS:
        return None
    ra = _run_at(tl, prev.speaker, prev.start)
    if ra is None:
        return None
    done = [x for x in ra.words if x.end <= prev.end + EPS]
    if len(done) < MIN_UTTERANCE_WORDS or not is_unfinished(prev.text):
        return None
    return {"of": tl.roles.get(prev.speaker, "other"), "of_speaker": prev.speaker, "of_remaining_s": None,
            "of_remaining_words": None, "evidence": "cut_off", "confidence": "low",
            "of_last_words": _preview(done[-4:], 4), "_run": ra}
