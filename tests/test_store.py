"""The store: consent, accounts, access rules, sharing, comments, corrections, delete, retention.

Every test runs twice: on SQLite in a temporary data folder and on a throw-away PostgreSQL.
"""
from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from sqlalchemy import text

from analyzer.store import AccessDenied, Consent, ConsentRequired, NotFound, open_store
from analyzer.store.blobs import sha256_file
from analyzer.store.worker import run_job
from test_store_fixtures import CONSENT, FIX, backend, db_counts, pg_cluster, store, store_url  # noqa: F401

ACI = FIX / "aci_bench_D2N019.txt"


@pytest.fixture(scope="module")
def aci_analysis() -> dict:
    """A real analysis (the whole pipeline on an ACI-Bench dialogue), made once per module."""
    from analyzer.pipeline import analyze

    return analyze(ACI).to_dict()


@pytest.fixture
def people(store):
    return {
        "ann": store.create_user("ann", "ann-password", "clinician"),
        "bob": store.create_user("bob", "bob-password", "clinician"),
        "cat": store.create_user("cat", "cat-password", "coach"),
        "dan": store.create_user("dan", "dan-password", "coach"),
    }


@pytest.fixture
def ann_visit(store, people, aci_analysis):
    v = store.create_visit(people["ann"], ACI, CONSENT, title="elbow visit")
    store.save_analysis(v.id, aci_analysis)
    return v


def audio_files(store) -> list:
    return sorted(p.name for p in store.audio_dir.iterdir())


# ------------------------------------------------------------------ consent and input


@pytest.mark.parametrize("consent", [None, Consent("", "verbal", "dr a"), Consent("patient", " ", "dr a"),
                                     Consent("patient", "verbal", "")])
def test_no_consent_no_visit(store, people, consent, jfk):
    with pytest.raises(ConsentRequired):
        store.create_visit(people["ann"], jfk, consent)
    assert store.visits_for(people["ann"]) == []
    assert audio_files(store) == []  # nothing copied either


def test_consent_is_recorded(store, people):
    v = store.create_visit(people["ann"], ACI, Consent("Mrs H.", "signed form 12", "Dr Fisher"))
    got = store.get_visit(people["ann"], v.id)
    assert (got.consent.who, got.consent.how, got.consent.confirmed_by) == ("Mrs H.", "signed form 12", "Dr Fisher")
    assert got.consent.at is not None and got.consent.at.tzinfo is not None
    assert got.status == "queued" and [j.state for j in got.jobs] == ["queued"]


def test_coach_cannot_add_visits(store, people):
    with pytest.raises(AccessDenied):
        store.create_visit(people["cat"], ACI, CONSENT)


def test_audio_kept_by_hash(store, people, jfk):
    v = store.create_visit(people["ann"], jfk, CONSENT)
    p = store.audio_path(people["ann"], v.id)
    assert p.parent == store.audio_dir and p.name == f"{sha256_file(jfk)}.flac"
    assert sha256_file(p) == sha256_file(jfk) == v.media_sha256
    assert v.source_kind == "audio" and v.has_audio and abs(v.duration - 11.0) < 0.1


# ------------------------------------------------------------------ accounts


def test_passwords_hashed_with_argon2(store, people):
    with store.engine.connect() as c:
        h = c.execute(text("SELECT password_hash FROM users WHERE username = 'ann'")).scalar()
    assert h.startswith("$argon2id$") and "ann-password" not in h
    assert store.authenticate("ann", "ann-password") == people["ann"]
    assert store.authenticate("ann", "wrong-password") is None
    assert store.authenticate("nobody", "ann-password") is None
    with pytest.raises(ValueError):
        store.create_user("ann", "another-password", "clinician")  # taken
    with pytest.raises(ValueError):
        store.create_user("eve", "short", "clinician")


def test_local_user_is_one_clinician(store):
    a, b = store.local_user(), store.local_user()
    assert a == b and a.role == "clinician" and a.is_local
    assert store.authenticate("local", "") is None  # no password to sign in with: local mode only


# ------------------------------------------------------------------ access rules


