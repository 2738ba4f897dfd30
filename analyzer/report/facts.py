"""What the report reads from an analysis dict: behaviour counts from the tags, emotional cues
and the replies to them, runs of closed questions. Pure functions; nothing here formats text.

Counting rule (MITI 4.2 codes behaviour per utterance; the tagger tags sentences): a clinician
sentence counts once per family. A sentence tagged both as a reflection and as a question
counts as a reflection (MITI: a reflection said with a rising voice is still a reflection).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

QUESTION = ("question.open", "question.closed")
REFLECTION = ("reflection.simple", "reflection.complex")
EMPATHIC = ("empathy", "reflection.simple", "reflection.complex")
CUE_WINDOW_S = 15.0  # a reply to a cue must start within this many seconds of the cue's end
CUE_MAX_REPLIES = 2  # ... and be among the clinician's next two utterances


def num(x: Any) -> float | None:
    """A finite number, else None (bools are not numbers here)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or x != x or x in (float("inf"), float("-inf")):
        return None
    return x


def _tag(t: Any, n: int) -> dict | None:
    if not isinstance(t, dict) or not isinstance(t.get("label"), str):
        return None
    span = t.get("span")
    if not (isinstance(span, (list, tuple)) and len(span) == 2 and all(isinstance(v, int) for v in span)):
        span = [0, n]
    return {"label": t["label"], "score": num(t.get("score")) or 0.0, "why": str(t.get("why") or ""),
            "span": [max(0, min(span[0], n)), max(0, min(span[1], n))]}


def normalize(analysis: Any) -> dict:
    """The analysis with every field the report reads in its expected type (a damaged or partial
    analysis gives n/a figures, never a crash). Utterance indices are kept."""
    a = dict(analysis) if isinstance(analysis, dict) else {}
    us = []
    for u in a.get("utterances") if isinstance(a.get("utterances"), list) else []:
        u = dict(u) if isinstance(u, dict) else {}
        u["text"] = u["text"] if isinstance(u.get("text"), str) else ""
        u["role"] = u.get("role") if u.get("role") in ("clinician", "patient", "other") else "other"
        start, end = num(u.get("start")), num(u.get("end"))
        u["start"], u["end"] = (start, end) if start is not None and end is not None and end >= start else (None, None)
        if "tags" in u:
            u["tags"] = [t for t in (_tag(t, len(u["text"])) for t in (u["tags"] if isinstance(u["tags"], list) else [])) if t]
        words = u.get("words")
        u["words"] = [w for w in words if isinstance(w, dict) and isinstance(w.get("text"), str)
                      and num(w.get("start")) is not None] if isinstance(words, list) else []
        us.append(u)
    a["utterances"] = us
    a["events"] = [e for e in a.get("events") if isinstance(e, dict) and num(e.get("at")) is not None
                   and isinstance(e.get("type"), str)] if isinstance(a.get("events"), list) else []
    for k in ("metrics", "source"):
        a[k] = a[k] if isinstance(a.get(k), dict) else {}
    a["speakers"] = [s for s in a.get("speakers") if isinstance(s, dict)] if isinstance(a.get("speakers"), list) else []
    return a


def utterances(analysis: dict) -> list[dict]:
    return list(analysis.get("utterances") or [])


def has_times(analysis: dict) -> bool:
    us = utterances(analysis)
    return bool(us) and all(u.get("start") is not None for u in us)


def tags_of(u: dict) -> list[dict]:
    return list(u.get("tags") or [])


def labels(u: dict) -> set[str]:
    return {t["label"] for t in tags_of(u)}


def span_text(u: dict, span) -> str:
    a, b = (span or (0, len(u["text"])))
    return u["text"][a:b].strip()


