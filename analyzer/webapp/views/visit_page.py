"""One visit: its analysis job (progress, failure, re-run) then its report; owner controls
(share / revoke, redaction, delete); and the bundled sample visits (cached, no store)."""
from __future__ import annotations

import streamlit as st

from .. import jobs, samples, visits
from .common import fmt_time, goto, show_error, text
from .context import ReportContext
from .progress_view import elsewhere_panel, progress_panel
from .report_view import show_report

MAX_ID = 2 ** 63 - 1  # the largest id a database integer holds
NO_SUCH_VISIT = "This visit does not exist or has not been shared with you."
REDACTED_AUDIO = ("The recording is not played in a redacted view: it would say the names, dates and numbers "
                  "that are masked here.")


def visit_id_of(raw) -> int | None:
    """The visit id in a URL (``?visit=12``), or None when it cannot be one."""
    raw = str(raw).strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    n = int(raw)
    return n if 1 <= n <= MAX_ID else None


def visit_page(store, user, raw_id) -> None:
    from ...store import AccessDenied, NotFound

    visit_id = visit_id_of(raw_id)
    if visit_id is None:
        show_error(f"{NO_SUCH_VISIT} (A visit number is a whole number, like ?visit=12.)")
        return
    try:
        visit = store.get_visit(user, visit_id)
    except (AccessDenied, NotFound):
        show_error(NO_SUCH_VISIT)
        return
    st.header(text(visit.title), anchor=False)
    c = visit.consent
    when = f"{visit.created_at:%Y-%m-%d %H:%M}"
    st.caption(f"{text(visit.source_name)} · added {when} by {text(visit.owner)}"
               + (f" · {fmt_time(visit.duration)}" if visit.duration else "")
               + (f" · consent: {text(c.who)} ({text(c.how)}), confirmed by {text(c.confirmed_by)}" if c else ""))
    stat = visits.status(store, visit)
    state = stat["state"]
    if state in ("queued", "running"):
        progress_panel(stat["job"])
        return
    if state == "running-elsewhere":
        elsewhere_panel(store, user, visit.id)
        return
    if state in ("failed", "interrupted", "queued-idle"):
        msg = {"failed": stat.get("error") or "The analysis failed.",
               "interrupted": "This analysis was interrupted (the app or the machine stopped before it finished). "
                              "Nothing stored was lost.",
               "queued-idle": "This analysis was waiting when the app stopped; it has not run yet."}[state]
        (st.error if state == "failed" else st.warning)(text(msg), icon=":material/error:")
        if visit.can_edit and st.button("Re-run the analysis", type="primary", key="rerun"):
            visits.rerun(store, user, visit) if state != "queued-idle" else visits.start(store, visit)
            st.rerun()
    if visit.analyzed_at is None:
        if visit.can_edit:
            _owner_controls(store, user, visit)
        return
    redact = False
    if visit.can_edit:
        redact = st.toggle("Redacted view (masks names, dates, phone numbers, addresses, record numbers)",
                           key="view_redact")
    analysis = store.load_analysis(user, visit.id, redact=True if redact else None)
    if analysis is None:
        st.info("This visit has no stored analysis yet.")
        return
    masked = bool(analysis.get("redacted"))
    if not visit.can_edit:
        st.caption(f"Shared with you by {text(visit.owner)}; "
                   + ("names, dates and numbers are masked." if masked else "unmasked, as they chose."))
    vid = visit.id
    ctx = ReportContext(
        key=f"visit{vid}", title=visit.title, analysis=analysis,
        # A masked view never opens the recording: only the text can be masked.
        audio=None if masked else store.audio_path(user, vid), audio_note=REDACTED_AUDIO if masked else None,
        set_roles=(lambda o: _set_roles(store, user, visit, o)) if visit.can_edit else None,
        suggest_role=None if visit.can_edit else (
            lambda sid, old, new: store.add_correction(user, vid, None, "role", old, new, speaker=sid)),
        comments=store.comments(user, vid),
        corrections=store.corrections(user, vid),
        add_comment=lambda i, text: store.add_comment(user, vid, i, text),
        add_correction=lambda i, old, new: store.add_correction(user, vid, i, "tag", old, new),
        redacted=masked,
    )
    show_report(ctx)
    if visit.can_edit:
        _owner_controls(store, user, visit)


