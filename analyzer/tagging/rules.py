"""Lexicon/pattern recognizers for behaviours AnnoMI does not code.

A ``RuleRecognizer`` lists weighted regular expressions (``Pattern``) matched per sentence on
lower-cased text with normalised apostrophes and spacing (so ACI-Bench's "do n't" matches
"don't"). Exclusions veto a sentence; ``accept`` lets a subclass look at the dialogue (the
previous patient turn, the position in the visit, what the classifiers said). The matched
phrase is the tag's ``why``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from .base import Context, Recognizer, Tag


@dataclass(frozen=True)
class Pattern:
    regex: str
    score: float
    why: str = ""  # a short name for the cue; the matched text is added

    def compiled(self) -> re.Pattern:
        return _compile(self.regex)


_CACHE: dict[str, re.Pattern] = {}


def _compile(rx: str) -> re.Pattern:
    if rx not in _CACHE:
        _CACHE[rx] = re.compile(rx)
    return _CACHE[rx]


_APOS = re.compile(r"[’‘`]")
_SPLIT_CONTR = re.compile(r"\b(\w+) (n't|'s|'re|'m|'ve|'ll|'d)\b")
_GONNA = re.compile(r"\b(gon|wan|got) (na|ta)\b")
_WS = re.compile(r"\s+")
# Spoken disfluencies hide a cue from its pattern: "don't, don't worry", "I, I can see", "um".
_FILLER = re.compile(r"(?<![\w'])(um+|uh+|uhm|erm|er|ah)(?![\w'])[,.]?\s*")
_REPEAT = re.compile(r"\b([a-z]+(?:'[a-z]+)?)(?:[\s,-]+\1\b)+")


def normalise(text: str) -> str:
    t = _APOS.sub("'", text.lower())
    t = _SPLIT_CONTR.sub(r"\1\2", t)
    t = _GONNA.sub(r"\1\2", t)
    t = _REPEAT.sub(r"\1", _FILLER.sub("", t))
    return " " + _WS.sub(" ", t).strip() + " "


def sentence_texts(ctx: Context, turn: int) -> list[tuple[int, str]]:
    """(flat sentence index, normalised text) of a turn's sentences."""
    f = ctx.features
    if "norm" not in ctx.cache:
        by_turn: dict[int, list[tuple[int, str]]] = {}
        for i, j in enumerate(f.sent_turn):
            by_turn.setdefault(int(j), []).append((i, normalise(f.flat[i].text)))
        ctx.cache["norm"] = by_turn
    return ctx.cache["norm"].get(turn, [])


class RuleRecognizer(Recognizer):
    """One label per recognizer; ``label`` and ``labels`` default to ``name``."""

    label: ClassVar[str] = ""
    patterns: ClassVar[tuple[Pattern, ...]] = ()
    exclude: ClassVar[tuple[str, ...]] = ()  # a match anywhere in the sentence vetoes it
    whole_turn_exclude: ClassVar[tuple[str, ...]] = ()  # a match anywhere in the turn vetoes the turn
    threshold: ClassVar[float] = 0.5

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.name and "label" not in cls.__dict__:
            cls.label = cls.name
        if cls.label and "labels" not in cls.__dict__:
            cls.labels = (cls.label,)

    def accept(self, ctx: Context, turn: int, sentence: int, text: str, score: float) -> float:
        """Adjust (or veto with 0) a match's score from the dialogue; default: keep it."""
        return score

    def analyze(self, ctx: Context) -> list[Tag]:
        f = ctx.features
        tags: list[Tag] = []
        pats = [(p, p.compiled()) for p in self.patterns]
        excl = [_compile(x) for x in self.exclude]
        texcl = [_compile(x) for x in self.whole_turn_exclude]
        for j, role in enumerate(f.roles):
            if role not in self.roles:
                continue
            sents = sentence_texts(ctx, j)
            if texcl and any(x.search(" ".join(t for _, t in sents)) for x in texcl):
                continue
            for i, t in sents:
                if any(x.search(t) for x in excl):
                    continue
                best: tuple[float, str] | None = None
                for p, rx in pats:
                    m = rx.search(t)
                    if not m:
                        continue
                    score = self.accept(ctx, j, i, t, p.score)
                    if score >= self.threshold and (best is None or score > best[0]):
                        best = (score, f"{p.why + ': ' if p.why else ''}'{m.group(0).strip()}'")
                if best:
                    s = f.flat[i]
                    tags.append(Tag(self.label, best[0], j, (s.start, s.end), best[1]))
        return tags
