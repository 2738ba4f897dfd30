"""New visit: upload a recording or a transcript, confirm consent, start the analysis."""
from __future__ import annotations

import re

import streamlit as st

from ...errors import InputError
from ...importers import TRANSCRIPT_EXTENSIONS
from .. import visits
from .common import goto, show_error, text

AUDIO_TYPES = ["wav", "flac", "mp3", "m4a", "aac", "ogg", "oga", "opus", "webm", "mp4", "mov", "mkv"]
CONSENT_HOW = ["written consent form", "verbal consent, recorded at the start", "verbal consent, noted in the record",
               "synthetic or role-play (no real patient)", "other (describe below)"]


# The decoder's own words ("[Errno 1094995529] Invalid data found when processing input:
# '/tmp/visit-upload-…/x.wav'") mean nothing to a clinician: keep them for a details box.
_TECHNICAL = re.compile(r"\s*\(([^()]*(?:\[Errno|/tmp/|Traceback)[^()]*)\)")


def plain_reason(message: str) -> tuple[str, str | None]:
    """(the reason in plain words, the technical detail removed from it or None)."""
    details = _TECHNICAL.findall(message)
    return _TECHNICAL.sub("", message).strip(), "; ".join(details) or None


def new_visit_page(store, user) -> None:
    st.header("Analyse a new visit", anchor=False)
    if user.role != "clinician":
        st.info("Coaches review visits that clinicians share with them; only a clinician can add a visit.")
        return
    st.write("Upload the recording of a visit (wav, mp3, m4a, ogg, webm, mp4, …) or a transcript you already "
             "have (our JSON, `Doctor:`/`Patient:` text, WebVTT, SRT, or a PriMock57 pair of TextGrids).")
    files = st.file_uploader("Recording or transcript", accept_multiple_files=True, key="upload_files",
                             type=AUDIO_TYPES + [e.lstrip(".") for e in TRANSCRIPT_EXTENSIONS])
    title = st.text_input("Title (optional)", key="upload_title", placeholder="e.g. Follow-up, back pain")
    st.subheader("Consent", anchor=False)
    st.caption("Recordings of visits are health data. They are analysed only with the consent of everyone "
               "recorded; the consent record is stored with the visit.")
    confirmed = st.checkbox("Everyone recorded agreed to this recording being analysed for feedback",
                            key="consent_confirmed")
    who = st.text_input("Who consented", key="consent_who", placeholder="e.g. the patient (J. M.) and Dr A. Lee")
    how = st.selectbox("How", CONSENT_HOW, key="consent_how", index=None, placeholder="Choose how consent was given")
    how_other = st.text_input("Details (optional)", key="consent_how_detail")
    clicked = st.button("Analyse", type="primary", key="analyse")
    waiting = bool(st.session_state.get(WAITING))
    if clicked or (waiting and files):
        how_text = " — ".join(x for x in (how or "", how_other.strip()) if x)
        answer = visits.ConsentAnswer(confirmed, who, how_text, user.username)
        problem = answer.problem()
        if problem:
            st.session_state.pop(WAITING, None)
            show_error(problem)
            return
        if not files:
            # Streamlit hands the page a file only once its upload has finished: a click during
            # the upload would find none and be lost when the upload's own rerun redraws the page.
            st.session_state[WAITING] = True
            _waiting_note()
            return
        st.session_state.pop(WAITING, None)
        try:
            visit = visits.add_visit(store, user, [visits.Upload(f.name, f.getvalue()) for f in files], answer, title)
        except InputError as e:
            plain, detail = plain_reason(str(e))
            show_error(f"This file could not be analysed: {text(plain)}. Nothing was stored.")
            if detail:
                with st.expander("Technical details"):
                    st.code(detail, language=None)
            return
        except Exception as e:  # ConsentRequired, AccessDenied: the store's own words
            show_error(text(str(e)))
            return
        visits.start(store, visit)
        goto(visit=visit.id)
    elif waiting:
        _waiting_note()


WAITING = "view_analyse_waiting"  # Analyse was pressed before any file had arrived


def _waiting_note() -> None:
    with st.container(key="analyse_waiting"):
        st.info("Waiting for the file: nothing has finished uploading yet. If a file is still uploading (a "
                "spinner beside its name), the analysis starts by itself as soon as it has arrived; otherwise "
                "choose a recording or transcript above.", icon=":material/hourglass_top:")
