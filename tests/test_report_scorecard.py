"""Scorecard and moments on hand-built analysis dicts: exact figures, edge cases, no crashes."""
from __future__ import annotations

import json
import math

import pytest

from analyzer.report import build_report, fmt_value, timeline_figure
from analyzer.report import facts as F
from analyzer.report.model import Figure, Report

KEYS = ["talk_share_patient", "interruptions_by_clinician", "interruptions_by_patient", "time_to_first_interruption",
        "agenda_elicited", "open_closed", "reflection_to_question", "percent_complex_reflections",
        "empathic_response_rate", "dismissals", "partnership", "longest_monologue_clinician"]


def tag(label, text, score=0.8, why="test", span=None):
    return {"label": label, "score": score, "why": why, "span": list(span or (0, len(text)))}


def utt(role, text, start=None, end=None, tags=None):
    u = {"speaker": "S1" if role == "clinician" else "S2", "role": role, "start": start, "end": end, "text": text}
    if tags is not None:
        u["tags"] = tags
    return u


def timed_metrics(**over):
    m = {"talk_share": {"clinician": 0.6, "patient": 0.4}, "word_share": {"clinician": 0.62, "patient": 0.38},
         "interruptions": {"by": {"clinician": 0, "patient": 0}, "of": {"clinician": 0, "patient": 0}},
         "opening_statement": {"start": 3.0, "end": 10.0, "seconds": 7.0, "interrupted": False, "delay": None},
         "agenda_elicited": {"value": True, "at": 0.0, "text": "What would you like to cover today?", "early": True},
         "longest_monologue": {"clinician": {"seconds": 12.0, "start": 0.0, "end": 12.0, "words": 30}}}
    m.update(over)
    return m


def visit(utterances, metrics=None, events=None):
    return {"schema_version": 1, "source": {"kind": "audio", "duration": 60.0},
            "speakers": [{"id": "S1", "role": "clinician", "role_confidence": 1.0, "role_source": "auto"},
                         {"id": "S2", "role": "patient", "role_confidence": 1.0, "role_source": "auto"}],
            "utterances": utterances, "events": events or [], "metrics": metrics if metrics is not None else timed_metrics()}


def coded_visit():
    """2 open, 4 closed questions; 3 reflections (2 complex); one sentence both reflection and question."""
    q1 = "What brings you in? How has it been?"
    return visit([
        utt("clinician", q1, 0, 3, [tag("question.open", q1, span=(0, 19)), tag("agenda", q1, span=(0, 19)),
                                    tag("question.open", q1, span=(20, 36))]),
        utt("patient", "My back hurts and I'm worried it's serious.", 3, 8,
            [tag("emotional_cue", "x", 0.85, "feeling: 'i'm worried'", span=(0, 43))]),
        utt("clinician", "You're worried it could be something serious.", 8.5, 11,
            [tag("reflection.complex", "You're worried it could be something serious.")]),
        utt("patient", "Yes.", 11.2, 11.5),
        utt("clinician", "Any fever? Any weight loss? Did you fall?", 12, 15,
            [tag("question.closed", "a", span=(0, 10)), tag("question.closed", "b", span=(11, 27)),
             tag("question.closed", "c", span=(28, 41))]),
        utt("patient", "No, no, and no.", 15.5, 17),
        utt("clinician", "So it started after lifting? Does it spread?", 17.5, 20,
            [tag("reflection.simple", "a", span=(0, 28)), tag("question.closed", "a", span=(0, 28)),
             tag("question.closed", "b", span=(29, 44))]),
        utt("patient", "It's getting me down, honestly.", 20.5, 23,
            [tag("emotional_cue", "x", 0.85, "burden: 'getting me down'")]),
        utt("clinician", "Let's book an X-ray.", 23.5, 25, [tag("advice", "x")]),
        utt("patient", "Okay, and what about work?", 25.5, 27, []),
        utt("clinician", "It sounds like work matters a lot to you.", 27.5, 30,
            [tag("reflection.complex", "It sounds like work matters a lot to you.")]),
    ])


