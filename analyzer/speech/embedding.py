"""Speaker embeddings: one vector per stretch of speech, alike for the same voice.

Resemblyzer's GE2E d-vector (3-layer LSTM, 256 dims, unit length; the weights ship inside
the ``resemblyzer`` PyPI package) on the 40-band mel frames of ``features``. Each stretch is
scaled to -30 dBFS first (the level Resemblyzer was trained at; without it a change of
loudness splits one voice in two). Stretches are batched by length (packed sequences).

``SpeakerEmbedder(samples).embed(spans)`` embeds stretches given in seconds;
``embed_frames`` is the same on mel frames already computed (the diarizer's windows).
Compare embeddings by their dot product (cosine similarity).

Speed: the LSTM is most of the diarizer's time. torch/BLAS are limited to ``threads``
(default 1, or VISIT_ANALYZER_DIARIZE_THREADS) during a call and restored after: on a shared
2-core machine two threads measured 4x slower than one.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np

from .features import FPS, N_MELS, SR, as_mono16k, hop_power, mel_frames

EMBEDDING_DIM = 256
TARGET_POWER = 10 ** (-30 / 10)  # Resemblyzer was trained on speech at -30 dBFS (mean square)


def default_threads() -> int:
    v = os.environ.get("VISIT_ANALYZER_DIARIZE_THREADS", "")
    return int(v) if v.isdigit() and int(v) > 0 else 1


@contextmanager
def thread_limit(n: int) -> Iterator[None]:
    """torch and BLAS limited to ``n`` threads inside the block, restored after."""
    import torch

    prev = torch.get_num_threads()
    if prev != n:
        torch.set_num_threads(n)
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
            yield
        else:
            with threadpool_limits(limits=n):
                yield
    finally:
        if torch.get_num_threads() != prev:
            torch.set_num_threads(prev)


_encoder = None
_encoder_lock = threading.Lock()


def _get_encoder():
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            from resemblyzer import VoiceEncoder  # imports webrtcvad, which warns about pkg_resources

            _encoder = VoiceEncoder("cpu", verbose=False)
            _encoder.eval()
        return _encoder


def embed_frames(mel: np.ndarray, fpow: np.ndarray, starts: list[int], ends: list[int], *,
                 normalize: str = "window", progress: Callable[[float], None] | None = None,
                 p0: float = 0.0, p1: float = 1.0, batch: int = 128) -> np.ndarray:
    """Unit-length embeddings (n, 256) of mel frames [starts[i], ends[i]) of one recording.

    mel: (frames, 40) power mel (``features.mel_frames``); fpow: mean square per frame
    (``features.hop_power``), used with ``normalize="window"`` to scale each stretch to
    -30 dBFS (any other value: the mel is used as given). progress: called with p0..p1.
    """
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    enc = _get_encoder()
    n = len(starts)
    out = np.zeros((n, EMBEDDING_DIM), np.float32)
    lengths = np.array(ends) - np.array(starts)
    order = np.argsort(-lengths, kind="stable")
    with torch.inference_mode():
        for bi in range(0, n, batch):
            idx = order[bi: bi + batch]
            T = int(lengths[idx[0]])
            x = np.zeros((len(idx), T, N_MELS), np.float32)
            for j, k in enumerate(idx):
                m = mel[starts[k]: ends[k]]
                if normalize == "window":  # mel power scales with the gain squared
                    m = m * (TARGET_POWER / max(float(fpow[starts[k]: ends[k]].mean()), 1e-10))
                x[j, : len(m)] = m
            xt = torch.from_numpy(x)
            lens = torch.from_numpy(lengths[idx].astype(np.int64))
            if int(lens.min()) == T:
                _, (h, _) = enc.lstm(xt)
            else:
                _, (h, _) = enc.lstm(pack_padded_sequence(xt, lens, batch_first=True, enforce_sorted=True))
            e = enc.relu(enc.linear(h[-1]))
            e = e / torch.clamp(torch.norm(e, dim=1, keepdim=True), min=1e-8)
            out[idx] = e.numpy()
            if progress:
                progress(p0 + (p1 - p0) * min(1.0, (bi + batch) / n))
    return out


class SpeakerEmbedder:
    """Embeddings of any stretches of one recording (the mel front end is computed once).

    ``frame_power`` (mean square per 10 ms frame) is kept for callers that judge loudness.
    """

    def __init__(self, samples: np.ndarray, sr: int = SR):
        self.samples = as_mono16k(samples, sr)
        self.fps = FPS
        self.n_frames = len(self.samples) // (SR // FPS) + 1
        self.mel = mel_frames(self.samples)
        self.frame_power = hop_power(self.samples)

    def embed(self, spans: list[tuple[float, float]], threads: int = 1) -> np.ndarray:
        """Unit-length embeddings (len(spans), 256) of the stretches (start, end) in seconds,
        each at least one frame long."""
        starts = [max(0, min(self.n_frames - 1, int(round(a * self.fps)))) for a, _ in spans]
        ends = [max(s + 1, min(self.n_frames, int(round(b * self.fps)))) for s, (_, b) in zip(starts, spans)]
        with thread_limit(threads):
            return embed_frames(self.mel, self.frame_power, starts, ends)


def embed_spans(samples: np.ndarray, spans: list[tuple[float, float]], sr: int = SR,
                threads: int = 1) -> np.ndarray:
    """Unit-length embeddings (len(spans), 256) of stretches (start, end) in seconds of a recording."""
    return SpeakerEmbedder(samples, sr).embed(spans, threads=threads)
