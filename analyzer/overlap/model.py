"""The overlapped-speech detector at run time: numpy only, weights in analyzer/assets/overlap/.

``overlap_probability(audio)`` gives, per 100 ms cell of 16 kHz mono audio, the probability that
two voices sound at once; ``overlap_regions(audio)`` the stretches where it stays high.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import assets
from .features import CELL_S, frame_features

MODEL_PATH = assets.path("overlap", "overlap_mlp.npz")


@lru_cache(maxsize=2)
def load_model(path: str | None = None) -> dict[str, np.ndarray]:
    p = Path(path) if path else MODEL_PATH
    with np.load(p) as z:
        return {k: z[k] for k in z.files}


def predict_proba(feats: np.ndarray, m: dict[str, np.ndarray]) -> np.ndarray:
    """(n, 3) class probabilities: no voice, one voice, two voices."""
    h = (feats - m["mu"]) / m["sd"]
    i = 0
    while f"W{i}" in m:
        h = h @ m[f"W{i}"].T + m[f"b{i}"]
        if f"W{i + 1}" in m:
            h = np.maximum(h, 0.0)
        i += 1
    h = h - h.max(axis=1, keepdims=True)
    e = np.exp(h)
    return e / e.sum(axis=1, keepdims=True)


def overlap_probability(audio: np.ndarray, model_path: str | None = None) -> np.ndarray:
    m = load_model(model_path)
    f = frame_features(audio)
    if len(f) == 0:
        return np.zeros(0, np.float32)
    return predict_proba(f, m)[:, 2].astype(np.float32)


def regions(prob: np.ndarray, threshold: float, min_s: float = 0.3, bridge_s: float = 0.2) -> list[tuple[float, float, float]]:
    """(start_s, end_s, mean probability) where ``prob`` >= threshold for at least ``min_s``,
    gaps up to ``bridge_s`` bridged."""
    on = prob >= threshold
    out: list[list[int]] = []
    for i in np.nonzero(on)[0]:
        if out and i - out[-1][1] <= int(round(bridge_s / CELL_S)):
            out[-1][1] = i + 1
        else:
            out.append([int(i), int(i) + 1])
    res = []
    for a, b in out:
        if (b - a) * CELL_S >= min_s - 1e-9:
            res.append((round(a * CELL_S, 2), round(b * CELL_S, 2), float(prob[a:b].mean())))
    return res


def overlap_regions(audio: np.ndarray, threshold: float | None = None, min_s: float = 0.3,
                    model_path: str | None = None) -> list[tuple[float, float, float]]:
    m = load_model(model_path)
    thr = float(m["threshold"]) if threshold is None else threshold
    return regions(overlap_probability(audio, model_path), thr, min_s)