def test_counts_and_exact_figures():
    r = build_report(coded_visit())
    assert [f.key for f in r.scorecard] == KEYS
    oc = r.figure("open_closed")
    assert oc.value == [2, 4] and oc.display == "2 : 4" and oc.rating == "needs work"  # 33 % open
    rq = r.figure("reflection_to_question")
    assert rq.value == pytest.approx(3 / 6) and rq.display == "0.50" and rq.rating == "needs work"
    cr = r.figure("percent_complex_reflections")
    assert cr.value == pytest.approx(2 / 3) and cr.display == "67 %" and cr.rating == "good"
    # cue 1 answered by a complex reflection; cue 2 answered by advice only -> 1 of 2
    emp = r.figure("empathic_response_rate")
    assert emp.value == 0.5 and emp.display == "50 %" and emp.rating == "good"
    assert r.figure("dismissals").display == "0" and r.figure("dismissals").rating == "good"
    # "Let's book an X-ray." is advice and nobody asked the patient's view
    pf = r.figure("partnership")
    assert pf.display == "no" and pf.rating == "needs work" and pf.utterances == [8]
    assert [m.utterance for m in r.moments if m.type == "plan_without_view"] == [8]
    assert r.figure("talk_share_patient").display == "40 %"
    assert r.figure("time_to_first_interruption").display == "not interrupted (7.0 s)"
    assert r.figure("time_to_first_interruption").rating == "good"
    assert r.figure("agenda_elicited").display == "yes"
    assert r.figure("longest_monologue_clinician").display == "12.0 s"


def test_every_display_comes_from_its_value():
    for a in (coded_visit(), visit([]), {}, visit([utt("clinician", "Hello.")], metrics={})):
        for f in build_report(a).scorecard:
            assert f.display == fmt_value(f.value, f.unit), f.key
            assert f.rating in ("good", "fair", "needs work", "info", "n/a")
            assert f.why and f.label
        json.dumps(build_report(a).to_json())


def test_zero_counts_are_na_not_errors():
    a = visit([utt("clinician", "Let's take your blood pressure.", 0, 2, [tag("information", "x")]),
               utt("patient", "Fine.", 2.5, 3, [])])
    r = build_report(a)
    assert r.figure("open_closed").value == [0, 0] and r.figure("open_closed").rating == "info"
    assert r.figure("reflection_to_question").display == "n/a"
    assert "no questions" in r.figure("reflection_to_question").detail
    assert r.figure("percent_complex_reflections").display == "n/a"
    assert r.figure("empathic_response_rate").display == "n/a"
    assert "no emotional cues" in r.figure("empathic_response_rate").detail


def test_reflections_without_questions():
    a = visit([utt("clinician", "You've had a rough week.", 0, 2, [tag("reflection.simple", "x")])])
    r = build_report(a)
    assert r.figure("reflection_to_question").value is None  # not infinity
    assert "1 reflection" in r.figure("reflection_to_question").detail
    assert r.figure("percent_complex_reflections").display == "0 %"


def test_untagged_analysis_says_so():
    a = visit([utt("clinician", "Hi, what's going on?", 0, 2), utt("patient", "A cough.", 2, 3)])
    r = build_report(a)
    for k in ("open_closed", "reflection_to_question", "percent_complex_reflections", "empathic_response_rate"):
        assert r.figure(k).display == "n/a" and "tagger" in r.figure(k).detail
    assert any("No behaviour tags" in n for n in r.notes)


def test_text_only_transcript_uses_words_and_marks_missing():
    from analyzer.turntaking import MISSING_WITHOUT_TIMES

    m = {"word_share": {"clinician": 0.7, "patient": 0.3}, "missing": dict(MISSING_WITHOUT_TIMES),
         "longest_monologue": {"clinician": {"seconds": None, "words": 120}},
         "agenda_elicited": {"value": False, "at": None, "text": None}}
    a = visit([utt("clinician", "Any pain?", tags=[tag("question.closed", "Any pain?")]), utt("patient", "No.", tags=[])],
              metrics=m)
    r = build_report(a)
    assert r.figure("talk_share_patient").display == "30 %" and "words" in r.figure("talk_share_patient").detail
    for k in ("interruptions_by_clinician", "interruptions_by_patient", "time_to_first_interruption"):
        assert r.figure(k).display == "n/a" and r.figure(k).detail
    assert r.figure("longest_monologue_clinician").display == "120 words"
    assert r.figure("longest_monologue_clinician").rating == "needs work"
    assert r.figure("agenda_elicited").display == "no" and r.figure("agenda_elicited").rating == "needs work"
    assert any("no times" in n for n in r.notes)
    for m_ in r.moments:
        assert m_.at is None


