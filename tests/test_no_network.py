"""The whole pipeline makes no network connection.

The child process gets a ``sitecustomize`` on PYTHONPATH that installs an audit hook
(``sys.addaudithook``): every name lookup (socket.getaddrinfo / gethostbyname / ...) and every
connect / sendto / sendmsg on an internet socket (and a bind other than to loopback) is written to a
log and refused. The tests run
``visit-analyzer analyze`` on a sample recording and ``visit-analyzer batch`` into a store, then
read the log: it must hold the "installed" line and nothing else. A control test proves the
hook catches a real attempt.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "analyzer" / "assets" / "samples" / "good_visit_stereo.ogg"

SITECUSTOMIZE = r'''
import os, socket, sys

_LOG = os.environ["NO_NETWORK_LOG"]
_INET = (socket.AF_INET, socket.AF_INET6)
_LOOKUPS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr",
            "socket.getnameinfo"}
_SENDS = {"socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"}


def _write(line):
    with open(_LOG, "a") as f:
        f.write(line + "\n")


def _hook(event, args):
    if event in _LOOKUPS or event in ("urllib.Request", "http.client.connect", "ftplib.connect", "smtplib.connect"):
        _write(f"{os.getpid()} {event} {args!r}"[:500])
        raise PermissionError(f"network access blocked in this test: {event}")
    if event in _SENDS:
        sock = args[0]
        if event == "socket.bind" and isinstance(args[1], tuple) and args[1][0] in ("127.0.0.1", "::1", "localhost"):
            return  # binding a loopback port sends nothing (urllib3 probes IPv6 support this way at import)
        if getattr(sock, "family", None) in _INET:
            _write(f"{os.getpid()} {event} {args[1:]!r}"[:500])
            raise PermissionError(f"network access blocked in this test: {event}")


sys.addaudithook(_hook)
_write(f"{os.getpid()} installed")
'''


def run_sandboxed(tmp_path: Path, args: list[str], timeout: float = 1200) -> tuple[subprocess.CompletedProcess, list[str]]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "network.log"
    log.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PROXY") and not k.endswith("_proxy")}
    env.update(PYTHONPATH=f"{site}{os.pathsep}{ROOT}", NO_NETWORK_LOG=str(log), OMP_NUM_THREADS="1",
               VISIT_ANALYZER_THREADS="1")
    r = subprocess.run([sys.executable, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=timeout)
    lines = log.read_text().splitlines() if log.exists() else []
    return r, lines


def attempts(lines: list[str]) -> list[str]:
    return [x for x in lines if not x.endswith(" installed")]


def test_the_hook_catches_a_connection(tmp_path):
    code = ("import socket, urllib.request\n"
            "for f in (lambda: socket.socket().connect(('127.0.0.1', 9)),\n"
            "          lambda: socket.getaddrinfo('example.org', 443),\n"
            "          lambda: urllib.request.urlopen('http://127.0.0.1:9/', timeout=1)):\n"
            "    try:\n        f()\n    except OSError:\n        pass\n")
    r, lines = run_sandboxed(tmp_path, ["-c", code])
    assert r.returncode == 0, r.stderr
    got = attempts(lines)
    assert any("socket.connect" in x and "127.0.0.1" in x for x in got)
    assert any("getaddrinfo" in x and "example.org" in x for x in got)
    assert any("urllib.Request" in x for x in got)


@pytest.mark.slow
def test_analyze_makes_no_network_connection(tmp_path):
    out = tmp_path / "a.json"
    r, lines = run_sandboxed(tmp_path, ["-m", "analyzer.cli", "analyze", str(SAMPLE), "-o", str(out), "-q"])
    assert r.returncode == 0, r.stderr[-2000:]
    assert any(x.endswith(" installed") for x in lines)  # the hook really ran in the child
    assert attempts(lines) == []
    a = json.loads(out.read_text())
    assert len(a["utterances"]) > 10 and "metrics" in a and any(u.get("tags") for u in a["utterances"])


@pytest.mark.slow
def test_batch_into_the_store_makes_no_network_connection(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(ROOT / "analyzer" / "assets" / "samples" / "poor_visit_mono.ogg", folder)
    shutil.copy(ROOT / "tests" / "fixtures" / "transcripts" / "aci_bench_D2N019.txt", folder)
    r, lines = run_sandboxed(tmp_path, ["-m", "analyzer.cli", "batch", str(folder), "--data-dir",
                                        str(tmp_path / "data"), "--consent", "synthetic visits; by construction", "-q"])
    assert r.returncode == 0, r.stderr[-2000:]
    assert "2 analysed" in r.stderr
    assert any(x.endswith(" installed") for x in lines) and attempts(lines) == []
