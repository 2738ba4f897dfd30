"""Frame features for the overlapped-speech detector: one row per 100 ms cell of mono 16 kHz audio.

Per 10 ms frame: the diarizer's 40-band log-mel power (``analyzer.speech.features.mel_frames``), taken
relative to the recording's own speech level (two voices at once are louder than either) and
spectral shape, plus a pitch-range cepstrum of a 32 ms frame (two voices at different pitch
blur the single peak a lone voice gives). Per cell: mean, spread and frame-to-frame change of
those, and the cells around it (+-0.4 s) so a row sees the voices come and go.
"""
from __future__ import annotations

import numpy as np

from ..speech.features import FPS, HOP_SAMPLES, mel_frames

CELL_S = 0.1
CELL = int(round(CELL_S * FPS))  # 10 ms frames per cell
CONTEXT = (-4, -2, 0, 2, 4)  # neighbouring cells stacked into a row
N_FFT_PITCH = 512
Q_LO, Q_HI = 40, 230  # quefrency (samples): 70-400 Hz fundamental
Q_BINS = 19


def _cepstrum(audio: np.ndarray, n_frames: int) -> np.ndarray:
    """(n_frames, Q_BINS): max-pooled real cepstrum in the pitch range, per 10 ms frame."""
    half = N_FFT_PITCH // 2
    pad = np.pad(audio.astype(np.float32), (half, half + N_FFT_PITCH))
    win = np.hanning(N_FFT_PITCH).astype(np.float32)
    out = np.zeros((n_frames, Q_BINS), np.float32)
    edges = np.linspace(Q_LO, Q_HI, Q_BINS + 1).astype(int)
    for i in range(0, n_frames, 4096):
        j = min(n_frames, i + 4096)
        idx = (np.arange(i, j) * HOP_SAMPLES)[:, None] + np.arange(N_FFT_PITCH)[None, :]
        fr = pad[idx] * win
        logp = np.log(np.abs(np.fft.rfft(fr, axis=1)) ** 2 + 1e-8)
        cep = np.fft.irfft(logp, axis=1)[:, :Q_HI]
        out[i:j] = np.stack([cep[:, a:b].max(axis=1) for a, b in zip(edges[:-1], edges[1:])], axis=1)
    return out


def frame_features(audio: np.ndarray) -> np.ndarray:
    """(n_cells, dim) float32 rows for 16 kHz mono audio."""
    mel = mel_frames(np.asarray(audio, np.float32))
    n_cells = len(mel) // CELL
    if n_cells == 0:
        return np.zeros((0, dim()), np.float32)
    mel = mel[: n_cells * CELL]
    db = 10 * np.log10(mel + 1e-10)
    tot = 10 * np.log10(mel.sum(axis=1) + 1e-10)
    ref = np.percentile(tot, 90)
    speech = tot > ref - 25
    if speech.sum() < 10:
        speech[:] = True
    shape = db[speech].mean(axis=0)
    rel = np.concatenate([db - shape, (tot - ref)[:, None]], axis=1) / 10.0  # (frames, 41)
    cep = _cepstrum(audio, len(mel)) * 10.0
    fr = np.concatenate([rel, cep], axis=1).reshape(n_cells, CELL, -1)
    flux = np.abs(np.diff(fr, axis=1)).mean(axis=1)
    cell = np.concatenate([fr.mean(axis=1), fr.std(axis=1), flux], axis=1).astype(np.float32)
    rows = []
    for off in CONTEXT:
        idx = np.clip(np.arange(n_cells) + off, 0, n_cells - 1)
        rows.append(cell[idx])
    return np.concatenate(rows, axis=1)


def dim() -> int:
    return (41 + Q_BINS) * 3 * len(CONTEXT)
