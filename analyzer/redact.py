"""Redaction for exports and shared views: names, dates, phone numbers, addresses, record numbers.

    redact_text("hi ms. hernandez , see you on march 3rd")  -> ("hi ms. [NAME] , see you on [DATE]", spans)
    redact_analysis(analysis)                                -> a masked deep copy

``redact_analysis`` masks every free-text field of an analysis (utterance text and words, speaker
labels, quoted evidence in tags, event snippets, the source file name) and moves the tags'
character spans so they still point at the same words. Recognizers: ``analyzer.privacy``.
Recall and precision on hand-labelled ACI-Bench dialogues: ``benchmarks/redaction.py``.
"""
from __future__ import annotations

import copy
import re
from bisect import bisect_right

from .privacy import LABELS, Span, apply, get_redactor

__all__ = ["redact_text", "redact_analysis", "LABELS", "Span"]

MASK = "[{label}]"
_WORD = re.compile(r"[\w']+")


def redact_text(text: str) -> tuple[str, list[Span]]:
    if not text:
        return text, []
    spans = get_redactor().analyze(text)
    return apply(text, spans, MASK), spans


def redact_analysis(analysis: dict) -> dict:
    a = copy.deepcopy(analysis)
    utts = a.get("utterances") or []
    texts = [u.get("text") or "" for u in utts]
    all_spans = get_redactor().analyze_many(texts) if texts else []
    masked_words: set[str] = set()
    for u, text, spans in zip(utts, texts, all_spans):
        if not spans:
            continue
        u["text"] = apply(text, spans, MASK)
        shift = _shifter(spans)
        for tag in u.get("tags") or []:
            if isinstance(tag.get("span"), list) and len(tag["span"]) == 2:
                tag["span"] = [shift(tag["span"][0]), shift(tag["span"][1])]
        label_of = {}
        for s in spans:
            for w in _WORD.findall(text[s.start:s.end].lower()):
                label_of[w] = s.label
                masked_words.add(w)
        for w in u.get("words") or []:
            key = _norm(w.get("text", ""))
            if key in label_of:
                lead = " " if str(w.get("text", "")).startswith(" ") else ""
                w["text"] = lead + MASK.format(label=label_of[key])
    # Quoted evidence and snippets may repeat what was masked in an utterance (or say it afresh).
    for u in utts:
        for tag in u.get("tags") or []:
            if isinstance(tag.get("why"), str):
                tag["why"] = _mask_known(redact_text(tag["why"])[0], masked_words)
    for ev in a.get("events") or []:
        for k in ("text", "of_text", "quote"):
            if isinstance(ev.get(k), str):
                ev[k] = _mask_known(redact_text(ev[k])[0], masked_words)
    for sp in a.get("speakers") or []:
        label = sp.get("label")
        if label and label.strip().lower() not in _GENERIC_LABELS:
            masked = redact_text(label)[0]
            sp["label"] = masked if masked != label else "[NAME]"  # a transcript's speaker label is a person
    src = a.get("source")
    if isinstance(src, dict) and src.get("file"):
        ext = src["file"].rsplit(".", 1)[-1] if "." in src["file"] else ""
        src["file"] = "[FILE]" + (f".{ext}" if ext.isalnum() and len(ext) <= 5 else "")
    a["redacted"] = True
    return a


_GENERIC_LABELS = frozenset("doctor patient clinician nurse dr gp therapist client provider physician "
                            "mother father wife husband son daughter interpreter relative caregiver".split())


def _norm(word: str) -> str:
    m = _WORD.findall(word.lower())
    return m[0] if len(m) == 1 else word.strip().lower()


def _mask_known(text: str, words: set[str]) -> str:
    if not words:
        return text
    return _WORD.sub(lambda m: "[REDACTED]" if m.group(0).lower() in words and len(m.group(0)) > 2 else m.group(0), text)


def _shifter(spans: list[Span]):
    """Old character offset -> offset in the masked text (a position inside a span -> its mask's start)."""
    starts = [s.start for s in spans]
    deltas, d = [], 0
    for s in spans:
        d += len(MASK.format(label=s.label)) - (s.end - s.start)
        deltas.append(d)

    def shift(pos: int) -> int:
        k = bisect_right(starts, pos) - 1
        if k < 0:
            return pos
        s = spans[k]
        before = deltas[k - 1] if k else 0
        if pos < s.end:
            return s.start + before
        return pos + deltas[k]

    return shift
