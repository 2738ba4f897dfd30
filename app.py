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

from analyzer.webapp.config import load_config  # noqa: E402
from analyzer.webapp.samples import SAMPLES  # noqa: E402
from analyzer.webapp.views import auth, common, lists, upload, visit_page  # noqa: E402

st.set_page_config(page_title="Visit feedback", page_icon=":material/stethoscope:", layout="wide")

common.page_style()
cfg = load_config()
store = common.store_for(cfg)
user = auth.current_user(store, cfg)
qp = st.query_params

with st.sidebar:
    st.title(":material/stethoscope: Visit feedback")
    who = "local mode (single user)" if user.is_local else f"{user.username} ({user.role})"
    st.caption(f"Signed in: {who}")
    if user.role == "clinician" and st.button("New visit", width="stretch", key="nav_new"):
        common.goto(page="new")
    if st.button("Visits shared with me" if user.role == "coach" else "My visits", width="stretch", key="nav_visits"):
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
