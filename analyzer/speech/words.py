"""Words -> speakers in a mix: each recognised word takes the diarized speaker of its time,
and the word stream is cut into utterances where the speaker changes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..model import Speaker, Utterance, Word, group_words
from .audio import SAMPLE_RATE

if TYPE_CHECKING:
    from .diarize import Diarization, Turn


@dataclass
class DiarizedWords:
    """A mix's words attributed to its speakers, with the diarization they rest on (its
    speaker centroids let later stages compare voices without embedding again)."""

    utterances: list[Utterance] = field(default_factory=list)
    speakers: dict[str, Speaker] = field(default_factory=dict)
    diarization: Diarization | None = None


def assign_words(words: list[Word], turns: list[Turn]) -> list[Word]:
    """Set each word's ``speaker`` to the turn it overlaps most (the nearest turn if none).

    Words are updated in place and returned (same order). With no turns, words are unchanged.
    """
    if not turns:
        return list(words)
    ts = sorted(turns, key=lambda t: (t.start, t.end))
    starts = np.array([t.start for t in ts])
    ends = np.array([t.end for t in ts])
    max_end = np.maximum.accumulate(ends)
    for w in words:
        ws, we = float(w.start), float(max(w.end, w.start))
        # Candidate turns: those starting before the word ends and ending after it starts.
        hi = int(np.searchsorted(starts, we, side="right"))
        lo = int(np.searchsorted(max_end, ws, side="left"))
        best, best_ov = None, 0.0
        for i in range(lo, hi):
            ov = min(we, ends[i]) - max(ws, starts[i])
            if ov > best_ov or (best is None and ov >= 0 and we == ws and starts[i] <= ws <= ends[i]):
                best, best_ov = i, max(ov, 0.0)
        if best is None:
            mid = (ws + we) / 2
            dist = np.maximum(0.0, np.maximum(starts - mid, mid - ends))
            best = int(np.argmin(dist))
        w.speaker = ts[best].speaker
    return list(words)


def split_by_speaker(words: list[Word], max_gap: float = 1.2) -> list[Utterance]:
    """Group time-ordered words into utterances at speaker changes and pauses > max_gap.

    Words without a speaker take the previous word's speaker (or "S1").
    """
    utts: list[Utterance] = []
    run: list[Word] = []
    cur: str | None = None
    for w in sorted(words, key=lambda w: (w.start, w.end)):
        spk = w.speaker or cur or "S1"
        if run and spk != cur:
            utts.extend(group_words(run, cur, max_gap=max_gap))
            run = []
        run.append(w)
        cur = spk
    if run:
        utts.extend(group_words(run, cur, max_gap=max_gap))
    return utts


def diarized_utterances(
    samples: np.ndarray,
    words: list[Word],
    speech: list[tuple[float, float]],
    num_speakers: int | None,
    progress=None,
) -> DiarizedWords:
    """Cluster voices in a mix and split the word stream at speaker changes."""
    from .diarize import diarize

    d = diarize(samples, SAMPLE_RATE, speech=speech, num_speakers=num_speakers, progress=progress)
    if not d.turns:
        return DiarizedWords(diarization=d)
    utts = split_by_speaker(assign_words(words, d.turns))
    speakers: dict[str, Speaker] = {}
    for u in utts:
        speakers.setdefault(u.speaker, Speaker(id=u.speaker))
    return DiarizedWords(utts, speakers, d)
