"""Redaction recall and precision per entity type on hand-labelled ACI-Bench dialogues.

    python benchmarks/redaction.py [--data models/labelling/redaction_testset.jsonl] [--show-misses]
    python benchmarks/redaction.py --dev      # print what is masked in the development dialogues

Each dialogue line is redacted on its own (as an utterance is in the app), without its
``[doctor]``/``[patient]`` tag. A labelled entity is *masked* when every letter and digit of it
lies inside some predicted span (whatever the label: what matters is that it is hidden); it is
*typed* when the span covering it also has its label. Precision: the share of predicted spans
that overlap a labelled entity (any type), per predicted label.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "models" / "labelling" / "redaction_testset.jsonl"
TAG = re.compile(r"^\s*\[\w+\]\s*")


def lines_with_offsets(text: str):
    pos = 0
    for line in text.split("\n"):
        m = TAG.match(line)
        off = m.end() if m else 0
        yield pos + off, line[off:]
        pos += len(line) + 1


def predict(text: str, redactor) -> list[tuple[int, int, str]]:
    parts = list(lines_with_offsets(text))
    spans = redactor.analyze_many([p[1] for p in parts])
    return [(off + s.start, off + s.end, s.label) for (off, _), ss in zip(parts, spans) for s in ss]


def covered(text: str, start: int, end: int, spans: list[tuple[int, int, str]], label: str | None = None) -> bool:
    for i in range(start, end):
        if text[i].isalnum() and not any(a <= i < b and (label is None or lab == label) for a, b, lab in spans):
            return False
    return True


def evaluate(docs: list[dict], redactor, show_misses: bool = False) -> dict:
    gold_n, masked, typed = Counter(), Counter(), Counter()
    pred_n, pred_ok = Counter(), Counter()
    misses, false_pos = defaultdict(list), defaultdict(list)
    for d in docs:
        text, gold = d["text"], d["entities"]
        spans = predict(text, redactor)
        for g in gold:
            gold_n[g["label"]] += 1
            if covered(text, g["start"], g["end"], spans):
                masked[g["label"]] += 1
                typed[g["label"]] += covered(text, g["start"], g["end"], spans, g["label"])
            else:
                misses[g["label"]].append(f"{d['id']}: {_ctx(text, g['start'], g['end'])}")
        for a, b, lab in spans:
            pred_n[lab] += 1
            if any(a < g["end"] and g["start"] < b for g in gold):
                pred_ok[lab] += 1
            else:
                false_pos[lab].append(f"{d['id']}: {_ctx(text, a, b)}")
    out = {"entities": sum(gold_n.values()), "per_type": {}}
    for lab in sorted(set(gold_n) | set(pred_n)):
        out["per_type"][lab] = {
            "gold": gold_n[lab], "recall_masked": _r(masked[lab], gold_n[lab]), "recall_typed": _r(typed[lab], gold_n[lab]),
            "predicted": pred_n[lab], "precision": _r(pred_ok[lab], pred_n[lab]),
        }
    nd = [lab for lab in ("NAME", "DATE") if gold_n[lab]]
    out["names_and_dates_recall"] = _r(sum(masked[lab] for lab in nd), sum(gold_n[lab] for lab in nd))
    out["all_recall"] = _r(sum(masked.values()), sum(gold_n.values()))
    out["all_precision"] = _r(sum(pred_ok.values()), sum(pred_n.values()))
    if show_misses:
        out["misses"] = dict(misses)
        out["false_positives"] = dict(false_pos)
    return out


def _ctx(text: str, a: int, b: int) -> str:
    return (text[max(0, a - 40):a] + "<<" + text[a:b] + ">>" + text[b:b + 30]).replace("\n", " / ")


def _r(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def show_dev(redactor) -> None:
    sys.path.insert(0, str(ROOT / "models" / "labelling"))
    from redaction_candidates import split_rows

    for r in split_rows("dev"):
        text = r["dialogue"]
        for a, b, lab in predict(text, redactor):
            print(f"{r['encounter_id']} {lab:8} {_ctx(text, a, b)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--show-misses", action="store_true")
    ap.add_argument("--dev", action="store_true", help="print predictions on the development dialogues instead")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    from analyzer.privacy import Redactor

    redactor = Redactor()
    if args.dev:
        show_dev(redactor)
        return
    docs = [json.loads(x) for x in args.data.read_text(encoding="utf-8").splitlines() if x.strip()]
    t0 = time.perf_counter()
    res = evaluate(docs, redactor, args.show_misses)
    res["seconds"] = round(time.perf_counter() - t0, 1)
    res["dialogues"] = len(docs)
    print(f"{len(docs)} dialogues, {res['entities']} labelled entities, {res['seconds']} s")
    print(f"{'type':8} {'gold':>5} {'recall':>7} {'typed':>6} {'pred':>5} {'precision':>9}")
    for lab, v in res["per_type"].items():
        f = lambda x: "-" if x is None else f"{x:.3f}"  # noqa: E731
        print(f"{lab:8} {v['gold']:5d} {f(v['recall_masked']):>7} {f(v['recall_typed']):>6} {v['predicted']:5d} "
              f"{f(v['precision']):>9}")
    print(f"names and dates: recall {res['names_and_dates_recall']}; all types: recall {res['all_recall']}, "
          f"precision {res['all_precision']}")
    if args.show_misses:
        for kind in ("misses", "false_positives"):
            for lab, xs in res[kind].items():
                for x in xs:
                    print(f"{kind[:-2] if kind == 'misses' else 'false positive'} {lab}: {x}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
