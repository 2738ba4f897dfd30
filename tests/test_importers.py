"""Transcript importers: every format, bad inputs, fuzzing, and the real PriMock57 / ACI-Bench data."""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.errors import InputError
from analyzer.importers import (
    IMPORTERS, TRANSCRIPT_EXTENSIONS, _load, importer_for, is_transcript_path, load_transcript,
)
from analyzer.importers.labels import role_for_label
from analyzer.importers.textgrid import TextGridImporter, find_partner
from analyzer.model import Transcript

FIX = Path(__file__).parent / "fixtures" / "transcripts"
BAD = FIX / "bad"
DATA = Path(__file__).parent / "data"
PRIMOCK = DATA / "primock57" / "transcripts"
ACI = DATA / "aci_bench"
PAIR = [FIX / "day1_consultation01_doctor.TextGrid", FIX / "day1_consultation01_patient.TextGrid"]


def texts(t: Transcript) -> list[str]:
    return [u.text for u in t.utterances]


def raw_intervals(path: Path) -> list[tuple[float, float, str]]:
    """Independent reading of a long-format TextGrid: (xmin, xmax, text) of every non-empty interval."""
    s = path.read_text(encoding="utf-8")
    out = []
    for a, b, txt in re.findall(r'xmin = ([\d.]+)\s*\n\s*xmax = ([\d.]+)\s*\n\s*text = "(.*)"', s):
        if re.sub(r"</?UNSURE>", "", txt).strip():
            out.append((float(a), float(b), txt))
    return out


def aci_turns(dialogue: str) -> list[tuple[str, str]]:
    """Independent reading of an ACI-Bench dialogue: (tag, text) per tagged line, untagged lines appended."""
    turns: list[list[str]] = []
    for line in dialogue.split("\n"):
        m = re.match(r"\[(\w+)\]\s*(.*)", line)
        if m:
            turns.append([m.group(1), m.group(2).strip()])
        elif line.strip() and turns:
            turns[-1][1] = (turns[-1][1] + " " + line.strip()).strip()
    return [(tag, txt) for tag, txt in turns if txt]


def aci_rows() -> list[dict]:
    csv.field_size_limit(10**9)
    rows = []
    for name in ("train.csv", "valid.csv"):
        with open(ACI / name, newline="", encoding="utf-8") as f:
            rows += list(csv.DictReader(f))
    return rows


# --------------------------------------------------------------------------- roles and dispatch


@pytest.mark.parametrize("label, role, recognised", [
    ("Doctor", "clinician", True), ("Dr Smith", "clinician", True), ("DR. JONES", "clinician", True),
    ("Nurse", "clinician", True), ("GP", "clinician", True), ("Therapist", "clinician", True),
    ("Provider", "clinician", True), ("Physician", "clinician", True), ("clinician", "clinician", True),
    ("Patient", "patient", True), ("pt", "patient", True), ("Client", "patient", True),
    ("Patient (Mrs Jones)", "patient", True),
    ("Mother", "other", True), ("Wife", "other", True), ("Son", "other", True), ("Interpreter", "other", True),
    ("Relative", "other", True), ("Caregiver", "other", True), ("Patient's mother", "other", True),
    ("patient_guest", "other", True),
    ("Speaker 1", "other", False), ("John", "other", False), ("SPEAKER_00", "other", False),
])
def test_role_for_label(label, role, recognised):
    assert role_for_label(label) == (role, recognised)


def test_is_transcript_path():
    for p in ["a.json", "b.TXT", "c.vtt", "d.srt", "e.TextGrid", "f.textgrid", Path("x/y.Srt")]:
        assert is_transcript_path(p), p
    for p in ["a.wav", "b.mp3", "c.flac", "d.m4a", "noext", "e.csv", "f.docx"]:
        assert not is_transcript_path(p), p
    assert set(TRANSCRIPT_EXTENSIONS) == {".json", ".txt", ".text", ".vtt", ".srt", ".textgrid"}


