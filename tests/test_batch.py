"""``visit-analyzer batch``: consent required, every file analysed once, done ones skipped by content,
a killed batch resumes, bad files reported without stopping the rest."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.store import open_store
from test_store_fixtures import FIX, ROOT

CLI = [sys.executable, "-m", "analyzer.cli"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "VISIT_ANALYZER_THREADS": "1", "PYTHONPATH": str(ROOT)}
CONSENT = "each patient (synthetic or public data set); verbal, recorded at the start"


def batch(folder: Path, data: Path, *extra: str, consent: str | None = CONSENT) -> subprocess.CompletedProcess:
    cmd = CLI + ["batch", str(folder), "--data-dir", str(data), "-q"] + list(extra)
    if consent is not None:
        cmd += ["--consent", consent]
    return subprocess.run(cmd, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=1200)


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
