"""Overlapped-speech detector (analyzer/overlap) and its use by the turn-taking stage on mono."""
from __future__ import annotations

import numpy as np
import pytest

from analyzer.model import Speaker, Transcript, Utterance, Word
from analyzer.overlap.features import dim, frame_features
from analyzer.overlap.model import MODEL_PATH, load_model, overlap_probability, regions
from analyzer.turntaking import analyze_turns, build_timeline
from analyzer.turntaking.mono import detector_events

ROLE = {"C": "clinician", "P": "patient"}


def words_over(s: float, e: float, text: str) -> list[Word]:
    toks = text.split()
    step = (e - s) / len(toks)
    return [Word(w, round(s + i * step, 3), round(s + (i + 1) * step - 0.02, 3)) for i, w in enumerate(toks)]


def mix_transcript(*utts) -> Transcript:
    us = [Utterance(speaker=spk, role=ROLE[spk], start=s, end=e, text=x, words=words_over(s, e, x))
          for spk, s, e, x in utts]
    t = Transcript(utterances=us, speakers={k: Speaker(k, ROLE[k], 1.0, "input") for k in {u[0] for u in utts}})
    t.sort()
    t.source.speaker_mode = "mix"
    return t


PAT = "so I have been getting these headaches every morning for about two weeks now"


def test_region_with_a_speaker_change_is_an_interruption_by_who_holds_the_floor_after():
    t = mix_transcript(("P", 0.0, 6.0, PAT), ("C", 6.1, 9.0, "and do you get any sickness with them"))
    [e] = detector_events(build_timeline(t), [(4.8, 6.0, 0.8)])
    assert (e["type"], e["by"], e["of"], e["at"]) == ("interruption", "clinician", "patient", 4.8)
    assert e["evidence"] == "overlap_detector" and e["confidence"] == "medium" and e["succeeded"] is True
    assert e["of_remaining_s"] == 1.2


def test_one_second_of_double_talk_is_enough_and_a_bit_less_is_not():
    t = mix_transcript(("P", 0.0, 6.0, PAT), ("C", 6.1, 9.0, "and do you get any sickness with them"))
    [e] = detector_events(build_timeline(t), [(5.0, 6.0, 0.9)])
    assert (e["type"], e["by"], e["at"], e["of_remaining_s"]) == ("interruption", "clinician", 5.0, 1.0)
    assert [x["type"] for x in detector_events(build_timeline(t), [(5.1, 6.0, 0.9)])] == []


def test_no_interruption_for_backchannel_short_region_few_words_or_silence_before():
    tl = build_timeline(mix_transcript(("P", 0.0, 6.0, PAT), ("C", 6.1, 6.6, "mm-hmm"), ("P", 7.0, 9.0, "and it hurts a lot")))
    assert detector_events(tl, [(5.0, 6.0, 0.9)]) == []  # a backchannel is not an interruption
    tl = build_timeline(mix_transcript(("P", 0.0, 6.0, PAT), ("C", 6.1, 9.0, "and do you get any sickness with them")))
    assert detector_events(tl, [(5.6, 6.0, 0.9)]) == []  # 0.4 s of double talk: too short
    tl = build_timeline(mix_transcript(("P", 0.0, 1.0, "yes I do"), ("C", 1.1, 4.0, "and do you get any sickness with them")))
    assert detector_events(tl, [(0.4, 1.2, 0.9)]) == []  # fewer than 4 words of the patient so far
    tl = build_timeline(mix_transcript(("P", 0.0, 3.0, "so I have been getting these"), ("C", 5.0, 8.0, "and do you get any sickness")))
    assert detector_events(tl, [(4.0, 5.2, 0.9)]) == []  # the patient had stopped 1 s before


def test_stage_uses_the_detector_only_on_mono_audio(tmp_path):
    t = mix_transcript(("P", 0.0, 6.0, PAT), ("C", 6.1, 9.0, "and do you get any sickness with them"))
    _, m = analyze_turns(t)
    assert m["method"]["overlap_detector"]["status"] == "no audio"
    t.source.speaker_mode = "multichannel"
    _, m = analyze_turns(t)
    assert "overlap_detector" not in m["method"]


def test_features_are_deterministic_and_shaped():
    rng = np.random.default_rng(0)
    a = (rng.normal(0, 0.05, 16000 * 3)).astype(np.float32)
    f1, f2 = frame_features(a), frame_features(a)
    assert f1.shape == (30, dim()) and np.array_equal(f1, f2)
    assert regions(np.array([0, .9, .9, .9, 0, .9, .9, .9, .9, 0, 0, 0, .9]), 0.5, min_s=0.3) == [(0.1, 0.9, pytest.approx(0.9 * 7 / 8))]


