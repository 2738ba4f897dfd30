"""Errors the store raises; the app shows them as one line to the user."""
from __future__ import annotations

from ..errors import InputError  # noqa: F401  (re-exported: bad input files)


class StoreError(Exception):
    """Base class for refusals by the store."""


class ConsentRequired(StoreError):
    """No consent record: a visit is never stored or processed without one."""


class AccessDenied(StoreError):
    """The user may not see or change this visit (not theirs, not shared with them)."""


class NotFound(StoreError):
    """No such visit, job or user."""