def sentence_codes(u: dict) -> list[tuple[tuple[int, int], str, dict]]:
    """[(span, code, tag)] with code in {"open", "closed", "simple", "complex"}: one per sentence."""
    by_span: dict[tuple[int, int], dict[str, dict]] = {}
    for t in tags_of(u):
        by_span.setdefault(tuple(t.get("span") or (0, len(u["text"]))), {})[t["label"]] = t
    out = []
    for span, labs in sorted(by_span.items()):
        refl = [labs[k] for k in REFLECTION if k in labs]
        ques = [labs[k] for k in QUESTION if k in labs]
        if refl:
            best = max(refl, key=lambda t: t["score"])
            out.append((span, best["label"].split(".")[1], best))
        elif ques:
            best = max(ques, key=lambda t: t["score"])
            out.append((span, best["label"].split(".")[1], best))
    return out


@dataclass
class Counts:
    open: list[int] = field(default_factory=list)  # utterance index per counted sentence
    closed: list[int] = field(default_factory=list)
    simple: list[int] = field(default_factory=list)
    complex: list[int] = field(default_factory=list)
    tagged: bool = False  # the tagging stage ran (some utterance has a "tags" key)

    @property
    def questions(self) -> int:
        return len(self.open) + len(self.closed)

    @property
    def reflections(self) -> int:
        return len(self.simple) + len(self.complex)


def behaviour_counts(analysis: dict) -> Counts:
    c = Counts()
    for i, u in enumerate(utterances(analysis)):
        if "tags" in u:
            c.tagged = True
        if u.get("role") != "clinician":
            continue
        for _span, code, _t in sentence_codes(u):
            getattr(c, code).append(i)
    return c


def char_time(u: dict, offset: int) -> float | None:
    """Time of the word at character ``offset`` of the utterance text (its start if no words)."""
    words = u.get("words") or []
    if not words:
        return u.get("start")
    pos = 0
    for w in words:
        k = u["text"].find(w["text"].strip(), pos)
        if k < 0:
            continue
        if k + len(w["text"].strip()) > offset:
            return w.get("start", u.get("start"))
        pos = k + len(w["text"].strip())
    return words[-1].get("start", u.get("start"))


def words_before(u: dict, t: float | None) -> str:
    """What the speaker had said before time ``t`` (the whole text without word times)."""
    words = u.get("words") or []
    if t is None or not words:
        return u["text"]
    said = "".join(w["text"] for w in words if w.get("start", 0) < t - 0.01).strip()
    return said or u["text"]


def interrupting(analysis: dict) -> set[int]:
    """Indices of utterances that began as an interruption."""
    ats = [e["at"] for e in analysis.get("events") or [] if e.get("type") in ("interruption", "opening_interrupted")]
    return {i for i, u in enumerate(utterances(analysis)) if u.get("start") is not None
            and any(abs(u["start"] - at) < 0.05 for at in ats)}


def is_backchannel(analysis: dict, i: int) -> bool:
    """A short acknowledgement (the turn-taking stage's backchannel events, or 1-2 words)."""
    u = utterances(analysis)[i]
    for e in analysis.get("events") or []:
        if e.get("type") == "backchannel" and u.get("start") is not None and abs(e["at"] - u["start"]) < 0.05:
            return True
    return len(re.findall(r"[\w']+", u["text"])) <= 2


@dataclass
class Cue:
    utterance: int
    span: tuple[int, int]
    text: str  # the cue sentence
    phrase: str  # what made it a cue (from the tag's "why"), else the sentence
    at: float | None
    replies: list[int]  # the clinician utterances that count as the reply
    answered_by: int | None  # the first reply with an empathy/reflection tag


