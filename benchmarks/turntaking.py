"""Turn-taking benchmark: events from human timings vs the full pipeline on synthetic audio.

For every PriMock57-style pair ``X_doctor.TextGrid`` (or ``X_clinician``) + ``X_patient.TextGrid``
in ``--data`` or its subfolders:

1. Reference: the pair is read with the project's importer; markers such as <UNIN/> are
   removed and intervals left without words dropped (they cannot be voiced). The human
   timings give each utterance's interval; where its words lie inside it is not annotated, so
   (default ``--reference voiced``) they are placed where the rendered voice (step 2) is
   audible on that speaker's clean track: the voiced stretches inside the interval (pauses of
   0.2 s or more) get the utterance's phrases (split at punctuation) in order, at as even a
   speaking rate as possible, and each stretch's words are spread over it by characters. The
   voice pauses at full stops and where a marker was dropped, and stops early where it cannot
   fill a long interval (it is slowed to half speed at most); the reference pauses and stops
   there too. ``--reference interval`` instead spreads the words evenly over the whole
   interval (ending it where the voice stops), as the stage itself does for a transcript with
   interval times only. The turn-taking stage (analyzer/turntaking/) is run on this
   reference; its events and metrics are the ground truth: the same definitions, on the
   annotators' clock.
2. Audio: each utterance is voiced by a local TTS voice per speaker and stretched to its
   interval (benchmarks/synth.py ``render_timeline``), giving one track per speaker. Two
   recordings are made: ``stereo`` (doctor left, patient right: one speaker per channel) and
   ``mono`` (the two tracks mixed, the patient 6 dB quieter to 2 dB louder, faint noise).
   ``--modes bleed`` adds a harder stereo: each mic also hears the other speaker 20 dB down
   and its own hiss at -50 dB, as lapel mics in one room do.
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
  python3 benchmarks/turntaking.py --data DIR --match day2,day3 --minutes 4 -v  # held-out part of PriMock57
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analyzer.model import Transcript, Utterance, Word  # noqa: E402
from analyzer.turntaking import analyze_turns  # noqa: E402
from benchmarks.turntaking_score import (  # noqa: E402,F401  (match, prf: used by tests)
    TOLERANCE, Row, _f, match, print_rows, prf, score, summarize,
)

SR = 16000
# (doctor, patient) voices, rotated over consultations: clearly different voices.
VOICE_PAIRS = [("joe", "joe_high"), ("espeak_m", "espeak_f"), ("joe", "espeak_f"), ("espeak_m", "joe_high")]
MODES = ("stereo", "mono", "bleed")
DEFAULT_MODES = ("stereo", "mono")
BLEED_DB, ROOM_NOISE_DB = -20.0, -50.0  # "bleed": each voice also on the other mic, and room hiss


def with_bleed(stereo: np.ndarray, seed: int) -> np.ndarray:
    """Stereo as lapel mics hear it: each channel also carries the other speaker BLEED_DB down
    (a few ms later) and its own hiss at ROOM_NOISE_DB."""
    rng = np.random.default_rng(seed + 1000)
    g = float(10 ** (BLEED_DB / 20))
    lag = int(0.003 * SR)
    other = np.pad(stereo[::-1], ((0, 0), (lag, 0)))[:, :stereo.shape[1]]
    noise = rng.normal(0, 10 ** (ROOM_NOISE_DB / 20), stereo.shape).astype(np.float32)
    return np.clip(stereo + g * other + noise, -1, 1).astype(np.float32)


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


_PHRASE_END = re.compile(r"[,.;:?!…]['\")\]]*$")


def _phrases(toks: list[str]) -> list[list[str]]:
    """Tokens grouped into phrases ending at punctuation (where a voice may pause)."""
    out: list[list[str]] = [[]]
    for x in toks:
        out[-1].append(x)
        if _PHRASE_END.search(x):
            out.append([])
    return [p for p in out if p]


def _align_phrases(chars: list[float], durs: list[float]) -> list[int] | None:
    """Assign consecutive phrases (character counts) to consecutive voiced stretches (seconds),
    each stretch at least one phrase, so the speaking rate is as even as possible: returns, for
    each stretch, the index of its first phrase; None when there are more stretches than
    phrases."""
    P, K = len(chars), len(durs)
    if K > P:
        return None
    rate = sum(chars) / sum(durs)
    cum = np.concatenate([[0.0], np.cumsum(chars)])
    INF = float("inf")
    best = np.full((K + 1, P + 1), INF)
    back = np.zeros((K + 1, P + 1), int)
    best[0, 0] = 0.0
    for k in range(1, K + 1):
        for j in range(k, P - (K - k) + 1):  # stretches 1..k hold phrases 0..j-1
            for i in range(k - 1, j):
                if best[k - 1, i] == INF:
                    continue
                c = best[k - 1, i] + durs[k - 1] * np.log((cum[j] - cum[i]) / durs[k - 1] / rate) ** 2
                if c < best[k, j]:
                    best[k, j], back[k, j] = c, i
    firsts, j = [], P
    for k in range(K, 0, -1):
        j = back[k, j]
        firsts.append(j)
    return firsts[::-1]


def place_words_on_voice(t: Transcript, stereo: np.ndarray) -> int:
    """Give each reference utterance word times that follow its rendered voice. Inside the
    annotated interval, the stretches where the speaker's clean track is audible are found
    (pauses of 0.2 s or more); the utterance's phrases (split at punctuation, where voices
    pause) are given to the stretches in order, keeping the speaking rate as even as possible,
    and each stretch's words are spread over it by characters (as the stage spreads words over
    an interval). So pauses the voice makes (at full stops, where a marker such as <UNIN/> was
    dropped, the silence after a voice that could not fill its interval) are pauses in the
    reference too. The utterance ends where the voice stops; a silent one is dropped. Returns
    how many utterances have a pause inside."""
    from benchmarks import synth

    keep, paused = [], 0
    for u in t.utterances:
        track = stereo[0] if u.role == "clinician" else stereo[1]
        spans = synth.voiced_spans(track, SR, u.start, u.end)
        toks: list[str] = []
        for x in u.text.split():  # punctuation on its own (a dropped marker's ". .") joins its word
            if toks and not re.search(r"[A-Za-z0-9]", x):
                toks[-1] += " " + x
            else:
                toks.append(x)
        if not spans or not toks:
            continue
        phrases = _phrases(toks)
        firsts = _align_phrases([sum(len(x) + 1 for x in p) for p in phrases], [e - s for s, e in spans])
        if firsts is None:  # more pauses than phrases: one stretch, words by characters
            groups, spans = [toks], [(spans[0][0], spans[-1][1])]
        else:
            bounds = firsts + [len(phrases)]
            groups = [[x for p in phrases[bounds[k]:bounds[k + 1]] for x in p] for k in range(len(spans))]
        paused += len(spans) > 1
        words = []
        for (s0, s1), group in zip(spans, groups):
            w = np.array([len(x) + 1 for x in group], float)
            pos = s0 + np.concatenate([[0.0], np.cumsum(w)]) / w.sum() * (s1 - s0)
            words += [Word(x, round(pos[i], 3), round(pos[i + 1], 3)) for i, x in enumerate(group)]
        u.words = words
        u.end = max(w.end for w in words)
        keep.append(u)
    t.utterances = keep
    return paused


# --------------------------------------------------------------------------- pipeline

def _pipeline_fingerprint() -> str:
    """Hash of the code that makes transcripts: every ``analyzer`` module that ``load_input``
    imports (decoding, ASR, channels/diarization, roles, importers), but not the analysis stages
    or modules the pipeline does not load (report, storage, CLI, the overlap detector the
    turn-taking stage loads), which other work changes
    without changing a transcript. A cached transcript is reused only with the same audio and
    this code."""
    import hashlib
    import importlib

    for mod in ("pipeline", "speech.audio", "speech.asr", "speech.channels", "speech.diarize", "speech.words",
                "roles", "importers", "model"):
        try:
            importlib.import_module(f"analyzer.{mod}")
        except ImportError:
            pass
    files = set()
    for name, mod in list(sys.modules.items()):
        f = getattr(mod, "__file__", None)
        if not name.startswith("analyzer.") or not f or name.startswith(("analyzer.turntaking", "analyzer.tagging", "analyzer.overlap")):
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
    from analyzer.turntaking.source_audio import SourceAudio

    opts = pipeline.Options(model=model)
    if all_stages:
        return pipeline.analyze(path, opts)
    cached = None
    if cache is not None:
        h = hashlib.sha256(path.read_bytes() + _pipeline_fingerprint().encode()).hexdigest()[:16]
        cached = cache / f"{path.stem}.{model.replace('/', '_')}.{h}.json"
    if cached is not None and cached.exists():
        t = Transcript.from_json(cached.read_text())
        t.events = t.metrics = None
    else:
        t = pipeline.load_input(path, opts)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            t.save(cached)
    run_stage(t, SourceAudio.from_file(path))  # the same audio the cache was made from (hashed)
    return t


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
    ap.add_argument("--modes", default=",".join(DEFAULT_MODES),
                    help="stereo,mono (default both); bleed = stereo with crosstalk 20 dB down and room hiss")
    ap.add_argument("--all-stages", action="store_true", help="run every registered stage (pipeline.analyze)")
    ap.add_argument("--reference-only", action="store_true", help="only the ground truth from the timings")
    ap.add_argument("--reference", choices=("voiced", "interval"), default="voiced",
                    help="where the reference's words lie inside an annotated interval: 'voiced' (default) "
                         "spread over the stretches where the rendered voice is audible; 'interval' spread "
                         "evenly over the whole interval (ended where the voice stops); without audio "
                         "(--reference-only) always 'interval'")
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
          + f", model {args.model}, modes {','.join(modes)}; match = same 'by' within +-{TOLERANCE} s; reference "
          + ("words spread over each interval" if args.reference_only or args.reference == "interval"
             else "words placed where the rendered voice is audible"), flush=True)

    out: dict = {"data": str(args.data), "model": args.model, "minutes": args.minutes, "tolerance_s": TOLERANCE,
                 "reference_words": "interval" if args.reference_only else args.reference,
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
        stereo = mono = None
        synth_s, placed = 0.0, ""
        if not args.reference_only:
            t0 = time.perf_counter()
            stereo, mono = render(human_t, voices, seed=k)
            synth_s = time.perf_counter() - t0
            if args.reference == "voiced":
                n = place_words_on_voice(ref_t, stereo)
                placed = f"{n} of {len(ref_t.utterances)} reference utterances have a pause inside"
            else:
                n = clip_to_voice(ref_t, voices)
                placed = f"{n} of {len(ref_t.utterances)} reference utterances end where the voice stops"
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
        from benchmarks import synth

        for mode in modes:
            path = audio_dir / f"{name.replace('/', '__')}_{mode}.wav"
            audio = {"stereo": stereo, "mono": mono}.get(mode)
            synth.write_audio(path, audio if audio is not None else with_bleed(stereo, k), SR)
            t1 = time.perf_counter()
            try:
                hyp_t = run_pipeline(path, args.model, args.all_stages, args.cache)
            except Exception as e:  # noqa: BLE001 - a benchmark reports and goes on
                print(f"{name} {mode}: pipeline failed: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            dt = time.perf_counter() - t1
            row = score(name, mode, minutes, "/".join(voices), ref_t, ref_ev, ref_m, hyp_t, dt)
            rows[mode].append(row)
            out["modes"][mode]["rows"].append({**row.__dict__, "hyp_events": [e.to_dict() for e in hyp_t.events],
                                               "hyp_metrics": hyp_t.metrics.to_dict(),
                                               "reference_words": args.reference})
            print(f"  {name} {mode}: int ref {row.ref_int} hyp {row.hyp_int} matched {row.tp_int}, "
                  f"bc {row.ref_bc}/{row.hyp_bc}/{row.tp_bc}, share {_f(row.ref_share, '{:.3f}')}/"
                  f"{_f(row.hyp_share, '{:.3f}')}, roles {'ok' if row.roles_ok else 'WRONG'} "
                  f"({minutes:.1f} min audio: synth {synth_s:.0f} s, pipeline {dt:.0f} s; {placed})",
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