def _set_roles(store, user, visit, overrides: dict[str, str]) -> None:
    try:
        visits.change_roles(store, user, visit, overrides)
    except ValueError as e:
        show_error(str(e))
        return
    st.rerun()


def _owner_controls(store, user, visit) -> None:
    st.divider()
    left, right = st.columns(2)
    with left:
        st.subheader("Share with a coach", anchor=False)
        coaches = [u.username for u in store.users("coach")]
        if not coaches:
            st.caption("No coach has an account yet: whoever runs the app adds one with "
                       "`visit-analyzer users add NAME --role coach` (and starts it with `-- --accounts`).")
        else:
            c1, c2 = st.columns([2, 1])
            # No preselected coach: sharing health data is always somebody's explicit choice.
            who = c1.selectbox("Coach", coaches, index=None, placeholder="Choose a coach", key="view_share_coach")
            masked = c2.checkbox("Redacted", value=True, key="view_share_redact",
                                 help="The coach sees names, dates and numbers masked, and cannot play the recording")
            if st.button("Share", key="share", disabled=who is None):
                store.share(user, visit.id, who, redact=masked)
                st.rerun()
        for coach in visit.shared_with:
            c1, c2 = st.columns([3, 1])
            c1.markdown(f"Shared with **{text(coach)}**")
            if c2.button("Revoke", key=f"revoke_{coach}"):
                store.revoke(user, visit.id, coach)
                st.rerun()
    with right:
        st.subheader("Delete this visit", anchor=False)
        st.caption("Removes the recording, transcript, analysis, comments and corrections. It cannot be undone.")
        sure = st.checkbox("Yes, delete it for good", key="view_delete_sure")
        if st.button("Delete visit", disabled=not sure, key="delete_visit"):
            store.delete_visit(user, visit.id)
            jobs.forget(visits.job_key(store, visit.id))
            goto(page="visits")


def sample_page(name: str) -> None:
    from ..recompute import recompute

    s = samples.SAMPLES.get(name)
    if s is None:
        show_error(f"There is no sample visit called {text(name)}.")
        return
    st.header(s.title, anchor=False)
    st.caption(f"{s.blurb} Consent: {samples.SAMPLE_CONSENT[0]}.")
    base = samples.cached(name)
    if base is None:  # first use without scripts/run.sh: analyse it now, in the background
        job = jobs.get_job(f"sample:{name}")
        if job is None or job.state == "done":
            from ...progress import CallbackProgress

            job = jobs.start_job(f"sample:{name}", lambda report: samples.analyse(name, CallbackProgress(report)))
        if job.state == "failed":
            show_error(job.error or "The sample could not be analysed.")
            jobs.forget(f"sample:{name}")
            return
        progress_panel(job)
        return
    roles_key = f"sample_roles_{name}"
    analysis = st.session_state.get(f"sample_analysis_{name}") if st.session_state.get(roles_key) else base

    def set_roles(overrides: dict[str, str]) -> None:
        with st.spinner("Recomputing the report with the new roles (no re-transcription)…"):
            st.session_state[f"sample_analysis_{name}"] = recompute(base, overrides, recording=s.audio)
        st.session_state[roles_key] = overrides
        st.rerun()

    redact = st.toggle("Redacted view (masks names, dates, phone numbers, addresses, record numbers)",
                       key="view_redact")
    if redact:
        from ...redact import redact_analysis

        analysis = redact_analysis(analysis)
    show_report(ReportContext(key=f"sample_{name}", title=s.title, analysis=analysis, audio=s.audio,
                              set_roles=set_roles, redacted=redact))