def emotional_cues(analysis: dict) -> list[Cue]:
    """Patient emotional cues and whether the clinician's next turn(s) answered them with empathy
    or a reflection (Levinson 2000 counts a cue as answered by the physician's response to it)."""
    us = utterances(analysis)
    out: list[Cue] = []
    for i, u in enumerate(us):
        if u.get("role") != "patient":
            continue
        cue_tags = [t for t in tags_of(u) if t["label"] == "emotional_cue"]
        if not cue_tags:
            continue
        t = max(cue_tags, key=lambda t: t["score"])
        span = tuple(t.get("span") or (0, len(u["text"])))
        m = re.search(r"'(.+)'", t.get("why", ""))  # the cue phrase, quoted in the tag's why
        at = char_time(u, span[0])
        end = u.get("end")
        replies: list[int] = []
        for j in range(i + 1, len(us)):
            v = us[j]
            if v.get("role") == "patient" and not is_backchannel(analysis, j):
                break  # the patient moved on: later clinician talk answers that, not the cue
            if v.get("role") != "clinician":
                continue
            if at is not None and v.get("start") is not None:
                if v["start"] < at - 0.05:
                    continue  # began before the cue was voiced (an overlap), so not a reply to it
                if end is not None and v["start"] > end + CUE_WINDOW_S:
                    break
            replies.append(j)
            if len(replies) >= CUE_MAX_REPLIES:
                break
        answered = next((j for j in replies if labels(us[j]) & set(EMPATHIC)), None)
        out.append(Cue(i, span, span_text(u, span), m.group(1) if m else span_text(u, span), at, replies, answered))
    return out


@dataclass
class Stack:
    utterances: list[int]  # the clinician utterances of the run
    questions: list[str]  # each closed question's text, in order


def closed_question_stacks(analysis: dict, min_questions: int = 3) -> list[Stack]:
    """Runs of clinician utterances each asking closed questions only (no open question, no
    reflection, no empathy), with only short patient answers between them."""
    us = utterances(analysis)
    runs: list[Stack] = []
    cur = Stack([], [])

    def close():
        nonlocal cur
        if len(cur.questions) >= min_questions:
            runs.append(cur)
        cur = Stack([], [])

    for i, u in enumerate(us):
        if u.get("role") != "clinician":
            continue
        codes = sentence_codes(u)
        closed = [span_text(u, s) for s, code, _ in codes if code == "closed"]
        breaks = any(code in ("open", "simple", "complex") for _, code, _ in codes) or "empathy" in labels(u)
        if closed and not breaks:
            cur.utterances.append(i)
            cur.questions.extend(closed)
        else:
            close()
    close()
    return runs


def metric(analysis: dict, *path: str) -> Any:
    """metrics[path...] or None."""
    m: Any = analysis.get("metrics") or {}
    for p in path:
        if not isinstance(m, dict) or p not in m:
            return None
        m = m[p]
    return m


def one_mic(analysis: dict) -> bool:
    """A diarized mix: overlapping speech is mostly lost, so interruptions are undercounted."""
    return (analysis.get("source") or {}).get("speaker_mode") == "mix" or bool(metric(analysis, "caveats"))


def missing(analysis: dict, key: str) -> str | None:
    """Why a metric is missing (metrics.missing), or None."""
    miss = metric(analysis, "missing") or {}
    return miss.get(key) or miss.get("everything")


@dataclass
class Plan:
    advice: list[int]  # clinician utterances giving advice or a plan
    partnership: list[int]  # clinician utterances asking the patient's view or offering options
    after_plan: list[int]  # partnership moves at or after the first advice


def plan_and_partnership(analysis: dict) -> Plan:
    us = utterances(analysis)
    clin = [i for i, u in enumerate(us) if u.get("role") == "clinician"]
    advice = [i for i in clin if "advice" in labels(us[i])]
    partner = [i for i in clin if "partnership" in labels(us[i])]
    return Plan(advice, partner, [i for i in partner if advice and i >= advice[0]])


def dismissals(analysis: dict) -> list[tuple[int, dict]]:
    """(utterance, its first dismissal tag) for each clinician utterance that dismisses."""
    out = []
    for i, u in enumerate(utterances(analysis)):
        t = next((t for t in tags_of(u) if t["label"] == "dismissal"), None) if u.get("role") == "clinician" else None
        if t is not None:
            out.append((i, t))
    return out

