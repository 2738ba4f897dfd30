"""N people using the app at once: each signs in, uploads a small visit and analyses it.

Starts the app in accounts mode on an empty data folder with N clinicians, then drives N
headless chromium sessions (Playwright, Debian's chromium) concurrently: sign in, upload the
bundled 2.3-minute mono sample (each user's copy differs by a few milliseconds of trailing
silence, so no two uploads are the same file), confirm consent, press Analyse, watch the
page until the scorecard shows. Reports, per user, the time from the click to the report, split
with the store's own job times into: storing the upload, waiting in the queue (one analysis
runs at a time), the analysis, and the page showing the report; checks in the store that
every user has exactly one visit, analysed, its job done (none lost); and the app server's
resident memory before, at its peak and after.

    .venv/bin/python benchmarks/app_load.py                 # 6 users
    .venv/bin/python benchmarks/app_load.py --users 2 --json out/app_load_2.json
    .venv/bin/python benchmarks/app_load.py --transcript    # upload a transcript: no speech model

The machine it runs on matters (jobs run one at a time, on purpose: see analyzer/webapp/jobs.py);
the JSON records the CPU count and load average.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]
SAMPLE = ROOT / "analyzer" / "assets" / "samples" / "poor_visit_mono.ogg"
TRANSCRIPT = ROOT / "analyzer" / "assets" / "samples" / "poor_visit_reference.json"
PASSWORD = "load-test-password"
ARTIFACTS = ROOT / "out" / "test-artifacts"


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MB, from /proc."""
    vals = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                vals[line.split(":")[0]] = int(line.split()[1]) / 1024
    return round(vals.get("VmRSS", 0.0), 1), round(vals.get("VmHWM", 0.0), 1)


def user_files(n: int, folder: Path, transcript: bool) -> list[Path]:
    """One distinct file per user (same visit; a different content hash)."""
    out = []
    if transcript:
        base = json.loads(TRANSCRIPT.read_text())
        for k in range(n):
            base["source"]["load_test_user"] = k
            p = folder / f"visit_user{k + 1}.json"
            p.write_text(json.dumps(base))
            out.append(p)
        return out
    import numpy as np
    import soundfile as sf

    audio, rate = sf.read(SAMPLE, dtype="float32")
    for k in range(n):
        p = folder / f"visit_user{k + 1}.ogg"
        sf.write(p, np.concatenate([audio, np.zeros(int(rate * 0.01 * (k + 1)), dtype="float32")]), rate,
                 format="OGG", subtype="OPUS")
        out.append(p)
    return out


async def one_user(browser, url: str, k: int, path: Path, timeout: float, ready: list, t_start: asyncio.Event) -> dict:
    name = f"user{k + 1}"
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1200})
    page = await ctx.new_page()
    row = {"user": name, "file": path.name, "finished": False}
    step = "sign in"
    try:
        await page.goto(f"{url}/?page=new")
        await page.locator(".st-key-login_user input").fill(name)
        await page.locator(".st-key-login_password input").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("button", name="Analyse").wait_for(timeout=300_000)
        step = "upload"
        t_up = time.monotonic()
        for attempt in range(3):  # a file set while a rerun redraws the uploader can be dropped: set it again
            await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
            try:
                await page.locator('[data-testid="stFileChip"]').first.wait_for(timeout=30_000)
                break
            except Exception:
                if attempt == 2:
                    raise
        while await page.locator('[data-testid="stFileChipIconSpinner"]').count():
            await asyncio.sleep(0.1)
        row["upload_s"] = round(time.monotonic() - t_up, 1)
        step = "consent"
        await page.get_by_text("Everyone recorded agreed").click()
        await page.get_by_label("Who consented").fill("synthetic voices (load test)")
        await page.get_by_label("Who consented").press("Tab")
        await page.locator(".st-key-consent_how").click()
        await page.get_by_role("option", name="synthetic or role-play (no real patient)").click()
        await page.wait_for_timeout(1000)  # the last widget's rerun
        ready.append(name)
        await t_start.wait()  # everyone presses Analyse together
        t0, row["clicked_at"] = time.monotonic(), time.time()
        step = "analysis"
        await page.get_by_role("button", name="Analyse").click()
        while time.monotonic() - t0 < timeout:
            if await page.locator('[data-testid="stMetric"]').count():
                row["finished"] = True
                break
            err = page.locator('[data-testid="stAlertContentError"]')
            if await err.count():
                row["error"] = (await err.first.inner_text())[:300]
                break
            await asyncio.sleep(0.5)
        row["click_to_report_s"] = round(time.monotonic() - t0, 1)
        row["report_at"] = time.time()
    except Exception as e:  # the row says what went wrong; the run goes on for the others
        row["error"] = f"{step}: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / f"app_load_{name}_failed.png"), full_page=True)
        except Exception:
            pass
    finally:
        await ctx.close()
    return row


