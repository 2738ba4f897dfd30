"""Suggested wording built from the visit's own words: the patient's cue turned into a
reflection, closed questions' topics folded into one open question, the complaint named.

spaCy (the tagger's hash-checked English pipeline, here with its parser for noun chunks) finds
the topics; templates put them into a sentence a clinician could say.
"""
from __future__ import annotations

import re
from functools import lru_cache

DETS = {"a", "an", "the", "any", "some", "these", "those", "this", "that", "your", "my", "his", "her",
        "their", "our", "anyone", "anything", "no", "every", "each", "recent", "other", "which", "what", "whose",
        "how", "many", "much"}
PRONOUNS = {"i", "you", "he", "she", "it", "we", "they", "me", "him", "her", "us", "them", "that", "this",
            "what", "which", "who", "anyone", "anything", "something", "nothing", "everything", "one"}
TIME_WORDS = {"day", "days", "week", "weeks", "month", "months", "year", "years", "time", "times", "morning",
              "mornings", "evening", "night", "today", "hour", "hours", "minute", "minutes", "while", "lot", "bit",
              "thing", "things", "way", "kind", "sort", "moment", "moments"}

# I -> you (first person of the patient turned to second person in the clinician's mouth)
SWAP = [(r"\bi'm\b", "you're"), (r"\bi am\b", "you are"), (r"\bi've\b", "you've"), (r"\bi'd\b", "you'd"),
        (r"\bi'll\b", "you'll"), (r"\bi was\b", "you were"), (r"\bi\b", "you"), (r"\bmy\b", "your"),
        (r"\bme\b", "you"), (r"\bmyself\b", "yourself"), (r"\bmine\b", "yours"), (r"\bwe're\b", "you're"),
        (r"\bour\b", "your")]


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    from ..tagging.assets import spacy_dir

    return spacy.load(spacy_dir(), exclude=["ner", "lemmatizer"])


def you_form(text: str) -> str:
    """'I'm scared it might be serious' -> "you're scared it might be serious"."""
    out = text
    marks = []
    for pat, rep in SWAP:  # two passes through placeholders, so 'you' from 'I' is not swapped again
        def sub(m, rep=rep):
            marks.append(rep)
            return f"\x00{len(marks) - 1}\x00"
        out = re.sub(pat, sub, out, flags=re.I)
    return re.sub(r"\x00(\d+)\x00", lambda m: marks[int(m.group(1))], out)


def _clean_chunk(chunk) -> str | None:
    toks = [t for t in chunk if not (t.i == chunk.start and t.lower_ in DETS)]
    while toks and toks[0].lower_ in DETS:
        toks = toks[1:]
    if not toks or chunk.root.lower_ in PRONOUNS or chunk.root.lower_ in TIME_WORDS:
        return None
    if chunk.root.pos_ not in ("NOUN", "PROPN"):
        return None
    s = " ".join(t.text for t in toks).strip(" ,.?!")
    return s.lower() if s else None


def topics(texts: list[str], limit: int = 6) -> list[str]:
    """The noun topics of some sentences, in order, without repeats ('Any nausea? Any fever?' ->
    ['nausea', 'fever'])."""
    out: list[str] = []
    for doc in _nlp().pipe(texts):
        chunks = list(doc.noun_chunks)
        k = 0
        while k < len(chunks):
            ch = chunks[k]
            # "shortness of breath", "changes in your vision": one topic, not two
            if k + 1 < len(chunks) and chunks[k + 1].start == ch.end + 1 and doc[ch.end].lower_ in ("of", "in"):
                ch = doc[ch.start:chunks[k + 1].end]
                k += 1
            k += 1
            s = _clean_chunk(ch)
            if s and s not in out:
                out.append(s)
    return out[:limit]


def main_complaint(text: str) -> str | None:
    """The first noun topic of the patient's opening ('these headaches ...' -> 'headaches')."""
    t = topics([text], limit=1)
    return t[0] if t else None


def sentences(text: str) -> list[str]:
    return [s.text.strip() for s in _nlp()(text).sents if s.text.strip()]


def join_list(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


BOUNDARY = re.compile(r"[,;.!?]|\b(?:and|but|because|though)\b", re.I)


def clause_with(text: str, phrase: str) -> str:
    """The clause of ``text`` holding ``phrase``: split at punctuation and at 'and'/'but'
    joins (not 'so': 'so worried'), started at the speaker's own subject ('mostly okay i get frustrated' -> 'i get frustrated')."""
    k = text.lower().find(phrase.lower()) if phrase else -1
    bounds = [0] + [m.end() for m in BOUNDARY.finditer(text)] + [len(text)]
    for a, b in zip(bounds, bounds[1:]):
        if k < 0 or a <= k < b:
            if k >= 0:  # end at the first boundary after the phrase (a phrase may hold 'and')
                m = BOUNDARY.search(text, k + len(phrase))
                b = m.start() if m else len(text)
            clause = text[a:b]
            subj = list(re.finditer(r"\b(i|i'm|i've|i am|it|it's|this|that's|my)\b", clause[: max(0, k - a) + 1] if k >= 0 else clause, re.I))
            if subj:
                clause = clause[subj[-1].start():] if k >= 0 else clause[subj[0].start():]
            clause = re.sub(r"^\s*(honestly|the thing is|well|yes|yeah|exactly)\b[, ]*", "", clause, flags=re.I)
            return clause.strip(" ,;")
    return text.strip()


def reflect_cue(cue_sentence: str, phrase: str) -> str:
    """'I'm really scared it might be something serious' -> 'It sounds like you're really scared
    it might be something serious.'"""
    clause = clause_with(cue_sentence, phrase)
    body = you_form(clause).rstrip(" .?!")
    body = body[0].lower() + body[1:] if body else body
    return f"It sounds like {body}."


def open_from_closed(questions: list[str], complaint: str | None) -> str:
    """Fold a run of closed questions into one open question about the complaint, keeping the
    topics for afterwards."""
    ts = topics(questions, limit=4)
    subject = f"the {complaint}" if complaint else "this"
    q = f"\u201cWhat else have you noticed along with {subject}?\u201d"
    if ts:
        q += f" Then ask only about what the patient has not mentioned (here: {join_list(ts)})."
    return q


def quote(text: str, n: int = 18) -> str:
    """At most ``n`` words of a quotation, with an ellipsis when cut."""
    words = text.split()
    s = " ".join(words[:n])
    return s + (" \u2026" if len(words) > n else "")


def tail(text: str, n: int = 8) -> str:
    words = text.split()
    return ("\u2026 " if len(words) > n else "") + " ".join(words[-n:])
