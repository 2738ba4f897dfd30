"""The speech stages: a recording is decoded once (``decode``: samples and the channel plan the
later stages share), transcribed (``transcribe``: words per channel, or of the mix) and given
speakers (``speakers``: one per channel, or by diarizing the mix).
"""
from __future__ import annotations

import time
from typing import Callable

from ..errors import InputError
from ..model import Speaker, Transcript
from ..records import Source
from ..runner import StageContext, register_stage

# A language other than English detected with at least this probability gets a warning.
NON_ENGLISH_WARN_PROB = 0.5
Update = Callable[[float], None]


@register_stage("decode", label="Decoding the recording", assigns=("audio", "source"), requires=("recording",),
                weight=0.04, kind="input")
def decode_stage(ctx: StageContext, update: Update) -> None:
    from .audio import load_audio
    from .channels import plan_channels

    path = ctx.input.paths[0]
    fresh = ctx.transcript is None
    try:
        ctx.audio = load_audio(path, max_hours=ctx.options.max_hours, check_silence=fresh)
    except InputError as e:
        if fresh:  # a new analysis cannot go on; the user's name for the file, not ours
            raise InputError(ctx.input.name, e.reason) from None
        ctx.audio_status = f"the stored recording could not be read ({e.reason})"  # the transcript still serves
        return
    ctx.audio_status = "used"
    ctx.plan = plan_channels(ctx.audio)
    sp = ctx.options.speakers
    if ctx.plan.mode == "multichannel" and sp and sp != len(ctx.plan.channels):
        ctx.plan.mode, ctx.plan.reason = "mix", (
            f"{sp} speakers requested on {len(ctx.plan.channels)} channels: diarizing the mix")
    update(1.0)


@register_stage("transcribe", label="Transcribing speech", assigns=("words",), requires=("audio",),
                weight=0.78, kind="input")
def transcribe_stage(ctx: StageContext, update: Update) -> None:
    from .asr import Transcriber

    t0 = time.perf_counter()
    asr = Transcriber(ctx.options.model)
    audio, plan = ctx.audio, ctx.plan
    language, prob = ctx.options.language, 1.0
    if plan.mode == "multichannel":
        words = []
        n = len(plan.channels)
        for k, ch in enumerate(plan.channels):
            res = asr.transcribe(audio.samples[ch], language=language,
                                 progress=lambda f, k=k: update((k + f) / n))
            if language is None and res.words:
                language, prob = res.language, res.language_probability  # same visit, same language
            words.append(res.words)
    else:
        res = asr.transcribe(mix_of(audio, plan.channels), language=language, progress=update)
        words, language, prob = res.words, res.language, res.language_probability
    ctx.asr = {"words": words, "language": language, "probability": prob, "model": asr.resolved}
    ctx.timings["transcribe"] = time.perf_counter() - t0


@register_stage("speakers", label="Finding who speaks when", assigns=("utterances", "speakers", "source"),
                requires=("words",), weight=0.08, kind="input")
def speakers_stage(ctx: StageContext, update: Update) -> None:
    from .asr import speech_from_words
    from .channels import channel_utterances, drop_crosstalk, merge_by_time
    from .words import diarized_utterances

    t0 = time.perf_counter()
    audio, plan, words = ctx.audio, ctx.plan, ctx.asr["words"]
    t = Transcript()
    if plan.mode == "multichannel":
        words, dropped = drop_crosstalk(words, audio.samples[plan.channels])
        per_speaker = []
        for k, (ch, ws) in enumerate(zip(plan.channels, words)):
            sid = f"S{k + 1}"
            if dropped[k]:
                t.warnings.append(f"channel {ch + 1}: {dropped[k]} words heard louder on another microphone "
                                  "were dropped as bleed")
            per_speaker.append(channel_utterances(ws, ch, sid))
            t.speakers[sid] = Speaker(id=sid, channel=ch)
        t.utterances = merge_by_time(per_speaker)
    else:
        mix = mix_of(audio, plan.channels)
        # The diarizer's voice centroids stay in memory only: a voiceprint is never stored, and a
        # re-run (role change, resumed job) must compute exactly what the first run did.
        found = diarized_utterances(mix, words, speech_from_words(words), ctx.options.speakers, update)
        t.utterances, t.speakers = found.utterances, found.speakers
    if not t.utterances:
        raise InputError(ctx.input.name, "no speech was recognised (it may be music, noise or very quiet speech)")
    ctx.timings["speakers"] = time.perf_counter() - t0
    for sid, sp in t.speakers.items():
        sp.talk_time = round(sum((u.end - u.start) for u in t.utterances if u.speaker == sid), 2)
    t.source = Source.from_dict(_audio_source(ctx))
    _language_check(t, ctx.asr)
    ctx.transcript = t


def mix_of(audio, channels: list[int]):
    """One signal from the channels that carry speech (their mean when there are several)."""
    if len(channels) > 1:
        return audio.samples[channels].mean(axis=0).astype("float32")
    return audio.samples[channels[0]]


def _audio_source(ctx: StageContext) -> dict:
    audio, plan, model = ctx.audio, ctx.plan, ctx.asr["model"]
    src = {
        "kind": "audio", "file": ctx.input.name, "format": audio.info.container, "codec": audio.info.codec,
        "duration": round(audio.duration, 3), "channels": audio.channels,
        "original_sample_rate": audio.info.sample_rate, "speaker_mode": plan.mode,
        "speaker_mode_reason": plan.reason, "model": model.name, "model_sha256": model.sha256,
        "model_verified": model.verified, "language": ctx.asr["language"] or "en",
        "language_probability": round(ctx.asr["probability"], 3),
        "timings": {k: round(v, 2) for k, v in {**ctx.timings, "total": sum(ctx.timings.values())}.items()},
    }
    if not model.multilingual:
        src["language_note"] = "English-only model: language assumed, not detected"
    return src


def _language_check(t: Transcript, asr: dict) -> None:
    language, prob = asr["language"], asr["probability"]
    if asr["model"].multilingual and language and language != "en" and prob >= NON_ENGLISH_WARN_PROB:
        t.warnings.append(
            f"the speech appears to be in language '{language}' (probability {prob:.2f}), not English: "
            "the transcript may be poor and the communication analysis is built for English")
