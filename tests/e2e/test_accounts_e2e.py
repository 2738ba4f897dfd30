"""Accounts mode in a real headless browser: accounts made with `visit-analyzer users add` (no
self-registration), a clinician shares a visit with a coach, the coach comments and corrects a
tag, the clinician sees the comment, progress over two visits, revoke, delete. Screenshots go to
out/test-artifacts/."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


from app_driver import ARTIFACTS, AppServer, launch, wait_for_scorecard, require_chromium  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "analyzer" / "assets" / "samples" / "poor_visit_reference.json"

require_chromium()

from playwright.sync_api import expect, sync_playwright  # noqa: E402


def users(data: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analyzer.cli", "users", *args, "--data-dir", str(data)]
                          + (["--password-stdin"] if password is not None else []),
                          input=(password or "") + "\n", capture_output=True, text=True, cwd=ROOT, timeout=120)


def sign_in(page, url: str, name: str, password: str, path: str = "") -> None:
    page.goto(f"{url}/{path}")
    page.locator(".st-key-login_user input").fill(name)
    page.locator(".st-key-login_password input").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in: {name}").wait_for(timeout=60_000)


def click_until(page, target, done, tries: int = 4) -> None:
    """Click ``target`` until ``done`` (a locator) is visible: a click on an element that a rerun
    is redrawing can be lost."""
    for _ in range(tries):
        try:
            target.click(timeout=10_000)
        except Exception:
            pass
        try:
            done.first.wait_for(timeout=15_000)
            return
        except Exception:
            continue
    raise AssertionError(f"clicking {target} never showed {done}")


def open_visit(page, visit_id: int) -> None:
    """Through the app's own navigation: a page load (goto/reload) starts a new session, signed out."""
    click_until(page, page.locator(".st-key-nav_visits button"), page.locator(f".st-key-open_{visit_id} button"))
    # the visit's own tabs, not any metric: the visits page may still be drawn with its own
    click_until(page, page.locator(f".st-key-open_{visit_id} button"), page.get_by_role("tab", name="Transcript"))
    wait_for_scorecard(page, 10, timeout_s=60)


def choose(page, key: str, option: str) -> None:
    """Pick from a selectbox; retried because a rerun may redraw it between click and pick."""
    for _ in range(5):
        page.locator(f".st-key-{key} input").click()
        try:
            page.get_by_role("option", name=option).click(timeout=5_000)
            return
        except Exception:
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {option!r} in {key}")


def open_utterance(page, key: str, i: int, reopen=None) -> None:
    """Transcript tab, then ▶ on utterance i. A click on an element being redrawn by a rerun can
    be lost (the tab or the button), so both are retried until the selected panel shows; if a
    late rerun of an earlier click took the page elsewhere, ``reopen`` brings the visit back."""
    panel = page.locator(".st-key-selected_transcript")
    for _ in range(5):
        try:
            page.get_by_role("tab", name="Transcript").click(timeout=10_000)
        except Exception:
            if reopen is None:
                raise
            reopen()
            continue
        try:
            page.locator(f".st-key-view_play_{key}_{i} button").first.click(timeout=5_000)
        except Exception:
            pass
        try:
            panel.wait_for(timeout=10_000)
            return
        except Exception:
            continue
    raise AssertionError(f"utterance {i} could not be selected")


