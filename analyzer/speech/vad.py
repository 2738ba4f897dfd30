"""Voice activity: where someone speaks in a recording, as (start, end) regions in seconds.

webrtcvad (30 ms frames) plus an energy floor relative to the file's own quiet level, gaps
shorter than a bridge joined. The diarizer uses it when the caller gives no speech regions
(ASR word spans), and at a finer bridge to find the pauses inside speech, so that no speaker
embedding window straddles a pause (the likeliest place for a change of speaker).
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from .features import SR, as_mono16k, frame_power


def detect_speech(audio: np.ndarray, sr: int = SR, aggressiveness: int = 2, min_speech: float = 0.2,
                  bridge: float = 0.3) -> list[tuple[float, float]]:
    """Speech regions with webrtcvad (30 ms frames) plus an energy floor, gaps < bridge s joined."""
    audio = as_mono16k(audio, sr)
    frame = 480  # 30 ms
    n = len(audio) // frame
    if n == 0:
        return []
    db = 10 * np.log10(frame_power(audio, frame) + 1e-12)[:n]
    # Energy floor: well above the file's quiet floor and no lower than -55 dBFS.
    floor = max(-55.0, float(np.percentile(db, 10)) + 6.0) if n >= 10 else -55.0
    loud = db > floor
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import webrtcvad
        vad = webrtcvad.Vad(aggressiveness)
        peak = float(np.max(np.abs(audio))) or 1.0
        scale = min(32767.0 / peak, 32767.0 * 10 ** (-6 / 20) / max(peak, 1e-9)) if peak > 1.0 else 32767.0
        voiced = np.zeros(n, bool)
        block = 2000  # frames (60 s) at a time: a 3 h recording never needs a second full copy
        for b0 in range(0, n, block):
            b1 = min(n, b0 + block)
            pcm = np.clip(np.round(audio[b0 * frame: b1 * frame] * scale), -32768, 32767).astype("<i2").tobytes()
            voiced[b0:b1] = [vad.is_speech(pcm[i * frame * 2:(i + 1) * frame * 2], SR) for i in range(b1 - b0)]
        active = voiced & loud
    except ImportError:  # pragma: no cover - webrtcvad comes with resemblyzer
        active = loud
    regions: list[list[float]] = []
    step = frame / SR
    i = 0
    while i < n:
        if active[i]:
            j = i
            while j < n and active[j]:
                j += 1
            s, e = i * step, j * step
            if regions and s - regions[-1][1] < bridge:
                regions[-1][1] = e
            else:
                regions.append([s, e])
            i = j
        else:
            i += 1
    return [(s, e) for s, e in regions if e - s >= min_speech]


def split_at_pauses(audio: np.ndarray, regions: list[tuple[float, float]], min_pause: float,
                    pad: float = 0.05) -> list[tuple[float, float]]:
    """Cut regions where the VAD hears a pause of at least ``min_pause`` s inside them
    (16 kHz mono ``audio``)."""
    fine = detect_speech(audio, bridge=min_pause, min_speech=0.05)
    fine = [(s - pad, e + pad) for s, e in fine]
    out = []
    j = 0
    for s, e in regions:
        parts = []
        while j < len(fine) and fine[j][1] <= s:
            j += 1
        k = j
        while k < len(fine) and fine[k][0] < e:
            a, b = max(s, fine[k][0]), min(e, fine[k][1])
            if b - a >= 0.05:
                parts.append((a, b))
            k += 1
        out += parts or [(s, e)]
    return clean_regions(out, float("inf"))


def clean_regions(speech: Sequence[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    """Regions sorted, clipped to [0, duration], overlapping or touching ones merged."""
    out: list[list[float]] = []
    for s, e in sorted((float(a), float(b)) for a, b in speech):
        s, e = max(0.0, s), min(duration, e)
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]