def test_sniffing_by_content(tmp_path):
    vtt = tmp_path / "captions.txt"
    vtt.write_text((FIX / "voices.vtt").read_text())
    assert load_transcript(vtt).source.get("format") == "vtt"
    srt = tmp_path / "noext"
    srt.write_text((FIX / "names.srt").read_text())
    assert load_transcript(srt).source.get("format") == "srt"
    tg = tmp_path / "grid.txt"
    tg.write_bytes((FIX / "two_tiers_short_utf16.TextGrid").read_bytes())
    assert load_transcript(tg).source.get("format") == "textgrid"
    js = tmp_path / "saved.txt"
    js.write_text((FIX / "transcript.json").read_text())
    assert load_transcript(js).source.get("format") == "json"
    assert importer_for("x.unknown", "Doctor: hi\nPatient: hello").format == "text"
    assert importer_for("x.vtt", "Doctor: hi").format == "vtt"  # a specific extension decides


# --------------------------------------------------------------------------- plain text


def test_text_labels_roles_and_continuations():
    t = load_transcript(FIX / "labels.txt")
    assert t.source.to_dict() == {"kind": "transcript", "format": "text", "file": str(FIX / "labels.txt")}
    assert [u.speaker for u in t.utterances] == [
        "dr_smith", "patient", "mother", "interpreter", "dr_smith", "nurse", "speaker_3", "patient_s_mother"]
    assert t.utterances[1].text == "I've had this cough for two weeks. It gets worse at night."
    # "Note:" occurs once and is no role word: it stays text of the current turn
    assert t.utterances[3].text.endswith("Note: take twice daily is what she said.")
    assert t.utterances[-1].text == "yes John: hi"
    assert all(u.start is None and u.end is None for u in t.utterances)
    sp = t.speakers
    assert sp["dr_smith"].label == "Dr Smith" and sp["dr_smith"].role == "clinician"
    assert (sp["nurse"].role, sp["patient"].role, sp["mother"].role) == ("clinician", "patient", "other")
    for sid in ("dr_smith", "patient", "mother", "interpreter", "nurse", "patient_s_mother"):
        assert (sp[sid].role_source, sp[sid].role_confidence) == ("input", 1.0), sid
    assert (sp["speaker_3"].role, sp["speaker_3"].role_source, sp["speaker_3"].role_confidence) == ("other", "auto", 0.0)
    assert all(u.role == sp[u.speaker].role for u in t.utterances)
    assert any("before the first speaker label" in w for w in t.warnings)


def test_aci_fixture_keeps_every_turn():
    path = FIX / "aci_bench_D2N019.txt"
    t = load_transcript(path)
    expected = aci_turns(path.read_text())
    assert [(u.speaker, u.text) for u in t.utterances] == expected
    assert t.utterances[0].text == "hi ms. hernandez , dr. fisher , how are you ?"
    assert {u.role for u in t.utterances} == {"clinician", "patient"}
    # the two untagged lines after a [doctor] turn continued that turn
    assert any(u.text == ". yeah , no , uh , your , uh , neck surgery . all right . well let's , uh , examine you here "
                         "for a second . so it's your , uh , this elbow right here ?" and u.role == "clinician"
               for u in t.utterances)


def test_unlabelled_other_roles_and_guest(tmp_path):
    p = tmp_path / "guest.txt"
    p.write_text("[doctor] hello .\n[patient_guest] hi , i'm her mother .\n[patient] hi .\n[doctor]\n[doctor] ok .\n")
    t = load_transcript(p)
    assert [(u.speaker, u.role) for u in t.utterances] == [
        ("doctor", "clinician"), ("patient_guest", "other"), ("patient", "patient"), ("doctor", "clinician")]
    assert t.speakers["patient_guest"].role_source == "input"
    assert any("no text" in w for w in t.warnings)  # the empty "[doctor]" line


