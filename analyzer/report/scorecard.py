"""The scorecard: each figure against a reference point, with why it matters.

Thresholds and references:
- Reflection-to-question ratio and % complex reflections: MITI 4.2 (Moyers et al. 2016)
  "fair" R:Q >= 1, "good" >= 2; %CR fair >= 40 %, good >= 50 %.
- Open questions: MITI 3.1.1 (% open questions fair >= 50 %, good >= 70 %); MITI 4.2 counts
  questions without a threshold.
- Time to first interruption of the patient's opening: median 11 s (Singh Ospina et al. 2019),
  23 s (Marvel et al. 1999). Any interruption of the opening is "needs work", none is "good".
- Empathic responses to emotional cues: 21 % of cues in primary care (Levinson et al. 2000).
- Talk share, interruptions, dismissals and monologue limits are ours (stated as such in ``reference``).
"""
from __future__ import annotations

from . import facts as F
from .model import Figure

WHY = {
    "talk_share_patient": "Patients who get room to talk tell more of their story; that is where diagnosis and trust start.",
    "interruptions_by_clinician": "Each cut-off tells the patient their words matter less than the next question.",
    "interruptions_by_patient": "A patient who has to break in may feel they will not otherwise be heard.",
    "time_to_first_interruption": "An opening heard to its end surfaces the real concerns early and spares late 'oh, and doctor...'.",
    "agenda_elicited": "Asking what the patient wants to cover shows their priorities count and avoids missed concerns.",
    "open_closed": "Open questions let the patient tell it their way; a string of closed ones turns a visit into a checklist.",
    "reflection_to_question": "Reflections show you listened; patients who feel heard disclose more and follow through.",
    "percent_complex_reflections": "Complex reflections name the meaning or feeling behind the words, which is what makes people feel understood.",
    "empathic_response_rate": "A named and acknowledged emotion builds trust; a missed cue tends to come back later, louder.",
    "dismissals": "Reassurance before the concern is heard tells the patient it was not worth raising; the worry stays, unspoken.",
    "partnership": "Patients who are asked their view of the plan understand it, own it and follow it more often.",
    "longest_monologue_clinician": "Long explanations are mostly forgotten; small chunks with a check keep the patient in the plan.",
}


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def _rate(value, good, fair, higher_is_better=True) -> str:
    if value is None:
        return "n/a"
    if higher_is_better:
        return "good" if value >= good else "fair" if value >= fair else "needs work"
    return "good" if value <= good else "fair" if value <= fair else "needs work"


def talk_share(a: dict) -> Figure:
    key = "talk_share_patient"
    share, detail = F.num(F.metric(a, "talk_share", "patient")), "share of speaking time (patient / all)"
    if share is None:
        share = F.num(F.metric(a, "word_share", "patient"))
        detail = "share of the words (the transcript has no times)" if share is not None else (
            F.missing(a, "talk_share") or "no patient speech found")
    return Figure.make(key, "Patient talk share", share, "percent",
                       reference="patient 40 % or more (ours); clinicians usually do most of the talking",
                       rating=_rate(share, 0.40, 0.30), why=WHY[key], detail=detail)


def interruptions(a: dict) -> list[Figure]:
    out = []
    why_missing = F.missing(a, "interruptions")
    caveat = F.one_mic(a)
    for by, other in (("clinician", "patient"), ("patient", "clinician")):
        key = f"interruptions_by_{by}"
        n = None if why_missing else F.num(F.metric(a, "interruptions", "by", by))
        if n is None and not why_missing:
            why_missing = "not measured (the turn-taking stage has not run on this analysis)"
        idx = [i for i, u in enumerate(F.utterances(a)) for e in (a.get("events") or [])
               if e.get("type") == "interruption" and e.get("by") == by and u.get("role") == by
               and u.get("start") is not None and abs(u["start"] - e["at"]) < 0.05]
        rating = _rate(n, 0, 1, higher_is_better=False) if by == "clinician" else ("info" if n is not None else "n/a")
        if n == 0 and F.one_mic(a):
            rating = "info"  # none seen is not none made: one microphone loses most overlaps
        detail = why_missing or (f"times the {by} started talking while the {other} was still mid-sentence and took the floor"
                                 + (" (one microphone: found from an overlapped-speech detector, about half of them on test mixes)" if caveat else ""))
        out.append(Figure.make(key, f"Interruptions by the {by}", n, "count",
                               reference="0 (ours)" if by == "clinician" else "for context",
                               rating=rating, why=WHY[key], detail=detail, utterances=idx))
    return out


