"""Small trained heads over the frozen encoder's features, stored as plain arrays (.npz, no
pickle) so loading runs no code from the file.

Each AnnoMI task (``main``, ``q``, ``r``, ``qt``, ``rt``, ``inp``, ``ia``) is a two-level stack:
a logistic regression on the hashed n-gram bag (level 1), whose logits join the dense
features (embeddings of the turn and its context, cue and context features) in a second
logistic regression (level 2). Sentence heads (``sq``, ``sr``, ``sqt``, ``sia``) say which
sentence of a turn carries the behaviour.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

TURN_TASKS = {
    # name: class names (index order)
    "main": ("question", "reflection", "therapist_input", "other"),
    "q": ("no", "yes"),
    "r": ("no", "yes"),
    "qt": ("open", "closed"),
    "rt": ("simple", "complex"),
    "inp": ("no", "yes"),
    "ia": ("information", "advice"),
}
SENT_TASKS = {"sq": ("no", "yes"), "sr": ("no", "yes"), "sqt": ("open", "closed"), "sia": ("information", "advice")}


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def probs_from_logits(z: np.ndarray) -> np.ndarray:
    """sklearn's convention: binary models have one logit column (the positive class)."""
    if z.shape[1] == 1:
        p = 1 / (1 + np.exp(-z[:, 0]))
        return np.stack([1 - p, p], 1)
    return softmax(z)


def logit_features(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


@dataclass
class Linear:
    """Standardise, weight, then a (multinomial or binary) logistic regression."""
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (k, d); k = 1 for binary
    intercept: np.ndarray

    def proba(self, X: np.ndarray) -> np.ndarray:
        Z = ((X - self.mean) / self.scale) @ self.coef.T + self.intercept
        return probs_from_logits(Z)

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, C: float, weights: np.ndarray | None = None) -> "Linear":
        from sklearn.linear_model import LogisticRegression

        mean = X.mean(0)
        sd = X.std(0)
        sd[sd < 1e-6] = 1.0
        scale = sd / (weights if weights is not None else 1.0)
        lr = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit((X - mean) / scale, y)
        return cls(mean.astype(np.float32), scale.astype(np.float32), lr.coef_.astype(np.float32),
                   lr.intercept_.astype(np.float32))


@dataclass
class Bag:
    """Logistic regression on the hashed n-gram bag (sparse)."""
    coef: np.ndarray  # (k, n_hash)
    intercept: np.ndarray

    def proba(self, B: sparse.csr_matrix) -> np.ndarray:
        return probs_from_logits(np.asarray(B @ self.coef.T.astype(np.float32)) + self.intercept)

    @classmethod
    def fit(cls, B: sparse.csr_matrix, y: np.ndarray, C: float) -> "Bag":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=C, max_iter=3000, class_weight="balanced").fit(B, y)
        return cls(lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32))


class Stack:
    """Level 1: one Bag per task; level 2: one Linear per task on [dense, logits of every bag].

    ``dense_cols[t]``: how many leading dense columns task t's level 2 reads (all when absent);
    the turn matrix ends with columns only the subtype heads read (features.SUBTYPE_COLS)."""

    def __init__(self, bags: dict[str, Bag], lins: dict[str, Linear], tasks: dict[str, tuple[str, ...]],
                 dense_cols: dict[str, int] | None = None):
        self.bags, self.lins, self.tasks = bags, lins, tasks
        self.dense_cols = dict(dense_cols or {})

    def bag_features(self, B: sparse.csr_matrix) -> np.ndarray:
        return np.hstack([logit_features(self.bags[t].proba(B)) for t in self.tasks])

    def level2_input(self, t: str, D: np.ndarray, L: np.ndarray) -> np.ndarray:
        """Task t's level-2 input from the dense matrix and the bag logits (training and run time)."""
        return np.hstack([D[:, :self.dense_cols.get(t, D.shape[1])], L])

    def proba(self, D: np.ndarray, B: sparse.csr_matrix) -> dict[str, np.ndarray]:
        L = self.bag_features(B)
        return {t: self.lins[t].proba(self.level2_input(t, D, L)) for t in self.tasks}

    # -- storage ---------------------------------------------------------------------------

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        out = {}
        for t in self.tasks:
            b, lin = self.bags[t], self.lins[t]
            out[f"{prefix}{t}.bag.coef"] = b.coef.astype(np.float16)
            out[f"{prefix}{t}.bag.intercept"] = b.intercept
            for k in ("mean", "scale", "coef", "intercept"):
                out[f"{prefix}{t}.lin.{k}"] = getattr(lin, k)
        return out

    @classmethod
    def from_arrays(cls, z, prefix: str, tasks: dict[str, tuple[str, ...]], dense_cols: dict[str, int] | None = None) -> "Stack":
        bags = {t: Bag(z[f"{prefix}{t}.bag.coef"].astype(np.float32), z[f"{prefix}{t}.bag.intercept"]) for t in tasks}
        lins = {t: Linear(*(z[f"{prefix}{t}.lin.{k}"] for k in ("mean", "scale", "coef", "intercept"))) for t in tasks}
        return cls(bags, lins, tasks, dense_cols)


class Heads:
    """All trained heads of the tagger (analyzer/assets/tagging/heads.npz + heads.json)."""

    def __init__(self, turn: Stack, sent: Stack, meta: dict):
        self.turn, self.sent, self.meta = turn, sent, meta

    def save(self, folder: Path) -> list[str]:
        folder.mkdir(parents=True, exist_ok=True)
        arrays = {**self.turn.arrays("turn."), **self.sent.arrays("sent.")}
        np.savez_compressed(folder / "heads.npz", **arrays)
        (folder / "heads.json").write_text(json.dumps(self.meta, indent=1, sort_keys=True) + "\n")
        return ["heads.npz", "heads.json"]

    @classmethod
    def load(cls, folder: Path) -> "Heads":
        meta = json.loads((folder / "heads.json").read_text())
        with np.load(folder / "heads.npz", allow_pickle=False) as z:
            turn = Stack.from_arrays(z, "turn.", {t: tuple(c) for t, c in meta["turn_tasks"].items()},
                                     meta.get("turn_dense_cols"))
            sent = Stack.from_arrays(z, "sent.", {t: tuple(c) for t, c in meta["sent_tasks"].items()})
        return cls(turn, sent, meta)