def test_clinician_cannot_open_anothers_visit(store, people, ann_visit):
    bob, vid = people["bob"], ann_visit.id
    assert store.visits_for(bob) == []
    for call in (lambda: store.get_visit(bob, vid), lambda: store.load_analysis(bob, vid),
                 lambda: store.audio_path(bob, vid), lambda: store.comments(bob, vid),
                 lambda: store.add_comment(bob, vid, 0, "hi"), lambda: store.delete_visit(bob, vid),
                 lambda: store.share(bob, vid, "cat"), lambda: store.set_roles(bob, vid, {"S1": "patient"}),
                 lambda: store.add_correction(bob, vid, 0, "tag", "question", "reflection")):
        with pytest.raises(AccessDenied):
            call()
    with pytest.raises(NotFound):
        store.get_visit(bob, vid + 1000)
    with pytest.raises(NotFound):
        store.get_visit(bob, "1 OR 1=1")  # a URL parameter is never SQL
    # A forged record (right id, wrong name or a claimed role) does not pass: the database decides.
    with pytest.raises(AccessDenied):
        store.get_visit(dataclasses.replace(bob, id=people["ann"].id), vid)
    with pytest.raises(AccessDenied):
        store.load_analysis(dataclasses.replace(people["dan"], role="clinician"), vid)
    assert store.get_visit(people["ann"], vid).can_edit


def test_coach_sees_only_shared_and_revoke(store, people, ann_visit, aci_analysis):
    ann, cat, dan = people["ann"], people["cat"], people["dan"]
    other = store.create_visit(ann, FIX / "cp1252.txt", CONSENT)
    assert store.visits_for(cat) == []
    with pytest.raises(AccessDenied):
        store.get_visit(cat, ann_visit.id)
    store.share(ann, ann_visit.id, "cat")
    assert [v.id for v in store.visits_for(cat)] == [ann_visit.id]
    assert store.visits_for(dan) == []
    got = store.get_visit(cat, ann_visit.id)
    assert not got.can_edit and got.shared_with == ["cat"]
    with pytest.raises(AccessDenied):
        store.get_visit(cat, other.id)
    with pytest.raises(AccessDenied):  # reading is not owning
        store.delete_visit(cat, ann_visit.id)
    with pytest.raises(AccessDenied):
        store.share(cat, ann_visit.id, "dan")
    with pytest.raises(NotFound):
        store.share(ann, ann_visit.id, "bob")  # a clinician is not a coach
    assert store.revoke(ann, ann_visit.id, "cat")
    assert store.visits_for(cat) == []
    with pytest.raises(AccessDenied):
        store.load_analysis(cat, ann_visit.id)
    assert not store.revoke(ann, ann_visit.id, "cat")


def test_shared_view_is_redacted(store, people, ann_visit, aci_analysis):
    ann, cat = people["ann"], people["cat"]
    store.share(ann, ann_visit.id, "cat")  # masked by default
    mine = store.load_analysis(ann, ann_visit.id)
    assert mine == aci_analysis
    theirs = store.load_analysis(cat, ann_visit.id)
    first = " ".join(u["text"] for u in theirs["utterances"][:3])
    assert "hernandez" not in first and "fisher" not in first and "[NAME]" in first
    assert store.load_analysis(cat, ann_visit.id, redact=False) == theirs  # a coach cannot lift it
    store.share(ann, ann_visit.id, "cat", redact=False)
    assert store.load_analysis(cat, ann_visit.id) == aci_analysis


def test_comments_visible_to_clinician(store, people, ann_visit):
    ann, cat = people["ann"], people["cat"]
    store.share(ann, ann_visit.id, "cat")
    c = store.add_comment(cat, ann_visit.id, 4, "Nice open question here.")
    store.add_comment(ann, ann_visit.id, 4, "Thanks!")
    seen = store.comments(ann, ann_visit.id)
    assert [(x.author, x.author_role, x.utterance, x.text) for x in seen] == [
        ("cat", "coach", 4, "Nice open question here."), ("ann", "clinician", 4, "Thanks!")]
    assert c.id == seen[0].id
    with pytest.raises(ValueError):
        store.add_comment(cat, ann_visit.id, 10_000, "no such moment")
    with pytest.raises(ValueError):
        store.add_comment(cat, ann_visit.id, 1, "   ")
    store.revoke(ann, ann_visit.id, "cat")
    assert len(store.comments(ann, ann_visit.id)) == 2  # the coach's comments stay with the visit
    with pytest.raises(AccessDenied):
        store.comments(cat, ann_visit.id)


