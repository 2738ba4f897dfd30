"""Every door gives the same analysis: the CLI, ``batch``, the app's upload path (store + worker)
and a role swap and back through the app. Run on both sample visits (stereo: one channel each;
mono: diarized, where turn-taking reads the recording for double talk) and on an unlabelled
"Speaker 1:/Speaker 2:" transcript (roles must be assigned whichever door it enters by)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INPUTS = {
    "stereo": ROOT / "analyzer" / "assets" / "samples" / "poor_visit_stereo.ogg",
    "mono": ROOT / "analyzer" / "assets" / "samples" / "poor_visit_mono.ogg",
    "unlabelled": ROOT / "tests" / "fixtures" / "transcripts" / "unlabelled_visit.txt",
}
CONSENT = "scripted sample; consented by construction"


def comparable(a: dict) -> dict:
    """The analysis without what legitimately differs between runs (wall-clock timings)."""
    a = json.loads(json.dumps(a))
    a["source"].pop("timings", None)
    return a


def roles_of(a: dict) -> dict[str, str]:
    return {s["id"]: s["role"] for s in a["speakers"]}


def cli(path: Path, out: Path) -> dict:
    r = subprocess.run([sys.executable, "-m", "analyzer.cli", "analyze", path.name, "-o", str(out), "-q"],
                       cwd=path.parent, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text())


def batch(path: Path, tmp: Path) -> dict:
    folder = tmp / "batch-in"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    data = tmp / "batch-data"
    r = subprocess.run([sys.executable, "-m", "analyzer.cli", "batch", str(folder), "--data-dir", str(data),
                        "--consent", CONSENT, "-q"], capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stderr
    from analyzer.store import open_store

    store = open_store(data)
    try:
        user = store.local_user()
        [v] = store.visits_for(user)
        return store.load_analysis(user, v.id)
    finally:
        store.close()


@pytest.fixture(scope="module", params=list(INPUTS))
def doors(request, tmp_path_factory):
    """The analysis of one input through the CLI, batch and the app's upload path, and the app
    after a role swap and after swapping back."""
    from analyzer.store import open_store
    from analyzer.webapp import jobs, visits
    from analyzer.webapp.recompute import swapped

    path = INPUTS[request.param]
    tmp = tmp_path_factory.mktemp(request.param)
    out = {"cli": cli(path, tmp / "cli.json"), "batch": batch(path, tmp)}
    store = open_store(tmp / "app-data")
    user = store.local_user()
    v = visits.add_visit(store, user, [visits.Upload(path.name, path.read_bytes())],
                         visits.ConsentAnswer(True, "the patient", "verbal, scripted", "tester"))
    job = jobs.wait(visits.start(store, v), timeout=1200)
    assert job.state == "done", job.error
    out["app"] = store.load_analysis(user, v.id)
    v = store.get_visit(user, v.id)
    assert jobs.wait(visits.change_roles(store, user, v, swapped(out["app"])), timeout=600).state == "done"
    out["swapped"] = store.load_analysis(user, v.id)
    back = {sid: role for sid, role in roles_of(out["app"]).items()}
    assert jobs.wait(visits.change_roles(store, user, store.get_visit(user, v.id), back), timeout=600).state == "done"
    out["back"] = store.load_analysis(user, v.id)
    store.close()
    return request.param, out


def test_cli_batch_and_app_give_the_same_analysis(doors):
    name, out = doors
    ref = comparable(out["cli"])
    assert ref["source"]["file"] == INPUTS[name].name  # the user's name for it, never a server path
    for door in ("batch", "app"):
        assert comparable(out[door]) == ref, f"{door} differs from the CLI on {name}"
    assert len({r for r in roles_of(ref).values()} & {"clinician", "patient"}) == 2  # roles assigned everywhere
    if name == "mono":  # the double-talk detector had the recording through every door
        assert ref["metrics"]["method"]["overlap_detector"]["status"] == "used"
        assert any(e["type"] == "interruption" for e in ref["events"])


def test_role_swap_and_back_restores_the_analysis(doors):
    name, out = doors
    app, swapped, back = out["app"], out["swapped"], out["back"]
    assert roles_of(swapped) != roles_of(app)  # the swap did change something
    assert swapped["metrics"] != app["metrics"] and swapped["utterances"] != app["utterances"]
    assert roles_of(back) == roles_of(app)
    for key in ("events", "metrics", "utterances", "warnings"):
        assert back.get(key) == app.get(key), f"{key} differs after swapping roles back on {name}"
    if name == "mono":  # a re-run still reads the stored recording
        assert back["metrics"]["method"]["overlap_detector"]["status"] == "used"


def test_every_door_writes_the_published_schema(doors):
    import jsonschema

    schema = json.loads((ROOT / "docs" / "analysis.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    _, out = doors
    for door, analysis in out.items():
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}"
                  for e in jsonschema.Draft202012Validator(schema).iter_errors(analysis)]
        assert not errors, f"{door}: {errors[:5]}"


def test_a_mono_visit_without_its_recording_says_so_instead_of_zero_interruptions(doors):
    """Retention deleted the recording: a re-run keeps the transcript, and the report says the
    interruptions cannot be counted rather than showing a false "none"."""
    from analyzer.report import build_report
    from analyzer.runner import Options, reanalyse

    name, out = doors
    if name != "mono":
        pytest.skip("the double-talk detector runs on one-microphone recordings only")
    again = reanalyse(out["app"], None, Options(), recording_status="the recording is no longer stored").to_dict()
    assert again["metrics"]["method"]["overlap_detector"]["status"] == "the recording is no longer stored"
    assert "no longer stored" in again["metrics"]["missing"]["interruptions"]
    figures = {f.key: f for f in build_report(again).scorecard}
    assert figures["interruptions_by_clinician"].value is None
    assert figures["interruptions_by_clinician"].rating != "good"
