"""benchmarks/turntaking.py: pair finding, reference building and event matching (no audio)."""
from __future__ import annotations

import shutil

from conftest import ROOT

from benchmarks.turntaking import find_pairs, match, prf, reference

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
