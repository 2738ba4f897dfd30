"""Turn-taking stage: each definition on small hand-built timelines, with its edges."""
from __future__ import annotations

import json

import pytest

from analyzer.model import Speaker, Transcript, Utterance, Word
from analyzer.records import Tag
from analyzer.turntaking import analyze_turns, is_backchannel, is_unfinished, norm_words, run_stage

from conftest import ROOT, SAMPLES

ROLE = {"C": "clinician", "P": "patient", "O": "other"}


def blah(n: int) -> str:
    """n words of equal length, so an utterance's words are spread evenly over its interval."""
    return " ".join(["blah"] * n)


def make(*utts, mode: str | None = None, words: dict | None = None) -> Transcript:
    """utts: (speaker C|P|O, start, end, text). words: {utterance index: [(start, end, text)]}."""
    us = []
    for i, (spk, s, e, text) in enumerate(utts):
        ws = [Word(w, a, b) for a, b, w in (words or {}).get(i, [])]
        us.append(Utterance(speaker=spk, role=ROLE[spk], start=s, end=e, text=text, words=ws))
    t = Transcript(utterances=us, speakers={s: Speaker(s, ROLE[s], 1.0, "input") for s in {u[0] for u in utts}})
    t.sort()
    if mode:
        t.source.speaker_mode = mode
    return t


def events(t: Transcript, kind: str | None = None) -> list[dict]:
    ev, _ = analyze_turns(t)
    return [e for e in ev if kind is None or e["type"] == kind]


# --------------------------------------------------------------------------- interruption edges

def test_exactly_one_second_left_is_an_interruption():
    # 40 words over 10 s: 0.25 s a word; at 9.0 exactly 1.0 s and 4 words are still to come.
    t = make(("P", 0.0, 10.0, blah(40)), ("C", 9.0, 11.0, "Can I ask about the pain?"))
    [e] = events(t)
    assert e["type"] == "interruption" and e["by"] == "clinician" and e["of"] == "patient"
    assert e["at"] == 9.0 and e["of_remaining_s"] == 1.0 and e["of_remaining_words"] == 4
    assert e["succeeded"] is True and e["evidence"] == "overlap"


def test_just_under_one_second_left_is_an_overlap():
    t = make(("P", 0.0, 10.0, blah(40)), ("C", 9.01, 11.0, "Can I ask about the pain?"))
    [e] = events(t)
    assert e["type"] == "overlap" and e["reason"] == "near_end"


def test_four_word_utterance_vs_three_word_utterance():
    # "that utterance has 4+ words": a 4-word utterance over 4 s cut into at 2.2 s (1.8 s and
    # 2 words to come) is an interruption; a 3-word one over 3 s cut into at 1.5 s is not.
    four = make(("P", 0.0, 4.0, blah(4)), ("C", 2.2, 4.5, "What do you mean exactly?"))
    three = make(("P", 0.0, 3.0, blah(3)), ("C", 1.5, 3.5, "What do you mean exactly?"))
    [e4] = events(four)
    [e3] = events(three)
    assert e4["type"] == "interruption" and e4["of_words"] == 4 and e4["of_remaining_words"] == 2
    assert e3["type"] == "overlap" and e3["reason"] == "few_words" and e3["of_words"] == 3


def test_few_words_left_of_a_long_utterance_still_counts():
    # 10 words over 10 s, cut into at 8.0: 2 words but 2 s still to come -> an interruption.
    [e] = events(make(("P", 0.0, 10.0, blah(10)), ("C", 8.0, 10.0, "What do you mean exactly?")))
    assert e["type"] == "interruption" and e["of_remaining_words"] == 2 and e["of_words"] == 10


