"""Password hashing with argon2id (argon2-cffi, its RFC 9106 low-memory profile)."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id, 64 MiB, t=3, p=4: the library's vetted defaults
# A fixed hash so an unknown user costs the same time as a wrong password (no user probing).
_DUMMY = _HASHER.hash("not a real password")


def hash_password(password: str) -> str:
    if not password or len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