@pytest.mark.parametrize("name, starts", [("timed_brackets.txt", [5.0, 9.0, 62.5]), ("timed_paren.txt", [12.0, 15.0, 62.0])])
def test_text_with_times(name, starts):
    t = load_transcript(FIX / name)
    assert [u.start for u in t.utterances] == starts
    assert [u.end for u in t.utterances][:-1] == starts[1:]  # each turn ends where the next begins
    assert t.utterances[-1].end > t.utterances[-1].start and t.has_times
    assert [u.role for u in t.utterances] == ["clinician", "patient", "clinician"]
    assert any("estimated" in w for w in t.warnings)


def test_text_time_styles(tmp_path):
    p = tmp_path / "styles.txt"
    p.write_text("00:00:01 Doctor: a\n00:00:02 - Patient: b\n[00:03] [doctor] c\nDoctor [00:04]: d\n"
                 "(1:00:05) Patient: e\n")
    t = load_transcript(p)
    assert [(u.speaker, u.start, u.text) for u in t.utterances] == [
        ("doctor", 1.0, "a"), ("patient", 2.0, "b"), ("doctor", 3.0, "c"), ("doctor", 4.0, "d"),
        ("patient", 3605.0, "e")]


def test_text_partial_times_are_dropped_and_order_kept(tmp_path):
    p = tmp_path / "partial.txt"
    p.write_text("[00:00:09] Doctor: second by time\nPatient: no time\n[00:00:01] Doctor: first by time\n")
    t = load_transcript(p)
    assert texts(t) == ["second by time", "no time", "first by time"]  # given order, never sorted
    assert not any(u.start is not None for u in t.utterances)
    assert any("times were ignored" in w for w in t.warnings)


@pytest.mark.parametrize("content, enc", [
    ("Doctor: héllo\nPatient: hi\n", "utf-8-sig"), ("Doctor: héllo\nPatient: hi\n", "utf-16"),
    ("Doctor: héllo\r\nPatient: hi\r\n", "utf-16-le"), ("Doctor: héllo\nPatient: hi\n", "utf-16-be"),
    ("Doctor: hello\nPatient: hi\n", "utf-16-le"), ("Doctor: hello\nPatient: hi\n", "utf-16-be"),  # ASCII: NULs
])
def test_text_encodings(tmp_path, content, enc):
    p = tmp_path / "t.txt"
    p.write_bytes(content.encode(enc))
    t = load_transcript(p)
    assert texts(t) == [content.split("\n")[0][8:].strip(), "hi"] and not t.warnings


def test_cp1252_is_read_with_a_warning():
    t = load_transcript(FIX / "cp1252.txt")
    assert texts(t) == ["Café or tea? “Fine”, you said – right?", "Yes, déjà vu."]
    assert any("not UTF-8" in w for w in t.warnings)


# --------------------------------------------------------------------------- WebVTT / SRT


def test_vtt_voices_and_unnamed_cues():
    t = load_transcript(FIX / "voices.vtt")
    assert t.source.get("format") == "vtt"
    assert [(u.speaker, u.start, u.end, u.text) for u in t.utterances] == [
        ("unknown", 0.5, 2.0, "Welcome everyone."),
        ("dr_smith", 2.0, 4.25, "Good morning, how are you?"),
        ("patient", 4.0, 6.0, "Not great & tired."),          # overlaps the previous cue: kept
        ("patient", 6.0, 8.0, "I keep waking up."),            # no name: previous cue's speaker
        ("dr_smith", 8.0, 9.0, "I see."),                      # one cue, two voices
        ("patient", 8.0, 9.0, "Yes."),
        ("mother", 9.0, 10.0, "She snores too."),              # "Name:" prefix in cue text
    ]
    sp = t.speakers
    assert (sp["unknown"].role, sp["unknown"].role_source, sp["unknown"].role_confidence) == ("other", "auto", 0.0)
    assert sp["dr_smith"].label == "Dr Smith" and sp["dr_smith"].role == "clinician"
    assert sp["dr_smith"].role_source == "input" and sp["mother"].role == "other"
    assert any("unknown" in w for w in t.warnings) and any("several speakers" in w for w in t.warnings)