def test_word_times_decide_what_is_left():
    # Utterance 0-6 s, but its last 4 words are spoken quickly in 4.0-5.0 and then silence to 6.0
    # is not speech: the words (not the utterance interval) say 1.0 s and 4 words remain at 4.0.
    ws = [(i * 0.5, i * 0.5 + 0.45, "blah") for i in range(8)] + [(4.0 + i * 0.25, 4.25 + i * 0.25, "blah")
                                                                   for i in range(4)]
    t = make(("P", 0.0, 6.0, blah(12)), ("C", 4.0, 6.0, "Sorry, which side was it?"), words={0: ws})
    [e] = events(t)
    assert e["type"] == "interruption" and e["of_remaining_s"] == 1.0 and e["of_remaining_words"] == 4
    # Without word times the same utterance would be spread to 6.0 s: 2 s and 4 words left.
    [e2] = events(make(("P", 0.0, 6.0, blah(12)), ("C", 4.0, 6.0, "Sorry, which side was it?")))
    assert e2["of_remaining_s"] == 2.0


def test_unsuccessful_interruption_when_the_other_talks_on():
    t = make(("P", 0.0, 20.0, blah(60)), ("C", 5.0, 7.0, "But what about the headaches?"))
    [e] = events(t)
    assert e["type"] == "interruption" and e["succeeded"] is False and e["of_stopped_after_s"] == 15.0


def test_successful_interruption_other_stops_soon_after():
    # The patient goes on 1.5 s over the clinician, then stops: the clinician took the floor.
    t = make(("P", 0.0, 6.5, blah(26)), ("C", 5.0, 9.0, "Okay. And how long has that been going on?"))
    [e] = events(t)
    assert e["type"] == "interruption" and e["succeeded"] is True and e["of_stopped_after_s"] == 1.5


def test_interrupted_speaker_answering_after_a_short_pause_has_stopped():
    # The patient stops 1.2 s after being cut into, the clinician's question ends, and the patient
    # answers 0.4 s later: that answer is not the rest of the interrupted utterance.
    t = make(("P", 0.0, 6.2, blah(25)), ("C", 5.0, 6.0, "Every day?"), ("P", 6.6, 9.0, "Most days, yes, I think."))
    [e] = events(t, "interruption")
    assert e["of_stopped_after_s"] == 1.2 and e["succeeded"] is True


def test_each_attempt_counts_once():
    # One attempt with a 0.8 s pause inside it: one interruption. Two attempts 2.5 s apart: two.
    one = make(("P", 0.0, 20.0, blah(60)), ("C", 5.0, 6.5, "But what about the headaches?"),
               ("C", 7.3, 8.5, "Sorry, can I just ask something?"))
    two = make(("P", 0.0, 20.0, blah(60)), ("C", 5.0, 6.5, "But what about the headaches?"),
               ("C", 9.0, 10.5, "Sorry, can I just ask something?"))
    assert [e["at"] for e in events(one, "interruption")] == [5.0]
    assert [e["at"] for e in events(two, "interruption")] == [5.0, 9.0]


def test_a_misheard_hum_is_a_backchannel_but_clear_words_are_not():
    # Whisper wrote "Amen, love." for a patient's "Mm-hmm" under the clinician's speech, both
    # words with low confidence: an unclear sound, read as a backchannel. The same words heard
    # clearly would be an interruption; three unsure words followed straight on are a turn.
    def visit(probs, more=False):
        words = {1: [(5.0, 5.2, "Amen,"), (5.2, 5.5, "love.")]}
        utts = [("C", 0.0, 10.0, blah(40)), ("P", 5.0, 5.5, "Amen, love.")]
        if more:
            words[2] = [(5.7, 6.0, "and"), (6.0, 6.5, "then")]
            utts.append(("P", 5.7, 6.5, "and then"))
        t = make(*utts, words=words)
        for w, p in zip(t.utterances[1].words, probs):
            w.probability = p
        return events(t)

    [e] = visit([0.20, 0.12])
    assert e["type"] == "backchannel" and e["reason"] == "unclear" and e["by"] == "patient"
    [e] = visit([0.20, 0.90])
    assert e["type"] == "interruption"
    assert [x["type"] for x in visit([0.2, 0.1], more=True)] == ["interruption"]