def test_artifact_is_small_and_documented():
    assert MODEL_PATH.stat().st_size < 5e6
    assert (MODEL_PATH.parent / "MODEL_CARD.md").is_file()
    m = load_model()
    assert m["W0"].shape[1] == dim() and 0 < float(m["threshold"]) < 1


def test_detector_hears_two_voices_where_they_overlap():
    """Two espeak voices (unseen sentences), the second coming in 1.5 s before the first ends."""
    synth = pytest.importorskip("benchmarks.synth")
    sr = 16000
    # espeak-ng is installed by scripts/setup.sh: a missing voice is a failure, not a skip.
    a = synth.synthesize("I was wondering whether the tablets could be causing my stomach trouble lately", "espeak_m", sr)
    b = synth.synthesize("Right, let us look at when you started taking them and how often", "espeak_f", sr)
    start_b = len(a) - int(1.5 * sr)
    n = start_b + len(b) + sr
    mix = np.zeros(n, np.float32)
    mix[: len(a)] += a
    mix[start_b:start_b + len(b)] += 0.7 * b
    p = overlap_probability(mix)
    both = p[int(start_b / 1600) + 2: int(len(a) / 1600) - 2]
    one = np.concatenate([p[5: int(start_b / 1600) - 3], p[int(len(a) / 1600) + 3: int((start_b + len(b)) / 1600) - 3]])
    assert both.mean() > 0.5 and one.mean() < 0.3, (both.mean(), one.mean())


def test_short_double_talk_inside_ones_speech_with_no_words_is_a_lost_backchannel():
    t = mix_transcript(("P", 0.0, 9.0, PAT + " and they get worse in the evening"), ("C", 12.0, 13.0, "okay I see"))
    tl = build_timeline(t)
    [e] = detector_events(tl, [], [(4.0, 4.6, 0.9)])
    assert (e["type"], e["by"], e["of"], e["confidence"]) == ("backchannel", "clinician", "patient", "low")
    assert detector_events(tl, [], [(4.0, 5.8, 0.9)]) == []  # too long for a backchannel
    ev = detector_events(tl, [(3.5, 5.0, 0.9)], [(4.0, 4.6, 0.9)])  # inside a long region: not a backchannel
    assert [x["type"] for x in ev] == ["interruption"]


def test_long_double_talk_with_the_other_never_taking_the_floor_is_a_failed_interruption():
    t = mix_transcript(("P", 0.0, 9.0, PAT + " and they get worse in the evening"), ("C", 12.0, 13.0, "okay I see"))
    [e] = detector_events(build_timeline(t), [(4.0, 6.0, 0.9)])
    assert (e["type"], e["by"], e["of"], e["succeeded"]) == ("interruption", "clinician", "patient", False)
    assert e["evidence"] == "overlap_detector_no_words" and e["confidence"] == "low"


def test_words_of_the_interrupter_just_before_the_double_talk_do_not_reverse_who_cut_in():
    # The diarizer starts the clinician's words at 5.6, 0.4 s before the detector hears two voices.
    t = mix_transcript(("P", 0.0, 5.5, PAT), ("C", 5.6, 9.0, "and do you get any sickness with them"))
    [e] = detector_events(build_timeline(t), [(6.0, 7.5, 0.9)])
    assert (e["by"], e["of"]) == ("clinician", "patient")


def _two_voice_visit():
    """Real TTS voices: P (espeak_m) and C (espeak_f) take turns, then C comes in 1.5 s before
    P's last sentence ends and holds the floor. Returns (samples, clip intervals, region)."""
    synth = pytest.importorskip("benchmarks.synth")
    sr = 16000
    lines = [("P", "I have been getting these headaches every morning for about two weeks now and they are worse"),
             ("C", "I am sorry to hear that, can you tell me a little more about where the pain sits"),
             ("P", "it starts at the back of my head and then it moves round to the front by the afternoon"),
             ("C", "and have you taken anything for it so far, any tablets from the chemist")]
    clips = [(who, synth.synthesize(x, "espeak_m" if who == "P" else "espeak_f", sr)) for who, x in lines]
    t, spans, parts = 0.5, [], []
    for i, (who, a) in enumerate(clips):
        if i == 3:  # C comes in 1.5 s before P's last line ends
            t -= 1.5 + 0.6
        spans.append((who, t, t + len(a) / sr, lines[i][1]))
        parts.append((int(t * sr), a))
        t += len(a) / sr + 0.6
    mix = np.zeros(int((t + 1) * sr), np.float32)
    for s, a in parts:
        mix[s:s + len(a)] += a
    region = (spans[3][1], spans[2][2])
    return mix, spans, region


