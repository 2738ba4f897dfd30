"""``visit-analyzer batch``: consent required, every file analysed once, done ones skipped by content,
a killed batch resumes, bad files reported without stopping the rest."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from analyzer.store import open_store
from test_store_fixtures import BACKENDS, FIX, ROOT, db_url, pg_cluster  # noqa: F401

CLI = [sys.executable, "-m", "analyzer.cli"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "VISIT_ANALYZER_THREADS": "1", "PYTHONPATH": str(ROOT)}
CONSENT = "each patient (synthetic or public data set); verbal, recorded at the start"


def batch_cmd(folder: Path, data: Path, *extra: str, consent: str | None = CONSENT) -> list[str]:
    cmd = CLI + ["batch", str(folder), "--data-dir", str(data), "-q"] + list(extra)
    return cmd + (["--consent", consent] if consent is not None else [])


def batch(folder: Path, data: Path, *extra: str, consent: str | None = CONSENT,
          timeout: float = 1200) -> subprocess.CompletedProcess:
    return subprocess.run(batch_cmd(folder, data, *extra, consent=consent), env=ENV, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "visits"
    (d / "sub").mkdir(parents=True)
    shutil.copy(FIX / "aci_bench_D2N019.txt", d / "elbow.txt")
    shutil.copy(FIX / "voices.vtt", d / "sub" / "voices.vtt")
    shutil.copy(FIX / "day1_consultation01_doctor.TextGrid", d / "c1_doctor.TextGrid")
    shutil.copy(FIX / "day1_consultation01_patient.TextGrid", d / "c1_patient.TextGrid")
    (d / "notes.pdf").write_bytes(b"%PDF-1.4 not a visit")  # ignored: neither audio nor transcript
    shutil.copy(FIX / "bad" / "no_turns.txt", d / "broken.txt")
    return d


@pytest.mark.parametrize("consent", [None, "", "just who", "who;", "; how"])
def test_refuses_without_consent(folder, tmp_path, consent):
    r = batch(folder, tmp_path / "data", consent=consent)
    assert r.returncode == 2 and "consent" in r.stderr.lower()
    assert not (tmp_path / "data").exists()  # nothing stored, not even an empty database


def test_batch_analyses_each_once_and_skips_done(folder, tmp_path):
    data = tmp_path / "data"
    r = batch(folder, data)
    assert r.returncode == 2, r.stderr  # one bad file: reported, the rest analysed
    assert "failed: broken.txt:" in r.stderr and "3 analysed, 0 already done, 1 failed" in r.stderr
    assert f"store: {data}" in r.stderr
    s = open_store(data)
    me = s.local_user()
    vs = s.visits_for(me)
    assert sorted(v.source_name for v in vs) == ["c1_doctor.TextGrid", "elbow.txt", "voices.vtt"]
    assert all(v.status == "done" for v in vs)
    for v in vs:
        c = s.get_visit(me, v.id).consent
        assert (c.who, c.how) == ("each patient (synthetic or public data set)", "verbal, recorded at the start")
        assert s.load_analysis(me, v.id)["metrics"]
    s.close()
    shutil.copy(folder / "elbow.txt", folder / "same_content_new_name.txt")
    r = batch(folder, data)
    assert "0 analysed, 4 already done, 1 failed" in r.stderr, r.stderr
    s = open_store(data)
    assert len(s.visits_for(s.local_user())) == 3  # no duplicates
    s.close()


@pytest.mark.slow
def test_killed_batch_resumes(tmp_path):
    folder = tmp_path / "visits"
    folder.mkdir()
    shutil.copy(FIX / "aci_bench_D2N019.txt", folder / "a_elbow.txt")
    shutil.copy(ROOT / "analyzer" / "assets" / "samples" / "poor_visit_mono.ogg", folder / "b_poor.ogg")
    shutil.copy(FIX / "labels.txt", folder / "c_labels.txt")
    data = tmp_path / "data"
    cmd = CLI + ["batch", str(folder), "--data-dir", str(data), "--consent", CONSENT, "--model", "tiny.en"]
    p = subprocess.Popen(cmd, env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        t0 = time.time()
        while time.time() - t0 < 600:  # until the recording's speech recognition is under way
            if (data / "visits.db").exists():
                s = open_store(data, recover=False)
                running = [j for j in s.jobs_for(s.local_user()) if j.state == "running" and j.stage and
                           j.stage.startswith(("transcribe", "speakers"))]
                s.close()
                if running:
                    break
            time.sleep(0.5)
        else:
            raise AssertionError("the batch never reached the recording")
    finally:
        p.send_signal(signal.SIGKILL)
        p.communicate()
    s = open_store(data)
    me = s.local_user()
    states = {v.source_name: v.status for v in s.visits_for(me)}
    assert states == {"a_elbow.txt": "done", "b_poor.ogg": "interrupted"}
    s.close()
    r = batch(folder, data, "--model", "tiny.en")
    assert r.returncode == 0, r.stderr
    assert "2 analysed, 1 already done, 0 failed" in r.stderr
    s = open_store(data)
    vs = s.visits_for(me)
    assert sorted((v.source_name, v.status) for v in vs) == [
        ("a_elbow.txt", "done"), ("b_poor.ogg", "done"), ("c_labels.txt", "done")]
    poor = next(v for v in vs if v.source_name == "b_poor.ogg")
    assert [j.state for j in s.get_visit(me, poor.id).jobs] == ["done"]  # the same job, re-run
    assert s.get_visit(me, poor.id).jobs[0].attempts == 2
    s.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_three_batches_at_once_store_each_visit_once(tmp_path, request, backend):
    """Three batch runs started together on one folder and one store: every file becomes one visit
    with one job, analysed by exactly one of them (before: 3 files -> 4 visits)."""
    url, cleanup = db_url(request, backend)
    folder, data = tmp_path / "visits", tmp_path / "data"
    folder.mkdir()
    for src, name in ((FIX / "aci_bench_D2N019.txt", "elbow.txt"), (FIX / "voices.vtt", "voices.vtt"),
                      (FIX / "labels.txt", "labels.txt")):
        shutil.copy(src, folder / name)
    extra = ["--db-url", url] if url else []
    try:
        procs = [subprocess.Popen(batch_cmd(folder, data, *extra), env=ENV, cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
        errs = [p.communicate(timeout=1200)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], errs
        analysed = [int(re.search(r"batch: (\d+) analysed", e).group(1)) for e in errs]
        assert sum(analysed) == 3, errs
        s = open_store(data, url)
        me = s.local_user()
        vs = s.visits_for(me)
        assert sorted(v.source_name for v in vs) == ["elbow.txt", "labels.txt", "voices.vtt"]
        for v in vs:
            assert [(j.state, j.attempts) for j in s.get_visit(me, v.id).jobs] == [("done", 1)]
        s.close()
    finally:
        cleanup()


def write_wav(path: Path, seconds: float, noise: bool = False) -> Path:
    rng = np.random.default_rng(0)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        n = int(16000 * seconds)
        w.writeframes((rng.normal(0, 3000, n) if noise else np.zeros(n)).astype(np.int16).tobytes())
    return path


def test_bad_files_are_named_and_the_batch_goes_on(tmp_path):
    """Each bad file gets one line naming it (never our copy's path in the store), fails fast, and
    the rest of the folder is analysed: a recording still being written, a silent recording (it
    fails inside the analysis job), a one-line transcript of 3 MB, a 20 MB transcript."""
    folder, data = tmp_path / "visits", tmp_path / "data"
    folder.mkdir()
    shutil.copy(FIX / "aci_bench_D2N019.txt", folder / "elbow.txt")
    write_wav(folder / "quiet.wav", 5)
    (folder / "one_line.txt").write_text("Doctor: " + "so how have you been feeling lately " * 90_000 + "\n")
    with open(folder / "huge.txt", "w") as f:
        for i in range(400_000):  # 20.3 MB
            f.write(f"{'Doctor' if i % 2 else 'Patient'}: and then what happened next with that {i}\n")
    growing = folder / "growing.wav"
    write_wav(growing, 1, noise=True)
    stop = threading.Event()

    def recorder():  # a recorder still writing: 0.1 s more audio every 0.2 s
        chunk = (np.random.default_rng(1).normal(0, 3000, 1600)).astype(np.int16).tobytes()
        while not stop.wait(0.2):
            with open(growing, "ab") as f:
                f.write(chunk)

    t = threading.Thread(target=recorder, daemon=True)
    t.start()
    try:
        t0 = time.time()
        r = batch(folder, data, timeout=600)  # before: the one-line transcript kept it busy for good
        took = time.time() - t0
    finally:
        stop.set()
        t.join()
    lines = {m.group(1): m.group(2) for m in re.finditer(r"^failed: ([^:]+): (.*)$", r.stderr, re.M)}
    assert r.returncode == 2 and "1 analysed, 0 already done, 4 failed" in r.stderr, r.stderr
    assert "still being written" in lines["growing.wav"]
    assert "silent" in lines["quiet.wav"]
    assert "turn 1 is" in lines["one_line.txt"] and "characters long" in lines["one_line.txt"]
    assert "too large" in lines["huge.txt"]
    assert "Traceback" not in r.stderr and "/audio/" not in r.stderr and str(data) not in "".join(lines.values())
    assert not re.search(r"[0-9a-f]{64}", r.stderr)  # no content hash (our file name) either
    assert took < 300
    s = open_store(data)
    me = s.local_user()
    states = {v.source_name: v.status for v in s.visits_for(me)}
    assert states == {"elbow.txt": "done", "quiet.wav": "failed"}  # nothing stored of the others
    quiet = next(v for v in s.visits_for(me) if v.source_name == "quiet.wav")
    err = s.get_visit(me, quiet.id).jobs[-1].error
    assert err.startswith("quiet.wav: ") and "/audio/" not in err  # the app shows this too
    s.close()
