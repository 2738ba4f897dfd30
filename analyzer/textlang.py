"""Is a transcript's text English? The analysis (tags, cues, the report's wording) is built for
English; a transcript in another language is still analysed, with a warning a user can see.

Speech gets its language from Whisper; a transcript file has no such signal, so the share of
common English function words stands in: running English text has 30-50 % of them, other
languages written in Latin script a few percent (shared words such as "a", "me", "so").
"""
from __future__ import annotations

import re

_FUNCTION_WORDS = frozenset(
    "the a an and or but of to in on at for with from by about as is are was were be been being am "
    "i you he she it we they me him her us them my your his its our their this that these those "
    "what which who when where why how do does did have has had not no yes can could will would "
    "should there here if so just very really okay ok yeah".split())
MIN_WORDS = 30  # fewer words say too little to judge
MIN_SHARE = 0.15


def english_share(text: str) -> tuple[float, int]:
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())
    if not words:
        return 0.0, 0
    return sum(w in _FUNCTION_WORDS for w in words) / len(words), len(words)


def english_warning(text: str) -> str | None:
    share, n = english_share(text)
    if n < MIN_WORDS or share >= MIN_SHARE:
        return None
    return (f"the transcript does not look like English (only {share:.0%} common English words): "
            "the communication analysis is built for English and may be wrong")