def test_vtt_without_any_names(tmp_path):
    p = tmp_path / "plain.vtt"
    p.write_text("WEBVTT\n\n00:01.000 --> 00:02.000\nhello\n\n00:02.500 --> 00:03.000\nthere\n")
    t = load_transcript(p)
    assert [u.speaker for u in t.utterances] == ["unknown", "unknown"]
    assert any("no speaker names" in w for w in t.warnings)


def test_vtt_cues_out_of_order_are_sorted(tmp_path):
    p = tmp_path / "order.vtt"
    p.write_text("WEBVTT\n\n00:00:05.000 --> 00:00:06.000\n<v Patient>later</v>\n\n"
                 "00:00:01.000 --> 00:00:02.000\n<v Doctor>earlier</v>\n")
    assert texts(load_transcript(p)) == ["earlier", "later"]


def test_srt_names_and_brackets():
    t = load_transcript(FIX / "names.srt")
    assert t.source.get("format") == "srt"
    assert [(u.speaker, u.start, u.end, u.text) for u in t.utterances] == [
        ("doctor", 1.0, 2.5, "Hello, come in."),
        ("patient", 2.6, 4.0, "Thanks. I've been unwell."),
        ("patient", 4.1, 5.0, "[laughs] it's been a week."),   # a sound, not a speaker
        ("doctor", 5.1, 6.0, "A week, okay."),
    ]
    assert not t.warnings


# --------------------------------------------------------------------------- TextGrid


def check_primock_pair(t: Transcript, doctor: Path, patient: Path) -> None:
    d, p = raw_intervals(doctor), raw_intervals(patient)
    assert len(t.utterances) == len(d) + len(p)  # one utterance per non-empty interval
    got = sorted((u.role, u.start, u.end) for u in t.utterances)
    want = sorted([("clinician", a, b) for a, b, _ in d] + [("patient", a, b) for a, b, _ in p])
    assert got == want  # times exactly as given
    starts = [u.start for u in t.utterances]
    assert starts == sorted(starts)
    assert {u.role for u in t.utterances} == {"clinician", "patient"}
    assert all("<" not in u.text and u.text.strip() for u in t.utterances)
    assert set(t.speakers) == {"doctor", "patient"}
    assert all(s.role_source == "input" and s.role_confidence == 1.0 for s in t.speakers.values())


def test_textgrid_pair_one_path_or_two():
    a = load_transcript(PAIR[0])
    check_primock_pair(a, *PAIR)
    assert a.source.get("format") == "textgrid" and a.source.get("files") == [str(PAIR[0]), str(PAIR[1])]
    b = load_transcript(PAIR[1])
    c = load_transcript([str(PAIR[1]), PAIR[0]])
    assert [u.to_dict() for u in a.utterances] == [u.to_dict() for u in b.utterances] == [u.to_dict() for u in c.utterances]
    assert list(a.speakers) == list(b.speakers) == ["doctor", "patient"]
    # overlaps stay overlapping
    assert any(x.end > y.start for x, y in zip(a.utterances, a.utterances[1:]))
    # tags: <UNSURE> stripped keeping the words, <UNIN/> kept as a marker
    assert a.utterances[0].text == ("Hello? Hi. Um, should we start? Yeah, okay. Hello how um. "
                                    "Good morning sir, how can I help you this morning?")
    assert a.utterances[3].text.startswith("[unintelligible] Sorry to hear that.")
    assert find_partner(PAIR[0]) == PAIR[1] and find_partner(PAIR[1]) == PAIR[0]