def first_interruption(a: dict) -> Figure:
    key = "time_to_first_interruption"
    op = F.metric(a, "opening_statement")
    ref = "median 11 s (Singh Ospina 2019); 23 s (Marvel 1999)"
    label = "Time to first interruption of the patient's opening"
    if not isinstance(op, dict) or F.num(op.get("start")) is None:
        why = F.missing(a, "opening_statement") or "no patient opening statement was found"
        return Figure.make(key, label, None, "seconds", reference=ref, rating="n/a", why=WHY[key], detail=why)
    if op.get("interrupted"):
        v = F.num(op.get("delay"))
        if v is None:
            v = F.num(op.get("first_interruption_of_patient_after_s"))
        return Figure.make(key, label, v, "seconds", reference=ref, rating="needs work", why=WHY[key],
                           detail="seconds from the start of the patient's opening to the clinician cutting in")
    mic = F.one_mic(a)
    return Figure.make(key, label, F.num(op.get("seconds")), "seconds_uninterrupted", reference=ref,
                       rating="info" if mic else "good", why=WHY[key],
                       detail="the patient finished the opening; the value is how long it ran"
                       + (" (one microphone: an interruption over the patient's words may not be seen)" if mic else ""))


def agenda(a: dict) -> Figure:
    key = "agenda_elicited"
    ag = F.metric(a, "agenda_elicited")
    v = ag.get("value") if isinstance(ag, dict) and isinstance(ag.get("value"), bool) else None
    if v is None:
        return Figure.make(key, "Agenda elicited", None, "yesno", reference="ask early", rating="n/a", why=WHY[key],
                           detail=F.missing(a, "agenda_elicited") or "not measured")
    early = ag.get("early")  # None: unknown (no times); False: only after the clinician took over
    rating = ("fair" if early is False else "good") if v else "needs work"
    idx = [i for i, u in enumerate(F.utterances(a)) if "agenda" in F.labels(u)][:3]
    detail = f"'{ag['text']}'" if v and ag.get("text") else "no question asking what the patient wants to cover"
    if v and early is False:
        detail += " (asked only after the clinician had taken over the visit)"
    return Figure.make(key, "Agenda elicited", bool(v), "yesno",
                       reference="good: asked early, e.g. 'What would you like to cover today?' "
                                 "(done in 36 % of visits, Singh Ospina 2019)",
                       rating=rating, why=WHY[key], detail=detail, utterances=idx)


def behaviour_figures(a: dict) -> list[Figure]:
    c = F.behaviour_counts(a)
    untagged = None if c.tagged else "the behaviour tagger has not run on this analysis"
    out = []
    key = "open_closed"
    pair = None if untagged else [len(c.open), len(c.closed)]
    share = len(c.open) / c.questions if c.questions else None
    out.append(Figure.make(
        key, "Open : closed questions", pair, "pair",
        reference="70 % open is good, 50 % fair (MITI 3.1.1)",
        rating="n/a" if pair is None else (_rate(share, 0.70, 0.50) if share is not None else "info"),
        why=WHY[key], utterances=sorted(set(c.open + c.closed)),
        detail=untagged or (f"{round(100 * share)} % open" if share is not None else "no questions were asked")))
    key = "reflection_to_question"
    rq = None if untagged or not c.questions else c.reflections / c.questions
    out.append(Figure.make(
        key, "Reflections per question", rq, "ratio", reference="fair >= 1, good >= 2 (MITI 4.2)",
        rating=_rate(rq, 2.0, 1.0), why=WHY[key], utterances=sorted(set(c.simple + c.complex)),
        detail=untagged or (f"{_n(c.reflections, 'reflection')} / {_n(c.questions, 'question')}" if c.questions
                            else f"no questions were asked ({_n(c.reflections, 'reflection')})")))
    key = "percent_complex_reflections"
    cr = None if untagged or not c.reflections else len(c.complex) / c.reflections
    out.append(Figure.make(
        key, "Complex reflections", cr, "percent", reference="fair >= 40 %, good >= 50 % (MITI 4.2)",
        rating=_rate(cr, 0.50, 0.40), why=WHY[key], utterances=sorted(set(c.complex)),
        detail=untagged or (f"{len(c.complex)} complex of {_n(c.reflections, 'reflection')}" if c.reflections
                            else "no reflections were made")))
    return out


