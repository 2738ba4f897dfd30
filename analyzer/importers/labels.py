"""Speaker labels -> roles, and recognising a speaker label at the start of a line.

Roles come from words in the label (case-insensitive):
- any family/companion/interpreter word -> ``other`` ("Patient's mother" is the mother)
- else any clinician word -> ``clinician`` ("Dr Smith", "Nurse Jones", "GP")
- else any patient word -> ``patient`` ("Patient", "Client", "Pt")
- else unrecognised -> ``other`` with confidence 0 ("Speaker 1", "John")
"""
from __future__ import annotations

import re

CLINICIAN_WORDS = frozenset("""
doctor doc dr clinician physician nurse gp provider therapist counsellor counselor consultant surgeon
practitioner md rn np hcp midwife pharmacist registrar resident psychiatrist psychologist paramedic
dentist physio physiotherapist hv
""".split())
PATIENT_WORDS = frozenset("patient pt client".split())
OTHER_WORDS = frozenset("""
mother mom mum mommy mummy father dad daddy parent parents wife husband spouse partner son daughter child kid
sister brother sibling grandmother grandfather grandma grandpa granny grandparent aunt uncle cousin niece nephew
relative family caregiver carer guardian friend interpreter translator guest companion chaperone visitor
observer
""".split())
# Title words that make a short capitalised phrase a plausible speaker name, though they give no role.
TITLE_WORDS = frozenset("mr mrs ms miss mx prof professor sir madam speaker".split())

# Sound descriptions that look like "[Name]" tags in captions but are not speakers.
NOT_SPEAKERS = frozenset("""
laughs laughing laughter laugh music applause inaudible unintelligible crosstalk silence noise cough coughs
coughing sighs sigh pause indistinct background overlapping unclear blank break end start beep phone ringing
""".split())


def _words(label: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", label.casefold()) if w]


def role_for_label(label: str) -> tuple[str, bool]:
    """(role, recognised). An unrecognised label gives ("other", False)."""
    words = _words(label)
    if any(w in OTHER_WORDS for w in words):
        return "other", True
    if any(w in CLINICIAN_WORDS for w in words):
        return "clinician", True
    if any(w in PATIENT_WORDS for w in words):
        return "patient", True
    return "other", False


def is_known_label(label: str) -> bool:
    """A label carrying a role or title word: safe to treat as a speaker even if it occurs once."""
    words = _words(label)
    return any(w in CLINICIAN_WORDS or w in PATIENT_WORDS or w in OTHER_WORDS or w in TITLE_WORDS for w in words)


# "Dr Smith", "Nurse", "Patient (Mrs Jones)", "Speaker 1", "SPEAKER_00", "O'Neil", "Jean-Luc"
_NAME = r"[^\W\d_][\w.'’\-]*(?:[ \t]+(?:[\w.'’\-]+|\((?![ \t]*\d{1,3}:)[^()\n]{1,30}\))){0,4}"
_CLOCK = r"\d{1,3}:\d{1,2}(?::\d{1,2})?(?:[.,]\d{1,3})?"

# Optional leading time, then "Name:" (optionally "Name (00:12):"), then the text.
LABEL_LINE = re.compile(
    rf"""^[ \t]*
    (?:[\[(](?P<t1>{_CLOCK})[\])][ \t]*|(?P<t0>{_CLOCK})[ \t]+(?:-[ \t]+)?)?   # [00:01:02] / (00:01) / 00:01:02
    [*_]{{0,2}}(?P<label>{_NAME})[*_]{{0,2}}                        # **Doctor**
    (?:[ \t]*[\[(](?P<t2>{_CLOCK})[\])])?                           # Doctor (00:12)
    [ \t]*[*_]{{0,2}}:[*_]{{0,2}}(?:[ \t]+|$)(?P<text>.*)$""",
    re.VERBOSE,
)
# ACI-Bench style "[doctor] text", optionally after a time.
TAG_LINE = re.compile(
    rf"""^[ \t]*(?:[\[(](?P<t1>{_CLOCK})[\])][ \t]*)?
    \[(?P<label>[^\W\d][\w .'’\-]{{0,39}})\]:?(?:[ \t]+|$)(?P<text>.*)$""",
    re.VERBOSE,
)


def plausible_label(label: str) -> bool:
    """Shape test: at most 4 words and 40 characters, not a sound description."""
    label = label.strip()
    if not label or len(label) > 40 or len(label.split()) > 4:
        return False
    return not (set(_words(label)) and set(_words(label)) <= NOT_SPEAKERS)
