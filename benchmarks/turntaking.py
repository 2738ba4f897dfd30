"""Turn-taking benchmark: events from human timings vs the full pipeline on synthetic audio.

For every PriMock57-style pair ``X_doctor.TextGrid`` + ``X_patient.TextGrid`` in ``--data``:

1. Reference: the pair is read with the project's importer; markers such as [unintelligible]
   are removed and intervals left without words dropped (they cannot be voiced); the
   turn-taking stage (analyzer/turntaking.py) is run on these human timings. Its events and
   metrics are the ground truth: the same definitions, on the annotators' clock. One
   exception: where the synthetic voice cannot fill an interval (it is slowed to half speed at
   most, then padded with silence: ~2 % of PriMock57 intervals, e.g. "Hello?" annotated as
   2.6 s), the reference utterance ends where the voice stops, since the audio is silent after.
2. Audio: each utterance is voiced by a local TTS voice per speaker and stretched to its
   interval (benchmarks/synth.py ``render_timeline``), giving one track per speaker. Two
   recordings are made: ``stereo`` (doctor left, patient right: one speaker per channel) and
   ``mono`` (the two tracks mixed, the patient 6 dB quieter to 2 dB louder, faint noise).
3. Pipeline: ``load_input`` (decode, Whisper ASR with word times, channels or diarization,
   roles found automatically from the speech) and then the ``turns`` stage, exactly as
   ``visit-analyzer analyze`` runs them (``--all-stages`` runs every registered stage).

Printed per mode: interruption onset precision / recall / F1 (a match is the same ``by`` role
within +-1.0 s, one to one), backchannel F1 (same matching), talk-share error (|patient share
- reference| in percentage points; mean and worst), time-to-first-interruption-of-the-patient
error (s; where both have one), and whether the roles came out right.

Cost: ASR is ~0.15x real time per channel on 2 cores with ``base`` (stereo = two channels,
mono = one plus diarization), so a run costs roughly 0.5 x the audio minutes with ``base``
and a third of that with ``tiny.en``. TTS clips are cached (~/.cache/visit-analyzer/tts).

Examples
  python3 benchmarks/turntaking.py --data ../shared/data/primock57/transcripts --limit 4 --minutes 4
  python3 benchmarks/turntaking.py --data DIR --model tiny.en --limit 8 --minutes 3     # quick
  python3 benchmarks/turntaking.py --data ../shared/data/primock57/transcripts          # all (~3 h)
  python3 benchmarks/turntaking.py --data DIR --reference-only    # ground-truth event counts only
  python3 benchmarks/turntaking.py --data DIR --limit 4 --cache /tmp/tt-cache   # rerun: ASR reused
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analyzer.model import Transcript, Utterance  # noqa: E402
from analyzer.turntaking import analyze_turns  # noqa: E402

SR = 16000
TOLERANCE = 1.0  # s, onset match window
# (doctor, patient) voices, rotated over consultations: clearly different voices.
VOICE_PAIRS = [("joe", "joe_high"), ("espeak_m", "espeak_f"), ("joe", "espeak_f"), ("espeak_m", "joe_high")]
MODES = ("stereo", "mono")


# --------------------------------------------------------------------------- reference

def find_pairs(folder: Path) -> list[tuple[str, Path]]:
    """(name, clinician file) for every ``X_doctor.TextGrid`` (or ``X_clinician``) with an
    ``X_patient.TextGrid`` partner beside it, in ``folder`` and its subfolders (the importer's
    naming rule: separator ``_ - . or space``, any case)."""
    from analyzer.importers.textgrid import SIDE, SIDE_ROLE, find_partner

    out = []
    for doc in sorted(folder.rglob("*")):
        if not (doc.is_file() and doc.suffix.lower() == ".textgrid"):
            continue
        m = SIDE.match(doc.stem)
        if m and SIDE_ROLE[m.group("side").lower()] == "clinician" and find_partner(doc) is not None:
            rel = doc.parent.relative_to(folder)
            name = m.group("base") if rel == Path(".") else f"{rel.as_posix()}/{m.group('base')}"
            out.append((name, doc))
    return out


def clean(text: str) -> str:
    text = re.sub(r"\[[^\]]*\]", " ", text)
    return " ".join(text.split())


def reference(doc: Path, minutes: float | None) -> Transcript:
    """The human-timed transcript as voiced: markers removed, wordless intervals dropped,
    cropped to the first ``minutes``."""
    from analyzer.importers import load_transcript

    t = load_transcript(doc)
    keep: list[Utterance] = []
    for u in t.utterances:
        text = clean(u.text)
        if not re.search(r"[A-Za-z]", text) or u.start is None or u.end is None or u.end <= u.start:
            continue
        if minutes and u.end > minutes * 60:
            continue
        keep.append(Utterance(speaker=u.speaker, text=text, start=u.start, end=u.end, role=u.role))
    t.utterances = keep
    t.sort()
    return t


# --------------------------------------------------------------------------- audio

def render(t: Transcript, voices: tuple[str, str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(stereo [2, n] doctor/patient, mono mix [n])."""
    from benchmarks import synth

    roles = {sid: sp.role for sid, sp in t.speakers.items()}
    spk_voice = {}
    for sid, role in roles.items():
        spk_voice[sid] = voices[0] if role == "clinician" else voices[1]
    items = [(u.speaker, u.start, u.end, u.text) for u in t.utterances]
    tracks = synth.render_timeline(items, spk_voice, sr=SR, stretch=True)
    doc = next(s for s, r in roles.items() if r == "clinician")
    pat = next(s for s, r in roles.items() if r == "patient")
    n = max(len(x) for x in tracks.values())
    d = np.pad(tracks[doc], (0, n - len(tracks[doc])))
    p = np.pad(tracks[pat], (0, n - len(tracks[pat])))
    rng = np.random.default_rng(seed)
    gain = float(10 ** (rng.uniform(-6, 2) / 20))
    mix = d + gain * p + rng.normal(0, 10 ** (-55 / 20), n).astype(np.float32)
    mix = np.clip(mix * 0.7, -1, 1).astype(np.float32)
    return np.stack([d, p]).astype(np.float32), mix


