"""Multichannel word-edge snapping (analyzer/turntaking/voicing.py) on hand-made signals."""
from __future__ import annotations

import numpy as np
import soundfile as sf

from analyzer.model import Speaker, Transcript, Utterance, Word
from analyzer.turntaking import analyze_turns
from analyzer.records import Source
from analyzer.turntaking.source_audio import SourceAudio
from analyzer.turntaking.timeline import Tok, build_timeline
from analyzer.turntaking.voicing import SR, frame_db, snap_edges, voiced_mask


def tone(seconds: float, spans: list[tuple[float, float]], level: float = 0.3, floor: float = 1e-4) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.normal(0, floor, int(seconds * SR)).astype(np.float32)
    for a, b in spans:
        n = int(b * SR) - int(a * SR)
        x[int(a * SR):int(b * SR)] += level * np.sin(2 * np.pi * 220 * np.arange(n) / SR).astype(np.float32)
    return x


def toks(*spans):
    return [Tok(a, b, f"w{i}", "S1", 0) for i, (a, b) in enumerate(spans)]


def test_edges_at_pauses_move_to_the_sound_and_inner_edges_stay():
    # Sound 1.0-2.0 and 3.0-4.0; the ASR put the first word early (0.6), the word before the
    # pause ending early (1.8), the next onset late (3.3) and the last end late (4.4).
    x = tone(5.0, [(1.0, 2.0), (3.0, 4.0)])
    ts = toks((0.6, 1.2), (1.2, 1.8), (3.3, 3.6), (3.6, 4.4))
    mask = voiced_mask(frame_db(x), [(t.start, t.end) for t in ts])
    moved = snap_edges(ts, mask)
    assert moved == 4
    assert abs(ts[0].start - 1.0) <= 0.03 and abs(ts[1].end - 2.0) <= 0.03
    assert abs(ts[2].start - 3.0) <= 0.03 and abs(ts[3].end - 4.0) <= 0.03
    assert ts[0].end == 1.2 and ts[1].start == 1.2  # inside continuous speech: untouched


def test_an_edge_moves_at_most_max_shift_and_never_past_its_neighbour():
    # Sound from 0.0 to 3.0 but the ASR's word starts at 2.0 after a word ending at 1.5: the
    # start may go back no further than just after the previous word (1.55), not to 0.0.
    x = tone(4.0, [(0.0, 3.0)])
    ts = toks((1.0, 1.5), (2.0, 2.6))
    snap_edges(ts, voiced_mask(frame_db(x), [(t.start, t.end) for t in ts]))
    assert ts[1].start >= 1.55 - 1e-9 and ts[1].start >= 2.0 - 0.6 - 1e-9
    assert ts[0].end <= ts[1].start


def test_quiet_bleed_of_the_other_speaker_is_not_this_speakers_voice():
    # The other voice leaks in 30 dB down from 0.0 to 1.0; this speaker starts at 1.0.
    x = tone(3.0, [(1.0, 2.5)]) + tone(3.0, [(0.0, 1.0)], level=0.3 * 10 ** (-30 / 20), floor=0)
    ts = toks((0.7, 1.4), (1.4, 2.5))
    snap_edges(ts, voiced_mask(frame_db(x), [(t.start, t.end) for t in ts]))
    assert abs(ts[0].start - 1.0) <= 0.03


def test_stage_snaps_stereo_onsets_from_the_audio_file(tmp_path):
    # Patient talks 0-6 s on the right channel; the clinician's voice starts at 4.8 s on the left,
    # but the ASR put "Sorry," at 5.2: 0.8 s of the patient left by the words, 1.2 s by the audio.
    left = tone(8.0, [(4.8, 6.5)])
    right = tone(8.0, [(0.0, 6.0)])
    path = tmp_path / "visit.wav"
    sf.write(path, np.stack([left, right], 1), SR)
    pw = [Word(f"w{i}", i * 0.5, i * 0.5 + 0.5) for i in range(12)]
    cw = [Word("Sorry,", 5.2, 5.5), Word("which", 5.5, 5.8), Word("side", 5.8, 6.1), Word("again?", 6.1, 6.5)]
    t = Transcript(utterances=[
        Utterance(speaker="S2", role="patient", start=0.0, end=6.0, text=" ".join(w.text for w in pw), words=pw),
        Utterance(speaker="S1", role="clinician", start=5.2, end=6.5, text="Sorry, which side again?", words=cw)],
        speakers={"S1": Speaker("S1", "clinician", 1.0, "input", channel=0),
                  "S2": Speaker("S2", "patient", 1.0, "input", channel=1)})
    t.source = Source(kind="audio", file="visit.wav", speaker_mode="multichannel")
    ev, m = analyze_turns(t, SourceAudio.from_file(path))
    [e] = [e for e in ev if e["type"] in ("interruption", "overlap")]
    assert e["type"] == "interruption" and abs(e["at"] - 4.8) <= 0.03
    assert m["method"]["word_edges"]["status"] == "used" and m["method"]["word_edges"]["edges_moved"] >= 1
    # The same transcript without its audio keeps the ASR's times: an overlap near the end.
    ev2, m2 = analyze_turns(t, SourceAudio.from_file(tmp_path / "gone.wav"))
    [e2] = [e for e in ev2 if e["type"] in ("interruption", "overlap")]
    assert e2["type"] == "overlap" and e2["reason"] == "near_end"
    assert m2["method"]["word_edges"]["status"] == "audio file not available"
    # Mono (one mix) is never snapped: the other voice is in the same signal.
    t.source.speaker_mode = "mix"
    assert build_timeline(t, SourceAudio.from_file(path)).refined["status"] == "not multichannel audio"


