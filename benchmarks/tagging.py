"""Behaviour-tagger benchmark: AnnoMI grouped cross-validation with the human ceiling beside
each figure, reflection-to-question ratios, the hand-labelled medical test set, and speed.

  python benchmarks/tagging.py                 # everything (about 20-30 min on 2 cores)
  python benchmarks/tagging.py --skip-cv       # medical test set and speed only (shipped heads)
  python benchmarks/tagging.py --speed-only    # load time and speed only
  python benchmarks/tagging.py --json out.json
  python benchmarks/tagging.py --skip-cv --medical other_labels.jsonl   # another labelled medical set

AnnoMI (../shared/data/annomi/annomi_dev.csv, 102 transcripts): heads are retrained in each fold
on the other transcripts (GroupKFold by transcript_id) and scored on the held-out ones, against
the majority code where several experts coded a transcript. Human ceiling: on the 7 transcripts
coded by 10 experts each, the mean F1 of every expert against every other (pairwise), and of
every expert against the majority of the other nine. The model is also scored against each
expert on those transcripts (same yardstick as pairwise).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VISIT_ANALYZER_THREADS", "2")

import numpy as np  # noqa: E402

from analyzer.runtime import limit_native_threads  # noqa: E402

limit_native_threads()

from analyzer.tagging.recognizers._model import THRESHOLDS  # noqa: E402  (the tagger's own decision thresholds)
MAIN_NAMES = ("question", "reflection", "therapist_input", "other")


def f1(y, p, average="binary"):
    from sklearn.metrics import f1_score

    return float(f1_score(y, p, average=average, zero_division=0))


# --- human ceiling ------------------------------------------------------------------------------

def _codes(ds):
    """Per task: annotators x items matrix of codes (None where not applicable), multi-coded only."""
    fns = {
        "q": lambda c: int(c.question),
        "qt": lambda c: c.question_type if c.question else None,
        "r": lambda c: int(c.reflection),
        "rt": lambda c: c.reflection_type if c.reflection else None,
        "main": lambda c: c.main,
    }
    items = [(d.id, j) for d in ds if d.multi for j in sorted(d.codings)]
    by = {(d.id, j): d.codings[j] for d in ds if d.multi for j in d.codings}
    return items, {t: [[fn(by[it][a]) for it in items] for a in range(len(by[items[0]]))] for t, fn in fns.items()}


AVG = {"q": "binary", "r": "binary", "qt": "macro", "rt": "macro", "main": "macro"}


def _pair_f1(a, b, avg):
    m = [i for i in range(len(a)) if a[i] is not None and b[i] is not None]
    return f1([a[i] for i in m], [b[i] for i in m], avg)


def human_ceiling(ds):
    items, codes = _codes(ds)
    out = {}
    for t, A in codes.items():
        pair = [_pair_f1(A[a], A[b], AVG[t]) for a, b in itertools.permutations(range(len(A)), 2)]
        loo = []
        for a in range(len(A)):
            maj = []
            for i in range(len(items)):
                vals = [A[o][i] for o in range(len(A)) if o != a and A[o][i] is not None]
                maj.append(Counter(vals).most_common(1)[0][0] if vals else None)
            loo.append(_pair_f1(maj, A[a], AVG[t]))
        out[t] = {"pairwise": float(np.mean(pair)), "pairwise_sd": float(np.std(pair)), "vs_majority": float(np.mean(loo)),
                  "items": len(items), "annotators": len(A)}
    return out, items, codes


def model_vs_experts(items, codes, pred_by_item):
    """Model against each expert on the multi-coded transcripts (the pairwise yardstick)."""
    out = {}
    for t, A in codes.items():
        p = [pred_by_item[t].get(it) for it in items]
        scores = []
        for a in range(len(A)):
            ref = A[a]
            if t in ("qt", "rt"):  # subtype on the items this expert calls a question/reflection
                pp = [p[i] if ref[i] is not None else None for i in range(len(items))]
            else:
                pp = p
            scores.append(_pair_f1(ref, pp, AVG[t]))
        out[t] = float(np.mean(scores))
    return out


# --- AnnoMI cross-validation -------------------------------------------------------------------

def closed_by_form(ds, turns, pqt):
    """Open/closed as the tagger gives it: a question whose form is closed (MITI: yes/no, one
    fact; `text.closed_form`) is closed whatever the `qt` head says. The tagger reads the
    sentence its sentence head picks; here the turn's last sentence ending in '?' (else its last
    sentence) stands in for it."""
    from analyzer.tagging.text import split

    texts = {d.id: d.texts for d in ds}
    sents = split([texts[g][int(j)] for g, j in zip(turns.groups, turns.turn)])
    out = pqt.copy()
    for n, ss in enumerate(sents):
        if closed_by_form_sents(ss):
            out[n] = 1  # ("open", "closed")
    return out


def closed_by_form_sents(ss) -> bool:
    """The form rule on a turn's sentences: its last sentence ending in '?' (else its last)."""
    from analyzer.tagging.text import closed_form

    asked = [s for s in ss if s.text.rstrip().endswith("?")] or ss
    return bool(closed_form(asked[-1].words))


