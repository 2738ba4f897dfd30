"""ASR benchmark: WER and real-time factor of each bundled model, and the whole command's cost.

Each measurement runs the real ``visit-analyzer transcribe`` command in its own process, so
wall time includes decoding, model load, transcription and diarization, and peak memory is
that process's maximum resident set (os.wait4). Figures in one table, from one run:

  python benchmarks/asr.py                       # all bundled models, sample visits + shared audio
  python benchmarks/asr.py --models base --long-minutes 15 --json out/asr.json

WER: jiwer on normalised text (lower case, punctuation removed, numbers 0-99 as words),
speaker-agnostic, words in time order. RTF = seconds of processing / seconds of audio.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

KNOWN_TEXT = {
    "jfk.flac": "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
    "stereo_diarization.wav": "He began a confused complaint against the wizard, who had vanished behind the curtain on the left. "
                              "The horizon seems extremely distant.",
}

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _num(n: int) -> str:
    if n < 20:
        return _ONES[n]
    t, o = divmod(n, 10)
    return _TENS[t] + ("" if o == 0 else " " + _ONES[o])


def normalise(text: str) -> str:
    t = text.lower().replace("%", " percent")
    t = re.sub(r"(?<=\d),(?=\d)", "", t)
    t = re.sub(r"[-–—/]", " ", t)
    t = re.sub(r"\b(\d{1,2})\b", lambda m: _num(int(m.group(1))), t)
    t = re.sub(r"[^a-z0-9' ]+", " ", t)
    t = re.sub(r"\s'|'\s|^'|'$", " ", t)
    return " ".join(t.split())


def wer(ref: str, hyp: str) -> float:
    import jiwer

    r, h = normalise(ref), normalise(hyp)
    return jiwer.wer(r, h) if r else float(bool(h))


def reference_text(audio: Path) -> str | None:
    if audio.name in KNOWN_TEXT:
        return KNOWN_TEXT[audio.name]
    stem = re.sub(r"_(stereo|mono)$", "", audio.stem)
    ref = audio.with_name(f"{stem}_reference.json")
    if not ref.exists():
        return None
    data = json.loads(ref.read_text())
    utts = sorted(data["utterances"], key=lambda u: (u["start"], u["end"]))
    return " ".join(u["text"] for u in utts)


def run_command(audio: Path, model: str, extra: list[str] | None = None) -> dict:
    """Run the CLI in a child process; return wall time, peak RSS and its JSON output."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "t.json"
        cmd = [sys.executable, "-m", "analyzer.cli", "transcribe", str(audio), "-o", str(out), "-q", "--model", model]
        cmd += extra or []
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, _, rusage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        stderr = proc.stderr.read().decode()
        proc.stdout.close(), proc.stderr.close()
        if not out.exists():
            raise RuntimeError(f"transcribe failed on {audio}: {stderr.strip()}")
        data = json.loads(out.read_text())
    return {"wall": wall, "peak_mb": rusage.ru_maxrss / 1024, "data": data}


def measure(audio: Path, model: str) -> dict:
    r = run_command(audio, model)
    data = r["data"]
    dur = data["source"]["duration"]
    hyp = " ".join(u["text"] for u in sorted(data["utterances"], key=lambda u: (u["start"], u["end"])))
    ref = reference_text(audio)
    timings = data["source"].get("timings", {})
    return {
        "file": audio.name,
        "model": model,
        "duration_s": round(dur, 1),
        "mode": data["source"]["speaker_mode"],
        "speakers": len(data["speakers"]),
        "wer": None if ref is None else round(wer(ref, hyp), 4),
        "ref_words": None if ref is None else len(normalise(ref).split()),
        "asr_rtf": round(timings.get("transcribe", 0) / dur, 3),
        "diarize_rtf": round(timings.get("speakers", 0) / dur, 3),
        "command_rtf": round(r["wall"] / dur, 3),
        "wall_s": round(r["wall"], 1),
        "peak_mb": round(r["peak_mb"]),
    }


