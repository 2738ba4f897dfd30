"""Turn-taking: who cut whom off, when, and how the floor was shared.

Registered as the pipeline stage ``turns``. It reads the transcript (utterances, their word
times when the input was audio, roles) and adds two top-level keys to the analysis JSON
(through ``Transcript.extra``): ``events`` (a list in time order) and ``metrics``.

Definitions (issue 4; the constants below are the numbers)
----------------------------------------------------------
Speech is handled as *tokens* (words with times): the ASR word times when the input was audio,
otherwise each utterance's words spread over its interval in proportion to their length in
characters (i.e. at an even speaking rate). Per speaker, tokens form

- *segments*: speech with no pause longer than ``SEGMENT_GAP`` (0.75 s); the start of a
  segment is an *onset*, the moment a speaker starts talking;
- *runs*: speech with no pause longer than ``RUN_GAP`` (1.0 s, as the pipeline's utterances).

At each onset of speaker B, if another speaker A is talking (inside one of A's segments):

- what A still has to say is A's run from the onset up to A's first pause longer than
  SEGMENT_GAP, or of ``YIELD_PAUSE`` (0.3 s) once B's segment has ended (what A says after
  that answers B), giving ``of_remaining_s`` and ``of_remaining_words`` (words whose middle
  is after the onset);
- A is talking at the onset if it falls inside one of A's segments but not inside a pause of
  A's longer than ``ACTIVE_GAP`` (0.5 s);
- what B says is B's run from the onset, as far as it goes while A is still talking;
- ``backchannel``: that is at most 3 words, all acknowledgements or minimal responses
  ("mm-hmm", "yeah", "okay", "right", "perfect", "I see", "yes", "no", ASR spellings of hums
  such as "Emem"), and B does not go straight on (no more words within ``ACK_PAUSE``, 0.7 s);
- ``overlap`` with ``reason``: "no_words" (only fillers or markers such as "[unintelligible]"),
  "simultaneous" (A's segment started less than ``SIMULTANEOUS`` = 0.3 s before B's: neither
  was mid-utterance; one event, by the later starter), "near_end" (less than 1.0 s of A to
  come), "few_words" (fewer than 4 of A's words to come);
- ``interruption`` otherwise: A has at least 4 words and at least 1.0 s still to come
  (exactly 1.0 s counts). ``succeeded`` when A stops no later than ``YIELD_WITHIN`` (2.5 s)
  after B came in (``of_stopped_after_s``). The issue says "within ~1 s"; because an
  interruption needs 1.0 s of A still to come, A can never stop sooner than that, so the
  window is 1.0 s plus ~1.5 s to finish the word or phrase in flight (the scripted sample
  interruptions, where the patient stops 1.1-2.1 s after being cut into, are successes).
  One interruption per run of B and run of A.
- B resuming after a pause inside its run is a new onset only if A did not come in while B
  still had a second to go (otherwise B resuming continues that overlap).

``opening_interrupted``: the clinician's opening question is the first clinician question that
invites the patient's story ("how can I help", "what brings you", "what's going on", ...), or
failing that the first clinician question, or the first clinician utterance. The patient's
opening statement is the patient's first substantive segment (3+ words that are not
greetings/acknowledgements) starting after that question began, continued through the
patient's following speech until the clinician takes the floor (speaks other than a
backchannel). If the clinician takes it with an interruption, that is ``opening_interrupted``
with ``delay`` = seconds from the start of the opening statement.

Mono (diarized) audio: there is one word stream; where two people talk at once, Whisper keeps
one voice and the other's words are dropped or given to the wrong speaker, so most overlaps
leave no trace in the transcript (benchmarks/turntaking.py: on synthetic PriMock57 visits
almost no reference interruption shows up as a speaker change, and those that do look like
ordinary turn changes, 0.4-0.9 s apart). With ``source.speaker_mode == "mix"`` a speaker
change within ``CUT_OFF_GAP`` (0.25 s) of the other's last word, after 4+ words ending
mid-clause (no sentence-final punctuation, a dash or ellipsis, or a word a sentence cannot end
on such as "and", "the"), is listed as an ``overlap`` with ``reason: "possible_cut_off"``,
``evidence: "cut_off"``, ``confidence: "low"``. It is NOT counted as an interruption: on the
benchmark (22 synthetic PriMock57 mixes, 4 min each) 2 of 77 such changes matched one of the
38 reference interruptions; the rest are diarization boundaries placed a word early or late. ``metrics.caveats`` says that the counts are a lower
bound for such recordings. Interruptions seen as overlapping words carry ``evidence:
"overlap"``, ``confidence: "high"``.

Metrics: see ``turn_metrics``. Without times (plain text) the metrics that need none (words,
word share, turns, longest monologue in words, questions, agenda) are given and
``metrics.missing`` names the others and why.
"""
from __future__ import annotations

