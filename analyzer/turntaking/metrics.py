"""Turns, talk time, pauses, the opening statement, agenda and the metrics without times."""
from __future__ import annotations

import bisect
import re
import statistics
from dataclasses import dataclass
from typing import Any, Iterable

from ..model import Transcript, Utterance
from .params import EPS, MONOLOGUE_GAP, OPENING_MIN_WORDS, RUN_GAP
from .lexicon import AGENDA_CUES, FILLERS, GREETINGS, OPENING_CUES, _SENTENCE_END, is_backchannel, norm_words
from .timeline import Run, Timeline, Tok
from .events import _r, _run_at

# --------------------------------------------------------------------------- turns and metrics

@dataclass
class Turn:
    speaker: str
    role: str
    start: float
    end: float
    words: int
    runs: list[Run]

    @property
    def seconds(self) -> float:
        return self.end - self.start


def floor_turns(tl: Timeline) -> list[Turn]:
    """One speaker holding the floor: their runs (not backchannels) with pauses of at most
    MONOLOGUE_GAP and nobody else taking the floor in between."""
    floor = [r for r in tl.all_runs() if r.floor]
    starts = [r.start for r in floor]
    last: dict[str, Turn] = {}
    turns: list[Turn] = []
    for r in floor:
        cur = last.get(r.speaker)
        # Someone else took the floor in between: a run of theirs that started after this
        # speaker's turn began and went on past its end (not one talked over and abandoned).
        between = floor[bisect.bisect_right(starts, cur.start):bisect.bisect_left(starts, r.start)] if cur else []
        if cur is not None and r.start - cur.end <= MONOLOGUE_GAP and not any(
                o.speaker != r.speaker and o.end > cur.end + EPS for o in between):
            cur.end = max(cur.end, r.end)
            cur.words += len(r.words)
            cur.runs.append(r)
            continue
        turn = Turn(r.speaker, r.role, r.start, r.end, len(r.words), [r])
        turns.append(turn)
        last[r.speaker] = turn
    return turns


def _union(spans: Iterable[tuple[float, float]]) -> float:
    total, cur_s, cur_e = 0.0, None, None
    for s, e in sorted(spans):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def _stats(xs: list[float]) -> dict[str, Any]:
    if not xs:
        return {"mean": None, "median": None, "n": 0}
    return {"mean": _r(statistics.fmean(xs)), "median": _r(statistics.median(xs)), "n": len(xs)}


def _tag_labels(u: Utterance, min_score: float = 0.5) -> set[str]:
    return {tg.label.lower() for tg in u.tags or ()
            if not isinstance(tg.score, (int, float)) or tg.score >= min_score}


def _has_tags(t: Transcript) -> bool:
    return any(u.tags is not None for u in t.utterances)


def _last_sentence(text: str) -> str:
    parts = [p for p in re.split(r"(?<=[.?!])\s+", text.strip()) if p.strip()]
    return parts[-1] if parts else ""


def _is_question_text(text: str) -> bool:
    return _last_sentence(text).rstrip(" \"')]").endswith("?")


def _roles_present(t: Transcript) -> list[str]:
    present = {sp.role for sp in t.speakers.values()} | {u.role for u in t.utterances}
    return [r for r in ("clinician", "patient", "other") if r in present or r != "other"]


def agenda_elicited(t: Transcript) -> dict[str, Any]:
    """Did the clinician invite the patient's agenda? Uses the tagging stage's ``agenda`` tag
    when the transcript has tags, else a short list of cue phrases."""
    clin = [u for u in t.utterances if u.role == "clinician"]
    if _has_tags(t):
        for u in clin:
            labels = _tag_labels(u)
            if any(lb == "agenda" or lb.startswith("agenda") for lb in labels):
                return {"value": True, "source": "tags", "at": _r(u.start), "text": u.text[:160]}
        return {"value": False, "source": "tags", "at": None, "text": None}
    for u in clin:
        m = AGENDA_CUES.search(u.text)
        if m:
            return {"value": True, "source": "cues", "at": _r(u.start), "text": u.text[:160], "cue": m.group(0)}
    return {"value": False, "source": "cues", "at": None, "text": None}