def test_voice_before_the_double_talk_decides_who_cut_in():
    from analyzer.turntaking.mono import VOICE_FLIP
    from analyzer.turntaking.voice import VoiceJudge

    mix, spans, (s, e) = _two_voice_visit()
    # The diarizer gave the end of P's line (just before the double talk) and all of C's line to C:
    # the words say C was talking and P (whose words are then missing) came in.
    p3 = spans[2]
    cut = s - 1.6  # earlier than ONSET_LEAD_S: the words rules cannot tell
    t = mix_transcript(spans[0][:3] + (spans[0][3],), spans[1], ("P", p3[1], cut - 0.05, "it starts at the back of my head and then"),
                       ("C", cut, p3[2], "it moves round to the front by the afternoon"), spans[3])
    tl = build_timeline(t)
    segs = {sid: [(g.start, g.end) for g in gs] for sid, gs in tl.segments.items()}
    voice = VoiceJudge(mix, segs, [(s, e)])
    assert set(voice.centroids) == {"C", "P"}
    [words_only] = [x for x in detector_events(tl, [(s, e, 0.9)]) if x["type"] == "interruption"]
    assert words_only["by"] == "patient"  # what the words alone say
    [ev] = [x for x in detector_events(tl, [(s, e, 0.9)], voice=voice) if x["type"] == "interruption"]
    assert (ev["by"], ev["of"], ev["evidence"]) == ("clinician", "patient", "overlap_detector_voice")
    assert ev["voice_before"] <= -VOICE_FLIP


def test_voice_check_reuses_the_diarizers_centroids():
    from analyzer.speech.diarize import diarize
    from analyzer.turntaking.voice import VoiceJudge

    mix, spans, (s, e) = _two_voice_visit()
    d = diarize(mix, 16000, speech=[(a, b) for _, a, b, _ in spans], num_speakers=2)
    # The diarizer's speaker ids, named after the transcript's speakers whose lines they hold.
    held = {who: max(d.speakers, key=lambda sid: sum(max(0.0, min(b, t.end) - max(a, t.start))
                                                      for w, a, b, _ in spans if w == who for t in d.turns
                                                      if t.speaker == sid)) for who in ("C", "P")}
    assert held["C"] != held["P"]
    p3 = spans[2]
    cut = s - 1.6
    t = mix_transcript(spans[0], spans[1], ("P", p3[1], cut - 0.05, "it starts at the back of my head and then"),
                       ("C", cut, p3[2], "it moves round to the front by the afternoon"), spans[3])
    tl = build_timeline(t)
    segs = {sid: [(g.start, g.end) for g in gs] for sid, gs in tl.segments.items()}
    voice = VoiceJudge(mix, segs, [(s, e)], centroids={who: d.centroids[sid] for who, sid in held.items()})
    assert voice.centroid_source == "diarizer"
    for who, sid in held.items():
        assert np.allclose(voice.centroids[who], d.centroids[sid], atol=1e-6)
    [ev] = [x for x in detector_events(tl, [(s, e, 0.9)], voice=voice) if x["type"] == "interruption"]
    assert (ev["by"], ev["of"], ev["evidence"]) == ("clinician", "patient", "overlap_detector_voice")
    # Centroids that miss one of the transcript's speakers are not used: both are embedded again.
    partial = VoiceJudge(mix, segs, [(s, e)], centroids={"C": d.centroids[held["C"]]})
    assert partial.centroid_source == "transcript" and set(partial.centroids) == {"C", "P"}


def test_voice_change_across_a_region_the_words_miss_is_an_interruption():
    from analyzer.turntaking.voice import VoiceJudge

    mix, spans, (s, e) = _two_voice_visit()
    # C's first words lost in the mix: C's transcript starts 1.5 s after the double talk ends.
    c4 = spans[3]
    t = mix_transcript(*spans[:3], ("C", e + 1.5, c4[2], "any tablets from the chemist"))
    tl = build_timeline(t)
    assert [x for x in detector_events(tl, [(s, e, 0.9)]) if x["type"] == "interruption"] == []
    segs = {sid: [(g.start, g.end) for g in gs] for sid, gs in tl.segments.items()}
    [ev] = detector_events(tl, [(s, e, 0.9)], voice=VoiceJudge(mix, segs, [(s, e)]))
    assert (ev["type"], ev["by"], ev["of"], ev["at"]) == ("interruption", "clinician", "patient", round(s, 2))
