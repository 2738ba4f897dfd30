"""Streamlit AppTest of each page flow of app.py, on the real pipeline, store and report.

Sample visits come from the sample cache (analysed once with the real pipeline if missing or
made by other code); uploads are real transcripts analysed in the app's background thread.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from streamlit.testing.v1 import AppTest

from app_testing import sign_in

from analyzer.report import build_report
from analyzer.webapp import samples

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
REFERENCE = ROOT / "analyzer" / "assets" / "samples" / "poor_visit_reference.json"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("VISIT_ANALYZER_ACCOUNTS", raising=False)
    monkeypatch.delenv("VISIT_ANALYZER_DB_URL", raising=False)
    return tmp_path / "data"


@pytest.fixture(scope="module")
def good_visit() -> dict:
    return samples.ensure("good_visit")


def app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = str(v)
    return at


def plain(md: str) -> str:
    """What a person reads in a Markdown source the app wrote: escapes and the invisible word
    joiners that keep user text from becoming links removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", md).replace("\u2060", "")


def shown_figures(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_figures(analysis: dict) -> dict[str, str]:
    return {f.label: f.display for f in build_report(analysis).scorecard}


def run_until(at: AppTest, done, timeout: float = 240.0) -> AppTest:
    """Rerun the page (as the progress fragment does) until ``done(at)`` or the timeout."""
    t_end = time.monotonic() + timeout
    at.run()
    while not done(at) and time.monotonic() < t_end:
        assert not at.exception, at.exception
        time.sleep(1.0)
        at.run()
    assert not at.exception, at.exception
    return at


def run_until_shown(at: AppTest) -> AppTest:
    """Rerun until the analysis shows its scorecard or an error."""
    return run_until(at, lambda a: bool(a.metric) or bool(a.error))


def the_only_visit(data_dir: Path):
    """(store, the local user, their one visit)."""
    store = open_store(data_dir)
    user = store.local_user()
    [v] = store.visits_for(user)
    return store, user, v


def open_store(data_dir: Path):
    from analyzer.webapp.views.common import get_store

    return get_store(str(data_dir), None)


def upload_form(at: AppTest, name: str, data: bytes, *, consent=True, who="the patient and Dr Lee",
                how="written consent form") -> AppTest:
    at.file_uploader(key="upload_files").set_value((name, data, "application/octet-stream"))
    if consent:
        at.checkbox(key="consent_confirmed").check()
    at.text_input(key="consent_who").input(who)
    if how:
        at.selectbox(key="consent_how").select(how)
    at.button(key="analyse").click()
    return at.run()


def test_sample_visit_opens_with_its_report(data_dir, good_visit):
    at = app(sample="good_visit").run()
    assert not at.exception
    assert shown_figures(at) == expected_figures(good_visit)
    assert [t.label for t in at.tabs] == ["Scorecard", "Timeline", "Transcript", "Moments", "Speakers", "Export"]
    text = " ".join(m.value for m in at.markdown)
    assert good_visit["utterances"][0]["text"][:40] in text  # annotated transcript
    assert "Could have said" in text or "What worked" in text  # moments


def test_upload_transcript_consent_then_analysis(data_dir):
    at = app(page="new").run()
    upload_form(at, "followup.json", REFERENCE.read_bytes())
    assert not at.error, [e.value for e in at.error]
    run_until_shown(at)
    assert not at.error, [e.value for e in at.error]
    store, user, v = the_only_visit(data_dir)
    visit = store.get_visit(user, v.id)
    assert visit.consent.who == "the patient and Dr Lee" and visit.consent.how == "written consent form"
    analysis = store.load_analysis(user, v.id)
    assert shown_figures(at) == expected_figures(analysis)
    assert at.query_params["visit"] == [str(v.id)] or at.query_params["visit"] == str(v.id)


@pytest.mark.parametrize("consent,who,how", [(False, "the patient", "written consent form"),
                                             (True, "", "written consent form"),
                                             (True, "the patient", None)])
def test_no_consent_no_processing(data_dir, consent, who, how):
    at = app(page="new").run()
    upload_form(at, "visit.json", REFERENCE.read_bytes(), consent=consent, who=who, how=how)
    assert not at.exception
    assert at.error and "Not analysed" in at.error[0].value and "Nothing was stored" in at.error[0].value
    assert not at.metric
    store = open_store(data_dir)
    assert store.visits_for(store.local_user()) == []


@pytest.mark.parametrize("name,data,reason", [
    ("visit.wav", b"RIFF\x00\x00 this is not audio at all", "could not be analysed"),
    ("visit.ogg", b"", "empty"),
    ("visit.vtt", b"WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nDoctor: hello\n", "could not be analysed"),
])
def test_bad_upload_says_why_and_stores_nothing(data_dir, name, data, reason):
    at = app(page="new").run()
    upload_form(at, name, data)
    assert not at.exception
    assert at.error and reason in at.error[0].value and "Nothing was stored" in at.error[0].value
    assert "Errno" not in at.error[0].value and "/tmp/" not in at.error[0].value  # plain words only
    store = open_store(data_dir)
    assert store.visits_for(store.local_user()) == []


def test_role_swap_recomputes_without_speech_recognition(data_dir, good_visit, monkeypatch):
    import analyzer.speech.asr

    def no_asr(*a, **k):
        raise AssertionError("speech recognition must not run again for a role change")

    monkeypatch.setattr(analyzer.speech.asr.Transcriber, "__init__", no_asr)
    at = app(sample="good_visit").run()
    before = shown_figures(at)
    at.button(key="swap_sample_good_visit").click()
    at.run()
    assert not at.exception, at.exception
    roles = {sb.label.split(" ")[0]: sb.value for sb in at.selectbox if sb.key.startswith("view_role_")}
    orig = {s["id"]: s["role"] for s in good_visit["speakers"]}
    assert roles == {sid: {"clinician": "patient", "patient": "clinician"}.get(r, r) for sid, r in orig.items()}
    after = shown_figures(at)
    assert after != before
    from analyzer.webapp.recompute import recompute, swapped
    from analyzer.webapp.samples import SAMPLES

    # the sample's recording is decoded again for turn-taking (word edges), as on the first run
    assert after == expected_figures(recompute(good_visit, swapped(good_visit), recording=SAMPLES["good_visit"].audio))


def test_stored_visit_role_change_reruns_stages(data_dir):
    at = app(page="new").run()
    upload_form(at, "visit.json", REFERENCE.read_bytes())
    run_until_shown(at)
    store, user, v = the_only_visit(data_dir)
    before = store.load_analysis(user, v.id)
    at.button(key=f"swap_visit{v.id}").click()
    run_until(at, lambda a: bool(a.metric) and any(j.state == "done" for j in store.get_visit(user, v.id).jobs[1:]))
    after = store.load_analysis(user, v.id)
    assert {s["id"]: s["role"] for s in after["speakers"]} == {"clinician": "patient", "patient": "clinician"}
    assert before["utterances"][0]["text"] == after["utterances"][0]["text"]
    assert shown_figures(at) == expected_figures(after)


def _visit_with_analysis(store, owner, title="visit of alice", source=REFERENCE):
    from analyzer.store import Consent
    from analyzer.store.worker import run_job

    v = store.create_visit(owner, source, Consent("the patient", "verbal, recorded", owner.username), title=title)
    assert run_job(store, v.jobs[0].id).state == "done"
    return v


def test_sign_in_and_visit_url_belongs_to_its_clinician(data_dir, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_ACCOUNTS", "1")
    store = open_store(data_dir)
    alice = store.create_user("alice", "alice-secret-1", "clinician")
    store.create_user("bob", "bob-secret-12", "clinician")
    store.create_user("carol", "carol-secret-1", "coach")
    v = _visit_with_analysis(store, alice)

    at = app(visit=v.id).run()  # not signed in: only the sign-in page
    assert not at.metric and any(b.label == "Sign in" for b in at.button)
    sign_in(at, "alice", "wrong password")
    assert at.error and "Wrong username or password" in at.error[0].value and not at.metric

    at = sign_in(app(visit=v.id).run(), "bob", "bob-secret-12")  # another clinician, by URL
    assert not at.exception and not at.metric
    assert any("has not been shared with you" in e.value for e in at.error)
    assert v.title not in [h.value for h in at.header]

    at = sign_in(app(visit=v.id).run(), "carol", "carol-secret-1")  # a coach, not shared yet
    assert not at.metric and any("has not been shared with you" in e.value for e in at.error)

    at = sign_in(app(visit=v.id).run(), "alice", "alice-secret-1")  # the owner
    assert shown_figures(at) == expected_figures(store.load_analysis(alice, v.id))


def test_coach_comment_reaches_the_clinician_and_revoke_ends_access(data_dir, monkeypatch):
    monkeypatch.setenv("VISIT_ANALYZER_ACCOUNTS", "1")
    store = open_store(data_dir)
    alice = store.create_user("alice", "alice-secret-1", "clinician")
    store.create_user("carol", "carol-secret-1", "coach")
    v = _visit_with_analysis(store, alice)

    owner = sign_in(app(visit=v.id).run(), "alice", "alice-secret-1")
    assert owner.selectbox(key="view_share_coach").value is None  # nobody preselected
    assert owner.button(key="share").disabled
    owner.selectbox(key="view_share_coach").select("carol")
    owner.run()
    owner.button(key="share").click()
    owner.run()
    assert store.get_visit(alice, v.id).shared_with == ["carol"]

    coach = sign_in(app(visit=v.id).run(), "carol", "carol-secret-1")
    assert coach.metric  # the shared report
    coach.button(key=f"view_play_visit{v.id}_2").click()
    coach.run()
    coach.text_area(key="view_comment_text_2").input("Lovely open question here.")
    [btn] = [b for b in coach.button if b.label == "Add comment"]
    btn.click()
    coach.run()
    assert not coach.exception

    owner.run()
    owner.button(key=f"view_play_visit{v.id}_2").click()
    owner.run()
    assert any("Lovely open question here." in m.value and "carol" in m.value for m in owner.markdown)

    owner.button(key="revoke_carol").click()
    owner.run()
    coach.run()
    assert not coach.metric and any("has not been shared with you" in e.value for e in coach.error)


def test_interrupted_job_is_shown_and_can_be_rerun(data_dir):
    from analyzer.store import Consent

    store = open_store(data_dir)
    me = store.local_user()
    v = store.create_visit(me, REFERENCE, Consent("the patient", "verbal", "local"))
    assert store.claim_job(v.jobs[0].id, pid=2**22 + 12345)  # a worker that died mid-job
    assert store.recover_interrupted() == [v.jobs[0].id]
    at = app(visit=v.id).run()
    assert any("interrupted" in w.value for w in at.warning) and not at.metric
    at.button(key="rerun").click()
    run_until_shown(at)
    assert shown_figures(at) == expected_figures(store.load_analysis(me, v.id))


def test_visit_list_and_progress_pages(data_dir):
    store = open_store(data_dir)
    me = store.local_user()
    v1 = _visit_with_analysis(store, me, "first visit")
    v2 = _visit_with_analysis(store, me, "second visit", ROOT / "analyzer" / "assets" / "samples" / "good_visit_reference.json")
    at = app(page="visits").run()
    text = " ".join(m.value for m in at.markdown)
    assert "first visit" in text and "second visit" in text
    at = app(page="progress").run()
    assert not at.exception and at.multiselect(key="progress_figures").value
    import json

    # Two visits on one day are two points (a time axis put them on one), in order.
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [x.split(". ")[0] for x in spec["data"][0]["x"]] == ["1", "2"]
    at = app(visit=v1.id).run()
    assert at.button(key="delete_visit").disabled  # not without the confirmation
    at.checkbox(key="view_delete_sure").check()
    at.run()
    at.button(key="delete_visit").click()
    at.run()
    assert [s.id for s in store.visits_for(me)] == [v2.id]
    assert at.query_params.get("page") in ("visits", ["visits"])


def test_job_of_a_worker_that_dies_shows_as_interrupted(data_dir):
    import subprocess

    from analyzer.store import Consent

    store = open_store(data_dir)
    me = store.local_user()
    v = store.create_visit(me, REFERENCE, Consent("the patient", "verbal", "local"))
    worker = subprocess.Popen(["sleep", "60"])  # stands in for a batch worker process
    try:
        assert store.claim_job(v.jobs[0].id, pid=worker.pid)
        store.heartbeat(v.jobs[0].id, "transcribe", 0.4)
        at = app(visit=v.id).run()
        assert any("in another process" in s.value for s in at.subheader) and not at.metric
        worker.kill()
        worker.wait()
        at.run()
        assert any("interrupted" in w.value for w in at.warning)
        assert at.button(key="rerun")
    finally:
        if worker.poll() is None:
            worker.kill()


def test_exports_and_redacted_view(data_dir, good_visit):
    at = app(sample="good_visit").run()
    at.button(key="mk_exports_sample_good_visit").click()
    at.run()
    assert not at.exception, at.exception
    made = at.session_state["view_exports_sample_good_visit_False"]
    assert made["pdf"][:5] == b"%PDF-"
    report = build_report(good_visit)
    assert all(f.display in made["html"] for f in report.scorecard)
    labels = [d.label for d in at.get("download_button")]
    assert {"Analysis (JSON)", "Report (HTML)", "Report (PDF)"} <= set(labels)
    at.toggle(key="view_redact").set_value(True)
    at.run()
    assert not at.exception, at.exception
    assert any("Exports are redacted" in i.value for i in at.info)


def test_upload_a_pair_of_textgrids(data_dir):
    from conftest import data

    folder = data("primock57", "transcripts")
    files = [folder / "day1_consultation01_doctor.TextGrid", folder / "day1_consultation01_patient.TextGrid"]
    at = app(page="new").run()
    at.file_uploader(key="upload_files").set_value([(p.name, p.read_bytes(), "text/plain") for p in files])
    at.checkbox(key="consent_confirmed").check()
    at.text_input(key="consent_who").input("PriMock57 actors (mock consultation)")
    at.selectbox(key="consent_how").select("synthetic or role-play (no real patient)")
    at.button(key="analyse").click()
    run_until_shown(at)
    assert not at.error, [e.value for e in at.error]
    store, me, v = the_only_visit(data_dir)
    analysis = store.load_analysis(me, v.id)
    assert {s["role"] for s in analysis["speakers"]} == {"clinician", "patient"}
    assert v.title == "day1_consultation01"  # the visit's name, not one half of the pair
    assert shown_figures(at) == expected_figures(analysis)


def test_recording_that_fails_in_the_analysis_says_why(data_dir):
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:  # 5 s of digital silence: a valid file, nothing to analyse
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x00" * 16000 * 5)
    at = app(page="new").run()
    upload_form(at, "silent.wav", buf.getvalue())
    run_until_shown(at)
    assert not at.metric
    [err] = at.error
    assert plain(err.value).startswith("This file could not be analysed: silent.wav:"), err.value
    assert "/" not in plain(err.value).split("silent.wav")[0]  # no storage path shown
    assert at.button(key="rerun")


def test_a_new_user_lands_on_the_sample_report(data_dir, good_visit):
    at = app().run()
    assert not at.exception
    assert any("sample visit" in i.value for i in at.info)
    assert shown_figures(at) == expected_figures(good_visit)
