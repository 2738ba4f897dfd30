"""Safe failure: jobs recorded before they start, a worker killed mid-job shows as interrupted on
restart and re-runs to the end with nothing lost, two uploads at once both finish, a bad file
fails its job (with the reason) instead of crashing anything."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import wave
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from analyzer.store import open_store
from analyzer.store.blobs import sha256_file
from analyzer.store.models import utcnow
from analyzer.store.worker import JobNotRunnable, run_job
from test_store_fixtures import CONSENT, FIX, ROOT, backend, pg_cluster, store, store_url  # noqa: F401

SAMPLE = ROOT / "analyzer" / "assets" / "samples" / "good_visit_stereo.ogg"
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "VISIT_ANALYZER_THREADS": "1", "PYTHONPATH": str(ROOT)}


def start_worker(data_dir: Path, url: str | None, job_id: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "analyzer.store.worker", "--data-dir", str(data_dir), "--job", str(job_id)]
    if url:
        cmd += ["--db-url", url]
    return subprocess.Popen(cmd, env=ENV, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(store, job_id: int, pred, timeout: float = 300.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        j = store.get_job(job_id)
        if pred(j):
            return j
        if j.state in ("done", "failed"):
            break
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} never reached the expected state: {store.get_job(job_id)}")


def snapshot(store) -> dict:
    """Everything stored, read with plain SQL, plus the audio folder's files and their hashes."""
    with store.engine.connect() as c:
        rows = {t: sorted(map(tuple, c.execute(text(f"SELECT * FROM {t}")).all()), key=repr)
                for t in ("users", "visits", "transcripts", "analyses", "shares", "comments", "corrections", "jobs")}
    rows["files"] = {p.name: sha256_file(p) for p in store.audio_dir.iterdir()}
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("kill_in", ["transcribe", "stages"])
def test_kill_worker_mid_job_then_recover(tmp_path, store_url, kill_in, backend):
    if kill_in == "stages" and backend != "sqlite":
        pytest.skip("the checkpoint path is database-independent; run once")
    data = tmp_path / "data"
    s = open_store(data, store_url)
    ann = s.create_user("ann", "ann-password", "clinician")
    done = s.create_visit(ann, FIX / "aci_bench_D2N019.txt", CONSENT)
    assert run_job(s, done.jobs[0].id).state == "done"
    before = s.load_analysis(ann, done.id)
    v = s.create_visit(ann, SAMPLE, CONSENT, options={"model": "tiny.en"})
    job_id = v.jobs[0].id
    proc = start_worker(data, store_url, job_id)
    try:
        if kill_in == "transcribe":
            wait_for(s, job_id, lambda j: j.state == "running" and (j.stage or "").startswith("transcribe"))
        else:  # after the transcript checkpoint, inside an analysis stage
            wait_for(s, job_id, lambda j: j.state == "running" and j.stage in ("tags", "turns"))
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    s.close()

    s = open_store(data, store_url)  # the restart: recovery runs on open
    job = s.get_job(job_id)
    assert job.state == "interrupted" and "re-run" in job.error
    assert s.get_visit(ann, v.id).status == "interrupted"
    assert s.load_analysis(ann, v.id) is None  # nothing half-written
    assert s.load_analysis(ann, done.id) == before  # nothing lost
    assert sha256_file(s.audio_path(ann, v.id)) == sha256_file(SAMPLE)
    assert not [p for p in data.rglob("*.tmp")]
    stages = []
    s.retry_job(ann, job_id)
    job = run_job(s, job_id, lambda st, f: stages.append(st))
    assert job.state == "done" and job.attempts == 2, job.error
    a = s.load_analysis(ann, v.id)
    assert len(a["utterances"]) > 10 and a["metrics"]["talk_time"]["clinician"] > 30
    assert ("transcribe" in stages) == (kill_in == "transcribe")  # the checkpoint spared ASR
    assert s.load_analysis(ann, done.id) == before
    s.close()


