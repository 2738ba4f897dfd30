"""The bundled sample visits, analysed once and cached, so a new user sees a report in seconds.

The cache key is the recording's sha256 plus a fingerprint of the code and trained heads that
make the analysis (``analyzer/**.py`` except the app, report and store, and ``analyzer/assets/tagging``):
change the tagger and the samples are analysed again; nothing stale is ever shown.

    python -m analyzer.webapp.samples            # analyse every sample not cached yet (progress bars)
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import assets

PKG = assets.path().parent  # the analyzer package, installed or in a checkout
ENV_CACHE = "VISIT_ANALYZER_SAMPLE_CACHE"
# Not part of what the analysis computes: changing them must not invalidate the cache.
_NOT_ANALYSIS = ("webapp", "report", "store", "privacy", "redact.py", "cli.py", "__pycache__")


@dataclass(frozen=True)
class Sample:
    name: str
    title: str
    audio: Path
    blurb: str


SAMPLES: dict[str, Sample] = {
    s.name: s for s in (
        Sample("good_visit", "Sample: a good visit", assets.path("samples", "good_visit_stereo.ogg"),
               "Agenda setting, open questions, reflections, empathy, no interruptions (3 min)."),
        Sample("poor_visit", "Sample: a visit to learn from", assets.path("samples", "poor_visit_stereo.ogg"),
               "Stacked closed questions, interruptions, a monologue, a missed emotional cue (2 min)."),
    )
}
SAMPLE_CONSENT = ("synthetic voices reading scripts written for this tool (no real patient)",
                  "consented by construction: scripted and synthesised, see sample_audio/README.md")


def cache_dir() -> Path:
    """$VISIT_ANALYZER_SAMPLE_CACHE, else $XDG_CACHE_HOME/visit-analyzer/samples (~/.cache/...):
    the package itself may be installed read-only."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(os.environ.get(ENV_CACHE) or Path(base) / "visit-analyzer" / "samples")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    h = hashlib.sha256()
    files = sorted(p for p in PKG.rglob("*.py") if not any(part in _NOT_ANALYSIS for part in p.relative_to(PKG).parts))
    files += sorted(p for p in assets.path("tagging").rglob("*") if p.is_file())
    for p in files:
        h.update(str(p.relative_to(PKG)).encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


@lru_cache(maxsize=8)
def _audio_sha(path: Path, mtime: float) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def cache_path(name: str) -> Path:
    s = SAMPLES[name]
    key = f"{_audio_sha(s.audio, s.audio.stat().st_mtime)}-{code_fingerprint()}"
    return cache_dir() / f"{name}-{key}.analysis.json"


def cached(name: str) -> dict[str, Any] | None:
    """The cached analysis of a sample, or None if it has not been analysed with this code."""
    p = cache_path(name)
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError):  # a damaged cache file is simply made again
        return None


def analyse(name: str, progress=None) -> dict[str, Any]:
    """Analyse a sample with the real pipeline (``progress``: an ``analyzer.progress.Progress``)
    and cache it (atomic write; other versions of it removed)."""
    from ..fileio import atomic_write_text
    from ..runner import VisitInput, analyze

    s = SAMPLES[name]
    t = analyze(VisitInput([s.audio], s.audio.name), progress=progress)
    data = t.to_dict()
    p = cache_path(name)
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(p, json.dumps(data, ensure_ascii=False))
    for old in p.parent.glob(f"{name}-*.analysis.json"):
        if old != p:
            old.unlink(missing_ok=True)
    return data


def ensure(name: str, progress=None) -> dict[str, Any]:
    return cached(name) or analyse(name, progress)


def main(argv: list[str] | None = None) -> int:
    from ..runtime import limit_native_threads

    limit_native_threads()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from ..progress import TqdmProgress

    names = (argv if argv is not None else sys.argv[1:]) or list(SAMPLES)
    for name in names:
        if cached(name) is not None:
            print(f"samples: {name} cached ({cache_path(name)})", file=sys.stderr)
            continue
        print(f"samples: analysing {name} (first time only, about a minute)", file=sys.stderr)
        analyse(name, TqdmProgress())
    return 0


if __name__ == "__main__":
    sys.exit(main())
