"""Speech as timed tokens per speaker, grouped into segments and runs."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..model import Transcript, Utterance
from .params import ACTIVE_GAP, EPS, RUN_GAP, SEGMENT_GAP
from .lexicon import _MARKER, _OK, _WORD

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
    timed: bool = True  # False: placed by spreading its utterance's words over the interval
    prob: float | None = None  # the recogniser's confidence in the word, when it gave one

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


def _tokens_of(u: Utterance, i: int) -> list[Tok]:
    out: list[Tok] = []
    if u.words:
        for w in u.words:
            text = w.text.strip()
            if not text:
                continue
            out.append(Tok(float(w.start), float(max(w.end, w.start)), text, u.speaker, i, prob=w.probability))
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
            out.append(Tok(a, u.start + dur * acc / total, r, u.speaker, i, timed=False))
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


def _split(toks: list[Tok], gap: float, by_utterance: bool = False) -> list[list[Tok]]:
    """Group tokens at pauses longer than ``gap``. With ``by_utterance``, also where a new
    utterance with interval times only (a human-segmented transcript) begins after a pause
    longer than ACTIVE_GAP: the annotator marked a new utterance and the speaker was silent
    before it, so it is a new start. Inside such an utterance the pauses are unknown (its
    words are spread evenly); words with times carry their pauses, so for them the pauses
    alone decide, as for ASR words."""
    out: list[list[Tok]] = []
    end = None
    for t in toks:
        new_utt = (by_utterance and out and not t.timed and t.utt != out[-1][-1].utt
                   and t.start - end > ACTIVE_GAP + EPS)
        if out and t.start - end <= gap and not new_utt:
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
    seg_first: set[int] = field(default_factory=set)  # id() of each segment's first token
    refined: dict = field(default_factory=dict)  # what voicing.refine_timeline_tokens did

    def index(self) -> None:
        """Start-time indexes for bisection (each speaker's spans are disjoint and sorted)."""
        self.seg_starts = {k: [s.start for s in v] for k, v in self.segments.items()}
        self.run_starts = {k: [r.start for r in v] for k, v in self.runs.items()}
        self.run_of_seg = {id(sg): r for rs in self.runs.values() for r in rs for sg in r.segments}
        self.tok_starts = {k: [x.start for x in v] for k, v in self.toks.items()}
        self.seg_first = {id(sg.toks[0]) for ss in self.segments.values() for sg in ss}

    def all_runs(self) -> list[Run]:
        return sorted((r for rs in self.runs.values() for r in rs), key=lambda r: (r.start, r.speaker))

    def all_segments(self) -> list[Span]:
        return sorted((s for ss in self.segments.values() for s in ss), key=lambda s: (s.start, s.speaker))


def build_timeline(t: Transcript, audio=None, refine: bool = True) -> Timeline:
    """``audio``: the visit's recording (``source_audio.SourceAudio``), for multichannel word edges."""
    t.ensure_speakers()
    roles = {sid: sp.role for sid, sp in t.speakers.items()}
    toks: dict[str, list[Tok]] = {}
    for i, u in enumerate(t.utterances):
        roles.setdefault(u.speaker, u.role)
        if u.role and roles.get(u.speaker) != u.role and t.speakers.get(u.speaker) is None:
            roles[u.speaker] = u.role
        toks.setdefault(u.speaker, []).extend(_tokens_of(u, i))
    if refine and t.source.speaker_mode == "multichannel":
        from .source_audio import SourceAudio
        from .voicing import refine_timeline_tokens

        refined = refine_timeline_tokens(t, toks, audio or SourceAudio.none(t))
    else:
        refined = {"status": "off" if not refine else "not multichannel audio"}
    runs: dict[str, list[Run]] = {}
    segs: dict[str, list[Span]] = {}
    for sid, ts in toks.items():
        ts.sort(key=lambda x: (x.start, x.end))
        role = roles.get(sid, "other")
        segs[sid] = [Span(sid, role, g) for g in _split(ts, SEGMENT_GAP, by_utterance=True)]
        rs = []
        j = 0
        for g in _split(ts, RUN_GAP):  # every segment lies inside one run (RUN_GAP > SEGMENT_GAP)
            r = Run(sid, role, g)
            while j < len(segs[sid]) and segs[sid][j].end <= r.end + EPS:
                r.segments.append(segs[sid][j])
                j += 1
            rs.append(r)
        runs[sid] = rs
    mix = t.source.speaker_mode == "mix"
    tl = Timeline(roles, toks, runs, segs, mix)
    tl.refined = refined
    tl.index()
    return tl
