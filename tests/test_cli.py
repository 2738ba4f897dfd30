"""The console command as a user runs it: exit codes, one-line errors, no partial output."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "analyzer.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=600)


def _bad_inputs(tmp: Path):
    empty = tmp / "empty.wav"
    empty.write_bytes(b"")
    text = tmp / "letter.mp3"
    text.write_text("Dear doctor, this is not audio.\n" * 20)
    silent = tmp / "silent.wav"
    import numpy as np
    import wave
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(np.zeros(16000 * 3, np.int16).tobytes())
    return {"empty": empty, "cannot be read": text, "silent": silent, "not found": tmp / "missing.ogg"}


@pytest.mark.parametrize("command", ["transcribe", "analyze"])
def test_bad_input_exit_2_one_line_no_output(tmp_path, command):
    for reason, path in _bad_inputs(tmp_path).items():
        out = tmp_path / f"out-{reason}.json"
        r = run(command, path, "-o", out, "-q", "--model", "tiny.en")
        assert r.returncode == 2, (reason, r.stderr)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, r.stderr
        assert str(path) in lines[0] and reason in lines[0], lines[0]
        assert not out.exists()
        assert not list(tmp_path.glob(".out-*.tmp"))


def test_too_long_respects_limit(tmp_path, jfk):
    out = tmp_path / "t.json"
    r = run("transcribe", jfk, "-o", out, "-q", "--max-hours", "0.001")
    assert r.returncode == 2 and "limit is 0.001 h" in r.stderr
    assert not out.exists()


def test_bad_options_exit_2(stereo_wav, tmp_path):
    r = run("transcribe", stereo_wav, "--roles", "S1clinician", "-q")
    assert r.returncode == 2 and "--roles" in r.stderr
    r = run("transcribe", stereo_wav, "--roles", "S9=patient", "-q", "--model", "tiny.en")
    assert r.returncode == 2 and "no speaker 'S9'" in r.stderr
    r = run("transcribe", stereo_wav, "--speakers", "0", "-q")
    assert r.returncode == 2
    r = run("transcribe", stereo_wav, "--model", "large-v9", "-q")
    assert r.returncode == 3 and "unknown model" in r.stderr


def test_transcribe_with_roles_and_progress(stereo_wav, tmp_path):
    out = tmp_path / "visit.json"
    r = run("transcribe", stereo_wav, "-o", out, "--model", "tiny.en", "--roles", "S1=patient,S2=clinician")
    assert r.returncode == 0, r.stderr
    bars = [ln.split()[0] for ln in r.stderr.replace("\r", "\n").splitlines() if "100%" in ln]
    assert {"decode", "transcribe", "speakers", "roles"} <= set(bars)  # one progress bar per stage
    data = json.loads(out.read_text())
    roles = {s["id"]: (s["role"], s["role_source"]) for s in data["speakers"]}
    assert roles == {"S1": ("patient", "user"), "S2": ("clinician", "user")}
    assert {u["role"] for u in data["utterances"]} == {"patient", "clinician"}


def test_stdout_when_no_output_file(stereo_wav):
    r = run("analyze", stereo_wav, "-q", "--model", "tiny.en")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["utterances"]) >= 2


def test_models_verify():
    r = run("models", "--verify")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("OK, verified") == 2


FIXTURES = ROOT / "tests" / "fixtures" / "transcripts"


def test_analyze_transcript_pair_keeps_boundaries(tmp_path):
    out = tmp_path / "a.json"
    r = run("analyze", FIXTURES / "day1_consultation01_doctor.TextGrid", "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["source"]["kind"] == "transcript"
    assert {u["role"] for u in data["utterances"]} == {"clinician", "patient"}
    starts = [u["start"] for u in data["utterances"]]
    assert starts == sorted(starts)


def test_analyze_aci_text_without_times(tmp_path):
    out = tmp_path / "a.json"
    r = run("analyze", FIXTURES / "aci_bench_D2N019.txt", "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert all(u["start"] is None for u in data["utterances"])
    assert data["utterances"][0]["role"] == "clinician"


def test_malformed_transcript_exit_2(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"utterances": [{"speaker": "A", "text": "hi", "start": "soon"}]}')
    out = tmp_path / "a.json"
    r = run("analyze", bad, "-o", out, "-q")
    assert r.returncode == 2 and str(bad) in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists()
