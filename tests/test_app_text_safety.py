"""User-written text is shown as text in the app: titles, "who consented", transcript lines,
speaker labels, comments and file names never become Markdown, HTML, images, links or icons
(Streamlit AppTest on the real store and pipeline; the browser-level proof, with the HTML
export, is tests/e2e/test_hostile_e2e.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_testing import SAMPLES, accounts, app, data_dir, sign_in, store_of, throttle_module  # noqa: F401


def text(value) -> str:
    from analyzer.webapp.views.common import text as escape

    return escape(value)

REFERENCE = SAMPLES / "poor_visit_reference.json"
IMAGE = "![x](http://example.invalid/leak.png)"
LINK = "[click here](http://example.invalid/phish)"
HOSTILE = f"<script>window.__pwned=1</script> {IMAGE} {LINK} <img src=x onerror=alert(1)> :red[red] www.example.invalid"


def analysed_visit(store, owner, source=REFERENCE, title="a visit", who="the patient"):
    from analyzer.store import Consent
    from analyzer.store.worker import run_job

    v = store.create_visit(owner, source, Consent(who, "verbal, recorded", owner.username), title=title)
    done = run_job(store, v.jobs[0].id)
    assert done.state == "done", done.error
    return v


def sources(at: AppTest) -> list[str]:
    """Every Markdown source the page sent (what the browser will render)."""
    out = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "header", "subheader", "title"):
        out += [e.value for e in at.get(kind)]
    out += [getattr(e, "label", "") or "" for e in at.get("selectbox")]
    return out


@pytest.mark.parametrize("payload", [HOSTILE, IMAGE, LINK, "mail me@example.invalid", ":material/stethoscope: :smile:",
                                     "1. not a list\n# not a heading\n    not code", "&lt;b&gt; &#x41;", "$x^2$ **b** _i_ `c`"])
def test_text_escapes_every_markdown_construct(payload):
    out = text(payload)
    assert not re.search(r"(?<!\\)[*_`$\[\]<>:|~]", out)  # nothing that starts Markdown is left bare
    assert "://" not in out and "www." not in out.lower() and "@e" not in out  # nor what GFM links by itself
    # What a person reads is the payload (escapes and invisible joiners aside, line by line).
    read = re.sub(r"\\(.)", r"\1", out).replace("\u2060", "")
    assert read == "  \n".join(ln.strip() for ln in payload.splitlines() if ln.strip())


def test_title_consent_transcript_and_comment_are_shown_as_text(data_dir, tmp_path):
    store = store_of(data_dir)
    me = store.local_user()
    transcript = tmp_path / "visit.txt"
    transcript.write_text(f"Doctor: What brings you in today? {HOSTILE}\nPatient: My knee hurts. {IMAGE}\n"
                          f"Doctor: Tell me more about the knee.\nPatient: It hurts when I walk. {LINK}\n")
    v = analysed_visit(store, me, source=transcript, title=HOSTILE, who=HOSTILE)
    store.add_comment(me, v.id, 0, HOSTILE)
    at = app(visit=v.id).run()
    assert not at.exception, at.exception
    at.button(key=f"view_play_visit{v.id}_0").click()
    at.run()
    pages = [at, app(page="visits").run(), app(page="progress").run()]
    shown = [s for p in pages for s in sources(p)]
    for raw in (IMAGE, LINK, "http://example.invalid", ":red[red]"):
        assert not any(raw in s for s in shown), (raw, [s for s in shown if raw in s])
    assert not any(re.search(r"(?<!\\)<(script|img)", s) for s in shown)
    assert sum(text(HOSTILE) in s for s in shown) >= 4  # title, consent, transcript, comment: escaped, shown


def test_the_html_export_keeps_hostile_text_inert():
    """Every field escaped; the embedded report JSON holds no "<" at all ("<!--<script>" in a
    <script> element switches the HTML parser's state and can swallow the rest of the page)."""
    import json as json_mod

    from analyzer.report import build_report, render_html

    a = json_mod.loads(REFERENCE.read_text())
    a["utterances"][0]["text"] = "<!--<script>window.__pwned=1</script>--> " + HOSTILE
    a["speakers"][0]["label"] = HOSTILE
    html = render_html(a, build_report(a), title=HOSTILE)
    blocks = re.findall(r'<script type="application/json" id="report-json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1 and "<" not in blocks[0]
    assert json_mod.loads(blocks[0])  # still the report
    body = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # Plotly's own code aside
    assert "<img" not in body and "window.__pwned=1</script>" not in body and 'href="http' not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
