"""Speaker diarization on real speech (jfk.flac and the two voices of stereo_diarization.wav).

The real voices are spliced into a conversation at known times, so DER can be checked.
Shared data lives beside the repo (../shared/data); the tests skip if it is absent.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analyzer.diarize import Turn, assign_words, diarize, split_by_speaker
from analyzer.model import Word

SR = 16000
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
AUDIO = DATA / "audio"

# Phrase boundaries (s) at word boundaries, from faster-whisper word times snapped to the
# quietest 10 ms nearby (see benchmarks/diarization.py, real-voice mode).
PHRASES = {
    "jfk": [(0.0, 2.32), (2.32, 4.49), (4.49, 7.99), (7.99, 10.6)],
    "left": [(0.0, 2.7), (2.7, 4.76)],
    "right": [(0.0, 0.97), (0.97, 2.54)],
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
def voices() -> dict[str, np.ndarray]:
    jfk, st = AUDIO / "jfk.flac", AUDIO / "stereo_diarization.wav"
    if not jfk.exists() or not st.exists():
        pytest.skip(f"shared audio not found in {AUDIO}")
    s = _read(st)
    return {"jfk": _read(jfk).mean(axis=0), "left": s[0], "right": s[1]}


def _vary(clip: np.ndarray, rng) -> np.ndarray:
    """A repeat is never the identical waveform in a real conversation: resample by up to
    +-4 % (speed and pitch, within one person's natural range) and change the level a little."""
    from scipy.signal import resample_poly

    up = int(rng.integers(24, 27))  # 24/25 .. 26/25
    return resample_poly(clip, up, 25).astype(np.float32) * float(10 ** (rng.uniform(-2, 2) / 20))


def splice(voices, plan, gap=0.45, seed=0):
    """plan: [(speaker, phrase index or (first, last)), ...] -> (mono audio, [(speaker, start, end)]).
    ("<gap>", seconds) in the plan sets the next gap (negative: overlap)."""
    rng = np.random.default_rng(seed)
    t, out, ref, next_gap = 0.4, [], [], None
    for spk, which in plan:
        if spk == "<gap>":
            next_gap = which
            continue
        first, last = (which, which) if isinstance(which, int) else which
        a, b = PHRASES[spk][first][0], PHRASES[spk][last][1]
        clip = _vary(voices[spk][int(a * SR): int(b * SR)], rng)
        clip[:80] *= np.linspace(0, 1, 80)
        clip[-80:] *= np.linspace(1, 0, 80)
        out.append((t, clip))
        ref.append((spk, t, t + len(clip) / SR))
        t += len(clip) / SR + (next_gap if next_gap is not None else gap + rng.uniform(-0.15, 0.15))
        next_gap = None
    n = int((t + 0.5) * SR)
    mix = rng.normal(0, 1e-3, n).astype(np.float32)
    for s, clip in out:
        i = int(s * SR)
        mix[i: i + len(clip)] += clip
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

THREE = [("jfk", 0), ("left", 0), ("jfk", (1, 2)), ("right", (0, 1)), ("left", 1), ("<gap>", -0.2),
         ("jfk", 3), ("right", 1), ("left", (0, 1)), ("jfk", (0, 1)), ("right", (0, 1)), ("jfk", 2),
         ("left", 0), ("right", 0), ("jfk", 3)]


def test_three_real_voices(voices):
    audio, ref = splice(voices, THREE)
    info: dict = {}
    turns = diarize(audio, SR, info=info)
    found = {t.speaker for t in turns}
    assert 2 <= len(found) <= 3, (found, info.get("centroid_similarity"))
    assert [t.speaker for t in turns][0] == "S1"
    assert all(t.end > t.start for t in turns)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(turns, turns[1:]))  # ordered, no overlap
    d = der(ref, turns)
    assert d < 0.15, f"DER {d:.1%}"


def test_two_real_voices_same_recording(voices):
    """The two channels of one recording: the hardest pair here (same microphone and room)."""
    plan = [("left", 0), ("right", (0, 1)), ("left", 1), ("right", 0), ("left", (0, 1)), ("right", 1),
            ("left", 0), ("right", (0, 1)), ("left", 1)]
    audio, ref = splice(voices, plan, seed=1)
    turns = diarize(audio, SR)
    assert len({t.speaker for t in turns}) == 2
    assert der(ref, turns) < 0.12


def test_single_real_speaker_is_one(voices):
    turns = diarize(voices["jfk"], SR)
    assert turns and {t.speaker for t in turns} == {"S1"}
    assert {t.speaker for t in diarize(voices["left"], SR)} == {"S1"}
    # The same voice cut into phrases with pauses, as a monologue with hesitations.
    audio, _ = splice(voices, [("jfk", 0), ("jfk", 1), ("jfk", (2, 3)), ("jfk", (1, 2)), ("jfk", 3)], gap=0.7, seed=2)
    assert {t.speaker for t in diarize(audio, SR)} == {"S1"}


def test_given_speech_and_fixed_count(voices):
    audio, ref = splice(voices, THREE[:9], seed=4)
    speech = [(s, e) for _, s, e in ref]
    progress: list[float] = []
    turns = diarize(audio, SR, speech=speech, num_speakers=2, progress=progress.append)
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
    assert diarize(np.zeros(0, np.float32)) == []
    assert diarize(np.zeros(SR * 3, np.float32)) == []
    rng = np.random.default_rng(0)
    assert diarize(rng.normal(0, 1e-4, SR * 2).astype(np.float32), speech=[]) == []
    # Speech given outside the audio, or a very short blip: no crash.
    assert diarize(np.zeros(SR, np.float32), speech=[(5.0, 6.0)]) == []
    blip = diarize(rng.normal(0, 0.1, SR).astype(np.float32), speech=[(0.2, 0.3)])
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
