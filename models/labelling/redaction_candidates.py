"""Show the lines of ACI-Bench dialogues that may hold an identifier, for labelling by hand.

Deliberately over-inclusive and independent of analyzer/privacy's recognizers: a line is shown
if it has a word outside the English word list, a word that appears capitalised (as a proper
noun) in the encounter's clinical note, a word after a title (mr, dr, nurse...), any month,
weekday, holiday, ordinal, 4-digit number, numeric date, long number, street or place word.
Every line shown was read and its identifiers written down by hand in redaction_testset.jsonl;
the finder only decides which lines a person reads (see README.md for the check of the rest).

    python models/labelling/redaction_candidates.py --split test > /tmp/candidates.txt
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "aci_bench"
DEV_TRAIN = 30  # train.csv rows [0, 30) are the development set; the rest and valid.csv are the test set
WORDS = Path("/usr/share/dict/american-english")
DATEISH = re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|"
                     r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|christmas|thanksgiving|easter|"
                     r"halloween|birthday|holiday|\d+(?:st|nd|rd|th)|\d{4}|\d+[/-]\d+|nineteen|twenty[- ]\w+)\b")
PLACEISH = re.compile(r"\b(?:street|avenue|road|drive|lane|boulevard|highway|county|city|town|hospital|clinic|center|"
                      r"school|university|college|church|park|lake|mount|beach|zip|address|phone|email|"
                      r"\d{5,}|@)\b")
TITLES = {"mr", "mrs", "ms", "miss", "dr", "doctor", "nurse", "professor"}
# Speech fillers and clipped words that are not in the word list but never a name.
FILLERS = set("okay ok yeah yep hmm hmmm mm mhm uh um huh alright gon na wan ta wo lem gotta wow y'all ca "
              "i you he she we they it and so no yes well all that how the a an is are to of in on".split())


def split_rows(split: str) -> list[dict]:
    csv.field_size_limit(10**9)
    train = list(csv.DictReader(open(DATA / "train.csv", newline="", encoding="utf-8")))
    valid = list(csv.DictReader(open(DATA / "valid.csv", newline="", encoding="utf-8")))
    for r in train:
        r["file"] = "train.csv"
    for r in valid:
        r["file"] = "valid.csv"
    return train[:DEV_TRAIN] if split == "dev" else train[DEV_TRAIN:] + valid


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", choices=["dev", "test"], default="test")
    args = ap.parse_args()
    common = {w for w in WORDS.read_text().split() if w[:1].islower()}
    census = {w.capitalize().lower() for w in WORDS.read_text().split() if w[:1].isupper() and w.isalpha()}
    for r in split_rows(args.split):
        # Words the note capitalises mid-sentence: proper nouns (names, places) of this encounter.
        caps = {w.lower() for w in re.findall(r"(?<=[a-z,] )([A-Z][a-z]+)\b", r["note"])}
        proper = {w for w in caps if w not in common or w in census}
        print(f"=== {r['encounter_id']} ({r['file']})")
        for i, line in enumerate(r["dialogue"].split("\n")):
            toks = re.findall(r"[a-z']+", re.sub(r"^\s*\[\w+\]", "", line.lower()))
            marks = set()
            for k, t in enumerate(toks):
                if t in FILLERS or "'" in t:
                    continue
                if (t.isalpha() and t not in common) or t in proper or (k and toks[k - 1] in TITLES):
                    marks.add(t)
            marks |= set(DATEISH.findall(line.lower())) | set(PLACEISH.findall(line.lower()))
            if marks:
                print(f"{i:3d} {line}\n     << {', '.join(sorted(marks))}")


if __name__ == "__main__":
    sys.exit(main())
