"""Progress for long steps, shown by the CLI (tqdm) or the app (its own bar).

Stages call ``progress.stage(name)`` and then ``update(fraction)``; what is drawn is the
front end's business, so the library never prints.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator


class Progress:
    """No-op base: subclasses draw. ``stage`` yields an update(fraction 0..1) callback."""

    @contextmanager
    def stage(self, name: str) -> Iterator[Callable[[float], None]]:
        yield lambda fraction: None


class CallbackProgress(Progress):
    """Forwards (stage, fraction) to one function: the app's bar, a test's recorder."""

    def __init__(self, fn: Callable[[str, float], None]):
        self.fn = fn

    @contextmanager
    def stage(self, name: str) -> Iterator[Callable[[float], None]]:
        self.fn(name, 0.0)
        yield lambda fraction: self.fn(name, max(0.0, min(1.0, fraction)))
        self.fn(name, 1.0)


class TqdmProgress(Progress):
    """One bar per stage on stderr, in percent of the stage."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    @contextmanager
    def stage(self, name: str) -> Iterator[Callable[[float], None]]:
        if not self.enabled:
            yield lambda fraction: None
            return
        from tqdm import tqdm

        bar = tqdm(total=100, desc=f"{name:<22}", unit="%", file=sys.stderr, leave=True,
                   bar_format="{desc} {bar} {percentage:3.0f}% [{elapsed}<{remaining}]")
        done = [0]

        def update(fraction: float) -> None:
            n = int(max(0.0, min(1.0, fraction)) * 100)
            if n > done[0]:
                bar.update(n - done[0])
                done[0] = n

        try:
            yield update
            update(1.0)
        finally:
            bar.close()