def annomi_cv(k: int):
    from scipy.stats import spearmanr

    from analyzer.tagging import train
    from analyzer.tagging.data import load_annomi

    ds = load_annomi()
    t0 = time.time()
    feats = train.dialogue_features(ds)
    turns, P = train.cross_validate(ds, feats, k, log=lambda s: print("  " + s, flush=True))
    cv_seconds = time.time() - t0
    y = turns.y
    pq = (P["q"][:, 1] >= THRESHOLDS["q"]).astype(int)
    pr = (P["r"][:, 1] >= THRESHOLDS["r"]).astype(int)
    pqt_heads = P["qt"].argmax(1)
    pqt = closed_by_form(ds, turns, pqt_heads)  # as the tagger labels them
    prt = P["rt"].argmax(1)
    pmain = P["main"].argmax(1)
    gq, gr = y["q"] == 1, y["r"] == 1
    asked = gq & (y["qt"] >= 0)  # gold questions with a gold subtype
    res = {
        "q": f1(y["q"], pq),
        "qt": f1(y["qt"][asked], pqt[asked], "macro"),
        "qt_heads": f1(y["qt"][asked], pqt_heads[asked], "macro"),
        # per coder of the single-coded transcripts ("" = majority of several): how far one
        # coder's habits move the figure (analyzer/tagging/coders.py)
        "qt_by_coder": {c or "majority": f1(y["qt"][asked & (turns.coder == c)], pqt[asked & (turns.coder == c)], "macro")
                        for c in sorted(set(turns.coder))},
        "qt_left_out": sorted(train.coders_left_out(turns)["qt"]),
        "r": f1(y["r"], pr),
        "rt": f1(y["rt"][gr & (y["rt"] >= 0)], prt[gr & (y["rt"] >= 0)], "macro"),
        "main": f1(y["main"], pmain, "macro"),
        "main_per_class": {MAIN_NAMES[c]: f1(y["main"] == c, pmain == c) for c in range(4)},
        "ia": f1(y["ia"][y["ia"] >= 0], P["ia"].argmax(1)[y["ia"] >= 0], "macro"),
        "inp": f1(y["inp"], (P["inp"][:, 1] >= THRESHOLDS["inp"]).astype(int)),
        "turns": int(len(y["q"])), "transcripts": int(len(set(turns.groups))), "folds": k,
        "cv_seconds": round(cv_seconds, 1),
    }
    kept = asked & ~np.isin(turns.coder, res["qt_left_out"])
    res["qt_without_left_out"] = f1(y["qt"][kept], pqt[kept], "macro")
    # R:Q per transcript
    gR, gQ, mR, mQ = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    for g, a, b, c, d in zip(turns.groups, y["r"], y["q"], pr, pq):
        gR[g] += a
        gQ[g] += b
        mR[g] += c
        mQ[g] += d
    ids = [g for g in gQ if gQ[g] >= 5 and mQ[g] >= 1]
    rho = spearmanr([gR[g] / gQ[g] for g in ids], [mR[g] / mQ[g] for g in ids]).statistic
    pooled_gold = sum(gR.values()) / sum(gQ.values())
    pooled_model = sum(mR.values()) / sum(mQ.values())
    res["rq"] = {"spearman": float(rho), "transcripts": len(ids), "pooled_gold": pooled_gold, "pooled_model": pooled_model,
                 "pooled_error": (pooled_model - pooled_gold) / pooled_gold}
    # the same by main behaviour (one code per turn: the timeline's colours)
    gR, gQ, mR, mQ = defaultdict(int), defaultdict(int), defaultdict(int), defaultdict(int)
    for g, a, c in zip(turns.groups, y["main"], pmain):
        gR[g] += a == 1
        gQ[g] += a == 0
        mR[g] += c == 1
        mQ[g] += c == 0
    ids = [g for g in gQ if gQ[g] >= 5 and mQ[g] >= 1]
    pg, pm = sum(gR.values()) / sum(gQ.values()), sum(mR.values()) / sum(mQ.values())
    res["rq_main"] = {"spearman": float(spearmanr([gR[g] / gQ[g] for g in ids], [mR[g] / mQ[g] for g in ids]).statistic),
                      "transcripts": len(ids), "pooled_gold": pg, "pooled_model": pm, "pooled_error": (pm - pg) / pg}
    # human ceiling and the model on the same multi-coded items
    hc, items, codes = human_ceiling(ds)
    key = {(g, int(j)): n for n, (g, j) in enumerate(zip(turns.groups, turns.turn))}
    qt_names, rt_names = ("open", "closed"), ("simple", "complex")
    pred_by_item = {
        "q": {it: int(pq[key[it]]) for it in items},
        "r": {it: int(pr[key[it]]) for it in items},
        "qt": {it: qt_names[pqt[key[it]]] for it in items},
        "rt": {it: rt_names[prt[key[it]]] for it in items},
        "main": {it: MAIN_NAMES[pmain[key[it]]] for it in items},
    }
    res["ceiling"] = hc
    res["model_vs_experts"] = model_vs_experts(items, codes, pred_by_item)
    # R:Q between experts (pairwise Spearman is undefined on 7 transcripts; give pooled spread)
    return res


