"""Quick tests of benchmarks/synth.py (a few seconds; espeak-ng, sox and ffmpeg/PyAV)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not an installed package
from benchmarks import synth  # noqa: E402

SR = 16000

needs_tools = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("sox")), reason="espeak-ng and sox are needed"
)


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_TTS_CACHE", str(tmp_path / "tts"))


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2))) if len(x) else 0.0


@needs_tools
def test_synthesize_is_float_mono_and_cached(tmp_path):
    a = synth.synthesize("Good morning, how are you feeling today?", "espeak_f", SR)
    assert a.dtype == np.float32 and a.ndim == 1
    assert 0.5 * SR < len(a) < 6 * SR
    assert np.max(np.abs(a)) <= 1.0 and _rms(a) > 0.01
    assert list((tmp_path / "tts").rglob("*.npy")), "clip was not cached"
    b = synth.synthesize("Good morning, how are you feeling today?", "espeak_f", SR)
    assert np.array_equal(a, b)


def test_unknown_voice():
    with pytest.raises(ValueError):
        synth.synthesize("hello", "nobody", SR)


@needs_tools
@pytest.mark.parametrize("seconds", [1.0, 2.5, 4.0, 9.0])
def test_fit_to_interval_hits_target_length(seconds):
    a = synth.synthesize("I have been tired every single day for three months.", "espeak_m", SR)
    out = synth.fit_to_interval(a, seconds, SR)
    assert out.dtype == np.float32
    assert len(out) == round(seconds * SR)
    assert _rms(out[: int(0.5 * SR)]) > 0.005  # speech starts at the start


@needs_tools
def test_fit_to_interval_stretches_within_limits():
    a = synth.synthesize("Any chest pain, any fever, do you smoke?", "espeak_f", SR)
    n = len(a)
    # Asking for 1.5x the natural length: real stretch, so speech reaches near the end.
    out = synth.fit_to_interval(a, 1.5 * n / SR, SR)
    tail = out[int(0.85 * len(out)): int(0.97 * len(out))]
    assert _rms(tail) > 0.003
    # Asking for 4x: clamped to 2x, rest is padded silence.
    out = synth.fit_to_interval(a, 4 * n / SR, SR)
    assert len(out) == 4 * n
    assert _rms(out[int(2.3 * n):]) < 1e-4


@needs_tools
def test_render_timeline_keeps_overlap():
    utts = [
        ("patient", 0.0, 3.0, "I have been having these headaches every morning and"),
        ("clinician", 1.5, 3.5, "Any chest pain at all?"),
    ]
    tracks = synth.render_timeline(utts, {"patient": "espeak_f", "clinician": "espeak_m"}, SR)
    assert set(tracks) == {"patient", "clinician"}
    lens = {len(t) for t in tracks.values()}
    assert len(lens) == 1 and lens.pop() >= int(3.5 * SR)
    # Before 1.5 s only the patient speaks.
    assert _rms(tracks["clinician"][: int(1.4 * SR)]) < 1e-5
    assert _rms(tracks["patient"][: int(1.4 * SR)]) > 0.01
    # Both are audible in the overlapping window 1.8-2.8 s.
    w = slice(int(1.8 * SR), int(2.8 * SR))
    assert _rms(tracks["patient"][w]) > 0.01
    assert _rms(tracks["clinician"][w]) > 0.01
    # After 3.0 s the patient is silent (stretched/trimmed to its interval).
    assert _rms(tracks["patient"][int(3.05 * SR):]) < 1e-5


@needs_tools
def test_render_timeline_validates():
    with pytest.raises(ValueError):
        synth.render_timeline([("x", 0.0, 1.0, "hi")], {"y": "espeak_f"}, SR)
    with pytest.raises(ValueError):
        synth.render_timeline([("x", 2.0, 1.0, "hi")], {"x": "espeak_f"}, SR)


@pytest.mark.parametrize("ext", [".wav", ".ogg", ".flac", ".mp3"])
@pytest.mark.parametrize("channels", [1, 2])
def test_write_read_round_trip(tmp_path, ext, channels):
    if not shutil.which("ffmpeg"):
        pytest.skip("ffmpeg is needed")
    t = np.arange(SR) / SR
    tracks = [0.3 * np.sin(2 * np.pi * 220 * (c + 1) * t).astype(np.float32) for c in range(channels)]
    path = synth.write_audio(tmp_path / f"x{ext}", tracks if channels > 1 else tracks[0], SR)
    data, sr = synth.read_audio(path, sr=SR)
    assert data.shape[0] == channels
    assert abs(data.shape[1] - SR) < 0.1 * SR
    if ext in (".wav", ".flac"):
        assert np.allclose(data[:, :1000], np.stack(tracks)[:, :1000], atol=1e-3)
    # The louder-frequency content stays on its own channel.
    for c in range(channels):
        assert _rms(data[c]) > 0.1


def test_write_audio_rejects_unknown_extension(tmp_path):
    with pytest.raises(ValueError):
        synth.write_audio(tmp_path / "x.aiff", np.zeros(10, np.float32), SR)