def test_acknowledgement_followed_straight_on_is_not_a_backchannel():
    # "Yeah" then, without a break and while the other still talks, more words: a turn, not a
    # backchannel (what counts is what B says while A is still talking).
    t = make(("C", 0.0, 10.0, blah(30)), ("P", 4.0, 4.4, "Yeah,"), ("P", 4.5, 7.0, "but I tried that already"))
    [e] = events(t)
    assert e["type"] == "interruption" and e["text"].startswith("Yeah, but")
    # "Yeah." and a real turn only after the clinician has finished: a backchannel.
    t = make(("C", 0.0, 10.0, blah(30)), ("P", 9.0, 9.3, "Yeah."), ("P", 10.3, 12.0, "So what should I do then?"))
    assert [e["type"] for e in events(t)] == ["backchannel"]


def test_patient_can_interrupt_the_clinician():
    t = make(("C", 0.0, 10.0, blah(30)), ("P", 4.0, 7.0, "Sorry but I already tried that one"))
    [e] = events(t)
    assert e["type"] == "interruption" and e["by"] == "patient" and e["of"] == "clinician"


# --------------------------------------------------------------------------- backchannels and overlaps

def test_three_word_backchannel_vs_four_words():
    three = make(("C", 0.0, 10.0, blah(30)), ("P", 4.0, 5.0, "Okay, I see."))
    four = make(("C", 0.0, 10.0, blah(30)), ("P", 4.0, 5.5, "Yeah, okay, I see."))
    [b] = events(three)
    [i] = events(four)
    assert b["type"] == "backchannel" and b["by"] == "patient" and b["of"] == "clinician"
    assert i["type"] == "interruption"


@pytest.mark.parametrize("text", ["Mm-hmm.", "Yeah.", "Okay.", "Right.", "Perfect.", "I see.", "Uh-huh", "yes yes",
                                  "Okay, thank you.", "Mm hmm", "Got it.", "Um, okay.",
                                  "Yeah, yeah, yeah, yeah.", "Emem. Emem. Emem. Emem."])
def test_backchannel_vocabulary(text):
    assert is_backchannel(text)


@pytest.mark.parametrize("text", ["", "Um.", "[unintelligible]", "Yeah, but why?", "Okay so what now",
                                  "It hurts.", "Yeah okay I see"])
def test_not_backchannels(text):
    assert not is_backchannel(text)


def test_backchannel_when_little_is_left_is_still_a_backchannel():
    t = make(("C", 0.0, 10.0, blah(30)), ("P", 9.8, 10.2, "Mm-hmm."))
    assert [e["type"] for e in events(t)] == ["backchannel"]


def test_simultaneous_start_is_one_overlap():
    t = make(("C", 5.0, 9.0, "So how have you been sleeping lately?"),
             ("P", 5.0, 9.0, "I wanted to ask you about my tablets"))
    ev = events(t)
    assert len(ev) == 1 and ev[0]["type"] == "overlap" and ev[0]["reason"] == "simultaneous"


def test_near_simultaneous_start_within_point_three_seconds():
    t = make(("C", 5.0, 9.0, "So how have you been sleeping lately?"),
             ("P", 5.2, 9.0, "I wanted to ask you about my tablets"))
    [e] = events(t)
    assert e["type"] == "overlap" and e["reason"] == "simultaneous" and e["by"] == "patient"


def test_wordless_speech_is_an_overlap():
    t = make(("C", 0.0, 10.0, blah(30)), ("P", 3.0, 4.0, "[unintelligible]"))
    [e] = events(t)
    assert e["type"] == "overlap" and e["reason"] == "no_words"