# --- medical test set ---------------------------------------------------------------------------

LABELS = ("question.open", "question.closed", "reflection.simple", "reflection.complex", "empathy", "affirmation",
          "partnership", "agenda", "information", "advice", "dismissal", "emotional_cue")


def medical(tagger, path=None):
    from analyzer.tagging.data import MEDICAL, load_medical, medical_half, medical_visit

    rows = load_medical(Path(path) if path else MEDICAL)
    by_visit = defaultdict(list)
    for r in rows:
        by_visit[(r["source"], r["visit"])].append(r)
    got = {}
    n_utts, seconds = 0, 0.0
    for (src, visit), rs in sorted(by_visit.items()):
        t = medical_visit(src, visit)
        roles, texts = [u.role for u in t.utterances], [u.text for u in t.utterances]
        t0 = time.perf_counter()
        out = tagger.tag(roles, texts)
        seconds += time.perf_counter() - t0
        n_utts += len(texts)
        for r in rs:
            assert texts[r["index"]] == r["text"], r["id"]
            got[r["id"]] = {x["label"] for x in out[r["index"]]["tags"]}
    res = {}

    def prf(lab_fn, subset):
        tp = fp = fn = 0
        for r in subset:
            g, p = lab_fn(set(r["labels"])), lab_fn(got[r["id"]])
            tp += g and p
            fp += p and not g
            fn += g and not p
        prec = tp / (tp + fp) if tp + fp else float("nan")
        rec = tp / (tp + fn) if tp + fn else float("nan")
        f = 2 * prec * rec / (prec + rec) if tp else 0.0
        return {"precision": prec, "recall": rec, "f1": f, "support": tp + fn, "predicted": tp + fp}

    subsets = {"all": rows, "sure": [r for r in rows if not r["unsure"]],
               "dev": [r for r in rows if medical_half(r, rows) == "dev"],
               "test": [r for r in rows if medical_half(r, rows) == "test"]}

    def per_subset(fn, role):
        return {k: prf(fn, [r for r in v if r["role"] == role]) for k, v in subsets.items()}

    for lab in LABELS:
        res[lab] = per_subset(lambda s, lab=lab: lab in s, "patient" if lab == "emotional_cue" else "clinician")
    clin = [r for r in rows if r["role"] == "clinician"]
    res["question (any)"] = per_subset(lambda s: any(x.startswith("question.") for x in s), "clinician")
    res["reflection (any)"] = per_subset(lambda s: any(x.startswith("reflection.") for x in s), "clinician")
    # open/closed among utterances both call a question (one subtype each)
    both = [r for r in clin if any(x.startswith("question.") for x in r["labels"]) and any(x.startswith("question.") for x in got[r["id"]])]
    agree = [("question.open" in r["labels"], "question.open" in got[r["id"]]) for r in both]
    res["open/closed on shared questions"] = {
        "accuracy": float(np.mean([a == b for a, b in agree])) if agree else float("nan"),
        "macro_f1": f1([a for a, _ in agree], [b for _, b in agree], "macro") if agree else float("nan"), "n": len(agree)}
    res["_speed_on_visits"] = {"utterances": n_utts, "seconds": seconds, "utt_per_s": n_utts / seconds}
    res["_visits"] = len(by_visit)
    return res


