"""Account administration: `visit-analyzer users add|list|password|remove` on a real store."""
from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.store import Consent, open_store
from analyzer.store.worker import run_job
from test_store_fixtures import backend, pg_cluster, store, store_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "analyzer" / "assets" / "samples" / "poor_visit_reference.json"


def users(data: Path, *args: str, password: str | None = None, monkeypatch=None) -> int:
    if password is not None:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        args = (*args, "--password-stdin")
    return main(["users", *args, "--data-dir", str(data)])


def test_add_list_password_remove(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    assert users(data, "add", "dr_lee", "--role", "clinician", password="lee-secret-1", monkeypatch=monkeypatch) == 0
    assert users(data, "add", "kim", "--role", "coach", password="kim-secret-12", monkeypatch=monkeypatch) == 0
    assert users(data, "add", "kim", "--role", "coach", password="kim-secret-12", monkeypatch=monkeypatch) == 2
    assert "exists already" in capsys.readouterr().err
    assert users(data, "add", "short", "--role", "coach", password="short", monkeypatch=monkeypatch) == 2
    assert "at least 8 characters" in capsys.readouterr().err
    assert users(data, "list") == 0
    out = capsys.readouterr().out
    assert "dr_lee\tclinician\t0 visits" in out and "kim\tcoach" in out and "short" not in out
    store = open_store(data)
    assert store.authenticate("dr_lee", "lee-secret-1") is not None
    assert users(data, "password", "dr_lee", password="a-new-secret", monkeypatch=monkeypatch) == 0
    assert store.authenticate("dr_lee", "lee-secret-1") is None
    assert store.authenticate("dr_lee", "a-new-secret") is not None
    assert users(data, "remove", "kim") == 0
    assert store.get_user("kim") is None and store.authenticate("kim", "kim-secret-12") is None
    assert users(data, "remove", "nobody") == 2 and "no account named" in capsys.readouterr().err
    actions = [e["action"] for e in store.audit_log(store.get_user("dr_lee"))]
    assert "user.password" in actions


def test_password_without_a_terminal_is_refused(tmp_path, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert users(tmp_path / "data", "add", "x", "--role", "clinician") == 2
    assert "--password-stdin" in capsys.readouterr().err
    assert open_store(tmp_path / "data").count_users() == 0


def test_remove_keeps_data_unless_asked(store):  # SQLite and PostgreSQL
    alice = store.create_user("alice", "alice-secret-1", "clinician")
    carol = store.create_user("carol", "carol-secret-1", "coach")
    v = store.create_visit(alice, REFERENCE, Consent("the patient", "verbal", "alice"), title="t")
    assert run_job(store, v.jobs[0].id).state == "done"
    store.share(alice, v.id, "carol")
    store.add_comment(carol, v.id, 1, "nice")
    with pytest.raises(ValueError, match="1 comments"):
        store.remove_user("carol")
    with pytest.raises(ValueError, match="1 visits"):
        store.remove_user("alice")
    assert store.comments(alice, v.id) and store.get_user("carol") is not None  # nothing changed
    held = store.remove_user("carol", delete_data=True)
    assert held["comments"] == 1 and held["shared_with_them"] == 1
    assert store.comments(alice, v.id) == [] and store.get_visit(alice, v.id).shared_with == []
    store.remove_user("alice", delete_data=True)
    assert store.get_user("alice") is None and store.count_users() == 0
    for table in ("visits", "analyses", "transcripts", "jobs", "comments", "shares"):
        with store.engine.connect() as c:
            from sqlalchemy import text

            assert c.execute(text(f"select count(*) from {table}")).scalar() == 0, table
