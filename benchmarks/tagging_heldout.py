"""The shipped tagger (trained on all of annomi_dev.csv) scored on AnnoMI transcripts it has never
seen: the kept-back ones, in the same CSV layout.

  python benchmarks/tagging_heldout.py --csv path/to/annomi_heldout.csv [--json out.json]

Every transcript is tagged whole, as `visit-analyzer analyze` tags a visit (heads, form rules and
recognizers), and scored against the majority code where several experts coded it, with the
same figures and targets as the cross-validation in benchmarks/tagging.py. Open/closed and
simple/complex are scored on every gold question / reflection: the tag's subtype where the
tagger gave one, else the subtype head's (with the form rule), as in the cross-validation. If
the file holds multi-coded transcripts, the experts' agreement is printed beside each figure.
Transcripts that are also in the training file (same text) are reported and left out.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from tagging import MAIN_NAMES, closed_by_form_sents, f1, fmt, human_ceiling, model_vs_experts  # noqa: E402  (sets threads, sys.path)

TARGETS = {"q": 0.92, "qt": 0.82, "r": 0.85, "rt": 0.60, "main": 0.80}
NAMES = {"q": "is-question F1", "qt": "open/closed macro-F1 (gold questions)", "r": "is-reflection F1",
         "rt": "simple/complex macro-F1 (gold refl.)", "main": "main behaviour 4-way macro-F1"}
MAIN_CODE = {"question": 0, "reflection": 1, "input": 2, "other": 3}


def _subtype(tags: list[dict], family: str, first: str) -> int | None:
    """0 for ``first`` (open / simple), 1 for the other, from the turn's strongest tag of the family."""
    got = [t for t in tags if t["label"].startswith(family + ".")]
    if not got:
        return None
    return 0 if max(got, key=lambda t: t["score"])["label"].endswith(first) else 1


def predictions(tagger, d) -> dict[int, dict]:
    """Per clinician turn: q, r (0/1), qt, rt (0/1 subtype), main (0-3)."""
    from analyzer.tagging.text import split

    out, ctx = tagger.tag_with_context(d.roles, d.texts)
    tp, rows = ctx.cache.get("turn_p", {}), ctx.cache.get("turn_row", {})
    pred = {}
    for j in d.gold:
        tags, k = out[j]["tags"], rows[j]
        qt = _subtype(tags, "question", "open")
        if qt is None:  # not asked as tagged: the qt head, with the MITI form rule, as in the CV
            qt = 1 if closed_by_form_sents(split([d.texts[j]])[0]) else int(np.argmax(tp["qt"][k]))
        rt = _subtype(tags, "reflection", "simple")
        pred[j] = {"q": int(any(t["label"].startswith("question.") for t in tags)),
                   "r": int(any(t["label"].startswith("reflection.") for t in tags)),
                   "qt": qt, "rt": int(np.argmax(tp["rt"][k])) if rt is None else rt,
                   "main": MAIN_CODE[out[j]["main"]]}
    return pred


