"""Helper for building the hand-labelled medical test set (see GUIDE.md and README.md).

It never decides a label. It only
  * loads every PriMock57 consultation and ACI-Bench encounter through the project's importers,
  * ``find``: lists utterances matching a regular expression (to *find candidate stretches*
    where rare behaviours may occur; the labels are then given by a person reading the stretch),
  * ``show``: prints a stretch of consecutive turns with indices and numbered sentences,
  * ``build``: turns a human annotation file into ``medical_testset.jsonl``, copying text and
    context exactly from the source and checking that every annotated index exists.

Annotation file format (one block per stretch, written by the annotator)::

    @ primock57 day1_consultation01 0-25        # source, visit, first-last index (inclusive)
    3: empathy, question.open                   # index: labels (utterance level)
    8: 0=reflection.simple; 2=question.closed   # index: sentence number=labels; ... (sentence level)
    12: emotional_cue ?  | note text            # "?" (after any label) marks unsure; text after "|" is the note
    14: - ? | note                              # "-" = no label (only needed for an unsure/noted line)

Every clinician/patient utterance in a stretch's range goes into the set; those not listed get no
labels ("other" speakers are left out, but stay in the context). The JSONL is the maintained form
once built: edit it directly and run tests/test_labelled_set.py. Usage::

    python3 models/labelling/build_candidates.py find 'worr(y|ied)' [--source aci_bench] [--role patient]
    python3 models/labelling/build_candidates.py show primock57 day1_consultation01 0 25
    python3 models/labelling/build_candidates.py build ANNOTATIONS.txt [-o medical_testset.jsonl]
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

ALLOWED = {
    "clinician": ("question.open", "question.closed", "reflection.simple", "reflection.complex", "empathy",
                  "affirmation", "partnership", "agenda", "information", "advice", "dismissal"),
    "patient": ("emotional_cue",),
}

# Sentence ends: ., ?, ! followed by a space (ACI-Bench writes " . " with a space before the mark too).
_SENT = re.compile(r"(?<=[.?!])\s+(?=\S)")


def split_sentences(text: str) -> list[str]:
    parts = [p.strip() for p in _SENT.split(text.strip()) if p.strip()]
    # Merge fragments that are only punctuation or a lone mark (ACI-Bench "word ." -> "word" + ".")
    out: list[str] = []
    for p in parts:
        if out and re.fullmatch(r"[.?!,\s]+", p):
            out[-1] += " " + p
        else:
            out.append(p)
    return out or [text]


@lru_cache(maxsize=None)
def aci_dialogues() -> dict[str, str]:
    out = {}
    for split in ("train", "valid"):
        with open(DATA / "aci_bench" / f"{split}.csv", newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                out[row["encounter_id"]] = row["dialogue"]
    return out


@lru_cache(maxsize=None)
def load_visit(source: str, visit: str) -> list[tuple[str, str]]:
    """(role, text) for every utterance of a visit, in the importer's order."""
    from analyzer.importers import load_transcript

    if source == "primock57":
        t = load_transcript(DATA / "primock57" / "transcripts" / f"{visit}_doctor.TextGrid")
    elif source == "aci_bench":
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / f"{visit}.txt"
            p.write_text(aci_dialogues()[visit], encoding="utf-8")
            t = load_transcript(p)
    else:
        raise ValueError(source)
    return [(u.role, u.text) for u in t.utterances]


def all_visits() -> list[tuple[str, str]]:
    pm = sorted({p.name.rsplit("_", 1)[0] for p in (DATA / "primock57" / "transcripts").glob("*_doctor.TextGrid")})
    return [("primock57", v) for v in pm] + [("aci_bench", v) for v in sorted(aci_dialogues())]


def cmd_find(args) -> None:
    rx = re.compile(args.pattern, re.I)
    n = 0
    for src, visit in all_visits():
        if args.source and src != args.source:
            continue
        for i, (role, text) in enumerate(load_visit(src, visit)):
            if args.role and role != args.role:
                continue
            if rx.search(text):
                n += 1
                print(f"{src} {visit} {i} {role[0].upper()}: {text[:args.width]}")
    print(f"# {n} hits", file=sys.stderr)


def cmd_show(args) -> None:
    utts = load_visit(args.source, args.visit)
    end = min(args.end, len(utts) - 1)
    for i in range(max(0, args.start), end + 1):
        role, text = utts[i]
        sents = split_sentences(text)
        if len(sents) > 1 and role == "clinician":
            body = " ".join(f"[{k}] {s}" for k, s in enumerate(sents))
        else:
            body = text
        print(f"{i} {role[0].upper()}: {body}")


