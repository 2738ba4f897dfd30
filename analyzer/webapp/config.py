"""How the app runs: local single-user mode (default) or accounts; where the data lives.

    streamlit run app.py                                # local: one clinician, no sign-in
    streamlit run app.py -- --accounts                  # accounts: sign in, clinicians and coaches
    streamlit run app.py -- --accounts --allow-signup   # ... and anyone who reaches it may register
    streamlit run app.py -- --data-dir DIR --db-url postgresql://...
    streamlit run app.py -- --accounts --idle-minutes 15  # sign out after 15 idle minutes (default 30, 0: never)

or the environment: VISIT_ANALYZER_ACCOUNTS=1, VISIT_ANALYZER_SIGNUP=1, VISIT_ANALYZER_DATA=DIR,
VISIT_ANALYZER_DB_URL=URL, VISIT_ANALYZER_IDLE_MINUTES=N. Without --allow-signup accounts come from `visit-analyzer users add`.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ENV_ACCOUNTS = "VISIT_ANALYZER_ACCOUNTS"
ENV_SIGNUP = "VISIT_ANALYZER_SIGNUP"
ENV_IDLE = "VISIT_ANALYZER_IDLE_MINUTES"
IDLE_MINUTES = 30.0
_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class AppConfig:
    accounts: bool
    data_dir: Path
    db_url: str | None = None
    allow_signup: bool = False  # a clinic's accounts are made by its administrator (visit-analyzer users add)
    idle_minutes: float = IDLE_MINUTES  # accounts mode: signed out after this long without a click (0: never)

    @property
    def mode(self) -> str:
        return "accounts" if self.accounts else "local"


def load_config(argv: list[str] | None = None, env: dict[str, str] | None = None) -> AppConfig:
    """Arguments after ``--`` win over the environment; unknown arguments are ignored (tests
    run the app inside pytest, whose own arguments are in sys.argv)."""
    from ..store import default_data_dir

    env = os.environ if env is None else env
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("--accounts", action="store_true")
    ap.add_argument("--local", action="store_true")
    ap.add_argument("--data-dir")
    ap.add_argument("--db-url")
    ap.add_argument("--allow-signup", action="store_true")
    ap.add_argument("--idle-minutes")
    args, _ = ap.parse_known_args(sys.argv[1:] if argv is None else argv)
    accounts = args.accounts or (env.get(ENV_ACCOUNTS, "").strip().lower() in _TRUE and not args.local)
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else (
        Path(env["VISIT_ANALYZER_DATA"]).expanduser() if env.get("VISIT_ANALYZER_DATA") else default_data_dir())
    signup = args.allow_signup or env.get(ENV_SIGNUP, "").strip().lower() in _TRUE
    return AppConfig(accounts=accounts, data_dir=data_dir, db_url=args.db_url or env.get("VISIT_ANALYZER_DB_URL") or None,
                     allow_signup=signup, idle_minutes=_minutes(args.idle_minutes or env.get(ENV_IDLE)))


def _minutes(value: str | None) -> float:
    """A number of minutes; anything unreadable or negative keeps the default (never "no timeout")."""
    try:
        m = float(value) if value not in (None, "") else IDLE_MINUTES
    except ValueError:
        return IDLE_MINUTES
    return m if m >= 0 and m == m else IDLE_MINUTES
