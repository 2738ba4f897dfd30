"""Sign-in (accounts mode) or the local user (single-user mode)."""
from __future__ import annotations

import streamlit as st

from ..config import AppConfig

MIN_PASSWORD = 8


def current_user(store, cfg: AppConfig):
    """The signed-in user; in accounts mode draws the sign-in page and stops until there is one."""
    if not cfg.accounts:
        if "user" not in st.session_state:
            st.session_state["user"] = store.local_user()
        return st.session_state["user"]
    user = st.session_state.get("user")
    if user is not None:
        return user
    _sign_in_page(store, cfg)
    st.stop()


def sign_out() -> None:
    for k in list(st.session_state):
        del st.session_state[k]
    st.query_params.clear()
    st.rerun()


def admin_command(cfg: AppConfig) -> str:
    where = f"--db-url {cfg.db_url}" if cfg.db_url else f"--data-dir {cfg.data_dir}"
    return f"visit-analyzer users add NAME --role clinician {where}"


def _sign_in_page(store, cfg: AppConfig) -> None:
    st.title("Visit feedback")
    st.caption("Relational-communication feedback on consented recordings of clinical visits. "
               "Everything stays on this machine.")
    if not cfg.allow_signup and store.count_users() == 0:
        st.warning("There are no accounts yet. Whoever runs this copy of the app creates them on this machine:",
                   icon=":material/person_add:")
        st.code(admin_command(cfg), language="bash")
        st.caption("(`--role coach` for a coach.) Then sign in here. Or start the app with `--allow-signup` "
                   "to let anyone who can reach it register.")
    left, right = st.columns(2)
    with left:
        st.subheader("Sign in")
        with st.form("sign_in"):
            name = st.text_input("Username", key="login_user")
            password = st.text_input("Password", type="password", key="login_password")
            ok = st.form_submit_button("Sign in", type="primary")
        if ok:
            user = store.authenticate(name, password)
            if user is None:
                st.error("Wrong username or password.")
            else:
                st.session_state["user"] = user
                st.rerun()  # the URL (?visit=ID) is kept: access is checked on the next run
    with right:
        if not cfg.allow_signup:
            st.subheader("No account?")
            st.markdown("Accounts are created by whoever runs this app for your clinic, with "
                        "`visit-analyzer users add`. Ask them for one.")
            return
        st.subheader("Create an account")
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
                st.error(str(e).capitalize())
                return
            st.session_state["user"] = store.authenticate(name, password)
            st.rerun()