def parse_annotations(path: Path):
    blocks = []
    cur = None
    for ln_no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("@") else raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if line.startswith("@"):
            src, visit, rng = line[1:].split()
            a, b = rng.split("-")
            cur = {"source": src, "visit": visit, "start": int(a), "end": int(b), "ann": {}}
            blocks.append(cur)
            continue
        m = re.match(r"\s*(\d+)\s*:\s*(.*)$", line)
        if not m or cur is None:
            raise SystemExit(f"{path}:{ln_no}: cannot read {raw!r}")
        idx, rest = int(m.group(1)), m.group(2)
        note = None
        if "|" in rest:
            rest, note = rest.split("|", 1)
            note = note.strip()
        rest = rest.strip()
        unsure = "?" in rest  # a "?" after any label marks the utterance as unsure
        rest = rest.replace("?", "").strip()
        if idx in cur["ann"]:
            raise SystemExit(f"{path}:{ln_no}: index {idx} annotated twice")
        if not cur["start"] <= idx <= cur["end"]:
            raise SystemExit(f"{path}:{ln_no}: index {idx} outside its stretch")
        cur["ann"][idx] = {"spec": rest, "unsure": unsure, "note": note, "line": ln_no}
    return blocks


def _labels(spec: str, where: str) -> list[str]:
    if spec in ("", "-"):
        return []
    return [x.strip().rstrip("?").strip() for x in spec.split(",") if x.strip().rstrip("?").strip()]


def cmd_build(args) -> None:
    rows, seen = [], set()
    for b in parse_annotations(Path(args.annotations)):
        utts = load_visit(b["source"], b["visit"])
        if b["end"] >= len(utts):
            raise SystemExit(f"{b['visit']}: stretch ends at {b['end']} but the visit has {len(utts)} utterances")
        for i in range(b["start"], b["end"] + 1):
            role, text = utts[i]
            a = b["ann"].get(i, {"spec": "", "unsure": False, "note": None, "line": None})
            if role not in ALLOWED:
                if a["spec"] not in ("", "-"):
                    raise SystemExit(f"{b['visit']}:{i}: role {role} cannot be labelled")
                continue
            uid = f"{b['source']}:{b['visit']}:{i}"
            if uid in seen:
                raise SystemExit(f"{uid} appears in two stretches")
            seen.add(uid)
            spec = a["spec"]
            sentence_labels = None
            if re.match(r"^\d+\s*=", spec):
                sents = split_sentences(text)
                per: dict[int, list[str]] = {}
                for part in spec.split(";"):
                    k, _, labs = part.partition("=")
                    k = int(k)
                    if k >= len(sents):
                        raise SystemExit(f"{uid}: sentence {k} but only {len(sents)} sentences")
                    per[k] = _labels(labs.strip(), uid)
                sentence_labels = [{"sentence": sents[k], "labels": per[k]} for k in sorted(per)]
                labels = []
                for k in sorted(per):
                    for lab in per[k]:
                        if lab not in labels:
                            labels.append(lab)
            else:
                labels = _labels(spec, uid)
            bad = [lab for lab in labels if lab not in ALLOWED[role]]
            if bad:
                raise SystemExit(f"{uid} ({role}): labels not allowed for this role: {bad} (annotation line {a['line']})")
            ctx = [{"role": r, "text": t} for r, t in utts[max(0, i - 3):i]]
            row = {"id": uid, "source": b["source"], "visit": b["visit"], "index": i, "role": role, "text": text,
                   "context_before": ctx, "labels": labels}
            if sentence_labels:
                row["sentence_labels"] = sentence_labels
            row["unsure"] = a["unsure"]
            if a["note"]:
                row["note"] = a["note"]
            rows.append(row)
    out = Path(args.output)
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    from collections import Counter

    c = Counter(lab for r in rows for lab in r["labels"])
    print(f"{len(rows)} utterances -> {out}")
    for k, v in sorted(c.items()):
        print(f"  {k}: {v}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("find")
    p.add_argument("pattern")
    p.add_argument("--source", choices=("primock57", "aci_bench"))
    p.add_argument("--role", choices=("clinician", "patient", "other"))
    p.add_argument("--width", type=int, default=160)
    p.set_defaults(func=cmd_find)
    p = sub.add_parser("show")
    p.add_argument("source")
    p.add_argument("visit")
    p.add_argument("start", type=int)
    p.add_argument("end", type=int)
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("build")
    p.add_argument("annotations")
    p.add_argument("-o", "--output", default=str(HERE / "medical_testset.jsonl"))
    p.set_defaults(func=cmd_build)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
