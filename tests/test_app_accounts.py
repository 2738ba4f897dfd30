"""Streamlit AppTest of the sign-in page's account policy: a clinic's accounts come from its
administrator (`visit-analyzer users add`); self-registration only with --allow-signup."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analyzer.webapp.config import load_config

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("VISIT_ANALYZER_ACCOUNTS", "1")
    monkeypatch.delenv("VISIT_ANALYZER_SIGNUP", raising=False)
    monkeypatch.delenv("VISIT_ANALYZER_DB_URL", raising=False)
    return tmp_path / "data"


def _buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def test_no_self_registration_by_default(data_dir):
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert "Sign in" in _buttons(at) and "Create account" not in _buttons(at)
    # No account yet: the page says how the first one is made, with this store's folder.
    assert any("no accounts yet" in w.value.lower() for w in at.warning)
    assert any(f"visit-analyzer users add NAME --role clinician --data-dir {data_dir}" in c.value for c in at.code)

    from analyzer.webapp.views.common import get_store

    get_store(str(data_dir), None).create_user("alice", "alice-secret-1", "clinician")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.warning and "Create account" not in _buttons(at)  # accounts exist: just the sign-in
    assert any("visit-analyzer users add" in m.value for m in at.markdown)


def test_allow_signup_lets_people_register(data_dir, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_SIGNUP", "1")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.text_input(key="new_user").input("kim")
    at.text_input(key="new_password").input("kim-secret-12")
    at.radio(key="new_role").set_value("coach")
    [btn] = [b for b in at.button if b.label == "Create account"]
    btn.click()
    at.run()
    assert not at.exception and any("Signed in: kim (coach)" in c.value for c in at.caption)


def test_config_flags():
    assert load_config(["--accounts"], env={}).allow_signup is False
    assert load_config(["--accounts", "--allow-signup"], env={}).allow_signup is True
    assert load_config([], env={"VISIT_ANALYZER_SIGNUP": "yes"}).allow_signup is True
