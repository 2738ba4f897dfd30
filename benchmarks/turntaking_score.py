"""Scoring for benchmarks/turntaking.py: event matching, per-file rows, summaries, printing."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analyzer.model import Transcript

TOLERANCE = 1.0  # s, onset match window


def match(ref: list[dict], hyp: list[dict], tol: float = TOLERANCE) -> list[tuple[dict, dict]]:
    """One-to-one matches, same ``by`` within ``tol`` s, closest pairs first."""
    pairs = sorted(((abs(r["at"] - h["at"]), i, j) for i, r in enumerate(ref) for j, h in enumerate(hyp)
                    if r["by"] == h["by"] and abs(r["at"] - h["at"]) <= tol + 1e-9))
    used_r, used_h, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_r and j not in used_h:
            used_r.add(i)
            used_h.add(j)
            out.append((ref[i], hyp[j]))
    return out


def prf(tp: int, nref: int, nhyp: int) -> tuple[float | None, float | None, float | None]:
    p = tp / nhyp if nhyp else None
    r = tp / nref if nref else None
    f = 2 * tp / (nref + nhyp) if (nref + nhyp) else None
    return p, r, f


def first_int_of_patient(events: list[dict]) -> float | None:
    return next((e["at"] for e in events if e["type"] == "interruption" and e["of"] == "patient"), None)


@dataclass
class Row:
    name: str
    mode: str
    minutes: float
    voices: str
    roles_ok: bool
    ref_int: int
    hyp_int: int
    tp_int: int
    ref_bc: int
    hyp_bc: int
    tp_bc: int
    ref_share: float | None
    hyp_share: float | None
    ref_first: float | None
    hyp_first: float | None
    seconds: float
    misses: list = field(default_factory=list)
    false_alarms: list = field(default_factory=list)
    evidence: dict = field(default_factory=dict)


def score(name: str, mode: str, minutes: float, voices: str, ref_t: Transcript, ref_ev: list[dict],
          ref_m: dict, hyp_t: Transcript, seconds: float) -> Row:
    hyp_ev, hyp_m = [e.to_dict() for e in hyp_t.events], hyp_t.metrics.to_dict()
    ri = [e for e in ref_ev if e["type"] == "interruption"]
    hi = [e for e in hyp_ev if e["type"] == "interruption"]
    rb = [e for e in ref_ev if e["type"] == "backchannel"]
    hb = [e for e in hyp_ev if e["type"] == "backchannel"]
    mi = match(ri, hi)
    mb = match(rb, hb)
    roles = sorted(sp.role for sp in hyp_t.speakers.values())
    # Roles are right when the clinician's voice (channel 0 / most of the doctor's words) is the clinician.
    roles_ok = _roles_ok(ref_t, hyp_t)
    matched_r = {id(r) for r, _ in mi}
    matched_h = {id(h) for _, h in mi}
    ev = {}
    for e in hi:
        ev[e.get("evidence", "?")] = ev.get(e.get("evidence", "?"), 0) + 1
    return Row(
        name, mode, minutes, voices, roles_ok and "clinician" in roles and "patient" in roles,
        len(ri), len(hi), len(mi), len(rb), len(hb), len(mb),
        (ref_m.get("talk_share") or {}).get("patient"), (hyp_m.get("talk_share") or {}).get("patient"),
        first_int_of_patient(ref_ev), first_int_of_patient(hyp_ev), seconds,
        misses=[_brief(e) for e in ri if id(e) not in matched_r],
        false_alarms=[_brief(e) for e in hi if id(e) not in matched_h],
        evidence=ev,
    )


def _brief(e: dict) -> dict:
    return {k: e.get(k) for k in ("at", "by", "of", "of_remaining_s", "of_remaining_words", "evidence", "text")}


def _roles_ok(ref_t: Transcript, hyp_t: Transcript) -> bool:
    """Compare the hypothesis role of each reference speaker's speech time by time overlap."""
    ok, total = 0.0, 0.0
    hyp = [(u.start, u.end, u.role) for u in hyp_t.utterances if u.start is not None]
    for u in ref_t.utterances:
        for s, e, role in hyp:
            ov = min(u.end, e) - max(u.start, s)
            if ov > 0:
                total += ov
                ok += ov * (role == u.role)
    return total > 0 and ok / total >= 0.5


