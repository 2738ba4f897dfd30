"""Coders whose habits no model can learn from the others.

95 of AnnoMI's 102 transcripts were coded by one expert each, ten experts in all. For the
subtypes, their habits differ: one codes 97 % of the questions open where the other nine code
37-78 % (MITI: a yes/no question is closed). Those labels teach the open/closed head a coin
flip, so a coder whose share of a subtype lies far outside the others' is left out of training
for that head. Scoring still uses every coder's labels (benchmarks/tagging.py).
"""
from __future__ import annotations

import numpy as np

# subtype task -> the class whose share per coder is compared
SUBTYPE_SHARE = {"qt": 0, "rt": 1}  # open; complex (the sentence head sqt follows qt: train.coders_left_out)
Z_MAX = 2.5  # leave-one-out z-score; AnnoMI: open share z = 3.2 for one coder, next largest 1.3
MIN_LABELS = 20


def outlier_coders(y: np.ndarray, coder: np.ndarray, share_of: int, z_max: float = Z_MAX) -> set[str]:
    """Coders whose share of class ``share_of`` (among their labelled rows, y >= 0) lies more
    than ``z_max`` standard deviations from the mean of the other coders' shares."""
    shares = {}
    for c in sorted({c for c in coder if c}):
        m = (coder == c) & (y >= 0)
        if m.sum() >= MIN_LABELS:
            shares[c] = float(np.mean(y[m] == share_of))
    out = set()
    for c, s in shares.items():
        others = np.array([v for k, v in shares.items() if k != c])
        if len(others) >= 3 and others.std(ddof=1) > 0 and abs(s - others.mean()) / others.std(ddof=1) > z_max:
            out.add(c)
    return out


def mask_outlier_coders(y: dict[str, np.ndarray], coder: np.ndarray, left_out: dict[str, set[str]]) -> dict[str, np.ndarray]:
    """Labels with the left-out coders' rows set to -1 (not applicable) per task."""
    out = dict(y)
    for task, coders in left_out.items():
        if task in out and coders:
            v = out[task].copy()
            v[np.isin(coder, sorted(coders))] = -1
            out[task] = v
    return out
