"""The Export tab in a real headless browser: the JSON, HTML and PDF downloads arrive, the HTML
opens with the network blocked and shows the same scorecard as the app, the PDF renders."""
from __future__ import annotations

import json
import shutil
import subprocess


from app_driver import ARTIFACTS, AppServer, launch, read_scorecard, wait_for_scorecard, require_chromium  # noqa: E402

require_chromium()

from playwright.sync_api import sync_playwright  # noqa: E402


def test_exports_download_and_open_offline(tmp_path):
    from analyzer.webapp import samples

    samples.ensure("poor_visit")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with AppServer(tmp_path / "data") as app, sync_playwright() as p:
        browser = launch(p)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
        page = ctx.new_page()
        page.goto(f"{app.url}/?sample=poor_visit")
        wait_for_scorecard(page, 10)
        shown = read_scorecard(page)
        page.get_by_role("tab", name="Export").click()

        def download(label: str):
            with page.expect_download(timeout=120_000) as d:
                page.get_by_role("button", name=label).click()
            path = tmp_path / d.value.suggested_filename
            d.value.save_as(path)
            return path

        analysis = json.loads(download("Analysis (JSON)").read_text())
        assert analysis["utterances"]
        page.get_by_role("button", name="Make the HTML and PDF reports").click()
        page.get_by_role("button", name="Report (HTML)").wait_for(timeout=120_000)
        html = download("Report (HTML)")
        pdf = download("Report (PDF)")
        assert html.suffix == ".html" and pdf.read_bytes()[:5] == b"%PDF-"

        # The HTML report offline: every request but the file itself is refused, and none is made.
        offline = browser.new_context(viewport={"width": 1200, "height": 1400})
        asked = []
        offline.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                      else (asked.append(r.request.url), r.abort()))
        rp = offline.new_page()
        rp.goto(html.as_uri())
        rp.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
        in_html = [t.strip() for t in rp.locator("td.value[data-key]").all_inner_texts()]
        rp.screenshot(path=str(ARTIFACTS / "e2e_export_html.png"))
        assert asked == []
        assert in_html == list(shown.values())  # the same figures, in the same order
        browser.close()
    if shutil.which("pdftotext"):
        text = " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout.split())
        for value in shown.values():
            assert " ".join(value.split()) in text, value
