"""Fuzzing every importer through the store (hypothesis): malformed transcripts and recordings given
to ``create_visit`` either give a clear ``InputError`` (the file's name and a reason) and change
nothing stored — no row, no file — or, if the input is still usable, become a visit whose job ends
done or failed with a reason (never an exception), and deleting it restores the store exactly.

STORE_FUZZ_EXAMPLES=500 for a longer hunt; the default keeps the suite fast.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import InputError
from analyzer.store import open_store
from analyzer.store.worker import run_job
from test_store_fixtures import CONSENT, DATA, FIX, ROOT
from test_store_jobs import silent_wav, snapshot

N = int(os.environ.get("STORE_FUZZ_EXAMPLES", "25"))
fuzz = settings(max_examples=N, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# One valid example per importer (and for the audio decoder); the fuzzer breaks them.
SEEDS = {
    "json": FIX / "transcript.json",
    "txt": FIX / "aci_bench_D2N019.txt",
    "vtt": FIX / "voices.vtt",
    "srt": FIX / "names.srt",
    "TextGrid": FIX / "two_tiers_short_utf16.TextGrid",
    "flac": DATA / "audio" / "jfk.flac",
    "ogg": ROOT / "analyzer" / "assets" / "samples" / "poor_visit_mono.ogg",
}
TOKENS = [b"\x00", b"\xff\xfe", b"\n\n", b"-->", b"00:00:0", b"[doctor]", b"Doctor:", b'"utterances"', b"{", b"}",
          b"[", b'"', b"1e400", b"-3", b"NaN", b"<v", b"xmin = ", b"\xef\xbb\xbf", b"OggS", b"fLaC", b"RIFF"]


@pytest.fixture(scope="module")
def fstore(tmp_path_factory):
    s = open_store(tmp_path_factory.mktemp("fuzzstore"))
    ann = s.create_user("ann", "ann-password", "clinician")
    keep = s.create_visit(ann, FIX / "labels.txt", CONSENT)  # something stored that must stay untouched
    assert run_job(s, keep.jobs[0].id).state == "done"
    yield s, ann
    s.close()


@st.composite
def broken(draw, seed: bytes) -> bytes:
    """A valid file, then 1-4 edits: cut, delete a slice, insert a token or bytes, overwrite bytes."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        n = len(data)
        op = draw(st.sampled_from(["cut", "delete", "insert", "overwrite"]))
        i = draw(st.integers(0, max(0, n - 1)))
        if op == "cut":
            data = data[:i]
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 64))]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=16))
        else:
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[i:i + len(chunk)] = chunk
    return bytes(data)


def check_through_store(fstore, tmp_path: Path, data: bytes, ext: str) -> None:
    s, ann = fstore
    before = snapshot(s)
    d = tmp_path / uuid.uuid4().hex
    d.mkdir()
    p = d / f"fuzzed_visit.{ext}"
    p.write_bytes(data)
    try:
        v = s.create_visit(ann, p, CONSENT, options={"model": "tiny.en"})
    except InputError as e:
        msg = str(e)
        assert "fuzzed_visit" in msg and len(e.reason) > 10, msg
        assert "bug in visit-analyzer" not in msg, msg  # a crash dressed up as an input error
        assert snapshot(s) == before  # nothing stored: no row, no file
        return
    finally:
        shutil.rmtree(d, ignore_errors=True)
    job = run_job(s, v.jobs[0].id)  # still usable enough to accept: the job ends, it never raises
    assert job.state in ("done", "failed"), job
    if job.state == "failed":
        assert job.error and "internal error" not in job.error, job.error
    s.delete_visit(ann, v.id)
    assert snapshot(s) == before


def _seed(kind: str) -> bytes:
    return SEEDS[kind].read_bytes()  # every seed ships with the repository: a missing one fails


@pytest.mark.parametrize("kind", ["json", "txt", "vtt", "srt", "TextGrid"])
def test_fuzz_transcript_importers_through_store(fstore, tmp_path, kind):
    seed = _seed(kind)

    @fuzz
    @given(st.one_of(broken(seed), st.binary(max_size=2000)))
    def run(data):
        check_through_store(fstore, tmp_path, data, kind)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["flac", "ogg"])
def test_fuzz_recordings_through_store(fstore, tmp_path, kind):
    seed = _seed(kind)

    @settings(fuzz, max_examples=max(5, N // 3))
    @given(st.one_of(broken(seed), st.binary(max_size=4000)))
    def run(data):
        check_through_store(fstore, tmp_path, data, kind)

    run()


def test_fixed_bad_inputs_through_store(fstore, tmp_path):
    """The importers' own bad-input fixtures, an empty file, a folder and a silent recording."""
    s, ann = fstore
    before = snapshot(s)
    for bad in sorted((FIX / "bad").iterdir()):
        with pytest.raises(InputError) as e:
            s.create_visit(ann, bad, CONSENT)
        assert bad.name in str(e.value)
    (tmp_path / "empty.wav").write_bytes(b"")
    for p in (tmp_path / "empty.wav", tmp_path, tmp_path / "missing.ogg"):
        with pytest.raises(InputError):
            s.create_visit(ann, p, CONSENT)
    assert snapshot(s) == before
    check_through_store(fstore, tmp_path, silent_wav(tmp_path / "q.wav").read_bytes(), "wav")
