"""benchmarks/turntaking.py: pair finding, reference building and event matching (no audio)."""
from __future__ import annotations

import shutil

from conftest import ROOT

import numpy as np

from analyzer.model import Speaker, Transcript, Utterance
from benchmarks.synth import voiced_spans
from benchmarks.turntaking import SR, find_pairs, match, place_words_on_voice, prf, reference

FIXTURES = ROOT / "tests" / "fixtures" / "transcripts"


def test_find_pairs_takes_any_folder(tmp_path):
    for side in ("doctor", "patient"):
        shutil.copy(FIXTURES / f"day1_consultation01_{side}.TextGrid", tmp_path / f"visit_A_{side}.TextGrid")
    shutil.copy(FIXTURES / "day1_consultation01_doctor.TextGrid", tmp_path / "lonely_doctor.TextGrid")
    assert [n for n, _ in find_pairs(tmp_path)] == ["visit_A"]  # a doctor file without a partner is skipped
    # "clinician" naming, other separators and subfolders are found too.
    (tmp_path / "site2").mkdir()
    shutil.copy(FIXTURES / "day1_consultation01_doctor.TextGrid", tmp_path / "site2" / "v7-Clinician.TextGrid")
    shutil.copy(FIXTURES / "day1_consultation01_patient.TextGrid", tmp_path / "site2" / "v7-Patient.TextGrid")
    pairs = find_pairs(tmp_path)
    assert [n for n, _ in pairs] == ["site2/v7", "visit_A"]
    assert reference(pairs[0][1], minutes=0.5).utterances


def test_reference_drops_markers_and_crops():
    t = reference(FIXTURES / "day1_consultation01_doctor.TextGrid", minutes=1.0)
    assert t.utterances and all(u.end <= 60 for u in t.utterances)
    assert not any("[" in u.text for u in t.utterances)
    assert {u.role for u in t.utterances} == {"clinician", "patient"}


def test_match_is_one_to_one_same_by_within_a_second():
    ref = [{"at": 10.0, "by": "clinician"}, {"at": 20.0, "by": "patient"}, {"at": 30.0, "by": "clinician"}]
    hyp = [{"at": 10.9, "by": "clinician"}, {"at": 11.0, "by": "clinician"}, {"at": 20.2, "by": "clinician"},
           {"at": 31.0, "by": "clinician"}]
    pairs = match(ref, hyp)
    assert [(r["at"], h["at"]) for r, h in pairs] == [(10.0, 10.9), (30.0, 31.0)]
    p, r, f = prf(len(pairs), len(ref), len(hyp))
    assert (p, round(r, 3), round(f, 3)) == (0.5, 0.667, 0.571)
    assert prf(0, 0, 0) == (None, None, None)


def _tone(track: np.ndarray, a: float, b: float) -> None:
    n = np.arange(int(a * SR), int(b * SR))
    track[n] = 0.3 * np.sin(2 * np.pi * 220 * n / SR)


def test_reference_words_follow_the_rendered_voice():
    # Doctor's track: voiced 1.0-1.8 and 2.3-3.0 inside the interval 1.0-3.5 (the voice stops
    # at 3.0); the patient's interval 4-5 is silent.
    stereo = np.zeros((2, 6 * SR), np.float32)
    _tone(stereo[0], 1.0, 1.8)
    _tone(stereo[0], 2.3, 3.0)
    assert [(round(a, 2), round(b, 2)) for a, b in voiced_spans(stereo[0], SR, 1.0, 3.5)] == [(1.0, 1.8), (2.3, 3.0)]
    assert voiced_spans(stereo[1], SR, 4.0, 5.0) == []
    t = Transcript(utterances=[Utterance("D", "Hello there. How are you?", 1.0, 3.5, role="clinician"),
                               Utterance("P", "Fine.", 4.0, 5.0, role="patient")],
                   speakers={"D": Speaker("D", "clinician"), "P": Speaker("P", "patient")})
    assert place_words_on_voice(t, stereo) == 1
    [u] = t.utterances  # the silent one is dropped
    w = {x.text: (x.start, x.end) for x in u.words}
    assert w["Hello"][0] == 1.0 and w["there."][1] == 1.8  # first phrase in the first stretch
    assert w["How"][0] == 2.3 and w["you?"][1] == 3.0 and u.end == 3.0
