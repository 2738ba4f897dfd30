"""Exports of the report: self-contained HTML (nothing loaded over the network; rendered offline
in headless Chromium when available), PDF (rendered with pdftoppm, read back with pdftotext:
the same figures as the JSON), and the CLI's --html/--pdf."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analyzer.report import Report, build_report, render_html, render_pdf

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "analyzer" / "assets" / "samples"
ARTIFACTS = ROOT / "test-artifacts" / "report"


@pytest.fixture(scope="module")
def poor() -> dict:
    from analyzer.pipeline import analyze

    return analyze(str(SAMPLES / "poor_visit_reference.json")).to_dict()


class Loads(HTMLParser):
    """Every attribute that makes a browser fetch something, and the inline CSS."""

    def __init__(self):
        super().__init__()
        self.urls, self.tags, self.css = [], [], []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "data", "poster", "action", "background", "xlink:href") and v:
                self.urls.append(v)
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.css.append(data)

    def handle_endtag(self, tag):
        self._in_style = False


def test_html_is_self_contained_and_shows_the_report(poor):
    r = build_report(poor)
    html = render_html(poor, r, title="Poor visit")
    p = Loads()
    p.feed(html)
    remote = [u for u in p.urls if re.match(r"^\s*(https?:|//|ftp:)", u, re.I)]
    assert not remote, remote
    assert "link" not in p.tags and "iframe" not in p.tags and "img" not in p.tags
    assert not re.search(r"url\(|@import", "".join(p.css))
    assert "<script src" not in html.replace(" ", "")
    assert "Plotly.newPlot" in html and 'id="timeline"' in html  # the figure, with plotly.js inlined
    assert len(html) > 1_000_000  # plotly.js itself is in the file
    for f in r.scorecard:  # every figure, exactly as displayed
        assert f'<td class="value" data-key="{f.key}">{f.display}</td>' in html.replace("&amp;", "&")
    for m in r.moments:
        assert f'href="#u{m.utterance}"' in html
    for i in range(len(poor["utterances"])):
        assert f'id="u{i}"' in html
    data = re.search(r'<script type="application/json" id="report-json">(.*?)</script>', html, re.S).group(1)
    assert json.loads(data.replace("<\\/", "</")) == json.loads(json.dumps(r.to_json()))


def test_html_renders_offline_in_chromium(poor, tmp_path):
    pw = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("no chromium")
    path = tmp_path / "report.html"
    r = build_report(poor)
    path.write_text(render_html(poor, r))
    requests = []
    with pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda q: requests.append(q.url))
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        page.goto(path.as_uri())
        page.wait_for_selector("#timeline .main-svg", timeout=60_000)
        assert page.locator("#timeline .bars .point").count() == len(poor["utterances"])
        page.locator("#timeline .scatterlayer .trace").last.locator(".point").first.click(force=True)
        page.wait_for_function("location.hash.startsWith('#u')", timeout=10_000)
        target = int(page.evaluate("location.hash")[2:])
        assert 0 <= target < len(poor["utterances"])
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report_html.png"), full_page=True)
        browser.close()
    assert [u for u in requests if not u.startswith("file:")] == []


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_pdf_renders_and_reads_back_the_same_figures(poor, tmp_path):
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("poppler-utils not installed (scripts/setup.sh --dev installs it)")
    r = build_report(poor)
    pdf = tmp_path / "report.pdf"
    render_pdf(poor, r, pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    from PIL import Image

    with Image.open(pages[0]) as im:
        assert im.size[0] > 400 and im.convert("L").getextrema()[0] < 100  # dark ink on the page
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        im.save(ARTIFACTS / "report_pdf_page1.png")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    score = text[text.index("Scorecard"): text.index("Timeline")]
    flat = _norm(score)
    # every figure's label and display, in scorecard order (pdftotext may drop or add spaces)
    pos = 0
    for f in r.scorecard:
        k = flat.find(_norm(f.display), flat.find(_norm(f.label.split()[0]), pos))
        assert k >= 0, (f.key, f.display)
        pos = k
    # ... and the figures are the JSON's
    d = json.loads(json.dumps(r.to_json()))
    for f in d["scorecard"]:
        assert _norm(f["display"]) in flat
    for m in r.moments:
        assert _norm(m.title) in _norm(text)
    assert _norm(poor["utterances"][0]["text"]) in _norm(text)


def test_pdf_of_text_only_and_empty_analyses(tmp_path):
    for k, a in enumerate([{}, {"utterances": [{"role": "clinician", "text": "Hello \u2014 caf\u00e9 \u00fc\u4e2d", "start": None, "end": None}]}]):
        render_pdf(a, None, tmp_path / f"{k}.pdf")
        assert (tmp_path / f"{k}.pdf").stat().st_size > 1000
        html = render_html(a)
        assert "n/a" in html


def test_cli_writes_analysis_html_and_pdf(tmp_path):
    src = tmp_path / "visit.txt"
    src.write_text("Doctor: Hi, what brings you in today?\nPatient: I've had a cough for two weeks and I'm worried it's "
                   "something serious.\nDoctor: Any fever?\nPatient: No.\nDoctor: Any weight loss?\nPatient: No.\n"
                   "Doctor: Do you smoke?\nPatient: No.\n")
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "analyzer.cli", "analyze", str(src), "-o", str(out / "a.json"),
           "--html", str(out / "r.html"), "--pdf", str(out / "r.pdf"), "-q"]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert res.returncode == 0, res.stderr
    a = json.loads((out / "a.json").read_text())
    r = build_report(a)
    html = (out / "r.html").read_text()
    for f in r.scorecard:
        assert f'data-key="{f.key}">{f.display}<' in html
    assert (out / "r.pdf").read_bytes()[:5] == b"%PDF-"
    assert {m.type for m in r.moments} >= {"closed_question_stack", "missed_emotional_cue"}
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "r.html", "r.pdf"]  # no temporary files left
    # a bad output path: exit 2, nothing written
    (tmp_path / "dir.html").mkdir()
    res = subprocess.run(cmd[:5] + ["-o", str(tmp_path / "b.json"), "--html", str(tmp_path / "dir.html"), "-q"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert res.returncode == 2 and "folder" in res.stderr
    assert not (tmp_path / "b.json").exists()


def test_report_json_is_the_interface(poor):
    d = build_report(poor).to_json()
    assert Report.from_json(json.loads(json.dumps(d))).to_json() == d
