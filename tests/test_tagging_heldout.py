"""benchmarks/tagging_heldout.py: the shipped tagger scored on AnnoMI-layout transcripts it was
not trained on (here: training transcripts with their text changed, so the figures mean nothing;
the scoring, the overlap check and the experts' agreement are what is tested)."""
from __future__ import annotations

import csv
import json

from conftest import data

ANNOMI = data("annomi", "annomi_dev.csv")  # the training file, a copy of ../shared's


def test_heldout_scoring(tmp_path, capsys, monkeypatch):
    from benchmarks.tagging_heldout import main

    # The benchmark leaves out transcripts found in the training file: point it at the copy here.
    monkeypatch.setattr("analyzer.tagging.data.ANNOMI", ANNOMI)
    with open(ANNOMI, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    coders = {}
    for r in rows:
        coders.setdefault(r["transcript_id"], set()).add(r["annotator_id"])
    single = sorted((t for t, a in coders.items() if len(a) == 1), key=int)[:3]
    multi = sorted((t for t, a in coders.items() if len(a) > 1), key=int)[:1]
    keep_as_is = single[0]  # a training transcript as it is: must be left out
    out = tmp_path / "heldout.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            if r["transcript_id"] in single + multi:
                w.writerow(r if r["transcript_id"] == keep_as_is else {**r, "utterance_text": r["utterance_text"] + " "})
    res_path = tmp_path / "res.json"
    assert main(["--csv", str(out), "--json", str(res_path)]) == 0
    printed = capsys.readouterr().out
    assert f"left out: 1 transcript(s) also in the training file ({keep_as_is})" in printed
    res = json.loads(res_path.read_text())
    assert res["transcripts"] == 3
    for k in ("q", "qt", "r", "rt", "main"):
        assert 0.0 <= res[k] <= 1.0
        assert 0.0 <= res["ceiling"][k]["pairwise"] <= 1.0 and 0.0 <= res["model_vs_experts"][k] <= 1.0
    assert res["q"] > 0.8  # training text: the shipped heads know it
    assert res["rq"]["pooled_gold"] > 0
