"""Moments: the visit's best examples and its missed opportunities, each quoted from the visit
with a suggestion built from its own words (see suggestions.py)."""
from __future__ import annotations

from . import facts as F
from . import suggestions as S
from .model import Moment
from .scorecard import WHY

MAX_OTHER_INTERRUPTIONS = 2  # besides the opening: enough to show a pattern, not a list
MONOLOGUE_S, MONOLOGUE_WORDS = 45.0, 110  # "needs work" on the scorecard
MAX_DISMISSALS = 3


def _moment(a, kind, type_, title, idx: list[int], text, suggestion, why, main: int | None = None,
            at: float | None = None) -> Moment:
    """``main`` (default: the first of ``idx``) is the utterance the moment jumps to."""
    us = F.utterances(a)
    main = idx[0] if main is None else main
    first, last = us[idx[0]], us[idx[-1]]
    return Moment(kind, type_, title, first.get("start") if at is None else at, last.get("end"), main,
                  us[main].get("role", ""), text, suggestion, why, list(idx))


def _prev_patient(a, i: int) -> tuple[int, dict] | tuple[None, None]:
    us = F.utterances(a)
    for j in range(i - 1, -1, -1):
        if us[j].get("role") == "patient" and not F.is_backchannel(a, j):
            return j, us[j]
    return None, None


def _best(a, label: str, role="clinician", min_score=0.0) -> tuple[int, dict] | None:
    """The highest-scoring tag of ``label``; an utterance that cut the patient off is no example."""
    best = None
    skip = F.interrupting(a)
    for i, u in enumerate(F.utterances(a)):
        if u.get("role") != role or i in skip:
            continue
        for t in F.tags_of(u):
            if t["label"] == label and t["score"] >= min_score and (best is None or t["score"] > best[1]["score"]):
                best = (i, t)
    return best


# -- examples -------------------------------------------------------------------------------

def examples(a: dict) -> list[Moment]:
    out = []
    us = F.utterances(a)
    refl = _best(a, "reflection.complex") or _best(a, "reflection.simple", min_score=0.6)
    if refl:
        i, t = refl
        said = F.span_text(us[i], t["span"])
        j, p = _prev_patient(a, i)
        kind = "complex" if t["label"].endswith("complex") else "simple"
        sug = ("Keep doing this: a statement, not a question, that gives the patient's words back"
               + (f" (after \u201c{S.quote(p['text'], 14)}\u201d)" if p else "")
               + (" and names what they mean for them." if kind == "complex" else "."))
        out.append(_moment(a, "example", "reflection", f"A {kind} reflection", [i], said, sug,
                           "Reflections show the patient they were heard; they invite more than a question does."))
    ag = [(i, u) for i, u in enumerate(us) if u.get("role") == "clinician" and "agenda" in F.labels(u)]
    ag_open = [(i, u) for i, u in ag if "question.open" in F.labels(u)] or ag
    if ag_open:
        i, u = ag_open[0]
        t = next(t for t in F.tags_of(u) if t["label"] == "agenda")
        # a follow-up counts while the list is being made: within the clinician's next two turns
        nxt = [k for k, v in enumerate(us) if k > i and v.get("role") == "clinician"][:2]
        later = [k for k, _ in ag if k in nxt]
        follow = next((F.span_text(us[k], t2["span"]) for k in later for t2 in F.tags_of(us[k]) if t2["label"] == "agenda"), "")
        early = sum(1 for v in us[:i] if v.get("role") == "clinician") < 3
        sug = ("Asked before diving into the first problem" if early else "Asked, though only later in the visit") + (
            f", and followed up: \u201c{S.quote(follow, 12)}\u201d." if follow
            else "; next time add \u201cAnything else?\u201d until the patient says that's all.")
        out.append(_moment(a, "example", "agenda_question", "Eliciting the agenda", [i], F.span_text(u, t["span"]), sug,
                           "The patient's priorities set the visit's plan; concerns raised late get less time."))
    emp = _empathic_example(a)
    if emp:
        out.append(emp)
    part = _best(a, "partnership")
    if part:
        i, t = part
        plan = F.plan_and_partnership(a)
        sug = ("The patient's view was asked " + ("after the plan was put" if i in plan.after_plan else "before deciding")
               + ": decisions made together are the ones patients carry out.")
        out.append(_moment(a, "example", "partnership", "Asking the patient's view", [i], F.span_text(us[i], t["span"]),
                           sug, "Shared decisions are understood and followed; the patient knows their view counts."))
    return out


