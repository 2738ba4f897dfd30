"""Speaker diarization of a mono recording: who speaks when.

API: ``diarize(audio, sr, speech=None, num_speakers=None, min_speakers=1, max_speakers=4,
progress=None) -> list[Turn]``; ``assign_words(words, turns)``; ``split_by_speaker(words)``.

Method (CPU only; the speaker-encoder weights ship inside the ``resemblyzer`` PyPI package):

1. Speech: the caller's regions (ASR word spans) or webrtcvad + an energy floor, padded
   0.1 s. For embedding, regions are further cut wherever the VAD hears a pause >= 0.2 s,
   so no window straddles a pause (the likeliest place for a change of speaker).
2. Embeddings: Resemblyzer's mel front end (40 bands, 10 ms hop; numpy, identical to its
   librosa call) and its 3-layer LSTM (GE2E d-vector, 256 dims) on 1.5 s windows every
   0.25 s, each window scaled to -30 dBFS first (the level Resemblyzer was trained at;
   without it loudness changes split a voice in two). Shorter pieces get one window of
   their own length. Windows are batched by length (packed sequences).
3. Clustering of the >= 1 s windows: average-linkage agglomerative clustering (cosine) to
   max_speakers + 2 clusters, spherical k-means refinement, then repeatedly:
   fold a cluster with < max(3 s, 2 % of speech) into its nearest; merge the two most
   similar clusters while their centroid cosine >= 0.83; dissolve a cluster whose centroid
   is a blend of two others (fit >= 0.85 and 0.04 above its nearest single centroid:
   windows spanning overlaps or quick exchanges). One voice thus ends as one speaker.
4. Labels: each 0.1 s cell of speech gets the mean similarity to each speaker of the
   windows covering it; a Viterbi pass (temperature 0.04, switch cost 8 inside continuous
   speech, 2 at a pause) picks labels; same-speaker turns < 0.5 s apart are joined.

Why these numbers (benchmarks/diarization.py): the 2-way split of ONE real voice
(jfk / stereo_diarization channels, tempo-varied splices) has centroid cosine 0.86-0.91;
two different real voices 0.53-0.75; the deliberately close synthetic pair joe/joe_low up
to 0.82 in a mix; 0.83 sits between. 1.5 s windows: same/different-speaker EER of single
windows ~2 % (1.0 s: 8 %, 0.5 s: 17 %). Smoothing parameters barely matter (+-0.1 % DER).
Limits: a third voice lying "between" the other two in embedding space can be taken for a
blend and folded; overlapped speech is given to one speaker only.

Speed: ~0.01-0.02 x real time on ONE thread (15 min of audio in ~10-20 s; the LSTM is
~90 % of it). torch/BLAS are limited to ``threads`` (default 1, or
VISIT_ANALYZER_DIARIZE_THREADS) during the call and restored after: on a shared 2-core
machine two threads measured 4x slower than one.
"""
from __future__ import annotations

import os
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Sequence

import numpy as np

from ..model import Utterance, Word, group_words

SR = 16000
HOP_SAMPLES = 160  # 10 ms mel hop (Resemblyzer)
N_FFT = 400  # 25 ms window
N_MELS = 40
FPS = SR // HOP_SAMPLES  # mel frames per second
CELL = 10  # frames per smoothing cell (0.1 s)

__all__ = ["Turn", "DiarizeConfig", "diarize", "assign_words", "split_by_speaker", "detect_speech"]


@dataclass
class Turn:
    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class DiarizeConfig:
    """Tunable parameters; the defaults are the ones benchmarked (benchmarks/diarization.py)."""

    window: float = 1.5  # s, embedding window
    hop: float = 0.25  # s, between window starts
    min_window: float = 0.3  # s, shortest region that gets its own embedding
    cluster_points: int = 1200  # most windows used for the agglomerative step
    extra_clusters: int = 2  # over-clustering before merging
    merge_similarity: float = 0.83  # centroids at least this alike are one speaker
    mixture_fit: float = 0.85  # a centroid this close to a blend of two others...
    mixture_gain: float = 0.04  # ...and this much closer than to either is a blend, not a voice
    min_seconds: float = 5.0  # a speaker holds at least max(min_seconds, min_share * speech)
    min_share: float = 0.02
    temperature: float = 0.04  # similarity -> log-score scale for smoothing
    switch_penalty: float = 8.0  # log-score cost of a speaker change inside continuous speech
    gap_switch_penalty: float = 2.0  # ... across a pause between speech regions
    fill_gap: float = 0.5  # s, same-speaker turns closer than this are joined
    vad_pad: float = 0.1  # s added around self-detected speech (webrtcvad clips onsets/offsets)
    split_pause: float = 0.2  # s; embedding windows do not cross pauses this long (0 = off)
    normalize: str = "window"  # loudness normalisation: "window" | "file" | "none"


