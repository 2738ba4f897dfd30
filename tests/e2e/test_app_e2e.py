"""End to end in a real headless browser (Debian chromium + Playwright): the app as a person sees it.

Screenshots are kept under out/test-artifacts/ (git-ignored). In CI (CI=true) a missing
chromium fails the test; elsewhere it is skipped with the reason.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from analyzer.report import build_report
from analyzer.webapp import samples

from app_driver import (ARTIFACTS, AppServer, failure_text, fill_upload, launch, progress_text,  # noqa: E402
                        read_scorecard, wait_for_scorecard, require_chromium)

ROOT = Path(__file__).resolve().parents[2]

require_chromium()

from playwright.sync_api import sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def good_visit() -> dict:
    return samples.ensure("good_visit")


def test_sample_visit_scorecard_in_the_browser_equals_the_analysis(tmp_path, good_visit):
    expected = {f.label: f.display for f in build_report(good_visit).scorecard}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with AppServer(tmp_path / "data") as app, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        t0 = time.monotonic()
        page.goto(f"{app.url}/?sample=good_visit")
        wait_for_scorecard(page, len(expected))
        took = time.monotonic() - t0
        shown = read_scorecard(page)
        page.screenshot(path=str(ARTIFACTS / "e2e_sample_report.png"), full_page=True)
        samples.code_fingerprint.cache_clear()
        used = samples.cached("good_visit")  # the analysis the app showed (the same unless code changed meanwhile)
        assert used is not None
        assert shown == {f.label: f.display for f in build_report(used).scorecard}
        if used == good_visit:
            assert shown == expected
            assert took < 30, f"a cached sample visit must open within seconds, took {took:.0f} s"
        page.get_by_role("tab", name="Timeline").click()
        page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
        # Click a tagged-moment marker: the utterance it stands for is selected, with its audio.
        point = page.locator(".js-plotly-plot g.scatterlayer path.point").first
        box = point.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        panel = page.locator(".st-key-selected_timeline")
        panel.wait_for(timeout=60_000)
        panel.locator('[data-testid="stAudio"]').wait_for(timeout=30_000)
        assert any(u["text"][:25] in panel.inner_text() for u in used["utterances"])
        page.screenshot(path=str(ARTIFACTS / "e2e_sample_timeline_click.png"), full_page=True)
        page.get_by_role("tab", name="Transcript").click()
        # visible only: the timeline's (now hidden) panel also shows the text when the clicked
        # marker is the first utterance
        page.get_by_text(good_visit["utterances"][0]["text"][:30]).filter(visible=True).first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "e2e_sample_transcript.png"), full_page=True)
        browser.close()
        # .streamlit/config.toml: loopback only, and Streamlit never asked a web service for this
        # machine's external IP (it does when headless on a wildcard address).
        assert "external IP" not in app.log() and "External URL" not in app.log()
        assert "URL: http://127.0.0.1:" in app.log() or "URL: http://localhost:" in app.log()


def test_upload_a_transcript_with_consent_in_the_browser(tmp_path):
    src = ROOT / "analyzer" / "assets" / "samples" / "poor_visit_reference.json"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with AppServer(tmp_path / "data") as app, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{app.url}/?page=new")
        page.get_by_role("button", name="Analyse").wait_for(timeout=120_000)
        fill_upload(page, src, who="synthetic voices", how="synthetic or role-play (no real patient)")
        seen = set()
        t_end = time.monotonic() + 600
        while time.monotonic() < t_end and not page.locator('[data-testid="stMetric"]').count():
            assert failure_text(page) is None, failure_text(page)
            txt = progress_text(page)
            if txt:
                seen.add(txt.splitlines()[0])
            time.sleep(0.3)
        wait_for_scorecard(page, 10, timeout_s=60)
        page.screenshot(path=str(ARTIFACTS / "e2e_upload_report.png"), full_page=True)
        from analyzer.store import open_store

        store = open_store(tmp_path / "data")
        me = store.local_user()
        [v] = store.visits_for(me)
        assert store.get_visit(me, v.id).consent.who == "synthetic voices"
        expected = {f.label: f.display for f in build_report(store.load_analysis(me, v.id)).scorecard}
        assert read_scorecard(page) == expected
        browser.close()