def empathy(a: dict) -> Figure:
    key = "empathic_response_rate"
    c = F.behaviour_counts(a)
    cues = F.emotional_cues(a)
    ans = [q for q in cues if q.answered_by is not None]
    v = len(ans) / len(cues) if cues and c.tagged else None
    detail = ("the behaviour tagger has not run on this analysis" if not c.tagged else
              f"{len(ans)} of {_n(len(cues), 'emotional cue')} answered with empathy or a reflection in the next turn(s)"
              if cues else "no emotional cues from the patient were detected")
    return Figure.make(key, "Empathic responses to emotional cues", v, "percent",
                       reference="21 % in primary care (Levinson 2000); good >= 50 % (ours)",
                       rating=_rate(v, 0.50, 0.21), why=WHY[key], detail=detail,
                       utterances=[q.utterance for q in cues])


def dismissals(a: dict) -> Figure:
    key = "dismissals"
    c = F.behaviour_counts(a)
    idx = [i for i, _ in F.dismissals(a)]
    n = len(idx) if c.tagged else None
    return Figure.make(key, "Concerns dismissed", n, "count",
                       reference="0 (ours): hear the concern, then reassure with the reason",
                       rating=_rate(n, 0, 1, higher_is_better=False), why=WHY[key], utterances=idx,
                       detail="the behaviour tagger has not run on this analysis" if not c.tagged else
                       "premature reassurance or minimising (\u201cdon't worry about that\u201d)")


def partnership(a: dict) -> Figure:
    key = "partnership"
    c, plan = F.behaviour_counts(a), F.plan_and_partnership(a)
    v = bool(plan.partnership) if c.tagged else None
    if v:
        rating, detail = "good", f"{_n(len(plan.partnership), 'time')} (asking the patient's view or preference, offering options)"
    elif plan.advice:
        rating, detail = "needs work", f"advice or a plan was given ({_n(len(plan.advice), 'utterance')}) without asking the patient's view"
    else:
        rating, detail = "info", "no advice or plan was given"
    return Figure.make(key, "Patient's view sought", v, "yesno",
                       reference="good: asked, e.g. 'This is what I'd recommend, but I'd like to hear your thoughts' "
                                 "(shared decision making; ours)",
                       rating=rating, why=WHY[key], utterances=plan.partnership or plan.advice,
                       detail="the behaviour tagger has not run on this analysis" if not c.tagged else detail)


def monologue(a: dict) -> Figure:
    key = "longest_monologue_clinician"
    lm = F.metric(a, "longest_monologue", "clinician")
    label = "Longest clinician monologue"
    ref = "under 30 s, then check understanding (chunk and check; ours: > 45 s needs work)"
    if not isinstance(lm, dict):
        return Figure.make(key, label, None, "seconds", reference=ref, rating="n/a", why=WHY[key],
                           detail=F.missing(a, "longest_monologue") or "no clinician speech found")
    idx = _utterances_between(a, F.num(lm.get("start")), F.num(lm.get("end")), "clinician")
    s = F.num(lm.get("seconds"))
    if s is None:  # text only: words (about 2.5 words a second)
        w = F.num(lm.get("words"))
        return Figure.make(key, label, w, "words", reference="under 75 words (about 30 s), then check",
                           rating=_rate(w, 75, 110, higher_is_better=False), why=WHY[key],
                           detail="in words: the transcript has no times", utterances=idx)
    return Figure.make(key, label, s, "seconds", reference=ref, rating=_rate(s, 30, 45, higher_is_better=False),
                       why=WHY[key], detail=f"{lm.get('words', '?')} words without a pause for the patient",
                       utterances=idx)


def _utterances_between(a: dict, start, end, role: str) -> list[int]:
    if start is None or end is None:
        return []
    return [i for i, u in enumerate(F.utterances(a)) if u.get("role") == role and u.get("start") is not None
            and u["end"] > start and u["start"] < end]


def build_scorecard(a: dict) -> list[Figure]:
    a = F.normalize(a)
    return [talk_share(a), *interruptions(a), first_interruption(a), agenda(a), *behaviour_figures(a),
            empathy(a), dismissals(a), partnership(a), monologue(a)]
