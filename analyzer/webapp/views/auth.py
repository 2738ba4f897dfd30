"""Sign-in (accounts mode) or the local user (single-user mode); sign-in throttling; the idle
timeout."""
from __future__ import annotations

import time

import streamlit as st

from ..config import AppConfig
from ..throttle import THROTTLE, audit_refused
from .common import text

MIN_PASSWORD = 8
ACTIVE = "auth_last_active"  # session key: monotonic time of the last full run the user caused
NOTICE = "auth_notice"


def current_user(store, cfg: AppConfig):
    """The signed-in user; in accounts mode draws the sign-in page and stops until there is one."""
    if not cfg.accounts:
        if "user" not in st.session_state:
            st.session_state["user"] = store.local_user()
        return st.session_state["user"]
    user = st.session_state.get("user")
    if user is not None and _idle_expired(cfg):
        minutes = f"{cfg.idle_minutes:g} minute{'s' if cfg.idle_minutes != 1 else ''}"
        _clear_session()
        st.session_state[NOTICE] = f"You were signed out after {minutes} without activity."
        user = None
    if user is not None:
        st.session_state[ACTIVE] = time.monotonic()
        return user
    _sign_in_page(store, cfg)
    st.stop()


def _idle_expired(cfg: AppConfig) -> bool:
    last = st.session_state.get(ACTIVE)
    return bool(cfg.idle_minutes) and last is not None and time.monotonic() - last > 60.0 * cfg.idle_minutes


def idle_watch(cfg: AppConfig) -> None:
    """Signs an idle session out even if nobody clicks: a page left open on a shared screen
    goes back to the sign-in form. (Its own reruns do not count as activity.)"""
    if not cfg.idle_minutes:
        return
    every = max(1.0, min(60.0, 60.0 * cfg.idle_minutes / 4))

    @st.fragment(run_every=every)
    def watch() -> None:
        if _idle_expired(cfg):
            st.rerun(scope="app")

    watch()


def _clear_session() -> None:
    for k in list(st.session_state):
        del st.session_state[k]


def sign_out() -> None:
    _clear_session()
    st.query_params.clear()
    st.rerun()


def admin_command(cfg: AppConfig) -> str:
    where = f"--db-url {cfg.db_url}" if cfg.db_url else f"--data-dir {cfg.data_dir}"
    return f"visit-analyzer users add NAME --role clinician {where}"


def _client() -> str:
    """The client's address. Streamlit gives none for a connection from this machine: those all
    count as one client, "this machine" (as do reverse-proxied ones, unless the proxy is trusted)."""
    try:
        return st.context.ip_address or "this machine"
    except Exception:
        return "this machine"


def _wait_words(seconds: float) -> str:
    s = int(seconds + 0.999)
    return f"{s} second{'s' if s != 1 else ''}" if s < 120 else f"{(s + 59) // 60} minutes"


def try_sign_in(store, name: str, password: str):
    """(user or None, message). Refused without checking the password while throttled."""
    client = _client()
    wait = THROTTLE.wait_s(name, client)
    if wait > 0:
        audit_refused(store, name, f"refused unchecked: too many failed sign-ins, {wait:.0f} s to wait"
                                   + (f" (client {client})" if client else ""))
        return None, (f"Too many failed sign-ins. Wait {_wait_words(wait)}, then try again "
                      "(each further failure doubles the wait).")
    user = store.authenticate(name, password)
    if user is None:
        wait = THROTTLE.failed(name, client)
        more = f" Wait {_wait_words(wait)} before the next try." if wait > 0 else ""
        return None, "Wrong username or password." + more
    THROTTLE.succeeded(name)
    return user, None


def _sign_in_page(store, cfg: AppConfig) -> None:
    st.title("Visit feedback", anchor=False)
    st.caption("Relational-communication feedback on consented recordings of clinical visits. "
               "Everything stays on this machine.")
    if st.session_state.get(NOTICE):
        st.info(st.session_state[NOTICE])
    if not cfg.allow_signup and store.count_users() == 0:
        st.warning("There are no accounts yet. Whoever runs this copy of the app creates them on this machine:",
                   icon=":material/person_add:")
        st.code(admin_command(cfg), language="bash")
        st.caption("(`--role coach` for a coach.) Then sign in here. Or start the app with `--allow-signup` "
                   "to let anyone who can reach it register.")
    left, right = st.columns(2)
    with left:
        st.subheader("Sign in", anchor=False)
        with st.form("sign_in"):
            name = st.text_input("Username", key="login_user")
            password = st.text_input("Password", type="password", key="login_password")
            ok = st.form_submit_button("Sign in", type="primary")
        if ok:
            user, problem = try_sign_in(store, name, password)
            if user is None:
                st.error(problem)
            else:
                st.session_state.pop(NOTICE, None)
                st.session_state["user"] = user
                st.rerun()  # the URL (?visit=ID) is kept: access is checked on the next run
    with right:
        if not cfg.allow_signup:
            st.subheader("No account?", anchor=False)
            st.markdown("Accounts are created by whoever runs this app for your clinic, with "
                        "`visit-analyzer users add`. Ask them for one.")
            return
        st.subheader("Create an account", anchor=False)
        with st.form("sign_up"):
            name = st.text_input("Username", key="new_user")
            password = st.text_input(f"Password (at least {MIN_PASSWORD} characters)", type="password",
                                     key="new_password")
            role = st.radio("I am a", ["clinician", "coach"], horizontal=True, key="new_role")
            ok = st.form_submit_button("Create account")
        if ok:
            if len(password or "") < MIN_PASSWORD:
                st.error(f"Choose a password of at least {MIN_PASSWORD} characters.")
                return
            try:
                store.create_user(name, password, role)
            except ValueError as e:
                st.error(text(str(e).capitalize()))
                return
            st.session_state["user"] = store.authenticate(name, password)
            st.rerun()
