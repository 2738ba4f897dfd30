"""Role assignment from what people say, with a confidence, and user overrides."""
import pytest

from analyzer.model import Speaker, Transcript, Utterance
from analyzer.roles import apply_role_overrides, assign_roles, parse_role_overrides


def visit(lines):
    return Transcript(utterances=[Utterance(speaker=s, text=x) for s, x in lines])


CONSULT = [
    ("A", "Hi there, come on in. What brings you in today?"),
    ("B", "Well, I've been having these headaches for about three weeks now and they're getting worse."),
    ("A", "I'm sorry to hear that. Where exactly is the pain? Any nausea or changes in your vision?"),
    ("B", "Mostly behind my eyes. No, my vision is fine, but I can't sleep properly."),
    ("A", "Have you tried any medication for it? Do you take anything regularly?"),
    ("B", "Just paracetamol, it helps a bit. My mum had migraines too."),
    ("A", "Let me examine you and check your blood pressure. I'd recommend we keep a headache diary."),
    ("B", "Okay, thank you doctor."),
]


def test_clinician_and_patient_found_with_confidence():
    t = visit(CONSULT)
    assign_roles(t)
    assert t.speakers["A"].role == "clinician"
    assert t.speakers["B"].role == "patient"
    assert t.speakers["A"].role_confidence > 0.8
    assert all(u.role == t.speakers[u.speaker].role for u in t.utterances)


def test_patient_speaking_first_still_patient():
    lines = [("B", "Morning doctor, sorry I'm late, my back has been killing me.")] + CONSULT[1:]
    lines = [(s, x) for s, x in lines]
    t = visit(lines)
    assign_roles(t)
    assert t.speakers["A"].role == "clinician"
    assert t.speakers["B"].role == "patient"


def test_relative_is_other():
    lines = CONSULT[:4] + [("C", "He's not been himself, to be honest.")] + CONSULT[4:]
    t = visit(lines)
    assign_roles(t)
    assert t.speakers["A"].role == "clinician"
    assert t.speakers["B"].role == "patient"
    assert t.speakers["C"].role == "other"


def test_single_speaker_warns():
    t = visit([("A", "So I've been feeling tired. I don't know why. My sleep is bad.")])
    assign_roles(t)
    assert t.speakers["A"].role == "patient"
    assert t.speakers["A"].role_confidence <= 0.6
    assert any("only one speaker" in w for w in t.warnings)


def test_input_roles_are_kept():
    t = visit(CONSULT)
    t.speakers["A"] = Speaker("A", role="patient", role_source="input", role_confidence=1.0)
    t.speakers["B"] = Speaker("B", role="clinician", role_source="input", role_confidence=1.0)
    assign_roles(t)
    assert t.speakers["A"].role == "patient" and t.speakers["B"].role == "clinician"


def test_overrides():
    t = visit(CONSULT)
    assign_roles(t)
    apply_role_overrides(t, {"A": "patient", "B": "clinician"})
    assert t.speakers["A"].role == "patient" and t.speakers["A"].role_source == "user"
    assert t.utterances[0].role == "patient"
    with pytest.raises(ValueError, match="no speaker 'Z'"):
        apply_role_overrides(t, {"Z": "patient"})
    with pytest.raises(ValueError, match="expected one of"):
        apply_role_overrides(t, {"A": "nurse"})


def test_parse_overrides():
    assert parse_role_overrides("S1=clinician, S2=Patient") == {"S1": "clinician", "S2": "patient"}
    assert parse_role_overrides(None) == {}
    with pytest.raises(ValueError, match="SPEAKER=ROLE"):
        parse_role_overrides("S1clinician")
