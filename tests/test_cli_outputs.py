"""Outputs never touch inputs; the whole command line is checked before any work; output files
appear only when everything succeeded; nothing unexpected reaches the user as a traceback."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VISIT = ROOT / "tests" / "fixtures" / "transcripts" / "unlabelled_visit.txt"
RECORDING = ROOT / "analyzer" / "assets" / "samples" / "poor_visit_mono.ogg"


def run(*args, cwd: Path, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "analyzer.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def work(tmp_path):
    shutil.copy(VISIT, tmp_path / "visit.txt")
    shutil.copy(RECORDING, tmp_path / "visit.ogg")
    return tmp_path


@pytest.mark.parametrize("source", ["visit.txt", "visit.ogg"])
@pytest.mark.parametrize("flag", ["-o", "--html", "--pdf"])
@pytest.mark.parametrize("spelling", ["same", "dot", "absolute", "symlink", "hardlink", "parent"])
def test_an_output_never_replaces_an_input(work, source, flag, spelling, monkeypatch, capsys):
    from analyzer import cli

    monkeypatch.chdir(work)
    before = digest(work / source)
    out = {"same": source, "dot": f"./{source}", "absolute": str(work / source),
           "parent": f"../{work.name}/{source}"}.get(spelling)
    if spelling == "symlink":
        (work / "link").symlink_to(work / source)
        out = "link"
    elif spelling == "hardlink":
        os.link(work / source, work / "hard")
        out = "hard"
    assert cli.main(["analyze", source, flag, out, "-q"]) == 2
    err = capsys.readouterr().err
    assert "is the input" in err and "Traceback" not in err
    assert digest(work / source) == before


def test_every_problem_is_reported_before_any_work(work):
    (work / "out.json").write_text("old")
    r = run("analyze", "visit.txt", "missing.wav", "-o", "out.json", "--pdf", "/etc/passwd/r.pdf",
            "--speakers", "0", cwd=work)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "missing.wav: file not found" in r.stderr
    assert "/etc/passwd is a file" in r.stderr and "--speakers 0" in r.stderr
    assert (work / "out.json").read_text() == "old"  # nothing written, nothing replaced


def test_an_unwritable_folder_is_refused_before_the_analysis(work):
    locked = work / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root without capability drop)")
        r = run("analyze", "visit.txt", "-o", "out.json", "--html", "locked/r.html", cwd=work)
        assert r.returncode == 2 and "not writable" in r.stderr
        assert not (work / "out.json").exists()
    finally:
        locked.chmod(0o700)


def test_outputs_appear_only_together_and_with_no_temporary_files(work):
    r = run("analyze", "visit.txt", "-o", "out/a.json", "--html", "out/deeper/r.html", "-q", cwd=work)
    assert r.returncode == 0, r.stderr
    assert json.loads((work / "out" / "a.json").read_text())["source"]["file"] == "visit.txt"
    assert (work / "out" / "deeper" / "r.html").read_text().startswith("<!")
    assert not [p for p in work.rglob("*.tmp")]


def test_two_outputs_with_one_name_are_refused(work):
    r = run("analyze", "visit.txt", "-o", "r.out", "--html", "./r.out", cwd=work)
    assert r.returncode == 2 and "same file as -o" in r.stderr


def test_a_transcript_not_in_english_is_analysed_with_a_warning(work):
    (work / "fr.txt").write_text(
        "Médecin: Bonjour, qu'est-ce qui vous amène aujourd'hui?\n"
        "Patient: J'ai mal au dos depuis trois semaines, surtout le matin quand je me lève.\n"
        "Médecin: Est-ce que vous avez pris des médicaments pour la douleur?\n"
        "Patient: Oui, du paracétamol, mais ça ne marche pas vraiment et je dors mal.\n"
        "Médecin: D'accord, je vais vous examiner. Vous travaillez dans quel domaine?\n"
        "Patient: Je suis infirmière, je porte souvent des patients lourds à l'hôpital.\n", encoding="utf-8")
    r = run("analyze", "fr.txt", "-o", "fr.json", "-q", cwd=work)
    assert r.returncode == 0, r.stderr
    assert "does not look like English" in r.stderr
    assert any("English" in w for w in json.loads((work / "fr.json").read_text())["warnings"])
    r = run("analyze", "visit.txt", "-o", "en.json", "-q", cwd=work)
    assert "English" not in r.stderr


def test_an_unexpected_error_is_one_line_and_a_log(work, monkeypatch, capsys):
    from analyzer import cli, runner

    def broken(*a, **k):
        raise RuntimeError("a bug somewhere in a stage")

    log = work / "state" / "errors.log"
    monkeypatch.setenv("VISIT_ANALYZER_LOG", str(log))
    monkeypatch.setattr(runner, "analyze", broken)  # stands in for any bug: the entry point's net is under test
    monkeypatch.chdir(work)
    assert cli.main(["analyze", "visit.txt", "-o", "x.json", "-q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "internal error (RuntimeError: a bug somewhere in a stage)" in err and str(log) in err
    assert "Traceback" in log.read_text() and oct(log.stat().st_mode & 0o777) == "0o600"
    assert not (work / "x.json").exists()