DEFAULT_CONFIG = DiarizeConfig()


# --------------------------------------------------------------------------- threads

def _default_threads() -> int:
    v = os.environ.get("VISIT_ANALYZER_DIARIZE_THREADS", "")
    return int(v) if v.isdigit() and int(v) > 0 else 1


@contextmanager
def _thread_limit(n: int) -> Iterator[None]:
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


# --------------------------------------------------------------------------- encoder

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


def _mel_filterbank(sr: int = SR, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """Slaney-style mel filterbank, identical to librosa.filters.mel(sr, n_fft, n_mels)."""

    def hz_to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        f_sp = 200.0 / 3
        mels = f / f_sp
        min_log_hz = 1000.0
        min_log_mel = min_log_hz / f_sp
        logstep = np.log(6.4) / 27.0
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)

    def mel_to_hz(m):
        m = np.asarray(m, dtype=np.float64)
        f_sp = 200.0 / 3
        freqs = f_sp * m
        min_log_hz = 1000.0
        min_log_mel = min_log_hz / f_sp
        logstep = np.log(6.4) / 27.0
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)

    fftfreqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    enorm = 2.0 / (mel_f[2: n_mels + 2] - mel_f[:n_mels])
    return (weights * enorm[:, None]).astype(np.float32)


_MEL_FB: np.ndarray | None = None
_HANN = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic


def mel_frames(audio: np.ndarray, first: int = 0, last: int | None = None) -> np.ndarray:
    """Power mel spectrogram frames [first, last) of 16 kHz audio, shape (n, 40), float32.

    Frame t is centred on sample t*160 (librosa ``center=True``, zero padding), so frames
    of any slice equal the same frames of the whole signal.
    """
    global _MEL_FB
    if _MEL_FB is None:
        _MEL_FB = _mel_filterbank()
    n_total = len(audio) // HOP_SAMPLES + 1
    last = n_total if last is None else min(last, n_total)
    if last <= first:
        return np.zeros((0, N_MELS), np.float32)
    half = N_FFT // 2
    a = first * HOP_SAMPLES - half
    b = (last - 1) * HOP_SAMPLES + half
    seg = audio[max(0, a): min(len(audio), b)]
    seg = np.pad(seg, (max(0, -a), max(0, b - len(audio))))
    frames = np.lib.stride_tricks.sliding_window_view(seg, N_FFT)[::HOP_SAMPLES]
    out = np.empty((len(frames), N_MELS), np.float32)
    for i in range(0, len(frames), 4096):
        spec = np.fft.rfft(frames[i: i + 4096] * _HANN, axis=1)
        power = (spec.real ** 2 + spec.imag ** 2).astype(np.float32)
        out[i: i + 4096] = power @ _MEL_FB.T
    return out


# --------------------------------------------------------------------------- speech