# --- speed --------------------------------------------------------------------------------------

def speed(tagger):
    """Whole visits (all 35 PriMock57 consultations), tagged one after another as the pipeline does.

    Wall-clock throughput depends on what else runs on the machine, so the process's CPU time
    and the load average are reported beside it: utterances per CPU-second is what one core
    gives when nothing else competes for it."""
    from analyzer.importers import load_transcript
    from analyzer.tagging.data import SHARED

    visits = [load_transcript(p) for p in sorted((SHARED / "primock57" / "transcripts").glob("*_doctor.TextGrid"))]
    tagger.tag([u.role for u in visits[0].utterances][:20], [u.text for u in visits[0].utterances][:20])  # warm-up
    load0 = os.getloadavg()[0]
    n, t0, c0 = 0, time.perf_counter(), time.process_time()
    for t in visits:
        tagger.tag([u.role for u in t.utterances], [u.text for u in t.utterances])
        n += len(t.utterances)
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"visits": len(visits), "utterances": n, "seconds": sec, "utt_per_s": n / sec, "cpu_seconds": cpu,
            "utt_per_cpu_s": n / cpu, "loadavg": [load0, os.getloadavg()[0]], "cores": os.cpu_count()}


def load_time():
    code = ("import time; t=time.perf_counter(); c=time.process_time(); from analyzer.tagging.tagger import Tagger; "
            "Tagger(); print(time.perf_counter()-t, time.process_time()-c)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "VISIT_ANALYZER_THREADS": os.environ.get("VISIT_ANALYZER_THREADS", "2")})
    wall, cpu = map(float, out.stdout.strip().splitlines()[-1].split())
    return wall, cpu


def fmt(x):
    return "  n/a" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.3f}"


