"""Speakers from window embeddings: how many voices, and the centroid of each.

Average-linkage agglomerative clustering (cosine) of an evenly spaced subset to
max_speakers + 2 clusters, every window then joining its nearest centroid (spherical
k-means), then repeatedly:
- fold a cluster with < max(5 s, 2 % of speech) into its nearest (too little speech to be a
  participant: noise, a cough, a blend of two voices);
- merge the two most similar clusters while their centroid cosine >= 0.83;
- dissolve a cluster whose centroid is a blend of two others (fit >= 0.85 and 0.04 above its
  nearest single centroid: windows spanning overlaps or quick exchanges).
One voice thus ends as one speaker. The thresholds are the diarizer's config
(``diarize.DiarizeConfig``); why these numbers is told there.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .diarize import DiarizeConfig


def normalize_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8)


def centroids(emb: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Unit-length mean embedding of each label 0..k-1 (zeros for a label with no rows)."""
    c = np.stack([emb[labels == j].mean(axis=0) if np.any(labels == j) else np.zeros(emb.shape[1]) for j in range(k)])
    return normalize_rows(c)


def _kmeans(emb: np.ndarray, labels: np.ndarray, k: int, iters: int = 10) -> np.ndarray:
    for _ in range(iters):
        c = centroids(emb, labels, k)
        new = np.argmax(emb @ c.T, axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def _relabel(labels: np.ndarray) -> tuple[np.ndarray, int]:
    uniq = {v: i for i, v in enumerate(np.unique(labels))}
    return np.array([uniq[v] for v in labels]), len(uniq)


def _mixture_fit(c: np.ndarray, m: int) -> tuple[float, float]:
    """How well centroid m is explained as a blend of two other centroids (windows straddling
    a speaker change, or overlapped speech): best cosine to a normalised convex mix of a pair,
    and that minus its similarity to the nearest single centroid."""
    k = len(c)
    best, gain = -1.0, 0.0
    near = max(float(c[m] @ c[i]) for i in range(k) if i != m)
    for i in range(k):
        for j in range(i + 1, k):
            if m in (i, j):
                continue
            for a in np.linspace(0.2, 0.8, 7):
                v = a * c[i] + (1 - a) * c[j]
                fit = float(c[m] @ v / max(np.linalg.norm(v), 1e-8))
                if fit > best:
                    best, gain = fit, fit - near
    return best, gain


def cluster_speakers(emb: np.ndarray, weights: np.ndarray, num_speakers: int | None, kmin: int, kmax: int,
                     cfg: DiarizeConfig, info: dict) -> np.ndarray:
    """Centroids (k, 256) of the speakers found among window embeddings.

    weights: seconds of speech each window stands for. num_speakers: a fixed count, or None
    to choose between kmin and kmax. Diagnostics (centroid similarities, speech seconds per
    speaker, the merges made) are written into ``info``.
    """
    n = len(emb)
    if n == 0:
        return np.zeros((0, emb.shape[1]), np.float32)
    if num_speakers is not None:
        kmin = kmax = num_speakers
    kmax = max(1, min(kmax, n))
    kmin = max(1, min(kmin, kmax))
    # Over-cluster (room for clusters of blended windows and outliers), agglomerative on an
    # evenly spaced subset, then every window joins its nearest centroid (spherical k-means).
    k0 = min(n, kmax + cfg.extra_clusters)
    sub = np.unique(np.linspace(0, n - 1, min(n, cfg.cluster_points)).round().astype(int))
    if k0 <= 1 or len(sub) < 2:
        labels = np.zeros(n, int)
    else:
        from scipy.cluster.hierarchy import fcluster, linkage

        Z = linkage(emb[sub], method="average", metric="cosine")
        lab_sub = fcluster(Z, t=min(k0, len(sub)), criterion="maxclust") - 1
        lab_sub, kk = _relabel(lab_sub)
        labels = np.argmax(emb @ centroids(emb[sub], lab_sub, kk).T, axis=1)
        labels = _kmeans(emb, labels, kk)
    labels, k = _relabel(labels)
    total = float(weights.sum())
    min_secs = max(cfg.min_seconds, cfg.min_share * total)
    merges = []
    while k > 1:
        c = centroids(emb, labels, k)
        secs = np.array([weights[labels == j].sum() for j in range(k)])
        sim = c @ c.T
        np.fill_diagonal(sim, -np.inf)
        action = None
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        small = [m for m in range(k) if secs[m] < min_secs] if k > kmin else []
        if small:  # too little speech to be a participant: noise, a cough, a blend of two voices
            m = min(small, key=lambda m: secs[m])
            action = ("small", m, round(float(secs[m]), 1))
        elif k > kmax or (k > kmin and sim[i, j] >= cfg.merge_similarity):
            action = ("similar", (i, j), round(float(sim[i, j]), 3))
        elif k >= 3 and k > kmin:
            # Only distinct voices are left: is one of them windows that straddle two others?
            fits = [(*_mixture_fit(c, m), m) for m in range(k)]
            fits = [f for f in fits if f[0] >= cfg.mixture_fit and f[1] >= cfg.mixture_gain]
            if fits:
                fit, gain, m = max(fits)
                action = ("blend", m, round(fit, 3), round(gain, 3))
        if action is None:
            break
        if action[0] == "similar":
            i, j = action[1]
            labels = np.where(labels == j, i, labels)
        else:  # dissolve cluster m: its windows join their nearest remaining speaker
            m = action[1]
            keep = [x for x in range(k) if x != m]
            idx = labels == m
            labels[idx] = np.array(keep)[np.argmax(emb[idx] @ c[keep].T, axis=1)]
        merges.append(action[:1] + action[2:])
        labels, k = _relabel(labels)
        labels = _kmeans(emb, labels, k, iters=5)
        labels, k = _relabel(labels)
    c = centroids(emb, labels, k)
    info["centroid_similarity"] = (c @ c.T).round(3).tolist()
    info["speaker_seconds"] = [round(float(weights[labels == j].sum()), 1) for j in range(k)]
    info["merges"] = merges
    return c