def score(ds, preds) -> dict:
    from scipy.stats import spearmanr

    y = defaultdict(list)
    p = defaultdict(list)
    R, Q, mR, mQ = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    for d in ds:
        for j, g in d.gold.items():
            pr = preds[d.id][j]
            y["q"].append(int(g.question))
            p["q"].append(pr["q"])
            y["r"].append(int(g.reflection))
            p["r"].append(pr["r"])
            y["main"].append(MAIN_NAMES.index(g.main) if g.main in MAIN_NAMES else 3)
            p["main"].append(pr["main"])
            if g.question and g.question_type in ("open", "closed"):
                y["qt"].append(0 if g.question_type == "open" else 1)
                p["qt"].append(pr["qt"])
            if g.reflection and g.reflection_type in ("simple", "complex"):
                y["rt"].append(0 if g.reflection_type == "simple" else 1)
                p["rt"].append(pr["rt"])
            R[d.id] += g.reflection
            Q[d.id] += g.question
            mR[d.id] += pr["r"]
            mQ[d.id] += pr["q"]
    res = {k: f1(np.array(y[k]), np.array(p[k]), "binary" if k in ("q", "r") else "macro") for k in TARGETS}
    ids = [t for t in Q if Q[t] >= 5 and mQ[t] >= 1]
    rho = spearmanr([R[t] / Q[t] for t in ids], [mR[t] / mQ[t] for t in ids]).statistic if len(ids) >= 3 else None
    pg, pm = sum(R.values()) / max(1, sum(Q.values())), sum(mR.values()) / max(1, sum(mQ.values()))
    res["rq"] = {"spearman": None if rho is None else float(rho), "transcripts": len(ids), "pooled_gold": pg,
                 "pooled_model": pm, "pooled_error": (pm - pg) / pg if pg else None}
    res["turns"] = len(y["q"])
    res["transcripts"] = len(ds)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True, help="AnnoMI-layout CSV of transcripts the tagger was not trained on")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args(argv)
    from analyzer.runtime import configure_torch
    from analyzer.tagging.data import ANNOMI, load_annomi
    from analyzer.tagging.tagger import Tagger

    configure_torch()
    ds = load_annomi(Path(args.csv))
    seen = {tuple(d.texts) for d in load_annomi(ANNOMI)} if ANNOMI.exists() else set()
    overlap = [d.id for d in ds if tuple(d.texts) in seen]
    if overlap:
        print(f"left out: {len(overlap)} transcript(s) also in the training file ({', '.join(overlap[:10])}"
              f"{' ...' if len(overlap) > 10 else ''})")
    ds = [d for d in ds if tuple(d.texts) not in seen]
    if not ds:
        print("no transcript left to score")
        return 1
    tagger = Tagger()
    preds = {d.id: predictions(tagger, d) for d in ds}
    res = score(ds, preds)
    multi = [d for d in ds if d.multi]
    if multi:  # the agreement code compares a fixed panel: keep the most common panel size
        size = Counter(len(next(iter(d.codings.values()))) for d in multi).most_common(1)[0][0]
        multi = [d for d in multi if len(next(iter(d.codings.values()))) == size]
    hc = mv = None
    if multi:
        hc, items, codes = human_ceiling(multi)
        names = {"qt": ("open", "closed"), "rt": ("simple", "complex")}
        by_item = {k: {} for k in TARGETS}
        for d in multi:
            for j in d.codings:
                pr = preds[d.id][j]
                for k in TARGETS:
                    by_item[k][(d.id, j)] = names[k][pr[k]] if k in names else (
                        MAIN_NAMES[pr[k]] if k == "main" else pr[k])
        mv = model_vs_experts(items, codes, {k: {it: v for it, v in by_item[k].items() if it in items} for k in TARGETS})
    res["ceiling"], res["model_vs_experts"] = hc, mv
    print(f"\nShipped tagger on {res['transcripts']} unseen AnnoMI transcripts ({res['turns']} clinician turns)")
    print(f"{'':44} {'model':>7} {'target':>7}" + (f" | {'human pairwise':>14} {'model vs each expert':>20}" if hc else ""))
    for k in TARGETS:
        line = f"{NAMES[k]:44} {fmt(res[k]):>7} {TARGETS[k]:>7.2f}"
        if hc:
            line += f" | {fmt(hc[k]['pairwise']):>14} {fmt(mv[k]):>20}"
        print(line)
    rq = res["rq"]
    print(f"R:Q per transcript as tagged (gold Q >= 5, n={rq['transcripts']}): Spearman {fmt(rq['spearman'])} (target 0.85); "
          f"pooled gold {rq['pooled_gold']:.3f}, model {rq['pooled_model']:.3f}"
          + (f", error {100 * rq['pooled_error']:+.1f} % (target within 10 %)" if rq["pooled_error"] is not None else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