import bisect
import re
import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable

from .model import Transcript, Utterance

SEGMENT_GAP = 0.75  # s; a longer pause ends a segment (the next word is a new onset)
ACTIVE_GAP = 0.5  # s; inside a pause longer than this a speaker is not talking
RUN_GAP = 1.0  # s; a longer pause ends a run (limit of what is "still to come")
MIN_REMAINING_S = 1.0  # s of the other's run still to come for an interruption
MIN_REMAINING_WORDS = 4  # words of the other's run still to come for an interruption
BACKCHANNEL_MAX_WORDS = 3
SIMULTANEOUS = 0.3  # s; two onsets this close are a simultaneous start
YIELD_WITHIN = 2.5  # s after the onset; an interrupted speaker who stops by then yielded
YIELD_PAUSE = 0.3  # s; A pausing this long after B finished has stopped (what follows answers B)
ACK_PAUSE = 0.7  # s; an acknowledgement followed by more words sooner than this starts a turn
CUT_OFF_GAP = 0.25  # s; mono: a speaker change this soon after an unfinished clause
MONOLOGUE_GAP = 2.0  # s; one speaker's runs this close, nobody else taking the floor, are one turn
OPENING_MIN_WORDS = 3  # substantive words for the patient's opening statement
EPS = 1e-6

PARAMETERS = {
    "segment_gap_s": SEGMENT_GAP, "active_gap_s": ACTIVE_GAP, "run_gap_s": RUN_GAP, "min_remaining_s": MIN_REMAINING_S,
    "min_remaining_words": MIN_REMAINING_WORDS, "backchannel_max_words": BACKCHANNEL_MAX_WORDS,
    "simultaneous_s": SIMULTANEOUS, "yield_within_s": YIELD_WITHIN, "yield_pause_s": YIELD_PAUSE,
    "ack_pause_s": ACK_PAUSE, "cut_off_gap_s": CUT_OFF_GAP,
    "monologue_gap_s": MONOLOGUE_GAP,
}

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


# --------------------------------------------------------------------------- building blocks

@dataclass
class Tok:
    start: float
    end: float
    text: str  # as given, with punctuation
    speaker: str
    utt: int  # index of its utterance
    word: bool = True  # has letters/digits or is a [marker]
    marker: bool = False

    @property
    def mid(self) -> float:
        return (self.start + self.end) / 2


@dataclass
class Span:
    """A segment or a run: one speaker's tokens without a long pause."""
    speaker: str
    role: str
    toks: list[Tok]
    start: float = 0.0
    end: float = 0.0

    def __post_init__(self) -> None:
        self.start = min(t.start for t in self.toks)
        self.end = max(t.end for t in self.toks)

    @property
    def words(self) -> list[Tok]:
        return [t for t in self.toks if t.word]

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.toks)


@dataclass
class Run(Span):
    segments: list[Span] = field(default_factory=list)
    floor: bool = True  # False: a backchannel (or wordless noise) under someone else's speech


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


# Spellings ASR gives to hums and nods ("Mm-mm", "Emem", "Emendem", "Mhmm", "Uh-huh-huh", "Ahh").
_ACK_SOUND = re.compile(r"^(?:[aeiuh]*m+(?:[-aeiuhnd]*[mn]+)*h*|u+h*(?:-?h+u+h+)+|a+h+a*|o+h+)$")


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


def _tokens_of(u: Utterance, i: int) -> list[Tok]:
    out: list[Tok] = []
    if u.words:
        for w in u.words:
            text = w.text.strip()
            if not text:
                continue
            out.append(Tok(float(w.start), float(max(w.end, w.start)), text, u.speaker, i))
    else:
        raw = _OK.sub("OK", u.text).split()
        if not raw or u.start is None or u.end is None:
            return []
        lens = [len(r) + 1 for r in raw]
        total, acc = float(sum(lens)), 0.0
        dur = max(0.0, u.end - u.start)
        for r, n in zip(raw, lens):
            a = u.start + dur * acc / total
            acc += n
            out.append(Tok(a, u.start + dur * acc / total, r, u.speaker, i))
    merged: list[Tok] = []
    for t in out:
        t.marker = bool(_MARKER.match(t.text.strip(".,!?;:")))
        t.word = t.marker or bool(_WORD.search(t.text))
        if not t.word and merged:  # punctuation on its own ("--", "..."): belongs to the previous word
            merged[-1].text += " " + t.text
            merged[-1].end = max(merged[-1].end, t.end)
            continue
        if t.word:
            merged.append(t)
    return merged


def _split(toks: list[Tok], gap: float) -> list[list[Tok]]:
    out: list[list[Tok]] = []
    end = None
    for t in toks:
        if out and t.start - end <= gap:
            out[-1].append(t)
            end = max(end, t.end)
        else:
            out.append([t])
            end = t.end
    return out


