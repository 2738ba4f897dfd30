"""One visit per recording (or transcript) and clinician, enforced by the database: the same file
again returns the visit made from it, processes adding it at the same moment make one visit, and a
store that already holds duplicates (made before the rule) keeps every one of them.

Every test runs on SQLite and on a throw-away PostgreSQL."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from analyzer.store import open_store
from analyzer.store.db import make_engine, sqlite_url, upgrade_to_head
from test_store_fixtures import CONSENT, DATA, FIX, ROOT, backend, db_url, pg_cluster, store, store_url  # noqa: F401

ACI = FIX / "aci_bench_D2N019.txt"


def test_same_content_again_is_the_same_visit(store, tmp_path):
    ann = store.create_user("ann", "ann-password", "clinician")
    bob = store.create_user("bob", "bob-password", "clinician")
    a = store.create_visit(ann, ACI, CONSENT, title="elbow")
    renamed = tmp_path / "renamed copy.txt"
    shutil.copy(ACI, renamed)
    again = store.create_visit(ann, renamed, CONSENT, title="another title")
    assert again.id == a.id and again.existing and not a.existing
    assert again.title == "elbow" and [j.id for j in again.jobs] == [j.id for j in a.jobs]  # nothing new queued
    theirs = store.create_visit(bob, ACI, CONSENT)  # another clinician's visit of the same file is theirs
    assert theirs.id != a.id and not theirs.existing
    assert [v.id for v in store.visits_for(ann)] == [a.id]
    assert store.find_visit(ann, a.content_sha256).id == a.id


def test_the_database_refuses_a_second_visit_of_one_content(store):
    """The rule is in the schema, so no code path (an old app, a script) can break it."""
    ann = store.create_user("ann", "ann-password", "clinician")
    a = store.create_visit(ann, ACI, CONSENT)
    cols = ("owner_id, title, created_at, source_name, source_kind, content_sha256, consent_who, consent_how, "
            "consent_confirmed_by, consent_at")
    with pytest.raises(IntegrityError):
        with store.engine.begin() as c:
            c.execute(text(f"INSERT INTO visits ({cols}) SELECT {cols} FROM visits WHERE id = :v"), {"v": a.id})
    with store.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM visits")).scalar() == 1


ADD = """
import json, sys, time
from pathlib import Path
from analyzer.store import Consent, open_store
data, url, go, files = sys.argv[1], sys.argv[2] or None, Path(sys.argv[3]), sys.argv[4:]
s = open_store(data, url)
ann = s.get_user("ann")
while not go.exists():
    time.sleep(0.005)
ids = [s.create_visit(ann, f, Consent("the patient", "verbal", "ann")).id for f in files]
print(json.dumps(ids))
"""


def test_three_processes_adding_the_same_files_at_once_make_one_visit_each(tmp_path, store_url):
    """Each process looks the content up and inserts in one transaction (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: the unique index turns the loser's insert into a get)."""
    data = tmp_path / "data"
    s = open_store(data, store_url)
    s.create_user("ann", "ann-password", "clinician")
    s.close()
    files = [str(FIX / "labels.txt"), str(ACI), str(DATA / "audio" / "jfk.flac")]
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", ADD, str(data), store_url or "", str(go), *files],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    time.sleep(8)  # every process has opened the store and waits at the line
    go.touch()
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    ids = [json.loads(o[0]) for o in outs]
    assert ids[0] == ids[1] == ids[2] and len(set(ids[0])) == 3  # all three got the same three visits
    s = open_store(data, store_url)
    ann = s.get_user("ann")
    assert sorted(v.id for v in s.visits_for(ann)) == sorted(ids[0])
    assert all(len(s.get_visit(ann, v).jobs) == 1 for v in ids[0])  # one job each, not three
    assert len([p for p in s.audio_dir.iterdir()]) == 1  # one copy of the recording, no temporaries
    s.close()


def test_a_store_with_duplicates_keeps_them_all_when_migrated(tmp_path, request, backend):
    """Duplicates made before the rule: nothing is deleted; the analysed one stays the visit of
    that content, the others are kept and marked as repeats of it."""
    url, cleanup = db_url(request, backend)
    if url is None:
        (tmp_path / "d").mkdir()
        url = sqlite_url(tmp_path / "d")
    try:
        engine = make_engine(url)
        upgrade_to_head(engine, "0002")
        with engine.begin() as c:
            c.execute(text("INSERT INTO users (id, username, role, is_local, keep_audio, created_at) "
                           "VALUES (1, 'ann', 'clinician', false, true, CURRENT_TIMESTAMP)"))
            for vid, sha, analysed in ((1, "a" * 64, False), (2, "a" * 64, True), (3, "a" * 64, False),
                                       (4, "b" * 64, False)):
                c.execute(text("INSERT INTO visits (id, owner_id, title, created_at, source_name, source_kind, "
                               "content_sha256, consent_who, consent_how, consent_confirmed_by, consent_at, "
                               "analyzed_at) VALUES (:i, 1, 't', CURRENT_TIMESTAMP, 'x.txt', 'transcript', :s, "
                               "'p', 'verbal', 'ann', CURRENT_TIMESTAMP, "
                               + ("CURRENT_TIMESTAMP" if analysed else "NULL") + ")"), {"i": vid, "s": sha})
        upgrade_to_head(engine)
        with engine.connect() as c:
            rows = dict(c.execute(text("SELECT id, duplicate_of FROM visits ORDER BY id")).all())
        assert rows == {1: 2, 2: None, 3: 2, 4: None}
        engine.dispose()
    finally:
        cleanup()
