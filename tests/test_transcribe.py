"""The real faster-whisper model on real recordings (tiny.en for speed; base where noted)."""
import json

import numpy as np
import pytest

from analyzer.pipeline import Options, load_input, transcribe_audio
from conftest import JFK_TEXT, LEFT_TEXT, RIGHT_TEXT, wer

TINY = Options(model="tiny.en")


def test_jfk_text_and_word_times(jfk):
    t = load_input(jfk, TINY)
    text = " ".join(u.text for u in t.utterances)
    assert wer(JFK_TEXT, text) <= 0.10, text
    words = [w for u in t.utterances for w in u.words]
    assert len(words) >= 20
    assert all(0 <= w.start <= w.end <= 11.1 for w in words)
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    # jfk.flac is "stereo" with the same mix on both channels: treated as one mix.
    assert t.source.get("speaker_mode") == "mix"
    assert t.source.get("model_verified") is True
    assert len(t.speakers) == 1
    assert any("only one speaker" in w for w in t.warnings)


def test_stereo_channels_are_two_speakers_with_their_own_text(stereo_wav):
    t = load_input(stereo_wav, TINY)
    assert t.source.get("speaker_mode") == "multichannel"
    assert len(t.speakers) == 2
    by_channel = {sp.channel: sid for sid, sp in t.speakers.items()}
    left = " ".join(u.text for u in t.utterances if u.speaker == by_channel[0])
    right = " ".join(u.text for u in t.utterances if u.speaker == by_channel[1])
    assert wer(LEFT_TEXT, left) <= 0.15, left
    assert wer(RIGHT_TEXT, right) <= 0.15, right
    # Merged by time, never re-timed: the two speakers overlap in this file.
    starts = [u.start for u in t.utterances]
    assert starts == sorted(starts)
    roles = {sp.role for sp in t.speakers.values()}
    assert roles == {"clinician", "patient"}


def test_base_model_default_detects_english(jfk):
    t = transcribe_audio(jfk, Options())
    assert t.source.get("model") == "base"
    assert t.source.get("language") == "en"
    assert t.source.get("language_probability") > 0.5
    assert wer(JFK_TEXT, " ".join(u.text for u in t.utterances)) <= 0.05
    assert not any("not English" in w for w in t.warnings)


def test_non_english_speech_warns(tmp_path):
    """German speech from espeak-ng: base detects it and the user is warned."""
    import shutil
    import subprocess

    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed (scripts/setup.sh installs it)")
    wav = tmp_path / "de.wav"
    subprocess.run(["espeak-ng", "-v", "de", "-w", str(wav),
                    "Guten Tag, ich habe seit drei Wochen starke Kopfschmerzen und kann nachts nicht schlafen. "
                    "Meine Mutter hatte auch Migräne, deshalb mache ich mir Sorgen."], check=True)
    t = transcribe_audio(wav, Options())
    assert t.source.get("language") == "de"
    assert any("not English" in w for w in t.warnings)


def test_transcript_json_roundtrip(stereo_wav, tmp_path):
    from analyzer.model import Transcript

    t = load_input(stereo_wav, TINY)
    out = tmp_path / "t.json"
    t.save(out)
    data = json.loads(out.read_text())
    assert [k for k in ("utterances", "speakers", "source") if k in data] == ["utterances", "speakers", "source"]
    for u in data["utterances"]:
        assert set(["speaker", "role", "start", "end", "text", "words"]) <= set(u)
        assert u["role"] in ("clinician", "patient", "other")
    back = Transcript.from_json(out.read_text())
    assert [u.text for u in back.utterances] == [u.text for u in t.utterances]
    assert back.to_dict()["utterances"] == data["utterances"]


def test_language_forced(jfk):
    t = transcribe_audio(jfk, Options(language="en"))
    assert t.source.get("language") == "en"


def test_mic_bleed_is_removed():
    """The same word on two mics at once stays only on the louder one, so does a word another mic
    hears 12 dB louder; real overlap stays."""
    from analyzer.model import Word
    from analyzer.speech.channels import drop_crosstalk

    sr = 16000
    samples = np.zeros((2, sr * 3), np.float32)
    samples[0, : sr] = 0.5  # speaker A loud on mic 0, leaks quietly into mic 1
    samples[1, : sr] = 0.05
    samples[1, sr * 2:] = 0.5  # speaker B talks later on mic 1
    a = [Word(" hello", 0.1, 0.5)]
    b = [Word(" hello", 0.15, 0.5), Word(" fine", 2.1, 2.5)]
    kept, dropped = drop_crosstalk([a, b], samples)
    assert [w.text for w in kept[0]] == [" hello"]
    assert [w.text for w in kept[1]] == [" fine"]
    assert dropped == [0, 1]
    # Bleed Whisper heard as other words ("yellow" for "hello", 20 dB down): still bleed.
    kept, dropped = drop_crosstalk([a, [Word(" yellow", 0.1, 0.5)]], samples)
    assert dropped == [0, 1]
    # Different words at the same time, each voice loud on its own mic: real overlap, both kept.
    samples[1, : sr] = 0.4
    kept, dropped = drop_crosstalk([a, [Word(" wait", 0.1, 0.5)]], samples)
    assert dropped == [0, 0]