async def drive(url: str, files: list[Path], timeout: float) -> list[dict]:
    from playwright.async_api import async_playwright

    from app_driver import chromium_path

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), headless=True,
                                          args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        go, ready = asyncio.Event(), []
        tasks = [asyncio.create_task(one_user(browser, url, k, f, timeout, ready, go)) for k, f in enumerate(files)]
        t_end = time.monotonic() + 600
        while len(ready) < len(files) and time.monotonic() < t_end and not all(t.done() for t in tasks):
            await asyncio.sleep(0.2)  # everyone signed in with the form filled (or given up)
        go.set()
        rows = await asyncio.gather(*tasks)
        await browser.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", "-n", type=int, default=6)
    ap.add_argument("--transcript", action="store_true", help="upload a transcript instead of the recording")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per user, seconds from the click")
    ap.add_argument("--json", default=str(ROOT / "out" / "app_load.json"))
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the app server on the way out

    from analyzer.store import open_store
    from app_driver import AppServer, chromium_path

    if chromium_path() is None:
        print("Debian's chromium is not installed (scripts/setup.sh --dev installs it)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = user_files(args.users, tmp, args.transcript)
        data = tmp / "data"
        store = open_store(data)
        for k in range(args.users):
            store.create_user(f"user{k + 1}", PASSWORD, "clinician")
        load0 = os.getloadavg()
        with AppServer(data, accounts=True) as app:
            rss_before = rss_mb(app.proc.pid)[0]
            peak = [rss_before]
            stop = threading.Event()

            def sample() -> None:  # the peak while it runs (VmHWM also counts start-up)
                while not stop.wait(1.0):
                    try:
                        peak[0] = max(peak[0], rss_mb(app.proc.pid)[0])
                    except OSError:
                        return

            threading.Thread(target=sample, daemon=True).start()
            t0 = time.monotonic()
            rows = asyncio.run(drive(app.url, files, args.timeout))
            wall = time.monotonic() - t0
            stop.set()
            rss_after = rss_mb(app.proc.pid)[0]
        stored = []
        for k, row in enumerate(rows):
            u = store.get_user(f"user{k + 1}")
            vs = store.visits_for(u)
            stored.append({"user": u.username, "visits": len(vs),
                           "analysed": sum(v.analyzed_at is not None for v in vs),
                           "job_states": [v.status for v in vs]})
            job = store.get_visit(u, vs[0].id).jobs[-1] if vs else None
            if job is not None and job.started_at and row.get("clicked_at"):
                # The server's own times: stored (click -> visit and job recorded), queued (-> the
                # single worker takes it), analysed (-> job done), shown (-> the page has the report).
                created, started = job.created_at.timestamp(), job.started_at.timestamp()
                row["stored_s"] = round(created - row["clicked_at"], 1)
                row["queue_wait_s"] = round(started - created, 1)
                if job.finished_at:
                    row["analysis_s"] = round(job.finished_at.timestamp() - started, 1)
                    if row.get("report_at"):
                        row["shown_s"] = round(row["report_at"] - job.finished_at.timestamp(), 1)
    finished = [r for r in rows if r["finished"]]
    times = sorted(r["click_to_report_s"] for r in finished)
    result = {
        "users": args.users, "upload": "transcript" if args.transcript else f"{SAMPLE.name} (2.3 min, mono)",
        "all_finished": len(finished) == args.users,
        "none_lost": all(s["visits"] == 1 and s["analysed"] == 1 and s["job_states"] == ["done"] for s in stored),
        "click_to_report_s": {"min": times[0] if times else None, "median": times[len(times) // 2] if times else None,
                              "max": times[-1] if times else None},
        "wall_s": round(wall, 1),
        "server_rss_mb": {"before": rss_before, "peak": round(peak[0], 1), "after": rss_after},
        "per_user": rows, "stored": stored,
        "cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in load0],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(f"{'user':8} {'upload':>7} {'stored':>7} {'queued':>7} {'analysis':>9} {'shown':>6} {'click->report':>14}"
          "  (seconds)")
    for r in rows:
        cells = [r.get(k, "-") for k in ("upload_s", "stored_s", "queue_wait_s", "analysis_s", "shown_s", "click_to_report_s")]
        print(f"{r['user']:8} {cells[0]:>7} {cells[1]:>7} {cells[2]:>7} {cells[3]:>9} {cells[4]:>6} {cells[5]:>14}  "
              f"{'done' if r['finished'] else r.get('error', 'timed out')}")
    print(f"server RSS: {rss_before} MB before, {peak[0]:.0f} MB peak, {rss_after} MB after; "
          f"all finished: {result['all_finished']}; none lost: {result['none_lost']}; wall {wall:.0f} s; "
          f"{os.cpu_count()} CPUs, load {load0[0]:.1f} before")
    return 0 if result["all_finished"] and result["none_lost"] else 1


if __name__ == "__main__":
    sys.exit(main())
