"""Synthetic two-voice conversations for training the overlapped-speech detector
(``analyzer.overlap``; training code lives outside the package because it needs benchmarks/synth.py).

Sources are disjoint from the PriMock57 consultations the turn-taking benchmark voices:
sentences from AnnoMI (counselling transcripts), spoken by the local TTS voices of
benchmarks/synth.py (with ``--with-real``, in a quarter of the conversations one voice is a real
recording from shared/data/audio: jfk.flac, both channels of stereo_diarization.wav). Turns alternate with gaps, overlaps (the next speaker starting 0.3-2.5 s
before the other stops), near-simultaneous starts and backchannels; each clip is time-stretched
like the benchmark's utterances; the two tracks are mixed with the second voice 10 dB quieter to
2 dB louder plus noise. Labels per 100 ms cell: how many voices are audible (0, 1, 2) on the
clean tracks.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from analyzer.overlap.features import CELL_S

SR = 16000
VOICES = ("joe", "joe_high", "joe_low", "espeak_m", "espeak_f")
ACKS = ("mm-hmm", "yeah", "okay", "right", "I see", "yes", "sure", "uh-huh")


def annomi_sentences(path: Path, n: int, rng: np.random.Generator) -> list[str]:
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for s in re.split(r"(?<=[.?!])\s+", row["utterance_text"]):
                k = len(s.split())
                if 4 <= k <= 22 and re.search(r"[A-Za-z]", s):
                    out.append(s.strip())
    out = sorted(set(out))
    idx = rng.choice(len(out), size=min(n, len(out)), replace=False)
    return [out[i] for i in idx]


def clip_pool(sentences: list[str], per_voice: int, rng: np.random.Generator, log=print) -> dict[str, list[np.ndarray]]:
    from benchmarks import synth

    pool: dict[str, list[np.ndarray]] = {}
    for v in VOICES:
        pick = rng.choice(len(sentences), size=per_voice, replace=False)
        pool[v] = [synth.synthesize(sentences[i], v, SR) for i in pick]
        pool[v + ":ack"] = [synth.synthesize(a, v, SR) for a in ACKS]
        log(f"  voice {v}: {per_voice} clips")
    return pool


REAL = (("jfk.flac", 0), ("stereo_diarization.wav", 0), ("stereo_diarization.wav", 1))


def real_pool(folder: Path, rng: np.random.Generator) -> dict[str, list[np.ndarray]]:
    """The real recordings in shared/data/audio (~21 s, three voices) cut into 1.5-4 s turns
    and 0.4-0.8 s "acknowledgements" (not words: short stretches of the same voice)."""
    from benchmarks import synth

    pool: dict[str, list[np.ndarray]] = {}
    for name, ch in REAL:
        f = folder / name
        if not f.is_file():
            continue
        a, _ = synth.read_audio(f, sr=SR)
        x = np.asarray(a[ch] if a.ndim == 2 else a, np.float32)
        x = x / (np.abs(x).max() + 1e-9) * 0.8
        key = f"real:{name}:{ch}"
        clips, acks = [], []
        for _ in range(40):
            n = int(SR * rng.uniform(1.5, 4.0))
            i = int(rng.integers(0, max(1, len(x) - n)))
            clips.append(x[i:i + n].copy())
            m = int(SR * rng.uniform(0.4, 0.8))
            j = int(rng.integers(0, max(1, len(x) - m)))
            acks.append(x[j:j + m].copy())
        pool[key], pool[key + ":ack"] = clips, acks
    return pool


def _active(track: np.ndarray, n_cells: int) -> np.ndarray:
    """Cells (100 ms) where a clean track is audible in at least half of its 10 ms frames."""
    hop = SR // 100
    n = min(len(track) // hop, n_cells * 10)
    rms = np.sqrt(np.mean(track[: n * hop].astype(np.float64).reshape(n, hop) ** 2, axis=1) + 1e-12)
    loud = rms > np.percentile(rms, 99) * 10 ** (-35 / 20)
    loud = np.pad(loud, (0, n_cells * 10 - n))
    return loud.reshape(n_cells, 10).mean(axis=1) >= 0.5


def conversation(pool: dict[str, list[np.ndarray]], rng: np.random.Generator, turns: int = 18):
    """(mix, labels per cell, per-cell speaker-activity [n, 2]) of one synthetic conversation."""
    from benchmarks import synth

    va, vb = rng.choice(len(VOICES), size=2, replace=False)
    voices = (VOICES[va], VOICES[vb])
    real = sorted(k for k in pool if k.startswith("real:") and not k.endswith(":ack"))
    if real and rng.random() < 0.25:  # one of the two voices a real recording
        voices = (voices[0], real[int(rng.integers(len(real)))])
    placed: list[tuple[int, float, np.ndarray]] = []
    t, spk, prev_start = 0.5, int(rng.integers(2)), 0.0
    for _ in range(turns):
        k = 1 + int(rng.random() < 0.35)
        clips = [pool[voices[spk]][int(rng.integers(len(pool[voices[spk]])))] for _ in range(k)]
        a = np.concatenate([np.concatenate([c, np.zeros(int(SR * rng.uniform(0.05, 0.4)), np.float32)]) for c in clips])
        dur = len(a) / SR * rng.uniform(0.85, 1.6)
        a = synth.fit_to_interval(a, dur, SR)
        placed.append((spk, t, a))
        if rng.random() < 0.3 and dur > 2.0:  # listener backchannel inside this turn
            acks = pool[voices[1 - spk] + ":ack"]
            ack = acks[int(rng.integers(len(acks)))]
            placed.append((1 - spk, t + rng.uniform(0.5, dur - 1.0), ack))
        r = rng.random()
        if r < 0.45:  # the other comes in before this turn ends
            gap = -rng.uniform(0.3, min(2.5, 0.8 * dur))
        elif r < 0.55:
            gap = -rng.uniform(0.0, 0.3)
        else:
            gap = rng.uniform(0.1, 1.2)
        prev_start = t
        t = max(prev_start + 0.3, t + dur + gap)
        spk = 1 - spk
    n = int((max(s + len(a) / SR for _, s, a in placed) + 0.5) * SR)
    tracks = np.zeros((2, n), np.float32)
    for s, st, a in placed:
        i = int(st * SR)
        tracks[s, i:i + len(a)] += a[: n - i]
    quiet = int(rng.integers(2))
    tracks[quiet] *= 10 ** (rng.uniform(-10, 2) / 20)
    mix = tracks.sum(axis=0) + rng.normal(0, 10 ** (rng.uniform(-60, -40) / 20), n).astype(np.float32)
    mix = np.clip(mix * rng.uniform(0.4, 0.9), -1, 1).astype(np.float32)
    n_cells = int(n / SR / CELL_S)
    act = np.stack([_active(tracks[0], n_cells), _active(tracks[1], n_cells)], axis=1)
    return mix, act.sum(axis=1).astype(np.int64), act
