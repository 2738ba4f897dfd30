"""Word lists the name recognizer uses, loaded once.

- First and last names: the US Census 1990 name frequency lists shipped by the ``names`` package
  (MIT; 5,494 first names, 88,799 last names ranked by frequency).
- Common English words: Debian's ``wamerican`` word list (/usr/share/dict/american-english); a
  name that is also an ordinary lower-case word ("will", "may", "hope", "baker") needs context.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)
WORDS_FILES = (Path("/usr/share/dict/american-english"), Path("/usr/share/dict/words"))
LAST_NAME_RANK = 40000  # rarer surnames are mostly spelling variants and noise words

# Ordinary words (mostly medical or conversational) that the Census lists hold as names but
# the dictionary lacks; never a name without context.
NOT_NAMES = frozenset("""
ok okay yeah yep nope uh um hmm mm mhm huh ah oh alright gonna wanna kinda dax dragon hey na gon wan ta gotta
tylenol advil motrin aleve lasix coumadin flonase zyrtec claritin benadryl prilosec nexium
covid ekg mri ct ent ob gyn pt bp hr iv er icu pcp mg ml cc ast alt bun tsh psa inr cbc bmp
""".split())

# Surnames that name a disease, sign or test (eponyms): a name only after a title or greeting.
EPONYMS = frozenset("""
cushing parkinson crohn hashimoto alzheimer addison graves raynaud sjogren tourette lyme bell huntington
achilles baker colles lisfranc homan homans murphy mcmurray lachman tinel phalen doppler babinski romberg
kernig brudzinski osgood schlatter barrett wilson hodgkin kaposi bell's marfan gilbert reiter guillain barre
apley finkelstein hawkins neer spurling thompson trendelenburg valsalva heimlich foley holter epley dix hallpike
clark breslow gleason apgar glasgow
""".split())


def _read_census(name: str, limit: int | None = None) -> set[str]:
    out = set()
    text = resources.files("names").joinpath(name).read_text(encoding="ascii", errors="ignore")
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if limit is not None and len(parts) >= 4 and parts[3].isdigit() and int(parts[3]) > limit:
            break
        out.add(parts[0].lower())
    return out


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    return frozenset((_read_census("dist.male.first") | _read_census("dist.female.first")) - NOT_NAMES)


@lru_cache(maxsize=1)
def last_names() -> frozenset[str]:
    return frozenset(_read_census("dist.all.last", LAST_NAME_RANK) - NOT_NAMES)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-case dictionary words (capitalised entries are proper nouns, so not included)."""
    for f in WORDS_FILES:
        if f.exists():
            words = {w.strip() for w in f.read_text(encoding="utf-8", errors="ignore").splitlines()}
            return frozenset(w.split("'")[0] for w in words if w and w[0].islower()) | NOT_NAMES
    log.warning("no English word list (apt-get install wamerican): every Census name counts as a name")
    return NOT_NAMES
