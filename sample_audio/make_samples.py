#!/usr/bin/env python3
"""Regenerate the sample visits in analyzer/assets/samples/ from sample_audio/scripts/*.txt.

For each script <visit>.txt this writes, into the package (the app offers the stereo files):
  <visit>_stereo.ogg     Opus, clinician on the left channel, patient on the right
  <visit>_mono.ogg       Opus, the two channels mixed
  <visit>_reference.json the reference transcript (analyzer.model.Transcript JSON)

Deterministic: the same scripts give the same times, texts and audio (Piper is run with
noise 0, the gaps come from a RNG seeded with the visit name).

    python3 sample_audio/make_samples.py [visit ...]

Script format (one turn a line, '#' starts a comment line):
    C: text            clinician turn; starts after every earlier turn has ended + a gap
    P: text            patient turn
    P [gap=1.2]: text  explicit gap in seconds before this turn (default 0.3-0.9 s)
    {name}             inside a text: a time marker, the moment the speaker reaches it
    C @name: text      this turn starts at marker {name} of an earlier turn (overlap)
    //                 inside a text: the speaker stops here, interrupted; the words after
                       it are the intended rest, never spoken and not in the reference
"""
from __future__ import annotations

import argparse
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from analyzer.model import Speaker, Transcript, Utterance  # noqa: E402
from benchmarks import synth  # noqa: E402

SR = 16000
ROLES = {"C": "clinician", "P": "patient"}
VOICES = {"clinician": "joe", "patient": "joe_high"}
CHANNELS = ["clinician", "patient"]  # stereo: left, right
LEAD_IN = 0.6  # seconds of silence before the first turn
GAP_RANGE = (0.3, 0.9)
TARGET_DBFS = -20.0  # speech level of each track (RMS over active frames)
KBPS_PER_CHANNEL = 16
MIN_OVERLAP_S = 1.0
MIN_OVERLAP_WORDS = 4

_LINE = re.compile(r"^(?P<who>[CP])\s*(?:@(?P<at>\w+))?\s*(?:\[(?P<opts>[^\]]*)\])?\s*:\s*(?P<text>.+)$")
_MARK = re.compile(r"\{(\w+)\}")


@dataclass
class Turn:
    role: str
    raw: str
    at: str | None = None
    gap: float | None = None
    lineno: int = 0
    # computed
    spoken: str = ""        # text actually spoken (reference text)
    tts: str = ""           # text sent to the TTS
    interrupted: bool = False
    markers: list[tuple[str, str]] = field(default_factory=list)  # (name, spoken text before it)
    place: float = 0.0      # where the clip is placed on the clock
    start: float = 0.0      # first audible sample
    end: float = 0.0        # last audible sample
    clip_len: float = 0.0


def _clean(text: str) -> str:
    text = _MARK.sub(" ", text)
    text = " ".join(text.split())
    return re.sub(r"\s+([,.?!;:])", r"\1", text)


def parse_script(path: Path) -> list[Turn]:
    turns: list[Turn] = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError(f"{path.name}:{i}: cannot parse {line!r}")
        gap = None
        for opt in filter(None, (o.strip() for o in (m["opts"] or "").split(","))):
            k, _, v = opt.partition("=")
            if k.strip() != "gap":
                raise ValueError(f"{path.name}:{i}: unknown option {opt!r}")
            gap = float(v)
        t = Turn(role=ROLES[m["who"]], raw=m["text"].strip(), at=m["at"], gap=gap, lineno=i)
        said, sep, _rest = t.raw.partition("//")
        t.interrupted = bool(sep)
        t.spoken = _clean(said)
        # An interrupted speaker stops mid-sentence: no final punctuation for the TTS.
        t.tts = t.spoken.rstrip(" ,.;:-") if t.interrupted else t.spoken
        for mm in _MARK.finditer(said):
            t.markers.append((mm.group(1), _clean(said[: mm.start()]).rstrip(" ,")))
        for mm in _MARK.finditer(_rest):
            raise ValueError(f"{path.name}:{i}: marker {{{mm.group(1)}}} after '//' is never reached")
        turns.append(t)
    return turns


def _active_bounds(clip: np.ndarray, sr: int) -> tuple[float, float]:
    """First and last audible sample of a clip (seconds), -40 dB re. peak in 10 ms frames."""
    hop = int(0.01 * sr)
    n = len(clip) // hop
    if n == 0:
        return 0.0, len(clip) / sr
    rms = np.sqrt(np.mean(clip[: n * hop].reshape(n, hop) ** 2, axis=1))
    loud = np.nonzero(rms > np.max(np.abs(clip)) * 10 ** (-40 / 20))[0]
    if not len(loud):
        return 0.0, 0.0
    return loud[0] * hop / sr, min(len(clip), (loud[-1] + 1) * hop) / sr


