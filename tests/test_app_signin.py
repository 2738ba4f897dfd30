"""Sign-in throttling per account and per client, audited in the store's audit log; the idle
timeout (Streamlit AppTest on the real store)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_testing import SAMPLES, accounts, app, data_dir, sign_in, store_of, throttle_module  # noqa: F401


def test_throttle_doubles_the_wait_per_account_and_per_client():
    throttle = throttle_module()
    now = [1000.0]
    t = throttle.SignInThrottle(clock=lambda: now[0])
    for n in range(throttle.FREE):
        assert t.wait_s("alice", "10.0.0.1") == 0
        t.failed("alice", "10.0.0.1")
    assert t.wait_s("alice", "10.0.0.1") == pytest.approx(1.0)
    assert t.wait_s("ALICE ", "10.0.0.9") == pytest.approx(1.0)  # per account, whatever the client or case
    assert t.wait_s("bob", "10.0.0.1") == 0  # the client is not throttled yet
    now[0] += 1.0
    assert t.failed("alice", "10.0.0.1") == pytest.approx(2.0)
    now[0] += 2.0
    assert t.failed("alice", "10.0.0.1") == pytest.approx(4.0)
    for _ in range(30):
        t.failed("alice", "10.0.0.1")
    assert t.wait_s("alice", "10.0.0.1") == throttle.MAX_WAIT_S  # capped: a lockout never lasts forever
    # One client guessing many accounts is throttled by its address.
    now[0] += 10 * throttle.MAX_WAIT_S
    t2 = throttle.SignInThrottle(clock=lambda: now[0])
    for k in range(throttle.CLIENT_FREE):
        t2.failed(f"user{k}", "10.0.0.2")
    assert t2.wait_s("someone-else", "10.0.0.2") > 0 and t2.wait_s("someone-else", "10.0.0.3") == 0
    t2.succeeded("user0")  # a success clears the account, not the client
    assert t2.wait_s("user0", "10.0.0.2") > 0
    now[0] += throttle.FORGET_S + 1
    assert t2.wait_s("someone-else", "10.0.0.2") == 0  # forgotten an hour after the last failure


def test_wrong_passwords_then_the_right_one_is_refused_and_audited(accounts):
    store = store_of(accounts)
    alice = store.create_user("alice", "alice-secret-1", "clinician")
    at = app().run()
    for _ in range(5):  # more than the free tries
        sign_in(at, "alice", "guess")
    sign_in(at, "alice", "alice-secret-1")  # right at once: still refused, the password unchecked
    assert not at.exception
    assert any("Too many failed sign-ins" in e.value for e in at.error), [e.value for e in at.error]
    assert not any("Signed in: alice" in c.value for c in at.caption)
    log = store.audit_log(alice)
    assert sum(e["action"] == "user.login_failed" for e in log) >= 6
    assert any("refused unchecked" in (e["detail"] or "") for e in log)
    assert not any(e["action"] == "user.login" for e in log)
    throttle_module().THROTTLE._counts.clear()  # the wait is over
    sign_in(at, "alice", "alice-secret-1")
    assert any("Signed in: alice" in c.value for c in at.caption)


def test_an_idle_session_is_signed_out(accounts, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_IDLE_MINUTES", "0.02")  # 1.2 s
    store_of(accounts).create_user("alice", "alice-secret-1", "clinician")
    at = sign_in(app().run(), "alice", "alice-secret-1")
    assert any("Signed in: alice" in c.value for c in at.caption)
    at.run()
    assert any("Signed in: alice" in c.value for c in at.caption)  # active: still in
    time.sleep(1.5)
    at.run()
    assert not any("Signed in: alice" in c.value for c in at.caption)
    assert any("signed out after" in i.value for i in at.info)
    assert any(b.label == "Sign in" for b in at.button)


def test_idle_minutes_config():
    from analyzer.webapp.config import IDLE_MINUTES, load_config

    assert load_config([], env={}).idle_minutes == IDLE_MINUTES
    assert load_config(["--idle-minutes", "5"], env={}).idle_minutes == 5
    assert load_config([], env={"VISIT_ANALYZER_IDLE_MINUTES": "0"}).idle_minutes == 0
    assert load_config([], env={"VISIT_ANALYZER_IDLE_MINUTES": "soon"}).idle_minutes == IDLE_MINUTES
    assert load_config([], env={"VISIT_ANALYZER_IDLE_MINUTES": "-3"}).idle_minutes == IDLE_MINUTES
