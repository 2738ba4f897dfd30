"""Role-assignment benchmark: hide the speaker labels of real dialogues, assign roles, compare.

  python benchmarks/roles.py            # PriMock57, ACI-Bench, AnnoMI from ../shared/data

A visit counts as right when both the clinician and the patient are found. Also prints the
mean confidence of right and wrong calls (a useful confidence is high when right, low when wrong).
"""
from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from analyzer.model import Speaker, Transcript, Utterance  # noqa: E402
from analyzer.roles import assign_roles  # noqa: E402


def anonymise(t: Transcript) -> tuple[Transcript, dict[str, str]]:
    """Same utterances, speakers renamed A, B, ... with no role: what audio gives us."""
    names: dict[str, str] = {}
    truth: dict[str, str] = {}
    utts = []
    for u in t.utterances:
        sid = names.setdefault(u.speaker, "ABCDEFGH"[len(names)])
        truth[sid] = u.role
        utts.append(Utterance(speaker=sid, text=u.text, start=u.start, end=u.end))
    anon = Transcript(utterances=utts)
    anon.speakers = {sid: Speaker(sid) for sid in truth}
    return anon, truth


def primock() -> list[tuple[str, Transcript]]:
    from analyzer.importers import load_transcript

    out = []
    for doc in sorted((SHARED / "primock57" / "transcripts").glob("*_doctor.TextGrid")):
        out.append((doc.stem.replace("_doctor", ""), load_transcript(doc)))
    return out


def aci() -> list[tuple[str, Transcript]]:
    out = []
    for split in ("train", "valid"):
        f = SHARED / "aci_bench" / f"{split}.csv"
        if not f.exists():
            continue
        for row in csv.DictReader(open(f, encoding="utf-8")):
            utts = []
            for line in row["dialogue"].splitlines():
                line = line.strip()
                if line.startswith("[doctor]"):
                    utts.append(Utterance("doctor", line[8:].strip(), role="clinician"))
                elif line.startswith("[patient]"):
                    utts.append(Utterance("patient", line[9:].strip(), role="patient"))
                elif utts and line:
                    utts[-1].text += " " + line
            if utts:
                out.append((f"{split}-{row['encounter_id']}", Transcript(utterances=utts)))
    return out


def annomi() -> list[tuple[str, Transcript]]:
    f = SHARED / "annomi" / "annomi_dev.csv"
    by_id: dict[tuple[str, str], list[Utterance]] = defaultdict(list)
    for row in csv.DictReader(open(f, encoding="utf-8")):
        role = "clinician" if row["interlocutor"] == "therapist" else "patient"
        by_id[(row["transcript_id"], row["annotator_id"])].append(
            (int(row["utterance_id"]), Utterance(row["interlocutor"], row["utterance_text"], role=role)))
    seen, out = set(), []
    for (tid, _), rows in sorted(by_id.items()):
        if tid in seen:
            continue
        seen.add(tid)
        out.append((f"annomi-{tid}", Transcript(utterances=[u for _, u in sorted(rows, key=lambda r: r[0])])))
    return out


def evaluate(name: str, visits: list[tuple[str, Transcript]]) -> dict:
    right, conf_right, conf_wrong, wrong_ids = 0, [], [], []
    for vid, t in visits:
        anon, truth = anonymise(t)
        if len(truth) < 2:
            continue
        assign_roles(anon)
        got = {sid: sp.role for sid, sp in anon.speakers.items()}
        clin = [s for s, r in got.items() if r == "clinician"]
        conf = anon.speakers[clin[0]].role_confidence if clin else 0.0
        ok = all(got[s] == truth[s] for s in truth if truth[s] in ("clinician", "patient"))
        right += ok
        (conf_right if ok else conf_wrong).append(conf)
        if not ok:
            wrong_ids.append(vid)
    n = len(conf_right) + len(conf_wrong)
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    res = {"set": name, "visits": n, "accuracy": right / n if n else float("nan"),
           "conf_right": mean(conf_right), "conf_wrong": mean(conf_wrong), "wrong": wrong_ids[:10]}
    print(f"{name:10} visits {n:4d}  both roles right {100 * res['accuracy']:5.1f} %  "
          f"mean confidence right {res['conf_right']:.2f} / wrong {res['conf_wrong']:.2f}  "
          f"{'wrong: ' + ', '.join(res['wrong']) if res['wrong'] else ''}")
    return res


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    for name, loader in (("PriMock57", primock), ("ACI-Bench", aci), ("AnnoMI", annomi)):
        try:
            visits = loader()
        except FileNotFoundError as e:
            print(f"{name}: skipped ({e})")
            continue
        evaluate(name, visits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