def frame_power(audio: np.ndarray, frame: int, block: int = 1 << 20) -> np.ndarray:
    """Mean square of each full ``frame``-sample frame (float64 work in blocks; no big copies)."""
    n = len(audio) // frame
    out = np.empty(n, np.float64)
    step = max(1, block // frame)
    for i in range(0, n, step):
        j = min(n, i + step)
        x = audio[i * frame: j * frame].astype(np.float64).reshape(j - i, frame)
        out[i:j] = np.einsum("ij,ij->i", x, x) / frame
    return out


def detect_speech(audio: np.ndarray, sr: int = SR, aggressiveness: int = 2, min_speech: float = 0.2,
                  bridge: float = 0.3) -> list[tuple[float, float]]:
    """Speech regions with webrtcvad (30 ms frames) plus an energy floor, gaps < bridge s joined."""
    audio = _as_mono16k(audio, sr)
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


def _split_at_pauses(audio: np.ndarray, regions: list[tuple[float, float]], min_pause: float,
                     pad: float = 0.05) -> list[tuple[float, float]]:
    """Cut regions where the VAD hears a pause of at least ``min_pause`` s inside them."""
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
    return _clean_regions(out, float("inf"))


def _clean_regions(speech: Sequence[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
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


def _as_mono16k(audio: np.ndarray, sr: int) -> np.ndarray:
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 2:
        a = a.mean(axis=0 if a.shape[0] <= 8 else 1)
    a = a.reshape(-1)
    if sr != SR and len(a):
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(int(sr), SR)
        a = resample_poly(a, SR // g, int(sr) // g).astype(np.float32)
    if not np.all(np.isfinite(a)):
        a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
    return a


# --------------------------------------------------------------------------- embedding

@dataclass
class _Windows:
    start: np.ndarray  # first mel frame (absolute)
    end: np.ndarray  # one past the last frame
    region: np.ndarray  # index of the speech region
    emb: np.ndarray  # (n, 256) L2-normalised


def _window_spans(regions_f: list[tuple[int, int]], cfg: DiarizeConfig) -> tuple[list[int], list[int], list[int]]:
    W = int(round(cfg.window * FPS))
    H = max(1, int(round(cfg.hop * FPS)))
    Wmin = int(round(cfg.min_window * FPS))
    starts, ends, reg = [], [], []
    for r, (a, b) in enumerate(regions_f):
        L = b - a
        if L >= W:
            ss = list(range(a, b - W + 1, H))
            if ss[-1] != b - W:
                ss.append(b - W)
            for s in ss:
                starts.append(s), ends.append(s + W), reg.append(r)
        else:
            if L < Wmin:  # too short on its own: widen symmetrically (mostly silence around it)
                c = (a + b) // 2
                a, b = max(0, c - Wmin // 2), c - Wmin // 2 + Wmin
            starts.append(a), ends.append(b), reg.append(r)
    return starts, ends, reg


def _embed(mel: np.ndarray, fpow: np.ndarray, starts: list[int], ends: list[int], cfg: DiarizeConfig,
           progress: Callable[[float], None] | None, p0: float, p1: float, batch: int = 128) -> np.ndarray:
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence

    enc = _get_encoder()
    n = len(starts)
    out = np.zeros((n, 256), np.float32)
    lengths = np.array(ends) - np.array(starts)
    order = np.argsort(-lengths, kind="stable")
    target = 10 ** (-30 / 10)  # Resemblyzer was trained on speech at -30 dBFS (mean square)
    with torch.inference_mode():
        for bi in range(0, n, batch):
            idx = order[bi: bi + batch]
            T = int(lengths[idx[0]])
            x = np.zeros((len(idx), T, N_MELS), np.float32)
            for j, k in enumerate(idx):
                m = mel[starts[k]: ends[k]]
                if cfg.normalize == "window":  # mel power scales with the gain squared
                    m = m * (target / max(float(fpow[starts[k]: ends[k]].mean()), 1e-10))
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


# --------------------------------------------------------------------------- clustering

def _normalize_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8)


def _centroids(emb: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    c = np.stack([emb[labels == j].mean(axis=0) if np.any(labels == j) else np.zeros(emb.shape[1]) for j in range(k)])
    return _normalize_rows(c)


def _kmeans(emb: np.ndarray, labels: np.ndarray, k: int, iters: int = 10) -> np.ndarray:
    for _ in range(iters):
        c = _centroids(emb, labels, k)
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


def _cluster(emb: np.ndarray, weights: np.ndarray, num_speakers: int | None, kmin: int, kmax: int,
             cfg: DiarizeConfig, info: dict) -> np.ndarray:
    """Centroids (k, 256) of the speakers found among window embeddings.

    weights: seconds of speech each window stands for.
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
        labels = np.argmax(emb @ _centroids(emb[sub], lab_sub, kk).T, axis=1)
        labels = _kmeans(emb, labels, kk)
    labels, k = _relabel(labels)
    total = float(weights.sum())
    min_secs = max(cfg.min_seconds, cfg.min_share * total)
    merges = []
    while k > 1:
        c = _centroids(emb, labels, k)
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
    c = _centroids(emb, labels, k)
    info["centroid_similarity"] = (c @ c.T).round(3).tolist()
    info["speaker_seconds"] = [round(float(weights[labels == j].sum()), 1) for j in range(k)]
    info["merges"] = merges
    return c


# --------------------------------------------------------------------------- smoothing

def _viterbi(scores: np.ndarray, penalties: np.ndarray) -> np.ndarray:
    """Best label path; scores (T, k) log-scores, penalties (T,) cost of switching into cell t."""
    T, k = scores.shape
    if k == 1:
        return np.zeros(T, int)
    back = np.zeros((T, k), np.int32)
    acc = scores[0].copy()
    eye = np.eye(k, dtype=bool)
    for t in range(1, T):
        trans = acc[:, None] - np.where(eye, 0.0, penalties[t])  # from i (rows) to j (cols)
        back[t] = np.argmax(trans, axis=0)
        acc = trans[back[t], np.arange(k)] + scores[t]
    path = np.zeros(T, int)
    path[-1] = int(np.argmax(acc))
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


# --------------------------------------------------------------------------- main

def diarize(
    audio: np.ndarray,
    sr: int = 16000,
    speech: list[tuple[float, float]] | None = None,
    num_speakers: int | None = None,
    min_speakers: int = 1,
    max_speakers: int = 4,
    progress: Callable[[float], None] | None = None,
    *,
    config: DiarizeConfig | None = None,
    threads: int | None = None,
    info: dict | None = None,
) -> list[Turn]:
    """Who speaks when in a mono recording.

    audio: float32 samples (mono; 2-D input is averaged), sample rate ``sr`` (resampled to 16 kHz).
    speech: speech regions in seconds (e.g. from ASR word times); None = detect with webrtcvad.
    num_speakers: fixed count, or None to choose between min_speakers and max_speakers.
    progress: called with the fraction done (0..1).
    info: if a dict is given, diagnostics are written into it (speaker similarities, timings).
    Returns time-ordered, non-overlapping turns with ids "S1", "S2", ... by first appearance.
    """
    cfg = config or DEFAULT_CONFIG
    info = info if info is not None else {}
    if num_speakers is not None and num_speakers < 1:
        raise ValueError("num_speakers must be at least 1")
    if min_speakers < 1 or max_speakers < min_speakers:
        raise ValueError("need 1 <= min_speakers <= max_speakers")
    if progress:
        progress(0.0)
    a = _as_mono16k(audio, sr)
    duration = len(a) / SR
    with _thread_limit(threads or _default_threads()):
        if speech is not None:
            regions = _clean_regions(speech, duration)
        else:
            regions = _clean_regions([(s - cfg.vad_pad, e + cfg.vad_pad) for s, e in detect_speech(a)], duration)
        regions = [(s, e) for s, e in regions if e - s >= 0.05]
        info["speech_seconds"] = round(sum(e - s for s, e in regions), 2)
        if not regions:
            if progress:
                progress(1.0)
            return []
        turns = _diarize_regions(a, regions, num_speakers, min_speakers, max_speakers, cfg, progress, info)
    if progress:
        progress(1.0)
    return turns


def _diarize_regions(a, regions, num_speakers, kmin, kmax, cfg, progress, info) -> list[Turn]:
    n_frames = len(a) // HOP_SAMPLES + 1
    to_f = lambda s, e: (int(s * FPS), max(int(s * FPS) + 1, min(n_frames, int(np.ceil(e * FPS)))))  # noqa: E731
    regions_f = [to_f(s, e) for s, e in regions]
    # Embedding windows never straddle a pause: a speaker change is likeliest there, and a
    # window holding two voices embeds as neither.
    wregions = _split_at_pauses(a, regions, cfg.split_pause) if cfg.split_pause > 0 else regions
    wregions_f = [to_f(s, e) for s, e in wregions]
    starts, ends, reg = _window_spans(wregions_f, cfg)
    starts = [max(0, s) for s in starts]
    ends = [min(n_frames, e) for e in ends]
    # Mel frames of the union of windows only.
    mel = np.zeros((n_frames, N_MELS), np.float32)
    spans = _clean_regions([(s, e) for s, e in zip(starts, ends)], float(n_frames))
    for s, e in spans:
        mel[int(s): int(e)] = mel_frames(a, int(s), int(e))
    # Mean square of the signal per mel hop (for loudness normalisation).
    fpow = np.zeros(n_frames, np.float32)
    p = frame_power(a, HOP_SAMPLES)
    fpow[: len(p)] = p
    if cfg.normalize == "file":
        speech_mask = np.zeros(n_frames, bool)
        for s, e in regions_f:
            speech_mask[s:e] = True
        mel *= 10 ** (-30 / 10) / max(float(fpow[speech_mask].mean()), 1e-10)
    if progress:
        progress(0.05)
    emb = _embed(mel, fpow, starts, ends, cfg, progress, 0.05, 0.85)
    st, en, rg = np.array(starts), np.array(ends), np.array(reg)
    lengths = (en - st) / FPS
    full = lengths >= min(1.0, cfg.window)
    if full.sum() < 2:
        full = np.ones(len(emb), bool)
    # Clustering weight of a window: the seconds of its region's speech it stands for.
    per_region = np.bincount(rg, minlength=len(wregions_f))
    reg_len = np.array([(e - s) / FPS for s, e in wregions_f])
    weights = (reg_len[rg] / np.maximum(per_region[rg], 1))[full]
    C = _cluster(emb[full], weights, num_speakers, kmin, kmax, cfg, info)
    k = len(C)
    if progress:
        progress(0.9)
    # Per-frame mean similarity of covering windows -> cells -> Viterbi.
    S = emb @ C.T  # (n, k)
    acc = np.zeros((n_frames + 1, k), np.float64)
    cnt = np.zeros(n_frames + 1, np.float64)
    np.add.at(acc, st, S)
    np.add.at(acc, en, -S)
    np.add.at(cnt, st, 1.0)
    np.add.at(cnt, en, -1.0)
    acc = np.cumsum(acc, axis=0)[:n_frames]
    cnt = np.cumsum(cnt)[:n_frames]
    cells: list[tuple[int, int, int]] = []  # (frame start, frame end, region)
    for r, (s, e) in enumerate(regions_f):
        for c0 in range(s, e, CELL):
            cells.append((c0, min(e, c0 + CELL), r))
    sc = np.zeros((len(cells), k))
    for i, (c0, c1, _) in enumerate(cells):
        n = cnt[c0:c1].sum()
        sc[i] = acc[c0:c1].sum(axis=0) / n if n > 0 else 0.0
    # Which pause-free piece each cell is in (-1: a pause inside a region).
    piece = np.full(n_frames + 1, -1)
    for i, (s, e) in enumerate(wregions_f):
        piece[s:e] = i
    pen = np.full(len(cells), cfg.switch_penalty)
    for i in range(1, len(cells)):
        if cells[i][2] != cells[i - 1][2] or piece[cells[i][0]] != piece[cells[i - 1][1] - 1] \
                or piece[cells[i][0]] < 0:
            pen[i] = cfg.gap_switch_penalty
    path = _viterbi(sc / cfg.temperature, pen)
    # Cells -> turns.
    raw: list[list] = []
    for (c0, c1, _), lab in zip(cells, path):
        s, e = c0 / FPS, c1 / FPS
        if raw and raw[-1][2] == lab and s - raw[-1][1] <= cfg.fill_gap + 1e-9:
            raw[-1][1] = e
        else:
            raw.append([s, e, int(lab)])
    # Name speakers by first appearance (times are on the 10 ms frame grid of the regions).
    names: dict[int, str] = {}
    turns = []
    for s, e, lab in raw:
        names.setdefault(lab, f"S{len(names) + 1}")
        turns.append(Turn(round(s, 3), round(e, 3), names[lab]))
    info["num_speakers"] = len(names)
    info["windows"] = int(len(emb))
    return turns


# --------------------------------------------------------------------------- words

def assign_words(words: list[Word], turns: list[Turn]) -> list[Word]:
    """Set each word's ``speaker`` to the turn it overlaps most (the nearest turn if none).

    Words are updated in place and returned (same order). With no turns, words are unchanged.
    """
    if not turns:
        return list(words)
    ts = sorted(turns, key=lambda t: (t.start, t.end))
    starts = np.array([t.start for t in ts])
    ends = np.array([t.end for t in ts])
    max_end = np.maximum.accumulate(ends)
    for w in words:
        ws, we = float(w.start), float(max(w.end, w.start))
        # Candidate turns: those starting before the word ends and ending after it starts.
        hi = int(np.searchsorted(starts, we, side="right"))
        lo = int(np.searchsorted(max_end, ws, side="left"))
        best, best_ov = None, 0.0
        for i in range(lo, hi):
            ov = min(we, ends[i]) - max(ws, starts[i])
            if ov > best_ov or (best is None and ov >= 0 and we == ws and starts[i] <= ws <= ends[i]):
                best, best_ov = i, max(ov, 0.0)
        if best is None:
            mid = (ws + we) / 2
            dist = np.maximum(0.0, np.maximum(starts - mid, mid - ends))
            best = int(np.argmin(dist))
        w.speaker = ts[best].speaker
    return list(words)


def split_by_speaker(words: list[Word], max_gap: float = 1.2) -> list[Utterance]:
    """Group time-ordered words into utterances at speaker changes and pauses > max_gap.

    Words without a speaker take the previous word's speaker (or "S1").
    """
    utts: list[Utterance] = []
    run: list[Word] = []
    cur: str | None = None
    for w in sorted(words, key=lambda w: (w.start, w.end)):
        spk = w.speaker or cur or "S1"
        if run and spk != cur:
            utts.extend(group_words(run, cur, max_gap=max_gap))
            run = []
        run.append(w)
        cur = spk
    if run:
        utts.extend(group_words(run, cur, max_gap=max_gap))
    return utts


def with_config(**kw) -> DiarizeConfig:
    """A copy of the default config with some fields changed (benchmarks, experiments)."""
    return replace(DEFAULT_CONFIG, **kw)
