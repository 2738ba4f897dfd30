"""Coach workflow: sharing, comments on moments, corrections as training data, progress over time."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from ..fileio import atomic_write_text
from .audit import record
from .errors import AccessDenied, NotFound
from .models import CommentRow, CorrectionRow, ShareRow, UserRow, VisitRow
from .records import Comment, Correction, User

CORRECTION_KINDS = ("tag", "role")
MAX_COMMENT = 5000


def _comment(r: CommentRow) -> Comment:
    return Comment(id=r.id, visit_id=r.visit_id, author=r.author.username, author_role=r.author.role,
                   utterance=r.utterance, text=r.text, created_at=r.created_at)


def _correction(r: CorrectionRow) -> Correction:
    return Correction(id=r.id, visit_id=r.visit_id, author=r.author.username, utterance=r.utterance, kind=r.kind,
                      machine=r.machine, corrected=r.corrected, speaker=r.speaker, text=r.text,
                      created_at=r.created_at)


class CoachMixin:
    # ------------------------------------------------------------------ sharing

    def share(self, user: User, visit_id: int, coach_username: str, redact: bool = True) -> None:
        """The owner shares a visit with a coach (names, dates... masked for them unless redact=False)."""
        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id, need="own")
            coach = s.scalar(select(UserRow).where(UserRow.username == coach_username))
            if coach is None or coach.role != "coach":
                raise NotFound(f"no coach {coach_username!r}")
            record(s, urow, "visit.share", v, f"with {coach.username}" + ("" if redact else ", unmasked"))
            sh = self._share(s, v.id, coach.id)
            if sh is None:
                s.add(ShareRow(visit_id=v.id, coach_id=coach.id, redact=bool(redact)))
            else:
                sh.redact = bool(redact)

    def revoke(self, user: User, visit_id: int, coach_username: str) -> bool:
        """Stop sharing; the coach's comments and corrections stay with the visit. True if a share went."""
        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id, need="own")
            coach = s.scalar(select(UserRow).where(UserRow.username == coach_username))
            sh = self._share(s, v.id, coach.id) if coach else None
            if sh is None:
                return False
            s.delete(sh)
            record(s, urow, "visit.revoke", v, f"from {coach.username}")
            return True

    # ------------------------------------------------------------------ comments

    def add_comment(self, user: User, visit_id: int, utterance: int | None, text: str) -> Comment:
        text = (text or "").strip()
        if not text:
            raise ValueError("an empty comment")
        if len(text) > MAX_COMMENT:
            raise ValueError(f"a comment of at most {MAX_COMMENT} characters")
        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id, need="comment")
            _check_utterance(v, utterance)
            row = CommentRow(visit_id=v.id, author_id=urow.id, utterance=utterance, text=text)
            s.add(row)
            s.flush()
            s.refresh(row)
            return _comment(row)

    def comments(self, user: User, visit_id: int) -> list[Comment]:
        with self._tx() as s:
            v, _ = self._visit_row(s, user, visit_id)
            rows = s.scalars(select(CommentRow).where(CommentRow.visit_id == v.id)
                             .order_by(CommentRow.utterance, CommentRow.id))
            return [_comment(r) for r in rows]

    # ------------------------------------------------------------------ corrections

    def add_correction(self, user: User, visit_id: int, utterance: int | None, kind: str, machine: str,
                       corrected: str, speaker: str | None = None) -> Correction:
        """A label beside the machine's: kind "tag" (an utterance's behaviour label) or "role"."""
        if kind not in CORRECTION_KINDS:
            raise ValueError(f"kind {kind!r}: expected one of {', '.join(CORRECTION_KINDS)}")
        machine, corrected = str(machine or "").strip(), str(corrected or "").strip()
        if not corrected or len(corrected) > 80 or len(machine) > 80:
            raise ValueError("a correction needs a label of 1 to 80 characters")
        with self._tx() as s:
            v, urow = self._visit_row(s, user, visit_id, need="comment")
            utt = _check_utterance(v, utterance)
            if kind == "role" and speaker is None and utt is not None:
                speaker = utt.get("speaker")
            row = CorrectionRow(visit_id=v.id, author_id=urow.id, utterance=utterance, kind=kind,
                                machine=machine, corrected=corrected, speaker=speaker,
                                text=(utt or {}).get("text"))
            s.add(row)
            s.flush()
            s.refresh(row)
            return _correction(row)

    def corrections(self, user: User, visit_id: int) -> list[Correction]:
        with self._tx() as s:
            v, _ = self._visit_row(s, user, visit_id)
            rows = s.scalars(select(CorrectionRow).where(CorrectionRow.visit_id == v.id).order_by(CorrectionRow.id))
            return [_correction(r) for r in rows]

    def export_corrections(self, user: User, redact: bool = True) -> list[dict]:
        """Training examples: every correction the user made or that was made on their visits, with
        the utterance text (names, dates... masked unless redact=False) and both labels."""
        with self._tx() as s:
            urow = self._user_row(s, user)
            q = select(CorrectionRow).join(VisitRow, VisitRow.id == CorrectionRow.visit_id)
            if urow.role == "coach":
                q = q.where(CorrectionRow.author_id == urow.id)
            else:
                q = q.where(VisitRow.owner_id == urow.id)
            rows = [_correction(r) for r in s.scalars(q.order_by(CorrectionRow.id))]
            record(s, urow, "corrections.export", None, f"{len(rows)} rows" + ("" if redact else ", unmasked"))
        mask = None
        if redact:
            from ..redact import redact_text

            mask = lambda t: redact_text(t)[0]  # noqa: E731
        return [{"visit": c.visit_id, "utterance": c.utterance, "speaker": c.speaker,
                 "text": (mask(c.text) if mask and c.text else c.text), "kind": c.kind,
                 "machine_label": c.machine, "label": c.corrected, "author": c.author,
                 "created_at": c.created_at.isoformat()} for c in rows]

    def export_corrections_jsonl(self, user: User, path: str | Path, redact: bool = True) -> int:
        rows = self.export_corrections(user, redact=redact)
        atomic_write_text(Path(path), "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        return len(rows)

    # ------------------------------------------------------------------ progress

    def progress(self, user: User, clinician_username: str) -> list[dict]:
        """Scorecard figures per analysed visit, oldest first: the clinician's own, or (for a coach)
        the ones shared with them. [{visit, title, date, figures: {key: {label, value, display, rating, unit}}}]"""
        from ..report import build_report

        with self._tx() as s:
            urow = self._user_row(s, user)
            clin = s.scalar(select(UserRow).where(UserRow.username == clinician_username))
            if clin is None:
                raise NotFound(f"no clinician {clinician_username!r}")
            q = select(VisitRow).where(VisitRow.owner_id == clin.id, VisitRow.analyzed_at.is_not(None))
            if urow.id != clin.id:
                if urow.role != "coach":
                    raise AccessDenied("only the clinician or their coach can see this progress")
                q = q.join(ShareRow, ShareRow.visit_id == VisitRow.id).where(ShareRow.coach_id == urow.id)
            visits = [(v.id, v.title, v.created_at, v.analysis.data) for v in
                      s.scalars(q.order_by(VisitRow.created_at, VisitRow.id)).unique() if v.analysis]
        out = []
        for vid, title, created, data in visits:
            rep = build_report(data)
            out.append({"visit": vid, "title": title, "date": created.isoformat(),
                        "figures": {f.key: {"label": f.label, "value": f.value, "display": f.display,
                                            "rating": f.rating, "unit": f.unit} for f in rep.scorecard}})
        return out


def _check_utterance(v: VisitRow, utterance: int | None) -> dict | None:
    """The utterance dict at that index, or None; ValueError for an index outside the visit."""
    if utterance is None:
        return None
    if isinstance(utterance, bool) or not isinstance(utterance, int):
        raise ValueError(f"utterance index must be an integer, not {utterance!r}")
    data = (v.analysis.data if v.analysis else None) or (v.transcript.data if v.transcript else None)
    utts = (data or {}).get("utterances") or []
    if not 0 <= utterance < len(utts):
        raise ValueError(f"utterance {utterance} is not in this visit (it has {len(utts)})")
    return utts[utterance]
