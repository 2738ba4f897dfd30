"""Timing constants of the turn-taking definitions (seconds unless named otherwise)."""
from __future__ import annotations

SEGMENT_GAP = 0.75  # s; a longer pause ends a segment (the next word is a new onset)
ACTIVE_GAP = 0.5  # s; inside a pause longer than this a speaker is not talking
RUN_GAP = 1.0  # s; a longer pause ends a run (limit of what is "still to come")
MIN_REMAINING_S = 1.0  # s of the other's run still to come for an interruption
MIN_UTTERANCE_WORDS = 4  # words of the other's utterance (said and to come) for an interruption
BACKCHANNEL_MAX_WORDS = 3
UNCLEAR_PROB = 0.35  # words recognised with less confidence than this, all of them, are an unclear sound
SIMULTANEOUS = 0.3  # s; two onsets this close are a simultaneous start
YIELD_WITHIN = 2.5  # s after the onset; an interrupted speaker who stops by then yielded
YIELD_PAUSE = 0.3  # s; A pausing this long after B finished has stopped (what follows answers B)
ACK_PAUSE = 0.7  # s; an acknowledgement followed by more words sooner than this starts a turn
CUT_OFF_GAP = 0.25  # s; mono: a speaker change this soon after an unfinished clause
MONOLOGUE_GAP = 2.0  # s; one speaker's runs this close, nobody else taking the floor, are one turn
OPENING_MIN_WORDS = 3  # substantive words for the patient's opening statement
EPS = 1e-6

PARAMETERS = {
    "segment_gap_s": SEGMENT_GAP, "active_gap_s": ACTIVE_GAP, "run_gap_s": RUN_GAP, "min_remaining_s": MIN_REMAINING_S,
    "min_utterance_words": MIN_UTTERANCE_WORDS, "backchannel_max_words": BACKCHANNEL_MAX_WORDS,
    "unclear_probability": UNCLEAR_PROB,
    "simultaneous_s": SIMULTANEOUS, "yield_within_s": YIELD_WITHIN, "yield_pause_s": YIELD_PAUSE,
    "ack_pause_s": ACK_PAUSE, "cut_off_gap_s": CUT_OFF_GAP,
    "monologue_gap_s": MONOLOGUE_GAP,
}