def test_hiss_is_not_speech_and_a_channel_too_noisy_to_tell_is_left_alone():
    # Hiss about 20 dB under the speech: the start still snaps to the sound (1.0 s).
    x = tone(3.0, [(1.0, 2.5)], level=0.1, floor=0.007)
    ts = toks((0.5, 1.3), (1.3, 2.5))
    snap_edges(ts, voiced_mask(frame_db(x), [(t.start, t.end) for t in ts]))
    assert abs(ts[0].start - 1.0) <= 0.03
    # Hiss as loud as the speech: no frame counts as voiced and nothing moves.
    y = tone(3.0, [(1.0, 2.5)], level=0.02, floor=0.03)
    ts = toks((0.5, 1.3), (1.3, 2.5))
    mask = voiced_mask(frame_db(y), [(t.start, t.end) for t in ts])
    assert not mask.any() and snap_edges(ts, mask) == 0 and ts[0].start == 0.5


def test_loud_bleed_is_not_voice_where_the_other_mic_is_far_louder():
    # The other speaker (0.0-1.0 s and 3.0-5.0 s) leaks onto this mic only 15 dB down: above
    # this mic's own threshold (median - 20 dB); their mic shows how much leaks (15 dB: measured
    # where they talk alone), so at 0.6-1.0 s this mic hears bleed, and speech from 1.0 s.
    spans_other = [(0.0, 1.0), (3.0, 5.0)]
    other = tone(6.0, spans_other, level=0.3)
    x = tone(6.0, [(1.0, 2.5)]) + tone(6.0, spans_other, level=0.3 * 10 ** (-15 / 20), floor=0)
    spans = [(0.6, 1.4), (1.4, 2.5)]
    alone = toks(*spans)
    snap_edges(alone, voiced_mask(frame_db(x), spans))
    assert alone[0].start < 0.9  # without the other mic the bleed looks like this speaker
    ts = toks(*spans)
    snap_edges(ts, voiced_mask(frame_db(x), spans, [frame_db(other)]))
    assert abs(ts[0].start - 1.0) <= 0.03


def test_words_this_mic_hears_only_as_bleed_are_dropped():
    # The other speaker (0-1 s, 3-5 s, 6-8.5 s) leaks onto this mic 15 dB down; this speaker
    # talks at 1.0-2.5 s and, over the other, at 4.2-4.8 s (loud on this mic). Whisper also wrote
    # a word at 3.5-4.0 s on this mic: the other's bleed, recognised differently on the two mics
    # so the ASR-level check kept it. It goes; this speaker's words stay.
    spans_other = [(0.0, 1.0), (3.0, 5.0), (6.0, 8.5)]
    other = tone(9.0, spans_other, level=0.3)
    x = tone(9.0, [(1.0, 2.5), (4.2, 4.8)]) + tone(9.0, spans_other, level=0.3 * 10 ** (-15 / 20), floor=0)
    from analyzer.turntaking.voicing import drop_bleed_tokens

    ts = toks((1.0, 1.6), (1.6, 2.5), (3.5, 4.0), (4.2, 4.8))
    assert drop_bleed_tokens(ts, frame_db(x), [frame_db(other)]) == 1
    assert [(t.start, t.end) for t in ts] == [(1.0, 1.6), (1.6, 2.5), (4.2, 4.8)]
    # without another mic (or no leak measurable) nothing is judged
    ts = toks((1.0, 1.6), (3.5, 4.0))
    assert drop_bleed_tokens(ts, frame_db(x), []) == 0 and len(ts) == 2


def test_a_word_stretched_over_the_silence_before_it_starts_at_its_sound():
    # Whisper gave the word after a pause 1.0 s (1.5-2.5 s) but its sound is 2.3-2.5 s: inward,
    # the start goes to the sound even beyond MAX_SHIFT (the word's own span bounds it); the end
    # of a word stretched over the silence after it comes back the same way.
    from analyzer.turntaking.voicing import MAX_SHIFT

    x = tone(5.0, [(0.5, 1.0), (2.3, 2.5), (3.0, 3.2)])
    ts = toks((0.5, 1.0), (1.5, 2.5), (3.0, 4.4))
    snap_edges(ts, voiced_mask(frame_db(x), [(t.start, t.end) for t in ts]))
    assert abs(ts[1].start - 2.3) <= 0.03 and ts[1].start - 1.5 > MAX_SHIFT
    assert abs(ts[2].end - 3.2) <= 0.03