def summarize(rows: list[Row]) -> dict:
    ti, ri, hi = sum(r.tp_int for r in rows), sum(r.ref_int for r in rows), sum(r.hyp_int for r in rows)
    tb, rb, hb = sum(r.tp_bc for r in rows), sum(r.ref_bc for r in rows), sum(r.hyp_bc for r in rows)
    p, r_, f = prf(ti, ri, hi)
    bp, br, bf = prf(tb, rb, hb)
    share_err = [abs(r.hyp_share - r.ref_share) * 100 for r in rows if r.ref_share is not None and r.hyp_share is not None]
    first_err = [abs(r.hyp_first - r.ref_first) for r in rows if r.ref_first is not None and r.hyp_first is not None]
    first_missing = sum(1 for r in rows if (r.ref_first is None) != (r.hyp_first is None))
    return {
        "files": len(rows), "audio_minutes": sum(r.minutes for r in rows),
        "interruptions": {"ref": ri, "hyp": hi, "tp": ti, "precision": p, "recall": r_, "f1": f},
        "backchannels": {"ref": rb, "hyp": hb, "tp": tb, "precision": bp, "recall": br, "f1": bf},
        "talk_share_error_pp": {"mean": float(np.mean(share_err)) if share_err else None,
                                "max": float(np.max(share_err)) if share_err else None},
        "first_interruption_error_s": {"mean": float(np.mean(first_err)) if first_err else None,
                                       "median": float(np.median(first_err)) if first_err else None,
                                       "n": len(first_err), "one_side_missing": first_missing},
        "roles_ok": sum(r.roles_ok for r in rows),
        "seconds": sum(r.seconds for r in rows),
    }


def _f(x, fmt="{:.2f}", none="-"):
    return none if x is None else fmt.format(x)


def print_rows(mode: str, rows: list[Row], s: dict, verbose: bool) -> None:
    print(f"\n== {mode}")
    print(f"{'consultation':22s} {'min':>4s} {'voices':17s} {'roles':5s} {'int ref/hyp/tp':>14s} "
          f"{'bc ref/hyp/tp':>13s} {'share ref/hyp':>13s} {'1st int ref/hyp':>15s} {'s':>5s}")
    for r in rows:
        print(f"{r.name[:22]:22s} {r.minutes:4.1f} {r.voices:17s} {'ok' if r.roles_ok else 'WRONG':5s} "
              f"{r.ref_int:4d}/{r.hyp_int:3d}/{r.tp_int:3d}   {r.ref_bc:4d}/{r.hyp_bc:3d}/{r.tp_bc:3d} "
              f"  {_f(r.ref_share, '{:.3f}')}/{_f(r.hyp_share, '{:.3f}')} "
              f"{_f(r.ref_first, '{:7.1f}'):>7s}/{_f(r.hyp_first, '{:.1f}'):<7s} {r.seconds:5.0f}")
        if verbose:
            for e in r.misses:
                print(f"      miss   {e}")
            for e in r.false_alarms:
                print(f"      extra  {e}")
    i, b = s["interruptions"], s["backchannels"]
    print(f"{mode}: interruptions P {_f(i['precision'])} R {_f(i['recall'])} F1 {_f(i['f1'])} "
          f"(ref {i['ref']}, hyp {i['hyp']}, matched {i['tp']}) | backchannels P {_f(b['precision'])} "
          f"R {_f(b['recall'])} F1 {_f(b['f1'])} (ref {b['ref']}, hyp {b['hyp']}) | talk-share error "
          f"mean {_f(s['talk_share_error_pp']['mean'], '{:.1f}')} pp, max {_f(s['talk_share_error_pp']['max'], '{:.1f}')} pp"
          f" | first interruption of the patient: error median {_f(s['first_interruption_error_s']['median'], '{:.1f}')} s"
          f", mean {_f(s['first_interruption_error_s']['mean'], '{:.1f}')} s over {s['first_interruption_error_s']['n']}, "
          f"found on one side only {s['first_interruption_error_s']['one_side_missing']} | roles right "
          f"{s['roles_ok']}/{s['files']} | {s['audio_minutes']:.1f} min audio in {s['seconds']:.0f} s")
