"""Command line: ``visit-analyzer transcribe|analyze|models|batch|users``.

Exit codes: 0 done, 2 bad input (one line naming the file and the reason), 3 speech model
missing or altered, 130 interrupted. Output is written only when everything succeeded.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .runtime import limit_native_threads

limit_native_threads()  # before numpy/torch create their thread pools
# Our own progress bars are the only ones on the terminal (transformers draws one per load).
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub

from . import __version__  # noqa: E402
from .errors import InputError, ModelError  # noqa: E402

EXIT_INPUT, EXIT_MODEL, EXIT_INTERNAL, EXIT_INTERRUPTED = 2, 3, 1, 130


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", nargs="+", help="recording (wav, flac, mp3, m4a, ogg, opus, webm, mp4, ...) "
                   "or transcript (.json, .txt, .vtt, .srt, a _doctor/_patient .TextGrid pair)")
    p.add_argument("-o", "--output", help="write JSON here (default: print to standard output)")
    p.add_argument("--model", help="speech model: base (default), tiny.en (faster), or a local CTranslate2 Whisper folder")
    p.add_argument("--speakers", type=int, help="number of speakers if known (default: automatic, 1-4)")
    p.add_argument("--roles", help="role overrides, e.g. S1=clinician,S2=patient,S3=other")
    p.add_argument("--language", help="force the spoken language (e.g. en); default: detect")
    p.add_argument("--max-hours", type=float, default=3.0, help="refuse recordings longer than this (default 3)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="visit-analyzer", description=__doc__.splitlines()[0])
    ap.add_argument("--version", action="version", version=f"visit-analyzer {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    tp = sub.add_parser("transcribe", help="speaker-attributed transcript with roles")
    _common(tp)
    an = sub.add_parser("analyze", help="the whole analysis (transcript, then every analysis stage)")
    _common(an)
    an.add_argument("--html", help="also write the feedback report here (one self-contained HTML file)")
    an.add_argument("--pdf", help="also write the feedback report here as PDF")
    mp = sub.add_parser("models", help="list the bundled speech models and verify their weights")
    mp.add_argument("--verify", action="store_true", help="assemble and hash-check every bundled model")
    from .batch import add_arguments as _batch_arguments

    _batch_arguments(sub.add_parser("batch", help="analyse every recording/transcript in a folder into the store "
                                                  "(skips what is done, resumes after an interruption)"))
    from .users_cli import add_arguments as _users_arguments

    _users_arguments(sub.add_parser("users", help="manage the app's accounts: add, list, password, remove"))
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "models":
            return _models(args)
        if args.command == "batch":
            from .batch import main_batch

            return main_batch(args)
        if args.command == "users":
            from .users_cli import main_users

            return main_users(args)
        return _run(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_MODEL
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print("error: the machine ran out of memory; close other programs or use --model tiny.en", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as e:  # the last resort: one line and where the full report is, never a traceback
        from .crashlog import one_line

        print(f"error: {one_line(e, ' '.join(argv or sys.argv[1:]))}", file=sys.stderr)
        return EXIT_INTERNAL


def _check(args: argparse.Namespace) -> list[str]:
    """Every problem with the command line, before any work (all reported at once)."""
    from .speech.audio import is_audio_path
    from .importers import is_transcript_path
    from .outputs import check_outputs
    from .roles import parse_role_overrides

    problems = []
    if args.speakers is not None and not 1 <= args.speakers <= 8:
        problems.append(f"--speakers {args.speakers}: expected a number from 1 to 8")
    if args.max_hours <= 0:
        problems.append("--max-hours must be positive")
    try:
        parse_role_overrides(args.roles)
    except ValueError as e:
        problems.append(f"--roles: {e}")
    for i in args.input:
        p = Path(i)
        if not p.exists():
            problems.append(f"{i}: file not found")
        elif p.is_dir():
            problems.append(f"{i}: is a folder, not a recording or transcript")
        elif not os.access(p, os.R_OK):
            problems.append(f"{i}: cannot be read (permission denied)")
        elif not (is_audio_path(p) or is_transcript_path(p)):
            problems.append(f"{i}: unknown format (expected a recording such as .wav/.mp3/.m4a/.ogg or a "
                            "transcript .json/.txt/.vtt/.srt/.TextGrid)")
    outputs = {"-o": args.output, "--html": getattr(args, "html", None), "--pdf": getattr(args, "pdf", None)}
    problems += check_outputs(outputs, args.input)
    return problems


def _run(args: argparse.Namespace) -> int:
    from .outputs import write_all
    from .progress import TqdmProgress
    from .roles import parse_role_overrides
    from .runner import Options, VisitInput, analyze

    problems = _check(args)
    if problems:
        for line in problems:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_INPUT
    opts = Options(model=args.model, speakers=args.speakers, roles=parse_role_overrides(args.roles) or None,
                   max_hours=args.max_hours, language=args.language)
    progress = TqdmProgress(enabled=not args.quiet)
    t = analyze(VisitInput([Path(i) for i in args.input]), opts, progress,
                until=None if args.command == "analyze" else "roles")
    for w in t.warnings:
        print(f"warning: {w}", file=sys.stderr)
    # Render every report before writing any file, so a failure leaves none half-made.
    files = _reports(t, args) if args.command == "analyze" else {}
    if args.output:
        files = {args.output: t.to_json().encode("utf-8"), **files}
    write_all(files)
    if args.output:
        _summary(t, args.output)
    else:
        sys.stdout.write(t.to_json() + "\n")
    for path in files:
        if path != args.output:
            print(f"wrote {path}", file=sys.stderr)
    return 0


def _reports(t, args: argparse.Namespace) -> dict[str, bytes]:
    """The feedback report as HTML and/or PDF bytes, keyed by output path."""
    if not (args.html or args.pdf):
        return {}
    from .report import build_report
    from .report.html import render_html
    from .report.pdf import render_pdf_bytes

    analysis = t.to_dict()
    report = build_report(analysis)
    title = f"Visit feedback report: {Path(args.input[0]).name}"
    out = {}
    if args.html:
        out[args.html] = render_html(analysis, report, title=title).encode("utf-8")
    if args.pdf:
        out[args.pdf] = render_pdf_bytes(analysis, report, title=title)
    return out


def _summary(t, out: str) -> None:
    src = t.source
    parts = [f"{len(t.utterances)} utterances"]
    if src.duration:
        parts.append(f"{src.duration / 60:.1f} min")
    if src.language:
        parts.append(f"language {src.language}")
    roles = ", ".join(f"{s.id}={s.role} ({s.role_confidence:.2f})" for s in t.speakers.values())
    print(f"wrote {out}: {'; '.join(parts)}; speakers {roles}", file=sys.stderr)


def _models(args: argparse.Namespace) -> int:
    from .speech.weights import BUNDLED, DEFAULT_MODEL, resolve_model

    status = 0
    for name, m in BUNDLED.items():
        line = f"{name:8} {'(default) ' if name == DEFAULT_MODEL else ''}sha256 {m.sha256[:16]}…  from: {m.install_hint}"
        if args.verify:
            try:
                r = resolve_model(name)
                line += f"\n         OK, verified at {r.path}"
            except ModelError as e:
                line += f"\n         FAILED: {e}"
                status = EXIT_MODEL
        print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