def report_medical(tagger, out: dict, path=None) -> None:
    med = medical(tagger, path)
    print(f"\nMedical test set ({path or 'models/labelling/medical_testset.jsonl'}; {med['_visits']} visits tagged whole; "
          "utterance level)")
    out["medical"] = med
    print("  held-out half: the 26 visits never looked at while writing cues (the dev half was used for the\n"
          "  echo/summary reflection and advice cues); without unsure: the annotator's unsure utterances left out"
          if path is None else "  (another set: its halves are alternate visits, as for ours; 'all' is the figure)")
    print(f"{'label':22} {'all: P':>7} {'R':>6} {'F1':>6} {'n':>4} | {'held-out: P':>11} {'R':>6} {'F1':>6} {'n':>4} | "
          f"{'w/o unsure: P':>13} {'R':>6} {'n':>4}")
    for lab, v in med.items():
        if lab.startswith("_") or "all" not in v:
            continue
        a, t, s = v["all"], v["test"], v["sure"]
        print(f"{lab:22} {fmt(a['precision']):>7} {fmt(a['recall']):>6} {fmt(a['f1']):>6} {a['support']:>4} | "
              f"{fmt(t['precision']):>11} {fmt(t['recall']):>6} {fmt(t['f1']):>6} {t['support']:>4} | "
              f"{fmt(s['precision']):>13} {fmt(s['recall']):>6} {s['support']:>4}")
    oc = med["open/closed on shared questions"]
    print(f"open/closed on questions both found: accuracy {fmt(oc['accuracy'])}, macro-F1 {fmt(oc['macro_f1'])} (n={oc['n']})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--skip-cv", action="store_true", help="skip AnnoMI cross-validation")
    ap.add_argument("--speed-only", action="store_true", help="only load time and speed (shipped heads)")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--medical", help="another labelled set in the layout of models/labelling/medical_testset.jsonl "
                                      "(its visits must be in ../shared/data)")
    args = ap.parse_args(argv)
    from analyzer.runtime import configure_torch

    configure_torch()
    out = {}
    if not (args.skip_cv or args.speed_only):
        print(f"AnnoMI: grouped {args.folds}-fold cross-validation over transcripts (heads retrained per fold)", flush=True)
        r = annomi_cv(args.folds)
        out["annomi"] = r
        hc, mv = r["ceiling"], r["model_vs_experts"]
        print(f"\n{'AnnoMI (held-out transcripts)':44} {'model':>7} {'target':>7} | {'human pairwise':>14} {'human vs maj.':>13} {'model vs each expert':>20}")
        for key, name, target in (("q", "is-question F1", 0.92), ("qt", "open/closed macro-F1 (gold questions)", 0.82),
                                  ("r", "is-reflection F1", 0.85), ("rt", "simple/complex macro-F1 (gold refl.)", 0.60),
                                  ("main", "main behaviour 4-way macro-F1", 0.80)):
            print(f"{name:44} {fmt(r[key]):>7} {target:>7.2f} | {fmt(hc[key]['pairwise']):>14} {fmt(hc[key]['vs_majority']):>13} {fmt(mv[key]):>20}")
        print(f"  open/closed: {r['qt']:.3f} as tagged (MITI form rule: yes/no and one-fact questions are closed), "
              f"{r['qt_heads']:.3f} from the qt head alone")
        left = r["qt_left_out"]
        print("  open/closed per coder: " + ", ".join(f"{c} {v:.2f}" for c, v in r["qt_by_coder"].items())
              + (f"; without coder(s) {', '.join(left)}: {r['qt_without_left_out']:.3f}" if left else ""))
        print("  main per class F1: " + ", ".join(f"{k} {v:.3f}" for k, v in r["main_per_class"].items()))
        print(f"  therapist input exists F1 {r['inp']:.3f}; information/advice macro-F1 {r['ia']:.3f}")
        rq = r["rq"]
        print(f"R:Q per transcript, reflections and questions as tagged (gold Q >= 5, n={rq['transcripts']}): Spearman {rq['spearman']:.3f} (target 0.85); "
              f"pooled R:Q gold {rq['pooled_gold']:.3f}, model {rq['pooled_model']:.3f}, "
              f"error {100 * rq['pooled_error']:+.1f} % (target within 10 %)")
        rm = r["rq_main"]
        print(f"  by main behaviour (one code per turn): Spearman {rm['spearman']:.3f}; pooled gold {rm['pooled_gold']:.3f}, "
              f"model {rm['pooled_model']:.3f}, error {100 * rm['pooled_error']:+.1f} %")
        print(f"  ({r['turns']} clinician turns, {r['transcripts']} transcripts; human ceiling from "
              f"{hc['main']['annotators']} experts on {hc['main']['items']} turns of 7 transcripts)")
    from analyzer.tagging.tagger import Tagger

    lt, lt_cpu = load_time()
    tagger = Tagger()
    if not args.speed_only:
        report_medical(tagger, out, args.medical)
    sp = speed(tagger)
    out["speed"] = {**sp, "load_seconds": lt, "load_cpu_seconds": lt_cpu,
                    "threads": int(os.environ.get("VISIT_ANALYZER_THREADS", "2"))}
    print(f"\nSpeed: {sp['utt_per_s']:.0f} utterances/s wall-clock (target 200) over {sp['utterances']} utterances of "
          f"{sp['visits']} PriMock57 visits, VISIT_ANALYZER_THREADS={out['speed']['threads']} (encoder "
          f"{tagger.encoder.threads} torch thread(s), spaCy beside it) on {sp['cores']} cores; "
          f"{sp['utt_per_cpu_s']:.0f} utterances per CPU-second ({sp['cpu_seconds']:.1f} CPU-s); load average "
          f"{sp['loadavg'][0]:.1f} -> {sp['loadavg'][1]:.1f} (other processes share the cores)")
    print(f"Load time: {lt:.1f} s wall, {lt_cpu:.1f} CPU-s (fresh process: imports, hash checks, encoder, spaCy, heads)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