def clip_to_voice(t: Transcript, voices: tuple[str, str]) -> int:
    """Where the synthetic voice cannot fill an interval (``fit_to_interval`` slows speech to
    half speed at most, then pads with silence), end the reference utterance where the voice
    stops: the audio has silence there, not speech. Returns how many utterances were clipped."""
    from benchmarks import synth

    n = 0
    for u in t.utterances:
        v = voices[0] if u.role == "clinician" else voices[1]
        voiced = 2.0 * len(synth.synthesize(u.text, v, SR)) / SR  # at half speed
        if voiced < (u.end - u.start) - 0.05:
            u.end = u.start + voiced
            n += 1
    return n


# --------------------------------------------------------------------------- pipeline

def _pipeline_fingerprint() -> str:
    """Hash of the code that makes transcripts: every ``analyzer`` module that ``load_input``
    imports (decoding, ASR, channels/diarization, roles, importers), but not the analysis stages
    or modules the pipeline does not load (report, storage, CLI), which other work changes
    without changing a transcript. A cached transcript is reused only with the same audio and
    this code."""
    import hashlib
    import importlib

    for mod in ("pipeline", "audio", "asr", "speakers", "diarize", "roles", "importers", "model"):
        try:
            importlib.import_module(f"analyzer.{mod}")
        except ImportError:
            pass
    files = set()
    for name, mod in list(sys.modules.items()):
        f = getattr(mod, "__file__", None)
        if not name.startswith("analyzer.") or not f or name.startswith(("analyzer.turntaking", "analyzer.tagging")):
            continue
        files.add(Path(f).resolve())
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(f.relative_to(ROOT).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def run_pipeline(path: Path, model: str, all_stages: bool, cache: Path | None = None) -> Transcript:
    """The pipeline on one file. With ``cache``, the transcript made by ``load_input`` (ASR,
    speakers, roles) is saved there and reused on the next run with the same audio and model,
    so changes to the turn-taking stage can be re-scored in seconds."""
    import hashlib

    from analyzer import pipeline
    from analyzer.turntaking import run_stage

    opts = pipeline.Options(model=model)
    if all_stages:
        return pipeline.analyze(path, opts)
    cached = None
    if cache is not None:
        h = hashlib.sha256(path.read_bytes() + _pipeline_fingerprint().encode()).hexdigest()[:16]
        cached = cache / f"{path.stem}.{model.replace('/', '_')}.{h}.json"
    if cached is not None and cached.exists():
        t = Transcript.from_json(cached.read_text())
        t.extra.pop("events", None)
        t.extra.pop("metrics", None)
    else:
        t = pipeline.load_input(path, opts)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            t.save(cached)
    run_stage(t, opts, None)
    return t


# --------------------------------------------------------------------------- scoring

def match(ref: list[dict], hyp: list[dict], tol: float = TOLERANCE) -> list[tuple[dict, dict]]:
    """One-to-one matches, same ``by`` within ``tol`` s, closest pairs first."""
    pairs = sorted(((abs(r["at"] - h["at"]), i, j) for i, r in enumerate(ref) for j, h in enumerate(hyp)
                    if r["by"] == h["by"] and abs(r["at"] - h["at"]) <= tol + 1e-9))
    used_r, used_h, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_r and j not in used_h:
            used_r.add(i)
            used_h.add(j)
            out.append((ref[i], hyp[j]))
    return out


def prf(tp: int, nref: int, nhyp: int) -> tuple[float | None, float | None, float | None]:
    p = tp / nhyp if nhyp else None
    r = tp / nref if nref else None
    f = 2 * tp / (nref + nhyp) if (nref + nhyp) else None
    return p, r, f


def first_int_of_patient(events: list[dict]) -> float | None:
    return next((e["at"] for e in events if e["type"] == "interruption" and e["of"] == "patient"), None)


@dataclass
class Row:
    name: str
    mode: str
    minutes: float
    voices: str
    roles_ok: bool
    ref_int: int
    hyp_int: int
    tp_int: int
    ref_bc: int
    hyp_bc: int
    tp_bc: int
    ref_share: float | None
    hyp_share: float | None
    ref_first: float | None
    hyp_first: float | None
    seconds: float
    misses: list = field(default_factory=list)
    false_alarms: list = field(default_factory=list)
    evidence: dict = field(default_factory=dict)


def score(name: str, mode: str, minutes: float, voices: str, ref_t: Transcript, ref_ev: list[dict],
          ref_m: dict, hyp_t: Transcript, seconds: float) -> Row:
    hyp_ev, hyp_m = hyp_t.extra["events"], hyp_t.extra["metrics"]
    ri = [e for e in ref_ev if e["type"] == "interruption"]
    hi = [e for e in hyp_ev if e["type"] == "interruption"]
    rb = [e for e in ref_ev if e["type"] == "backchannel"]
    hb = [e for e in hyp_ev if e["type"] == "backchannel"]
    mi = match(ri, hi)
    mb = match(rb, hb)
    roles = sorted(sp.role for sp in hyp_t.speakers.values())
    # Roles are right when the clinician's voice (channel 0 / most of the doctor's words) is the clinician.
    roles_ok = _roles_ok(ref_t, hyp_t)
    matched_r = {id(r) for r, _ in mi}
    matched_h = {id(h) for _, h in mi}
    ev = {}
    for e in hi:
        ev[e.get("evidence", "?")] = ev.get(e.get("evidence", "?"), 0) + 1
    return Row(
        name, mode, minutes, voices, roles_ok and "clinician" in roles and "patient" in roles,
        len(ri), len(hi), len(mi), len(rb), len(hb), len(mb),
        (ref_m.get("talk_share") or {}).get("patient"), (hyp_m.get("talk_share") or {}).get("patient"),
        first_int_of_patient(ref_ev), first_int_of_patient(hyp_ev), seconds,
        misses=[_brief(e) for e in ri if id(e) not in matched_r],
        false_alarms=[_brief(e) for e in hi if id(e) not in matched_h],
        evidence=ev,
    )


def _brief(e: dict) -> dict:
    return {k: e.get(k) for k in ("at", "by", "of", "of_remaining_s", "of_remaining_words", "evidence", "text")}


def _roles_ok(ref_t: Transcript, hyp_t: Transcript) -> bool:
    """Compare the hypothesis role of each reference speaker's speech time by time overlap."""
    ok, total = 0.0, 0.0
    hyp = [(u.start, u.end, u.role) for u in hyp_t.utterances if u.start is not None]
    for u in ref_t.utterances:
        for s, e, role in hyp:
            ov = min(u.end, e) - max(u.start, s)
            if ov > 0:
                total += ov
                ok += ov * (role == u.role)
    return total > 0 and ok / total >= 0.5


def summarize(rows: list[Row]) -> dict:
    ti, ri, hi = sum(r.tp_int for r in rows), sum(r.ref_int for r in rows), sum(r.hyp_int for r in rows)
    tb, rb, hb = sum(r.tp_bc for r in rows), sum(r.ref_bc for r in rows), sum(r.hyp_bc for r in rows)
    p, r_, f = prf(ti, ri, hi)
    bp, br, bf = prf(tb, rb, hb)
    share_err = [abs(r.hyp_share - r.ref_share) * 100 for r in rows if r.ref_share is not None and r.hyp_share is not None]
    first_err = [abs(r.hyp_first - r.ref_first) for r in rows if r.ref_first is not None and r.hyp_first is not None]
    first_missing = sum(1 for r in rows if (r.ref_first is None) != (r.hyp_first is None))
    return {
        "files": len(rows), "audio_minutes": sum(r.minutes for r in rows),
        "interruptions": {"ref": ri, "hyp": hi, "tp": ti, "precision": p, "recall": r_, "f1": f},
        "backchannels": {"ref": rb, "hyp": hb, "tp": tb, "precision": bp, "recall": br, "f1": bf},
        "talk_share_error_pp": {"mean": float(np.mean(share_err)) if share_err else None,
                                "max": float(np.max(share_err)) if share_err else None},
        "first_interruption_error_s": {"mean": float(np.mean(first_err)) if first_err else None,
                                       "median": float(np.median(first_err)) if first_err else None,
                                       "n": len(first_err), "one_side_missing": first_missing},
        "roles_ok": sum(r.roles_ok for r in rows),
        "seconds": sum(r.seconds for r in rows),
    }


def _f(x, fmt="{:.2f}", none="-"):
    return none if x is None else fmt.format(x)


def print_rows(mode: str, rows: list[Row], s: dict, verbose: bool) -> None:
    print(f"\n== {mode}")
    print(f"{'consultation':22s} {'min':>4s} {'voices':17s} {'roles':5s} {'int ref/hyp/tp':>14s} "
          f"{'bc ref/hyp/tp':>13s} {'share ref/hyp':>13s} {'1st int ref/hyp':>15s} {'s':>5s}")
    for r in rows:
        print(f"{r.name[:22]:22s} {r.minutes:4.1f} {r.voices:17s} {'ok' if r.roles_ok else 'WRONG':5s} "
              f"{r.ref_int:4d}/{r.hyp_int:3d}/{r.tp_int:3d}   {r.ref_bc:4d}/{r.hyp_bc:3d}/{r.tp_bc:3d} "
              f"  {_f(r.ref_share, '{:.3f}')}/{_f(r.hyp_share, '{:.3f}')} "
              f"{_f(r.ref_first, '{:7.1f}'):>7s}/{_f(r.hyp_first, '{:.1f}'):<7s} {r.seconds:5.0f}")
        if verbose:
            for e in r.misses:
                print(f"      miss   {e}")
            for e in r.false_alarms:
                print(f"      extra  {e}")
    i, b = s["interruptions"], s["backchannels"]
    print(f"{mode}: interruptions P {_f(i['precision'])} R {_f(i['recall'])} F1 {_f(i['f1'])} "
          f"(ref {i['ref']}, hyp {i['hyp']}, matched {i['tp']}) | backchannels P {_f(b['precision'])} "
          f"R {_f(b['recall'])} F1 {_f(b['f1'])} (ref {b['ref']}, hyp {b['hyp']}) | talk-share error "
          f"mean {_f(s['talk_share_error_pp']['mean'], '{:.1f}')} pp, max {_f(s['talk_share_error_pp']['max'], '{:.1f}')} pp"
          f" | first interruption of the patient: error median {_f(s['first_interruption_error_s']['median'], '{:.1f}')} s"
          f", mean {_f(s['first_interruption_error_s']['mean'], '{:.1f}')} s over {s['first_interruption_error_s']['n']}, "
          f"found on one side only {s['first_interruption_error_s']['one_side_missing']} | roles right "
          f"{s['roles_ok']}/{s['files']} | {s['audio_minutes']:.1f} min audio in {s['seconds']:.0f} s")


# --------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--data", type=Path, required=True, help="folder of *_doctor.TextGrid + *_patient.TextGrid pairs")
    ap.add_argument("--match", default=None,
                    help="only consultations whose name contains this (e.g. day2; several: day2_consultation01,day3)")
    ap.add_argument("--limit", type=int, default=None, help="first N consultations (sorted by name)")
    ap.add_argument("--minutes", type=float, default=None, help="keep each consultation's first M minutes")
    ap.add_argument("--model", default="base", help="base (default), tiny.en or a CTranslate2 folder")
    ap.add_argument("--modes", default=",".join(MODES), help="stereo,mono (default both)")
    ap.add_argument("--all-stages", action="store_true", help="run every registered stage (pipeline.analyze)")
    ap.add_argument("--reference-only", action="store_true", help="only the ground truth from the timings")
    ap.add_argument("--keep-audio", type=Path, default=None, help="write the synthetic audio here")
    ap.add_argument("--json", type=Path, default=None, help="save every figure and event here")
    ap.add_argument("--cache", type=Path, default=None,
                    help="keep the pipeline's transcripts here and reuse them while the audio and the "
                         "transcript-making code (analyzer/ but the turn-taking and tagging stages) are "
                         "unchanged: re-scores changes to the turn-taking stage in seconds")
    ap.add_argument("--verbose", "-v", action="store_true", help="list missed and extra interruptions")
    args = ap.parse_args(argv)

    if not args.data.is_dir():
        print(f"{args.data}: not a folder", file=sys.stderr)
        return 2
    pairs = find_pairs(args.data)
    if not pairs:
        print(f"{args.data}: no *_doctor.TextGrid / *_patient.TextGrid pairs", file=sys.stderr)
        return 2
    if args.match:
        pairs = [p for p in pairs if any(m in p[0] for m in args.match.split(",") if m)]
    if args.limit:
        pairs = pairs[: args.limit]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad:
        print(f"unknown mode(s) {bad}; use {MODES}", file=sys.stderr)
        return 2
    print(f"turn-taking benchmark: {len(pairs)} consultation(s) from {args.data}"
          + (f", first {args.minutes:g} min each" if args.minutes else "")
          + f", model {args.model}, modes {','.join(modes)}; match = same 'by' within +-{TOLERANCE} s", flush=True)

    out: dict = {"data": str(args.data), "model": args.model, "minutes": args.minutes, "tolerance_s": TOLERANCE,
                 "reference": {}, "modes": {m: {"rows": [], "summary": None} for m in modes}}
    rows: dict[str, list[Row]] = {m: [] for m in modes}
    tmp = tempfile.TemporaryDirectory(prefix="turntaking-bench-")
    audio_dir = args.keep_audio or Path(tmp.name)
    audio_dir.mkdir(parents=True, exist_ok=True)
    for k, (name, doc) in enumerate(pairs):
        ref_t = reference(doc, args.minutes)
        if len({u.role for u in ref_t.utterances}) < 2:
            print(f"skip {name}: fewer than two speakers with words", file=sys.stderr)
            continue
        voices = VOICE_PAIRS[k % len(VOICE_PAIRS)]
        human_t = copy.deepcopy(ref_t)  # the audio is voiced at the human times
        clipped = 0 if args.reference_only else clip_to_voice(ref_t, voices)
        ref_ev, ref_m = analyze_turns(ref_t)
        minutes = max(u.end for u in ref_t.utterances) / 60
        counts = {}
        for e in ref_ev:
            counts[e["type"]] = counts.get(e["type"], 0) + 1
        out["reference"][name] = {"minutes": minutes, "counts": counts, "events": ref_ev, "metrics": ref_m}
        if args.reference_only:
            ints = [e for e in ref_ev if e["type"] == "interruption"]
            print(f"{name:24s} {minutes:5.1f} min  interruptions {len(ints):3d} (by clinician "
                  f"{sum(e['by'] == 'clinician' for e in ints)}), backchannels {counts.get('backchannel', 0):3d}, "
                  f"overlaps {counts.get('overlap', 0):3d}, patient share {ref_m['talk_share'].get('patient')}, "
                  f"opening interrupted {bool(counts.get('opening_interrupted'))}")
            continue
        t0 = time.perf_counter()
        stereo, mono = render(human_t, voices, seed=k)
        synth_s = time.perf_counter() - t0
        from benchmarks import synth

        for mode in modes:
            path = audio_dir / f"{name.replace('/', '__')}_{mode}.wav"
            synth.write_audio(path, stereo if mode == "stereo" else mono, SR)
            t1 = time.perf_counter()
            try:
                hyp_t = run_pipeline(path, args.model, args.all_stages, args.cache)
            except Exception as e:  # noqa: BLE001 - a benchmark reports and goes on
                print(f"{name} {mode}: pipeline failed: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            dt = time.perf_counter() - t1
            row = score(name, mode, minutes, "/".join(voices), ref_t, ref_ev, ref_m, hyp_t, dt)
            rows[mode].append(row)
            out["modes"][mode]["rows"].append({**row.__dict__, "hyp_events": hyp_t.extra["events"],
                                               "hyp_metrics": hyp_t.extra["metrics"],
                                               "clipped_utterances": clipped})
            print(f"  {name} {mode}: int ref {row.ref_int} hyp {row.hyp_int} matched {row.tp_int}, "
                  f"bc {row.ref_bc}/{row.hyp_bc}/{row.tp_bc}, share {_f(row.ref_share, '{:.3f}')}/"
                  f"{_f(row.hyp_share, '{:.3f}')}, roles {'ok' if row.roles_ok else 'WRONG'} "
                  f"({minutes:.1f} min audio: synth {synth_s:.0f} s, pipeline {dt:.0f} s; "
                  f"{clipped} of {len(ref_t.utterances)} reference utterances end where the voice stops)",
                  file=sys.stderr, flush=True)
    if args.reference_only:
        tot = sum(out["reference"][n]["counts"].get("interruption", 0) for n in out["reference"])
        print(f"reference: {tot} interruptions in {len(out['reference'])} consultations")
    for mode in modes:
        if not rows[mode]:
            continue
        s = summarize(rows[mode])
        out["modes"][mode]["summary"] = s
        print_rows(mode, rows[mode], s, args.verbose)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, default=float))
        print(f"saved {args.json}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
