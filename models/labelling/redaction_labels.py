"""Hand labels of identifiers in 57 ACI-Bench dialogues (the redaction test set), and the script
that turns them into character spans: ``redaction_testset.jsonl``.

Each entry: (surface, label) labels every whole-word occurrence of ``surface`` in the dialogue;
(surface, label, [lines]) only on those dialogue lines (0-based). Longer surfaces are placed
first, so "sophia brown" is one NAME and a later lone "brown" another. Guide: REDACTION.md.

    python models/labelling/redaction_labels.py      # rewrites redaction_testset.jsonl
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
N, D, A = "NAME", "DATE", "ADDRESS"

LABELS: dict[str, list[tuple]] = {
    "D2N031": [("sophia brown", N), ("brown", N), ("stewart", N), ("3/17/1946", D), ("january 20th , 2020", D),
               ("october 2019", D), ("november 3rd , 2019", D), ("december 5th , 2019", D), ("january 2021", D),
               ("january , 2021", D), ("2018", D), ("april of 2022", D)],
    "D2N032": [("reyes", N), ("february 2020", D), ("2018", D), ("june 3rd 2021", D)],
    "D2N033": [("sophia", N)],
    "D2N034": [("alan", N)],
    "D2N035": [("christina", N), ("diane", N)],
    "D2N036": [("george", N), ("fridays", D), ("saturdays", D)],
    "D2N037": [("dylan", N)],
    "D2N038": [("bruce", N), ("august first", D)],
    "D2N039": [("virginia", N, [0]), ("main street", A), ("fifth street", A)],
    "D2N040": [("carolyn", N)],
    "D2N041": [("teresa", N)],
    "D2N042": [("carolyn", N)],
    "D2N043": [("monday", D)],
    "D2N044": [("julie", N)],
    "D2N045": [("abigail", N), ("sanchez", N), ("wood", N, [7])],
    "D2N046": [],
    "D2N047": [("billy", N), ("moore", N), ("twenty eighteen", D), ("november", D)],
    "D2N048": [("brittany", N)],
    "D2N049": [("linda", N)],
    "D2N050": [("mason", N)],
    "D2N051": [("jeremy", N), ("twenty eighteen", D)],
    "D2N052": [("anna", N), ("easter", D)],
    "D2N053": [("barbara", N)],
    "D2N054": [("elijah", N)],
    "D2N055": [("karen nelson", N), ("karen", N), ("saturday", D), ("isabella", N)],
    "D2N056": [],
    "D2N057": [("joseph", N)],
    "D2N058": [("russell ramirez", N), ("russell", N), ("twenty eighteen", D), ("rex center", A)],
    "D2N059": [("cooper", N)],
    "D2N060": [("jean", N), ("rex center", A), ("monday", D)],
    "D2N061": [("virginia", N, [0]), ("jerry", N), ("main street", A)],
    "D2N062": [("raymond", N)],
    "D2N063": [("gloria", N)],
    "D2N064": [("matthew", N), ("rex center", A)],
    "D2N065": [("anna", N)],
    "D2N066": [("gabriel", N), ("scott", N)],
    "D2N067": [("elizabeth", N)],
    "D2N068": [("brian", N), ("labor day", D), ("halloween", D)],
    "D2N069": [("thompson", N), ("moore", N)],
    "D2N070": [("logan", N), ("tuesday", D), ("saturday", D), ("sunday", D)],
    "D2N071": [("ralph", N)],
    "D2N072": [("sharon brooks", N), ("brooks", N), ("baker", N), ("sunday", D)],
    "D2N073": [("christina cooper", N), ("cooper", N), ("diane nelson", N), ("flores", N), ("07/01/1954", D),
               ("december", D), ("1996", D), ("01/20/20", D), ("12-2019", D)],
    "D2N074": [("bruce ward", N), ("henry howard", N), ("howard", N), ("ward", N), ("flores", N), ("deborah", N),
               ("5/21/1969", D), ("3/1/21", D), ("3/3/21", D), ("3/4/21", D)],
    "D2N075": [("betty hill", N), ("hill", N), ("sanders", N), ("2/21/1968", D), ("october", D), ("2020", D)],
    "D2N076": [("evelyn", N), ("katherine", N), ("dallas", A), ("kennesaw", A)],
    "D2N077": [("diana", N)],
    "D2N078": [("philip", N)],
    "D2N079": [("wayne", N)],
    "D2N080": [("andrea", N), ("columbus", A)],
    "D2N081": [("beverly", N)],
    "D2N082": [("kyle", N)],
    "D2N083": [("lawrence", N)],
    "D2N084": [("david", N), ("megan", N)],
    "D2N085": [("russell", N)],
    "D2N086": [("nicholas", N), ("barbara", N), ("charlie's bunion", A)],
    "D2N087": [("richard", N)],
}


def spans_for(dialogue: str, entries: list[tuple]) -> list[dict]:
    lines = dialogue.split("\n")
    starts = [0]
    for ln in lines[:-1]:
        starts.append(starts[-1] + len(ln) + 1)
    taken: list[tuple[int, int]] = []
    out = []
    for e in sorted(entries, key=lambda e: -len(e[0])):
        surface, label = e[0], e[1]
        only = set(e[2]) if len(e) > 2 else None
        pat = re.compile(r"(?<![\w/-])" + re.escape(surface) + r"(?![\w/-])")
        hits = 0
        for m in pat.finditer(dialogue):
            line = next(i for i in range(len(starts) - 1, -1, -1) if starts[i] <= m.start())
            if only is not None and line not in only:
                continue
            if any(m.start() < b and a < m.end() for a, b in taken):
                hits += 1  # inside a longer label already placed
                continue
            taken.append((m.start(), m.end()))
            out.append({"start": m.start(), "end": m.end(), "label": label, "text": m.group(0), "line": line})
            hits += 1
        if not hits:
            raise SystemExit(f"label {surface!r} not found")
    return sorted(out, key=lambda s: s["start"])


def build() -> list[dict]:
    sys.path.insert(0, str(HERE))
    from redaction_candidates import split_rows

    rows = {r["encounter_id"]: r for r in split_rows("test")}
    assert set(rows) == set(LABELS), sorted(set(rows) ^ set(LABELS))
    out = []
    for enc, entries in LABELS.items():
        r = rows[enc]
        out.append({"id": enc, "source": f"aci_bench/{r['file']}", "dataset": r["dataset"], "text": r["dialogue"],
                    "entities": spans_for(r["dialogue"], entries)})
    return out


if __name__ == "__main__":
    docs = build()
    path = HERE / "redaction_testset.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    from collections import Counter

    c = Counter(e["label"] for d in docs for e in d["entities"])
    print(f"wrote {path}: {len(docs)} dialogues, {sum(c.values())} entities {dict(c)}")
