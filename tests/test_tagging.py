"""Behaviour tagger: the real heads and encoder on known examples, spans and union, imported
transcripts, the CLI, and altered weights. Fast: one tagger per session."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.errors import ModelError

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "transcripts" / "aci_bench_D2N019.txt"
ALL_LABELS = {"question.open", "question.closed", "reflection.simple", "reflection.complex", "empathy", "affirmation",
              "partnership", "agenda", "information", "advice", "dismissal", "emotional_cue"}


@pytest.fixture(scope="session")
def tagger():
    from analyzer.tagging.tagger import get_tagger

    return get_tagger()


def labels(res: dict) -> set[str]:
    return {t["label"] for t in res["tags"]}


def tag(tagger, turns: list[tuple[str, str]]) -> list[dict]:
    return tagger.tag([r for r, _ in turns], [t for _, t in turns])


def test_agenda_open_question(tagger):
    out = tag(tagger, [("clinician", "Hi, I'm Doctor Patel."), ("patient", "Hello."),
                       ("clinician", "What would you like to focus on today?")])
    assert {"agenda", "question.open"} <= labels(out[2])
    assert out[2]["main"] == "question"


def test_elliptical_closed_question(tagger):
    out = tag(tagger, [("patient", "I've had this cough for a week."), ("clinician", "Any chest pain?")])
    assert "question.closed" in labels(out[1])
    assert "question.open" not in labels(out[1])


@pytest.mark.parametrize("text, why", [
    ("Are you feeling nauseous at all?", "yes/no"),
    ("Um, in terms of your chest, have you any difficulty breathing?", "yes/no"),
    ("okay yeah that's understandable so do you have any children or have you ever been pregnant", "yes/no"),
    ("Is it worse when you lie down, or is it better?", "yes/no"),
    ("And who lives at home with you?", "one fact"),
    ("How long has it been going on?", "one fact"),
    ("What do you do for work?", "one fact"), ("What's your date of birth?", "one fact"),
    ("When's your next appointment?", "one fact"),
    ("What kind of work is the most difficult for you?", None),
    ("Can you tell me more about the pain?", None),  # an invitation in yes/no form stays open
    ("Do you want to tell me a bit more about it?", None),
    ("Could you walk me through what happened?", None),
    ("And then were you able to walk on it?", "yes/no"),
    ("What brings you in today?", None),
    ("How has that been for you?", None),
    ("I have you down for a blood test.", None),
])
def test_closed_form_follows_miti(text, why):
    from analyzer.tagging.text import closed_form, split

    got = closed_form(split([text])[0][-1].words)
    assert (got is None) if why is None else why in (got or ""), got


def test_history_questions_are_closed(tagger):
    # the AnnoMI heads call some of these open (counselling questions); the MITI form decides
    out = tag(tagger, [("patient", "I've been getting these headaches for a week."),
                       ("clinician", "OK. And, can I just double-check, um, are you feeling nauseous at all?"),
                       ("patient", "A little bit."),
                       ("clinician", "Right, excellent. And in terms of your social situation, who lives at home with you?"),
                       ("patient", "My wife."),
                       ("clinician", "Can you tell me a bit more about the headaches?")])
    for k in (1, 3):
        assert "question.closed" in labels(out[k]) and "question.open" not in labels(out[k]), out[k]["tags"]
    closed = next(t for t in out[1]["tags"] if t["label"] == "question.closed")
    assert "yes/no question" in closed["why"] or "model said" not in closed["why"]
    assert "question.open" in labels(out[5])


def test_an_echo_in_statement_form_is_a_reflection_not_a_question(tagger):
    text = "Past few days, OK. And is this something that you've had before, in the past?"
    out = tag(tagger, [("clinician", "When did you first notice it?"),
                       ("patient", "Um, I kind of noticed it the last few days."), ("clinician", text)])
    by_span = {text[slice(*t["span"])]: t["label"] for t in out[2]["tags"]}
    assert by_span.get("Past few days, OK.") == "reflection.simple", out[2]["tags"]
    assert by_span.get("And is this something that you've had before, in the past?") == "question.closed"


@pytest.mark.parametrize("text, statement", [
    ("Past few days, OK.", True), ("You use condoms, OK.", True),
    ("Tell me more about the pain.", False),  # MITI: an open question in imperative form
    ("This is what I'd recommend, but I'd like to hear your thoughts.", False),
    ("So how long has that been going on.", False),  # a question mis-punctuated by ASR
    ("Any chest pain?", False), ("any chest pain", False),  # no '.' : unpunctuated text is left to the model
])
def test_statement_form(text, statement):
    from analyzer.tagging.text import split, statement_form

    assert statement_form(split([text])[0][0]) is statement


@pytest.mark.parametrize("text, advice", [
    ("okay . all right . well , let's start with your diabetes .", False),  # a transition (guide: no label)
    ("yeah absolutely i can see how that would increase your stress", False),
    ("louis is a 58-year-old male here for follow up from an emergency room visit .", False),
    ("We'll start you on metformin, 500 milligrams twice a day.", True),
    ("I'd like you to follow up with cardiology next month.", True),
    ("so let's talk about your exam okay and then we'll continue the metformin and the diet", True),
])
def test_advice_cues_and_transitions(text, advice):
    from analyzer.tagging.recognizers.information import advice_cue
    from analyzer.tagging.rules import normalise

    assert bool(advice_cue(normalise(text))) is advice


def test_a_question_cut_off_before_its_mark(tagger):
    # Whisper ends a segment at the pause with a comma: "Any allergies," is still asked
    out = tag(tagger, [("patient", "I take ibuprofen most days."),
                       ("clinician", "Don't worry about that. Any allergies,"), ("patient", "No."),
                       ("clinician", "Okay, so, you know,")])
    closed = [t for t in out[1]["tags"] if t["label"] == "question.closed"]
    assert closed and "cut off before its mark" in closed[0]["why"], out[1]["tags"]
    assert "dismissal" in labels(out[1])
    assert not {"question.open", "question.closed"} & labels(out[3])


@pytest.mark.parametrize("text, early, kind", [
    ("hi , joseph . how are you ?", True, "greeting"),
    ("hey matthew how're you doing", True, "greeting"),
    ("Good morning. How are you doing today?", True, "greeting"),
    ("How are you doing today?", False, None),  # later in the visit: a real check-in
    ("How are you doing with the new tablets?", True, None),
    ("How are you feeling?", True, None),
    ("so , anna , it's been about six months since i've seen you . how are you doing ?", True, None),
    ("Hi, John. Nice to see you again. So, tell me, how are things going?", True, None),
    ("Sorry?", False, "repair"), ("I beg your pardon?", False, "repair"), ("Hello?", False, "repair"),
    ("Oh, I'm sorry.", False, None),  # an apology
    ("Sorry, what medication was that?", False, None),
    ("are you ready to get started ?", False, "social formula"),
    ("Are you ready to start the new medication?", False, None),
])
def test_social_formulas_are_not_questions(text, early, kind):
    from analyzer.tagging.text import social_formula, split

    s = split([text])[0][-1]
    got = social_formula(s.words, early, text[:s.start])
    assert (got is None) if kind is None else kind in (got or ""), got


def test_a_greeting_is_not_an_open_question(tagger):
    # the labelling guide: "hi, how are you?" at the start is no label; "Sorry?" asks to hear
    # it again; the question that follows keeps its label and the turn's main behaviour
    out = tag(tagger, [("clinician", "Hi, Mrs Jones. How are you?"), ("patient", "Not too bad, thanks."),
                       ("clinician", "Good. So what brings you in today?"),
                       ("patient", "It's my knee, it's been [inaudible]."), ("clinician", "Sorry?")])
    assert not {"question.open", "question.closed"} & labels(out[0]), out[0]["tags"]
    assert out[0]["main"] == "other" and out[4]["main"] == "other"
    assert "question.open" in labels(out[2]) and out[2]["main"] == "question"
    assert not {"question.open", "question.closed"} & labels(out[4]), out[4]["tags"]


def test_questions_in_text_without_punctuation(tagger):
    out = tag(tagger, [("clinician", "so what brings you in today"),
                       ("patient", "i have this pain in my belly"),
                       ("clinician", "okay any history of endometriosis"),
                       ("patient", "no"),
                       ("clinician", "okay and then were you able to walk on it after the incident"),
                       ("patient", "yes"),
                       ("clinician", "okay i will send you to the lab for some blood work")])
    for k in (2, 4):
        assert "question.closed" in labels(out[k]), out[k]["tags"]
    assert not {"question.open", "question.closed"} & labels(out[6])


def test_reflection_after_a_complaint(tagger):
    out = tag(tagger, [
        ("clinician", "How have you been sleeping?"),
        ("patient", "Terribly. I wake up tired every morning and I'm exhausted all day, every day, I can barely get through work."),
        ("clinician", "So you're feeling exhausted every single day?"),
        ("patient", "Yes, every day."),
    ])
    assert labels(out[2]) & {"reflection.simple", "reflection.complex"}
    assert out[2]["main"] == "reflection"


def test_subtype_heads_read_the_first_and_last_sentence(tagger):
    """The open/closed and simple/complex heads read the turn matrix's trailing sentence vectors
    (features.SUBTYPE_COLS); the other turn heads stop before them. Shipped weights match both."""
    import numpy as np

    from analyzer.tagging.features import SUBTYPE_COLS

    turns = [("patient", "I keep forgetting my pills."), ("clinician", "That sounds frustrating. Do you use a pill box?")]
    F = tagger.features([r for r, _ in turns], [t for _, t in turns])
    D, B, _ = F.turn_matrix(np.array([1]))
    st = tagger.heads.turn
    L = st.bag_features(B)
    for t, lin in st.lins.items():
        X = st.level2_input(t, D, L)
        assert X.shape[1] == lin.coef.shape[1] == len(lin.mean)
        assert X.shape[1] - L.shape[1] == (D.shape[1] if t in ("qt", "rt") else D.shape[1] - SUBTYPE_COLS)
    # the trailing columns are the first and the last sentence's vectors
    first, last = np.nonzero(F.sent_turn == 1)[0][[0, -1]]
    assert np.allclose(D[0, -SUBTYPE_COLS:], np.concatenate([F.emb[first], F.emb[last]]))


def test_empathy(tagger):
    out = tag(tagger, [("patient", "So it might be cancer? I don't even know what to think."),
                       ("clinician", "I can see this is a lot to process.")])
    assert "empathy" in labels(out[1])


def test_dismissal_after_a_worry(tagger):
    out = tag(tagger, [("clinician", "How can I help?"),
                       ("patient", "I've got this lump and I'm really worried it could be something bad."),
                       ("clinician", "Don't worry about that.")])
    assert "emotional_cue" in labels(out[1])
    assert "dismissal" in labels(out[2])


def test_dismissal_that_names_the_feeling_first_late_in_a_visit(tagger):
    # late in the visit, no patient cue just before: the clinician's own "you're stressed, but"
    # puts the feeling on the table; "don't, don't worry" (a repeated word) still matches
    filler = [("clinician", "Is he breathing?"), ("patient", "Yes."), ("clinician", "Is he awake?"), ("patient", "Sort of.")] * 3
    end = "So, I know you're stressed but we've got an ambulance on the way. So um, don't, don't worry."
    out = tag(tagger, filler + [("clinician", end)])
    assert "dismissal" in labels(out[-1])
    calm = tag(tagger, filler + [("clinician", "We've got an ambulance on the way. So um, don't, don't worry.")])
    assert "dismissal" not in labels(calm[-1])  # late, no feeling named or heard: not premature


def test_dismissal_is_not_also_a_reflection(tagger):
    out = tag(tagger, [("clinician", "Any headaches?"),
                       ("patient", "Most days. I read about headaches online and I'm really scared it might be something serious."),
                       ("clinician", "Don't worry about that. Any allergies?")])
    got = labels(out[2])
    assert "dismissal" in got and not {"reflection.simple", "reflection.complex"} & got


def test_empathy_acknowledging_what_is_heard(tagger):
    out = tag(tagger, [("patient", "Yes, exactly. And honestly, it's getting me down a bit."),
                       ("clinician", "I can hear how hard this has been. How has your mood been otherwise?")])
    assert "empathy" in labels(out[1])


def test_emotional_cue(tagger):
    out = tag(tagger, [("clinician", "The scan showed a shadow on the lung."), ("patient", "I'm scared of what this means."),
                       ("patient", "It started on Tuesday.")])
    assert "emotional_cue" in labels(out[1])
    assert "emotional_cue" not in labels(out[2])
    assert "main" not in out[1]  # patients have no main behaviour


@pytest.mark.parametrize("text, cue", [
    ("Is there something particularly serious that will need to be sorted?", True),
    ("I think it's just a lot has been weighing on me lately.", True),
    ("It makes me a bit uneasy.", True),
    ("I'm not moody, I'm not angry, but I get a bit frustrated during the day.", True),
    ("I don't think it's related to stress. I don't feel like I've had a particularly hard time at work.", False),
    ("I'm not worried about it.", False),
])
def test_emotional_cue_hints_and_denials(tagger, text, cue):
    out = tag(tagger, [("clinician", "How have things been?"), ("patient", text)])
    assert ("emotional_cue" in labels(out[1])) is cue, out[1]["tags"]


@pytest.mark.parametrize("text, label", [
    ("Wow, that sounds kinda stressful.", "empathy"),
    ("Sounds like you're not feeling great, obviously.", "empathy"),
    ("You've had a lot going on.", "empathy"),
    ("I'm really excited that you want to quit.", "affirmation"),
    ("That's great to hear that you're getting back in the gym.", "affirmation"),
    ("It's good that you've, you've picked out one of those aids.", "affirmation"),
])
def test_empathy_and_affirmation_phrasings(tagger, text, label):
    out = tag(tagger, [("patient", "I've been moving house, the kids are sick, and I've started going to the gym again."),
                       ("clinician", text)])
    assert label in labels(out[1]), out[1]["tags"]


def test_spans_and_union(tagger):
    text = "I'm sorry to hear that. Can you tell me a bit more about the headache?"
    out = tag(tagger, [("patient", "I've had a terrible headache since yesterday and I'm worried."), ("clinician", text)])
    tags = out[1]["tags"]
    by = {t["label"]: t for t in tags}
    assert "empathy" in by and "question.open" in by
    assert text[slice(*by["empathy"]["span"])] == "I'm sorry to hear that."
    assert text[slice(*by["question.open"]["span"])] == "Can you tell me a bit more about the headache?"
    for t in tags:
        assert set(t) == {"label", "score", "why", "span"}
        assert t["label"] in ALL_LABELS and 0 <= t["score"] <= 1 and t["why"]
        a, b = t["span"]
        assert 0 <= a < b <= len(text)


def test_patients_only_get_emotional_cues_and_empty_text_is_fine(tagger):
    out = tag(tagger, [("clinician", ""), ("patient", "What do you think it is? Should I take something?"), ("other", "Mm.")])
    assert out[0]["tags"] == [] and out[0]["main"] in {"question", "reflection", "input", "other"}
    assert labels(out[1]) <= {"emotional_cue"}
    assert out[2]["tags"] == []


def test_imported_transcript_keeps_boundaries_and_order(tagger):
    from analyzer.pipeline import Options, load_input

    t = load_input(FIXTURE, Options())
    before = [(u.speaker, u.role, u.text) for u in t.utterances]
    tagger.tag_transcript(t)
    assert [(u.speaker, u.role, u.text) for u in t.utterances] == before
    for u in t.utterances:
        assert isinstance(u.tags, list)
        for tg in (x.to_dict() for x in u.tags):
            assert u.text[slice(*tg["span"])].strip()
        assert (u.main is not None) == (u.role == "clinician")
    clin = [u for u in t.utterances if u.role == "clinician"]
    assert sum(any(x.label.startswith("question.") for x in u.tags) for u in clin) >= 5


def test_cli_analyze_writes_tags_and_main(tmp_path, tagger):
    from analyzer.cli import main

    out = tmp_path / "x.json"
    assert main(["analyze", str(FIXTURE), "-o", str(out), "-q"]) == 0
    data = json.loads(out.read_text())
    utts = data["utterances"]
    assert utts and all("tags" in u for u in utts)
    assert all(u["main"] in {"question", "reflection", "input", "other"} for u in utts if u["role"] == "clinician")
    assert {t["label"] for u in utts for t in u["tags"]} <= ALL_LABELS


def _altered_heads(tmp_path: Path) -> Path:
    from analyzer.tagging.assets import HEADS_DIR

    d = tmp_path / "heads"
    shutil.copytree(HEADS_DIR, d)
    p = d / "heads.npz"
    b = bytearray(p.read_bytes())
    b[len(b) // 2] ^= 0xFF
    p.write_bytes(bytes(b))
    return d


def test_altered_heads_fail_clearly(tmp_path):
    from analyzer.tagging.tagger import Tagger

    with pytest.raises(ModelError, match=r"heads\.npz has sha256 .* altered"):
        Tagger(heads_folder=_altered_heads(tmp_path))


def test_altered_encoder_fails_clearly(tmp_path, monkeypatch):
    from analyzer.tagging import assets

    src = assets.package_dir(assets.ENCODER_PACKAGE)
    fake = tmp_path / "enc"
    shutil.copytree(src / "model", fake / "model")
    with open(fake / "model" / "model.safetensors", "r+b") as f:
        f.seek(1 << 20)
        byte = f.read(1)
        f.seek(1 << 20)
        f.write(bytes([byte[0] ^ 0xFF]))
    monkeypatch.setattr(assets, "package_dir", lambda name: fake if name == assets.ENCODER_PACKAGE else src)
    assets.encoder_dir.cache_clear()
    try:
        with pytest.raises(ModelError, match=r"model\.safetensors has sha256 .*reinstall"):
            assets.encoder_dir()
    finally:
        assets.encoder_dir.cache_clear()


def test_cli_exit_code_3_on_altered_heads(tmp_path):
    env = {"VISIT_ANALYZER_TAGGER": str(_altered_heads(tmp_path)), "VISIT_ANALYZER_THREADS": "2", "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "analyzer.cli", "analyze", str(FIXTURE), "-o", str(tmp_path / "y.json"), "-q"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr
    assert "heads.npz" in r.stderr and "retrain" in r.stderr
    assert not (tmp_path / "y.json").exists()