def test_interrupted_opening_and_interruption_counts():
    m = timed_metrics(interruptions={"by": {"clinician": 2, "patient": 1}, "of": {"clinician": 1, "patient": 2}},
                      opening_statement={"start": 2.0, "end": 6.5, "seconds": 4.5, "interrupted": True, "delay": 4.5})
    ev = [{"type": "interruption", "at": 6.5, "by": "clinician", "of": "patient", "of_remaining_words": 5},
          {"type": "opening_interrupted", "at": 6.5, "by": "clinician", "of": "patient", "delay": 4.5}]
    a = visit([utt("clinician", "What's going on?", 0, 1.8, [tag("question.open", "x")]),
               utt("patient", "I've had these headaches for three weeks and they wake me", 2.0, 8.0, []),
               utt("clinician", "Which side?", 6.5, 7.5, [tag("question.closed", "x")])], metrics=m, events=ev)
    r = build_report(a)
    f = r.figure("time_to_first_interruption")
    assert (f.value, f.display, f.rating) == (4.5, "4.5 s", "needs work")
    assert r.figure("interruptions_by_clinician").display == "2"
    assert r.figure("interruptions_by_clinician").rating == "needs work"
    assert r.figure("interruptions_by_clinician").utterances == [2]
    assert r.figure("interruptions_by_patient").rating == "info"
    op = [x for x in r.moments if x.type == "opening_interrupted"]
    assert len(op) == 1 and op[0].utterance == 2 and op[0].at == 6.5
    assert "headaches" in op[0].suggestion  # the patient's complaint, from the visit's words
    assert not [x for x in r.moments if x.type == "interruption"]  # the opening's is listed once


def test_cue_reply_window():
    t1, t2 = "I'm scared of what this means.", "I'm scared it's cancer."
    cue = [tag("emotional_cue", t1, 0.85, "feeling: 'i'm scared'")]
    emp = [tag("empathy", "x", 0.9)]
    # reply after the patient moved on does not count; a reply 30 s later does not count
    a = visit([utt("patient", t1, 0, 3, cue),
               utt("patient", "Anyway, the pain is in my knee mostly when I walk.", 3.5, 8, []),
               utt("clinician", "That must be hard.", 8.5, 10, emp),
               utt("patient", t2, 11, 13, [tag("emotional_cue", t2, 0.85, "feeling: 'i'm scared'")]),
               utt("clinician", "That sounds frightening.", 45, 47, emp)])
    cues = F.emotional_cues(a)
    assert [c.answered_by for c in cues] == [None, None]
    assert cues[0].phrase == "i'm scared"
    # the next clinician turn answers it, even after a patient backchannel
    b = visit([utt("patient", "I'm scared of what this means.", 0, 3, cue), utt("clinician", "Okay.", 3.2, 3.5, []),
               utt("patient", "Mm.", 3.6, 3.8, []), utt("clinician", "That must be frightening.", 4, 6, emp)])
    assert F.emotional_cues(b)[0].answered_by == 3
    r = build_report(a)
    missed = [m for m in r.moments if m.type == "missed_emotional_cue"]
    assert len(missed) == 2
    assert "It sounds like you're scared of what this means." in missed[0].suggestion
    assert "It sounds like you're scared it's cancer." in missed[1].suggestion
    assert "The reply (not tagged as empathy or a reflection) was \u201cThat sounds frightening.\u201d" not in missed[1].suggestion


