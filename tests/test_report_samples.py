"""The report on the sample visits, analysed by the real pipeline (tagger and turn-taking) from
their reference transcripts (times, no speech recognition: seconds, not minutes), and on the
audio analyses of the sample recordings (the app's sample cache)."""
from __future__ import annotations

import html

import json
from pathlib import Path

import pytest

from analyzer.report import build_report, fmt_value, timeline_figure

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "analyzer" / "assets" / "samples"


@pytest.fixture(scope="session")
def sample_analyses() -> dict[str, dict]:
    from analyzer.pipeline import analyze

    return {name: analyze(str(SAMPLES / f"{name}_visit_reference.json")).to_dict() for name in ("good", "poor")}


def kinds(report, kind):
    return [m.type for m in report.moments if m.kind == kind]


def test_poor_visit_scorecard_and_moments(sample_analyses):
    a = sample_analyses["poor"]
    r = build_report(a)
    f = r.figure("time_to_first_interruption")
    assert f.unit == "seconds" and 2.0 < f.value < 11.0 and f.rating == "needs work"  # scripted cut-in at ~4.2 s
    assert r.figure("interruptions_by_clinician").value >= 3
    assert r.figure("interruptions_by_clinician").rating == "needs work"
    assert r.figure("talk_share_patient").value < 0.4
    open_, closed = r.figure("open_closed").value
    assert closed > open_
    assert r.figure("reflection_to_question").value < 1 and r.figure("reflection_to_question").rating == "needs work"
    assert r.figure("empathic_response_rate").value == 0.0  # "I'm really scared" -> "Don't worry about that"
    assert r.figure("longest_monologue_clinician").value > 45
    missed = kinds(r, "missed")
    for t in ("opening_interrupted", "closed_question_stack", "missed_emotional_cue", "long_monologue"):
        assert t in missed, (t, missed)
    m = next(m for m in r.moments if m.type == "missed_emotional_cue")
    assert "scared it might be something serious" in m.suggestion  # the patient's own words, turned to "you"
    assert "you're really scared" in m.suggestion
    assert "Don't worry about that" in m.suggestion  # what was said instead
    assert m.title == "A worry reassured away before it was heard"
    assert r.figure("dismissals").value >= 1 and r.figure("dismissals").rating != "good"
    assert r.figure("partnership").rating == "needs work" and "plan_without_view" in missed
    stack = next(m for m in r.moments if m.type == "closed_question_stack")
    assert "headaches" in stack.suggestion  # the complaint from the patient's opening
    op = next(m for m in r.moments if m.type == "opening_interrupted")
    assert a["utterances"][op.utterance]["role"] == "clinician" and "headaches" in op.text


def test_good_visit_scorecard_and_examples(sample_analyses):
    r = build_report(sample_analyses["good"])
    f = r.figure("time_to_first_interruption")
    assert f.unit == "seconds_uninterrupted" and f.display.startswith("not interrupted") and f.rating == "good"
    assert r.figure("interruptions_by_clinician").display == "0"
    assert r.figure("agenda_elicited").display == "yes" and r.figure("agenda_elicited").rating == "good"
    assert r.figure("talk_share_patient").value >= 0.4
    assert r.figure("longest_monologue_clinician").rating == "good"
    ex = kinds(r, "example")
    for t in ("reflection", "agenda_question", "empathic_response"):
        assert t in ex, (t, ex)
    missed = kinds(r, "missed")
    assert not {"opening_interrupted", "interruption", "closed_question_stack", "long_monologue", "dismissal"} & set(missed)
    assert r.figure("dismissals").display == "0"
    assert r.figure("partnership").rating == "good" and "partnership" in ex and "plan_without_view" not in missed


def test_good_visit_beats_poor_visit(sample_analyses):
    g, p = (build_report(sample_analyses[k]) for k in ("good", "poor"))
    for key in ("talk_share_patient", "reflection_to_question"):
        assert g.figure(key).value > p.figure(key).value, key
    assert g.figure("longest_monologue_clinician").value < p.figure("longest_monologue_clinician").value
    assert sum(m.kind == "missed" for m in g.moments) < sum(m.kind == "missed" for m in p.moments)


def test_moments_point_into_the_visit(sample_analyses):
    for a in sample_analyses.values():
        us = a["utterances"]
        for m in build_report(a).moments:
            assert 0 <= m.utterance < len(us) and m.utterance in m.utterances
            assert all(0 <= i < len(us) for i in m.utterances)
            assert m.at is not None and m.text and m.suggestion and m.why
            assert m.speaker_role == us[m.utterance]["role"]


def test_timeline(sample_analyses):
    a = sample_analyses["poor"]
    r = build_report(a)
    fig = timeline_figure(a, r)
    n = len(a["utterances"])
    bars = [t for t in fig.data if t.type == "bar"]
    assert sum(len(t.customdata) for t in bars) == n
    assert sorted(i for t in bars for i in t.customdata) == list(range(n))
    for t in bars:  # hover carries the words of the utterance it points to
        for i, h in zip(t.customdata, t.hovertext):
            assert a["utterances"][i]["text"].split()[0] in html.unescape(h)  # hover text is HTML-escaped
    names = {t.name for t in fig.data}
    assert {"interruption", "opening interrupted", "best example", "missed opportunity"} <= names
    # the long explanation is coloured as advice / information, not "clinician: other"
    mono = next(m for m in r.moments if m.type == "long_monologue")
    assert next(t.name for t in bars if mono.utterance in t.customdata) == "advice / information"
    moments = [t for t in fig.data if t.name == "missed opportunity"][0]
    assert list(moments.customdata) == [m.utterance for m in r.moments if m.kind == "missed"]
    assert all(isinstance(i, int) for t in fig.data for i in t.customdata)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["good", "poor"])
def test_audio_analyses(name):
    """The audio pipeline's analyses of the stereo sample recordings (the app's sample cache:
    analysed with the real speech model when not cached yet): the report builds and agrees in kind."""
    from analyzer.webapp import samples

    r = build_report(samples.ensure(f"{name}_visit"))
    for f in r.scorecard:
        assert f.display == fmt_value(f.value, f.unit)
    op = r.figure("time_to_first_interruption")
    if name == "poor":
        assert op.rating == "needs work" and {"opening_interrupted", "closed_question_stack"} <= set(kinds(r, "missed"))
    else:
        assert op.rating == "good" and {"reflection", "agenda_question"} <= set(kinds(r, "example"))
