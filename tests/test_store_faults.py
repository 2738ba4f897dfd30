"""Faults of the store itself, injected for real: a damaged or missing database, a read-only store,
a full disk, an unreachable PostgreSQL. Every command that opens the store (batch, users, visits,
store) answers with one line and a non-zero exit, never a traceback, and leaves every byte of
what was stored as it was; after a full disk is freed the same batch resumes without
--retry-failed."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from analyzer.store import open_store
from test_store_fixtures import CONSENT, DATA, FIX, ROOT, pg_cluster  # noqa: F401

PY = sys.executable
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "VISIT_ANALYZER_THREADS": "1", "PYTHONPATH": str(ROOT)}
BATCH_CONSENT = "each patient (synthetic or public data set); verbal, recorded at the start"
EXIT_STORE = 4


def cli(*args: str, unprivileged: bool = False, timeout: float = 600) -> subprocess.CompletedProcess:
    cmd = [PY, "-m", "analyzer.cli", *args]
    if unprivileged and os.geteuid() == 0:  # root without the capability to ignore file modes
        cmd = ["setpriv", "--bounding-set", "-all", "--inh-caps", "-all", *cmd]
    return subprocess.run(cmd, env=ENV, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def stored(data: Path) -> dict[str, str]:
    """The database file and every recording, by content."""
    out = {}
    for p in [data / "visits.db", *sorted((data / "audio").glob("*"))]:
        if p.exists():
            out[str(p.relative_to(data))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def make_store(data: Path) -> None:
    """A clinician 'ann' with a transcript visit and a recording, closed (the log folded into visits.db)."""
    s = open_store(data)
    ann = s.create_user("ann", "ann-password", "clinician")
    s.create_visit(ann, FIX / "aci_bench_D2N019.txt", CONSENT)
    s.create_visit(ann, DATA / "audio" / "jfk.flac", CONSENT)
    s.close()
    assert not (data / "visits.db-wal").exists()


def one_line(r: subprocess.CompletedProcess) -> str:
    """The command's error: exactly one line starting 'error:' and no traceback."""
    out = r.stderr + r.stdout
    assert "Traceback" not in out, out
    errs = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert len(errs) == 1, r.stderr
    return errs[0]


# ---------------------------------------------------------------------- damaged database


def _users_root_page(db: Path) -> int:
    import sqlite3

    c = sqlite3.connect(db)
    try:
        return c.execute("SELECT rootpage FROM sqlite_master WHERE name = 'users'").fetchone()[0]
    finally:
        c.close()