def test_corrections_beside_machine_label_and_export(store, people, ann_visit, aci_analysis, tmp_path):
    ann, cat = people["ann"], people["cat"]
    store.share(ann, ann_visit.id, "cat")
    k = next(i for i, u in enumerate(aci_analysis["utterances"]) if u.get("tags"))
    machine = aci_analysis["utterances"][k]["main"] if "main" in aci_analysis["utterances"][k] else \
        aci_analysis["utterances"][k]["tags"][0]["label"]
    store.add_correction(cat, ann_visit.id, k, "tag", machine, "complex_reflection")
    store.add_correction(cat, ann_visit.id, 0, "role", "clinician", "patient")
    with pytest.raises(ValueError):
        store.add_correction(cat, ann_visit.id, 0, "mood", "a", "b")
    got = store.corrections(ann, ann_visit.id)
    assert [(c.kind, c.machine, c.corrected, c.utterance) for c in got] == [
        ("tag", machine, "complex_reflection", k), ("role", "clinician", "patient", 0)]
    assert got[1].speaker == aci_analysis["utterances"][0]["speaker"]
    # The machine's own label is untouched: the correction sits beside it.
    assert store.load_analysis(ann, ann_visit.id) == aci_analysis
    n = store.export_corrections_jsonl(cat, tmp_path / "train.jsonl")
    rows = [json.loads(x) for x in (tmp_path / "train.jsonl").read_text().splitlines()]
    assert n == 2 and [r["label"] for r in rows] == ["complex_reflection", "patient"]
    assert rows[0]["machine_label"] == machine and rows[0]["text"]
    assert "hernandez" not in rows[1]["text"].lower()  # utterance 0 names the patient: masked
    assert store.export_corrections(ann, redact=False)[1]["text"] == aci_analysis["utterances"][0]["text"]
    assert store.export_corrections(people["dan"]) == [] and store.export_corrections(people["bob"]) == []


# ------------------------------------------------------------------ delete and retention


def test_delete_visit_removes_everything(store, people, aci_analysis, jfk, tmp_path):
    ann = people["ann"]
    v = store.create_visit(ann, jfk, CONSENT)
    keep = store.create_visit(ann, ACI, CONSENT)
    store.save_analysis(v.id, aci_analysis)
    store.save_analysis(keep.id, aci_analysis)
    store.save_transcript(v.id, aci_analysis)
    store.share(ann, v.id, "cat")
    store.add_comment(people["cat"], v.id, 1, "a comment")
    store.add_correction(people["cat"], v.id, 1, "tag", "question", "reflection")
    audio = store.audio_path(ann, v.id)
    assert audio.exists()
    assert all(n >= 1 for n in db_counts(store, v.id).values())
    store.delete_visit(ann, v.id)
    assert not audio.exists() and audio_files(store) == []
    assert db_counts(store, v.id) == {t: 0 for t in db_counts(store, v.id)}
    with pytest.raises(NotFound):
        store.get_visit(ann, v.id)
    assert store.load_analysis(ann, keep.id) == aci_analysis  # the other visit is untouched
    # Same recording in two clinicians' visits: one file, kept until the last visit goes.
    bob = people["bob"]
    a = store.create_visit(ann, jfk, CONSENT)
    b = store.create_visit(bob, jfk, CONSENT)
    assert len(audio_files(store)) == 1 and a.id != b.id
    store.delete_visit(ann, a.id)
    assert store.audio_path(bob, b.id).exists()
    store.delete_visit(bob, b.id)
    assert audio_files(store) == []


def test_deleted_visit_leaves_no_trace_in_the_sqlite_files(tmp_path, aci_analysis):
    """SQLite keeps deleted rows in free pages and old page copies in its write-ahead log; after
    Delete visit (and removing a user with their data) no byte of the visit's text is left in
    any of the database's files."""
    s = open_store(tmp_path / "d")
    ann = s.create_user("ann", "ann-password", "clinician")
    marker = "Zanzibar-quokka-4417 said the patient"
    analysis = json.loads(json.dumps(aci_analysis))
    analysis["utterances"][1]["text"] = marker
    v = s.create_visit(ann, ACI, CONSENT)
    s.save_transcript(v.id, analysis)
    s.save_analysis(v.id, analysis)
    s.add_comment(ann, v.id, 1, f"comment on {marker}")

    def on_disk() -> int:
        return sum(p.read_bytes().count(marker.encode()) for p in (tmp_path / "d").glob("visits.db*"))

    assert on_disk() >= 1  # it is there while the visit is (so the check below can fail)
    s.delete_visit(ann, v.id)
    assert on_disk() == 0
    bob = s.create_user("bob", "bob-password", "clinician")
    w = s.create_visit(bob, ACI, CONSENT)
    s.save_analysis(w.id, analysis)
    assert on_disk() >= 1
    s.remove_user("bob", delete_data=True)
    assert on_disk() == 0
    s.close()


