"""``visit-analyzer batch FOLDER``: analyse every recording and transcript in a folder into the store.

Each file (a ``_doctor``/``_patient`` TextGrid pair counts as one) is identified by the sha256 of
its content: one already analysed is skipped, one whose job was interrupted (Ctrl-C, a crash, a
power cut) is re-run, anything new becomes a visit with the consent given by ``--consent`` and is
analysed. Running the same command again after an interruption resumes where it stopped.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError


@dataclass
class BatchResult:
    analysed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already done (same content)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def parse_consent(spec: str | None, confirmed_by: str):
    """'who; how' -> Consent; InputError when missing or incomplete (no visit without consent)."""
    from .store import Consent

    if not spec or ";" not in spec:
        raise InputError(None, '--consent "WHO; HOW" is required, e.g. --consent "each patient; verbal, '
                               'recorded at the start" — consent is recorded with every visit')
    who, how = (x.strip() for x in spec.split(";", 1))
    if not who or not how:
        raise InputError(None, '--consent needs both parts: "WHO; HOW"')
    return Consent(who=who, how=how, confirmed_by=confirmed_by)


def find_inputs(folder: Path) -> list[list[Path]]:
    """Recordings and transcripts under ``folder`` (recursively, sorted); a TextGrid pair is one input."""
    from .speech.audio import is_audio_path
    from .importers import is_transcript_path
    from .importers.textgrid import find_partner, side_of

    if not folder.is_dir():
        raise InputError(folder, "is not a folder")
    out, seen = [], set()
    for p in sorted(x for x in folder.rglob("*") if x.is_file() and not x.name.startswith(".")):
        if p in seen:
            continue
        if p.suffix.lower() == ".textgrid" and side_of(p):
            partner = find_partner(p)
            if partner is not None:
                seen.add(partner)
                out.append(sorted([p, partner]))
                continue
        if is_audio_path(p) or is_transcript_path(p):
            out.append([p])
    return out


def run_batch(folder: Path, store, user, consent, options: dict | None = None, show_progress: bool = True,
              retry_failed: bool = False) -> BatchResult:
    from tqdm import tqdm

    from .store.blobs import sha256_files
    from .store.worker import JobNotRunnable, run_job

    inputs = find_inputs(folder)
    res = BatchResult()
    bar = tqdm(total=len(inputs), desc="batch", unit="file", file=sys.stderr, disable=not show_progress,
               bar_format="{desc} {bar} {n_fmt}/{total_fmt} files [{elapsed}<{remaining}] {postfix}")
    try:
        for paths in inputs:
            name = str(paths[0].relative_to(folder))
            bar.set_postfix_str(name[-40:])
            done = store.find_visit(user, sha256_files(paths))
            job_id = None
            if done is not None and done.status == "done":
                res.skipped.append(name)
                bar.update(1)
                continue
            if done is not None:
                v = store.get_visit(user, done.id)
                last = v.jobs[-1] if v.jobs else None
                if last and last.state == "interrupted" or (last and last.state == "failed" and retry_failed):
                    job_id = store.retry_job(user, last.id).id
                elif last and last.state == "queued":
                    job_id = last.id
                elif last and last.state == "failed":
                    res.failed.append((name, last.error or "failed"))
                    bar.update(1)
                    continue
                else:  # running in another process right now: leave it to that process
                    res.skipped.append(name)
                    bar.update(1)
                    continue
            if job_id is None:
                try:
                    v = store.create_visit(user, paths if len(paths) > 1 else paths[0], consent, options=options)
                except InputError as e:
                    res.failed.append((name, e.reason))
                    bar.update(1)
                    continue
                job_id = v.jobs[0].id

            def progress(stage: str, fraction: float, name=name) -> None:
                bar.set_postfix_str(f"{name[-32:]}: {stage} {fraction * 100:.0f}%")

            try:
                job = run_job(store, job_id, progress)
            except JobNotRunnable:
                res.skipped.append(name)
            else:
                (res.analysed.append(name) if job.state == "done" else res.failed.append((name, job.error or job.state)))
            bar.update(1)
    finally:
        bar.close()
    return res


def add_arguments(p) -> None:
    from .store.paths import ENV_DATA, ENV_DB_URL, default_data_dir

    p.add_argument("folder", help="folder of recordings and/or transcripts (searched recursively)")
    p.add_argument("--data-dir", help=f"the store's folder (default: ${ENV_DATA} or {default_data_dir()})")
    p.add_argument("--db-url", help=f"a PostgreSQL URL instead of SQLite in the data folder (or ${ENV_DB_URL}); "
                                    "audio stays in the data folder")
    p.add_argument("--consent", required=True, metavar='"WHO; HOW"',
                   help='required: who consented and how, recorded with every visit, e.g. '
                        '"each patient; verbal, at the start of the recording"')
    p.add_argument("--confirmed-by", help="who confirms the consent (default: your login name)")
    p.add_argument("--user", help="file the visits under this clinician account (default: the local user)")
    p.add_argument("--model", help="speech model: base (default), tiny.en, or a local folder")
    p.add_argument("--speakers", type=int, help="number of speakers if known (default: automatic)")
    p.add_argument("--language", help="force the spoken language (default: detect)")
    p.add_argument("--retry-failed", action="store_true", help="re-run files that failed before")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def main_batch(args) -> int:
    """The CLI subcommand (analyzer.cli): returns the exit code."""
    from .store import default_data_dir, open_store
    from .store.core import default_confirmer

    consent = parse_consent(args.consent, args.confirmed_by or default_confirmer())
    folder = Path(args.folder)
    inputs = find_inputs(folder)  # a bad folder fails before the store is touched
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    store = open_store(data_dir, args.db_url)
    print(f"store: {data_dir}" + (" (database: PostgreSQL)" if store.engine.dialect.name == "postgresql" else ""),
          file=sys.stderr)
    if args.user:
        user = store.get_user(args.user)
        if user is None or user.role != "clinician":
            raise InputError(None, f"--user {args.user}: no such clinician in this store")
    else:
        user = store.local_user()
    options = {k: v for k, v in (("model", args.model), ("speakers", args.speakers), ("language", args.language))
               if v is not None}
    print(f"batch: {len(inputs)} recordings/transcripts in {folder}", file=sys.stderr)
    try:
        res = run_batch(folder, store, user, consent, options or None, show_progress=not args.quiet,
                        retry_failed=args.retry_failed)
    except KeyboardInterrupt:
        print("interrupted: finished visits are stored; run the same command again to resume", file=sys.stderr)
        return 130
    finally:
        store.close()
    for name, reason in res.failed:
        print(f"failed: {name}: {reason}", file=sys.stderr)
    print(f"batch: {len(res.analysed)} analysed, {len(res.skipped)} already done, {len(res.failed)} failed",
          file=sys.stderr)
    return 2 if res.failed else 0