def long_visit(minutes: float, workdir: Path) -> Path | None:
    """A long mono visit made by concatenating the sample visits, with its reference."""
    import numpy as np

    from benchmarks.synth import read_audio, write_audio

    monos = sorted((ROOT / "analyzer" / "assets" / "samples").glob("*_mono.ogg"))
    if not monos:
        return None
    pieces, utts, offset, sr = [], [], 0.0, 16000
    i = 0
    while offset < minutes * 60:
        src = monos[i % len(monos)]
        x, _ = read_audio(src, sr)
        ref = json.loads(src.with_name(src.name.replace("_mono.ogg", "_reference.json")).read_text())
        for u in ref["utterances"]:
            utts.append({**u, "start": u["start"] + offset, "end": u["end"] + offset, "words": []})
        pieces += [x[0], np.zeros(sr, np.float32)]
        offset += x.shape[1] / sr + 1.0
        i += 1
    out = workdir / f"long_visit_{int(minutes)}min_mono.ogg"
    write_audio(out, np.concatenate(pieces), sr)
    (workdir / f"long_visit_{int(minutes)}min_reference.json").write_text(json.dumps({"utterances": utts}))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["base", "tiny.en"])
    ap.add_argument("--files", nargs="*", type=Path, help="audio files (default: sample visits + shared audio)")
    ap.add_argument("--long-minutes", type=float, default=15.0, help="also time a long visit of this length (0: skip)")
    ap.add_argument("--json", type=Path, help="save the figures here")
    args = ap.parse_args(argv)

    files = args.files or sorted((ROOT / "analyzer" / "assets" / "samples").glob("*_visit_*.ogg"))
    if not args.files:
        files += [p for p in (SHARED / "audio" / "jfk.flac", SHARED / "audio" / "stereo_diarization.wav") if p.exists()]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        long_file = long_visit(args.long_minutes, Path(tmp)) if args.long_minutes > 0 else None
        for model in args.models:
            for f in files + ([long_file] if long_file else []):
                row = measure(f, model)
                rows.append(row)
                print(_fmt(row), flush=True)
    print()
    print(_table(rows))
    summary = _summary(rows)
    print()
    for line in summary["lines"]:
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": rows, "summary": summary["figures"], "cores": os.cpu_count()}, indent=1))
    return 0


def _fmt(r: dict) -> str:
    w = "  -  " if r["wer"] is None else f"{100 * r['wer']:5.1f}%"
    return (f"{r['model']:8} {r['file']:32} {r['duration_s']:7.1f}s {r['mode']:12} spk={r['speakers']} "
            f"WER {w}  asr RTF {r['asr_rtf']:.3f}  diar RTF {r['diarize_rtf']:.3f}  "
            f"command RTF {r['command_rtf']:.3f} ({r['wall_s']:.0f}s)  peak {r['peak_mb']} MB")


def _table(rows: list[dict]) -> str:
    head = "| model | file | audio s | mode | spk | WER | ASR RTF | diar. RTF | command RTF | peak MB |"
    sep = "|---|---|---|---|---|---|---|---|---|---|"
    lines = [head, sep]
    for r in rows:
        w = "-" if r["wer"] is None else f"{100 * r['wer']:.1f} %"
        lines.append(f"| {r['model']} | {r['file']} | {r['duration_s']} | {r['mode']} | {r['speakers']} | {w} | "
                     f"{r['asr_rtf']:.3f} | {r['diarize_rtf']:.3f} | {r['command_rtf']:.3f} | {r['peak_mb']} |")
    return "\n".join(lines)


def _summary(rows: list[dict]) -> dict:
    figures, lines = {}, []
    for model in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == model]
        samples = [r for r in mine if r["wer"] is not None and "visit" in r["file"] and not r["file"].startswith("long")]
        words = sum(r["ref_words"] for r in samples) or 1
        pooled = sum(r["wer"] * r["ref_words"] for r in samples) / words if samples else None
        longest = max(mine, key=lambda r: r["duration_s"])
        fig = {
            "sample_visit_wer_pooled": None if pooled is None else round(pooled, 4),
            "sample_visit_wer_max": max((r["wer"] for r in samples), default=None),
            "longest_file": longest["file"],
            "longest_asr_rtf": longest["asr_rtf"],
            "longest_command_rtf": longest["command_rtf"],
            "longest_wall_s": longest["wall_s"],
            "peak_mb_max": max(r["peak_mb"] for r in mine),
        }
        figures[model] = fig
        p = "-" if pooled is None else f"{100 * pooled:.1f} %"
        lines.append(
            f"{model}: sample-visit WER {p} (worst file {100 * (fig['sample_visit_wer_max'] or 0):.1f} %); "
            f"{longest['file']} ({longest['duration_s'] / 60:.1f} min): ASR RTF {longest['asr_rtf']:.3f}, "
            f"whole command RTF {longest['command_rtf']:.3f} ({longest['wall_s']:.0f} s); peak memory {fig['peak_mb_max']} MB"
        )
    return {"figures": figures, "lines": lines}


if __name__ == "__main__":
    sys.exit(main())
