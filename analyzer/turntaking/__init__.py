"""Turn-taking: who cut whom off, when, and how the floor was shared.

Registered as the pipeline stage ``turns``. It reads the transcript (utterances, their word
times when the input was audio, roles) and adds two top-level keys to the analysis JSON
(typed ``Transcript.events`` and ``Transcript.metrics``): ``events`` (a list in time order) and ``metrics``.

Definitions (the constants below are the numbers)
---------------------------------------------------
Speech is handled as *tokens* (words with times): the ASR word times when the input was audio,
otherwise each utterance's words spread over its interval in proportion to their length in
characters (i.e. at an even speaking rate). On multichannel audio (one microphone per speaker)
each word edge that borders a pause is snapped to where that speaker's own channel starts or
stops sounding (``voicing.py``; at most 0.6 s; ``metrics.method.word_edges``): Whisper's word
times are least accurate exactly at those edges, which decide "1.0 s still to come" and who
started first. Per speaker, tokens form

- *segments*: speech with no pause longer than ``SEGMENT_GAP`` (0.75 s); in a transcript
  with interval times only, also a new segment wherever a new utterance begins after a pause
  longer than ``ACTIVE_GAP`` (0.5 s: the annotator marked a new utterance and the speaker was
  silent before it; the pauses inside an interval are unknown, so its words are spread
  evenly); the start of a segment is an *onset*, the moment a speaker starts talking;
- *runs*: speech with no pause longer than ``RUN_GAP`` (1.0 s, as the pipeline's utterances).

At each onset of speaker B, if another speaker A is talking (inside one of A's segments):

- what A still has to say is A's run from the onset up to the end of A's segment (a pause
  longer than SEGMENT_GAP or a new utterance after a pause), or to A's first pause of
  ``YIELD_PAUSE`` (0.3 s) once B's segment has ended (what A says after that answers B), giving
  ``of_remaining_s`` and ``of_remaining_words`` (words whose middle is after the onset); A's
  *utterance* is A's run up to that end (``of_words``: its words said and to come);
- A is talking at the onset if it falls inside one of A's segments but not inside a pause of
  A's longer than ``ACTIVE_GAP`` (0.5 s);
- what B says is B's segment from the onset (B's utterance there), as far as it goes while
  A is still talking: "OK. [0.8 s] OK. [0.8 s] Do you remember ..." under A's speech is two
  backchannels and then, if A still has 1 s and 4 words to come, an interruption;
- ``backchannel``: that is at most 3 words, all acknowledgements or minimal responses
  ("mm-hmm", "yeah", "okay", "right", "perfect", "I see", "yes", "no", ASR spellings of hums
  such as "Emem"), and B does not go straight on (no more words within ``ACK_PAUSE``, 0.7 s);
- ``overlap`` with ``reason``: "no_words" (only fillers or markers such as "[unintelligible]"),
  "simultaneous" (A's segment started less than ``SIMULTANEOUS`` = 0.3 s before B's: neither
  was mid-utterance; one event, by the later starter), "near_end" (less than 1.0 s of A to
  come), "few_words" (A's utterance has fewer than 4 words);
- ``interruption`` otherwise: A's utterance has 4+ words and at least 1.0 s of it is still to
  come (exactly 1.0 s counts). ``succeeded`` when A stops no later than ``YIELD_WITHIN`` (2.5 s)
  after B came in (``of_stopped_after_s``). A "within ~1 s" rule cannot work: because an
  interruption needs 1.0 s of A still to come, A can never stop sooner than that, so the
  window is 1.0 s plus ~1.5 s to finish the word or phrase in flight (the scripted sample
  interruptions, where the patient stops 1.1-2.1 s after being cut into, are successes).
  One interruption per run of B and run of A.
- B resuming after a pause inside its run is a new onset unless A came in during B's previous
  segment while B still had a second to go (then B resuming continues that overlap).

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
leave no trace in the transcript. With ``source.speaker_mode == "mix"`` the stage therefore
reads the audio file (``source.file``) and runs the overlapped-speech detector
(``analyzer/overlap``: a small MLP trained on synthetic two-voice mixes, never used on
multichannel input) to find where two voices sound at once; ``mono.py`` turns its regions into
events (evidence ``overlap_detector``; confidence ``medium`` or ``low``): an interruption where
>= 1.0 s of double talk starts while A is talking (4+ words so far) and B's words (not a
backchannel) begin inside it or within 1 s after, by B of A, at the region's start; a failed
interruption by the other role where >= 1.5 s of double talk lies inside A's speech and B's
words are nowhere; a backchannel by the other role for 0.4-1.0 s of double talk inside A's
speech with no words of anyone else near. Who cut in is checked against the voices heard just before and after each
region (``voice.py``: Resemblyzer embeddings against per-speaker centroids; an event is kept,
reversed or dropped, and a clear change of voice across a region the words miss is an
interruption). Double talk also counts in talk time for the voice
the transcript left out. ``metrics.method.overlap_detector`` says whether it ran (the audio may
be gone when a saved transcript is re-analysed). Without it, mono gives no interruptions.
A speaker change within ``CUT_OFF_GAP`` (0.25 s) of the other's last word, after 4+ words
ending mid-clause, is still listed as an ``overlap`` with ``reason: "possible_cut_off"``
(low confidence). Figures: docs/turn-taking.md and docs/benchmarks.md.

Metrics: see ``turn_metrics``. Without times (plain text) the metrics that need none (words,
word share, turns, longest monologue in words, questions, agenda) are given and
``metrics.missing`` names the others and why.
"""
from __future__ import annotations