def test_clean_turn_change_has_no_event():
    t = make(("C", 0.0, 3.0, "How are you feeling today?"), ("P", 3.4, 6.0, "Not too bad thanks."))
    assert events(t) == []


def test_speaker_resuming_over_an_existing_overlap_is_not_a_new_onset():
    # C talks 0-12 with a 0.7 s pause at 6; P came in at 4 (an interruption of C). C resuming at
    # 6.7 while P still talks continues the overlap; it is not C interrupting P.
    t = make(("C", 0.0, 6.0, blah(24)), ("C", 6.7, 12.0, blah(20)), ("P", 4.0, 9.0, "But doctor I really need to know"))
    ev = events(t)
    assert [(e["type"], e["by"]) for e in ev] == [("interruption", "patient")]



def test_what_b_says_is_its_segment_not_the_rest_of_its_run():
    # While P talks, C says "OK.", pauses 0.85 s, "OK." again, pauses 0.8 s, then asks: two
    # backchannels and then an interruption (each onset judged on what C says there).
    t = make(("P", 0.0, 12.0, blah(48)), ("C", 4.0, 4.6, "OK."), ("C", 5.45, 6.0, "OK."),
             ("C", 6.8, 8.0, "Do you remember the name of it?"))
    assert [(e["type"], e["at"]) for e in events(t)] == [("backchannel", 4.0), ("backchannel", 5.45),
                                                         ("interruption", 6.8)]


def test_a_new_annotated_utterance_after_a_pause_is_a_new_start():
    # Human-segmented transcript (interval times only): C's "Mm-hmm. OK." ends 0.55 s after P
    # comes in (an overlap near its end); C's next utterance, 0.67 s later, starts while P is
    # mid-sentence: C interrupts P (not P interrupting C's "Mm-hmm. OK. ... Sorry to hear that").
    t = make(("C", 33.83, 35.30, "Mm-hmm. OK."), ("C", 35.97, 37.09, "Sorry to hear that."),
             ("P", 34.75, 38.39, "And uh kind of uh bad and tired."))
    ev = events(t)
    assert [(e["type"], e["by"], e["at"]) for e in ev] == [("overlap", "patient", 34.75),
                                                         ("interruption", "clinician", 35.97)]
    assert ev[0]["reason"] == "near_end" and ev[0]["of_remaining_s"] == 0.55
    # With word times (ASR) the pause decides: 0.67 s inside one utterance does not end it.
    w = {0: [(33.83, 34.2, "Mm-hmm."), (34.5, 35.3, "OK."), (35.97, 36.3, "Sorry"), (36.3, 36.6, "to"),
             (36.6, 36.8, "hear"), (36.8, 37.09, "that.")]}
    t = make(("C", 33.83, 37.09, "Mm-hmm. OK. Sorry to hear that."),
             ("P", 34.75, 38.39, "And uh kind of uh bad and tired."), words=w)
    assert [(e["type"], e["by"]) for e in events(t)] == [("interruption", "patient")]

# --------------------------------------------------------------------------- mono (diarized) cut-offs

def test_mono_cut_off_mid_clause_is_a_possible_cut_off_not_an_interruption():
    utts = (("P", 0.0, 4.9, "So I was going to say that the"), ("C", 5.0, 7.0, "What medication are you on?"))
    t = make(*utts, mode="mix")
    ev, m = analyze_turns(t)
    [e] = ev
    assert e["type"] == "overlap" and e["reason"] == "possible_cut_off" and e["evidence"] == "cut_off"
    assert e["confidence"] == "low" and e["of_remaining_s"] is None and e["by"] == "clinician"
    assert m["interruptions"]["by"]["clinician"] == 0 and m["interruptions"]["possible_cut_offs"] == 1
    assert m["caveats"] and m["method"]["cut_off_rule"] is True
    # The same timing from separate channels (exact overlaps known) is just a quick turn change.
    assert events(make(*utts, mode="multichannel")) == []


