"""Speaker diarization of a mono recording: who speaks when.

API: ``diarize(audio, sr, speech=None, num_speakers=None, min_speakers=1, max_speakers=4,
progress=None) -> Diarization`` (turns, each speaker's centroid embedding, diagnostics);
words are given to the turns by ``words.assign_words``.

Method (CPU only):

1. Speech: the caller's regions (ASR word spans) or ``vad.detect_speech``, padded 0.1 s.
   For embedding, regions are further cut wherever the VAD hears a pause >= 0.2 s, so no
   window straddles a pause (the likeliest place for a change of speaker).
2. Embeddings (``embedding``): Resemblyzer d-vectors of 1.5 s windows every 0.25 s, each
   window scaled to -30 dBFS. Shorter pieces get one window of their own length.
3. Clustering (``clustering``) of the >= 1 s windows into speakers: over-cluster, then fold
   small clusters, merge alike ones and dissolve blends until one voice is one speaker.
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
~90 % of it); torch/BLAS threads as ``embedding.thread_limit``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np

from .clustering import cluster_speakers
from .embedding import TARGET_POWER, default_threads, embed_frames, thread_limit
from .features import FPS, HOP_SAMPLES, N_MELS, SR, as_mono16k, hop_power, mel_frames
from .vad import clean_regions, detect_speech, split_at_pauses

CELL = 10  # frames per smoothing cell (0.1 s)

__all__ = ["Turn", "Diarization", "DiarizeConfig", "diarize", "with_config"]


@dataclass
class Turn:
    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Diarization:
    """Who speaks when, and the voice of each speaker it was decided by."""

    turns: list[Turn] = field(default_factory=list)  # time-ordered, non-overlapping
    # Speaker id -> unit-length mean embedding (256,) of the windows clustered as that speaker
    # (``embedding``): a stretch of the recording embedded with ``embedding.SpeakerEmbedder``
    # is compared with a speaker by dot product, without embedding the speaker again.
    # Kept in memory only: a voiceprint is not written into any saved analysis.
    centroids: dict[str, np.ndarray] = field(default_factory=dict)
    # Diagnostics: speech_seconds, centroid_similarity, speaker_seconds, merges, num_speakers, windows.
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def speakers(self) -> list[str]:
        """Speaker ids in order of first appearance ("S1", "S2", ...)."""
        return list(dict.fromkeys(t.speaker for t in self.turns))


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
) -> Diarization:
    """Who speaks when in a mono recording.

    audio: float32 samples (mono; 2-D input is averaged), sample rate ``sr`` (resampled to 16 kHz).
    speech: speech regions in seconds (e.g. from ASR word times); None = detect with webrtcvad.
    num_speakers: fixed count, or None to choose between min_speakers and max_speakers.
    progress: called with the fraction done (0..1).
    Returns time-ordered, non-overlapping turns with ids "S1", "S2", ... by first appearance,
    each speaker's centroid and diagnostics (``Diarization``); no speech: no turns.
    """
    cfg = config or DEFAULT_CONFIG
    result = Diarization()
    info = result.info
    if num_speakers is not None and num_speakers < 1:
        raise ValueError("num_speakers must be at least 1")
    if min_speakers < 1 or max_speakers < min_speakers:
        raise ValueError("need 1 <= min_speakers <= max_speakers")
    if progress:
        progress(0.0)
    a = as_mono16k(audio, sr)
    duration = len(a) / SR
    with thread_limit(threads or default_threads()):
        if speech is not None:
            regions = clean_regions(speech, duration)
        else:
            regions = clean_regions([(s - cfg.vad_pad, e + cfg.vad_pad) for s, e in detect_speech(a)], duration)
        regions = [(s, e) for s, e in regions if e - s >= 0.05]
        info["speech_seconds"] = round(sum(e - s for s, e in regions), 2)
        if not regions:
            if progress:
                progress(1.0)
            return result
        result.turns, result.centroids = _diarize_regions(a, regions, num_speakers, min_speakers, max_speakers, cfg,
                                                          progress, info)
    if progress:
        progress(1.0)
    return result


def _diarize_regions(a, regions, num_speakers, kmin, kmax, cfg, progress,
                     info) -> tuple[list[Turn], dict[str, np.ndarray]]:
    n_frames = len(a) // HOP_SAMPLES + 1
    to_f = lambda s, e: (int(s * FPS), max(int(s * FPS) + 1, min(n_frames, int(np.ceil(e * FPS)))))  # noqa: E731
    regions_f = [to_f(s, e) for s, e in regions]
    # Embedding windows never straddle a pause: a speaker change is likeliest there, and a
    # window holding two voices embeds as neither.
    wregions = split_at_pauses(a, regions, cfg.split_pause) if cfg.split_pause > 0 else regions
    wregions_f = [to_f(s, e) for s, e in wregions]
    starts, ends, reg = _window_spans(wregions_f, cfg)
    starts = [max(0, s) for s in starts]
    ends = [min(n_frames, e) for e in ends]
    # Mel frames of the union of windows only.
    mel = np.zeros((n_frames, N_MELS), np.float32)
    spans = clean_regions([(s, e) for s, e in zip(starts, ends)], float(n_frames))
    for s, e in spans:
        mel[int(s): int(e)] = mel_frames(a, int(s), int(e))
    fpow = hop_power(a)  # for loudness normalisation
    if cfg.normalize == "file":
        speech_mask = np.zeros(n_frames, bool)
        for s, e in regions_f:
            speech_mask[s:e] = True
        mel *= TARGET_POWER / max(float(fpow[speech_mask].mean()), 1e-10)
    if progress:
        progress(0.05)
    emb = embed_frames(mel, fpow, starts, ends, normalize=cfg.normalize, progress=progress, p0=0.05, p1=0.85)
    st, en, rg = np.array(starts), np.array(ends), np.array(reg)
    lengths = (en - st) / FPS
    full = lengths >= min(1.0, cfg.window)
    if full.sum() < 2:
        full = np.ones(len(emb), bool)
    # Clustering weight of a window: the seconds of its region's speech it stands for.
    per_region = np.bincount(rg, minlength=len(wregions_f))
    reg_len = np.array([(e - s) / FPS for s, e in wregions_f])
    weights = (reg_len[rg] / np.maximum(per_region[rg], 1))[full]
    C = cluster_speakers(emb[full], weights, num_speakers, kmin, kmax, cfg, info)
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
    return turns, {name: C[lab].astype(np.float32) for lab, name in names.items()}


def with_config(**kw) -> DiarizeConfig:
    """A copy of the default config with some fields changed (benchmarks, experiments)."""
    return replace(DEFAULT_CONFIG, **kw)
