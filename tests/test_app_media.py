"""Recordings: a visit shared with a coach redacted offers no audio, and the media check serves a
visit's recording only to a live session of the browser that shows it (Streamlit AppTest on the
real store; the browser-level proof is tests/e2e/test_hostile_e2e.py)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_testing import SAMPLES, accounts, app, data_dir, sign_in, store_of, throttle_module  # noqa: F401


AUDIO = SAMPLES / "good_visit_mono.ogg"


def audio_visit(store, owner):
    """A stored recording with an analysis (the bundled sample's, so no speech recognition here)."""
    from analyzer.store import Consent
    from analyzer.webapp import samples

    v = store.create_visit(owner, AUDIO, Consent("synthetic voices", "role-play", owner.username), title="with audio")
    assert store.claim_job(v.jobs[0].id)
    store.finish_job(v.jobs[0].id, "done", analysis=samples.ensure("good_visit"))
    return v


def test_a_redacted_share_offers_no_recording(accounts):
    store = store_of(accounts)
    alice = store.create_user("alice", "alice-secret-1", "clinician")
    store.create_user("carol", "carol-secret-1", "coach")
    store.create_user("dave", "dave-secret-12", "coach")
    v = audio_visit(store, alice)
    store.share(alice, v.id, "carol", redact=True)
    store.share(alice, v.id, "dave", redact=False)
    seen = {}
    for who, pw in (("carol", "carol-secret-1"), ("dave", "dave-secret-12"), ("alice", "alice-secret-1")):
        at = sign_in(app(visit=v.id).run(), who, pw)
        at.button(key=f"view_play_visit{v.id}_1").click()
        at.run()
        assert not at.exception, at.exception
        seen[who] = (len(at.get("audio")), any("not played in a redacted view" in c.value for c in at.caption))
    assert seen["carol"] == (0, True)  # masked text, and no voice saying what is masked
    assert seen["dave"][0] > 0 and seen["alice"][0] > 0
    at.toggle(key="view_redact").set_value(True)  # the owner's own redacted view: no recording either
    at.run()
    assert not at.get("audio") and any("not played in a redacted view" in c.value for c in at.caption)
    opened = [e for e in store.audit_log(alice) if e["action"] == "audio.open"]
    assert {e["user"] for e in opened} == {"alice", "dave"}  # carol's view never opened the file


def test_media_check_serves_a_recording_only_to_a_live_session_with_its_cookie():
    from analyzer.webapp import media_guard
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    tok_a, tok_b = os.urandom(32), os.urandom(32)
    cookie_a, cookie_a2 = generate_xsrf_token_string(tok_a, 1), generate_xsrf_token_string(tok_a, 2)
    cookie_b = generate_xsrf_token_string(tok_b, 1)
    fid = "f" * 56
    assert media_guard.allowed("unregistered", None)  # samples, images: served as before
    media_guard.begin_run("sess-a")
    media_guard.register(fid, "sess-a", cookie_a)
    media_guard.end_run("sess-a")
    live = {"sess-a"}.__contains__
    assert media_guard.allowed(fid, cookie_a2, live)  # the same browser (the cookie is re-masked per load)
    assert not media_guard.allowed(fid, None, live)  # no cookie: a URL copied elsewhere
    assert not media_guard.allowed(fid, cookie_b, live)  # another browser
    assert not media_guard.allowed(fid, cookie_a, live=lambda s: False)  # the session has ended
    media_guard.begin_run("sess-a")  # the next page no longer shows it (revoked, other visit)
    media_guard.end_run("sess-a")
    assert not media_guard.allowed(fid, cookie_a, live)  # and it never falls back to "served to all"