def test_retention_deletes_audio_after_analysis(store, people, jfk):
    ann = store.set_audio_retention(people["ann"], keep_audio=False)
    v = store.create_visit(ann, jfk, CONSENT, options={"model": "tiny.en"})
    assert store.audio_path(ann, v.id).exists()
    job = run_job(store, v.jobs[0].id)
    assert job.state == "done", job.error
    got = store.get_visit(ann, v.id)
    assert not got.has_audio and store.audio_path(ann, v.id) is None and audio_files(store) == []
    a = store.load_analysis(ann, v.id)
    assert "country" in " ".join(u["text"] for u in a["utterances"]).lower()
    assert a["source"]["file"] == jfk.name  # the user's file name, not the hash path


def test_set_roles_reruns_with_stored_transcript(store, people):
    ann = people["ann"]
    v = store.create_visit(ann, ACI, CONSENT)
    assert run_job(store, v.jobs[0].id).state == "done"
    before = store.load_analysis(ann, v.id)
    doc = next(s["id"] for s in before["speakers"] if s["role"] == "clinician")
    job = store.set_roles(ann, v.id, {doc: "patient"})
    assert job.state == "queued"
    assert run_job(store, job.id).state == "done"
    after = store.load_analysis(ann, v.id)
    sp = next(s for s in after["speakers"] if s["id"] == doc)
    assert sp["role"] == "patient" and sp["role_source"] == "user"
    assert all(u["role"] == "patient" for u in after["utterances"] if u["speaker"] == doc)
    assert [(c.kind, c.machine, c.corrected) for c in store.corrections(ann, v.id)] == [("role", "clinician", "patient")]
    with pytest.raises(ValueError):
        store.set_roles(ann, v.id, {"S9": "patient"})


def test_reopen_keeps_everything(tmp_path, store_url, jfk):
    s = open_store(tmp_path / "d", store_url)
    ann = s.create_user("ann", "ann-password", "clinician")
    v = s.create_visit(ann, jfk, CONSENT)
    s.close()
    s2 = open_store(tmp_path / "d", store_url)
    assert s2.authenticate("ann", "ann-password") == ann
    assert [x.id for x in s2.visits_for(ann)] == [v.id]
    assert sha256_file(s2.audio_path(ann, v.id)) == sha256_file(jfk)
    s2.close()


def test_progress_over_time(store, people, aci_analysis):
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    first = store.create_visit(ann, ACI, CONSENT, title="first")
    second = store.create_visit(ann, FIX / "labels.txt", CONSENT, title="second")
    store.create_visit(ann, FIX / "cp1252.txt", CONSENT, title="not analysed yet")
    for v in (first, second):
        store.save_analysis(v.id, aci_analysis)
    rows = store.progress(ann, "ann")
    assert [r["title"] for r in rows] == ["first", "second"]  # oldest first, analysed only
    from analyzer.report import build_report

    want = {f.key: f.value for f in build_report(aci_analysis).scorecard}
    assert {k: v["value"] for k, v in rows[0]["figures"].items()} == want
    assert "talk_share_patient" in rows[0]["figures"]
    assert store.progress(cat, "ann") == []  # nothing shared yet
    store.share(ann, second.id, "cat")
    assert [r["visit"] for r in store.progress(cat, "ann")] == [second.id]
    with pytest.raises(AccessDenied):
        store.progress(bob, "ann")


def test_access_log(store, people, ann_visit):
    """Views, shares, exports, deletes and sign-ins are logged (ids and actions, no content); the
    clinician sees what a coach did with her visits; the log outlives a deleted visit."""
    ann, cat = people["ann"], people["cat"]
    assert store.authenticate("cat", "wrong password") is None
    assert store.authenticate("cat", "cat-password") == cat
    store.share(ann, ann_visit.id, "cat")
    store.load_analysis(cat, ann_visit.id)
    store.load_analysis(cat, ann_visit.id)  # a re-render within minutes: logged once
    store.export_corrections(cat)
    store.revoke(ann, ann_visit.id, "cat")
    store.delete_visit(ann, ann_visit.id)
    mine = [(e["user"], e["action"], e["visit"], e["detail"]) for e in reversed(store.audit_log(ann))]
    assert mine == [
        ("ann", "visit.create", ann_visit.id, None),
        ("ann", "visit.share", ann_visit.id, "with cat"),
        ("cat", "visit.view", ann_visit.id, "masked"),
        ("ann", "visit.revoke", ann_visit.id, "from cat"),
        ("ann", "visit.delete", ann_visit.id, None),
    ]
    theirs = [(e["action"], e["detail"]) for e in reversed(store.audit_log(cat))]
    assert theirs == [("user.login_failed", None), ("user.login", None), ("visit.view", "masked"),
                      ("corrections.export", "0 rows")]
    assert store.audit_log(people["bob"]) == []