def test_clinician_and_coach_in_the_browser(tmp_path):
    from analyzer.store import Consent, open_store
    from analyzer.store.worker import run_job

    data = tmp_path / "data"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert users(data, "add", "alice", "--role", "clinician", password="alice-secret-1").returncode == 0
    assert users(data, "add", "carol", "--role", "coach", password="carol-secret-1").returncode == 0
    listed = users(data, "list").stdout
    assert "alice\tclinician" in listed and "carol\tcoach" in listed
    store = open_store(data)
    alice = store.get_user("alice")
    v1, v2 = (store.create_visit(alice, src, Consent("the patient", "verbal, recorded", "alice"), title=t)
              for src, t in ((REFERENCE, "first visit"), (ROOT / "analyzer" / "assets" / "samples" / "good_visit_reference.json",
                                                          "second visit")))
    for v in (v1, v2):
        assert run_job(store, v.jobs[0].id).state == "done"

    with AppServer(data, accounts=True) as app, sync_playwright() as p:
        browser = launch(p)
        clin = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
        coach = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()

        clin.goto(app.url)
        clin.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
        assert clin.get_by_role("button", name="Create account").count() == 0  # no self-registration
        clin.get_by_text("visit-analyzer users add").first.wait_for()
        clin.screenshot(path=str(ARTIFACTS / "e2e_accounts_sign_in.png"))

        sign_in(clin, app.url, "alice", "alice-secret-1", f"?visit={v1.id}")
        wait_for_scorecard(clin, 10, timeout_s=60)
        choose(clin, "view_share_coach", "carol")  # no coach is preselected
        click_until(clin, clin.locator(".st-key-share button"), clin.get_by_text("Shared with carol"))
        assert store.get_visit(alice, v1.id).shared_with == ["carol"]

        sign_in(coach, app.url, "carol", "carol-secret-1")
        coach.get_by_text("first visit").first.wait_for(timeout=30_000)
        assert coach.get_by_text("second visit").count() == 0  # not shared
        click_until(coach, coach.locator(f".st-key-open_{v1.id} button"), coach.locator('[data-testid="stMetric"]'))
        wait_for_scorecard(coach, 10, timeout_s=60)
        open_utterance(coach, f"visit{v1.id}", 2, reopen=lambda: open_visit(coach, v1.id))
        coach.get_by_label("Comment on this moment").fill("Lovely open question here.")
        click_until(coach, coach.get_by_role("button", name="Add comment"),
                    coach.get_by_text("Lovely open question here."))
        coach.get_by_text("Correct a tag").click()
        choose(coach, "view_corr_new_2", "closed question")
        click_until(coach, coach.locator(".st-key-view_corr_save_2 button"), coach.get_by_text("corrected a tag"))
        coach.screenshot(path=str(ARTIFACTS / "e2e_accounts_coach_comment.png"))
        [corr] = store.corrections(alice, v1.id)
        assert corr.author == "carol" and corr.utterance == 2 and corr.kind == "tag" and corr.corrected == "question.closed"

        clin.locator(".st-key-nav_visits button").click()
        expect(clin.locator(f".st-key-visit_row_{v1.id}")).to_contain_text("1 comment, 1 correction", timeout=30_000)
        open_visit(clin, v1.id)
        open_utterance(clin, f"visit{v1.id}", 2, reopen=lambda: open_visit(clin, v1.id))
        panel = clin.locator(".st-key-selected_transcript")
        expect(panel).to_contain_text("Lovely open question here.")
        expect(panel).to_contain_text("carol")
        expect(panel).to_contain_text("closed question")  # the coach's correction beside the machine's tag
        expect(panel).to_contain_text("corrected a tag")
        clin.screenshot(path=str(ARTIFACTS / "e2e_accounts_clinician_sees_comment.png"))

        clin.locator(".st-key-nav_progress button").click()
        clin.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        assert clin.locator(".js-plotly-plot g.trace").count() >= 1
        clin.screenshot(path=str(ARTIFACTS / "e2e_accounts_progress.png"))

        open_visit(clin, v1.id)
        # The owner's controls come after the whole report: wait for them on this visit's page.
        expect(clin.get_by_role("heading", name="first visit")).to_be_visible(timeout=120_000)
        clin.locator(".st-key-revoke_carol button").wait_for(timeout=120_000)
        for _ in range(4):  # retried: a click lost to a rerun leaves the share in place
            if not clin.locator(".st-key-revoke_carol button").count():
                break
            try:
                clin.locator(".st-key-revoke_carol button").click(timeout=10_000)
                clin.get_by_text("Shared with carol").wait_for(state="detached", timeout=15_000)
            except Exception:
                continue
        assert store.get_visit(alice, v1.id).shared_with == []
        coach.locator(".st-key-nav_visits button").click()
        coach.get_by_text("No visit shared with you yet").wait_for(timeout=60_000)
        sign_in(coach, app.url, "carol", "carol-secret-1", f"?visit={v1.id}")  # by URL
        coach.get_by_text("has not been shared with you").wait_for(timeout=60_000)

        open_visit(clin, v2.id)
        # Wait for this visit's own page (a rerun keeps the previous page's elements on screen
        # until it ends), then for its delete button, which comes after the whole report.
        expect(clin.get_by_role("heading", name="second visit")).to_be_visible(timeout=120_000)
        delete = clin.locator(".st-key-delete_visit button")
        delete.wait_for(timeout=120_000)
        for _ in range(6):  # the page may still be drawing: a lost click on the checkbox is retried
            if delete.is_enabled():
                break
            try:
                clin.get_by_text("Yes, delete it for good").click(timeout=10_000)
            except Exception:
                pass
            clin.wait_for_timeout(2_000)
        delete.click(timeout=60_000)
        clin.get_by_text("My visits").first.wait_for(timeout=30_000)
        expect(clin.locator(f".st-key-visit_row_{v1.id}")).to_be_visible(timeout=30_000)
        assert clin.locator(f".st-key-visit_row_{v2.id}").count() == 0
        clin.screenshot(path=str(ARTIFACTS / "e2e_accounts_after_delete.png"))
        browser.close()
    assert [v.id for v in store.visits_for(alice)] == [v1.id]

    # The administrator removes the coach; her comment and correction need --delete-data.
    refused = users(data, "remove", "carol")
    assert refused.returncode == 2 and "--delete-data" in refused.stderr
    assert users(data, "remove", "carol", "--delete-data").returncode == 0
    assert store.get_user("carol") is None and store.comments(alice, v1.id) == []
