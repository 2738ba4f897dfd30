"""Words: acknowledgements, fillers, greetings, unfinished endings, opening and agenda cues."""
from __future__ import annotations

import re

from .params import BACKCHANNEL_MAX_WORDS

# Acknowledgements and minimal responses: a backchannel is made only of these (and fillers).
ACK_PHRASES = sorted([
    "mm", "mmm", "mhm", "mm-hmm", "mm-hm", "mmhmm", "hmm", "hm", "uh-huh", "uh huh", "uhhuh", "mm hmm",
    "yeah", "yea", "yes", "yep", "yup", "yah", "ya", "aye", "no", "nope", "nah",
    "ok", "okay", "okey", "right", "alright", "all right", "perfect", "sure", "great", "good", "fine",
    "cool", "lovely", "brilliant", "excellent", "wonderful", "nice", "super", "exactly", "absolutely",
    "definitely", "indeed", "certainly", "of course", "true", "fair enough", "i see", "got it", "gotcha",
    "i know", "i understand", "understood", "and", "that's right", "that's fine", "that's good", "that's true",
    "thank you", "thanks", "cheers", "sounds good", "makes sense", "oh", "ah", "aha", "ahh", "ooh",
    "oh dear", "wow", "really", "sorry", "pardon", "uh", "um", "er", "erm", "so",
], key=lambda p: -len(p.split()))
_ACK_SET = {tuple(p.split()) for p in ACK_PHRASES}
_ACK_MAXLEN = max(len(p) for p in _ACK_SET)
FILLERS = {"uh", "um", "er", "erm", "eh", "so"}
GREETINGS = {"hello", "hi", "hey", "good", "morning", "afternoon", "evening", "how", "are", "you", "doing",
             "i'm", "im", "fine", "well", "thanks", "thank", "very", "not", "too", "bad", "nice", "to",
             "meet", "see", "doctor", "dr", "and", "yourself", "great", "okay", "ok", "yes", "yeah"}
# A sentence cannot end on these words: speech that stops on one was cut off, even if the
# transcript put a full stop after it. (Speech that stops without final punctuation is
# unfinished anyway.)
CONTINUATION_WORDS = {
    "and", "but", "or", "because", "cause", "'cause", "the", "a", "an", "my", "your", "his", "her", "their", "our",
    "of", "with", "if", "than", "um", "uh", "er", "erm",
}
_SENTENCE_END = re.compile(r"[.?!]['\")\]]*$")
_UNFINISHED_END = re.compile(r"(-|—|–|\.\.\.|…)['\")\]]*$")
_MARKER = re.compile(r"^\[[^\]]*\]$")
_OK = re.compile(r"\b[Oo]\.? ?[Kk]\b\.?(?=\s|,|$)")  # "O K", "O.K." -> OK
_WORD = re.compile(r"[A-Za-z0-9]")
# The clinician inviting the patient's story / agenda (fallback when there are no agenda tags).
OPENING_CUES = re.compile(
    r"\b(how can i help|how may i help|what can i (do|help)|what brings you|what('s| has) brought you|"
    r"what('s| is) (been )?going on|what seems to be|what('s| is) the (problem|matter|trouble)|"
    r"how (are|have) you (been )?(doing|feeling|getting on)|what would you like|tell me (about|what|more)|"
    r"what('s| is) (happening|up)|how('s| is) it going|what (did|do) you (want|wish|hope) to|"
    r"what can we do|what are you here|why (are|have) you come|what made you)\b", re.I)
AGENDA_CUES = re.compile(
    r"\b(anything else|something else|what else|any other (things?|concerns?|issues?|problems?|questions?|worries)|"
    r"other (things|concerns|issues|problems) (you|that)|what would you like to (focus|talk|discuss|cover|get)|"
    r"(list|agenda)\b|on your mind|what (did|do) you (want|wish|hope) to (talk|discuss|cover|get)|"
    r"how can i help|how may i help|what can i (do|help)|what brings you|what('s| has) brought you)\b", re.I)


def norm_words(text: str) -> list[str]:
    """Lower-case words without punctuation (apostrophes and inner hyphens kept), no markers."""
    text = re.sub(r"\[[^\]]*\]", " ", _OK.sub("OK", text).lower())
    text = text.replace("’", "'")
    out = []
    for w in re.split(r"[\s,.;:!?\"()…—–]+|(?<!\w)-+|-+(?!\w)", text):
        w = w.strip("'-")
        if w and _WORD.search(w):
            out.append(w)
    return out


# Spellings ASR gives to hums and nods ("Mm-mm", "Emem", "Emendem", "Mhmm", "Mmp", "Hmph", "Uh-huh-huh", "Ahh").
_ACK_SOUND = re.compile(r"^(?:[aeiuh]*m+(?:[-aeiuhnd]*[mn]+)*[ph]*|u+h*(?:-?h+u+h+)+|a+h+a*|o+h+)$")


def is_backchannel(text: str, max_words: int = BACKCHANNEL_MAX_WORDS) -> bool:
    """At most ``max_words`` words, all acknowledgements / minimal responses (fillers allowed)."""
    ws = ["mm" if w not in FILLERS and _ACK_SOUND.match(w) else w for w in norm_words(text)]
    # The same acknowledgement said again ("yeah, yeah, yeah, yeah", or ASR looping on a hum:
    # "Emem. Emem. Emem. Emem.") is still one acknowledgement.
    ws = [w for i, w in enumerate(ws) if i == 0 or w != ws[i - 1]]
    if not ws or len(ws) > max_words or re.search(r"\[[^\]]*\]", text):
        return False
    i, acks = 0, 0
    while i < len(ws):
        for n in range(min(_ACK_MAXLEN, len(ws) - i), 0, -1):
            if tuple(ws[i:i + n]) in _ACK_SET:
                if not all(w in FILLERS or w == "and" for w in ws[i:i + n]):
                    acks += 1
                i += n
                break
        else:
            return False
    return acks > 0


def has_words(text: str) -> bool:
    """Words other than fillers (markers such as [unintelligible] do not count)."""
    return any(w not in FILLERS for w in norm_words(text))


def is_unfinished(tok_text: str) -> bool:
    """Does speech that stops on this token stop mid-clause?"""
    s = tok_text.strip()
    if not s:
        return False
    if _UNFINISHED_END.search(s):
        return True
    if _SENTENCE_END.search(s):
        ws = norm_words(s)
        return bool(ws) and ws[-1] in CONTINUATION_WORDS
    ws = norm_words(s)
    return bool(ws)  # no final punctuation: mid-sentence
