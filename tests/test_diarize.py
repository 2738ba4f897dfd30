"""Speaker diarization on real speech (jfk.flac and the two voices of stereo_diarization.wav).

The real voices are spliced into a conversation at known times, so DER can be checked.
Both recordings are in tests/data/audio (faster-whisper test data, MIT).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analyzer.model import Word
from analyzer.speech.diarize import Turn, diarize
from analyzer.speech.words import assign_words, split_by_speaker

SR = 16000

# Word boundaries (s): faster-whisper word times snapped to the quietest 10 ms nearby (as in
# benchmarks/diarization.py, real-voice mode). Turns are cut only at these.
CUTS = {
    "jfk": [0.0, 0.66, 1.33, 1.7, 2.32, 3.88, 4.49, 5.64, 5.96, 6.43, 6.69, 6.97, 7.18, 7.99, 8.58, 8.86,
            9.21, 9.43, 9.68, 10.0, 10.26, 10.6],
    "left": [0.0, 0.36, 0.71, 1.18, 1.6, 1.92, 2.17, 2.7, 2.9, 3.07, 3.24, 3.68, 3.86, 3.96, 4.18, 4.51, 4.76],
    "right": [0.0, 0.53, 0.97, 1.41, 2.0, 2.54],
}


def _read(path: Path) -> np.ndarray:
    """(channels, samples) float32 at 16 kHz, decoded with PyAV."""
    av = pytest.importorskip("av")
    with av.open(str(path)) as c:
        st = c.streams.audio[0]
        layout = "stereo" if st.codec_context.channels == 2 else "mono"
        rs = av.AudioResampler(format="fltp", layout=layout, rate=SR)
        parts = [f.to_ndarray() for fr in c.decode(st) for f in rs.resample(fr)]
        parts += [f.to_ndarray() for f in rs.resample(None)]
    return np.concatenate(parts, axis=1).astype(np.float32)


@pytest.fixture(scope="module")
def voices(jfk: Path, stereo_wav: Path) -> dict[str, np.ndarray]:
    s = _read(stereo_wav)
    return {"jfk": _read(jfk).mean(axis=0), "left": s[0], "right": s[1]}


def _tempo(x: np.ndarray, factor: float) -> np.ndarray:
    """Pitch-preserving speed change with sox (a copy of x if sox is missing)."""
    import shutil
    import subprocess

    if not shutil.which("sox"):
        return x.copy()
    fmt = ["-t", "raw", "-e", "floating-point", "-b", "32", "-L", "-c", "1", "-r", str(SR)]
    p = subprocess.run(["sox", "-V1", *fmt, "-", *fmt, "-", "tempo", "-s", f"{factor:.4f}"],
                       input=np.ascontiguousarray(x, "<f4").tobytes(), capture_output=True, check=True)
    return np.frombuffer(p.stdout, "<f4").astype(np.float32)


def conversation(voices, speakers, seed, seconds=40.0, words=(2, 8), overlap=0.1):
    """Alternating turns of real speech at known times -> (mono audio, [(speaker, start, end)]).

    Each turn is a run of consecutive words of one speaker's clip. A repeat is never the
    identical waveform in a real conversation, so each turn's tempo is changed by up to
    +-8 % (sox, pitch kept; unchanged without sox) and its level by up to +-2 dB.
    (Resampling instead, which shifts pitch and formants by a few %, is enough to split
    one voice in two now and then: speaker embeddings hear it as a slightly different person.)
    Gaps of 0.2-0.8 s; with probability ``overlap`` the next turn starts 0.1-0.3 s early."""
    rng = np.random.default_rng(seed)
    t, prev, clips, ref = 0.4, None, [], []
    while t < seconds:
        spk = speakers[0] if len(speakers) == 1 else str(rng.choice([s for s in speakers if s != prev]))
        cuts = CUTS[spk]
        n = min(len(cuts) - 1, int(rng.integers(words[0], words[1] + 1)))
        i = int(rng.integers(0, len(cuts) - n))
        clip = voices[spk][int(cuts[i] * SR): int(cuts[i + n] * SR)]
        clip = _tempo(clip, float(rng.uniform(0.92, 1.08)))
        clip *= float(10 ** (rng.uniform(-2, 2) / 20))
        clip[:80] *= np.linspace(0, 1, 80, dtype=np.float32)
        clip[-80:] *= np.linspace(1, 0, 80, dtype=np.float32)
        clips.append((t, clip))
        ref.append((spk, t, t + len(clip) / SR))
        gap = -rng.uniform(0.1, 0.3) if len(speakers) > 1 and rng.random() < overlap else rng.uniform(0.2, 0.8)
        t += len(clip) / SR + gap
        prev = spk
    mix = rng.normal(0, 1e-3, int((t + 0.5) * SR)).astype(np.float32)
    for s, clip in clips:
        mix[int(s * SR): int(s * SR) + len(clip)] += clip
    return np.clip(mix, -1, 1), ref


def der(ref, turns, collar=0.25, step=0.01):
    """Frame DER with +-collar around reference boundaries and optimal 1:1 speaker mapping."""
    from itertools import permutations

    n = int(max([e for _, _, e in ref] + [t.end for t in turns]) / step) + 2
    c = (np.arange(n) + 0.5) * step
    rs, hs = sorted({r[0] for r in ref}), sorted({t.speaker for t in turns})
    R = np.array([np.any([(c >= s) & (c < e) for r, s, e in ref if r == x], axis=0) for x in rs])
    H = np.array([np.any([(c >= t.start) & (c < t.end) for t in turns if t.speaker == x], axis=0) for x in hs]) \
        if hs else np.zeros((0, n), bool)
    keep = np.ones(n, bool)
    for _, s, e in ref:
        for x in (s, e):
            keep &= ~((c > x - collar) & (c < x + collar))
    R, H = R[:, keep], H[:, keep]
    nr, nh = R.sum(0), H.sum(0)
    best = 0
    for perm in permutations(range(max(len(hs), len(rs))), len(rs)):
        best = max(best, sum(int((R[i] & H[j]).sum()) for i, j in enumerate(perm) if j < len(hs)))
    err = np.maximum(nr, nh).sum() - best
    return err / nr.sum()


# --------------------------------------------------------------------------- real speech

def test_three_real_voices(voices):
    audio, ref = conversation(voices, ["jfk", "left", "right"], seed=0, seconds=45)
    result = diarize(audio, SR)
    turns = result.turns
    found = {t.speaker for t in turns}
    assert 2 <= len(found) <= 3, (found, result.info.get("centroid_similarity"))
    assert turns[0].speaker == "S1"
    assert all(t.end > t.start for t in turns)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(turns, turns[1:]))  # ordered, no overlap
    d = der(ref, turns)
    assert d < 0.15, f"DER {d:.1%}"


def test_two_real_voices_same_recording(voices):
    """The two channels of one recording: the hardest pair here (same microphone and room)."""
    audio, ref = conversation(voices, ["left", "right"], seed=0)
    turns = diarize(audio, SR).turns
    assert len({t.speaker for t in turns}) == 2
    d = der(ref, turns)
    assert d < 0.10, f"DER {d:.1%}"


def test_centroids_are_the_speakers_voices(voices):
    """Each diarized speaker's centroid is that speaker's voice: the embedding of a person's
    own turns is nearest to the centroid of the speaker the diarizer gave those turns to
    (turn-taking compares voices with these centroids instead of embedding again)."""
    from analyzer.speech.embedding import embed_spans

    audio, ref = conversation(voices, ["left", "right"], seed=2)
    result = diarize(audio, SR)
    assert sorted(result.centroids) == sorted(result.speakers) == ["S1", "S2"]
    for c in result.centroids.values():
        assert c.shape == (256,) and abs(float(np.linalg.norm(c)) - 1.0) < 1e-4
    given = set()
    for who in ("left", "right"):
        segs = [(s, e) for r, s, e in ref if r == who and e - s >= 1.0]
        held = {sid: sum(max(0.0, min(e, t.end) - max(s, t.start)) for s, e in segs for t in result.turns
                         if t.speaker == sid) for sid in result.speakers}
        diarized_as = max(held, key=held.get)
        sims = {sid: float((embed_spans(audio, segs) @ c).mean()) for sid, c in result.centroids.items()}
        assert max(sims, key=sims.get) == diarized_as, (who, sims, held)
        given.add(diarized_as)
    assert given == {"S1", "S2"}


def test_single_real_speaker_is_one(voices):
    turns = diarize(voices["jfk"], SR).turns
    assert turns and {t.speaker for t in turns} == {"S1"}
    assert {t.speaker for t in diarize(voices["left"], SR).turns} == {"S1"}
    # The same voice cut into turns with pauses, as a monologue with hesitations.
    audio, _ = conversation(voices, ["jfk"], seed=0, seconds=30)
    assert {t.speaker for t in diarize(audio, SR).turns} == {"S1"}


def test_given_speech_and_fixed_count(voices):
    audio, ref = conversation(voices, ["jfk", "left", "right"], seed=1, seconds=30)
    speech = [(s, e) for _, s, e in ref]
    progress: list[float] = []
    turns = diarize(audio, SR, speech=speech, num_speakers=2, progress=progress.append).turns
    assert len({t.speaker for t in turns}) == 2
    assert progress[0] == 0.0 and progress[-1] == 1.0 and progress == sorted(progress)
    # Turns cover the given speech and nothing far from it (same-speaker gaps <= 0.5 s are filled).
    grid = np.arange(0, len(audio) / SR, 0.01)
    in_speech = np.any([(grid >= s) & (grid < e) for s, e in speech], axis=0)
    in_turns = np.any([(grid >= t.start) & (grid < t.end) for t in turns], axis=0)
    assert in_turns[in_speech].mean() > 0.99
    near = np.any([(grid >= s - 0.5) & (grid < e + 0.5) for s, e in speech], axis=0)
    assert not np.any(in_turns & ~near)


def test_threads_restored(voices):
    import torch

    before = torch.get_num_threads()
    diarize(voices["right"], SR, threads=1)
    assert torch.get_num_threads() == before


# --------------------------------------------------------------------------- edge cases

def test_no_speech_no_crash():
    assert diarize(np.zeros(0, np.float32)).turns == []
    assert diarize(np.zeros(SR * 3, np.float32)).turns == []
    rng = np.random.default_rng(0)
    assert diarize(rng.normal(0, 1e-4, SR * 2).astype(np.float32), speech=[]).turns == []
    # Speech given outside the audio, or a very short blip: no crash.
    assert diarize(np.zeros(SR, np.float32), speech=[(5.0, 6.0)]).turns == []
    blip = diarize(rng.normal(0, 0.1, SR).astype(np.float32), speech=[(0.2, 0.3)]).turns
    assert all(t.speaker == "S1" for t in blip)


def test_bad_arguments():
    with pytest.raises(ValueError):
        diarize(np.zeros(SR, np.float32), num_speakers=0)
    with pytest.raises(ValueError):
        diarize(np.zeros(SR, np.float32), min_speakers=3, max_speakers=2)


# --------------------------------------------------------------------------- words

def _words(spec):
    return [Word(f" {t}", s, e) for t, s, e in spec]


def test_assign_words_by_overlap_and_nearest():
    turns = [Turn(0.0, 2.0, "S1"), Turn(2.0, 4.0, "S2"), Turn(6.0, 8.0, "S1")]
    words = _words([("hello", 0.1, 0.5), ("there", 1.8, 2.6),  # mostly in S2's turn
                    ("yes", 2.5, 3.0), ("gap", 4.6, 4.9),  # nearest turn: S2 (ends 4.0)
                    ("late", 5.5, 5.8), ("end", 7.9, 8.5), ("after", 9.0, 9.2), ("zero", 6.5, 6.5)])
    out = assign_words(words, turns)
    assert out is not None and len(out) == len(words)
    assert [w.speaker for w in words] == ["S1", "S2", "S2", "S2", "S1", "S1", "S1", "S1"]


def test_assign_words_no_turns_leaves_words():
    words = _words([("a", 0, 1)])
    assert assign_words(words, []) == words and words[0].speaker is None


def test_split_by_speaker_turns_and_pauses():
    words = _words([("Hi", 0.0, 0.3), ("there.", 0.35, 0.7), ("Hello", 0.9, 1.2), ("doctor.", 1.25, 1.6),
                    ("So", 1.8, 2.0), ("what", 3.5, 3.7), ("brings", 3.75, 4.0)])
    for w, s in zip(words, ["S1", "S1", "S2", "S2", "S1", "S1", "S1"]):
        w.speaker = s
    utts = split_by_speaker(words)
    assert [(u.speaker, u.text) for u in utts] == [
        ("S1", "Hi there."), ("S2", "Hello doctor."), ("S1", "So"), ("S1", "what brings")]
    assert utts[1].start == 0.9 and utts[1].end == 1.6 and len(utts[1].words) == 2
    assert split_by_speaker([]) == []


def test_split_by_speaker_unsorted_and_missing_speaker():
    words = _words([("b", 1.0, 1.2), ("a", 0.0, 0.2), ("c", 1.3, 1.5)])
    words[0].speaker, words[1].speaker = "S2", "S1"
    utts = split_by_speaker(words)
    assert [(u.speaker, u.text) for u in utts] == [("S1", "a"), ("S2", "b c")]
