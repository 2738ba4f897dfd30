"""Channel planning: one speaker per channel, or one mix of everyone.

Two ways to know who spoke:
- one speaker per channel (lapel mics, one mic per person): each channel is transcribed on
  its own, so each speaker's timing is exact and overlapping speech stays overlapping; words
  a mic only hears as the other speaker's bleed are dropped here;
- one mix (mono, or channels carrying the same mix): the mix is transcribed once, then voice
  embeddings cluster the speech into speakers (``diarize``) and words are assigned to them
  by time (``words``).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from ..model import Utterance, Word, group_words
from .audio import SAMPLE_RATE, SILENCE_DBFS, Audio, loudest_window_dbfs

# Channels whose waveforms correlate this much carry the same mix (a stereo phone recording,
# a mono file saved as stereo); separate lapel mics with bleed correlate far less.
SAME_MIX_CORRELATION = 0.7
# Mic bleed: the same word recognised on two channels at the same time is kept only on the
# channel where it is louder. Genuine overlapping speech has different words, so it stays.
BLEED_MAX_OFFSET = 0.35  # seconds between the two recognitions of one spoken word
# Bleed reaches the far mic well below the near one (typically 10-25 dB); two people saying the
# same word at once ("okay") are about as loud as each other, so both are kept.
BLEED_MIN_DB = 6.0
# Whisper also writes bleed it hears differently ("un -ity -culted" for the other speaker's
# words): any word heard this much louder on another mic is the other speaker's. Speaking at
# the same time, each voice is loudest on its own mic, so real overlap is kept.
BLEED_LEVEL_DB = 12.0
UTTERANCE_GAP = 1.0  # seconds of silence that end an utterance within one speaker's speech


@dataclass
class ChannelPlan:
    mode: str  # "multichannel" | "mix"
    channels: list[int]  # channels used, one speaker each in multichannel mode
    reason: str


def plan_channels(audio: Audio) -> ChannelPlan:
    """Decide whether channels carry different speakers or the same mix."""
    if audio.channels == 1:
        return ChannelPlan("mix", [0], "mono recording")
    active = [i for i, ch in enumerate(audio.samples) if loudest_window_dbfs(ch) >= SILENCE_DBFS]
    if len(active) <= 1:
        return ChannelPlan("mix", active or [0], "only one channel carries sound")
    corr = _max_abs_correlation(audio.samples[active])
    if corr >= SAME_MIX_CORRELATION:
        return ChannelPlan("mix", active, f"channels carry the same mix (correlation {corr:.2f})")
    return ChannelPlan("multichannel", active, f"one speaker per channel (correlation {corr:.2f})")


def _max_abs_correlation(x: np.ndarray) -> float:
    # Decimate to keep this cheap on 3-hour files; correlation survives plain decimation.
    step = max(1, x.shape[1] // 2_000_000)
    y = x[:, ::step].astype(np.float64)
    y = y - y.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(y, axis=1)
    if np.any(norms == 0):
        return 0.0
    c = (y @ y.T) / np.outer(norms, norms)
    np.fill_diagonal(c, 0.0)
    return float(np.abs(c).max())


def drop_crosstalk(per_channel: list[list[Word]], samples: np.ndarray) -> tuple[list[list[Word]], list[int]]:
    """Remove each word that another channel also recognised at the same time, louder, or that
    another channel carries BLEED_LEVEL_DB louder whatever it recognised there."""
    levels = [[_level_db(samples[c], w) for w in words] for c, words in enumerate(per_channel)]
    keys = [[_norm(w.text) for w in words] for words in per_channel]
    starts = [[w.start for w in words] for words in per_channel]
    kept: list[list[Word]] = []
    dropped: list[int] = []
    for c, words in enumerate(per_channel):
        out, n = [], 0
        for i, w in enumerate(words):
            bleed = any(_level_db(samples[o], w) >= levels[c][i] + BLEED_LEVEL_DB
                        for o in range(len(per_channel)) if o != c)
            for o, other in enumerate(per_channel):
                if bleed:
                    break
                if o == c:
                    continue
                for j in range(bisect.bisect_left(starts[o], w.start - BLEED_MAX_OFFSET), len(other)):
                    v = other[j]
                    if v.start > w.start + BLEED_MAX_OFFSET:
                        break
                    if abs(v.start - w.start) <= BLEED_MAX_OFFSET and keys[o][j] == keys[c][i] and keys[c][i]:
                        # Same word on both mics: it belongs to the mic nearest the mouth.
                        if _level_db(samples[o], w) > levels[c][i] + BLEED_MIN_DB:
                            bleed = True
                        break
                if bleed:
                    break
            if bleed:
                n += 1
            else:
                out.append(w)
        kept.append(out)
        dropped.append(n)
    return kept, dropped


def _level_db(ch: np.ndarray, w: Word) -> float:
    a = int(w.start * SAMPLE_RATE)
    b = max(int(w.end * SAMPLE_RATE), a + 160)
    seg = ch[a:b].astype(np.float64)
    return float(10 * np.log10((seg**2).mean() + 1e-12)) if seg.size else -120.0


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def channel_utterances(words: list[Word], channel: int, speaker: str) -> list[Utterance]:
    for w in words:
        w.speaker = speaker
    return group_words(words, speaker, max_gap=UTTERANCE_GAP, channel=channel)


def merge_by_time(per_speaker: list[list[Utterance]]) -> list[Utterance]:
    """Interleave speakers' utterances by start time; times are never changed."""
    merged = [u for utts in per_speaker for u in utts]
    merged.sort(key=lambda u: (u.start, u.end))
    return merged

