"""Sentences and linguistic cues: spaCy splits turns into sentences (with character spans)
and gives the tokens and part-of-speech tags the cue features read.

The same code builds the features at training time and at run time, so a model never sees
text processed differently from what it was trained on.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .assets import spacy_dir

WH = {"what", "how", "why", "when", "where", "who", "which", "whose", "whom", "whereabouts"}
AUX = {"do", "does", "did", "is", "are", "was", "were", "have", "has", "had", "can", "could", "will",
       "would", "should", "may", "might", "shall", "am", "is't", "any", "anything", "anyone", "anybody",
       "ever", "you", "your"}  # "any chest pain?", "you smoke?" are clinicians' elliptical questions
INVERT = {"do", "does", "did", "is", "are", "was", "were", "have", "has", "had", "can", "could", "will",
          "would", "should", "may", "might", "shall", "am"}
FILLERS = {"um", "uh", "umm", "uhm", "er", "erm", "hmm", "mm", "mm-hmm", "mhm", "uh-huh", "oh", "ah", "so",
           "and", "but", "well", "okay", "ok", "alright", "right", "yeah", "yes", "now", "then", "like",
           "-", "—", "--", ",", "...", "…", "i", "see", "good", "great", "all", "sure", "got", "it"}
BACKCHANNEL = {"okay", "ok", "mm-hmm", "mhm", "mm", "hmm", "hm", "uh-huh", "yeah", "yes", "yep", "right", "sure",
               "alright", "all", "good", "great", "excellent", "perfect", "fine", "cool", "oh", "ah", "wow", "i",
               "see", "got", "it", "uh", "um", "no", "nope", "so", "well", "thank", "thanks", "you", "'s",
               "that", "absolutely", "exactly", "definitely", "gotcha", ".", ",", "!", "?", "-", "—", "...", "…"}
CONTENT_TAGS = ("NN", "VB", "JJ", "RB", "CD")  # Penn tag prefixes of content words (nouns, verbs, ...)
STOP = {"be", "is", "are", "was", "were", "am", "been", "being", "has", "had", "doe", "does", "did", "have", "do", "go", "get", "know", "think", "say", "like", "just", "really", "so", "very",
        "yeah", "okay", "right", "well", "mean", "kind", "sort", "thing", "lot", "bit", "little", "also",
        "then", "now", "gon", "wan", "na", "um", "uh", "mm", "hmm", "even", "too", "there", "here",
        "actually", "maybe", "probably", "much", "way", "not", "n't", "'s", "'re", "'m", "'ve", "'ll", "'d"}


SPLIT_VERSION = 2  # bump when split() changes what it returns (training caches key on it)


@dataclass
class Sentence:
    text: str
    start: int  # character offsets in the utterance text
    end: int
    words: list[str] = field(default_factory=list)  # lower-cased tokens
    pos: list[str] = field(default_factory=list)  # Penn Treebank tags (spaCy's tagger)
    lemmas: list[str] = field(default_factory=list)  # lower-cased lemma-ish forms of content words


@lru_cache(maxsize=1)
def nlp():
    """spaCy with its statistical sentence splitter (senter) and tagger; no parser, ner,
    lemmatizer or attribute ruler (the Penn tags are enough, and the ruler's matcher cost an
    eighth of the tagger's run time)."""
    import spacy

    folder = spacy_dir()  # hash-checked
    n = spacy.load(folder, exclude=["parser", "ner", "lemmatizer", "attribute_ruler"])
    if "senter" in n.disabled:
        n.enable_pipe("senter")
    return n


_SPACE = re.compile(r"\s+")
_ONLY_PUNCT = re.compile(r"^[\W_]*$")


def split(texts: list[str], batch_size: int = 128) -> list[list[Sentence]]:
    """Sentences of each text, with spans; a text with no words gives one sentence spanning it."""
    out: list[list[Sentence]] = []
    for text, doc in zip(texts, nlp().pipe(texts, batch_size=batch_size)):
        sents: list[Sentence] = []
        for s in doc.sents:
            toks = [t for t in s if not t.is_space]
            if not toks:
                continue
            if sents and _ONLY_PUNCT.match(s.text.strip()):
                # A stray "-" or "..." becomes part of the sentence before it.
                prev = sents[-1]
                prev.end = s.end_char
                prev.text = text[prev.start:prev.end]
                continue
            sents.append(Sentence(
                text=text[s.start_char:s.end_char], start=s.start_char, end=s.end_char,
                words=[t.lower_ for t in toks], pos=[t.tag_ for t in toks],
                lemmas=[_stem(t.lower_) for t in toks if t.tag_.startswith(CONTENT_TAGS) and _stem(t.lower_) not in STOP],
            ))
        if not sents:
            stripped = text.strip()
            start = text.find(stripped) if stripped else 0
            sents.append(Sentence(text=stripped, start=start, end=start + len(stripped),
                                  words=stripped.lower().split(), pos=["X"] * len(stripped.split())))
        out.append(sents)
    return out


def _stem(w: str) -> str:
    """A crude, fast normaliser for word overlap (feel/feeling/feels -> feel)."""
    for suf in ("ings", "ing", "ed", "es", "s", "ly"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def first_content(words: list[str]) -> list[str]:
    """Words after leading fillers ("okay, so um what ..." -> ["what", ...])."""
    i = 0
    while i < len(words) and words[i] in FILLERS:
        i += 1
    return words[i:]


PHRASES: dict[str, tuple[str, ...]] = {
    # Cue phrases: a coach can read them in "why"; the classifiers weigh them.
    "tell_me": ("tell me", "talk about", "describe", "say more", "wondering", "i'm curious", "i wonder",
                "walk me through", "explain", "more about", "go on"),
    "tag_check": ("is that right", "right?", "correct?", "is that correct", "yeah?", "no?", "is it?",
                  "am i right", "did i get", "does that sound right", "have i got"),
    "sounds_like": ("sounds like", "it sounds", "seems like", "it seems", "you seem", "what i'm hearing",
                    "i hear", "you're saying", "you are saying", "you said", "you mentioned", "you feel",
                    "you're feeling", "you are feeling", "you've been", "you have been", "part of you",
                    "on one hand", "on the other hand", "you want", "you're not sure", "you don't want",
                    "for you", "you're worried", "you're concerned", "you know what", "you're really",
                    "so you", "you're", "you are", "you've", "you'd"),
    "advice": ("you should", "you need", "you might want", "i'd recommend", "i recommend", "i suggest",
               "i'd suggest", "try to", "make sure", "it's important", "i want you to", "i'd like you to",
               "i would like you to", "i'd advise", "i advise", "recommend", "i'm going to start",
               "we'll start", "we should", "we need to", "you could try", "keep an eye", "come back",
               "call us", "take", "avoid", "drink plenty", "stop"),
    "inform": ("research", "studies", "study", "percent", "%", "risk", "can cause", "causes", "means that",
               "it's called", "is caused", "guidelines", "evidence", "the reason", "because", "the test",
               "results", "looks like", "normal", "diagnosis", "likely", "i think it's", "i think you have",
               "what happens is", "there is", "there are", "there's"),
    "options": ("options", "option", "choice", "either", "alternatively", "or we could", "up to you",
                "your choice", "prefer", "preference", "what do you think", "how does that sound",
                "how do you feel about", "would you like", "what would work", "your thoughts", "together"),
    "agenda": ("focus on", "talk about today", "bring you", "brings you", "help you today", "can i help",
               "anything else", "something else", "what matters", "most important", "hoping", "concerns",
               "worried about", "any questions", "on your mind", "main worries", "main concern"),
    "greeting": ("thank", "thanks", "hello", "hi ", "bye", "goodbye", "nice to meet", "welcome",
                 "see you", "take care", "have a good"),
    "scale": ("scale of", "on a scale", "1 to 10", "one to ten", "zero to ten", "0 to 10"),
    "emotion": ("feel", "feeling", "felt", "worried", "worry", "scared", "afraid", "anxious", "stress",
                "stressed", "upset", "frustrat", "depress", "sad", "angry", "hard", "difficult", "tough",
                "overwhelm", "embarrass", "concern", "nervous", "fear", "terrified", "cry", "lonely", "hate"),
}


def has(text_lower: str, phrases: tuple[str, ...]) -> str | None:
    for p in phrases:
        if p in text_lower:
            return p
    return None


# MITI 4.2 codes a question closed when its form allows only yes/no, a choice or one fact,
# whatever its topic. AnnoMI's coders agree for yes/no forms (73 % closed) but the model learns
# them from counselling talk and calls clinicians' history questions ("Are you feeling nauseous
# at all?") open; the form decides instead.
_SUBJECT = {"you", "i", "we", "he", "she", "it", "they", "there", "that", "this", "your", "anyone", "anything",
            "anybody", "someone", "somebody", "the", "these", "those", "his", "her", "their", "my", "things"}
_INVITE = {"tell", "describe", "talk", "say", "explain", "share", "elaborate", "expand"}
ANY_FIRST = {"any", "anything", "anyone", "ever"}  # "Any chest pain?": an elliptical yes/no question
HOW_CLOSED = ("how many", "how much", "how long", "how often", "how old", "how far", "how soon")
ONE_FACT = HOW_CLOSED + ("what time", "what age", "what year", "what day", "whereabouts", "which side",
                         "which part", "which one", "which hand", "which arm", "which leg", "when did", "when was",
                         "when were", "when does", "when is", "who lives",
                         # the labelling guide's one-fact "what" questions (most "what" questions are open)
                         "what do you do for", "what medication", "what medicines", "what tablets",
                         "what 's your date", "what is your date", "what 's your name", "what is your name",
                         "when 's")  # spaCy splits "when's" into "when 's"


_BOUNDARY = (FILLERS - {"i", "it", "see", "got", "all", "like", "good", "great", "sure"}) | {",", ";", ":", "or", "-", "--", "—", "..."}


def _opener(ws: list[str]) -> str | None:
    """What kind of question starts at ws[0]: "invite", "yes/no", "one fact", "wh" or None."""
    if len(ws) < 2:
        return "yes/no" if ws and ws[0] in ANY_FIRST else None
    head = " ".join(ws[:3])
    if ws[0] in INVERT and ws[1] in _SUBJECT:
        if ws[1] == "you" and (_INVITE.intersection(ws[2:6]) or "telling" in ws[2:6] or "walk me" in " ".join(ws[2:6])):
            return "invite"
        return "yes/no"
    if ws[0] in ANY_FIRST or head.startswith(("how about any", "what about any")):
        return "yes/no"
    if any(" ".join(ws[:6]).startswith(p) for p in ONE_FACT):
        return "one fact"
    if ws[0] in WH:
        return "wh"
    return None


def _openers(words: list[str]):
    """(position, kind) of every clause that opens a question: at the start or after a
    boundary word or mark."""
    for k in range(len(words)):
        if k == 0 or words[k - 1] in _BOUNDARY:
            kind = _opener(words[k:])
            if kind:
                yield k, kind


def closed_form(words: list[str]) -> str | None:
    """Why a question sentence is closed by its form, or None when its form leaves it to the
    model. The last clause that opens a question decides ("In terms of your chest, have you
    any difficulty breathing?", "What brings you in, is it the cough?"); "Can you tell me more
    about ...?" is an open invitation despite its yes/no form."""
    found = list(_openers(words))
    at, last = found[-1] if found else (-1, None)  # the last clause decides
    if last == "yes/no":
        return f"yes/no question ('{' '.join(words[at:at + 2])} ...')"
    if last == "one fact":
        return f"asks for one fact ('{' '.join(words[at:at + 2])} ...')"
    return None


# Statements that ask all the same (MITI: "Tell me more" is an open question).
INVITATIONS = PHRASES["tell_me"] + ("hear your", "like to hear", "love to hear", "your thoughts", "what you think",
                                    "how you feel", "your view", "your take")


def statement_form(s: Sentence) -> bool:
    """A sentence that cannot be a question by its form: it ends in '.' or '!' and no clause of
    it opens a question ("Past few days, OK." repeats the patient: MITI codes it a reflection).
    "Tell me about the pain." stays a question (MITI: an open question in imperative form)."""
    txt = s.text.strip().rstrip("\"')]")
    if not txt.endswith((".", "!")) or txt.endswith("...") or has(f" {txt.lower()} ", INVITATIONS):
        return False
    return next(_openers(s.words), None) is None


# Social formulas are asked but not questions in MITI's sense (the labelling guide: "hi, how
# are you?" at the start is no label; so are repair requests, "Sorry?"). A clinician who opens
# with "How are you?" has not asked an open question about the patient's health.
_HOW_ARE_YOU = ("how are you", "how 're you", "how r you", "how are we", "how 's it going", "how is it going",
                "how are things", "how 's everything", "how is everything", "how you doing", "how ya doing")
_GREETING_TAIL = {"doing", "today", "this", "morning", "afternoon", "evening", "keeping", "getting", "on",
                  "going", "?", "!", ".", ",", "then", "sir", "madam"}
_READY = ("ready to get started", "ready to start", "ready to begin", "shall we get started", "shall we start",
          "shall we begin", "can we get started", "should we get started", "ready for me")
_REPAIR = {"sorry", "pardon", "hello", "what", "say", "again", "come", "excuse", "me", "i", "'m", "am", "beg",
           "your", "?", ".", ",", "!", "that", "was", "huh", "eh"}
_REPAIR_HEADS = {"sorry", "pardon", "hello"}


_OPENS_TALK = ("since i", "since we", "since our", "since last", "since you", "last time", "last visit", "last saw",
               "last seen", "last appointment", "see you again", "welcome back", "tell me")


def social_formula(words: list[str], early: bool, said_before: str = "") -> str | None:
    """Why an asked sentence is a social formula rather than a question, or None. ``early``:
    the sentence is in the visit's opening turns, where "How are you?" is a greeting; later, or
    with more words ("How are you doing with the new tablets?"), or when it opens the medical
    talk (after a catch-up, "it's been six months since I saw you", or the clinician's own
    summary: ``said_before`` is the turn's text before it) it is a real question."""
    ws = [w for w in words if w not in FILLERS or w in ("?", ".", "!")]
    asked = ws and ws[-1] not in (".", "!")  # "Oh, I'm sorry." is an apology
    if asked and set(ws) <= _REPAIR and (_REPAIR_HEADS.intersection(ws) or ws[:2] in (["say", "again"], ["come", "again"])
                                         or ws == ["what", "?"]):
        return "repair request (asks to hear it again)"
    line = " ".join(words)
    for p in _READY:
        at = line.find(p)
        if at >= 0 and set(line[at + len(p):].split()) <= _GREETING_TAIL:
            return f"social formula ('{p}')"
    before_low = said_before.lower()
    if not early or len(before_low.split()) > 20 or has(before_low, _OPENS_TALK):
        return None
    for p in _HOW_ARE_YOU:
        at = f" {line} ".find(f" {p} ")
        if at < 0:
            continue
        before, after = line[:at].split(), line[at + len(p):].split()
        # "hi joseph, how are you?" / "how are you doing today?": nothing else is asked
        if set(after) <= _GREETING_TAIL and next(_openers(before), None) is None and len(before) <= 6:
            return f"greeting ('{p}')"
    return None