def test_textgrid_pair_in_utf16(tmp_path):
    for p in PAIR:
        (tmp_path / p.name).write_bytes(p.read_text(encoding="utf-8").encode("utf-16"))
    t = load_transcript(tmp_path / PAIR[0].name)
    assert [u.to_dict() for u in t.utterances] == [u.to_dict() for u in load_transcript(PAIR[0]).utterances]


def test_textgrid_short_format_two_tiers_utf16():
    t = load_transcript(FIX / "two_tiers_short_utf16.TextGrid")
    assert [(u.speaker, u.role, u.start, u.end, u.text) for u in t.utterances] == [
        ("doctor", "clinician", 0.0, 2.5, "Hello, how are you?"),
        ("patient", "patient", 3.5, 5.0, "Yes, a bit. [inaudible]"),
        ("doctor", "clinician", 4.0, 10.0, 'Any pain when you "breathe"? [unintelligible]'),
    ]


def test_textgrid_missing_partner(tmp_path):
    shutil.copy(PAIR[0], tmp_path / PAIR[0].name)
    with pytest.raises(InputError) as e:
        load_transcript(tmp_path / PAIR[0].name)
    assert PAIR[0].name in str(e.value) and "patient" in str(e.value)


def test_textgrid_same_side_twice(tmp_path):
    other = tmp_path / "day9_consultation01_doctor.TextGrid"
    shutil.copy(PAIR[0], other)
    with pytest.raises(InputError, match="both TextGrids are the doctor's side"):
        load_transcript([PAIR[0], other])


SHORT_GRID = ('File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n4\n<exists>\n1\n'
              '"IntervalTier"\n"Speaker"\n0\n4\n1\n0\n{end}\n"{text}"\n')


def test_textgrid_pair_without_suffixes(tmp_path):
    a, b = tmp_path / "a.TextGrid", tmp_path / "b.TextGrid"
    a.write_text(SHORT_GRID.format(end=2, text="hello"))
    b.write_text(SHORT_GRID.format(end=1, text="hi"))
    with pytest.raises(InputError, match="cannot tell the two speakers apart"):
        load_transcript([a, b])
    named = tmp_path / "visit_patient.TextGrid"  # one side named: the other is taken as the doctor
    named.write_text(SHORT_GRID.format(end=1, text="hi"))
    t = load_transcript([a, named])
    assert [(u.speaker, u.role, u.text) for u in t.utterances] == [("patient", "patient", "hi"),
                                                                   ("doctor", "clinician", "hello")]
    assert any("taken as the doctor's side" in w for w in t.warnings)


def test_unexpected_errors_become_input_errors(monkeypatch):
    from analyzer.importers.text import TextImporter

    def boom(self, text, path):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(TextImporter, "parse", boom)
    with pytest.raises(InputError, match="labels.txt: could not be imported .*kaboom.*bug"):
        load_transcript(FIX / "labels.txt")


def test_textgrid_point_tier_skipped(tmp_path):
    p = tmp_path / "grid.TextGrid"
    p.write_text('File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n4\n<exists>\n2\n'
                 '"TextTier"\n"events"\n0\n4\n1\n1.5\n"cough"\n'
                 '"IntervalTier"\n"Nurse"\n0\n4\n2\n0\n1\n"hi there"\n1\n4\n""\n')
    t = load_transcript(p)
    assert [(u.speaker, u.role, u.text) for u in t.utterances] == [("nurse", "clinician", "hi there")]
    assert any("point tier" in w for w in t.warnings)


# --------------------------------------------------------------------------- JSON


def test_json_own_form():
    t = load_transcript(FIX / "transcript.json")
    assert t.source.to_dict() == {"kind": "transcript", "format": "json", "file": str(FIX / "transcript.json"),
                        "duration": 20.0, "original_source": {"kind": "audio", "file": "visit.wav"}}
    assert texts(t) == ["Hello, what brings you in?", "My knee hurts.", "Tell me more."]
    assert [tg.label for tg in t.utterances[1].tags] == ["concern"] and t.utterances[1].extra == {}
    assert (t.speakers["S0"].role_source, t.speakers["S0"].role_confidence) == ("auto", 0.8)  # as written
    assert (t.speakers["S1"].role, t.speakers["S1"].role_source) == ("patient", "input")  # role given in the file