def test_dismissals_on_the_scorecard_and_as_moments():
    t1 = "I'm scared it might be something serious."
    a = visit([utt("patient", t1, 0, 3, [tag("emotional_cue", t1, 0.85, "feeling: 'i'm scared'")]),
               utt("clinician", "Don't worry about that. Any allergies?", 3.5, 6,
                   [tag("dismissal", "x", 0.9, span=(0, 23)), tag("question.closed", "x", span=(24, 38))]),
               utt("patient", "No. My mum had the same thing and it turned out bad.", 6.5, 10, []),
               utt("clinician", "Oh, that's nothing, it's very common.", 10.5, 13,
                   [tag("dismissal", "Oh, that's nothing, it's very common.", 0.8)]),
               utt("patient", "Okay.", 13.2, 13.6, [])])
    r = build_report(a)
    f = r.figure("dismissals")
    assert f.value == 2 and f.rating == "needs work" and f.utterances == [1, 3]
    cue = next(m for m in r.moments if m.type == "missed_emotional_cue")
    assert cue.title == "A worry reassured away before it was heard"
    assert "\u201cDon't worry about that.\u201d" in cue.suggestion and "name it first" in cue.suggestion
    dis = [m for m in r.moments if m.type == "dismissal"]
    assert len(dis) == 1 and dis[0].utterance == 3  # the first one is shown with the cue it answered
    assert "turned out bad" in dis[0].text and "it's very common" in dis[0].text
    # one dismissal is "fair": a single slip, or a tagger's false alarm, is not a pattern
    one = visit([utt("patient", "It keeps me up at night.", 0, 2, []),
                 utt("clinician", "Ah, that's nothing.", 2.5, 4, [tag("dismissal", "x", 0.8)])])
    assert build_report(one).figure("dismissals").rating == "fair"


def test_partnership_figure_and_moments():
    advice = "I'd suggest we start with physiotherapy."
    view = "How does that sound to you?"
    base = [utt("patient", "My knee hurts when I walk.", 0, 3, []),
            utt("clinician", advice, 3.5, 6, [tag("advice", advice)])]
    asked = visit(base + [utt("clinician", view, 6.2, 7.5, [tag("partnership", view), tag("question.open", view)])])
    r = build_report(asked)
    f = r.figure("partnership")
    assert f.display == "yes" and f.rating == "good" and f.utterances == [2]
    ex = next(m for m in r.moments if m.type == "partnership")
    assert ex.text == view and "after the plan" in ex.suggestion
    assert not [m for m in r.moments if m.type == "plan_without_view"]
    # asked before the plan only: the figure is met, but the plan itself went unchecked
    before = visit([utt("clinician", "What do you think is going on?", 0, 2, [tag("partnership", "What do you think is going on?")]),
                    *base])
    r = build_report(before)
    assert r.figure("partnership").rating == "good"
    missed = [m for m in r.moments if m.type == "plan_without_view"]
    assert len(missed) == 1 and missed[0].utterance == 2 and "physiotherapy" in missed[0].suggestion
    # no plan, no view asked: nothing to judge
    talk = build_report(visit([utt("clinician", "Tell me more.", 0, 1, [tag("question.open", "Tell me more.")])]))
    assert talk.figure("partnership").rating == "info" and talk.figure("partnership").display == "no"


def test_closed_question_stack_moment():
    qs = ["Any fever?", "Any cough?", "Do you smoke?", "Any chest pain?"]
    us = []
    for k, q in enumerate(qs):
        us.append(utt("clinician", q, 10 * k, 10 * k + 2, [tag("question.closed", q)]))
        us.append(utt("patient", "No.", 10 * k + 3, 10 * k + 4, []))
    a = visit([utt("clinician", "How can I help?", 0, 1, [tag("question.open", "x")]),
               utt("patient", "I've had a sore throat for a week.", 1, 4, [])] + us)
    stacks = F.closed_question_stacks(a)
    assert len(stacks) == 1 and stacks[0].questions == qs
    m = [m for m in build_report(a).moments if m.type == "closed_question_stack"][0]
    assert m.title == "4 closed questions in a row"
    assert "sore throat" in m.suggestion and "fever" in m.suggestion and "chest pain" in m.suggestion
    # an open question or a reflection breaks the run
    us[2]["tags"] = [tag("question.open", "x")]
    assert not F.closed_question_stacks(a)


