"""``visit-analyzer users add|list|remove|password``: the clinic's administrator manages accounts
from the command line (the app's sign-in page does not let strangers register unless it is
started with --allow-signup). Whoever can read the data folder is the administrator.

    visit-analyzer users add dr_lee --role clinician --data-dir DIR      # asks for the password twice
    echo "$PW" | visit-analyzer users add coach_kim --role coach --password-stdin --data-dir DIR
    visit-analyzer users list --data-dir DIR
    visit-analyzer users password dr_lee --data-dir DIR
    visit-analyzer users remove coach_kim [--delete-data] --data-dir DIR
"""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

def add_arguments(p) -> None:
    from .store.paths import ENV_DATA, ENV_DB_URL, default_data_dir

    sub = p.add_subparsers(dest="users_command", required=True)
    common = {
        "--data-dir": dict(help=f"the store's folder (default: ${ENV_DATA} or {default_data_dir()})"),
        "--db-url": dict(help=f"a PostgreSQL URL instead of SQLite in the data folder (or ${ENV_DB_URL})"),
    }
    add = sub.add_parser("add", help="create an account (clinician or coach)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["clinician", "coach"])
    pw = sub.add_parser("password", help="set a new password for an account")
    pw.add_argument("username")
    for q in (add, pw):
        q.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input (no prompt)")
    sub.add_parser("list", help="every account: name, role, visits, created")
    rm = sub.add_parser("remove", help="remove an account")
    rm.add_argument("username")
    rm.add_argument("--delete-data", action="store_true",
                    help="also delete the account's visits (with recordings), comments and corrections; "
                         "without it, an account that has any is kept")
    for q in sub.choices.values():
        for flag, kw in common.items():
            q.add_argument(flag, **kw)


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to ask for the password: pass --password-stdin and pipe it in")
    first = getpass.getpass(f"Password for {args.username} (8+ characters): ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def main_users(args) -> int:
    from .cli_guard import guarded
    from .store import default_data_dir

    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    return guarded(data_dir, lambda: _main_users(args, data_dir))


def _main_users(args, data_dir: Path) -> int:
    from .store import open_store

    password = _password(args) if args.users_command in ("add", "password") else None
    store = open_store(data_dir, args.db_url, recover=False)
    try:
        return _run(store, args, password)
    finally:
        store.close()


def _run(store, args, password: str | None) -> int:
    cmd = args.users_command
    if cmd == "add":
        u = store.create_user(args.username, password, args.role)
        print(f"added {u.role} {u.username!r}")
    elif cmd == "password":
        store.set_password(args.username, password)
        print(f"password changed for {args.username!r}")
    elif cmd == "remove":
        held = store.remove_user(args.username, delete_data=args.delete_data)
        gone = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in held.items() if v)
        print(f"removed {args.username!r}" + (f" ({gone})" if gone else ""))
    else:
        users = [u for u in store.users() if not u.is_local]
        if not users:
            print("no accounts yet: add one with `visit-analyzer users add NAME --role clinician`")
        for u in users:
            h = store.user_holdings(u.username)
            what = f"{h['visits']} visits" if u.role == "clinician" else f"{h['shared_with_them']} visits shared with them"
            print(f"{u.username}\t{u.role}\t{what}")
    return 0
