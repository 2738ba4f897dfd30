"""Bad input and faults in the app: bad visit ids in the URL, a page that fails (one line and the
log, never a traceback), Analyse pressed while the file is still uploading, long file names,
sharing only with a chosen coach, owner-only store files (Streamlit AppTest on the real store)."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_testing import SAMPLES, accounts, app, data_dir, sign_in, store_of, throttle_module  # noqa: F401


REFERENCE = SAMPLES / "poor_visit_reference.json"


def analysis_finishes(store, visit_id: int) -> None:
    """The app's background analysis of this visit ends, and ends done (a test leaves no thread running)."""
    from analyzer.webapp import jobs, visits

    job = jobs.get_job(visits.job_key(store, visit_id))
    assert job is not None and jobs.wait(job, timeout=600).state == "done", job.error


def analysed_visit(store, owner, source=REFERENCE, title="a visit", who="the patient"):
    from analyzer.store import Consent
    from analyzer.store.worker import run_job

    v = store.create_visit(owner, source, Consent(who, "verbal, recorded", owner.username), title=title)
    done = run_job(store, v.jobs[0].id)
    assert done.state == "done", done.error
    return v


@pytest.mark.parametrize("raw", ["99999999999999999999", "abc", "-1", "0", "1.5", "1e3", "", " ", "\u0661\u0662",
                                 "9" * 400, "1;DROP TABLE visits", "%00"])
def test_bad_visit_ids_get_a_plain_message(data_dir, raw):
    at = app(visit=raw).run()
    assert not at.exception, at.exception
    assert any("does not exist" in e.value for e in at.error)


def test_an_unknown_sample_gets_a_plain_message(data_dir):
    at = app(sample="<img src=x onerror=alert(1)> ![x](http://example.invalid/s.png)").run()
    assert not at.exception, at.exception
    [err] = at.error
    assert "There is no sample visit called" in err.value and "](http://" not in err.value.replace("\\", "")


def test_a_page_that_fails_shows_one_line_and_where_the_log_is(data_dir, monkeypatch):
    store = store_of(data_dir)
    store.local_user()

    def broken(user):
        raise RuntimeError("disk said no: /secret/path/visit.wav")

    monkeypatch.setattr(store, "visits_for", broken)
    at = app(page="visits").run()
    assert not at.exception, at.exception
    [err] = at.error
    assert "could not be shown" in err.value and "RuntimeError" in err.value
    assert "/secret/path" not in err.value and "Traceback" not in err.value
    ref = re.search(r"reference ([0-9a-f]{8})", err.value).group(1)
    log = data_dir / "logs" / "app-errors.log"
    assert str(log) in err.value.replace("\\", "")
    body = log.read_text()
    assert f"ref {ref}" in body and "Traceback" in body and "disk said no" in body
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_analyse_pressed_before_the_file_arrives_starts_when_it_arrives(data_dir):
    at = app(page="new").run()
    at.checkbox(key="consent_confirmed").check()
    at.text_input(key="consent_who").input("the patient")
    at.selectbox(key="consent_how").select("written consent form")
    at.button(key="analyse").click()  # the browser has not handed the file over yet
    at.run()
    assert any("Waiting for the file" in i.value for i in at.info)
    at.file_uploader(key="upload_files").set_value((REFERENCE.name, REFERENCE.read_bytes(), "application/json"))
    at.run()  # the upload's own rerun
    assert not at.exception, at.exception
    store = store_of(data_dir)
    [v] = store.visits_for(store.local_user())
    assert v.source_name == REFERENCE.name
    analysis_finishes(store, v.id)


def test_a_long_file_name_keeps_its_extension(data_dir):
    name = "consultation " + "x" * 200 + "_doctor_and_patient.json"
    at = app(page="new").run()
    at.file_uploader(key="upload_files").set_value((name, REFERENCE.read_bytes(), "application/json"))
    at.checkbox(key="consent_confirmed").check()
    at.text_input(key="consent_who").input("the patient")
    at.selectbox(key="consent_how").select("written consent form")
    at.button(key="analyse").click()
    at.run()
    assert not at.error, [e.value for e in at.error]
    store = store_of(data_dir)
    [v] = store.visits_for(store.local_user())
    assert v.source_name.endswith("_doctor_and_patient.json") and len(v.source_name) <= 120
    analysis_finishes(store, v.id)


@pytest.mark.parametrize("name, end", [
    ("day1_consultation01_" + "very_long_practice_name_" * 8 + "doctor.TextGrid", "_doctor.TextGrid"),
    ("x" * 300 + ".wav", ".wav"),
    ("../../etc/" + "y" * 200 + ".txt", ".txt"),
    ("no extension " + "z" * 200, "z" * 30),
])
def test_a_cut_name_keeps_its_end_and_its_extension(name, end):
    from analyzer.webapp.visits import MAX_NAME, _safe_name

    safe = _safe_name(name)
    assert len(safe) <= MAX_NAME and safe.endswith(end) and "/" not in safe and not safe.startswith(".")


def test_sharing_needs_a_chosen_coach(accounts):
    store = store_of(accounts)
    alice = store.create_user("alice", "alice-secret-1", "clinician")
    store.create_user("carol", "carol-secret-1", "coach")
    v = analysed_visit(store, alice)
    at = sign_in(app(visit=v.id).run(), "alice", "alice-secret-1")
    assert at.selectbox(key="view_share_coach").value is None and at.button(key="share").disabled
    assert store.get_visit(alice, v.id).shared_with == []


def test_store_files_are_owner_only_in_a_folder_made_beforehand(tmp_path):
    from analyzer.store import open_store

    folder = tmp_path / "made-by-admin"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    old = os.umask(0o022)
    try:
        store = open_store(folder)
        store.create_user("alice", "alice-secret-1", "clinician")
    finally:
        os.umask(old)
    files = [p for p in folder.iterdir() if p.name.startswith("visits.db")]
    assert {p.name for p in files} >= {"visits.db"}
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {p.name: "0o600" for p in files}
