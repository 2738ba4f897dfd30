"""Diarization benchmark: DER, speaker-attributed word accuracy, speaker count, speed.

Data sets (any mix; with no --data and no --real, all three below are run):
  --data DIR   (a) ``X.wav|.ogg|.flac`` + ``X_reference.json`` (Transcript JSON with speaker,
               start, end, text; ``X_mono.ogg`` may also pair with ``X_reference.json``), and
               (b) PriMock57-style ``*_doctor.TextGrid`` + ``*_patient.TextGrid`` pairs, whose
               audio is synthesised at the recorded times (benchmarks/synth.py: Piper + espeak-ng
               voices, a different voice pair per consultation; espeak-ng fallback).
  --real       conversations spliced from real speech: jfk.flac and the two channels of
               stereo_diarization.wav (three different real speakers) cut at word boundaries
               into alternating turns of 2 or 3 speakers (plus 1-speaker controls) with short
               gaps and some overlaps, at known times.

Metrics
  DER = (missed speech + false alarm + speaker confusion) / reference speech, frame-based
  (10 ms), optimal one-to-one speaker mapping, overlapped speech scored (a single-speaker
  hypothesis misses the second voice), with a forgiveness collar of +-0.25 s around every
  reference segment boundary (= pyannote.metrics ``collar=0.5``, NIST md-eval ``-c 0.25``).
  Word accuracy = share of reference words whose speaker (assign_words on the hypothesis
  turns, using the reference word times) is right after the optimal speaker mapping.
  Where a reference has no word times, words are spread over their utterance by length.
  RTF = diarization wall time / audio duration (the whole diarize() call, including VAD).

Synthesis is cached (benchmarks/synth.py cache), so only the first run of a PriMock57 set is
slow (~2 min per 20 min of audio). DER was cross-checked against pyannote.metrics 4.2.0
(DiarizationErrorRate(collar=0.5, skip_overlap=False)): equal within 0.05 %.

Examples
  python3 benchmarks/diarization.py            # the sample visits + 8 PriMock57 x 5 min + real voices
  python3 benchmarks/diarization.py --real
  python3 benchmarks/diarization.py --data analyzer/assets/samples
  python3 benchmarks/diarization.py --data ../shared/data/primock57/transcripts --limit 6 --minutes 4
  python3 benchmarks/diarization.py --json /tmp/diar.json      # all sets
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analyzer.model import Transcript, Word  # noqa: E402
from analyzer.speech import diarize as D  # noqa: E402
from analyzer.speech.words import assign_words  # noqa: E402

SR = 16000
SHARED = ROOT.parent / "shared" / "data"
AUDIO_EXT = (".wav", ".ogg", ".flac", ".opus", ".mp3")
COLLAR = 0.25


@dataclass
class Case:
    name: str
    dataset: str
    audio: np.ndarray
    segments: list[tuple[str, float, float]]  # reference (speaker, start, end)
    words: list[tuple[str, float, float, str]] = field(default_factory=list)  # (speaker, start, end, text)
    note: str = ""

    @property
    def n_speakers(self) -> int:
        return len({s for s, _, _ in self.segments})

    @property
    def duration(self) -> float:
        return len(self.audio) / SR


# --------------------------------------------------------------------------- audio io

def read_audio(path: Path) -> np.ndarray:
    """Mono float32 at 16 kHz (channels averaged)."""
    try:
        from benchmarks.synth import read_audio as _ra

        data, _ = _ra(path, SR)
    except ImportError:
        import av

        with av.open(str(path)) as c:
            rs = av.AudioResampler(format="fltp", layout="mono", rate=SR)
            parts = [f.to_ndarray() for fr in c.decode(audio=0) for f in rs.resample(fr)]
            parts += [f.to_ndarray() for f in rs.resample(None)]
        data = np.concatenate(parts, axis=1)
    data = np.asarray(data, np.float32)
    return data.mean(axis=0) if data.ndim == 2 else data


def _spread_words(text: str, start: float, end: float) -> list[tuple[float, float, str]]:
    """Words of an utterance without word times: spread over [start, end] by length."""
    toks = text.split()
    if not toks or end <= start:
        return []
    lens = np.array([len(t) + 1 for t in toks], float)
    edges = start + (end - start) * np.concatenate([[0], np.cumsum(lens)]) / lens.sum()
    return [(float(edges[i]), float(edges[i + 1]), t) for i, t in enumerate(toks)]


# --------------------------------------------------------------------------- (a) audio + reference JSON

def _reference_for(audio: Path) -> Path | None:
    stem = audio.stem
    cands = [audio.with_name(f"{stem}_reference.json")]
    base = re.sub(r"_(mono|stereo|mix|mixed|audio)$", "", stem)
    if base != stem:
        cands.append(audio.with_name(f"{base}_reference.json"))
    return next((c for c in cands if c.exists()), None)


def load_pairs(folder: Path, minutes: float | None) -> list[Case]:
    cases = []
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_EXT)
    for audio in files:
        ref = _reference_for(audio)
        if ref is None:
            continue
        # X_stereo beside X_mono is the same visit (one voice per channel): diarize the mono mix once.
        if audio.stem.endswith("_stereo") and any(f.stem == audio.stem[:-7] + "_mono" for f in files):
            continue
        t = Transcript.from_json(ref.read_text())
        x = read_audio(audio)
        limit = minutes * 60 if minutes else None
        if limit:
            x = x[: int(limit * SR)]
        segs, words = [], []
        for u in t.utterances:
            if u.start is None or u.end is None or u.end <= u.start:
                continue
            if limit and u.start >= limit:
                continue
            e = min(u.end, limit) if limit else u.end
            segs.append((u.speaker, u.start, e))
            if u.words:
                words += [(u.speaker, w.start, w.end, w.text) for w in u.words if not limit or w.end <= limit]
            else:
                words += [(u.speaker, a, b, w) for a, b, w in _spread_words(u.text, u.start, u.end)
                          if not limit or b <= limit]
        cases.append(Case(audio.name, folder.name, x, segs, words))
    return cases


# --------------------------------------------------------------------------- (b) PriMock57 TextGrids

_INTERVAL = re.compile(r"xmin\s*=\s*([\d.eE+-]+)\s*xmax\s*=\s*([\d.eE+-]+)\s*text\s*=\s*\"((?:[^\"]|\"\")*)\"", re.S)


def read_textgrid(path: Path) -> list[tuple[float, float, str]]:
    body = path.read_text(encoding="utf-8", errors="replace")
    body = body[body.find("intervals"):] if "intervals" in body else body
    out = []
    for m in _INTERVAL.finditer(body):
        text = m.group(3).replace('""', '"')
        text = re.sub(r"<UNIN/>", " ", text)
        text = re.sub(r"</?UNSURE>", "", text)
        text = " ".join(text.split())
        if text and re.search(r"[A-Za-z]", text):
            out.append((float(m.group(1)), float(m.group(2)), text))
    return out


# Voice pairs (doctor, patient) rotated over consultations: easy (Piper vs espeak), natural
# male vs higher voice, and the deliberately close joe / joe_low pair.
VOICE_PAIRS = [("joe", "espeak_f"), ("joe", "joe_high"), ("espeak_m", "joe"), ("joe_low", "espeak_f"),
               ("joe", "joe_low"), ("joe_high", "espeak_m")]


def _synth_module():
    try:
        from benchmarks import synth  # noqa: F401

        return synth
    except ImportError:
        return None


def _espeak_render(utts, voices: dict[str, str], sr: int = SR) -> dict[str, np.ndarray]:
    """Fallback when benchmarks/synth.py is missing: espeak-ng voices, padded/cut to each interval."""
    import subprocess
    import tempfile

    from scipy.signal import resample_poly

    evo = {"joe": ("en-us", 50), "joe_high": ("en-us+f3", 70), "joe_low": ("en-gb-x-rp+m3", 25),
           "espeak_f": ("en-us+f3", 55), "espeak_m": ("en-gb-x-rp+m3", 40)}
    total = int((max(e for _, _, e, _ in utts) + 0.5) * sr)
    tracks = {s: np.zeros(total, np.float32) for s in voices}
    for spk, s, e, text in utts:
        v, p = evo.get(voices[spk], ("en-us", 50))
        with tempfile.NamedTemporaryFile(suffix=".wav") as f:
            subprocess.run(["espeak-ng", "-v", v, "-p", str(p), "-w", f.name, "--", text], check=True,
                           capture_output=True)
            import wave

            with wave.open(f.name) as w:
                a = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
                a = resample_poly(a, sr, w.getframerate()).astype(np.float32)
        i0 = int(s * sr)
        a = a[: max(0, int(e * sr) - i0)]
        tracks[spk][i0: i0 + len(a)] += a
    return tracks


def _active_extent(track: np.ndarray, s: float, e: float, thr: float) -> tuple[float, float] | None:
    a, b = int(s * SR), min(len(track), int(e * SR))
    hop = 160
    seg = track[a:b]
    n = len(seg) // hop
    if n == 0:
        return None
    en = np.sqrt((seg[: n * hop].reshape(n, hop) ** 2).mean(axis=1))
    on = np.nonzero(en > thr)[0]
    if not len(on):
        return None
    return (a + on[0] * hop) / SR, (a + (on[-1] + 1) * hop) / SR


VOICE_TRIOS = [("joe", "espeak_f", "joe_high"), ("espeak_m", "joe", "espeak_f")]


def load_textgrids(folder: Path, limit: int | None, minutes: float | None, seed: int = 0,
                   controls: int = 0, trios: int = 0) -> list[Case]:
    """PriMock57 consultations voiced at their recorded times. ``controls``: that many of them
    are also rendered with ONE voice for both roles (a 1-speaker control for the count);
    ``trios``: that many with every third patient utterance given to a third voice (a companion)."""
    docs = sorted(folder.glob("*_doctor.TextGrid"))
    if limit:
        docs = docs[:limit]
    jobs = [(i, doc, None) for i, doc in enumerate(docs)]
    jobs += [(i, doc, VOICE_PAIRS[i % len(VOICE_PAIRS)][0]) for i, doc in enumerate(docs[:controls])]
    jobs += [(i, doc, VOICE_TRIOS[i % len(VOICE_TRIOS)]) for i, doc in enumerate(docs[:trios])]
    synth = _synth_module()
    cases = []
    for i, doc, single in jobs:
        pat = doc.with_name(doc.name.replace("_doctor.", "_patient."))
        if not pat.exists():
            continue
        utts = [("doctor", s, e, t) for s, e, t in read_textgrid(doc)]
        utts += [("patient", s, e, t) for s, e, t in read_textgrid(pat)]
        if minutes:
            utts = [u for u in utts if u[2] <= minutes * 60]
        utts.sort(key=lambda u: u[1])
        if not utts:
            continue
        if isinstance(single, tuple):  # a trio
            dv, pv, cv = single
            voices = {"doctor": dv, "patient": pv, "companion": cv}
            pi = [k for k, u in enumerate(utts) if u[0] == "patient"]
            for n_, k in enumerate(pi):
                if n_ % 3 == 2:
                    utts[k] = ("companion",) + tuple(utts[k][1:])
        else:
            dv, pv = VOICE_PAIRS[i % len(VOICE_PAIRS)] if single is None else (single, single)
            voices = {"doctor": dv, "patient": pv}
        if synth is not None and all(v in synth.VOICES for v in voices.values()):
            tracks = synth.render_timeline(utts, voices, sr=SR, stretch=True)
            how = "synth.py"
        else:
            tracks = _espeak_render(utts, voices)
            how = "espeak fallback"
        rng = np.random.default_rng(seed + i)
        # Patient a little quieter or louder than the doctor (one mono room mic), room noise.
        gains = {"doctor": 1.0, "patient": float(10 ** (rng.uniform(-6, 2) / 20)),
                 "companion": float(10 ** (rng.uniform(-6, 2) / 20))}
        n = max(len(t) for t in tracks.values())
        mix = np.zeros(n, np.float32)
        for spk, t in tracks.items():
            mix[: len(t)] += gains[spk] * t
        mix += rng.normal(0, 10 ** (-55 / 20), n).astype(np.float32)
        mix = np.clip(mix * 0.7, -1, 1).astype(np.float32)
        segs, words = [], []
        for spk, s, e, text in utts:
            ext = _active_extent(tracks[spk], s, e, thr=10 ** (-45 / 20))
            if ext is None:
                continue
            ref_spk = "one-voice" if isinstance(single, str) else spk
            segs.append((ref_spk, ext[0], ext[1]))
            words += [(ref_spk, a, b, w) for a, b, w in _spread_words(text, *ext)]
        name = doc.name.replace("_doctor.TextGrid", "") + (
            "" if single is None else " (1 voice)" if isinstance(single, str) else " (3 voices)")
        note = "/".join(voices.values()) if isinstance(single, tuple) else f"{dv}/{pv}"
        cases.append(Case(name, "primock57-synth", mix, segs, words, note=f"{note} ({how})"))
    return cases


# --------------------------------------------------------------------------- real voices

def _real_sources() -> dict[str, tuple[np.ndarray, list[tuple[float, float, str]]]]:
    """Three real speakers: audio (16 kHz) and word times (faster-whisper tiny.en, cut points
    snapped to the quietest 10 ms within +-80 ms)."""
    jfk = SHARED / "audio" / "jfk.flac"
    st = SHARED / "audio" / "stereo_diarization.wav"
    if not jfk.exists() or not st.exists():
        raise FileNotFoundError(f"real speech not found under {SHARED / 'audio'}")
    try:
        from benchmarks.synth import read_audio as _ra
    except ImportError:
        _ra = None
    if _ra is not None:
        j, _ = _ra(jfk, SR)
        s, _ = _ra(st, SR)
    else:
        j = read_audio(jfk)[None]
        import soundfile as sf

        s = sf.read(str(st), dtype="float32")[0].T
    clips = {"jfk": j.mean(axis=0), "left": s[0], "right": s[1]}
    words = _whisper_words(clips)
    return {k: (clips[k], words[k]) for k in clips}


def _whisper_words(clips: dict[str, np.ndarray]) -> dict[str, list[tuple[float, float, str]]]:
    cache = Path.home() / ".cache" / "visit-analyzer" / "diar_real_words.json"
    key = {k: float(np.round(np.abs(v).sum(), 3)) for k, v in clips.items()}
    if cache.exists():
        try:
            d = json.loads(cache.read_text())
            if d.get("key") == key:
                return {k: [tuple(w) for w in v] for k, v in d["words"].items()}
        except (ValueError, KeyError):
            pass
    from faster_whisper import WhisperModel

    from analyzer.speech.weights import resolve_model

    m = WhisperModel(str(resolve_model("tiny.en").path), device="cpu", compute_type="int8", cpu_threads=1)
    out = {}
    for k, x in clips.items():
        segs, _ = m.transcribe(x, language="en", word_timestamps=True, beam_size=5)
        ws = [(float(w.start), float(w.end), w.word.strip()) for sg in segs for w in sg.words]
        # Snap each word boundary to the quietest 10 ms nearby: a clean cut point.
        hop = 160
        n = len(x) // hop
        en = (x[: n * hop].reshape(n, hop) ** 2).mean(axis=1)
        cuts = [0.0] + [ws[i][0] for i in range(1, len(ws))] + [len(x) / SR]
        snapped = []
        for c in cuts:
            f = int(round(c * 100))
            lo, hi = max(0, f - 8), min(n, f + 9)
            snapped.append((lo + int(np.argmin(en[lo:hi]))) / 100 if hi > lo else c)
        snapped[0], snapped[-1] = ws[0][0] if ws else 0.0, min(len(x) / SR, ws[-1][1] + 0.1) if ws else len(x) / SR
        out[k] = [(snapped[i], max(snapped[i] + 0.05, snapped[i + 1]), ws[i][2]) for i in range(len(ws))]
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"key": key, "words": out}))
    except OSError:
        pass
    return out


def _tempo(x: np.ndarray, factor: float) -> np.ndarray:
    """Pitch-preserving speed change with sox (identity if sox is missing)."""
    import shutil
    import subprocess

    if abs(factor - 1) < 1e-3 or not shutil.which("sox") or not len(x):
        return x
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-L", "-c", "1", "-r", str(SR)]
    p = subprocess.run(["sox", "-V1", *fmt, "-", *fmt, "-", "tempo", "-s", f"{factor:.4f}"],
                       input=np.ascontiguousarray(x, "<f4").tobytes(), capture_output=True, check=True)
    return np.frombuffer(p.stdout, "<f4").astype(np.float32)


def splice_conversation(sources, speakers: list[str], seed: int, target: float = 45.0,
                        overlap_prob: float = 0.15, words: tuple[int, int] = (2, 10)) -> Case:
    """Alternating turns of real speech at known times. Each turn is a run of consecutive words
    of that speaker's clip (cut at word boundaries), its tempo changed by up to +-8 % (pitch
    kept) so repeats of the few seconds of source speech are not identical, gaps 0.15-0.9 s,
    some overlaps of 0.1-0.5 s."""
    rng = np.random.default_rng(seed)
    gains = {s: float(10 ** (rng.uniform(-4, 2) / 20)) for s in speakers}
    pieces = []  # (speaker, start, audio, words)
    t, prev = 0.3, None
    while t < target:
        spk = speakers[0] if len(speakers) == 1 else rng.choice([s for s in speakers if s != prev])
        x, ws = sources[spk]
        nw = min(len(ws), int(rng.integers(words[0], words[1] + 1)))
        i = int(rng.integers(0, len(ws) - nw + 1))
        run = ws[i: i + nw]
        a, b = int(run[0][0] * SR), int(run[-1][1] * SR)
        tempo = float(rng.uniform(0.92, 1.08))
        clip = _tempo(x[a:b], tempo) * gains[spk] * float(10 ** (rng.uniform(-1.5, 1.5) / 20))
        fade = min(len(clip) // 2, 80)
        if fade:
            clip[:fade] *= np.linspace(0, 1, fade)
            clip[-fade:] *= np.linspace(1, 0, fade)
        start = t
        off = run[0][0]
        times = [((s - off) / tempo + start, (e - off) / tempo + start, w) for s, e, w in run]
        pieces.append((spk, start, clip, times))
        dur = len(clip) / SR
        if len(speakers) > 1 and rng.random() < overlap_prob:
            gap = -float(rng.uniform(0.1, min(0.5, dur / 2)))
        else:
            gap = float(rng.uniform(0.15, 0.9))
        t = start + dur + gap
        prev = spk
    n = int((max(p[1] + len(p[2]) / SR for p in pieces) + 0.5) * SR)
    mix = rng.normal(0, 10 ** (-60 / 20), n).astype(np.float32)
    segs, words_out = [], []
    for spk, s, clip, ws in pieces:
        i0 = int(s * SR)
        mix[i0: i0 + len(clip)] += clip
        segs.append((spk, s, s + len(clip) / SR))
        words_out += [(spk, a, min(b, s + len(clip) / SR), w) for a, b, w in ws]
    name = "+".join(speakers) + f"#{seed}"
    return Case(name, "real-voices", np.clip(mix, -1, 1).astype(np.float32), segs, words_out)


def real_cases(seeds: int = 3) -> list[Case]:
    src = _real_sources()
    combos = [["jfk", "left"], ["jfk", "right"], ["left", "right"], ["jfk", "left", "right"]]
    cases = []
    for combo in combos:
        for k in range(seeds):
            cases.append(splice_conversation(src, combo, seed=100 * len(cases) + k))
    for single in (["jfk"], ["left"], ["right"]):
        for k in range(2):
            cases.append(splice_conversation(src, single, seed=7000 + 10 * len(cases) + k, target=30.0))
    return cases


# --------------------------------------------------------------------------- metrics

def der(ref: list[tuple[str, float, float]], hyp: list[D.Turn], collar: float = COLLAR,
        step: float = 0.01) -> dict:
    from scipy.optimize import linear_sum_assignment

    T = max([e for _, _, e in ref] + [t.end for t in hyp] + [0.0])
    n = int(np.ceil(T / step)) + 1
    rs = sorted({s for s, _, _ in ref})
    hs = sorted({t.speaker for t in hyp})
    R = np.zeros((len(rs), n), bool)
    H = np.zeros((len(hs), n), bool)
    mask = np.ones(n, bool)
    # Frame i covers [i*step, (i+1)*step); it is in a segment if its centre is.
    centres = (np.arange(n) + 0.5) * step
    for s, a, b in ref:
        R[rs.index(s), (centres >= a) & (centres < b)] = True
        if collar > 0:
            for x in (a, b):
                mask[(centres > x - collar) & (centres < x + collar)] = False
    for t in hyp:
        H[hs.index(t.speaker), (centres >= t.start) & (centres < t.end)] = True
    Rm, Hm = R[:, mask], H[:, mask]
    M = (Rm[:, None, :] & Hm[None, :, :]).sum(axis=2) if len(rs) and len(hs) else np.zeros((len(rs), len(hs)))
    mapping = {}
    if M.size:
        ri, hi = linear_sum_assignment(-M)
        mapping = {rs[i]: hs[j] for i, j in zip(ri, hi) if M[i, j] > 0}
    nref, nhyp = Rm.sum(axis=0), Hm.sum(axis=0)
    correct = np.zeros(Rm.shape[1], int)
    for r, h in mapping.items():
        correct += Rm[rs.index(r)] & Hm[hs.index(h)]
    total = float(nref.sum()) * step
    miss = float(np.maximum(0, nref - nhyp).sum()) * step
    fa = float(np.maximum(0, nhyp - nref).sum()) * step
    conf = float((np.minimum(nref, nhyp) - correct).sum()) * step
    return {"total": total, "miss": miss, "fa": fa, "conf": conf,
            "der": (miss + fa + conf) / total if total else 0.0, "mapping": mapping}


def word_accuracy(ref_words: list[tuple[str, float, float, str]], hyp: list[D.Turn]) -> tuple[int, int]:
    """(correct, total): reference words re-attributed with assign_words, optimal mapping."""
    from scipy.optimize import linear_sum_assignment

    if not ref_words:
        return 0, 0
    if not hyp:
        return 0, len(ref_words)
    words = [Word(t, s, e) for _, s, e, t in ref_words]
    assign_words(words, hyp)
    rs = sorted({w[0] for w in ref_words})
    hs = sorted({w.speaker for w in words})
    M = np.zeros((len(rs), len(hs)), int)
    for (r, *_), w in zip(ref_words, words):
        M[rs.index(r), hs.index(w.speaker)] += 1
    ri, hi = linear_sum_assignment(-M)
    return int(M[ri, hi].sum()), len(ref_words)


# --------------------------------------------------------------------------- run

def evaluate(case: Case, speech_mode: str, known_count: bool, config: D.DiarizeConfig | None,
             threads: int | None) -> dict:
    speech = None
    if speech_mode == "oracle":
        speech = [(s, e) for _, s, e in case.segments]
    elif speech_mode == "words":
        speech = [(s, e) for _, s, e, _ in case.words]
    t0 = time.perf_counter()
    result = D.diarize(case.audio, SR, speech=speech, num_speakers=case.n_speakers if known_count else None,
                       config=config, threads=threads)
    dt = time.perf_counter() - t0
    turns, info = result.turns, result.info
    d = der(case.segments, turns)
    wc, wn = word_accuracy(case.words, turns)
    return {
        "name": case.name, "dataset": case.dataset, "note": case.note, "duration": round(case.duration, 2),
        "ref_speakers": case.n_speakers, "hyp_speakers": len({t.speaker for t in turns}),
        "der": d["der"], "miss": d["miss"] / d["total"] if d["total"] else 0.0,
        "fa": d["fa"] / d["total"] if d["total"] else 0.0, "conf": d["conf"] / d["total"] if d["total"] else 0.0,
        "ref_speech": d["total"], "words_correct": wc, "words": wn, "seconds": dt, "rtf": dt / case.duration,
        "centroid_similarity": info.get("centroid_similarity"), "merges": info.get("merges"),
    }


def summarize(rows: list[dict]) -> dict:
    tot = sum(r["ref_speech"] for r in rows) or 1.0
    dur = sum(r["duration"] for r in rows) or 1.0
    wn = sum(r["words"] for r in rows)
    return {
        "files": len(rows),
        "der": sum(r["der"] * r["ref_speech"] for r in rows) / tot,
        "miss": sum(r["miss"] * r["ref_speech"] for r in rows) / tot,
        "fa": sum(r["fa"] * r["ref_speech"] for r in rows) / tot,
        "conf": sum(r["conf"] * r["ref_speech"] for r in rows) / tot,
        "word_acc": sum(r["words_correct"] for r in rows) / wn if wn else None,
        "count_acc": sum(r["ref_speakers"] == r["hyp_speakers"] for r in rows) / len(rows) if rows else None,
        "rtf": sum(r["seconds"] for r in rows) / dur,
        "audio_minutes": dur / 60,
    }


def print_table(title: str, rows: list[dict], summary: dict, verbose: bool) -> None:
    print(f"\n== {title}")
    hdr = (f"{'file':34s} {'min':>5s} {'ref':>3s} {'hyp':>3s} {'DER%':>6s} {'miss':>5s} {'FA':>5s} {'conf':>5s} "
           f"{'word%':>6s} {'RTF':>6s}")
    print(hdr)
    for r in rows:
        wa = f"{100 * r['words_correct'] / r['words']:6.1f}" if r["words"] else "     -"
        print(f"{r['name'][:34]:34s} {r['duration'] / 60:5.2f} {r['ref_speakers']:3d} {r['hyp_speakers']:3d} "
              f"{100 * r['der']:6.1f} {100 * r['miss']:5.1f} {100 * r['fa']:5.1f} {100 * r['conf']:5.1f} {wa} "
              f"{r['rtf']:6.3f}" + (f"  {r['note']}" if r["note"] else ""))
        if verbose:
            print(f"{'':34s} centroid sim {r['centroid_similarity']}  merges {r['merges']}")
    s = summary
    wa = f"{100 * s['word_acc']:6.1f}" if s["word_acc"] is not None else "     -"
    print(f"{'TOTAL (speech-weighted)':34s} {s['audio_minutes']:5.1f} {'':3s} {'':3s} {100 * s['der']:6.1f} "
          f"{100 * s['miss']:5.1f} {100 * s['fa']:5.1f} {100 * s['conf']:5.1f} {wa} {s['rtf']:6.3f}"
          f"   speaker count right: {100 * s['count_acc']:.0f}% of {s['files']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--data", action="append", type=Path, default=[], help="folder of audio+reference or TextGrids")
    ap.add_argument("--real", action="store_true", help="conversations spliced from real speech")
    ap.add_argument("--limit", type=int, default=None, help="at most N consultations per TextGrid folder")
    ap.add_argument("--minutes", type=float, default=None, help="crop each recording to its first M minutes")
    ap.add_argument("--speech", choices=["vad", "words", "oracle"], default="vad",
                    help="speech regions given to diarize(): its own VAD (default), reference word spans, "
                         "or reference segments")
    ap.add_argument("--known-count", action="store_true", help="pass the true number of speakers")
    ap.add_argument("--threads", type=int, default=None, help="torch/BLAS threads (default: diarize's, 1)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a DiarizeConfig field, e.g. --set merge_similarity=0.85")
    ap.add_argument("--controls", type=int, default=2,
                    help="also voice this many consultations with one voice for both (1-speaker controls)")
    ap.add_argument("--trios", type=int, default=2,
                    help="also voice this many with a third voice taking every third patient utterance")
    ap.add_argument("--seeds", type=int, default=3, help="real-voice conversations per speaker combination")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="save all figures here")
    args = ap.parse_args(argv)

    overrides = {}
    for kv in args.set:
        k, v = kv.split("=", 1)
        f = D.DiarizeConfig.__dataclass_fields__[k]
        overrides[k] = v if f.type in ("str", str) else float(v) if "float" in str(f.type) else int(v)
    config = D.with_config(**overrides) if overrides else None

    datas = list(args.data)
    real = args.real
    if not datas and not real:
        datas = [p for p in (ROOT / "analyzer" / "assets" / "samples", SHARED / "primock57" / "transcripts") if p.exists()]
        real = True
        # The default run should take minutes, not an hour: 8 consultations, first 5 minutes.
        args.limit = 8 if args.limit is None else args.limit
        args.minutes = 5.0 if args.minutes is None else args.minutes
        print(f"default sets: {', '.join(str(d) for d in datas)} + real voices; PriMock57 limited to "
              f"{args.limit} consultations x {args.minutes:g} min (--limit/--minutes to change)", file=sys.stderr)
    sets: list[tuple[str, list[Case]]] = []
    for folder in datas:
        if not folder.is_dir():
            print(f"skip {folder}: not a folder", file=sys.stderr)
            continue
        pairs = load_pairs(folder, args.minutes)
        if pairs:
            sets.append((f"{folder.name} (audio + reference JSON)", pairs))
        if any(folder.glob("*_doctor.TextGrid")):
            t0 = time.perf_counter()
            tg = load_textgrids(folder, args.limit, args.minutes, controls=args.controls, trios=args.trios)
            print(f"synthesised {len(tg)} consultations in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            sets.append((f"{folder.name}: PriMock57 timings, synthetic voices", tg))
        if not pairs and not any(folder.glob("*_doctor.TextGrid")):
            print(f"skip {folder}: no audio+reference pairs or TextGrids", file=sys.stderr)
    if real:
        sets.append(("real voices (jfk + stereo_diarization L/R spliced)", real_cases(args.seeds)))

    cfg = config or D.DEFAULT_CONFIG
    print(f"diarization benchmark: collar +-{COLLAR} s, overlap scored, speech={args.speech}, "
          f"count={'known' if args.known_count else 'auto'}, config={cfg}")
    out = {"collar": COLLAR, "speech": args.speech, "known_count": args.known_count,
           "config": cfg.__dict__, "sets": {}}
    all_rows = []
    for title, cases in sets:
        rows = [evaluate(c, args.speech, args.known_count, config, args.threads) for c in cases]
        s = summarize(rows)
        print_table(title, rows, s, args.verbose)
        out["sets"][title] = {"summary": s, "files": rows}
        all_rows += rows
    if len(sets) > 1:
        s = summarize(all_rows)
        print(f"\nALL SETS: DER {100 * s['der']:.1f}%  word accuracy "
              f"{100 * s['word_acc']:.1f}%  speaker count right {100 * s['count_acc']:.0f}% of {s['files']}  "
              f"RTF {s['rtf']:.3f} ({s['audio_minutes']:.1f} min audio)")
        out["total"] = s
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1, default=float))
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
