"""The app under a hostile user, in a real headless browser (Debian chromium + Playwright).

- Nothing leaves the machine: every request of a full page load (and of every page below) is
  recorded, and any host but the app fails the test; the favicon and every resource the page
  loaded are checked too (chromium fetches a favicon outside the page's request events).
- Script and Markdown (a remote image, links) typed into a title, "who consented", a comment,
  carried by a transcript's lines and speaker labels and by a file name, run no script, load
  nothing and link nowhere, in the app and in its HTML export; they are shown as typed.
- A visit's recording is served only to the browser session that shows it, never to a coach
  whose share is redacted.
- Analyse pressed while the file is still uploading waits, visibly, and then starts.
- One client guessing passwords is slowed down whatever account it tries.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from app_driver import ARTIFACTS, AppServer, launch, require_chromium, wait_for_scorecard  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "analyzer" / "assets" / "samples" / "poor_visit_reference.json"
AUDIO = ROOT / "analyzer" / "assets" / "samples" / "good_visit_mono.ogg"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
IMAGE = "![x](http://example.invalid/leak.png)"
LINK = "[click here](http://example.invalid/phish)"
SCRIPT = "<script>window.__pwned = 1</script>"
ONERROR = '<img src="http://example.invalid/x.png" onerror="window.__pwned = 2">'
ANCHOR = '<a href="http://example.invalid/a">an HTML link</a>'  # Plotly's hover text reads <a href>
HOSTILE = f"{SCRIPT} {IMAGE} {LINK} {ONERROR} {ANCHOR} www.example.invalid :red[red]"

require_chromium()

from playwright.sync_api import expect, sync_playwright  # noqa: E402


class Watch:
    """Every request a browser context makes; anything for another host is aborted and kept."""

    def __init__(self, context):
        self.urls: list[str] = []
        self.dialogs: list[str] = []
        context.on("request", lambda r: self.urls.append(r.url))
        context.route("**/*", self._route)
        context.on("page", self._page)

    def _route(self, route):
        if foreign(route.request.url):
            self.urls.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def _page(self, page):
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def foreign(self) -> list[str]:
        return sorted({u for u in self.urls if foreign(u)})


def foreign(url: str) -> bool:
    u = urlparse(url)
    if u.scheme in ("data", "blob", "about", "file", "chrome-extension"):
        return False
    return (u.hostname or "") not in LOCAL_HOSTS


def page_leaks(page) -> list[str]:
    """What the page itself points at outside the app: favicon, every resource it loaded, every
    link and image, and whether an injected script ran."""
    found = page.evaluate("""() => {
        const out = [];
        for (const l of document.querySelectorAll('link[rel~="icon"], link[href]')) out.push('link ' + l.href);
        for (const e of performance.getEntriesByType('resource')) out.push('resource ' + e.name);
        for (const a of document.querySelectorAll('a'))  // HTML and SVG (Plotly) links
            out.push('a ' + (a.getAttribute('href') || a.getAttribute('xlink:href') || ''));
        for (const i of document.querySelectorAll('img[src], audio[src], source[src], iframe[src]'))
            out.push(i.tagName.toLowerCase() + ' ' + i.src);
        if (window.__pwned !== undefined) out.push('script ran ' + window.__pwned);
        return out;
    }""")
    bad = []
    for item in found:
        kind, _, url = item.partition(" ")
        if kind == "script":
            bad.append(item)
        elif kind == "a" and "example.invalid" in url:
            bad.append(item)  # a live link made from user text
        elif kind != "a" and foreign(url):
            bad.append(item)
    return bad


def seen_text(page) -> str:
    return page.locator("body").inner_text().replace("\u2060", "")


# ---------------------------------------------------------------------------- no other host

def test_a_full_page_load_asks_no_other_host(tmp_path):
    with AppServer(tmp_path / "data") as app, sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1600})
        watch = Watch(context)
        page = context.new_page()
        page.goto(app.url)  # a new user lands on the sample report: icons, fonts, charts, audio
        wait_for_scorecard(page, 10, timeout_s=300)
        for tab in ("Timeline", "Transcript", "Moments", "Speakers", "Export", "Scorecard"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(1500)
        page.locator(".js-plotly-plot").first.wait_for(state="attached", timeout=60_000)
        leaks = page_leaks(page)
        for path in ("?page=new", "?page=visits", "?page=progress", "?sample=poor_visit"):
            page.goto(f"{app.url}/{path}")
            page.get_by_text("Signed in").first.wait_for(timeout=120_000)
            page.wait_for_timeout(3000)
            leaks += page_leaks(page)
        page.screenshot(path=str(ARTIFACTS / "e2e_no_other_host.png"), full_page=True)
        assert len(watch.urls) > 20  # the recorder saw the page load
        assert watch.foreign() == [] and leaks == [], (watch.foreign(), leaks)
        icon = page.evaluate("document.querySelector('link[rel~=\"icon\"]').href")
        assert icon.startswith("data:image/svg+xml") or not foreign(icon), icon
        browser.close()


# ---------------------------------------------------------------------------- injection

def hostile_transcript(folder: Path) -> Path:
    """The reference visit with script and Markdown in lines and speaker labels, under a hostile
    file name ('/' cannot be in a file name; the rest can)."""
    a = json.loads(REFERENCE.read_text())
    for sp in a["speakers"]:
        sp["label"] = f"{sp['role']} {HOSTILE}"
    a["utterances"][0]["text"] += " " + HOSTILE
    a["utterances"][1]["text"] += f" {IMAGE} see www.example.invalid or mail me@example.invalid"
    path = folder / "<img src=x onerror=alert(1)> ![x](http:example.invalid) [l](javascript:alert(1)).json"
    path.write_text(json.dumps(a))
    return path


def test_injected_script_and_markdown_stay_text_in_the_app_and_the_html_export(tmp_path):
    src = hostile_transcript(tmp_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with AppServer(tmp_path / "data") as app, sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
        watch = Watch(context)
        page = context.new_page()
        page.goto(f"{app.url}/?page=new")
        page.get_by_role("button", name="Analyse").wait_for(timeout=120_000)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(src))
        page.locator('[data-testid="stFileChip"]').first.wait_for(timeout=60_000)
        page.get_by_label("Title (optional)").fill(HOSTILE)
        page.get_by_text("Everyone recorded agreed").click()
        page.get_by_label("Who consented").fill(HOSTILE)
        page.get_by_label("Who consented").press("Tab")
        page.locator(".st-key-consent_how").click()
        page.get_by_role("option", name="written consent form").click()
        page.get_by_role("button", name="Analyse").click()
        wait_for_scorecard(page, 10, timeout_s=600)
        visit = int(re.search(r"visit=(\d+)", page.url).group(1))
        key = f"visit{visit}"

        # A comment with the same payload, on the first utterance.
        for _ in range(5):
            page.get_by_role("tab", name="Transcript").click()
            try:
                page.locator(f".st-key-view_play_{key}_0 button").first.click(timeout=5_000)
                page.locator(".st-key-selected_transcript").wait_for(timeout=10_000)
                break
            except Exception:
                continue
        page.get_by_label("Comment on this moment").fill(HOSTILE)
        page.get_by_role("button", name="Add comment").click()
        expect(page.locator(".st-key-selected_transcript")).to_contain_text("window.__pwned", timeout=30_000)

        shown = seen_text(page)
        leaks = page_leaks(page)
        for tab in ("Timeline", "Moments", "Speakers", "Scorecard"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(1500)
            if tab == "Timeline":  # Plotly's hover text reads HTML: hover a turn
                bar = page.locator(".js-plotly-plot g.trace.bars path").first
                bar.hover(force=True)
                page.wait_for_timeout(800)
            leaks += page_leaks(page)
            shown += seen_text(page)
        page.screenshot(path=str(ARTIFACTS / "e2e_hostile_visit.png"), full_page=True)
        assert watch.foreign() == [] and leaks == [] and watch.dialogs == [], (watch.foreign(), leaks)
        # Shown as typed: the title, the consent, the lines, the labels and the comment.
        assert shown.count(IMAGE) >= 4 and LINK in shown and SCRIPT in shown and ONERROR in shown
        from analyzer.store import open_store

        store = open_store(tmp_path / "data")
        stored_name = store.get_visit(store.local_user(), visit).source_name
        assert "onerror" in stored_name and stored_name in shown  # the file name, odd characters made "_"

        for where in ("?page=visits", "?page=progress"):
            page.goto(f"{app.url}/{where}")
            page.get_by_text("Signed in").first.wait_for(timeout=120_000)
            page.wait_for_timeout(3000)
            leaks += page_leaks(page)
            if where == "?page=progress":
                page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
                page.locator(".js-plotly-plot g.scatterlayer path.point").first.hover(force=True)
                page.wait_for_timeout(800)
                leaks += page_leaks(page)
            assert IMAGE in seen_text(page)

        # The HTML export, opened as a user would (a file, offline).
        page.goto(f"{app.url}/?visit={visit}")
        wait_for_scorecard(page, 10, timeout_s=120)
        page.get_by_role("tab", name="Export").click()
        page.locator(f".st-key-mk_exports_{key} button").click()
        with page.expect_download(timeout=120_000) as dl:
            page.locator(f".st-key-dl_html_{key} button").click(timeout=120_000)
        html = tmp_path / "export.html"
        dl.value.save_as(html)
        export = context.new_page()
        export.goto(html.as_uri())
        export.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        export.locator(".js-plotly-plot g.trace.bars path").first.hover(force=True)
        export.wait_for_timeout(800)
        leaks += page_leaks(export)
        shown_export = seen_text(export)
        export.screenshot(path=str(ARTIFACTS / "e2e_hostile_export.png"), full_page=True)
        assert IMAGE in shown_export and SCRIPT in shown_export
        assert export.locator("img").count() == 0 and export.locator('a[href*="example.invalid"]').count() == 0
        browser.close()
    assert watch.foreign() == [], watch.foreign()
    assert leaks == [], leaks
    assert watch.dialogs == []


# ---------------------------------------------------------------------------- recordings

def _status(url: str, cookie: str | None = None) -> int:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _sign_in(page, url: str, name: str, password: str, path: str = "") -> None:
    page.goto(f"{url}/{path}")
    page.locator(".st-key-login_user input").fill(name)
    page.locator(".st-key-login_password input").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in: {name}").wait_for(timeout=60_000)


def _select_utterance(page, key: str, i: int) -> None:
    for _ in range(6):
        try:
            page.get_by_role("tab", name="Transcript").click(timeout=10_000)
            page.locator(f".st-key-view_play_{key}_{i} button").first.click(timeout=5_000)
            page.locator(".st-key-selected_transcript").wait_for(timeout=10_000)
            return
        except Exception:
            continue
    raise AssertionError(f"utterance {i} could not be selected")


@pytest.fixture(scope="module")
def good_visit() -> dict:
    from analyzer.webapp import samples

    return samples.ensure("good_visit")


def test_a_recording_is_served_only_to_the_session_that_shows_it(tmp_path, good_visit):
    from analyzer.store import Consent, open_store

    data = tmp_path / "data"
    store = open_store(data)
    alice = store.create_user("alice", "alice-secret-1", "clinician")
    store.create_user("carol", "carol-secret-1", "coach")
    v = store.create_visit(alice, AUDIO, Consent("synthetic voices", "role-play", "alice"), title="with audio")
    assert store.claim_job(v.jobs[0].id)
    store.finish_job(v.jobs[0].id, "done", analysis=good_visit)
    store.share(alice, v.id, "carol", redact=True)
    key = f"visit{v.id}"
    with AppServer(data, accounts=True) as app, sync_playwright() as p:
        browser = launch(p)
        ctx_a = browser.new_context(viewport={"width": 1400, "height": 1400})
        clin = ctx_a.new_page()
        _sign_in(clin, app.url, "alice", "alice-secret-1", f"?visit={v.id}")
        wait_for_scorecard(clin, 10, timeout_s=120)
        _select_utterance(clin, key, 1)
        audio = clin.locator(".st-key-selected_transcript audio").first
        audio.wait_for(state="attached", timeout=30_000)
        url = app.url + urlparse(audio.get_attribute("src")).path
        assert "/media/" in url
        got = ctx_a.request.get(url)  # the signed-in browser that shows it: served
        assert got.status == 200 and got.body() == AUDIO.read_bytes()
        assert clin.evaluate("(a) => new Promise(r => { if (a.readyState >= 1) r(a.duration);"
                             " a.onloadedmetadata = () => r(a.duration); a.onerror = () => r(-1); a.load(); })",
                             audio.element_handle()) > 10  # and it plays in the page

        assert _status(url) == 404  # the URL alone, no cookie: a copied link
        other = browser.new_context()  # another browser with its own cookie, signed in as nobody
        other.new_page().goto(app.url)
        assert other.request.get(url).status == 404

        ctx_c = browser.new_context(viewport={"width": 1400, "height": 1400})
        coach = ctx_c.new_page()
        _sign_in(coach, app.url, "carol", "carol-secret-1", f"?visit={v.id}")
        wait_for_scorecard(coach, 10, timeout_s=120)
        _select_utterance(coach, key, 1)
        panel = coach.locator(".st-key-selected_transcript")
        expect(panel).to_contain_text("not played in a redacted view")
        assert panel.locator("audio").count() == 0 and coach.locator("audio").count() == 0
        assert ctx_c.request.get(url).status == 404  # nor alice's URL

        clin.locator(".st-key-nav_visits button").click()  # alice leaves the visit: the URL ends
        clin.get_by_text("My visits").first.wait_for(timeout=30_000)
        clin.wait_for_timeout(2000)
        assert ctx_a.request.get(url).status == 404
        browser.close()
    opened = {e["user"] for e in store.audit_log(alice) if e["action"] == "audio.open"}
    assert opened == {"alice"}


# ---------------------------------------------------------------------------- upload in flight

def test_analyse_pressed_during_the_upload_waits_for_it_then_starts(tmp_path):
    from analyzer.store import open_store

    with AppServer(tmp_path / "data") as app, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(f"{app.url}/?page=new")
        page.get_by_role("button", name="Analyse").wait_for(timeout=120_000)
        page.get_by_text("Everyone recorded agreed").click()
        page.get_by_label("Who consented").fill("the patient")
        page.get_by_label("Who consented").press("Tab")
        page.locator(".st-key-consent_how").click()
        page.get_by_role("option", name="written consent form").click()
        cdp = page.context.new_cdp_session(page)  # a slow link: the 8 kB upload takes seconds
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": 1024})
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(REFERENCE))
        page.locator('[data-testid="stFileChipIconSpinner"]').wait_for(timeout=10_000)  # still uploading
        page.get_by_role("button", name="Analyse").click()
        page.locator(".st-key-analyse_waiting").wait_for(timeout=30_000)
        assert page.locator('[data-testid="stFileChipIconSpinner"]').count() == 1  # it was in flight
        page.screenshot(path=str(ARTIFACTS / "e2e_analyse_during_upload.png"))
        page.wait_for_url(re.compile(r"visit=\d+"), timeout=120_000)
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1})
        wait_for_scorecard(page, 10, timeout_s=300)
        browser.close()
    store = open_store(tmp_path / "data")
    [v] = store.visits_for(store.local_user())
    assert v.source_name == REFERENCE.name and v.analyzed_at is not None


# ---------------------------------------------------------------------------- password guessing

def test_one_client_guessing_passwords_is_slowed_down_across_accounts(tmp_path):
    from analyzer.store import open_store

    client_free = 10  # failures one client gets before it waits (analyzer/webapp/throttle.py)
    store = open_store(tmp_path / "data")
    alice = store.create_user("alice", "alice-secret-1", "clinician")
    with AppServer(tmp_path / "data", accounts=True) as app, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(app.url)
        page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
        audit = sqlite3.connect(tmp_path / "data" / "visits.db")

        def attempt(name: str, password: str) -> tuple[str, str]:
            """One sign-in; waits for its audit row (every try writes exactly one) and returns it."""
            (n,) = audit.execute("select count(*) from audit_events").fetchone()
            page.locator(".st-key-login_user input").fill(name)
            page.locator(".st-key-login_password input").fill(password)
            page.get_by_role("button", name="Sign in").click()
            t_end = time.monotonic() + 30
            while audit.execute("select count(*) from audit_events").fetchone()[0] == n:
                assert time.monotonic() < t_end, "the sign-in was never recorded"
                time.sleep(0.1)
            return audit.execute("select username, coalesce(detail, '') from audit_events order by id desc limit 1"
                                 ).fetchone()

        refused_at = None
        for k in range(client_free + 8):  # a new account name each time: only the client repeats
            if "refused unchecked" in attempt(f"admin{k}", "password123")[1]:
                refused_at = k
                break
        assert refused_at is not None and refused_at >= client_free, refused_at
        who, detail = attempt("alice", "alice-secret-1")  # the right password, at once: refused unchecked
        assert who == "alice" and "refused unchecked" in detail and "client this machine" in detail
        expect(page.locator('[data-testid="stAlertContentError"]').first).to_contain_text("Too many failed sign-ins")
        assert page.get_by_text("Signed in: alice").count() == 0
        secs = int(re.search(r"Wait (\d+) second", page.locator('[data-testid="stAlertContentError"]').first
                             .inner_text()).group(1))
        page.wait_for_timeout(1000 * secs + 1500)  # the wait is over: the right password gets in
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Signed in: alice").wait_for(timeout=60_000)
        browser.close()
    assert any(e["action"] == "user.login" for e in store.audit_log(alice))


# ---------------------------------------------------------------------------- the server side

SERVER_HOOK = r'''
import os, socket, sys

_LOG = os.environ["NO_NETWORK_LOG"]
_LOOPBACK = ("127.0.0.1", "::1", "localhost", "0.0.0.0", "", None)


def _write(line):
    with open(_LOG, "a") as f:
        f.write(line + "\n")


def _hook(event, args):
    # The app may only listen on and talk to this machine: a lookup or a connection to any other
    # host is written down (and refused).
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex"):
        if args and args[0] not in _LOOPBACK and not (isinstance(args[0], bytes) and args[0].decode() in _LOOPBACK):
            _write(f"{event} {args[0]!r}")
            raise PermissionError("network access blocked in this test")
    elif event in ("socket.connect", "socket.sendto") and len(args) > 1 and isinstance(args[1], tuple):
        if getattr(args[0], "family", None) in (socket.AF_INET, socket.AF_INET6) and args[1][0] not in _LOOPBACK:
            _write(f"{event} {args[1]!r}")
            raise PermissionError("network access blocked in this test")
    elif event in ("urllib.Request", "http.client.connect"):
        _write(f"{event} {args[:2]!r}"[:300])


sys.addaudithook(_hook)
_write("installed")
'''


def test_the_app_server_itself_connects_to_no_other_host(tmp_path):
    """Streamlit's own server (usage statistics, version checks, external-IP lookups) and the
    app's code: an audit hook in the server process records every lookup and connection to a
    host other than this machine during a session that opens the sample report and every page."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SERVER_HOOK)
    log = tmp_path / "network.log"
    env = {"PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "NO_NETWORK_LOG": str(log)}
    with AppServer(tmp_path / "data", env=env) as app, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        page.goto(app.url)
        wait_for_scorecard(page, 10, timeout_s=300)
        for tab in ("Timeline", "Transcript", "Export"):
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(1000)
        for path in ("?page=new", "?page=visits", "?page=progress"):
            page.goto(f"{app.url}/{path}")
            page.get_by_text("Signed in").first.wait_for(timeout=120_000)
        browser.close()
    lines = log.read_text().splitlines()
    assert "installed" in lines  # the hook ran in the server
    assert [ln for ln in lines if ln != "installed"] == []


def test_the_server_hook_catches_a_connection(tmp_path):
    """The control for the test above: the same hook writes down a lookup and a connection."""
    import subprocess
    import sys

    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SERVER_HOOK)
    log = tmp_path / "network.log"
    code = ("import socket\n"
            "for f in (lambda: socket.getaddrinfo('example.org', 443),\n"
            "          lambda: socket.socket().connect(('10.1.2.3', 9)),\n"
            "          lambda: socket.getaddrinfo('localhost', 80)):\n"
            "    try:\n        f()\n    except OSError:\n        pass\n")
    subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(site), "NO_NETWORK_LOG": str(log)},
                   check=True, timeout=60)
    lines = log.read_text().splitlines()
    assert lines[0] == "installed" and any("example.org" in x for x in lines) and any("10.1.2.3" in x for x in lines)
    assert not any("localhost" in x for x in lines)