@dataclass
class Timeline:
    roles: dict[str, str]  # speaker -> role
    toks: dict[str, list[Tok]]  # speaker -> tokens in time order
    runs: dict[str, list[Run]]
    segments: dict[str, list[Span]]
    mix: bool
    seg_starts: dict[str, list[float]] = field(default_factory=dict)
    run_starts: dict[str, list[float]] = field(default_factory=dict)
    run_of_seg: dict[int, Run] = field(default_factory=dict)
    tok_starts: dict[str, list[float]] = field(default_factory=dict)

    def index(self) -> None:
        """Start-time indexes for bisection (each speaker's spans are disjoint and sorted)."""
        self.seg_starts = {k: [s.start for s in v] for k, v in self.segments.items()}
        self.run_starts = {k: [r.start for r in v] for k, v in self.runs.items()}
        self.run_of_seg = {id(sg): r for rs in self.runs.values() for r in rs for sg in r.segments}
        self.tok_starts = {k: [x.start for x in v] for k, v in self.toks.items()}

    def all_runs(self) -> list[Run]:
        return sorted((r for rs in self.runs.values() for r in rs), key=lambda r: (r.start, r.speaker))

    def all_segments(self) -> list[Span]:
        return sorted((s for ss in self.segments.values() for s in ss), key=lambda s: (s.start, s.speaker))


def build_timeline(t: Transcript) -> Timeline:
    t.ensure_speakers()
    roles = {sid: sp.role for sid, sp in t.speakers.items()}
    toks: dict[str, list[Tok]] = {}
    for i, u in enumerate(t.utterances):
        roles.setdefault(u.speaker, u.role)
        if u.role and roles.get(u.speaker) != u.role and t.speakers.get(u.speaker) is None:
            roles[u.speaker] = u.role
        toks.setdefault(u.speaker, []).extend(_tokens_of(u, i))
    runs: dict[str, list[Run]] = {}
    segs: dict[str, list[Span]] = {}
    for sid, ts in toks.items():
        ts.sort(key=lambda x: (x.start, x.end))
        role = roles.get(sid, "other")
        segs[sid] = [Span(sid, role, g) for g in _split(ts, SEGMENT_GAP)]
        rs = []
        j = 0
        for g in _split(ts, RUN_GAP):  # every segment lies inside one run (RUN_GAP > SEGMENT_GAP)
            r = Run(sid, role, g)
            while j < len(segs[sid]) and segs[sid][j].end <= r.end + EPS:
                r.segments.append(segs[sid][j])
                j += 1
            rs.append(r)
        runs[sid] = rs
    mix = str(t.source.get("speaker_mode", "")) == "mix"
    tl = Timeline(roles, toks, runs, segs, mix)
    tl.index()
    return tl


# --------------------------------------------------------------------------- events

def _r(x: float | None, n: int = 2) -> float | None:
    return None if x is None else round(float(x), n)


def _preview(toks: list[Tok], n: int = 10) -> str:
    words = [t.text for t in toks[:n]]
    return " ".join(words) + (" …" if len(toks) > n else "")


def _segment_at(tl: Timeline, sid: str, t: float) -> Span | None:
    i = bisect.bisect_right(tl.seg_starts.get(sid, []), t + EPS) - 1
    if i >= 0:
        s = tl.segments[sid][i]
        if s.end > t + EPS:
            return s
    return None


def _run_at(tl: Timeline, sid: str, t: float) -> Run | None:
    i = bisect.bisect_right(tl.run_starts.get(sid, []), t + EPS) - 1
    if i >= 0:
        r = tl.runs[sid][i]
        if r.end > t + EPS:
            return r
    return None


def _in_pause(tl: Timeline, sid: str, t: float) -> float:
    """Length of the pause of ``sid`` that ``t`` falls in (0 if ``t`` is inside a word)."""
    starts = tl.tok_starts.get(sid, [])
    i = bisect.bisect_right(starts, t + EPS)
    if i == 0 or i >= len(starts):
        return 0.0
    prev_end = max(x.end for x in tl.toks[sid][max(0, i - 3):i])
    if prev_end >= t - EPS:
        return 0.0
    return tl.toks[sid][i].start - prev_end


def _run_of(tl: Timeline, seg: Span) -> Run:
    return tl.run_of_seg[id(seg)]


