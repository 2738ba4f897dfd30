#!/usr/bin/env python3
"""Check the sample visits: transcribe each mono file and each stereo channel with
faster-whisper base (vad_filter, word timestamps, English) and compute WER against
<visit>_reference.json (the mono against all utterances in time order, the left channel
against the clinician's, the right against the patient's).

    python3 sample_audio/check_samples.py [--model /tmp/base] [visit ...]

Writes sample_audio/check_results.json and prints a table. Heavy (a speech model on
~5 minutes of audio per visit): run it alone on a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
SAMPLES = HERE.parent / "analyzer" / "assets" / "samples"  # the recordings and their references

from benchmarks import synth  # noqa: E402

SR = 16000


def normalize(text: str) -> str:
    t = text.lower().replace("\u2019", "'").replace("-", " ")
    t = re.sub(r"[^a-z0-9' ]+", " ", t)
    return " ".join(t.split())


def _default_model() -> str:
    for cand in (os.environ.get("VISIT_ANALYZER_WHISPER_MODEL"), "/tmp/base"):
        if cand and Path(cand, "model.bin").exists():
            return cand
    return "base"


def main(argv: list[str] | None = None) -> int:
    import jiwer
    from faster_whisper import WhisperModel

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("visits", nargs="*")
    ap.add_argument("--model", default=None, help="faster-whisper model dir (default: /tmp/base)")
    ap.add_argument("--out", type=Path, default=HERE / "check_results.json")
    args = ap.parse_args(argv)
    refs = sorted(SAMPLES.glob("*_reference.json"))
    if args.visits:
        refs = [r for r in refs if r.name[: -len("_reference.json")] in args.visits]
    model_path = args.model or _default_model()
    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=2)
    results = []
    for ref_path in refs:
        visit = ref_path.name[: -len("_reference.json")]
        ref = json.loads(ref_path.read_text())
        utts = sorted(ref["utterances"], key=lambda u: (u["start"], u["end"]))
        channels = ref["source"]["stereo_channels"]
        jobs = [(f"{visit}_mono.ogg", None, [u["text"] for u in utts])]
        stereo, _ = synth.read_audio(SAMPLES / f"{visit}_stereo.ogg", sr=SR)
        for i, role in enumerate(channels):
            jobs.append((f"{visit}_stereo.ogg", i, [u["text"] for u in utts if u["role"] == role]))
        for name, ch, ref_texts in jobs:
            if ch is None:
                audio = synth.read_audio(SAMPLES / name, sr=SR, mono=True)[0]
            else:
                audio = stereo[ch]
            t0 = time.time()
            segs, _info = model.transcribe(audio, language="en", vad_filter=True, word_timestamps=True, beam_size=5)
            hyp = " ".join(s.text.strip() for s in segs)
            secs = time.time() - t0
            r, h = normalize(" ".join(ref_texts)), normalize(hyp)
            out = jiwer.process_words(r, h)
            errors = []
            for al in out.alignments[0]:
                if al.type != "equal":
                    errors.append({"type": al.type,
                                   "ref": " ".join(out.references[0][al.ref_start_idx:al.ref_end_idx]),
                                   "hyp": " ".join(out.hypotheses[0][al.hyp_start_idx:al.hyp_end_idx])})
            label = name if ch is None else f"{name}[{channels[ch]}]"
            res = {"file": label, "wer": round(out.wer, 4), "ref_words": len(r.split()),
                   "substitutions": out.substitutions, "deletions": out.deletions, "insertions": out.insertions,
                   "errors": errors, "hypothesis": hyp, "asr_seconds": round(secs, 1)}
            results.append(res)
            print(f"{label:36} WER {100 * out.wer:5.1f} %  ({len(r.split())} words, "
                  f"S{out.substitutions} D{out.deletions} I{out.insertions}, {secs:.0f} s)", flush=True)
            for e in errors:
                print(f"    {e['type']:12} {e['ref']!r} -> {e['hyp']!r}")
    args.out.write_text(json.dumps({"model": Path(model_path).name, "settings": {
        "vad_filter": True, "word_timestamps": True, "language": "en", "beam_size": 5,
        "compute_type": "int8"}, "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
