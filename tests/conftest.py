import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"  # third-party files the repository carries (tests/data/README.md)
SAMPLES = ROOT / "analyzer" / "assets" / "samples"

os.environ.setdefault("VISIT_ANALYZER_THREADS", "2")
# The same native thread budget as every entry point (CLI, app, worker): in-process analyses in the
# tests must compute exactly what a user's process computes (the parity tests compare them).
from analyzer.runtime import limit_native_threads  # noqa: E402

limit_native_threads()


def data(*parts: str) -> Path:
    """A file of tests/data. It ships with the repository, so a missing one fails the test."""
    p = DATA.joinpath(*parts)
    assert p.exists(), f"test data missing: {p} (see tests/data/README.md)"
    return p


@pytest.fixture(scope="session")
def jfk() -> Path:
    return data("audio", "jfk.flac")


@pytest.fixture(scope="session")
def stereo_wav() -> Path:
    return data("audio", "stereo_diarization.wav")


JFK_TEXT = ("And so my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country.")
LEFT_TEXT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT_TEXT = "The horizon seems extremely distant."


def wer(ref: str, hyp: str) -> float:
    import re

    norm = lambda s: re.sub(r"[^a-z0-9' ]+", " ", s.lower()).split()  # noqa: E731
    r, h = norm(ref), norm(hyp)
    # Levenshtein on words, small and dependency-free for tests.
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)] / max(1, len(r))
