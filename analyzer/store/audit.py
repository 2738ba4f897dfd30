"""The access log: one row per view, audio access, share, revoke, export, delete and sign-in,
written in the same transaction as the action it records."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .models import AuditRow, UserRow, VisitRow, utcnow
from .records import User

ACTIONS = ("visit.create", "visit.view", "audio.open", "visit.share", "visit.revoke", "visit.delete",
           "corrections.export", "user.login", "user.login_failed", "user.password",
           "user.remove")


REPEAT_S = 600  # a view or audio access repeated within 10 minutes (an app re-rendering) is logged once


def record(s: Session, who: UserRow | None, action: str, visit: VisitRow | None = None, detail: str | None = None,
           username: str | None = None) -> None:
    assert action in ACTIONS, action
    if action in ("visit.view", "audio.open") and who is not None and visit is not None:
        last = s.scalar(select(AuditRow.at).where(AuditRow.user_id == who.id, AuditRow.action == action,
                                                  AuditRow.visit_id == visit.id).order_by(AuditRow.id.desc()).limit(1))
        if last is not None and (utcnow() - last).total_seconds() < REPEAT_S:
            return
    s.add(AuditRow(user_id=who.id if who else None, username=(who.username if who else username or "?")[:80],
                   action=action, visit_id=visit.id if visit else None, owner_id=visit.owner_id if visit else None,
                   detail=(detail or None) and detail[:200]))


class AuditMixin:
    def audit_log(self, user: User, limit: int = 500) -> list[dict]:
        """Newest first: a clinician's own actions and everything done to their visits (by a coach,
        too); a coach's own actions."""
        with self._tx() as s:
            urow = self._user_row(s, user)
            cond = AuditRow.user_id == urow.id
            if urow.role == "clinician":
                cond = or_(cond, AuditRow.owner_id == urow.id)
            rows = s.scalars(select(AuditRow).where(cond).order_by(AuditRow.id.desc()).limit(limit))
            return [{"at": r.at.isoformat(), "user": r.username, "action": r.action, "visit": r.visit_id,
                     "detail": r.detail} for r in rows]