def test_mono_finished_sentence_or_long_gap_is_not_a_cut_off():
    done = make(("P", 0.0, 4.9, "So I was going to say that."), ("C", 5.0, 7.0, "What medication are you on?"),
                mode="mix")
    gap = make(("P", 0.0, 4.9, "So I was going to say that"), ("C", 5.5, 7.0, "What medication are you on?"),
               mode="mix")
    short = make(("P", 0.0, 1.0, "And the"), ("C", 1.1, 3.0, "What medication are you on?"), mode="mix")
    bc = make(("P", 0.0, 4.9, "So I was going to say that the"), ("C", 5.0, 5.5, "Mm-hmm."), mode="mix")
    for t in (done, gap, short, bc):
        assert [e for e in events(t) if e.get("reason") == "possible_cut_off"] == []


@pytest.mark.parametrize("text,unfinished", [("the", True), ("said,", True), ("cut-", True), ("so...", True),
                                             ("done.", False), ("right?", False), ("and.", True)])
def test_unfinished(text, unfinished):
    assert is_unfinished(text) is unfinished


# --------------------------------------------------------------------------- opening statement

def test_opening_interrupted():
    t = make(("C", 0.0, 2.0, "Hi there. What brings you in today?"),
             ("P", 2.5, 12.0, "Well I have had this pain in my back for about three weeks and it is getting worse "
                              "every single day and now I cannot sleep"),
             ("C", 6.0, 8.0, "Okay, which side is the pain on?"))
    ev = events(t)
    op = [e for e in ev if e["type"] == "opening_interrupted"]
    assert len(op) == 1 and op[0]["delay"] == 3.5 and op[0]["at"] == 6.0
    assert op[0]["by"] == "clinician" and op[0]["of"] == "patient"
    _, m = analyze_turns(t)
    assert m["opening_statement"]["interrupted"] is True and m["opening_statement"]["start"] == 2.5
    assert m["time_to_first_interruption_of_patient"]["at"] == 6.0


def test_opening_not_interrupted_with_backchannels():
    t = make(("C", 0.0, 2.0, "Good morning. How can I help you today?"),
             ("P", 2.5, 14.0, "Well I have had this pain in my back for about three weeks and it is getting worse "
                              "every single day and now I cannot sleep at all at night"),
             ("C", 6.0, 6.5, "Mm-hmm."),
             ("C", 14.6, 16.0, "I'm sorry to hear that. Which side?"))
    ev = events(t)
    assert not [e for e in ev if e["type"] == "opening_interrupted"]
    _, m = analyze_turns(t)
    o = m["opening_statement"]
    assert o["interrupted"] is False and o["start"] == 2.5 and o["seconds"] == 11.5
    assert o["clinician_took_floor_at"] == 14.6
    assert m["time_to_first_interruption_of_patient"] is None
    assert m["backchannels"]["by"]["clinician"] == 1


def test_greeting_is_not_the_opening_statement():
    t = make(("C", 0.0, 1.0, "Hello."), ("P", 1.2, 2.0, "Hi, how are you?"),
             ("C", 2.3, 4.0, "Fine thanks. What's been going on?"),
             ("P", 4.5, 9.0, "I keep getting these awful headaches in the mornings"))
    _, m = analyze_turns(t)
    assert m["opening_statement"]["start"] == 4.5
    assert m["opening_statement"]["question"]["found_by"] == "invitation"


# --------------------------------------------------------------------------- metrics