def test_json_round_trip_of_every_format(tmp_path):
    for src in [FIX / "labels.txt", FIX / "voices.vtt", FIX / "names.srt", PAIR[0], FIX / "timed_paren.txt"]:
        t = load_transcript(src)
        out = tmp_path / (src.stem + ".json")
        t.save(out)
        back = load_transcript(out)
        assert [u.to_dict() for u in back.utterances] == [u.to_dict() for u in t.utterances], src
        assert {k: v.to_dict() for k, v in back.speakers.items()} == {k: v.to_dict() for k, v in t.speakers.items()}
        assert back.source.get("original_source") == {k: t.source.get(k) for k in ("kind", "format", "file")}
        back.save(out)  # a second round trip keeps pointing at the first origin, never nests
        assert load_transcript(out).source.get("original_source") == back.source.get("original_source")


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name, reason", [
    ("empty.txt", "empty"), ("blank.vtt", "empty"), ("no_turns.txt", "no speaker turns"),
    ("binary.txt", "binary"), ("latin1_garbage.txt", "binary"), ("audio_named_txt.txt", "audio"),
    ("bad_time.vtt", "malformed cue time"), ("bad_seconds.vtt", "malformed cue time"),
    ("end_before_start.srt", "ends before it starts"), ("time_backwards.txt", "earlier than the previous"),
    ("truncated.TextGrid", "truncated"), ("interval_backwards.TextGrid", "ends before it starts"),
    ("end_before_start.json", "before it starts"), ("not_json.json", "not valid JSON"),
    ("no_utterances_key.json", "utterances"),
])
def test_bad_inputs(name, reason):
    with pytest.raises(InputError) as e:
        load_transcript(BAD / name)
    msg = str(e.value)
    assert msg.startswith(str(BAD / name) + ": ") and reason in msg and "\n" not in msg


def test_missing_folder_too_large_and_wrong_counts(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_transcript(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="folder"):
        load_transcript(tmp_path)
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.write(b"Doctor: hi\n")
        f.truncate(21 * 1024 * 1024)
    with pytest.raises(InputError, match="too large") as e:
        load_transcript(big)
    assert "big.txt" in str(e.value)
    with pytest.raises(InputError, match="pair of TextGrids"):
        load_transcript([FIX / "labels.txt", FIX / "names.srt"])
    with pytest.raises(InputError, match="got 3 files"):
        load_transcript([PAIR[0], PAIR[1], FIX / "labels.txt"])
    with pytest.raises(InputError, match="no transcript file"):
        load_transcript([])
    wav = tmp_path / "visit.wav"
    wav.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(64))
    with pytest.raises(InputError, match="audio"):
        load_transcript(wav)


# --------------------------------------------------------------------------- fuzzing: only InputError comes out

FUZZ_EXTS = [".json", ".txt", ".vtt", ".srt", ".TextGrid", ""]
TOKENS = [
    "Doctor:", "Patient:", "Dr Smith:", "[doctor]", "[patient]", "[00:01:02]", "(00:12)", "\n", "\n\n", " ", ":",
    "WEBVTT\n", "-->", "00:00:01.000", "00:00:0", "1\n", "<v Dr Smith>", "</v>", "<v", ">", "<", "&amp;", "{\\an8}",
    'File type = "ooTextFile"\n', 'Object class = "TextGrid"\n', "<exists>", '"IntervalTier"', '"TextTier"', '"',
    '""', "xmin = ", "1e400", "-3", "2.5", "[1]", "!", "<UNSURE>", "<UNIN/>", "{", "}", "[", "]", '"utterances"',
    '"speaker"', '"start"', '"words"', "null", "true", ",", "\x00", "\ufeff", "é",
]
# IMPORTER_FUZZ_EXAMPLES=5000 for a longer hunt; 150 keeps the suite fast.
fuzz_settings = settings(max_examples=int(os.environ.get("IMPORTER_FUZZ_EXAMPLES", "150")), deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow])


