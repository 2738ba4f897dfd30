"""Signal front end shared by voice activity, speaker embedding and the overlap detector.

16 kHz mono float32 in; a 40-band power mel spectrogram on a 10 ms hop (Resemblyzer's front
end, numpy, identical to its librosa call) and the mean square of fixed frames out.
"""
from __future__ import annotations

import numpy as np

SR = 16000
HOP_SAMPLES = 160  # 10 ms mel hop (Resemblyzer)
N_FFT = 400  # 25 ms window
N_MELS = 40
FPS = SR // HOP_SAMPLES  # mel frames per second


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


def hop_power(audio: np.ndarray) -> np.ndarray:
    """Mean square of the signal per 10 ms mel hop, one value per mel frame (the last, partial
    hop is 0), float32: the loudness the embedding normalises by."""
    n_frames = len(audio) // HOP_SAMPLES + 1
    out = np.zeros(n_frames, np.float32)
    p = frame_power(audio, HOP_SAMPLES)
    out[: len(p)] = p
    return out


def as_mono16k(audio: np.ndarray, sr: int) -> np.ndarray:
    """float32 mono at 16 kHz: 2-D input averaged over channels, other rates resampled,
    non-finite samples zeroed."""
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