def _empathic_example(a: dict) -> Moment | None:
    us = F.utterances(a)
    answered = [c for c in F.emotional_cues(a) if c.answered_by is not None]
    if answered:
        c = answered[0]
        i = c.answered_by
        t = max((t for t in F.tags_of(us[i]) if t["label"] in F.EMPATHIC), key=lambda t: t["score"])
        sug = f"The patient said \u201c{S.quote(c.text, 14)}\u201d and the feeling was named before moving on."
        return _moment(a, "example", "empathic_response", "An empathic response to an emotional cue", [c.utterance, i],
                       F.span_text(us[i], t["span"]), sug,
                       "Acknowledged emotions build trust; patients then say more about what worries them.")
    best = _best(a, "empathy")
    if not best:
        return None
    i, t = best
    j, p = _prev_patient(a, i)
    sug = "Naming how it is for the patient" + (f" (after \u201c{S.quote(p['text'], 14)}\u201d)" if p else "") + \
          " shows they are understood, not just assessed."
    return _moment(a, "example", "empathic_response", "An empathic statement", [i], F.span_text(us[i], t["span"]), sug,
                   "Acknowledged emotions build trust; patients then say more about what worries them.")


# -- missed opportunities ---------------------------------------------------------------------

def _at_index(a: dict, at: float, role: str) -> int | None:
    for i, u in enumerate(F.utterances(a)):
        if u.get("role") == role and u.get("start") is not None and abs(u["start"] - at) < 0.05:
            return i
    return None


def _interrupted_utterance(a: dict, i: int, of_role: str) -> int | None:
    """The utterance of ``of_role`` that was talking when utterance ``i`` began."""
    us = F.utterances(a)
    at = us[i].get("start")
    for j in range(i - 1, -1, -1):
        u = us[j]
        if u.get("role") == of_role and u.get("start") is not None and u["start"] <= at <= (u.get("end") or at) + 0.3:
            return j
    return None


def interruptions(a: dict) -> list[Moment]:
    out, others = [], 0
    us = F.utterances(a)
    evs = a.get("events") or []
    opening_at = {e["at"] for e in evs if e.get("type") == "opening_interrupted"}
    for e in evs:
        if e.get("by") != "clinician" or e.get("of") != "patient":
            continue
        i = _at_index(a, e["at"], "clinician")
        if i is None:
            continue
        j = _interrupted_utterance(a, i, "patient")
        patient_text = F.words_before(us[j], e["at"]) if j is not None else ""
        idx = [j, i] if j is not None else [i]
        if e["type"] == "opening_interrupted":
            complaint = S.main_complaint(patient_text) if patient_text else None
            about = f"the {complaint}" if complaint else "that"
            delay = F.num(e.get("delay"))
            if delay is None:
                delay = e["at"] - us[j]["start"] if j is not None and us[j]["start"] is not None else 0.0
            sug = (f"Let the opening run to its end, then invite more: \u201cTell me more about {about}.\u201d "
                   f"Before moving on: \u201cWhat else would you like to cover today?\u201d "
                   f"(The clinician cut in after {delay:.1f} s, at \u201c{S.tail(patient_text)}\u201d.)")
            out.append(_moment(a, "missed", "opening_interrupted", "The patient's opening was interrupted", idx,
                               f"Patient: \u201c{S.quote(patient_text, 24)}\u201d \u2014 Clinician: \u201c{us[i]['text']}\u201d",
                               sug, "Patients interrupted in the opening often never raise their other concerns; "
                                    "most finish in under a minute if left to talk.", main=i, at=e["at"]))
        elif e["type"] == "interruption" and others < MAX_OTHER_INTERRUPTIONS and e["at"] not in opening_at:
            others += 1
            left = F.num(e.get("of_remaining_words"))
            sug = (f"Wait for the end of the sentence{f' (about {left} more words)' if left else ''}, then reply to what was said"
                   + (f": \u201c{S.tail(patient_text, 10)}\u201d." if patient_text else "."))
            out.append(_moment(a, "missed", "interruption", "The patient was cut off", idx,
                               f"Patient: \u201c{S.tail(patient_text, 14)}\u201d \u2014 Clinician: \u201c{us[i]['text']}\u201d",
                               sug, "Each cut-off tells the patient their words matter less than the next question.",
                               main=i, at=e["at"]))
    return out


def closed_stacks(a: dict) -> list[Moment]:
    out = []
    us = F.utterances(a)
    first_patient = next((u["text"] for i, u in enumerate(us) if u.get("role") == "patient" and not F.is_backchannel(a, i)), "")
    complaint = S.main_complaint(first_patient) if first_patient else None
    for st in F.closed_question_stacks(a):
        sug = "One open question instead of " + f"{len(st.questions)} closed ones: " + S.open_from_closed(st.questions, complaint)
        text = " / ".join(S.quote(q, 10) for q in st.questions[:8]) + (" \u2026" if len(st.questions) > 8 else "")
        out.append(_moment(a, "missed", "closed_question_stack", f"{len(st.questions)} closed questions in a row",
                           st.utterances, text, sug,
                           "A checklist of yes/no questions leaves the patient answering, not telling; "
                           "what matters to them may never come up."))
    return out


def missed_cues(a: dict) -> list[Moment]:
    out = []
    us = F.utterances(a)
    for c in F.emotional_cues(a):
        if c.answered_by is not None:
            continue
        said = [us[j]["text"] for j in c.replies]
        dismissed = next((F.span_text(us[j], t["span"]) for j in c.replies for t in F.tags_of(us[j])
                          if t["label"] == "dismissal"), None)
        sug = f"Name the feeling before moving on: \u201c{S.reflect_cue(c.text, c.phrase)}\u201d"
        if dismissed:
            # premature reassurance: the worry was waved off before it was heard
            sug += (f" The reply reassured before the worry was heard (\u201c{S.quote(dismissed, 12)}\u201d): "
                    "name it first, then reassure with the reason, and ask whether that helps.")
            title = "A worry reassured away before it was heard"
        else:
            if said:
                sug += f" The reply (not tagged as empathy or a reflection) was \u201c{S.quote(said[0], 12)}\u201d."
            title = "An emotional cue with no empathic reply"
        out.append(_moment(a, "missed", "missed_emotional_cue", title,
                           [c.utterance, *c.replies], f"Patient: \u201c{c.text}\u201d", sug,
                           "An unacknowledged worry stays in the room; it tends to return later or shape adherence."))
    return out


def dismissals(a: dict, covered: set[int]) -> list[Moment]:
    """Dismissals (premature reassurance, minimising) not already shown with a missed cue."""
    out = []
    us = F.utterances(a)
    for i, t in F.dismissals(a):
        if i in covered:
            continue
        said = F.span_text(us[i], t["span"])
        j, p = _prev_patient(a, i)
        text = (f"Patient: \u201c{S.quote(p['text'], 16)}\u201d \u2014 " if p else "") + f"Clinician: \u201c{said}\u201d"
        sug = ("Hear the concern out before reassuring: \u201cWhat worries you most about it?\u201d or name it "
               "(\u201cIt sounds like that's been on your mind.\u201d); then reassure with the reason, if there "
               "is one, and check it landed.")
        out.append(_moment(a, "missed", "dismissal", "A concern brushed aside", ([j] if j is not None else []) + [i],
                           text, sug, WHY["dismissals"], main=i))
        if len(out) >= MAX_DISMISSALS:
            break
    return out


def plan_without_view(a: dict) -> list[Moment]:
    """Advice or a plan, and the patient's view never asked after it."""
    plan = F.plan_and_partnership(a)
    if not plan.advice or plan.after_plan:
        return []
    us = F.utterances(a)
    i = plan.advice[-1]
    t = next(t for t in F.tags_of(us[i]) if t["label"] == "advice")
    sug = (f"After the plan (\u201c{S.quote(F.span_text(us[i], t['span']), 14)}\u201d) ask: \u201cThis is what I'd "
           "recommend, but I'd like to hear your thoughts.\u201d or offer the options and ask which suits them.")
    return [_moment(a, "missed", "plan_without_view", "A plan without the patient's view", [i],
                    S.quote(F.span_text(us[i], t["span"]), 30), sug,
                    "A plan the patient had no say in is a plan they may not follow.")]


def monologue(a: dict) -> list[Moment]:
    lm = F.metric(a, "longest_monologue", "clinician")
    if not isinstance(lm, dict):
        return []
    s, w = F.num(lm.get("seconds")), F.num(lm.get("words")) or 0
    if not ((s is not None and s > MONOLOGUE_S) or (s is None and w > MONOLOGUE_WORDS)):
        return []
    us = F.utterances(a)
    if F.num(lm.get("start")) is not None and F.num(lm.get("end")) is not None:
        idx = [i for i, u in enumerate(us) if u.get("role") == "clinician" and u.get("start") is not None
               and u["end"] > lm["start"] and u["start"] < lm["end"]]
    else:  # text only: the longest clinician utterance by words
        cl = [i for i, u in enumerate(us) if u.get("role") == "clinician"]
        idx = [max(cl, key=lambda i: len(us[i]["text"].split()))] if cl else []
    if not idx:
        return []
    text = " ".join(us[i]["text"] for i in idx)
    sents = S.sentences(text)
    first = next((x for x in sents if len(x.split()) > 3), sents[0] if sents else text)
    length = f"{s:.0f} s" if s is not None else f"{int(w)} words"
    sug = (f"Chunk and check: {len(sents)} sentences in one go ({length}). After the first point "
           f"(\u201c{S.quote(first, 16)}\u201d) pause and ask \u201cWhat do you make of that so far?\u201d, "
           f"then go on with what the patient asks about.")
    return [_moment(a, "missed", "long_monologue", f"A {length} explanation without a check", idx,
                    S.quote(text, 40), sug,
                    "People remember little of a long explanation; checking keeps the plan theirs, not just yours.")]


def build_moments(a: dict) -> list[Moment]:
    a = F.normalize(a)
    cues = missed_cues(a)
    missed = (interruptions(a) + closed_stacks(a) + cues + dismissals(a, {i for m in cues for i in m.utterances})
              + plan_without_view(a) + monologue(a))
    missed.sort(key=lambda m: (m.at if m.at is not None else 0, m.utterance))
    ex = examples(a)
    ex.sort(key=lambda m: (m.at if m.at is not None else 0, m.utterance))
    return ex + missed