def opening_statement(t: Transcript, tl: Timeline, events: list[dict[str, Any]],
                      turns: list[Turn]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(metrics.opening_statement, the opening_interrupted event or None)."""
    clin = {s for s, r in tl.roles.items() if r == "clinician"}
    pat = {s for s, r in tl.roles.items() if r == "patient"}
    if not clin or not pat:
        return None, None
    ctoks = sorted((x for s in clin for x in tl.toks.get(s, [])), key=lambda x: x.start)
    if not ctoks:
        return None, None
    # The opening question: sentences of clinician speech, with their start/end times.
    sentences: list[tuple[float, float, str]] = []
    cur: list[Tok] = []
    for x in ctoks:
        if cur and (x.utt != cur[-1].utt or x.start - cur[-1].end > RUN_GAP):
            sentences.append((cur[0].start, cur[-1].end, " ".join(y.text for y in cur)))
            cur = []
        cur.append(x)
        if _SENTENCE_END.search(x.text):
            sentences.append((cur[0].start, cur[-1].end, " ".join(y.text for y in cur)))
            cur = []
    if cur:
        sentences.append((cur[0].start, cur[-1].end, " ".join(y.text for y in cur)))
    horizon = ctoks[0].start + 180.0
    q = next((s for s in sentences if s[0] <= horizon and OPENING_CUES.search(s[2])), None)
    how = "invitation"
    if q is None:
        q, how = next((s for s in sentences if s[0] <= horizon and s[2].rstrip().endswith("?")), None), "question"
    if q is None:
        q, how = sentences[0], "first clinician words"
    # The patient's first substantive segment starting after the question began.
    psegs = sorted((s for p in pat for s in tl.segments.get(p, [])), key=lambda s: s.start)
    first = None
    for s in psegs:
        if s.start < q[0] - EPS:
            continue
        ws = norm_words(s.text)
        if is_backchannel(s.text) or sum(1 for w in ws if w not in GREETINGS and w not in FILLERS) < OPENING_MIN_WORDS:
            continue
        first = s
        break
    if first is None:
        return {"question": {"at": _r(q[0]), "text": q[2][:160], "found_by": how}, "start": None,
                "note": "no substantive patient speech after the opening question"}, None
    # The clinician takes the floor: their first floor run starting after the opening began.
    cl_floor = [r for s in clin for r in tl.runs.get(s, []) if r.floor and r.start > first.start + EPS]
    take = min(cl_floor, key=lambda r: r.start) if cl_floor else None
    pat_runs = [r for p in pat for r in tl.runs.get(p, [])
                if r.end > first.start + EPS and (take is None or r.start < take.start)]
    end = max([r.end for r in pat_runs] + [first.end])
    intr = None
    if take is not None:
        intr = next((e for e in events if e["type"] == "interruption" and e["by_speaker"] == take.speaker
                     and e["of_speaker"] in pat and take.start - 0.005 <= e["at"] <= take.end + 0.005), None)
    out = {"question": {"at": _r(q[0]), "text": q[2][:160], "found_by": how},
           "start": _r(first.start), "end": _r(end if intr is None else take.start),
           "seconds": _r((end if intr is None else take.start) - first.start),
           "clinician_took_floor_at": _r(take.start) if take else None,
           "interrupted": intr is not None,
           "delay": _r(intr["at"] - first.start) if intr else None}
    ev = None
    if intr is not None:
        ev = {"type": "opening_interrupted", "at": intr["at"], "by": "clinician", "of": "patient",
              "by_speaker": take.speaker, "of_speaker": first.speaker, "delay": out["delay"],
              "opening_start": _r(first.start), "succeeded": intr.get("succeeded"),
              "evidence": intr.get("evidence"), "confidence": intr.get("confidence"), "text": intr.get("text")}
    return out, ev


def turn_metrics(t: Transcript, tl: Timeline, events: list[dict[str, Any]]) -> dict[str, Any]:
    roles = _roles_present(t)
    by_role = lambda: {r: 0 for r in roles}  # noqa: E731
    m: dict[str, Any] = {}
    # Talk time: union of each speaker's segments (overlapping speech counts for both).
    talk = {r: 0.0 for r in roles}
    words = by_role()
    for sid, segs in tl.segments.items():
        role = tl.roles.get(sid, "other")
        talk.setdefault(role, 0.0)
        words.setdefault(role, 0)
        talk[role] += _union((s.start, s.end) for s in segs)
        words[role] += sum(len(s.words) for s in segs)
    total = sum(talk.values())
    m["talk_time"] = {r: _r(v, 1) for r, v in talk.items()}
    m["talk_share"] = {r: _r(v / total, 3) if total else None for r, v in talk.items()}
    m["words"] = words
    wt = sum(words.values())
    m["word_share"] = {r: _r(v / wt, 3) if wt else None for r, v in words.items()}
    turns = floor_turns(tl)
    m["turns"] = by_role()
    for tu in turns:
        m["turns"][tu.role] = m["turns"].get(tu.role, 0) + 1
    m["longest_monologue"] = {}
    for r in roles:
        mine = [tu for tu in turns if tu.role == r]
        if mine:
            best = max(mine, key=lambda tu: tu.seconds)
            m["longest_monologue"][r] = {"seconds": _r(best.seconds, 1), "start": _r(best.start),
                                         "end": _r(best.end), "words": best.words,
                                         "speaker": best.speaker}
        else:
            m["longest_monologue"][r] = None
    m["speech_rate_wpm"] = {r: (_r(words.get(r, 0) / (talk[r] / 60), 1) if talk.get(r) else None) for r in roles}
    # Pauses: the clinician starting after the patient stopped (runs; overlaps excluded).
    runs = tl.all_runs()
    starts = [o.start for o in runs]
    pauses, waits, stacked, answered = [], [], 0, 0
    for i, r in enumerate(runs):
        j = bisect.bisect_right(starts, r.end - EPS)
        nxt = runs[j] if j < len(runs) else None
        others_over = any(_run_at(tl, o, r.end - 2 * EPS) is not None and _run_at(tl, o, r.end - 2 * EPS).end > r.end + EPS
                          for o in tl.runs if o != r.speaker)
        if r.role == "patient" and r.floor and nxt is not None and nxt.role == "clinician" and not others_over:
            pauses.append(nxt.start - r.end)
        if r.role == "clinician" and r.floor and (_is_question_text(r.text) or _question_tag(t, r)):
            if others_over:
                waits.append(0.0)
                answered += 1
            elif nxt is not None:
                waits.append(nxt.start - r.end)
                if nxt.speaker == r.speaker:
                    stacked += 1
                else:
                    answered += 1
    m["pause_before_clinician"] = {**_stats(pauses), "max": _r(max(pauses)) if pauses else None}
    m["wait_after_clinician_questions"] = {**_stats(waits), "answered_by_other": answered,
                                           "clinician_spoke_again": stacked}
    # Events.
    ints = [e for e in events if e["type"] == "interruption"]
    m["interruptions"] = {
        "by": by_role(), "of": by_role(), "succeeded_by": by_role(),
        "possible_cut_offs": sum(1 for e in events if e.get("reason") == "possible_cut_off"),
    }
    for e in ints:
        for k, role in (("by", e["by"]), ("of", e["of"])):
            m["interruptions"][k][role] = m["interruptions"][k].get(role, 0) + 1
        if e.get("succeeded"):
            m["interruptions"]["succeeded_by"][e["by"]] = m["interruptions"]["succeeded_by"].get(e["by"], 0) + 1
    m["backchannels"] = {"by": by_role()}
    for e in events:
        if e["type"] == "backchannel":
            m["backchannels"]["by"][e["by"]] = m["backchannels"]["by"].get(e["by"], 0) + 1
    m["overlaps"] = sum(1 for e in events if e["type"] == "overlap")
    opening, opening_ev = opening_statement(t, tl, events, turns)
    first_int = next((e for e in ints if e["of"] == "patient"), None)
    start0 = min((s.start for ss in tl.segments.values() for s in ss), default=0.0)
    m["time_to_first_interruption_of_patient"] = None if first_int is None else {
        "at": first_int["at"], "by": first_int["by"], "since_first_speech": _r(first_int["at"] - start0),
    }
    if opening and opening.get("start") is not None:
        after = next((e for e in ints if e["of"] == "patient" and e["at"] >= opening["start"] - 0.005), None)
        opening["first_interruption_of_patient_after_s"] = _r(after["at"] - opening["start"]) if after else None
    m["opening_statement"] = opening
    m["agenda_elicited"] = agenda_elicited(t)
    ag = m["agenda_elicited"]
    took = (opening or {}).get("clinician_took_floor_at")
    # Asked before the clinician's own agenda began (by the time they first took the floor from
    # the patient's opening), as agenda setting should be, or only later (e.g. at the close)?
    ag["early"] = None if not ag["value"] or ag.get("at") is None or took is None else bool(ag["at"] <= took + 0.005)
    m["_opening_event"] = opening_ev
    return m


def _question_tag(t: Transcript, r: Run) -> bool:
    last = t.utterances[r.toks[-1].utt]
    return any("question" in lb for lb in _tag_labels(last))


def untimed_metrics(t: Transcript) -> dict[str, Any]:
    roles = _roles_present(t)
    words = {r: 0 for r in roles}
    turns = {r: 0 for r in roles}
    longest: dict[str, Any] = {r: None for r in roles}
    questions = {r: 0 for r in roles}
    prev, cur_words, cur_start = None, 0, 0
    blocks: list[tuple[str, int, int]] = []  # (role, words, first utterance index)
    for i, u in enumerate(t.utterances):
        n = len(norm_words(u.text))
        words[u.role] = words.get(u.role, 0) + n
        questions[u.role] = questions.get(u.role, 0) + sum(
            1 for s in re.split(r"(?<=[.?!])\s+", u.text) if s.strip().endswith("?"))
        if u.speaker == prev:
            cur_words += n
            blocks[-1] = (u.role, cur_words, cur_start)
        else:
            prev, cur_words, cur_start = u.speaker, n, i
            blocks.append((u.role, n, i))
    for role, n, i in blocks:
        turns[role] = turns.get(role, 0) + 1
        if longest.get(role) is None or n > longest[role]["words"]:
            longest[role] = {"words": n, "seconds": None, "utterance": i}
    wt = sum(words.values())
    return {
        "words": words, "word_share": {r: _r(v / wt, 3) if wt else None for r, v in words.items()},
        "turns": turns, "longest_monologue": longest, "questions": questions,
        "agenda_elicited": agenda_elicited(t),
    }


MIX_CAVEAT = (
    "One microphone (a diarized mix): where two people talk at once, speech recognition keeps one "
    "voice and the other's words are lost or given to the wrong speaker. Interruptions and "
    "backchannels are found from an overlapped-speech detector (two voices at once in the audio) "
    "with the transcript's speaker changes around it; they are less reliable than with one "
    "microphone per speaker (on synthetic two-voice visits about half of the interruptions are "
    "found: see benchmarks/turntaking.py) and marked with their confidence. "
    "Talk time, turns, pauses and monologues remain usable."
)

MISSING_WITHOUT_TIMES = {
    "talk_time": "the transcript has no times (word_share gives each role's share of the words instead)",
    "talk_share": "the transcript has no times (see word_share)",
    "speech_rate_wpm": "needs times",
    "pause_before_clinician": "needs times",
    "wait_after_clinician_questions": "needs times",
    "interruptions": "overlaps and cut-offs cannot be seen without times; no interruption, backchannel or "
                     "overlap events are given",
    "backchannels": "needs times (a backchannel is speech during the other's speech)",
    "time_to_first_interruption_of_patient": "needs times",
    "opening_statement": "its length and whether it was interrupted need times",
    "longest_monologue.seconds": "needs times (longest_monologue gives words instead)",
}