def schedule(turns: list[Turn], seed: str) -> dict:
    """Give every turn its clock time. Returns the scripted events (interruptions, backchannels)."""
    rng = random.Random(seed)
    markers: dict[str, tuple[float, Turn]] = {}
    latest_end = LEAD_IN
    first = True
    events: dict[str, list] = {"interruptions": [], "overlaps": []}
    for t in turns:
        clip = synth.synthesize(t.tts, VOICES[t.role], SR)
        t.clip_len = len(clip) / SR
        a, b = _active_bounds(clip, SR)
        if t.at:
            if t.at not in markers:
                raise ValueError(f"line {t.lineno}: marker {{{t.at}}} is not defined earlier")
            t.place = markers[t.at][0] - a
        else:
            gap = t.gap if t.gap is not None else (0.0 if first else rng.uniform(*GAP_RANGE))
            t.place = latest_end + gap - a
        first = False
        t.start, t.end = t.place + a, t.place + b
        for name, before in t.markers:
            pre = synth.synthesize(before, VOICES[t.role], SR)
            pa, pb = _active_bounds(pre, SR)
            # The prefix said alone ends with a final lengthening; ~0.1 s earlier is where
            # the same words end inside the whole sentence.
            markers[name] = (t.start + (pb - pa) - 0.1, t)
        latest_end = max(latest_end, t.end)
        if t.at:
            owner = markers[t.at][1]
            # overlap: both audible; other_continues: how long the other goes on after t starts.
            ev = {"speaker": t.role, "other": owner.role, "at": round(t.start, 3),
                  "other_end": round(owner.end, 3), "overlap": round(min(t.end, owner.end) - t.start, 3),
                  "other_continues": round(owner.end - t.start, 3)}
            if owner.interrupted:
                words_left = len(owner.spoken.split()) - len(_spoken_before(owner, t.at).split())
                ev["other_words_after"] = words_left
                if owner.end - t.start < MIN_OVERLAP_S or words_left < MIN_OVERLAP_WORDS:
                    raise ValueError(f"line {t.lineno}: interruption overlaps only "
                                     f"{owner.end - t.start:.2f} s / {words_left} words")
                events["interruptions"].append(ev)
            else:
                ev["kind"] = "backchannel" if t.end <= owner.end else "overlap"
                events["overlaps"].append(ev)
    return events


def _spoken_before(t: Turn, name: str) -> str:
    return dict(t.markers)[name]


def _level(track: np.ndarray) -> np.ndarray:
    hop = int(0.02 * SR)
    n = len(track) // hop
    fr = track[: n * hop].reshape(n, hop)
    rms = np.sqrt(np.mean(fr ** 2, axis=1))
    active = rms > 10 ** (-45 / 20)
    if not active.any():
        return track
    level = np.sqrt(np.mean(fr[active] ** 2))
    return track * (10 ** (TARGET_DBFS / 20) / level)


def make_visit(script: Path, out_dir: Path) -> dict:
    visit = script.stem
    turns = parse_script(script)
    events = schedule(turns, seed=visit)
    utts = [(t.role, t.place, t.place + t.clip_len, t.tts) for t in turns]
    tracks = synth.render_timeline(utts, VOICES, SR, stretch=True)
    left, right = (_level(tracks[r]) for r in CHANNELS)
    mono = left + right
    peak = max(np.max(np.abs(left)), np.max(np.abs(right)), np.max(np.abs(mono)))
    if peak > 0.98:  # one gain for all, so the mono stays the sum of the channels
        g = 0.98 / peak
        left, right, mono = left * g, right * g, mono * g
    stereo_path = out_dir / f"{visit}_stereo.ogg"
    mono_path = out_dir / f"{visit}_mono.ogg"
    synth.write_audio(stereo_path, [left, right], SR, kbps_per_channel=KBPS_PER_CHANNEL)
    synth.write_audio(mono_path, mono, SR, kbps_per_channel=KBPS_PER_CHANNEL)

    duration = len(mono) / SR
    tr = Transcript()
    for t in sorted(turns, key=lambda t: (t.start, t.end)):
        tr.utterances.append(Utterance(speaker=t.role, role=t.role, text=t.spoken, start=t.start, end=t.end))
    for i, role in enumerate(CHANNELS):
        tr.speakers[role] = Speaker(id=role, role=role, role_confidence=1.0, role_source="input",
                                    label=f"{role} (synthetic voice {VOICES[role]})", channel=i,
                                    talk_time=round(sum(t.end - t.start for t in turns if t.role == role), 3))
    tr.source = {
        "kind": "synthetic",
        "files": {"stereo": stereo_path.name, "mono": mono_path.name},
        "duration": round(duration, 3),
        "stereo_channels": CHANNELS,
        "voices": dict(VOICES),
        "script": f"sample_audio/scripts/{script.name}",
        "generator": "sample_audio/make_samples.py",
        "consent": "synthetic voices reading a script written for this project; no real person",
    }
    tr.extra["scripted"] = events
    tr.save(out_dir / f"{visit}_reference.json")
    return {"visit": visit, "duration": duration, "turns": len(turns),
            "interruptions": len(events["interruptions"]), "overlaps": len(events["overlaps"])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("visits", nargs="*", help="script names (default: all in sample_audio/scripts)")
    ap.add_argument("--out", type=Path, default=ROOT / "analyzer" / "assets" / "samples")
    args = ap.parse_args(argv)
    scripts = sorted((HERE / "scripts").glob("*.txt"))
    if args.visits:
        scripts = [s for s in scripts if s.stem in args.visits]
    for s in scripts:
        info = make_visit(s, args.out)
        print(f"{info['visit']}: {info['duration']:.1f} s, {info['turns']} turns, "
              f"{info['interruptions']} interruptions, {info['overlaps']} other overlaps")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