def test_talk_share_turns_and_monologue():
    t = make(("C", 0.0, 10.0, blah(30)), ("P", 4.0, 4.5, "Yeah."), ("P", 10.5, 15.5, blah(15)),
             ("C", 16.0, 18.0, "Any pain?"), ("P", 19.2, 20.2, "No."))
    _, m = analyze_turns(t)
    assert m["talk_time"] == {"clinician": 12.0, "patient": 6.5}
    assert m["talk_share"]["clinician"] == round(12 / 18.5, 3)
    assert m["turns"] == {"clinician": 2, "patient": 2}  # the backchannel is not a turn
    lm = m["longest_monologue"]["clinician"]
    assert lm["seconds"] == 10.0 and lm["start"] == 0.0 and lm["end"] == 10.0
    assert m["longest_monologue"]["patient"]["seconds"] == 5.0
    assert m["pause_before_clinician"]["n"] == 1 and m["pause_before_clinician"]["mean"] == 0.5
    w = m["wait_after_clinician_questions"]
    assert w["n"] == 1 and w["mean"] == 1.2 and w["answered_by_other"] == 1
    assert m["speech_rate_wpm"]["clinician"] == round(32 / 12 * 60, 1)
    assert m["interruptions"]["by"] == {"clinician": 0, "patient": 0}


def test_monologue_ends_when_the_other_takes_the_floor_at_its_end():
    # P comes in just before C's first run ends and goes on; C's next run is a new turn.
    t = make(("C", 0.0, 10.0, blah(30)), ("P", 9.8, 11.0, "Could I ask about a scan"),
             ("C", 11.5, 13.0, "We don't need one."))
    _, m = analyze_turns(t)
    assert m["longest_monologue"]["clinician"]["seconds"] == 10.0 and m["turns"]["clinician"] == 2
    # A failed attempt inside C's speech does not split C's monologue.
    t = make(("C", 0.0, 10.0, blah(30)), ("P", 4.0, 5.0, "But what about"), ("C", 11.0, 14.0, blah(9)))
    _, m = analyze_turns(t)
    assert m["longest_monologue"]["clinician"]["seconds"] == 14.0


def test_stacked_questions_wait():
    t = make(("C", 0.0, 1.0, "Any fever?"), ("C", 2.5, 3.5, "Any nausea?"), ("P", 4.0, 5.0, "No, neither."))
    _, m = analyze_turns(t)
    w = m["wait_after_clinician_questions"]
    assert w["n"] == 2 and w["clinician_spoke_again"] == 1 and w["answered_by_other"] == 1
    assert w["median"] == 1.0


def test_interruption_counts_by_and_of():
    t = make(("P", 0.0, 10.0, blah(30)), ("C", 4.0, 6.0, "And what about the medication?"),
             ("C", 12.0, 22.0, blah(30)), ("P", 15.0, 17.0, "Sorry but I already tried that"))
    _, m = analyze_turns(t)
    assert m["interruptions"]["by"] == {"clinician": 1, "patient": 1}
    assert m["interruptions"]["of"] == {"clinician": 1, "patient": 1}


def test_agenda_from_tags_or_cues():
    t = make(("C", 0.0, 2.0, "Is there anything else you wanted to talk about?"), ("P", 2.5, 4.0, "No, that's all."))
    _, m = analyze_turns(t)
    assert m["agenda_elicited"]["value"] is True and m["agenda_elicited"]["source"] == "cues"
    t.utterances[0].tags = [Tag("closed_question", 0.9)]
    _, m = analyze_turns(t)
    assert m["agenda_elicited"]["value"] is False and m["agenda_elicited"]["source"] == "tags"
    t.utterances[0].tags = [Tag("agenda", 0.8)]
    _, m = analyze_turns(t)
    assert m["agenda_elicited"]["value"] is True and m["agenda_elicited"]["source"] == "tags"


def test_no_times_gives_what_needs_none_and_says_what_is_missing():
    t = make(("C", None, None, "How can I help you today?"), ("P", None, None, "I have a bad cough."),
             ("P", None, None, "It started last week."), ("C", None, None, "Okay. Any fever?"))
    ev, m = analyze_turns(t)
    assert ev == []
    assert m["words"] == {"clinician": 9, "patient": 9}
    assert m["turns"] == {"clinician": 2, "patient": 1}
    assert m["longest_monologue"]["patient"]["words"] == 9
    assert m["questions"]["clinician"] == 2
    assert m["agenda_elicited"]["value"] is True
    for key in ("talk_time", "interruptions", "backchannels", "time_to_first_interruption_of_patient",
                "pause_before_clinician", "wait_after_clinician_questions", "opening_statement"):
        assert key in m["missing"]
    assert m["method"]["timing"] == "none"


