"""The first analysis of a new ~15-minute upload through the app, as a user does it.

Makes a 15-minute visit (the sample visits concatenated, mono: one room microphone, so the
speakers are found by diarization), starts the app (local mode, empty data folder), and in
headless chromium uploads it, confirms consent, presses Analyse, and watches the progress
panel until the scorecard appears. Records the wall time from the click to the report, when
each stage was first shown, and the longest time the progress text stood still.

    .venv/bin/python benchmarks/app_upload.py [--minutes 15] [--json out/app_upload.json]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=15.0)
    ap.add_argument("--json", default=str(ROOT / "out" / "app_upload.json"))
    ap.add_argument("--timeout", type=float, default=1800.0)
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the app server on the way out

    from playwright.sync_api import sync_playwright

    from benchmarks.asr import long_visit
    from app_driver import ARTIFACTS, AppServer, failure_text, fill_upload, launch, progress_text, read_scorecard

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        audio = long_visit(args.minutes, tmp)
        from analyzer.speech.audio import probe

        duration = probe(audio).duration
        load0 = os.getloadavg()
        with AppServer(tmp / "data") as app, sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1400})
            page.goto(f"{app.url}/?page=new")
            page.get_by_role("button", name="Analyse").wait_for(timeout=60_000)
            fill_upload(page, audio, who="synthetic voices (benchmark)", how="synthetic or role-play (no real patient)")
            t0 = time.monotonic()
            stages: dict[str, float] = {}
            last_text, last_change, longest_still, snapshots = None, t0, 0.0, 0
            shot = False
            while time.monotonic() - t0 < args.timeout:
                if page.locator('[data-testid="stMetric"]').count():
                    break
                err = failure_text(page)
                if err:
                    print(f"the analysis failed: {err}", file=sys.stderr)
                    break
                txt = progress_text(page)
                now = time.monotonic()
                if txt and txt != last_text:
                    longest_still = max(longest_still, now - last_change)
                    last_text, last_change, snapshots = txt, now, snapshots + 1
                    lines = [ln.strip() for ln in txt.splitlines() if ln.strip()]
                    head = lines[1] if len(lines) > 1 else lines[0]  # "Transcribing speech · 4% · 30 s"
                    stage = head.split(" · ")[0]
                    stages.setdefault(stage, round(now - t0, 1))
                    if not shot and now - t0 > 30:
                        page.screenshot(path=str(ARTIFACTS / "app_upload_progress.png"), full_page=True)
                        shot = True
                time.sleep(0.5)
            total = time.monotonic() - t0
            ok = bool(page.locator('[data-testid="stMetric"]').count())
            page.screenshot(path=str(ARTIFACTS / "app_upload_report.png"), full_page=True)
            figures = read_scorecard(page) if ok else {}
            browser.close()
        result = {
            "audio_minutes": round(duration / 60, 2), "finished": ok, "wall_s": round(total, 1),
            "rtf": round(total / duration, 3), "stages_first_shown_s": stages,
            "progress_updates": snapshots, "longest_still_s": round(longest_still, 1),
            "loadavg_before": [round(x, 2) for x in load0], "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(), "figures": figures,
        }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
