"""The bundled sample visits through the real pipeline (tiny.en for speed)."""
import json

import pytest

from analyzer.pipeline import Options, load_input
from benchmarks.asr import reference_text, wer
from conftest import SAMPLES

TINY = Options(model="tiny.en")


@pytest.mark.parametrize("visit", ["good_visit", "poor_visit"])
def test_stereo_sample_roles_and_text(visit):
    audio = SAMPLES / f"{visit}_stereo.ogg"
    t = load_input(audio, TINY)
    assert t.source.get("speaker_mode") == "multichannel"
    roles = {sp.channel: sp.role for sp in t.speakers.values()}
    assert roles == {0: "clinician", 1: "patient"}  # clinician is on the left channel
    hyp = " ".join(u.text for u in t.utterances)
    assert wer(reference_text(audio), hyp) <= 0.12
    # Overlapping speech stays overlapping in multichannel mode (poor_visit has interruptions).
    if visit == "poor_visit":
        ref = json.loads((SAMPLES / "poor_visit_reference.json").read_text())
        assert ref["scripted"]["interruptions"]
        overlaps = sum(1 for a, b in zip(t.utterances, t.utterances[1:]) if b.start < a.end and a.speaker != b.speaker)
        assert overlaps >= 3


def test_reference_transcripts_load_as_transcripts():
    from analyzer.model import Transcript

    for ref in SAMPLES.glob("*_reference.json"):
        t = Transcript.from_json(ref.read_text())
        assert t.has_times and {u.role for u in t.utterances} == {"clinician", "patient"}
        assert 120 <= max(u.end for u in t.utterances) <= 240  # 2-4 minute visits
