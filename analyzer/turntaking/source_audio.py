"""The visit's recording as turn-taking reads it: the samples the runner decoded once for the
whole analysis (multichannel word edges, mono double talk), or the reason there are none (a
transcript file; a stored transcript whose recording retention deleted) for the report to say."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class SourceAudio:
    samples: np.ndarray | None  # [channels, n] float32 at 16 kHz, or None
    status: str  # "used", or why there is no audio

    @classmethod
    def of(cls, audio, status: str = "used") -> "SourceAudio":
        """From the runner's decoded ``analyzer.speech.audio.Audio`` (None: ``status`` says why)."""
        if audio is None:
            return cls(None, status if status != "used" else "no audio")
        x = audio.samples if audio.samples.ndim == 2 else audio.samples[None, :]
        return cls(np.asarray(x, np.float32), "used")

    @classmethod
    def none(cls, t) -> "SourceAudio":
        return cls(None, "recording not given" if t.source.is_audio else "no audio")

    @classmethod
    def from_file(cls, path: str | Path) -> "SourceAudio":
        """Decode a recording (benchmarks and tests that start from a saved transcript)."""
        if not Path(path).is_file():
            return cls(None, "audio file not available")
        try:
            from ..speech.audio import load_audio

            return cls.of(load_audio(path, check_silence=False))
        except Exception as e:  # noqa: BLE001 - the stage still gives everything else
            return cls(None, f"failed: {type(e).__name__}: {e}")

    def mix(self) -> tuple[np.ndarray | None, str]:
        """(one mono signal, status)."""
        if self.samples is None:
            return None, self.status
        return self.samples.mean(axis=0).astype(np.float32), self.status
