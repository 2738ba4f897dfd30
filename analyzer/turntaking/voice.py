"""Mono: whose voice is heard around a double-talk region (speaker embeddings).

The diarized transcript often gives an interrupter's first words to the other speaker, so
who cut in is judged from the voice as well: a slice of audio (e.g. the 1.5 s before a region)
is embedded with the diarizer's speaker embedding (``analyzer.speech.embedding``, one torch
thread) and compared with each speaker's centroid. The centroids are the diarizer's own when
the caller has them (``analyzer.speech.diarize.Diarization.centroids``, keyed by the same
speaker ids as the transcript it made); otherwise each is the mean embedding of 1.5 s windows
inside that speaker's transcript segments away from any double talk. Transcripts are not changed.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..speech.embedding import SpeakerEmbedder

WINDOW_S = 1.5  # s, as the diarizer
CENTROID_HOP_S = 0.5  # s between centroid windows
CLEAR_OF_S = 0.3  # s; centroid windows stay this far from any double talk
MAX_WINDOWS = 400  # most centroid windows embedded (~10 s on one thread)
MIN_WINDOWS = 3  # a speaker needs this many clean windows for a centroid


class VoiceJudge:
    """Speaker centroids of one recording and similarity of any slice to them.

    samples: 16 kHz mono float32; segments: speaker id -> that speaker's (start, end) in the
    transcript; avoid: double-talk regions. centroids: speaker id -> unit-length embedding
    (the diarizer's), used when it has every speaker of ``segments``; otherwise the centroids
    are embedded from the segments.
    """

    def __init__(self, samples: np.ndarray, segments: dict[str, list[tuple[float, float]]],
                 avoid: list[tuple[float, float]], centroids: Mapping[str, np.ndarray] | None = None):
        self.embedder = SpeakerEmbedder(samples)
        self.fps = self.embedder.fps
        self.fpow = self.embedder.frame_power
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
            [self.fpow[int(a * self.fps): int(b * self.fps)] for a, b in spans]))) if spans else 0.0
        self.centroid_source = "none"
        if centroids is not None and segments and all(sid in centroids for sid in segments):
            for sid in segments:
                c = np.asarray(centroids[sid], np.float32)
                self.centroids[sid] = c / max(float(np.linalg.norm(c)), 1e-8)
            self.centroid_source = "diarizer"
        elif spans:
            emb = self.embed(spans)
            for sid in segments:
                rows = emb[[i for i, o in enumerate(owner) if o == sid]]
                if len(rows) >= MIN_WINDOWS:
                    c = rows.mean(axis=0)
                    self.centroids[sid] = c / max(float(np.linalg.norm(c)), 1e-8)
            self.centroid_source = "transcript"

    def embed(self, spans: list[tuple[float, float]]) -> np.ndarray:
        return self.embedder.embed(spans, threads=1)

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
