"""The recognizer interface (after Presidio's recognizers): each behaviour is a small class
in ``analyzer/tagging/recognizers/``; adding a behaviour is adding a file there.

A recognizer reads a ``Context`` (the dialogue's sentences, embeddings, features and what
earlier recognizers found) and returns ``Tag`` objects: a label, a score in [0, 1], the
sentence span it came from and *why* it fired (the cue phrase or the model score), so a coach
can judge it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

CLINICIAN_LABELS = (
    "question.open", "question.closed", "reflection.simple", "reflection.complex", "empathy", "affirmation",
    "partnership", "agenda", "information", "advice", "dismissal",
)
PATIENT_LABELS = ("emotional_cue",)
MAIN = ("question", "reflection", "input", "other")


@dataclass
class Tag:
    label: str
    score: float
    turn: int  # utterance index in the transcript
    span: tuple[int, int]  # character offsets in the utterance text
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(float(self.score), 3), "why": self.why,
                "span": [int(self.span[0]), int(self.span[1])]}


@dataclass
class Context:
    """One dialogue, as every recognizer sees it."""
    features: Any  # features.DialogueFeatures
    heads: Any  # heads.Heads (trained classifiers), or None for rule-only use
    # Sentence-level scores written by model recognizers for later ones: name -> array over sentences
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    tags: list[Tag] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def roles(self) -> list[str]:
        return self.features.roles

    def sentences_of(self, role: str) -> np.ndarray:
        f = self.features
        return np.array([i for i, j in enumerate(f.sent_turn) if f.roles[j] == role], dtype=np.int64)

    def tagged(self, turn: int, label: str) -> Tag | None:
        return next((t for t in self.tags if t.turn == turn and t.label == label), None)


class Recognizer:
    """One behaviour (or a family of labels). Subclasses set the class attributes and analyze()."""

    name: ClassVar[str] = ""
    labels: ClassVar[tuple[str, ...]] = ()
    roles: ClassVar[tuple[str, ...]] = ("clinician",)
    order: ClassVar[int] = 50  # run order: model recognizers (10-30) before the rules that read them

    def analyze(self, ctx: Context) -> list[Tag]:
        raise NotImplementedError


REGISTRY: dict[str, type[Recognizer]] = {}


def register(cls: type[Recognizer]) -> type[Recognizer]:
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    REGISTRY[cls.name] = cls
    return cls
