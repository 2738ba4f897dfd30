"""A throw-away PostgreSQL server for tests and trials: initdb + pg_ctl from Debian's packages.

The cluster lives in a temporary folder, listens on a Unix socket in that folder only (no TCP
port), trusts local connections, and is removed on ``stop``. initdb refuses to run as root, so
as root the server runs as the ``postgres`` system user (or ``nobody``) via runuser.

    with TempCluster() as pg:
        url = pg.create_database("t1")      # postgresql+psycopg://postgres@/t1?host=/tmp/...

    python tests/pgcluster.py               # start one, print its URL, stop on Enter
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path


class PostgresMissing(RuntimeError):
    pass


def find_bindir() -> Path:
    """The newest /usr/lib/postgresql/*/bin with initdb and pg_ctl (or $PG_BINDIR)."""
    cands = [os.environ["PG_BINDIR"]] if os.environ.get("PG_BINDIR") else []
    cands += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                    if Path(p).parent.name.isdigit() else 0, reverse=True)
    for c in cands:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    raise PostgresMissing("PostgreSQL server binaries not found (apt-get install postgresql)")


class TempCluster:
    def __init__(self, superuser: str = "postgres"):
        self.bindir = find_bindir()
        self.superuser = superuser
        self.run_as: str | None = None
        if os.geteuid() == 0:
            self.run_as = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
            if self.run_as is None:
                raise PostgresMissing("running as root and no 'postgres' or 'nobody' user to run the server as")
        self.root = Path(tempfile.mkdtemp(prefix="va-pg-"))
        self.data = self.root / "data"
        self.sock = self.root  # the socket file: <root>/.s.PGSQL.5432
        self.log = self.root / "server.log"
        self.started = False

    def _cmd(self, *args: str) -> list[str]:
        return (["runuser", "-u", self.run_as, "--"] if self.run_as else []) + list(args)

    def start(self) -> "TempCluster":
        if self.run_as:
            pw = pwd.getpwnam(self.run_as)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        subprocess.run(self._cmd(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.superuser,
                                 "--auth=trust", "-E", "UTF8", "--no-sync"),
                       check=True, capture_output=True, env=env, cwd=self.root)
        opts = f"-c listen_addresses='' -k {self.sock} -c fsync=off -c full_page_writes=off -c max_connections=50"
        r = subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                     "-o", opts, "-w", "-t", "60", "start"),
                           capture_output=True, text=True, env=env, cwd=self.root)
        if r.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            self.stop()
            raise RuntimeError(f"pg_ctl start failed: {r.stderr.strip()} {tail}")
        self.started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.superuser}@/{database}?host={self.sock}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host=str(self.sock), user=self.superuser, dbname="postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.sock), user=self.superuser, dbname="postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.started:
            subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"),
                           capture_output=True, cwd=self.root)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "TempCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


if __name__ == "__main__":
    with TempCluster() as pg:
        print(pg.create_database("visits"), flush=True)
        input("PostgreSQL is running; press Enter to stop and delete it. ")