def test_empty_and_single_speaker():
    ev, m = analyze_turns(Transcript())
    assert ev == [] and "missing" in m
    ev, m = analyze_turns(make(("C", 0.0, 5.0, blah(10))))
    assert ev == [] and m["talk_share"]["clinician"] == 1.0 and "opening_statement" in m["missing"]


def test_norm_words():
    assert norm_words("Mm-hmm, I've [unintelligible] -- got it.") == ["mm-hmm", "i've", "got", "it"]


# --------------------------------------------------------------------------- the stage in the pipeline

def test_stage_registers_and_writes_events_and_metrics():
    from analyzer import runner, turntaking

    stages = runner.load_stages()
    assert list(stages)[-1] == "turns" and stages["turns"].fn is turntaking.turns_stage
    assert stages["turns"].assigns == ("events", "metrics") and "roles" in stages["turns"].requires
    t = make(("P", 0.0, 10.0, blah(40)), ("C", 9.0, 11.0, "Can I ask about the pain?"))
    runner.run(runner.StageContext(transcript=t), [stages["turns"]])
    d = json.loads(t.to_json())
    assert d["events"][0]["type"] == "interruption" and "talk_share" in d["metrics"]
    again = Transcript.from_dict(d)  # the keys survive a round trip through the JSON form
    assert [e.to_dict() for e in again.events] == d["events"] and again.metrics.to_dict() == d["metrics"]


def test_sample_poor_visit_reference():
    """The scripted interruptions and backchannels of the poor_visit sample (human-like timings)."""
    ref = json.loads((SAMPLES / "poor_visit_reference.json").read_text())
    t = Transcript.from_dict(ref)
    ev, m = analyze_turns(t)
    ints = [e for e in ev if e["type"] == "interruption"]
    assert [e["at"] for e in ints] == [round(s["at"], 2) for s in ref["scripted"]["interruptions"]]
    assert all(e["by"] == "clinician" and e["succeeded"] for e in ints)
    assert [e["at"] for e in ev if e["type"] == "backchannel"] == [round(s["at"], 2) for s in ref["scripted"]["overlaps"]]
    assert m["opening_statement"]["interrupted"] and m["opening_statement"]["delay"] == pytest.approx(4.2, abs=0.05)
    assert m["longest_monologue"]["clinician"]["seconds"] == pytest.approx(49.3, abs=0.1)
    # Only "Anything else?" at the close: elicited, but not early.
    assert m["agenda_elicited"]["value"] is True and m["agenda_elicited"]["early"] is False
    good = Transcript.from_dict(json.loads((SAMPLES / "good_visit_reference.json").read_text()))
    ev, m = analyze_turns(good)
    assert not [e for e in ev if e["type"] in ("interruption", "opening_interrupted")]
    assert m["agenda_elicited"]["value"] is True and m["agenda_elicited"]["early"] is True


def test_textgrid_pair_import(tmp_path):
    from analyzer.pipeline import load_input  # + this stage only: other stages are not under test here

    t = load_input(ROOT / "tests" / "fixtures" / "transcripts" / "day1_consultation01_doctor.TextGrid")
    run_stage(t)
    m = t.metrics.to_dict()
    assert m["method"]["timing"] == "utterances"
    assert 0.3 < m["talk_share"]["patient"] < 0.6
    assert m["opening_statement"]["start"] == pytest.approx(12.6, abs=0.05)
    assert all(a.at <= b.at for a, b in zip(t.events, t.events[1:]))
