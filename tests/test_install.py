"""The package stands on its own: a wheel built from this checkout, installed into a fresh
virtualenv, analyses a sample visit from a folder outside the repository.

What this proves: everything the analysis reads at run time (the tagger heads, the overlap
detector's weights, the samples) ships inside the wheel and is found without the checkout. To stay
fast and offline the wheel goes in with ``--no-deps`` and the new environment sees this one's
installed dependencies through a ``.pth`` file. That the dependency list itself is complete is
checked with a full install (about a gigabyte of downloads), by hand:

    python3.11 -m venv /tmp/v && /tmp/v/bin/pip install "setuptools<81" torch==2.13.0
    /tmp/v/bin/pip install dist/visit_analyzer-0.1.0-py3-none-any.whl
    cd /tmp && /tmp/v/bin/visit-analyzer analyze sample.ogg -o out.json
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def _run(cmd: list, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtualenv (no system site-packages) with the wheel of this checkout installed."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"  # only what the wheel is built from: no build/ or egg-info left in the checkout
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "analyzer", src / "analyzer", ignore=shutil.ignore_patterns("__pycache__"))
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", src])
    [wheel] = (tmp / "dist").glob("visit_analyzer-*.whl")

    env = tmp / "venv"
    venv.create(env, with_pip=False, system_site_packages=False)
    py = env / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps", wheel])
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    # The dependencies: this environment's site-packages, after the new one's own (so the wheel's
    # analyzer wins over any editable install of the checkout, whose finder is not loaded from here).
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_dependencies.pth").write_text("".join(f"{d}\n" for d in sorted(deps)))
    return env


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def test_installed_package_finds_its_assets_outside_the_checkout(installed, tmp_path):
    r = _run([installed / "bin" / "python", "-c",
              "import analyzer; from analyzer import assets; "
              "from analyzer.tagging.assets import heads_dir; from analyzer.overlap.model import MODEL_PATH; "
              "from analyzer.webapp.samples import SAMPLES; "
              "print(analyzer.__file__); print(heads_dir()); print(MODEL_PATH); "
              "print(*[s.audio for s in SAMPLES.values()], sep='\\n')"],
             cwd=tmp_path, env=_clean_env())
    paths = [Path(p) for p in r.stdout.split()]
    assert len(paths) == 5
    for p in paths:
        assert p.exists() and p.is_relative_to(installed), p  # the wheel's copy, not the checkout's
        assert not p.is_relative_to(ROOT), p


def test_visit_analyzer_analyze_from_an_installed_wheel(installed, tmp_path):
    from analyzer import assets

    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(assets.path("samples", "poor_visit_mono.ogg"), work / "sample.ogg")
    r = _run([installed / "bin" / "visit-analyzer", "analyze", "sample.ogg", "-o", "out.json", "-q"],
             cwd=work, env=_clean_env(), timeout=1800)
    assert "Traceback" not in r.stderr
    out = json.loads((work / "out.json").read_text())
    assert {s["role"] for s in out["speakers"]} == {"clinician", "patient"}
    clin = [u for u in out["utterances"] if u["role"] == "clinician"]
    assert len(out["utterances"]) > 20 and all("tags" in u for u in out["utterances"])
    assert all(u["main"] in {"question", "reflection", "input", "other"} for u in clin)  # the shipped heads ran
    m = out["metrics"]
    assert m["method"]["overlap_detector"]["status"] == "used"  # the shipped detector weights loaded
    assert m["interruptions"]["by"]["clinician"] >= 1  # the poor visit's scripted interruption, on one mic