def test_two_uploads_at_once_both_finish(tmp_path, store_url):
    """Two people add a visit at the same moment (two threads, two store connections), and two
    worker processes analyse them at the same time."""
    data = tmp_path / "data"
    s = open_store(data, store_url)
    ann = s.create_user("ann", "ann-password", "clinician")
    files = [FIX / "aci_bench_D2N019.txt", FIX / "labels.txt"]
    got, errors = [], []
    barrier = threading.Barrier(2)

    def upload(path):
        try:
            mine = open_store(data, store_url)
            barrier.wait()
            got.append(mine.create_visit(ann, path, CONSENT))
            mine.close()
        except Exception as e:  # pragma: no cover - asserted below
            errors.append(e)

    ts = [threading.Thread(target=upload, args=(f,)) for f in files]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == [] and len(got) == 2
    procs = [start_worker(data, store_url, v.jobs[0].id) for v in got]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode()[-800:] for o in outs]
    for v in got:
        assert s.get_visit(ann, v.id).status == "done"
        assert s.load_analysis(ann, v.id)["utterances"]
    s.close()


def test_a_job_runs_once(store):
    ann = store.create_user("ann", "ann-password", "clinician")
    v = store.create_visit(ann, FIX / "labels.txt", CONSENT)
    jid = v.jobs[0].id
    assert store.claim_job(jid) and not store.claim_job(jid)
    with pytest.raises(JobNotRunnable):
        run_job(store, jid)
    assert store.recover_interrupted() == []  # this process is alive and beating
    assert store.get_job(jid).state == "running"


def test_stale_heartbeat_from_another_machine_is_interrupted(store):
    ann = store.create_user("ann", "ann-password", "clinician")
    a = store.create_visit(ann, FIX / "labels.txt", CONSENT)
    b = store.create_visit(ann, FIX / "cp1252.txt", CONSENT)
    with store.engine.begin() as c:
        for v, age in ((a, 600), (b, 1)):
            c.execute(text("UPDATE jobs SET state='running', host='elsewhere', pid=1, heartbeat_at=:t WHERE visit_id=:v"),
                      {"t": (utcnow() - timedelta(seconds=age)).replace(tzinfo=None), "v": v.id})
    assert store.recover_interrupted() == [a.jobs[0].id]
    assert store.get_job(b.jobs[0].id).state == "running"  # still beating: left alone


def silent_wav(path: Path, seconds: float = 3.0) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(int(16000 * seconds), dtype=np.int16).tobytes())
    return path


def test_bad_recording_fails_its_job_not_the_app(store, tmp_path):
    ann = store.create_user("ann", "ann-password", "clinician")
    good = store.create_visit(ann, FIX / "labels.txt", CONSENT)
    assert run_job(store, good.jobs[0].id).state == "done"
    before = snapshot(store)
    v = store.create_visit(ann, silent_wav(tmp_path / "quiet.wav"), CONSENT, options={"model": "tiny.en"})
    job = run_job(store, v.jobs[0].id)
    assert job.state == "failed" and "silent" in job.error
    assert store.load_analysis(ann, v.id) is None
    store.delete_visit(ann, v.id)
    assert snapshot(store) == before
    with pytest.raises(ValueError):
        store.retry_job(ann, good.jobs[0].id)  # a finished job is not re-run


def test_visit_deleted_while_its_job_runs(store):
    """The owner deletes a visit mid-analysis: the worker stops writing, nothing is left behind."""
    ann = store.create_user("ann", "ann-password", "clinician")
    keep = store.create_visit(ann, FIX / "labels.txt", CONSENT)
    v = store.create_visit(ann, FIX / "aci_bench_D2N019.txt", CONSENT)
    deleted = []

    def progress(stage, fraction):
        if stage == "tags" and not deleted:
            store.delete_visit(ann, v.id)
            deleted.append(stage)

    assert run_job(store, v.jobs[0].id, progress) is None and deleted
    with store.engine.connect() as c:
        for t in ("visits", "transcripts", "analyses", "jobs"):
            col = "id" if t == "visits" else "visit_id"
            assert c.execute(text(f"SELECT count(*) FROM {t} WHERE {col} = :v"), {"v": v.id}).scalar() == 0
    assert store.get_job(keep.jobs[0].id).state == "queued"
