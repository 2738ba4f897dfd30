"""The pipeline: input file -> Transcript -> (registered analysis stages) -> analysis.

``transcribe_audio`` and ``load_input`` make the transcript; ``analyze`` then runs the
analysis stages registered by name (tags, turn-taking, ... as later modules add them), each
reading and extending the same Transcript.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import InputError
from .model import Speaker, Transcript
from .progress import Progress
from .roles import apply_role_overrides, assign_roles
from .speech import audio as audio_mod

# A language other than English detected with at least this probability gets a warning.
NON_ENGLISH_WARN_PROB = 0.5


@dataclass
class Options:
    model: str | None = None  # "base" (default), "tiny.en", or a local CTranslate2 folder
    speakers: int | None = None  # known number of speakers; None = automatic (1-4)
    roles: dict[str, str] | None = None  # user overrides, speaker id or label -> role
    max_hours: float = audio_mod.DEFAULT_MAX_HOURS
    language: str | None = None  # force a language code; None = detect


StageFn = Callable[[Transcript, Options, Progress], None]
STAGES: dict[str, StageFn] = {}


def register_stage(name: str) -> Callable[[StageFn], StageFn]:
    """Analysis stages register here, in pipeline order (spaCy-style named components)."""

    def deco(fn: StageFn) -> StageFn:
        STAGES[name] = fn
        return fn

    return deco


def is_transcript_input(path: str | Path) -> bool:
    from .importers import is_transcript_path

    return is_transcript_path(path)


def load_input(path: str | Path | list, opts: Options | None = None, progress: Progress | None = None) -> Transcript:
    """Audio or transcript in, speaker-attributed transcript with roles out."""
    opts = opts or Options()
    progress = progress or Progress()
    paths = path if isinstance(path, list) else [path]
    if len(paths) > 1 or is_transcript_input(paths[0]):
        from .importers import load_transcript

        t = load_transcript(paths if len(paths) > 1 else paths[0])
    else:
        t = transcribe_audio(paths[0], opts, progress)
    _finish_roles(t, opts)
    return t


def transcribe_audio(path: str | Path, opts: Options | None = None, progress: Progress | None = None) -> Transcript:
    from .speech.asr import Transcriber, speech_from_words
    from .speech.channels import channel_utterances, drop_crosstalk, merge_by_time, plan_channels
    from .speech.words import diarized_utterances

    opts = opts or Options()
    progress = progress or Progress()
    t0 = time.perf_counter()
    with progress.stage("decode") as update:
        audio = audio_mod.load_audio(path, max_hours=opts.max_hours)
        update(1.0)
    plan = plan_channels(audio)
    if plan.mode == "multichannel" and opts.speakers and opts.speakers != len(plan.channels):
        plan.mode, plan.reason = "mix", (
            f"{opts.speakers} speakers requested on {len(plan.channels)} channels: diarizing the mix"
        )
    with progress.stage("load model") as update:
        asr = Transcriber(opts.model)
        update(1.0)
    t = Transcript()
    timings: dict[str, float] = {}
    language, lang_prob = opts.language, 1.0
    if plan.mode == "multichannel":
        ta = time.perf_counter()
        words_per_channel = []
        for ch in plan.channels:
            with progress.stage(f"transcribe channel {ch + 1}") as update:
                res = asr.transcribe(audio.samples[ch], language=language, progress=update)
            if language is None and res.words:
                language, lang_prob = res.language, res.language_probability  # same visit, same language
            words_per_channel.append(res.words)
        timings["transcribe"] = time.perf_counter() - ta
        words_per_channel, dropped = drop_crosstalk(words_per_channel, audio.samples[plan.channels])
        per_speaker = []
        for k, (ch, words) in enumerate(zip(plan.channels, words_per_channel)):
            sid = f"S{k + 1}"
            if dropped[k]:
                t.warnings.append(f"channel {ch + 1}: {dropped[k]} words heard louder on another microphone were dropped as bleed")
            per_speaker.append(channel_utterances(words, ch, sid))
            t.speakers[sid] = Speaker(id=sid, channel=ch)
        t.utterances = merge_by_time(per_speaker)
    else:
        mix = audio.samples[plan.channels].mean(axis=0).astype("float32") if len(plan.channels) > 1 else audio.samples[plan.channels[0]]
        ta = time.perf_counter()
        with progress.stage("transcribe") as update:
            res = asr.transcribe(mix, language=language, progress=update)
        timings["transcribe"] = time.perf_counter() - ta
        language, lang_prob = res.language, res.language_probability
        td = time.perf_counter()
        with progress.stage("speakers") as update:
            mixed = diarized_utterances(mix, res.words, speech_from_words(res.words), opts.speakers, update)
        timings["speakers"] = time.perf_counter() - td
        t.utterances, t.speakers = mixed.utterances, mixed.speakers
    if not t.utterances:
        raise InputError(path, "no speech was recognised (it may be music, noise or very quiet speech)")
    for sid, sp in t.speakers.items():
        sp.talk_time = round(sum((u.end - u.start) for u in t.utterances if u.speaker == sid), 2)
    t.source = {
        "kind": "audio",
        "file": str(path),
        "format": audio.info.container,
        "codec": audio.info.codec,
        "duration": round(audio.duration, 3),
        "channels": audio.channels,
        "original_sample_rate": audio.info.sample_rate,
        "speaker_mode": plan.mode,
        "speaker_mode_reason": plan.reason,
        "model": asr.resolved.name,
        "model_sha256": asr.resolved.sha256,
        "model_verified": asr.resolved.verified,
        "language": language or "en",
        "language_probability": round(lang_prob, 3),
        "timings": {k: round(v, 2) for k, v in {**timings, "total": time.perf_counter() - t0}.items()},
    }
    if not asr.resolved.multilingual:
        t.source["language_note"] = "English-only model: language assumed, not detected"
    elif language and language != "en" and lang_prob >= NON_ENGLISH_WARN_PROB:
        t.warnings.append(
            f"the speech appears to be in language '{language}' (probability {lang_prob:.2f}), not English: "
            "the transcript may be poor and the communication analysis is built for English"
        )
    return t


def _finish_roles(t: Transcript, opts: Options) -> None:
    assign_roles(t)
    if opts.roles:
        try:
            apply_role_overrides(t, opts.roles)
        except ValueError as e:
            raise InputError(None, f"--roles: {e}") from None


def analyze(path: str | Path | list, opts: Options | None = None, progress: Progress | None = None) -> Transcript:
    """The whole pipeline: transcript, then every registered analysis stage in order."""
    opts = opts or Options()
    progress = progress or Progress()
    t = load_input(path, opts, progress)
    _load_stages()
    for name, stage in STAGES.items():
        with progress.stage(name):
            stage(t, opts, progress)
    return t


# Modules that register analysis stages, in pipeline order: tags feed turn-taking (agenda).
STAGE_MODULES = ("analyzer.tagging", "analyzer.turntaking")


def _load_stages() -> None:
    """Import the modules that register analysis stages; a module not written yet is skipped."""
    import importlib

    for mod in STAGE_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name != mod:
                raise