def detect_events(tl: Timeline) -> list[dict[str, Any]]:
    """Interruptions, backchannels and overlaps at every onset (see the module docstring)."""
    events: list[dict[str, Any]] = []
    interrupted: set[tuple[int, int]] = set()  # (B's run, A's run): one interruption each
    for seg in tl.all_segments():
        b, t = seg.speaker, seg.start
        brun = _run_of(tl, seg)
        k = next(i for i, s in enumerate(brun.segments) if s is seg)
        # B resuming after a short pause (within a run) starts something new unless the other
        # speaker had come in while B was still mid-utterance: then it continues that overlap.
        b_prev_end = brun.segments[k - 1].end if k else None
        # Who is talking at B's onset? (A started earlier, or at the same moment with a lower id.)
        cands = []
        for a in tl.segments:
            if a == b:
                continue
            sa = _segment_at(tl, a, t)
            if sa is None or (abs(sa.start - t) <= EPS and (sa.speaker, 0) > (b, 0)):
                continue
            if _in_pause(tl, a, t) > ACTIVE_GAP + EPS:
                continue  # A is inside a pause: B took a gap, not A's floor
            if b_prev_end is not None and b_prev_end - sa.start >= MIN_REMAINING_S - EPS:
                continue  # A came in while B still had a second to go: B resuming continues that
            ra = _run_at(tl, a, t)
            cont = _continuation_end(ra, t, seg.end)
            rem_words = sum(1 for x in ra.words if x.mid > t + EPS and x.end <= cont + EPS)
            cands.append((cont - t, rem_words, a, sa, ra, cont))
        after = [x for x in brun.words if x.start >= t - EPS]
        base = {"by": tl.roles.get(b, "other"), "by_speaker": b, "text": _preview(after)}
        if cands:
            rem_s, rem_w, a, sa, ra, cont = max(cands, key=lambda c: (c[0], c[1]))
            ev = {**base, "of": tl.roles.get(a, "other"), "of_speaker": a,
                  "of_remaining_s": _r(rem_s), "of_remaining_words": rem_w}
            # What B says while A is still talking (at least B's first word), and whether B
            # goes straight on after it (then it is the start of a turn, not an acknowledgement).
            said = [x for x in after if x.start < cont - EPS] or after[:1]
            rest = after[len(said):]
            said_text = " ".join(x.text for x in said)
            goes_on = bool(rest) and rest[0].start - said[-1].end < ACK_PAUSE - EPS
            if not has_words(said_text) and not goes_on:
                kind, reason = "overlap", "no_words"
            elif is_backchannel(said_text) and not goes_on:
                kind, reason = "backchannel", None
            elif t - sa.start < SIMULTANEOUS - EPS:
                kind, reason = "overlap", "simultaneous"
            elif rem_s < MIN_REMAINING_S - EPS:
                kind, reason = "overlap", "near_end"
            elif rem_w < MIN_REMAINING_WORDS:
                kind, reason = "overlap", "few_words"
            else:
                kind, reason = "interruption", None
            if kind == "interruption":
                key = (id(brun), id(ra))
                if key in interrupted:
                    continue
                interrupted.add(key)
                stopped = rem_s
                ev.update(succeeded=bool(stopped <= YIELD_WITHIN + EPS),
                          of_stopped_after_s=_r(stopped), evidence="overlap", confidence="high")
            if reason:
                ev["reason"] = reason
            if kind != "interruption":
                ev.pop("of_stopped_after_s", None)
            events.append({"type": kind, "at": _r(t), **ev})
            if kind in ("backchannel",) or (kind == "overlap" and reason == "no_words"):
                if len(brun.words) <= BACKCHANNEL_MAX_WORDS and brun.segments and brun.segments[0] is seg:
                    brun.floor = False
            continue
        if tl.mix:
            ev = _cut_off(tl, seg, brun)
            if ev is not None:
                ev.pop("_run")
                events.append({"type": "overlap", "at": _r(t), **base, **ev, "reason": "possible_cut_off"})
    events.sort(key=lambda e: (e["at"], e["type"] != "interruption"))
    return events


def _continuation_end(ra: Run, t: float, b_end: float) -> float:
    """When A, talking at B's onset ``t``, stopped: A's first pause after ``t`` longer than
    SEGMENT_GAP, or of YIELD_PAUSE or more once B's segment has ended (what A says after that
    pause answers B), or the end of A's run."""
    end, prev_end = t, None
    for x in ra.toks:
        if x.end <= t + EPS:
            prev_end = x.end if prev_end is None else max(prev_end, x.end)
            continue
        if prev_end is not None and prev_end > t + EPS:
            pause = x.start - prev_end
            if pause > SEGMENT_GAP + EPS or (prev_end >= b_end - EPS and pause >= YIELD_PAUSE - EPS):
                break
        end = max(end, x.end)
        prev_end = x.end if prev_end is None else max(prev_end, x.end)
    return end


