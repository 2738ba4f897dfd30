#!/usr/bin/env python3
"""Measure the voices of benchmarks/synth.py: how well faster-whisper base transcribes
them and how different they sound to a speaker-embedding model (resemblyzer).

    python3 sample_audio/eval_voices.py [--model /tmp/base] [voice ...]

WER: the 8 sentences below, each voice speaking them with 0.6 s gaps, transcribed in one
pass (vad_filter, English, beam 5), then again after an Opus 16 kb/s round trip.
Similarity: cosine of the mean resemblyzer embedding of each voice's 8 sentences; also
each voice's mean pairwise cosine between its own sentences ("self").
Writes sample_audio/voice_results.json and prints a table.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from benchmarks import synth  # noqa: E402
from check_samples import _default_model, normalize  # noqa: E402

SR = 16000
SENTENCES = [
    "I've been feeling really tired for about three months now, and it's getting worse.",
    "Some mornings I can barely get out of bed, and I used to go for a walk every day.",
    "My mother had thyroid problems, so I wondered if it could be that.",
    "I'm really scared it might be something serious.",
    "What would you like to focus on today?",
    "The blood pressure reading is a little high, so I'd like to check it again in two weeks.",
    "I take a water pill in the morning and something for my cholesterol at night.",
    "Okay, that makes sense. I can try cutting back on coffee in the afternoon.",
]


def main(argv: list[str] | None = None) -> int:
    import jiwer
    import torch
    from faster_whisper import WhisperModel
    from resemblyzer import VoiceEncoder, preprocess_wav

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("voices", nargs="*")
    ap.add_argument("--model", default=None)
    ap.add_argument("--out", type=Path, default=HERE / "voice_results.json")
    args = ap.parse_args(argv)
    names = args.voices or synth.voice_names()
    clips = {n: [synth.synthesize(s, n, SR) for s in SENTENCES] for n in names}
    model = WhisperModel(args.model or _default_model(), device="cpu", compute_type="int8", cpu_threads=2)
    ref = normalize(" ".join(SENTENCES))
    res: dict[str, dict] = {}
    gap = np.zeros(int(0.6 * SR), np.float32)
    for n in names:
        audio = np.concatenate([x for c in clips[n] for x in (c, gap)])
        res[n] = {"description": synth.VOICES[n].description, "licence": synth.VOICES[n].licence}
        with tempfile.TemporaryDirectory() as td:
            p = synth.write_audio(Path(td) / "x.ogg", audio * 0.3, SR, kbps_per_channel=16)
            opus = synth.read_audio(p, sr=SR, mono=True)[0]
        for key, a in (("wer", audio), ("wer_opus16", opus)):
            segs, _ = model.transcribe(a, language="en", vad_filter=True, beam_size=5)
            res[n][key] = round(jiwer.wer(ref, normalize(" ".join(s.text for s in segs))), 4)
        print(f"{n:10} WER {100 * res[n]['wer']:4.1f} %, after Opus {100 * res[n]['wer_opus16']:4.1f} %", flush=True)
    enc = VoiceEncoder("cpu", verbose=False)
    emb = {}
    for n in names:
        e = np.array([enc.embed_utterance(preprocess_wav(c, source_sr=SR)) for c in clips[n]])
        s = e @ e.T
        res[n]["self_similarity"] = round(float((s.sum() - len(e)) / (len(e) * (len(e) - 1))), 3)
        m = e.mean(0)
        emb[n] = m / np.linalg.norm(m)
    for a in names:
        res[a]["similarity"] = {b: round(float(emb[a] @ emb[b]), 3) for b in names}
    print("\ncosine     self " + " ".join(f"{b:>9}" for b in names))
    for a in names:
        print(f"{a:10} {res[a]['self_similarity']:.2f} " + " ".join(f"{res[a]['similarity'][b]:9.3f}" for b in names))
    args.out.write_text(json.dumps({"sentences": SENTENCES, "voices": res}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
