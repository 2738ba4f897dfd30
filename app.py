"""Visit feedback: the Streamlit app (UI only; the logic is in analyzer/).

    scripts/run.sh                                       # local single-user mode, a sample visit open
    .venv/bin/streamlit run app.py                       # local mode
    .venv/bin/streamlit run app.py -- --accounts         # sign-in: clinicians and coaches
                                                         # (or VISIT_ANALYZER_ACCOUNTS=1)

URL: ?visit=ID opens a stored visit (only the owner's or a coach's it was shared with),
?sample=good_visit|poor_visit a bundled sample, ?page=new|visits|progress a page.
"""
from __future__ import annotations

import os

from analyzer.runtime import limit_native_threads

limit_native_threads()
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub: health data stays local
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import streamlit as st  # noqa: E402

from analyzer.webapp import media_guard  # noqa: E402
from analyzer.webapp.config import load_config  # noqa: E402
from analyzer.webapp.samples import SAMPLES  # noqa: E402
from analyzer.webapp.views import auth, common, lists, upload, visit_page  # noqa: E402
from analyzer.webapp.views.common import text  # noqa: E402

# Drawn here, not a Material icon name: Streamlit fetches a named icon's favicon from Google's
# servers, and nothing may leave this machine.
ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#1f6feb" '
        'stroke-width="2" stroke-linecap="round"><path d="M6 3v6a5 5 0 0 0 10 0V3"/>'
        '<path d="M11 14v2a4 4 0 0 0 8 0v-2"/><circle cx="19" cy="11" r="2.2"/></svg>')

st.set_page_config(page_title="Visit feedback", page_icon=ICON, layout="wide")


def page(cfg) -> None:
    store = common.store_for(cfg)
    user = auth.current_user(store, cfg)
    qp = st.query_params
    with st.sidebar:
        st.title(":material/stethoscope: Visit feedback", anchor=False)
        who = "local mode (single user)" if user.is_local else f"{text(user.username)} ({user.role})"
        st.caption(f"Signed in: {who}")
        if user.role == "clinician" and st.button("New visit", width="stretch", key="nav_new"):
            common.goto(page="new")
        if st.button("Visits shared with me" if user.role == "coach" else "My visits", width="stretch",
                     key="nav_visits"):
            common.goto(page="visits")
        if st.button("Progress", width="stretch", key="nav_progress"):
            common.goto(page="progress")
        st.divider()
        st.caption("Sample visits (synthetic voices, analysed in advance)")
        for s in SAMPLES.values():
            if st.button(s.title, width="stretch", key=f"nav_sample_{s.name}"):
                common.goto(sample=s.name)
        if cfg.accounts:
            st.divider()
            if st.button("Sign out", key="sign_out"):
                auth.sign_out()
            auth.idle_watch(cfg)
        st.caption("Everything is computed and stored on this machine; nothing is sent over the network.")

    if "visit" in qp:
        visit_page.visit_page(store, user, qp["visit"])
    elif "sample" in qp:
        visit_page.sample_page(qp["sample"])
    elif qp.get("page") == "visits":
        lists.visits_page(store, user)
    elif qp.get("page") == "progress":
        lists.progress_page(store, user)
    elif user.role == "clinician" and qp.get("page") != "new" and not store.visits_for(user):
        # A new user lands on a report (cached, seconds), not an empty form.
        st.info("Welcome. This is a sample visit, analysed in advance, to show what the report looks like. "
                "To analyse one of your own, choose **New visit** in the sidebar.")
        visit_page.sample_page("good_visit")
    elif user.role == "clinician":
        upload.new_visit_page(store, user)
    else:
        lists.visits_page(store, user)


common.page_style()
session = media_guard.current_session()
media_guard.install()
media_guard.begin_run(session)
try:
    with common.guard("page " + "&".join(f"{k}={v}" for k, v in st.query_params.items())[:200]):
        page(load_config())
finally:
    media_guard.end_run(session)