def _cut_off(tl: Timeline, seg: Span, brun: Run) -> dict[str, Any] | None:
    """Mono: B starts right after A stopped mid-clause (A's rest was cut off or lost in the mix)."""
    b, t = seg.speaker, seg.start
    if not has_words(seg.text) or is_backchannel(seg.text):
        return None
    prev: Tok | None = None
    for a, ts in tl.toks.items():
        if a == b:
            continue
        i = bisect.bisect_left(tl.tok_starts[a], t)  # A's words that started before B's onset
        for x in ts[max(0, i - 3):i]:
            if x.end <= t + CUT_OFF_GAP and (prev is None or x.end > prev.end):
                prev = x
    if prev is None or t - prev.end > CUT_OFF_GAP + EPS:
        return None
    ra = _run_at(tl, prev.speaker, prev.start)
    if ra is None:
        return None
    done = [x for x in ra.words if x.end <= prev.end + EPS]
    if len(done) < MIN_REMAINING_WORDS or not is_unfinished(prev.text):
        return None
    return {"of": tl.roles.get(prev.speaker, "other"), "of_speaker": prev.speaker, "of_remaining_s": None,
            "of_remaining_words": None, "evidence": "cut_off", "confidence": "low",
            "of_last_words": _preview(done[-4:], 4), "_run": ra}


# --------------------------------------------------------------------------- turns and metrics

@dataclass
class Turn:
    speaker: str
    role: str
    start: float
    end: float
    words: int
    runs: list[Run]

    @property
    def seconds(self) -> float:
        return self.end - self.start


def floor_turns(tl: Timeline) -> list[Turn]:
    """One speaker holding the floor: their runs (not backchannels) with pauses of at most
    MONOLOGUE_GAP and nobody else taking the floor in between."""
    floor = [r for r in tl.all_runs() if r.floor]
    starts = [r.start for r in floor]
    last: dict[str, Turn] = {}
    turns: list[Turn] = []
    for r in floor:
        cur = last.get(r.speaker)
        # Someone else took the floor in between: a run of theirs that started after this
        # speaker's turn began and went on past its end (not one talked over and abandoned).
        between = floor[bisect.bisect_right(starts, cur.start):bisect.bisect_left(starts, r.start)] if cur else []
        if cur is not None and r.start - cur.end <= MONOLOGUE_GAP and not any(
                o.speaker != r.speaker and o.end > cur.end + EPS for o in between):
            cur.end = max(cur.end, r.end)
            cur.words += len(r.words)
            cur.runs.append(r)
            continue
        turn = Turn(r.speaker, r.role, r.start, r.end, len(r.words), [r])
        turns.append(turn)
        last[r.speaker] = turn
    return turns


def _union(spans: Iterable[tuple[float, float]]) -> float:
    total, cur_s, cur_e = 0.0, None, None
    for s, e in sorted(spans):
        if cur_e is None or s > cur_e:
            if cur_e is not None:
                total += cur_e - cur_s
            cur_s, cur_e = s, e
        else:
            cur_e = max(cur_e, e)
    if cur_e is not None:
        total += cur_e - cur_s
    return total


def _stats(xs: list[float]) -> dict[str, Any]:
    if not xs:
        return {"mean": None, "median": None, "n": 0}
    return {"mean": _r(statistics.fmean(xs)), "median": _r(statistics.median(xs)), "n": len(xs)}


def _tag_labels(u: Utterance, min_score: float = 0.5) -> set[str]:
    tags = u.extra.get("tags")
    out: set[str] = set()
    if isinstance(tags, list):
        for tg in tags:
            if isinstance(tg, dict) and isinstance(tg.get("label"), str):
                sc = tg.get("score")
                if sc is None or (isinstance(sc, (int, float)) and sc >= min_score):
                    out.add(tg["label"].lower())
            elif isinstance(tg, str):
                out.add(tg.lower())
    return out


def _has_tags(t: Transcript) -> bool:
    return any("tags" in u.extra for u in t.utterances)


def _last_sentence(text: str) -> str:
    parts = [p for p in re.split(r"(?<=[.?!])\s+", text.strip()) if p.strip()]
    return parts[-1] if parts else ""


def _is_question_text(text: str) -> bool:
    return _last_sentence(text).rstrip(" \"')]").endswith("?")


def _roles_present(t: Transcript) -> list[str]:
    present = {sp.role for sp in t.speakers.values()} | {u.role for u in t.utterances}
    return [r for r in ("clinician", "patient", "other") if r in present or r != "other"]


def agenda_elicited(t: Transcript) -> dict[str, Any]:
    """Did the clinician invite the patient's agenda? Uses the tagging stage's ``agenda`` tag
    when the transcript has tags, else a short list of cue phrases."""
    clin = [u for u in t.utterances if u.role == "clinician"]
    if _has_tags(t):
        for u in clin:
            labels = _tag_labels(u)
            if any(lb == "agenda" or lb.startswith("agenda") for lb in labels):
                return {"value": True, "source": "tags", "at": _r(u.start), "text": u.text[:160]}
        return {"value": False, "source": "tags", "at": None, "text": None}
    for u in clin:
        m = AGENDA_CUES.search(u.text)
        if m:
            return {"value": True, "source": "cues", "at": _r(u.start), "text": u.text[:160], "cue": m.group(0)}
    return {"value": False, "source": "cues", "at": None, "text": None}


