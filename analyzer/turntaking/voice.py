"""Mono: whose voice is heard around a double-talk region (Resemblyzer d-vectors).

The diarized transcript often gives an interrupter's first words to the other speaker, so
who cut in is judged from the voice as well: each speaker's centroid is the mean embedding of
1.5 s windows inside that speaker's transcript segments away from any double talk, and a
slice of audio (e.g. the 1.5 s before a region) is compared with the centroids. Uses the
diarizer's mel front end and encoder (``analyzer.speech.diarize``, read-only; one torch thread),
so transcripts are not changed.
"""
from __future__ import annotations

import numpy as np

WINDOW_S = 1.5  # s, as the diarizer
CENTROID_HOP_S = 0.5  # s between centroid windows
CLEAR_OF_S = 0.3  # s; centroid windows stay this far from any double talk
MAX_WINDOWS = 400  # most centroid windows embedded (~10 s on one thread)
MIN_WINDOWS = 3  # a speaker needs this many clean windows for a centroid


class VoiceJudge:
    """Speaker centroids of one recording and similarity of any slice to them."""

    def __init__(self, samples: np.ndarray, segments: dict[str, list[tuple[float, float]]],
                 avoid: list[tuple[float, float]]):
        from ..speech.embedding import thread_limit
        from ..speech.features import FPS, HOP_SAMPLES, frame_power, mel_frames

        self.x = np.asarray(samples, np.float32)
        self.fps = FPS
        self.n = len(self.x) // HOP_SAMPLES + 1
        self.mel = mel_frames(self.x)
        fp = frame_power(self.x, HOP_SAMPLES)
        self.fpow = np.zeros(self.n, np.float32)
        self.fpow[: len(fp)] = fp
        self._limit = thread_limit
        bad = sorted((a - CLEAR_OF_S, b + CLEAR_OF_S) for a, b in avoid)
        spans, owner = [], []
        for sid, segs in segments.items():
            for a, b in segs:
                t = a
                while t + WINDOW_S <= b + 1e-6:
                    if not any(x < t + WINDOW_S and t < y for x, y in bad):
                        spans.append((t, t + WINDOW_S))
                        owner.append(sid)
                    t += CENTROID_HOP_S
        if len(spans) > MAX_WINDOWS:  # long visits: an even subset is enough for a mean
            keep = np.linspace(0, len(spans) - 1, MAX_WINDOWS).round().astype(int)
            spans, owner = [spans[i] for i in keep], [owner[i] for i in keep]
        self.centroids: dict[str, np.ndarray] = {}
        self.speech_power = float(np.median(np.concatenate(
            [self.fpow[int(a * FPS): int(b * FPS)] for a, b in spans]))) if spans else 0.0
        if spans:
            emb = self.embed(spans)
            for sid in segments:
                rows = emb[[i for i, o in enumerate(owner) if o == sid]]
                if len(rows) >= MIN_WINDOWS:
                    c = rows.mean(axis=0)
                    self.centroids[sid] = c / max(float(np.linalg.norm(c)), 1e-8)

    def embed(self, spans: list[tuple[float, float]]) -> np.ndarray:
        from ..speech.embedding import embed_frames

        starts = [max(0, min(self.n - 1, int(round(a * self.fps)))) for a, _ in spans]
        ends = [max(s + 1, min(self.n, int(round(b * self.fps)))) for s, (_, b) in zip(starts, spans)]
        with self._limit(1):
            return embed_frames(self.mel, self.fpow, starts, ends)

    def voiced(self, a: float, b: float) -> float:
        """Share of the 10 ms frames in [a, b] no more than 13 dB below the median level of
        the speakers' clean speech (someone is talking there)."""
        f = self.fpow[max(0, int(a * self.fps)): max(0, int(b * self.fps))]
        return float((f >= 0.05 * self.speech_power).mean()) if len(f) and self.speech_power > 0 else 0.0

    def similarity(self, spans: list[tuple[float, float]]) -> list[dict[str, float]]:
        """Cosine similarity of each slice to each speaker centroid."""
        if not self.centroids or not spans:
            return [{} for _ in spans]
        emb = self.embed(spans)
        return [{sid: float(e @ c) for sid, c in self.centroids.items()} for e in emb]
