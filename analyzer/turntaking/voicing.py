"""Multichannel audio: snap word edges at pauses to where the speaker's own microphone hears them.

Whisper's word times are good to a few tenths of a second, and worst at the edges of speech:
after a silence the first word often starts early (the silence is given to it), and the last
word before a pause often ends early. The interruption rules turn on exactly those edges
("1.0 s still to come", who started first), so on multichannel input, where each speaker has a
microphone of their own, the stage moves each word edge that borders a pause to the nearest
edge of voiced sound on that speaker's channel, by at most ``MAX_SHIFT``. Words inside
continuous speech are left alone. A channel's "voiced" level is set relative to its own speech
(``BELOW_SPEECH_DB`` under the median level of its words, clearly above its noise floor, and
above the bleed the other speaker's mic predicts at that moment: ``bleed_loss`` measures how
much quieter the other speaker reaches this mic, where they talk alone), so the other speaker's bleed
and the room's hiss do not count as this speaker's voice; a channel too noisy to tell is left
as the ASR timed it.
"""
from __future__ import annotations

import numpy as np


SR = 16000
HOP = 0.01  # s; energy frames
WIN = 0.025  # s
BELOW_SPEECH_DB = 20.0  # voiced: within this many dB of the channel's median level in its words
ABOVE_FLOOR_DB = 8.0  # ... and this far above the channel's noise floor (its 10th percentile)
BLEED_MARGIN_DB = 6.0  # own voice: this much above the bleed expected from another mic at that moment
MIN_BLEED_FRAMES = 100  # frames of the other speaker alone needed to measure how much of them leaks
MIN_SNR_DB = 12.0  # a channel whose words' loud part (80th percentile) is less far above its floor is left alone
FILL_GAP = 0.15  # s; unvoiced dips shorter than this inside speech (stop closures) are speech
MAX_SHIFT = 0.6  # s; an edge moves at most this far
PAUSE = 0.1  # s; an edge borders a pause when the neighbouring word is at least this far away