def opening_statement(t: Transcript, tl: Timeline, events: list[dict[str, Any]],
                      turns: list[Turn]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(metrics.opening_statement, the opening_interrupted event or None)."""
    clin = {s for s, r in tl.roles.items() if r == "clinician"}
    pat = {s for s, r in tl.roles.items() if r == "patient"}
    if not clin or not pat:
        return None, None
    ctoks = sorted((x for s in clin for x in tl.toks.get(s, [])), key=lambda x: x.start)
    if not ctoks:
        return None, None
    # The opening question: sentences of clinician speech, with their start/end times.
    sentences: list[tuple[float, float, str]] = []
    cur: list[Tok] = []
    for x in ctoks:
        if cur and (x.utt != cur[-1].utt or x.start - cur[-1].end > RUN_GAP):
            sentences.append((cur[0].start, cur[-1].end, " ".join(y.text for y in cur)))
            cur = []
        cur.append(x)
        if _SENTENCE_END.search(x.text):
            sentences.append((cur[0].start, cur[-1].end, " ".join(y.text for y in cur)))
            cur = []
    if cur:
        sentences.append((cur[0].start, cur[-1].end, " ".join(y.text for y in cur)))
    horizon = ctoks[0].start + 180.0
    q = next((s for s in sentences if s[0] <= horizon and OPENING_CUES.search(s[2])), None)
    how = "invitation"
    if q is None:
        q, how = next((s for s in sentences if s[0] <= horizon and s[2].rstrip().endswith("?")), None), "question"
    if q is None:
        q, how = sentences[0], "first clinician words"
    # The patient's first substantive segment starting after the question began.
    psegs = sorted((s for p in pat for s in tl.segments.get(p, [])), key=lambda s: s.start)
    first = None
    for s in psegs:
        if s.start < q[0] - EPS:
            continue
        ws = norm_words(s.text)
        if is_backchannel(s.text) or sum(1 for w in ws if w not in GREETINGS and w not in FILLERS) < OPENING_MIN_WORDS:
            continue
        first = s
        break
    if first is None:
        return {"question": {"at": _r(q[0]), "text": q[2][:160], "found_by": how}, "start": None,
                "note": "no substantive patient speech after the opening question"}, None
    # The clinician takes the floor: their first floor run starting after the opening began.
    cl_floor = [r for s in clin for r in tl.runs.get(s, []) if r.floor and r.start > first.start + EPS]
    take = min(cl_floor, key=lambda r: r.start) if cl_floor else None
    pat_runs = [r for p in pat for r in tl.runs.get(p, [])
                if r.end > first.start + EPS and (take is None or r.start < take.start)]
    end = max([r.end for r in pat_runs] + [first.end])
    intr = None
    if take is not None:
        intr = next((e for e in events if e["type"] == "interruption" and e["by_speaker"] == take.speaker
                     and e["of_speaker"] in pat and take.start - 0.005 <= e["at"] <= take.end + 0.005), None)
    out = {"question": {"at": _r(q[0]), "text": q[2][:160], "found_by": how},
           "start": _r(first.start), "end": _r(end if intr is None else take.start),
           "seconds": _r((end if intr is None else take.start) - first.start),
           "clinician_took_floor_at": _r(take.start) if take else None,
           "interrupted": intr is not None,
           "delay": _r(intr["at"] - first.start) if intr else None}
    ev = None
    if intr is not None:
        ev = {"type": "opening_interrupted", "at": intr["at"], "by": "clinician", "of": "patient",
              "by_speaker": take.speaker, "of_speaker": first.speaker, "delay": out["delay"],
              "opening_start": _r(first.start), "succeeded": intr.get("succeeded"),
              "evidence": intr.get("evidence"), "confidence": intr.get("confidence"), "text": intr.get("text")}
    return out, ev


def turn_metrics(t: Transcript, tl: Timeline, events: list[dict[str, Any]]) -> dict[str, Any]:
    roles = _roles_present(t)
    by_role = lambda: {r: 0 for r in roles}  # noqa: E731
    m: dict[str, Any] = {}
    # Talk time: union of each speaker's segments (overlapping speech counts for both).
    talk = {r: 0.0 for r in roles}
    words = by_role()
    for sid, segs in tl.segments.items():
        role = tl.roles.get(sid, "other")
        talk.setdefault(role, 0.0)
        words.setdefault(role, 0)
        talk[role] += _union((s.start, s.end) for s in segs)
        words[role] += sum(len(s.words) for s in segs)
    total = sum(talk.values())
    m["talk_time"] = {r: _r(v, 1) for r, v in talk.items()}
    m["talk_share"] = {r: _r(v / total, 3) if total else None for r, v in talk.items()}
    m["words"] = words
    wt = sum(words.values())
    m["word_share"] = {r: _r(v / wt, 3) if wt else None for r, v in words.items()}
    turns = floor_turns(tl)
    m["turns"] = by_role()
    for tu in turns:
        m["turns"][tu.role] = m["turns"].get(tu.role, 0) + 1
    m["longest_monologue"] = {}
    for r in roles:
        mine = [tu for tu in turns if tu.role == r]
        if mine:
            best = max(mine, key=lambda tu: tu.seconds)
            m["longest_monologue"][r] = {"seconds": _r(best.seconds, 1), "start": _r(best.start),
                                         "end": _r(best.end), "words": best.words,
                                         "speaker": best.speaker}
        else:
            m["longest_monologue"][r] = None
    m["speech_rate_wpm"] = {r: (_r(words.get(r, 0) / (talk[r] / 60), 1) if talk.get(r) else None) for r in roles}
    # Pauses: the clinician starting after the patient stopped (runs; overlaps excluded).
    runs = tl.all_runs()
    starts = [o.start for o in runs]
    pauses, waits, stacked, answered = [], [], 0, 0
    for i, r in enumerate(runs):
        j = bisect.bisect_right(starts, r.end - EPS)
        nxt = runs[j] if j < len(runs) else None
        others_over = any(_run_at(tl, o, r.end - 2 * EPS) is not None and _run_at(tl, o, r.end - 2 * EPS).end > r.end + EPS
                          for o in tl.runs if o != r.speaker)
        if r.role == "patient" and r.floor and nxt is not None and nxt.role == "clinician" and not others_over:
            pauses.append(nxt.start - r.end)
        if r.role == "clinician" and r.floor and (_is_question_text(r.text) or _question_tag(t, r)):
            if others_over:
                waits.append(0.0)
                answered += 1
            elif nxt is not None:
                waits.append(nxt.start - r.end)
                if nxt.speaker == r.speaker:
                    stacked += 1
                else:
                    answered += 1
    m["pause_before_clinician"] = {**_stats(pauses), "max": _r(max(pauses)) if pauses else None}
    m["wait_after_clinician_questions"] = {**_stats(waits), "answered_by_other": answered,
                                           "clinician_spoke_again": stacked}
    # Events.
    ints = [e for e in events if e["type"] == "interruption"]
    m["interruptions"] = {
        "by": by_role(), "of": by_role(), "succeeded_by": by_role(),
        "possible_cut_offs": sum(1 for e in events if e.get("reason") == "possible_cut_off"),
    }
    for e in ints:
        for k, role in (("by", e["by"]), ("of", e["of"])):
            m["interruptions"][k][role] = m["interruptions"][k].get(role, 0) + 1
        if e.get("succeeded"):
            m["interruptions"]["succeeded_by"][e["by"]] = m["interruptions"]["succeeded_by"].get(e["by"], 0) + 1
    m["backchannels"] = {"by": by_role()}
    for e in events:
        if e["type"] == "backchannel":
            m["backchannels"]["by"][e["by"]] = m["backchannels"]["by"].get(e["by"], 0) + 1
    m["overlaps"] = sum(1 for e in events if e["type"] == "overlap")
    opening, opening_ev = opening_statement(t, tl, events, turns)
    first_int = next((e for e in ints if e["of"] == "patient"), None)
    start0 = min((s.start for ss in tl.segments.values() for s in ss), default=0.0)
    m["time_to_first_interruption_of_patient"] = None if first_int is None else {
        "at": first_int["at"], "by": first_int["by"], "since_first_speech": _r(first_int["at"] - start0),
    }
    if opening and opening.get("start") is not None:
        after = next((e for e in ints if e["of"] == "patient" and e["at"] >= opening["start"] - 0.005), None)
        opening["first_interruption_of_patient_after_s"] = _r(after["at"] - opening["start"]) if after else None
    m["opening_statement"] = opening
    m["agenda_elicited"] = agenda_elicited(t)
    ag = m["agenda_elicited"]
    took = (opening or {}).get("clinician_took_floor_at")
    # Asked before the clinician's own agenda began (by the time they first took the floor from
    # the patient's opening), as agenda setting should be, or only later (e.g. at the close)?
    ag["early"] = None if not ag["value"] or ag.get("at") is None or took is None else bool(ag["at"] <= took + 0.005)
    m["_opening_event"] = opening_ev
    return m


def _question_tag(t: Transcript, r: Run) -> bool:
    last = t.utterances[r.toks[-1].utt]
    return any("question" in lb for lb in _tag_labels(last))


def untimed_metrics(t: Transcript) -> dict[str, Any]:
    roles = _roles_present(t)
    words = {r: 0 for r in roles}
    turns = {r: 0 for r in roles}
    longest: dict[str, Any] = {r: None for r in roles}
    questions = {r: 0 for r in roles}
    prev, cur_words, cur_start = None, 0, 0
    blocks: list[tuple[str, int, int]] = []  # (role, words, first utterance index)
    for i, u in enumerate(t.utterances):
        n = len(norm_words(u.text))
        words[u.role] = words.get(u.role, 0) + n
        questions[u.role] = questions.get(u.role, 0) + sum(
            1 for s in re.split(r"(?<=[.?!])\s+", u.text) if s.strip().endswith("?"))
        if u.speaker == prev:
            cur_words += n
            blocks[-1] = (u.role, cur_words, cur_start)
        else:
            prev, cur_words, cur_start = u.speaker, n, i
            blocks.append((u.role, n, i))
    for role, n, i in blocks:
        turns[role] = turns.get(role, 0) + 1
        if longest.get(role) is None or n > longest[role]["words"]:
            longest[role] = {"words": n, "seconds": None, "utterance": i}
    wt = sum(words.values())
    return {
        "words": words, "word_share": {r: _r(v / wt, 3) if wt else None for r, v in words.items()},
        "turns": turns, "longest_monologue": longest, "questions": questions,
        "agenda_elicited": agenda_elicited(t),
    }


MIX_CAVEAT = (
    "One microphone (a diarized mix): where two people talk at once, speech recognition keeps one "
    "voice and the other's words are lost or given to the wrong speaker, so interruptions, "
    "backchannels and overlaps are undercounted (on synthetic two-voice visits few of them are "
    "recovered: see benchmarks/turntaking.py). A speaker change right after an unfinished clause is "
    "listed as an overlap with reason 'possible_cut_off' and is not counted as an interruption. "
    "Talk time, turns, pauses and monologues remain usable."
)

MISSING_WITHOUT_TIMES = {
    "talk_time": "the transcript has no times (word_share gives each role's share of the words instead)",
    "talk_share": "the transcript has no times (see word_share)",
    "speech_rate_wpm": "needs times",
    "pause_before_clinician": "needs times",
    "wait_after_clinician_questions": "needs times",
    "interruptions": "overlaps and cut-offs cannot be seen without times; no interruption, backchannel or "
                     "overlap events are given",
    "backchannels": "needs times (a backchannel is speech during the other's speech)",
    "time_to_first_interruption_of_patient": "needs times",
    "opening_statement": "its length and whether it was interrupted need times",
    "longest_monologue.seconds": "needs times (longest_monologue gives words instead)",
}


# --------------------------------------------------------------------------- stage

def analyze_turns(t: Transcript) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(events, metrics) for a transcript; does not modify it."""
    timing = "none"
    if t.has_times and t.utterances:
        timing = "words" if all(u.words for u in t.utterances if u.text.strip()) else (
            "words+utterances" if any(u.words for u in t.utterances) else "utterances")
    method = {"timing": timing, "speaker_mode": t.source.get("speaker_mode") or t.source.get("kind"),
              "cut_off_rule": str(t.source.get("speaker_mode", "")) == "mix", "parameters": PARAMETERS}
    if not t.utterances:
        return [], {"method": method, "missing": {"everything": "the transcript has no utterances"}}
    if timing == "none":
        m = untimed_metrics(t)
        m["missing"] = dict(MISSING_WITHOUT_TIMES)
        m["method"] = method
        return [], m
    tl = build_timeline(t)
    events = detect_events(tl)
    m = turn_metrics(t, tl, events)
    opening_ev = m.pop("_opening_event")
    if opening_ev is not None:
        events.append(opening_ev)
        events.sort(key=lambda e: (e["at"], e["type"] == "opening_interrupted", e["type"] != "interruption"))
    missing = {}
    if len({r for r in tl.roles.values() if r in ("clinician", "patient")}) < 2:
        missing["opening_statement"] = "needs a clinician and a patient"
        missing["interruptions"] = "only one role was found: events between clinician and patient cannot be given"
    if missing:
        m["missing"] = missing
    if tl.mix:
        m["caveats"] = [MIX_CAVEAT]
    m["method"] = method
    return events, m


def run_stage(t: Transcript, opts=None, progress=None) -> None:
    events, metrics = analyze_turns(t)
    t.extra["events"] = events
    t.extra["metrics"] = metrics


try:  # registering needs the pipeline; the analysis functions above do not
    from .pipeline import register_stage

    register_stage("turns")(run_stage)
except ImportError:  # pragma: no cover
    pass