def _only_input_errors(data: bytes, ext: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"fuzz_doctor{ext}"
        p.write_bytes(data)
        for fn in [lambda: _load([p])] + [(lambda imp=imp: imp.load(p)) for imp in IMPORTERS]:
            try:
                t = fn()
            except InputError as e:
                assert e.path and "fuzz_doctor" in str(e)
            else:
                assert isinstance(t, Transcript) and t.utterances
                json.loads(t.to_json())  # and it serialises


@fuzz_settings
@given(st.binary(max_size=3000), st.sampled_from(FUZZ_EXTS))
def test_fuzz_random_bytes(data, ext):
    _only_input_errors(data, ext)


@fuzz_settings
@given(st.lists(st.sampled_from(TOKENS) | st.text(max_size=6), max_size=60).map("".join),
       st.sampled_from(FUZZ_EXTS), st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_fuzz_format_like_text(text, ext, enc):
    _only_input_errors(text.encode(enc, "replace"), ext)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(
        ["speaker", "role", "start", "end", "text", "words", "channel", "id", "probability", "label",
         "role_confidence", "role_source", "talk_time", "x"]), c, max_size=6),
    max_leaves=20,
)


@fuzz_settings
@given(st.fixed_dictionaries({}, optional={
    "utterances": st.lists(json_values | st.fixed_dictionaries(
        {"text": st.text(max_size=10)},
        optional={"speaker": json_values, "role": st.sampled_from(["clinician", "patient", "other", "x"]) | json_values,
                  "start": json_values, "end": json_values, "words": json_values, "channel": json_values}),
        max_size=4),
    "speakers": json_values | st.lists(json_values, max_size=3),
    "source": json_values, "warnings": json_values, "schema_version": json_values,
}))
def test_fuzz_json_structure(doc):
    _only_input_errors(json.dumps(doc).encode(), ".json")


# --------------------------------------------------------------------------- the real data sets


def test_all_primock57_pairs():
    doctors = sorted(PRIMOCK.glob("*_doctor.TextGrid"))
    assert len(doctors) >= 30
    for doc in doctors:
        pat = doc.with_name(doc.name.replace("_doctor", "_patient"))
        t = load_transcript(doc)
        check_primock_pair(t, doc, pat)
        assert not t.warnings, (doc.name, t.warnings)


def test_all_aci_bench_dialogues(tmp_path):
    rows = aci_rows()
    assert len(rows) >= 80
    for r in rows:
        p = tmp_path / f"{r['encounter_id']}.txt"
        p.write_text(r["dialogue"], encoding="utf-8")
        t = load_transcript(p)
        expected = aci_turns(r["dialogue"])
        assert [(u.speaker, u.text) for u in t.utterances] == expected, r["encounter_id"]
        roles = {u.role for u in t.utterances}
        assert "clinician" in roles and len(roles) >= 2, r["encounter_id"]
        # both roles wherever the dialogue has [patient] turns (D2N076 has only a [patient_guest])
        if any(tag == "patient" for tag, _ in expected):
            assert {"clinician", "patient"} <= roles, r["encounter_id"]


def test_schema_version_is_checked_on_load():
    from analyzer.model import SCHEMA_VERSION

    base = {"utterances": [{"speaker": "A", "text": "hello"}]}
    assert Transcript.from_dict({**base, "schema_version": SCHEMA_VERSION}).utterances
    with pytest.raises(ValueError, match="newer visit-analyzer"):
        Transcript.from_dict({**base, "schema_version": SCHEMA_VERSION + 1})
    for bad in ("1", 0, True, -1, 1.0):
        with pytest.raises(ValueError, match="schema_version"):
            Transcript.from_dict({**base, "schema_version": bad})