def damage(data: Path, how: str) -> None:
    db = data / "visits.db"
    if how == "truncated":
        with open(db, "r+b") as f:
            f.truncate(db.stat().st_size // 2)
    elif how == "random page":  # the accounts table's page: before, `users list` said "no accounts yet"
        page = _users_root_page(db)
        with open(db, "r+b") as f:
            f.seek((page - 1) * 4096)
            f.write(os.urandom(4096))
    elif how == "not a database":
        with open(db, "r+b") as f:
            f.write(os.urandom(100))
    elif how == "emptied":
        db.write_bytes(b"")
    elif how == "missing":
        db.unlink()


DAMAGE = {"truncated": "damaged", "random page": "damaged", "not a database": "damaged", "emptied": "empty",
          "missing": "missing"}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_database_is_reported_and_left_alone(tmp_path, how):
    data = tmp_path / "data"
    make_store(data)
    folder = tmp_path / "visits"
    folder.mkdir()
    shutil.copy(FIX / "labels.txt", folder / "labels.txt")
    damage(data, how)
    before = stored(data)
    for args in (["users", "list"], ["visits", "list"], ["batch", str(folder), "--consent", BATCH_CONSENT, "-q"],
                 ["store", "check"]):
        r = cli(*args, "--data-dir", str(data))
        assert r.returncode == EXIT_STORE, (args, r.stdout, r.stderr)
        out = r.stderr + r.stdout
        assert "Traceback" not in out and DAMAGE[how] in out and "visits.db" in out, (args, out)
        assert stored(data) == before, args  # not repaired, migrated, replaced or created
    from analyzer.store.errors import StoreDamaged

    with pytest.raises(StoreDamaged):
        open_store(data)  # the app's door: the same refusal, as an exception it shows in one line
    assert stored(data) == before


# ---------------------------------------------------------------------- store check / backup / purge


@pytest.mark.parametrize("how", ["missing", "changed"])
def test_store_check_finds_a_missing_or_changed_recording(tmp_path, how):
    data = tmp_path / "data"
    make_store(data)
    r = cli("store", "check", "--data-dir", str(data))
    assert r.returncode == 0 and "store OK" in r.stdout and "2 visits, 1 recordings" in r.stdout, r.stdout + r.stderr
    [blob] = (data / "audio").iterdir()
    if how == "missing":
        blob.unlink()
    else:
        with open(blob, "r+b") as f:
            f.seek(5000)
            f.write(b"changed on disk!")
    r = cli("store", "check", "--data-dir", str(data))
    assert r.returncode == EXIT_STORE and "Traceback" not in r.stderr
    assert "jfk.flac" in r.stdout and ("missing" if how == "missing" else "changed") in r.stdout, r.stdout


def test_backup_is_a_whole_store_and_never_overwrites(tmp_path):
    data = tmp_path / "data"
    make_store(data)
    s = open_store(data)  # open (and writing) while the backup runs: the online backup API copes
    ann = s.get_user("ann")
    s.create_visit(ann, FIX / "labels.txt", CONSENT)
    dest = tmp_path / "backup"
    r = cli("store", "backup", str(dest), "--data-dir", str(data))
    assert r.returncode == 0 and "1 recordings" in r.stdout, r.stdout + r.stderr
    copy = open_store(dest)
    a = copy.get_user("ann")
    assert sorted(v.source_name for v in copy.visits_for(a)) == sorted(v.source_name for v in s.visits_for(ann))
    jfk = next(v for v in copy.visits_for(a) if v.source_name == "jfk.flac")
    assert copy.audio_path(a, jfk.id).read_bytes() == (DATA / "audio" / "jfk.flac").read_bytes()
    assert (dest / "visits.db").stat().st_mode & 0o077 == 0  # health data: owner only
    copy.close()
    s.close()
    before = stored(dest)
    r = cli("store", "backup", str(dest), "--data-dir", str(data))
    assert r.returncode == 2 and "never overwrites" in one_line(r)
    assert stored(dest) == before


def test_check_and_backup_on_postgresql(tmp_path, request):
    """PostgreSQL: check covers the recordings; backup copies them and says to use pg_dump for the database."""
    from test_store_fixtures import db_url

    url, cleanup = db_url(request, "postgresql")
    try:
        data = tmp_path / "data"
        s = open_store(data, url)
        s.create_visit(s.create_user("ann", "ann-password", "clinician"), DATA / "audio" / "jfk.flac", CONSENT)
        s.close()
        r = cli("store", "check", "--data-dir", str(data), "--db-url", url)
        assert r.returncode == 0 and "1 visits, 1 recordings" in r.stdout, r.stdout + r.stderr
        r = cli("store", "backup", str(tmp_path / "bk"), "--data-dir", str(data), "--db-url", url)
        assert r.returncode == 0 and "pg_dump" in r.stdout and "1 recordings" in r.stdout, r.stdout + r.stderr
        assert len(list((tmp_path / "bk" / "audio").iterdir())) == 1 and not (tmp_path / "bk" / "visits.db").exists()
    finally:
        cleanup()


READER = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN")
c.execute("SELECT count(*) FROM transcripts").fetchone()  # a read transaction, as a busy app holds one
print("reading", flush=True)
sys.stdin.readline()
c.execute("COMMIT")
c.close()
"""


def test_visits_list_and_delete_report_when_the_delete_is_complete_on_disk(tmp_path):
    import json

    data = tmp_path / "data"
    s = open_store(data)
    ann = s.create_user("ann", "ann-password", "clinician")
    bob = s.create_user("bob", "bob-password", "clinician")
    marker = "Zanzibar-quokka-4417"
    src = tmp_path / "visit.json"
    t = json.loads((ROOT / "analyzer" / "assets" / "samples" / "poor_visit_reference.json").read_text())
    t["utterances"][0]["text"] = f"{marker} said the patient"
    src.write_text(json.dumps(t))
    v1 = s.create_visit(ann, src, CONSENT, title="first")
    v2 = s.create_visit(ann, FIX / "labels.txt", CONSENT, title="second")
    theirs = s.create_visit(bob, FIX / "labels.txt", CONSENT)
    s.close()

    def on_disk() -> int:
        return sum(p.read_bytes().count(marker.encode()) for p in data.glob("visits.db*"))

    r = cli("visits", "list", "--user", "ann", "--data-dir", str(data))
    assert r.returncode == 0 and [x.split("\t")[0] for x in r.stdout.splitlines()] == [str(v2.id), str(v1.id)]
    assert "first" in r.stdout and "visit.json" in r.stdout
    r = cli("visits", "delete", str(theirs.id), "--yes", "--user", "ann", "--data-dir", str(data))
    assert r.returncode == 2 and "not yours" in one_line(r)
    r = cli("visits", "delete", str(v1.id), "--user", "ann", "--data-dir", str(data))  # no terminal, no --yes
    assert r.returncode == 2 and "--yes" in one_line(r)
    assert on_disk() >= 1

    reader = subprocess.Popen([PY, "-c", READER, str(data / "visits.db")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "reading"
        r = cli("visits", "delete", str(v1.id), "--yes", "--user", "ann", "--data-dir", str(data))
        assert r.returncode == 0 and "not yet complete on disk" in r.stdout, r.stdout + r.stderr
        assert f"process {reader.pid}" in r.stdout and "store purge" in r.stdout
        assert on_disk() >= 1  # honest: the text is still there while that read lasts
    finally:
        reader.communicate("done\n", timeout=60)
    r = cli("store", "purge", "--data-dir", str(data))
    assert r.returncode == 0 and "complete on disk" in r.stdout and "not yet" not in r.stdout
    assert on_disk() == 0
    r = cli("visits", "delete", str(v2.id), "--yes", "--user", "ann", "--data-dir", str(data))
    assert r.returncode == 0 and "complete on disk" in r.stdout and "not yet" not in r.stdout
    r = cli("visits", "list", "--user", "ann", "--data-dir", str(data))
    assert r.stdout == "" and "no visits" in r.stderr


# ---------------------------------------------------------------------- read-only store


def _can_unshare() -> bool:
    try:
        return subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def in_namespace(script: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    """Run a shell script in a mount namespace of its own (its mounts vanish with it)."""
    return subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-euc", script], env=ENV, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("how", ["read-only disk", "no write permission"])
def test_a_read_only_store_says_so(how):
    base = Path(tempfile.mkdtemp(prefix="va-ro-"))
    try:
        data, folder = base / "data", base / "visits"
        make_store(data)
        folder.mkdir()
        shutil.copy(FIX / "labels.txt", folder / "labels.txt")
        for p in [base, folder, folder / "labels.txt", data, data / "audio", *data.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        before = stored(data)
        commands = [["users", "list"], ["visits", "list"], ["batch", str(folder), "--consent", BATCH_CONSENT, "-q"]]
        if how == "read-only disk":
            if not _can_unshare():
                pytest.skip("no mount namespace here (unshare -m)")
            script = f"mount --bind {data} {data}; mount -o remount,ro,bind {data}\n" + "".join(
                f"{PY} -m analyzer.cli {' '.join(repr(a) for a in c)} --data-dir {data} 2>>{base}/err || "
                f"echo rc=$? >>{base}/err\n" for c in commands)
            r = in_namespace(script)
            assert r.returncode == 0, r.stderr
            err = (base / "err").read_text()
            assert err.count("rc=4") == 3 and "Traceback" not in err, err
            assert err.count("cannot be written") == 3 and "read-only" in err, err
        else:
            for p in [data, data / "audio", data / "visits.db"]:
                os.chmod(p, 0o555 if p.is_dir() else 0o444)
            for c in commands:
                r = cli(*c, "--data-dir", str(data), unprivileged=True)
                assert r.returncode == EXIT_STORE and "cannot be written" in one_line(r), (c, r.stderr)
        assert stored(data) == before
    finally:
        for p in base.rglob("*"):
            if p.is_dir():
                os.chmod(p, 0o755)
        shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------------- full disk


@pytest.mark.slow
@pytest.mark.parametrize("where", ["recording copy", "database write", "analysis write"])
def test_a_full_disk_keeps_every_visit_and_the_batch_resumes(tmp_path, where):
    """The data folder on a 4 MB tmpfs: a first batch stores one visit, the disk is then filled,
    leaving too little for the next recording's copy, for any database write, or for the next
    visit's analysis (its job is left interrupted, or running if even that cannot be written); a
    second batch stops with one line. Once space is freed the same command finishes the rest,
    without --retry-failed."""
    if not _can_unshare():
        pytest.skip("no mount namespace here (unshare -m)")
    data, first, second, out = tmp_path / "data", tmp_path / "first", tmp_path / "second", tmp_path / "out"
    for d in (data, first, second, out):
        d.mkdir()
    shutil.copy(FIX / "aci_bench_D2N019.txt", first / "a_elbow.txt")
    shutil.copy(first / "a_elbow.txt", second / "a_elbow.txt")
    if where == "recording copy":
        shutil.copy(DATA / "audio" / "jfk.flac", second / "b_jfk.flac")  # 1.1 MB
    else:
        shutil.copy(FIX / "voices.vtt", second / "b_voices.vtt")
    leave = {"recording copy": 300_000, "database write": 0, "analysis write": 160_000}[where]
    shutil.copy(FIX / "labels.txt", second / "c_labels.txt")
    batch = f"{PY} -m analyzer.cli batch {{}} --data-dir {data} --consent '{BATCH_CONSENT}' -q --model tiny.en"
    fill = (f"{PY} -c \"import os; st = os.statvfs('{data}'); "
            f"open('{data}/filler', 'wb').write(b'x' * max(0, st.f_bavail * st.f_frsize - {leave}))\"")
    script = f"""
mount -t tmpfs -o size=4m tmpfs {data}
{batch.format(first)} 2>{out}/1.err; echo $? >{out}/1.rc
{fill} || true
{batch.format(second)} 2>{out}/2.err || echo $? >{out}/2.rc
{PY} -m analyzer.cli visits list --data-dir {data} >{out}/full.list 2>&1 || true
rm {data}/filler
{batch.format(second)} 2>{out}/3.err; echo $? >{out}/3.rc
{PY} -m analyzer.cli visits list --data-dir {data} >{out}/3.list
{PY} -m analyzer.cli store check --data-dir {data} >{out}/check 2>&1; echo $? >>{out}/check
"""
    r = in_namespace(script)
    assert r.returncode == 0, r.stderr
    res = {p.name: p.read_text() for p in out.iterdir()}
    assert res["1.rc"].strip() == "0", res["1.err"]
    err2 = res["2.err"]
    assert res["2.rc"].strip() == str(EXIT_STORE), err2
    assert "Traceback" not in err2 and "no space left" in err2 and "run the same command again" in err2, err2
    assert len([x for x in err2.splitlines() if x.startswith("error:")]) == 1
    full = res["full.list"]  # readable while full, or (not even SQLite's shared memory fits) the same one line
    assert ("a_elbow\ta_elbow.txt" in full and "done" in full) or "no space left" in full, full
    assert "Traceback" not in full
    assert res["3.rc"].strip() == "0", res["3.err"]
    assert re.search(r"batch: [12] analysed, [12] already done, 0 failed$", res["3.err"], re.M), res["3.err"]
    assert [x.split("\t")[2] for x in res["3.list"].splitlines()] == ["done", "done", "done"], res["3.list"]
    assert "store OK" in res["check"] and res["check"].strip().endswith("0"), res["check"]


# ---------------------------------------------------------------------- unreachable database, file modes


def test_an_unreachable_postgresql_is_one_line_without_the_password(tmp_path):
    url = "postgresql://ann:secret-pw-123@/visits?host=/nonexistent-socket-dir"
    for args in (["users", "list"], ["visits", "list"], ["batch", str(FIX), "--consent", BATCH_CONSENT, "-q"]):
        r = cli(*args, "--data-dir", str(tmp_path / "data"), "--db-url", url)
        assert r.returncode == EXIT_STORE and "cannot be opened" in one_line(r), (args, r.stderr)
        assert "secret-pw-123" not in r.stderr + r.stdout


def test_store_files_are_owner_only_in_a_folder_made_open(tmp_path):
    """An administrator made the data folder beforehand, readable by all (0755, umask 022)."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    old = os.umask(0o022)
    try:
        s = open_store(data)
        s.create_visit(s.local_user(), DATA / "audio" / "jfk.flac", CONSENT)
        files = [data / "visits.db", data / "visits.db-wal", data / "visits.db-shm", *(data / "audio").iterdir()]
        assert all(p.exists() and p.stat().st_mode & 0o077 == 0 for p in files), \
            {p.name: oct(p.stat().st_mode) for p in files}
        s.close()
    finally:
        os.umask(old)


def test_a_bug_in_a_store_command_is_one_line_and_a_log(tmp_path, capsys):
    """The guard every store command runs in: an unexpected exception is one line naming the log,
    whose copy of the traceback is readable by the owner only."""
    from analyzer.cli_guard import EXIT_INTERNAL, guarded

    def command() -> int:
        return {}["no such key"]  # a real bug: a KeyError deep in a command

    code = guarded(tmp_path / "data", command)
    err = capsys.readouterr().err.strip()
    assert code == EXIT_INTERNAL and len(err.splitlines()) == 1 and "internal error (KeyError" in err
    log = tmp_path / "data" / "logs" / "visit-analyzer.log"
    assert str(log) in err and "Traceback" in log.read_text() and log.stat().st_mode & 0o077 == 0
