"""Decode and check a recording before any work starts.

PyAV (FFmpeg, as faster-whisper uses) reads wav, flac, mp3, m4a/aac, ogg/opus, webm and the
audio track of mp4, any channel count and sample rate. Every check that can fail does so here,
with one plain sentence, so no later stage ever sees unusable audio.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

SAMPLE_RATE = 16000
DEFAULT_MAX_HOURS = 3.0
AUDIO_EXTENSIONS = {
    ".wav", ".wave", ".flac", ".mp3", ".m4a", ".aac", ".mp4", ".m4v", ".mov", ".ogg", ".oga",
    ".opus", ".webm", ".mka", ".mkv", ".wma", ".aif", ".aiff", ".3gp", ".amr",
}
# Loudest 100 ms window below this is "silence": room tone of a quiet recording is about
# -60..-50 dBFS, quiet speech on a far microphone still peaks above -40 dBFS.
SILENCE_DBFS = -45.0


@dataclass
class AudioInfo:
    path: str
    container: str
    codec: str
    channels: int
    sample_rate: int
    duration: float | None  # seconds, from the container header (may be missing)


@dataclass
class Audio:
    """Decoded audio: float32 samples shaped (channels, n) at SAMPLE_RATE."""

    info: AudioInfo
    samples: np.ndarray
    sample_rate: int = SAMPLE_RATE
    notes: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / self.sample_rate

    @property
    def channels(self) -> int:
        return self.samples.shape[0]

    def mono(self) -> np.ndarray:
        return self.samples.mean(axis=0).astype(np.float32) if self.channels > 1 else self.samples[0]


def probe(path: str | Path, max_hours: float = DEFAULT_MAX_HOURS) -> AudioInfo:
    """Open the file and read its header; raise InputError for anything unusable."""
    import av

    p = Path(path)
    if not p.exists():
        raise InputError(p, "file not found")
    if p.is_dir():
        raise InputError(p, "is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise InputError(p, "file is empty (0 bytes)")
    try:
        with av.open(str(p), metadata_errors="ignore") as container:
            streams = container.streams.audio
            if not streams:
                kinds = sorted({s.type for s in container.streams}) or ["none"]
                raise InputError(p, f"has no audio stream (streams found: {', '.join(kinds)})")
            s = streams[0]
            duration = None
            if s.duration is not None and s.time_base is not None:
                duration = float(s.duration * s.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            info = AudioInfo(
                path=str(p), container=container.format.name, codec=s.codec_context.name,
                channels=s.codec_context.channels or 1, sample_rate=s.codec_context.sample_rate or 0,
                duration=duration,
            )
    except InputError:
        raise
    except Exception as e:  # av raises many error types for non-media / corrupt files
        raise InputError(p, f"cannot be read as audio: not a supported media file or corrupt ({_short(e)})") from None
    _check_length(p, info.duration, max_hours)
    return info


def load_audio(path: str | Path, max_hours: float = DEFAULT_MAX_HOURS, check_silence: bool = True) -> Audio:
    """Decode every channel, resampled to 16 kHz float32. Raises InputError on bad input."""
    import av

    info = probe(path, max_hours)
    p = Path(path)
    max_samples = int(max_hours * 3600 * SAMPLE_RATE) + SAMPLE_RATE
    chunks: list[np.ndarray] = []
    total = 0
    channels = info.channels
    try:
        with av.open(str(p), metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            layout = stream.layout.name if stream.layout is not None else None
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
            for frame in _frames(container, stream):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray()
                    chunks.append(arr)
                    total += arr.shape[1]
                # Headers can lie (or be absent); enforce the limit on what is decoded.
                if total > max_samples:
                    _check_length(p, total / SAMPLE_RATE, max_hours)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
    except InputError:
        raise
    except Exception as e:
        raise InputError(p, f"audio stream could not be decoded: corrupt or truncated ({_short(e)})") from None
    if not chunks or sum(c.shape[1] for c in chunks) == 0:
        raise InputError(p, "contains no audio samples")
    samples = np.concatenate(chunks, axis=1).astype(np.float32, copy=False)
    channels = samples.shape[0]
    info.channels = channels
    audio = Audio(info=info, samples=samples)
    if audio.duration < 0.5:
        raise InputError(p, f"is too short to analyse ({audio.duration:.2f} s of audio)")
    if check_silence:
        level = loudest_window_dbfs(audio.samples)
        if level < SILENCE_DBFS:
            raise InputError(p, f"is silent: no sound above {SILENCE_DBFS:.0f} dBFS (loudest part {level:.0f} dBFS)")
    return audio


def _frames(container, stream):
    """Decode frames, skipping isolated corrupt packets the way ffmpeg does."""
    import av

    bad = 0
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            bad += 1
            if bad > 50:
                raise


def loudest_window_dbfs(samples: np.ndarray, sr: int = SAMPLE_RATE, window: float = 0.1) -> float:
    """Level of the loudest `window`-second stretch, in dB relative to full scale."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    n = int(sr * window)
    best = 0.0
    for ch in x:
        m = len(ch) // n
        if m == 0:
            rms = float(np.sqrt(np.mean(ch**2))) if len(ch) else 0.0
        else:
            rms = float(np.sqrt((ch[: m * n].reshape(m, n) ** 2).mean(axis=1)).max())
        best = max(best, rms)
    return 20 * math.log10(best) if best > 0 else -math.inf


def channel_levels_dbfs(samples: np.ndarray) -> list[float]:
    return [loudest_window_dbfs(ch) for ch in samples]


def _check_length(p: Path, seconds: float | None, max_hours: float) -> None:
    if seconds is not None and seconds > max_hours * 3600:
        raise InputError(
            p, f"is {seconds / 3600:.1f} h long; the limit is {max_hours:g} h (raise it with --max-hours)"
        )


def _short(e: Exception) -> str:
    msg = str(e).strip() or type(e).__name__
    return msg.splitlines()[0][:160]


def is_audio_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS
