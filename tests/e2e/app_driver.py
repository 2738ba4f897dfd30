"""Drive the real app in a real headless browser: start ``streamlit run app.py`` on a free port,
open it in Debian's chromium through Playwright (never a downloaded browser build), read what a
person sees. Used by the end-to-end tests and benchmarks/app_upload.py."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "out" / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


class AppServer:
    """``streamlit run app.py`` in its own process group, on 127.0.0.1 only."""

    def __init__(self, data_dir: Path, accounts: bool = False, env: dict[str, str] | None = None,
                 log: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = Path(data_dir)
        self.accounts = accounts
        self.env = {**os.environ, "VISIT_ANALYZER_DATA": str(self.data_dir), **(env or {})}
        self.env.pop("VISIT_ANALYZER_ACCOUNTS", None)
        self.log_path = log or (self.data_dir.parent / f"streamlit-{self.port}.log")
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "AppServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        # The address (127.0.0.1) comes from .streamlit/config.toml, as for users.
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(self.port),
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--"]
        if self.accounts:
            cmd.append("--accounts")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        t_end = time.monotonic() + 90
        while time.monotonic() < t_end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"streamlit did not start in 90 s: {self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()


def require_chromium() -> None:
    """At the top of an e2e test module: a missing chromium fails in CI (set-up must install
    it) and skips elsewhere."""
    import pytest

    if chromium_path() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing: scripts/setup.sh --dev must install it", pytrace=False)
        pytest.skip("chromium is not installed (scripts/setup.sh --dev installs it)", allow_module_level=True)


def launch(playwright):
    exe = chromium_path()
    if exe is None:
        raise RuntimeError("Debian's chromium is not installed (scripts/setup.sh --dev installs it)")
    return playwright.chromium.launch(executable_path=exe, headless=True,
                                      args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])


def read_scorecard(page) -> dict[str, str]:
    """{label: shown value} of every st.metric on the page."""
    out = {}
    for m in page.locator('[data-testid="stMetric"]').all():
        label = m.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        value = m.locator('[data-testid="stMetricValue"]').inner_text().strip()
        out[label] = value
    return out


def wait_for_scorecard(page, n: int, timeout_s: float = 180.0) -> None:
    page.wait_for_function(f"document.querySelectorAll('[data-testid=\"stMetric\"]').length >= {n}",
                           timeout=timeout_s * 1000)


def fill_upload(page, path: Path, who: str = "the patient and the clinician",
                how: str = "written consent form") -> None:
    """The New visit page: choose the file, confirm consent, say who and how, press Analyse."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.locator('[data-testid="stFileChip"]').first.wait_for(timeout=120_000)
    page.get_by_text("Everyone recorded agreed").click()
    page.get_by_label("Who consented").fill(who)
    page.get_by_label("Who consented").press("Tab")
    page.locator(".st-key-consent_how").click()
    page.get_by_role("option", name=how).click()
    page.get_by_role("button", name="Analyse").click()


def progress_text(page) -> str | None:
    loc = page.locator(".st-key-analysis_progress")
    try:
        return loc.inner_text(timeout=500) if loc.count() else None
    except Exception:  # redrawn between count() and inner_text()
        return None


def failure_text(page) -> str | None:
    """The text of an error box on the page (a failed analysis), if any."""
    loc = page.locator('[data-testid="stAlertContentError"]')
    try:
        return loc.first.inner_text(timeout=500) if loc.count() else None
    except Exception:
        return None
