"""Accounts: create, sign in, the local single user; and administration for whoever runs the
clinic's copy (``visit-analyzer users``): set a password, remove an account. Administration is not
reachable from the app: having the data folder (or the database URL) is the administrator's
credential."""
from __future__ import annotations

from sqlalchemy import func, select

from .audit import record
from .db import purge_deleted
from .models import CommentRow, CorrectionRow, ShareRow, UserRow, VisitRow
from .passwords import hash_password, verify_password
from .records import ROLES, User

LOCAL_USERNAME = "local"


def _user(r: UserRow) -> User:
    return User(id=r.id, username=r.username, role=r.role, is_local=r.is_local, keep_audio=r.keep_audio)


class AccountsMixin:
    # ------------------------------------------------------------------ users

    def create_user(self, username: str, password: str | None, role: str) -> User:
        username = (username or "").strip()
        if not username or len(username) > 80:
            raise ValueError("a username needs 1 to 80 characters")
        if role not in ROLES:
            raise ValueError(f"role {role!r}: expected one of {', '.join(ROLES)}")
        hashed = hash_password(password) if password is not None else None
        with self._tx() as s:
            if s.scalar(select(UserRow).where(UserRow.username == username)):
                raise ValueError(f"user {username!r} exists already")
            row = UserRow(username=username, role=role, password_hash=hashed, is_local=password is None)
            s.add(row)
            s.flush()
            return _user(row)

    def authenticate(self, username: str, password: str) -> User | None:
        with self._tx() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == (username or "").strip()))
            if not verify_password(row.password_hash if row else None, password or ""):
                record(s, row, "user.login_failed", username=(username or "").strip())
                return None
            record(s, row, "user.login")
            return _user(row)

    def local_user(self) -> User:
        """Single-user mode: one clinician without a password (someone alone on a laptop)."""
        with self._tx() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == LOCAL_USERNAME))
            if row is None:
                row = UserRow(username=LOCAL_USERNAME, role="clinician", password_hash=None, is_local=True)
                s.add(row)
                s.flush()
            return _user(row)

    def get_user(self, username: str) -> User | None:
        with self._tx() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            return _user(row) if row else None

    def users(self, role: str | None = None) -> list[User]:
        with self._tx() as s:
            q = select(UserRow).order_by(UserRow.username)
            if role:
                q = q.where(UserRow.role == role)
            return [_user(r) for r in s.scalars(q)]

    def set_audio_retention(self, user: User, keep_audio: bool) -> User:
        """keep_audio=False: each recording is deleted as soon as its analysis is stored."""
        with self._tx() as s:
            row = self._user_row(s, user)
            row.keep_audio = bool(keep_audio)
            return _user(row)

    # ------------------------------------------------------------------ administration

    def count_users(self, include_local: bool = False) -> int:
        with self._tx() as s:
            q = select(func.count(UserRow.id))
            if not include_local:
                q = q.where(UserRow.is_local.is_(False))
            return int(s.scalar(q) or 0)

    def user_holdings(self, username: str) -> dict[str, int]:
        """What an account owns or wrote: visits, shares received, comments, corrections."""
        with self._tx() as s:
            row = self._named(s, username)
            n = lambda q: int(s.scalar(q) or 0)  # noqa: E731
            return {"visits": n(select(func.count(VisitRow.id)).where(VisitRow.owner_id == row.id)),
                    "shared_with_them": n(select(func.count(ShareRow.id)).where(ShareRow.coach_id == row.id)),
                    "comments": n(select(func.count(CommentRow.id)).where(CommentRow.author_id == row.id)),
                    "corrections": n(select(func.count(CorrectionRow.id)).where(CorrectionRow.author_id == row.id))}

    def set_password(self, username: str, password: str) -> None:
        hashed = hash_password(password)  # refuses short passwords before touching the database
        with self._tx() as s:
            row = self._named(s, username)
            if row.is_local:
                raise ValueError(f"{username!r} is the local single-user account; it has no password")
            row.password_hash = hashed
            record(s, row, "user.password")

    def remove_user(self, username: str, delete_data: bool = False) -> dict[str, int]:
        """Remove an account. Refused while it owns visits or wrote comments/corrections, unless
        ``delete_data``: then its visits (with their recordings) and everything it wrote go too.
        Shares it received always go (a removed coach sees nothing). Returns what was removed."""
        held = self.user_holdings(username)
        if not delete_data and (held["visits"] or held["comments"] or held["corrections"]):
            parts = [f"{v} {k}" for k, v in held.items() if v and k != "shared_with_them"]
            raise ValueError(f"{username!r} still has {', '.join(parts)}; remove them too with --delete-data "
                             "(visits are deleted with their recordings), or keep the account")
        with self._tx() as s:
            row = self._named(s, username)
            media = [(v.media_sha256, v.media_ext) for v in s.scalars(select(VisitRow).where(VisitRow.owner_id == row.id))]
            record(s, None, "user.remove", detail=f"{row.role} {row.username}", username="admin")
            for v in s.scalars(select(VisitRow).where(VisitRow.owner_id == row.id)):
                s.delete(v)  # transcript, analysis, comments, corrections, shares, jobs cascade
            for model in (ShareRow, CommentRow, CorrectionRow):
                col = ShareRow.coach_id if model is ShareRow else model.author_id
                for r in s.scalars(select(model).where(col == row.id)):
                    s.delete(r)
            s.delete(row)
        purge_deleted(self.engine)
        for sha, ext in media:
            self._drop_audio_if_unused(sha, ext)
        return held

    def _named(self, s, username: str) -> UserRow:
        row = s.scalar(select(UserRow).where(UserRow.username == (username or "").strip()))
        if row is None:
            raise LookupError(f"no account named {username!r}")
        return row
