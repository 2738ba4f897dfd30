"""Errors a user can act on. The CLI prints them as one line and exits with code 2."""
from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input: unreadable, empty, silent, too long, unsupported, malformed.

    The message names the file and the reason in plain words.
    """

    def __init__(self, path: str | Path | None, reason: str):
        self.path = str(path) if path is not None else None
        self.reason = reason
        super().__init__(f"{self.path}: {reason}" if self.path else reason)


class ModelError(Exception):
    """Speech model weights missing, incomplete or altered."""
