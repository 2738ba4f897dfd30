"""``visit-analyzer visits list|delete`` and ``visit-analyzer store check|backup|purge``.

    visit-analyzer visits list [--user dr_lee] --data-dir DIR
    visit-analyzer visits delete 12 [--yes] --data-dir DIR       # asks first on a terminal
    visit-analyzer store check --data-dir DIR                    # the database and every recording
    visit-analyzer store backup /media/usb/visits-2026-12 --data-dir DIR
    visit-analyzer store purge --data-dir DIR                    # finish deletes another process held up
"""
from __future__ import annotations

import sys
from pathlib import Path


def _store_options(p, user: bool) -> None:
    from .store.paths import ENV_DATA, ENV_DB_URL, default_data_dir

    p.add_argument("--data-dir", help=f"the store's folder (default: ${ENV_DATA} or {default_data_dir()})")
    p.add_argument("--db-url", help=f"a PostgreSQL URL instead of SQLite in the data folder (or ${ENV_DB_URL}); "
                                    "audio stays in the data folder")
    if user:
        p.add_argument("--user", help="the clinician account whose visits these are (default: the local user)")


def add_visits_arguments(p) -> None:
    sub = p.add_subparsers(dest="visits_command", required=True)
    ls = sub.add_parser("list", help="every visit: id, date, status, title, file")
    rm = sub.add_parser("delete", help="delete one visit for good: recording, transcript, analysis, comments")
    rm.add_argument("id", help="the visit's id (see `visits list`)")
    rm.add_argument("--yes", action="store_true", help="do not ask (needed when not on a terminal)")
    for q in (ls, rm):
        _store_options(q, user=True)


def add_store_arguments(p) -> None:
    sub = p.add_subparsers(dest="store_command", required=True)
    ck = sub.add_parser("check", help="check the database and that every recording is there, unchanged")
    bk = sub.add_parser("backup", help="copy the store (database and recordings) into a new folder, safely "
                                       "while it is in use")
    bk.add_argument("dest", help="a new (or empty) folder; open the copy with --data-dir DEST")
    pg = sub.add_parser("purge", help="finish deletes: overwrite what deleted visits left in the database files")
    for q in (ck, bk, pg):
        _store_options(q, user=False)


def _data_dir(args) -> Path:
    from .store import default_data_dir

    return Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()


def main_visits(args) -> int:
    from .cli_guard import guarded

    data_dir = _data_dir(args)
    return guarded(data_dir, lambda: _visits(args, data_dir))


def main_store(args) -> int:
    from .cli_guard import guarded

    data_dir = _data_dir(args)
    return guarded(data_dir, lambda: _store(args, data_dir))


def _user(store, name: str | None):
    from .errors import InputError

    if not name:  # the single-user store's clinician; never created just to list or delete
        user = store.get_user("local")
        if user is None:
            raise InputError(None, "this store has no local user: name the account with --user "
                                   "(see `visit-analyzer users list`)")
        return user
    user = store.get_user(name)
    if user is None:
        raise InputError(None, f"--user {name}: no such account in this store")
    return user


def _visits(args, data_dir: Path) -> int:
    from .errors import InputError
    from .store import open_store

    if not data_dir.exists():
        raise InputError(data_dir, "no store here (nothing has been stored yet)")
    store = open_store(data_dir, args.db_url, recover=False)
    try:
        user = _user(store, args.user)
        if args.visits_command == "list":
            vs = store.visits_for(user)
            if not vs:
                print(f"no visits for {user.username}", file=sys.stderr)
            for v in vs:
                mins = f"{v.duration / 60:.1f} min" if v.duration else "-"
                print(f"{v.id}\t{v.created_at.astimezone():%Y-%m-%d %H:%M}\t{v.status}\t{mins}\t{v.title}\t{v.source_name}")
            return 0
        try:
            vid = int(args.id)
        except ValueError:
            raise InputError(None, f"{args.id!r} is not a visit id (a number, see `visit-analyzer visits list`)") from None
        v = store.get_visit(user, vid)
        what = f"visit {v.id} {v.title!r} ({v.source_name}, {v.created_at.astimezone():%Y-%m-%d})"
        if not args.yes and not _confirm(f"Delete {what} for good, with its recording and analysis? [y/N] "):
            print("nothing deleted", file=sys.stderr)
            return 2
        done = store.delete_visit(user, v.id)
        print(f"deleted {what}; {done.describe()}")
        return 0
    finally:
        store.close()


def _confirm(question: str) -> bool:
    from .errors import InputError

    if not sys.stdin.isatty():
        raise InputError(None, "no terminal to ask for confirmation: add --yes to delete")
    return input(question).strip().lower() in ("y", "yes")


def _store(args, data_dir: Path) -> int:
    from .errors import InputError
    from .store.maintenance import backup_store, check_store

    url = args.db_url or None
    if not data_dir.exists():
        raise InputError(data_dir, "no store here")
    if args.store_command == "check":
        rep = check_store(data_dir, url)
        for p in rep.problems:
            print(f"problem: {p}")
        if rep.ok:
            print(f"store OK: {rep.database}: integrity checked; {rep.visits} visits, {rep.recordings} recordings "
                  "present and unchanged")
            return 0
        print(f"store check: {len(rep.problems)} problem(s) in {data_dir}; nothing was changed")
        return 4
    if args.store_command == "backup":
        rep = backup_store(data_dir, Path(args.dest), url)
        print(f"backup written to {rep.dest}: " + ("the database (checked) and " if rep.database else "")
              + f"{rep.recordings} recordings; open it with --data-dir {rep.dest}")
        if not rep.database:
            print("the database is PostgreSQL: back it up with pg_dump (e.g. pg_dump -Fc -f visits.dump DBNAME); "
                  "this command copied the recordings only")
        return 0
    from .store import open_store
    from .store.db import purge_deleted

    store = open_store(data_dir, url, recover=False)
    try:
        done = purge_deleted(store.engine)
    finally:
        store.close()
    print(f"purge: {done.describe()}")
    return 0 if done.complete else 1
