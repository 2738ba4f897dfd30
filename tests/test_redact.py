"""Redaction: recall on hand-labelled ACI-Bench dialogues, each recognizer on sentences written for
it, no masking of ordinary clinical talk, and a masked analysis whose offsets still line up."""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from analyzer.redact import redact_analysis, redact_text

ROOT = Path(__file__).resolve().parents[1]
TESTSET = ROOT / "models" / "labelling" / "redaction_testset.jsonl"


def masked(text: str) -> str:
    return redact_text(text)[0]


def test_recall_on_labelled_aci_bench_names_and_dates():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from redaction import evaluate

    from analyzer.privacy import Redactor

    docs = [json.loads(x) for x in TESTSET.read_text().splitlines()]
    n_nd = sum(e["label"] in ("NAME", "DATE") for d in docs for e in d["entities"])
    assert len(docs) == 57 and n_nd >= 150
    res = evaluate(docs, Redactor())
    assert res["names_and_dates_recall"] >= 0.95, res
    assert res["per_type"]["NAME"]["recall_masked"] >= 0.95 and res["per_type"]["DATE"]["recall_masked"] >= 0.95
    assert res["per_type"]["NAME"]["precision"] >= 0.8, res  # masking is not everything-in-sight


@pytest.mark.parametrize("text, gone, label", [
    ("hi , martha . how are you ?", ["martha"], "NAME"),
    ("Hello Mrs. Okonkwo, I'm Dr. Patel.", ["Okonkwo", "Patel"], "NAME"),
    ("my name is zbigniew and my wife is here", ["zbigniew"], "NAME"),
    ("i saw dr. gutierrez- last week", ["gutierrez"], "NAME"),
    ("so , christina cooper is a 65-year-old female", ["christina", "cooper"], "NAME"),
    ("it started on march 3rd , 2019 after the surgery", ["march", "3rd", "2019"], "DATE"),
    ("date of birth is 07/01/1954 .", ["07/01/1954"], "DATE"),
    ("i had a stent in twenty eighteen hypertension", ["eighteen"], "DATE"),
    ("we went away over labor day weekend and thanksgiving", ["labor", "thanksgiving"], "DATE"),
    ("since may of last year", ["may"], "DATE"),
    ("call me at 555-867-5309 or (555) 123-4567", ["867", "5309", "123-4567"], "PHONE"),
    ("my medical record number is 4482913 .", ["4482913"], "RECORD"),
    ("mrn a-33452 and social security 123-45-6789", ["33452", "6789"], "RECORD"),
    ("email me at jane.doe@example.org please", ["jane.doe@example.org"], "EMAIL"),
    ("i live at 1428 elm street , apt 4b in town", ["1428", "elm", "4b"], "ADDRESS"),
    ("the pharmacy down on main street", ["main street"], "ADDRESS"),
])
def test_each_kind_is_masked(text, gone, label):
    out, spans = redact_text(text)
    for g in gone:
        assert g not in out, out
    assert f"[{label}]" in out, out


@pytest.mark.parametrize("text", [
    "your blood pressure is 120/80 and your heart rate is 72 .",
    "take 2000 mg of metformin twice a day for two weeks .",
    "i will see you in a couple of weeks , you may feel a little sore .",
    "the pain started a year ago and got worse last week .",
    "i walked 30 miles on a road bike .",
    "any chest pain , shortness of breath , nausea or vomiting ?",
    "hey , dragon , show me the blood pressure readings .",
    "you don't have cushing's syndrome and the lyme titer is negative .",
    "i'm glad you're still going to therapy , that's good .",
])
def test_ordinary_clinical_talk_is_left_alone(text):
    assert masked(text) == text


def test_redact_analysis_masks_every_free_text_field_and_keeps_offsets():
    text = "Hi Martha, what brings you in since March 3rd?"
    words = [{"text": w, "start": i * 0.5, "end": i * 0.5 + 0.4} for i, w in
             enumerate([" Hi", " Martha,", " what", " brings", " you", " in", " since", " March", " 3rd?"])]
    q0 = text.index("what")
    a = {"schema_version": 1, "source": {"kind": "audio", "file": "martha_jones_visit.ogg"},
         "speakers": [{"id": "S1", "role": "clinician", "label": "Dr Smith"}, {"id": "S2", "role": "patient"}],
         "utterances": [{"speaker": "S1", "role": "clinician", "start": 0.0, "end": 4.5, "text": text, "words": words,
                         "tags": [{"label": "question.open", "score": 0.9, "why": "asks 'hi martha, what brings you'",
                                   "span": [q0, len(text)]}]}],
         "events": [{"type": "overlap", "at": 1.0, "text": "Martha, what brings…"}], "metrics": {"turns": {"S1": 1}}}
    before = copy.deepcopy(a)
    r = redact_analysis(a)
    assert a == before  # the stored analysis is never changed
    u = r["utterances"][0]
    assert u["text"] == "Hi [NAME], what brings you in since [DATE]?"
    s, e = u["tags"][0]["span"]
    assert u["text"][s:e] == "what brings you in since [DATE]?"  # the span still covers the same words
    assert "martha" not in json.dumps(r).lower() and "march" not in json.dumps(r).lower()
    assert [w["text"] for w in u["words"]][1] .strip().startswith("[NAME]")
    assert r["speakers"][0]["label"] != "Dr Smith" and "Smith" not in r["speakers"][0]["label"]
    assert r["source"]["file"] == "[FILE].ogg" and r["redacted"] is True
    assert r["metrics"] == a["metrics"]
