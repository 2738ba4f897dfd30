"""The input stages: a recording (decode -> transcribe -> speakers) or a transcript file (read)
becomes a speaker-attributed ``Transcript``; ``roles`` then says who is the clinician and who the
patient, wherever the transcript came from, and applies the user's overrides after.

The runner (``analyzer.runner``) orders these before the analysis stages; ``analyze``,
``load_input`` and ``transcribe_audio`` are the entry points for code and tests.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from .errors import InputError
from .model import Speaker, Transcript
from .progress import Progress
from .runner import Options, StageContext, VisitInput, analyze, register_stage

__all__ = ["Options", "analyze", "load_input", "transcribe_audio", "NON_ENGLISH_WARN_PROB"]

# A language other than English detected with at least this probability gets a warning.
NON_ENGLISH_WARN_PROB = 0.5
Update = Callable[[float], None]


def load_input(path: "str | Path | list | VisitInput", opts: Options | None = None,
               progress: Progress | None = None) -> Transcript:
    """Audio or transcript in, speaker-attributed transcript with roles out (no analysis stages)."""
    return analyze(path, opts, progress, until="roles")


def transcribe_audio(path: "str | Path | VisitInput", opts: Options | None = None,
                     progress: Progress | None = None) -> Transcript:
    """A recording in, the speaker-attributed transcript out (before roles)."""
    return analyze(path, opts, progress, until="speakers")


@register_stage("decode", label="Decoding the recording", assigns=("audio", "source"), requires=("recording",),
                weight=0.04, kind="input")
def decode_stage(ctx: StageContext, update: Update) -> None:
    from .audio import load_audio
    from .speakers import plan_channels

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
    from .speakers import channel_utterances, diarized_utterances, drop_crosstalk, merge_by_time

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
        t.utterances, t.speakers = diarized_utterances(mix, words, speech_from_words(words), ctx.options.speakers,
                                                       update)
    if not t.utterances:
        raise InputError(ctx.input.name, "no speech was recognised (it may be music, noise or very quiet speech)")
    ctx.timings["speakers"] = time.perf_counter() - t0
    for sid, sp in t.speakers.items():
        sp.talk_time = round(sum((u.end - u.start) for u in t.utterances if u.speaker == sid), 2)
    t.source = _audio_source(ctx)
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


@register_stage("read transcript", label="Reading the transcript", assigns=("utterances", "speakers", "source"),
                requires=("transcript file",), weight=0.05, kind="input")
def read_stage(ctx: StageContext, update: Update) -> None:
    from .importers import load_transcript
    from .textlang import english_warning

    paths = ctx.input.paths
    try:
        t = load_transcript(paths if len(paths) > 1 else paths[0])
    except InputError as e:
        raise InputError(ctx.input.name, e.reason) from None
    t.source["file"] = ctx.input.name
    warning = english_warning(" ".join(u.text for u in t.utterances))
    if warning:
        t.warnings.append(warning)
    ctx.transcript = t
    update(1.0)


@register_stage("roles", label="Who is the clinician, who the patient", assigns=("roles",),
                requires=("utterances",), weight=0.01)
def roles_stage(ctx: StageContext, update: Update) -> None:
    """Roles wherever the transcript came from; the user's overrides after, in this one place."""
    from .roles import apply_role_overrides, assign_roles

    t = ctx.transcript
    assign_roles(t)
    if ctx.options.roles:
        try:
            apply_role_overrides(t, ctx.options.roles)
        except ValueError as e:
            raise InputError(None, f"role overrides: {e}") from None
    update(1.0)