def test_reflection_voiced_as_question_counts_once_as_reflection():
    u = utt("clinician", "So it started after lifting?", 0, 2,
            [tag("reflection.simple", "x"), tag("question.closed", "x")])
    c = F.behaviour_counts(visit([u]))
    assert (c.reflections, c.questions) == (1, 0)


@pytest.mark.parametrize("value,unit,shown", [
    (0.334, "percent", "33 %"), (0.0, "percent", "0 %"), (None, "percent", "n/a"), (float("nan"), "ratio", "n/a"),
    (4.44, "seconds", "4.4 s"), (83.0, "seconds", "83.0 s"), (7.25, "seconds_uninterrupted", "not interrupted (7.2 s)"),
    (True, "yesno", "yes"), (False, "yesno", "no"), ([3, 5], "pair", "3 : 5"), (2, "count", "2"), (0.5, "ratio", "0.50"),
    (120, "words", "120 words")])
def test_fmt_value(value, unit, shown):
    assert fmt_value(value, unit) == shown


def test_report_json_round_trip():
    r = build_report(coded_visit())
    d = json.loads(json.dumps(r.to_json()))
    assert Report.from_json(d) == r
    assert d["scorecard"][0].keys() >= {"key", "label", "value", "display", "reference", "rating", "why"}
    assert all(m.keys() >= {"kind", "type", "title", "at", "end", "utterance", "speaker_role", "text", "suggestion", "why"}
               for m in d["moments"])


def test_make_forces_na_for_none():
    f = Figure.make("k", "K", None, "percent", reference="r", rating="good", why="w")
    assert (f.display, f.rating) == ("n/a", "n/a")
    assert not math.isnan(Figure.make("k", "K", 0.0, "ratio", reference="r", rating="fair", why="w").value)


def _damaged(draw_ops, base):
    """``base`` with keys removed or set to None / wrong-but-plausible values, as ops say."""
    import copy

    a = copy.deepcopy(base)
    for where, k, how in draw_ops:
        us = a.get("utterances")
        if where == "utt" and not (isinstance(us, list) and us):
            continue
        target = a.get("metrics") if where == "metrics" else (us[k % len(us)] if where == "utt" else a)
        if not isinstance(target, dict) or not target:
            continue
        key = sorted(target)[k % len(target)]
        if how == "drop":
            target.pop(key)
        elif how == "none":
            target[key] = None
        else:
            target[key] = {} if not isinstance(target[key], dict) else {"value": None}
    return a


def test_damaged_analyses_never_crash():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    ops = st.lists(st.tuples(st.sampled_from(["metrics", "utt", "top"]), st.integers(0, 50),
                             st.sampled_from(["drop", "none", "empty"])), max_size=6)

    @settings(max_examples=150, deadline=None)
    @given(ops)
    def check(o):
        a = _damaged(o, coded_visit())
        r = build_report(a)  # n/a figures, never an exception
        for f in r.scorecard:
            assert f.display == fmt_value(f.value, f.unit)
        json.dumps(r.to_json())
        timeline_figure(a, r)

    check()


def test_one_microphone_zero_interruptions_is_not_praised():
    a = coded_visit()
    a["source"]["speaker_mode"] = "mix"
    a["metrics"]["caveats"] = ["One microphone ..."]
    r = build_report(a)
    assert r.figure("interruptions_by_clinician").display == "0"
    assert r.figure("interruptions_by_clinician").rating == "info"
    assert "overlapped-speech detector" in r.figure("interruptions_by_clinician").detail
    assert r.figure("time_to_first_interruption").rating == "info"
    assert "One microphone ..." in r.notes


def test_timeline_without_times_uses_turn_numbers():
    a = visit([utt("clinician", "Any pain?", tags=[tag("question.closed", "Any pain?")]), utt("patient", "No.", tags=[]),
               utt("clinician", "Okay.", tags=[])], metrics={})
    fig = timeline_figure(a, build_report(a))
    bars = [t for t in fig.data if t.type == "bar"]
    assert sorted((i, b) for t in bars for i, b in zip(t.customdata, t.base)) == [(0, 0), (1, 1), (2, 2)]
    assert fig.layout.xaxis.title.text == "turn"
