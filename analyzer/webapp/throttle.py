"""Sign-in throttling: failed sign-ins make the next try wait, per account and per client.

After ``FREE`` failures in a row an account must wait 1 s before the next try, then 2, 4, 8 …
up to ``MAX_WAIT_S`` (15 minutes); a client (its address; every connection from this machine is
one client) gets ``CLIENT_FREE`` failures, across any accounts, before the same doubling. A try made while waiting is refused without checking
the password, so the right password then does not get in either. A success clears the account's
count; the client's count fades out (it is forgotten ``FORGET_S`` after its last failure), so
one valid account does not reset a client that is guessing others. Counts live in the app's
process (one Streamlit server); every failure and refusal is written to the store's audit log.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

FREE = 3
CLIENT_FREE = 10
MAX_WAIT_S = 900.0
FORGET_S = 3600.0
MAX_KEYS = 10_000  # an attacker inventing user names cannot grow this without bound


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0


def delay(failures: int, free: int) -> float:
    """Seconds to wait after ``failures`` failures in a row."""
    if failures < free:
        return 0.0
    return min(MAX_WAIT_S, 2.0 ** (failures - free))


class SignInThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(account: str, client: str | None) -> list[tuple[str, int]]:
        keys = [("account:" + (account or "").strip().casefold(), FREE)]
        if client:
            keys.append(("client:" + client, CLIENT_FREE))
        return keys

    def _get(self, key: str, now: float) -> _Count:
        c = self._counts.get(key)
        if c is not None and now - c.last > FORGET_S:
            c = None
            del self._counts[key]
        return c or _Count()

    def wait_s(self, account: str, client: str | None) -> float:
        """How long this try must still wait (0: it may be checked now)."""
        now = self._clock()
        with self._lock:
            waits = []
            for key, free in self._keys(account, client):
                c = self._get(key, now)
                waits.append(max(0.0, c.last + delay(c.failures, free) - now))
            return max(waits)

    def failed(self, account: str, client: str | None) -> float:
        """Count a failure; returns the wait before the next try."""
        now = self._clock()
        with self._lock:
            if len(self._counts) >= MAX_KEYS:
                for key in sorted(self._counts, key=lambda k: self._counts[k].last)[: MAX_KEYS // 10]:
                    del self._counts[key]
            waits = []
            for key, free in self._keys(account, client):
                c = self._get(key, now)
                c.failures, c.last = c.failures + 1, now
                self._counts[key] = c
                waits.append(delay(c.failures, free))
            return max(waits)

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._counts.pop(self._keys(account, None)[0][0], None)


THROTTLE = SignInThrottle()  # one per app process: every browser session shares it


def audit_refused(store, username: str, detail: str) -> None:
    """Write a refused try to the store's audit log, as the store writes a wrong password."""
    from sqlalchemy import select

    from ..store.audit import record
    from ..store.models import UserRow

    name = (username or "").strip()[:80]
    with store._tx() as s:
        row = s.scalar(select(UserRow).where(UserRow.username == name))
        record(s, row, "user.login_failed", detail=detail[:200], username=name)