from typing import Any

from ..model import Transcript
from ..records import Event, Metrics
from ..runner import register_stage
from .source_audio import SourceAudio
from .params import PARAMETERS
from .timeline import build_timeline
from .events import detect_events
from .metrics import MISSING_WITHOUT_TIMES, MIX_CAVEAT, turn_metrics, untimed_metrics
from .lexicon import has_words, is_backchannel, is_unfinished, norm_words  # noqa: F401  (public helpers)


# --------------------------------------------------------------------------- stage

def analyze_turns(t: Transcript, audio: SourceAudio | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(events, metrics) for a transcript; does not modify it. ``audio``: its recording, decoded
    (mono: the double-talk detector; multichannel: word edges and bleed); None: without them."""
    audio = audio or SourceAudio.none(t)
    timing = "none"
    if t.has_times and t.utterances:
        timing = "words" if all(u.words for u in t.utterances if u.text.strip()) else (
            "words+utterances" if any(u.words for u in t.utterances) else "utterances")
    method = {"timing": timing, "speaker_mode": t.source.speaker_mode or t.source.kind or None,
              "cut_off_rule": t.source.speaker_mode == "mix", "parameters": PARAMETERS}
    if not t.utterances:
        return [], {"method": method, "missing": {"everything": "the transcript has no utterances"}}
    if timing == "none":
        m = untimed_metrics(t)
        m["missing"] = dict(MISSING_WITHOUT_TIMES)
        m["method"] = method
        return [], m
    tl = build_timeline(t, audio)
    method["word_edges"] = tl.refined
    events = detect_events(tl)
    regs = None
    if tl.mix:  # one microphone: double talk from the audio (never on multichannel input)
        method["overlap_detector"], regs = _add_detector_events(t, tl, events, audio)
    m = turn_metrics(t, tl, events)
    if regs and DOUBLE_TALK_IN_SHARE:
        _share_with_double_talk(m, tl, regs)
    opening_ev = m.pop("_opening_event")
    if opening_ev is not None:
        events.append(opening_ev)
        events.sort(key=lambda e: (e["at"], e["type"] == "opening_interrupted", e["type"] != "interruption"))
    missing = {}
    if len({r for r in tl.roles.values() if r in ("clinician", "patient")}) < 2:
        missing["opening_statement"] = "needs a clinician and a patient"
        missing["interruptions"] = "only one role was found: events between clinician and patient cannot be given"
    elif tl.mix and method["overlap_detector"]["status"] != "used":
        # One microphone without its recording: the words alone miss most double talk, so a
        # count here would read as a false "no interruptions".
        missing["interruptions"] = missing["backchannels"] = (
            f"one microphone, and the recording was not available to the double-talk detector "
            f"({method['overlap_detector']['status']}): interruptions and backchannels cannot be counted")
    if missing:
        m["missing"] = missing
    if tl.mix:
        m["caveats"] = [MIX_CAVEAT]
    m["method"] = method
    return events, m


DOUBLE_TALK_IN_SHARE = True  # mono: detected double talk counts for the voice the transcript left out


def _share_with_double_talk(m: dict[str, Any], tl, regs) -> None:
    from .mono import talk_with_double_talk

    talk = talk_with_double_talk(tl, regs)
    total = sum(talk.values())
    if total:
        m["talk_time"] = {r: round(v, 1) for r, v in talk.items()}
        m["talk_share"] = {r: round(v / total, 3) for r, v in talk.items()}


def _add_detector_events(t: Transcript, tl, events: list[dict[str, Any]], audio: SourceAudio):
    from .mono import PARAMS, detector_events, overlap_probability_for, regions_of, voice_for

    mix = audio.mix()  # one signal for the detector and the voice check
    prob, status = overlap_probability_for(t, mix)
    info: dict[str, Any] = {"status": status, **PARAMS}
    if prob is None:
        return info, None
    regs, short = regions_of(prob)
    info["double_talk_s"] = round(sum(e - s for s, e, _ in regs), 1)
    info["regions"] = len(regs)
    have = [e["at"] for e in events if e["type"] in ("interruption", "backchannel")]
    voice, info["voice"] = voice_for(t, tl, regs + short, mix) if regs else (None, "no regions")
    for ev in detector_events(tl, regs, short, voice=voice):
        if not any(abs(ev["at"] - x) <= 1.0 for x in have):  # the word-based rules saw it already
            events.append(ev)
            have.append(ev["at"])
    events.sort(key=lambda e: (e["at"], e["type"] != "interruption"))
    return info, regs


def run_stage(t: Transcript, audio: SourceAudio | None = None) -> None:
    """Add ``events`` and ``metrics`` to ``t`` (``audio``: the visit's decoded recording, if any)."""
    events, metrics = analyze_turns(t, audio)
    t.events = [Event.from_dict(e) for e in events]
    t.metrics = Metrics.from_dict(metrics)


@register_stage("turns", label="Turn-taking: interruptions, talk time", assigns=("events", "metrics"),
                requires=("roles",), weight=0.02)
def turns_stage(ctx, update) -> None:
    run_stage(ctx.transcript, SourceAudio.of(ctx.audio, ctx.audio_status))
    update(1.0)
