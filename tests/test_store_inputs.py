"""A visit is made only from files that hold still: a recording or transcript that changes while
the store reads or copies it is refused naming the user's file, and nothing of it is kept (no
visit, no copy, no temporary). Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import threading
import time
import wave

import numpy as np
import pytest

from analyzer.errors import InputError
from test_store_fixtures import CONSENT, FIX, backend, pg_cluster, store, store_url  # noqa: F401


def noisy_wav(path, seconds: float) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.random.default_rng(0).normal(0, 3000, int(16000 * seconds)).astype(np.int16).tobytes())


@pytest.mark.parametrize("kind", ["recording", "transcript"])
def test_a_file_that_changes_while_it_is_stored_is_refused(store, tmp_path, kind):
    ann = store.create_user("ann", "ann-password", "clinician")
    if kind == "recording":
        path = tmp_path / "visit.wav"
        noisy_wav(path, 600)  # 19 MB: the copy takes long enough to be written into
        start = 1000
    else:
        path = tmp_path / "visit.txt"
        path.write_text((FIX / "aci_bench_D2N019.txt").read_text())
        start = 100
    size = path.stat().st_size
    stop = threading.Event()

    def editor():  # someone (a sync client, a recorder) rewriting parts of the file, on and on
        rng = np.random.default_rng(1)
        fd = os.open(path, os.O_WRONLY)
        try:
            while not stop.is_set():
                at = int(rng.integers(start, size - 64))
                os.pwrite(fd, b"x" * 16 if kind == "transcript" else rng.bytes(64), at)
                time.sleep(0.001)
        finally:
            os.close(fd)

    t = threading.Thread(target=editor, daemon=True)
    t.start()
    try:
        with pytest.raises(InputError) as e:
            store.create_visit(ann, path, CONSENT)
    finally:
        stop.set()
        t.join()
    assert e.value.path == str(path) and "changed while it was being" in e.value.reason
    assert store.visits_for(ann) == []
    assert list(store.audio_dir.iterdir()) == []  # no copy and no temporary left


def test_a_file_still_growing_is_refused_and_a_finished_one_waited_for(tmp_path):
    from analyzer.store.inputs import wait_until_settled

    growing, fresh = tmp_path / "growing.wav", tmp_path / "fresh.wav"
    noisy_wav(growing, 1)
    stop = threading.Event()

    def recorder():
        while not stop.wait(0.2):
            with open(growing, "ab") as f:
                f.write(b"\0" * 3200)

    t = threading.Thread(target=recorder, daemon=True)
    t.start()
    try:
        t0 = time.monotonic()
        with pytest.raises(InputError, match="still being written") as e:
            wait_until_settled([growing], settle_s=1.0, max_wait_s=4.0)
        assert 4.0 <= time.monotonic() - t0 < 10 and "grew by" in e.value.reason
    finally:
        stop.set()
        t.join()
    noisy_wav(fresh, 1)  # just finished: waited for, then accepted
    t0 = time.monotonic()
    wait_until_settled([fresh], settle_s=1.0, max_wait_s=4.0)
    assert 0.9 <= time.monotonic() - t0 < 3
    old = time.time() - 3600
    os.utime(fresh, (old, old))  # untouched for an hour: no waiting at all
    t0 = time.monotonic()
    wait_until_settled([fresh], settle_s=1.0, max_wait_s=4.0)
    assert time.monotonic() - t0 < 0.5