def frame_db(x: np.ndarray) -> np.ndarray:
    """Level in dB of each HOP frame (WIN window)."""
    hop, win = int(SR * HOP), int(SR * WIN)
    n = max(0, 1 + (len(x) - win) // hop)
    if n == 0:
        return np.zeros(0, np.float32)
    c = np.concatenate([[0.0], np.cumsum(np.asarray(x, np.float64) ** 2)])
    idx = np.arange(n) * hop
    energy = (c[idx + win] - c[idx]) / win
    return (10 * np.log10(energy + 1e-10)).astype(np.float32)


def bleed_loss(db: np.ndarray, other: np.ndarray, frames: np.ndarray | None = None,
               min_frames: int = 100) -> float | None:
    """How many dB quieter the other speaker reaches this mic than their own: the median level
    difference over the frames where the other mic is loud (within 10 dB of its 90th
    percentile), restricted to ``frames`` when given (e.g. where this speaker has no words).
    Most of a speaker's loud moments are spoken alone, so the median is the leak, not overlap.
    None when fewer than ``min_frames`` frames qualify."""
    n = min(len(db), len(other))
    db, other = db[:n], other[:n]
    if n == 0:
        return None
    use = other >= np.percentile(other, 90) - 10.0
    if frames is not None:
        use &= frames[:n]
    if use.sum() < min_frames:
        return None
    return float(np.median(other[use] - db[use]))


def voiced_mask(db: np.ndarray, spans: list[tuple[float, float]], others: list[np.ndarray] = ()) -> np.ndarray:
    """Frames at most BELOW_SPEECH_DB under the median level inside ``spans`` (the channel's
    words), ABOVE_FLOOR_DB over the noise floor and BLEED_MARGIN_DB over the bleed expected
    from each of ``others`` (the other speakers' channels, same frames; ``bleed_loss``), with
    short dips filled; none if the channel is too noisy to tell."""
    inside = np.zeros(len(db), bool)
    for a, b in spans:
        inside[int(a / HOP):max(int(a / HOP) + 1, int(b / HOP))] = True
    if not inside.any():
        return np.zeros(len(db), bool)
    # word spans include the quiet between syllables: their median is the level to compare
    # with, their loud part (80th percentile) what says whether speech stands out at all
    median, loud = np.percentile(db[inside], [50, 80])
    floor = float(np.percentile(db, 10))
    if loud - floor < MIN_SNR_DB:  # too noisy to tell where speech starts
        return np.zeros(len(db), bool)
    mask = db >= max(float(median) - BELOW_SPEECH_DB, floor + ABOVE_FLOOR_DB)
    mask &= above_bleed(db, inside, others)
    # fill short gaps between voiced frames
    idx = np.flatnonzero(mask)
    if len(idx) > 1:
        gaps = np.flatnonzero((np.diff(idx) > 1) & (np.diff(idx) <= int(FILL_GAP / HOP) + 1))
        for g in gaps:
            mask[idx[g]:idx[g + 1]] = True
    return mask


def above_bleed(db: np.ndarray, inside: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """Frames where this mic is BLEED_MARGIN_DB louder than the bleed each other mic predicts
    (``bleed_loss``, measured away from this speaker's words ``inside``); all frames where no
    leak could be measured."""
    ok = np.ones(len(db), bool)
    for o in others:  # the other speakers' mics: where this one hears no more than their bleed
        n = min(len(o), len(db))
        pad = int(0.3 / HOP)  # where this speaker has no words (0.3 s either side)
        away = np.convolve(inside[:n].astype(float), np.ones(2 * pad + 1), "same") == 0
        loss = bleed_loss(db[:n], o[:n], away, MIN_BLEED_FRAMES)
        if loss is not None:
            ok[:n] &= db[:n] > o[:n] - loss + BLEED_MARGIN_DB
    return ok


def _frames(tk, n: int) -> slice:
    a = min(max(int(tk.start / HOP), 0), max(n - 1, 0))
    return slice(a, max(a + 1, min(int(np.ceil(tk.end / HOP)), n)))


def drop_bleed_tokens(toks: list, db: np.ndarray, others: list[np.ndarray]) -> int:
    """Remove (in place) words with no frame of this speaker's own voice (``voiced_mask``: above
    the channel's speech threshold and above the other speakers' bleed): the other speaker's
    words, which Whisper also wrote on this channel and the ASR-level check
    (``speakers.drop_crosstalk``) let through because the two mics recognised them differently.
    Only where the leak could be measured and the channel is clear enough to tell. Returns how
    many were removed."""
    if not others or not toks:
        return 0
    n = len(db)
    inside = np.zeros(n, bool)
    for tk in toks:
        inside[_frames(tk, n)] = True
    if above_bleed(db, inside, others).all():  # no leak measured: nothing to judge by
        return 0
    mask = voiced_mask(db, [(tk.start, tk.end) for tk in toks], others)
    if not mask.any():  # too noisy to tell
        return 0
    keep = [tk for tk in toks if mask[_frames(tk, n)].any()]
    dropped = len(toks) - len(keep)
    toks[:] = keep
    return dropped


def snap_edges(toks: list, mask: np.ndarray) -> int:
    """Move the start of each token after a pause and the end of each token before a pause to
    the nearest voiced edge (``toks`` sorted by start; changed in place). Returns how many
    edges moved."""
    n, moved, lim = len(mask), 0, int(MAX_SHIFT / HOP)
    if n == 0:
        return 0
    for i, tk in enumerate(toks):
        prev_end = toks[i - 1].end if i else -1e9
        next_start = toks[i + 1].start if i + 1 < len(toks) else 1e9
        if tk.start - prev_end >= PAUSE:
            f = min(max(int(round(tk.start / HOP)), 0), n - 1)
            lo = max(0, int(np.ceil((prev_end + 0.05) / HOP)), f - lim)
            # inward, the start may go as far as the word's own sound: Whisper stretches a word
            # after a pause over the silence (or the other's bleed) before it
            hi = min(n - 1, int((tk.end - 0.05) / HOP))
            if mask[f]:  # already in sound: go back to where it began
                g = f
                while g > lo and mask[g - 1]:
                    g -= 1
            else:  # in silence: go forward to the first sound
                g = f
                while g < hi and not mask[g]:
                    g += 1
                if not mask[g]:
                    g = f
            if g != f:
                tk.start = round(g * HOP, 3)
                moved += 1
        if next_start - tk.end >= PAUSE:
            f = min(max(int(round(tk.end / HOP)) - 1, 0), n - 1)
            hi = min(n - 1, int((next_start - 0.05) / HOP), f + lim)
            lo = max(int((tk.start + 0.05) / HOP), 0)  # inward: back to the word's own sound
            if mask[f]:  # still sounding: go on to where it stops
                g = f
                while g < hi and mask[g + 1]:
                    g += 1
            else:  # silent already: back to the last sound
                g = f
                while g > lo and not mask[g]:
                    g -= 1
                if not mask[g]:
                    g = f
            if g != f:
                tk.end = round((g + 1) * HOP, 3)
                moved += 1
    return moved


def channel_samples(t, audio) -> tuple[dict[int, np.ndarray] | None, str]:
    """({channel: 16 kHz samples}, status) of a multichannel transcript's recording
    (``audio``: a ``source_audio.SourceAudio``)."""
    if not t.source.is_audio or t.source.speaker_mode != "multichannel":
        return None, "not multichannel audio"
    x, status = audio.samples, audio.status
    if x is None:
        return None, "not multichannel audio" if status == "no audio" else status
    return {c: x[c] for c in range(x.shape[0])}, status


def refine_timeline_tokens(t, toks: dict[str, list], audio) -> dict:
    """Snap the token edges of every speaker with a channel of their own (in place)."""
    chans, status = channel_samples(t, audio)
    if chans is None:
        return {"status": status}
    moved = bleed = 0
    levels = {c: frame_db(x) for c, x in chans.items()}
    used = {getattr(t.speakers.get(sid), "channel", None) for sid in toks} & set(levels)
    for sid, ts in toks.items():
        sp = t.speakers.get(sid)
        ch = getattr(sp, "channel", None)
        if ch is None or ch not in chans or not ts:
            continue
        others = [levels[c] for c in sorted(used) if c != ch]
        ts.sort(key=lambda x: (x.start, x.end))
        bleed += drop_bleed_tokens(ts, levels[ch], others)
        moved += snap_edges(ts, voiced_mask(levels[ch], [(x.start, x.end) for x in ts], others))
        ts.sort(key=lambda x: (x.start, x.end))
    return {"status": status, "edges_moved": moved, "bleed_words_dropped": bleed}
