"""Training and evaluation data: AnnoMI (counselling, expert-coded) and the hand-labelled
medical test set (models/labelling/medical_testset.jsonl, evaluation only).

AnnoMI: therapist = clinician, client = patient. Transcripts coded by several annotators
are reduced to one label per utterance by majority vote (ties: the first annotator's label)
for training and cross-validated scoring; every annotator's labels are kept for the
inter-annotator agreement (the human ceiling). Splits are always by transcript.
"""
from __future__ import annotations

import csv
import json
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# Training and evaluation run from a source checkout: this data is not shipped with the package.
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
ANNOMI = SHARED / "annomi" / "annomi_dev.csv"
MEDICAL = REPO / "models" / "labelling" / "medical_testset.jsonl"
MAIN_LABELS = ("question", "reflection", "therapist_input", "other")
MAIN_NAMES = {"question": "question", "reflection": "reflection", "therapist_input": "input", "other": "other"}


@dataclass
class Coding:
    """One annotator's codes for one therapist utterance."""
    main: str
    question: bool
    question_type: str | None  # open | closed
    reflection: bool
    reflection_type: str | None  # simple | complex
    input_type: str | None  # information | advice | options | negotiation


@dataclass
class Dialogue:
    id: str
    quality: str  # high | low (MI quality of the demonstration)
    topic: str
    roles: list[str]  # clinician | patient
    texts: list[str]
    gold: dict[int, Coding] = field(default_factory=dict)  # turn index -> majority coding
    codings: dict[int, list[Coding]] = field(default_factory=dict)  # every annotator (multi-coded only)
    coder: str | None = None  # the one annotator of a single-coded transcript (None: majority of several)

    @property
    def multi(self) -> bool:
        return bool(self.codings)


def _b(v: str) -> bool:
    return str(v).strip().lower() == "true"


def _opt(v: str) -> str | None:
    v = (v or "").strip()
    return v if v and v.lower() != "nan" else None


def _vote(values: list, order: list) -> object:
    c = Counter(values)
    best = max(c.values())
    for v in order:  # ties: first annotator's value
        if c[v] == best:
            return v
    return values[0]


def _majority(cs: list[Coding]) -> Coding:
    q = sum(c.question for c in cs) * 2 > len(cs) or (sum(c.question for c in cs) * 2 == len(cs) and cs[0].question)
    r = sum(c.reflection for c in cs) * 2 > len(cs) or (sum(c.reflection for c in cs) * 2 == len(cs) and cs[0].reflection)
    qt = [c.question_type for c in cs if c.question and c.question_type]
    rt = [c.reflection_type for c in cs if c.reflection and c.reflection_type]
    it = [c.input_type for c in cs if c.input_type]
    return Coding(
        main=_vote([c.main for c in cs], [c.main for c in cs]),
        question=q, question_type=_vote(qt, qt) if q and qt else None,
        reflection=r, reflection_type=_vote(rt, rt) if r and rt else None,
        input_type=_vote(it, it) if it else None,
    )


def load_annomi(path: Path = ANNOMI) -> list[Dialogue]:
    rows_by: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows_by[row["transcript_id"]][row["annotator_id"]].append(row)
    out = []
    for tid in sorted(rows_by, key=lambda x: int(x)):
        by_ann = rows_by[tid]
        anns = sorted(by_ann, key=lambda a: int(a))
        first = sorted(by_ann[anns[0]], key=lambda r: int(r["utterance_id"]))
        d = Dialogue(id=tid, quality=first[0]["mi_quality"], topic=first[0]["topic"],
                     roles=["clinician" if r["interlocutor"] == "therapist" else "patient" for r in first],
                     texts=[r["utterance_text"] for r in first], coder=anns[0] if len(anns) == 1 else None)
        per_turn: dict[int, list[Coding]] = defaultdict(list)
        for a in anns:
            rows = sorted(by_ann[a], key=lambda r: int(r["utterance_id"]))
            assert [r["utterance_text"] for r in rows] == d.texts, f"transcript {tid}: annotators disagree on text"
            for i, r in enumerate(rows):
                if r["interlocutor"] != "therapist":
                    continue
                per_turn[i].append(Coding(
                    main=r["main_therapist_behaviour"], question=_b(r["question_exists"]),
                    question_type=_opt(r["question_subtype"]), reflection=_b(r["reflection_exists"]),
                    reflection_type=_opt(r["reflection_subtype"]), input_type=_opt(r["therapist_input_subtype"]),
                ))
        for i, cs in per_turn.items():
            d.gold[i] = cs[0] if len(cs) == 1 else _majority(cs)
            if len(cs) > 1:
                d.codings[i] = cs
        out.append(d)
    return out


# --- the medical test set ------------------------------------------------------------------

def load_medical(path: Path = MEDICAL) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def medical_half(row: dict, rows: list[dict]) -> str:
    """"dev" or "test": the medical set's visits, sorted, alternate between the two halves. The
    echo/summary reflection cues and the broader advice cues were developed looking at errors on
    the dev half only; the test half was not looked at (benchmarks report both)."""
    visits = sorted({(r["source"], r["visit"]) for r in rows})
    return "dev" if visits.index((row["source"], row["visit"])) % 2 == 0 else "test"


def medical_visit(source: str, visit: str):
    """The whole visit as the project's importer returns it (the set's indices refer to it)."""
    from ..importers import load_transcript

    if source == "primock57":
        return load_transcript(SHARED / "primock57" / "transcripts" / f"{visit}_doctor.TextGrid")
    dialogues = {}
    for split in ("train", "valid"):
        with open(SHARED / "aci_bench" / f"{split}.csv", newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                dialogues[row["encounter_id"]] = row["dialogue"]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"{visit}.txt"
        p.write_text(dialogues[visit], encoding="utf-8")
        return load_transcript(p)
