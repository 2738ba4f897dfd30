"""What the app's AppTest files share: a fresh data folder per test (no accounts, no throttle
counts carried over), the app with query parameters, its store, signing in."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SAMPLES = ROOT / "analyzer" / "assets" / "samples"


def throttle_module():
    from analyzer.webapp import throttle

    return throttle


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_DATA", str(tmp_path / "data"))
    for k in ("VISIT_ANALYZER_ACCOUNTS", "VISIT_ANALYZER_DB_URL", "VISIT_ANALYZER_SIGNUP",
              "VISIT_ANALYZER_IDLE_MINUTES"):
        monkeypatch.delenv(k, raising=False)
    throttle_module().THROTTLE._counts.clear()
    return tmp_path / "data"


@pytest.fixture
def accounts(data_dir, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_ACCOUNTS", "1")
    return data_dir


def app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = str(v)
    return at


def store_of(data_dir: Path):
    from analyzer.webapp.views.common import get_store

    return get_store(str(data_dir), None)


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_user").input(name)
    at.text_input(key="login_password").input(password)
    [btn] = [b for b in at.button if b.label == "Sign in"]
    btn.click()
    return at.run()
