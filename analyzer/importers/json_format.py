"""Our own Transcript JSON (see analyzer.model), e.g. a transcript saved by an earlier run and edited."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import InputError
from ..model import Transcript
from ..records import Source
from .base import MB, Importer, finish


class JsonImporter(Importer):
    format = "json"
    extensions = (".json",)
    max_bytes = 100 * MB  # word-level timings make these larger than plain text

    def sniff(self, text: str) -> bool:
        return text.lstrip()[:1] == "{"

    def parse(self, text: str, path: Path) -> Transcript:
        try:
            t = Transcript.from_json(text)
        except ValueError as e:
            raise InputError(path, f"not a transcript in our JSON form: {e}") from None
        except RecursionError:
            raise InputError(path, "not a transcript in our JSON form: nested too deeply") from None
        return t

    def from_text(self, text: str, path: Path, warnings: list[str] | tuple = ()) -> Transcript:
        t = self.parse(text, path)
        # Roles written explicitly in the file count as given by the input.
        try:
            raw = json.loads(text)
            listed = {str(s["id"]) for s in raw.get("speakers") or [] if isinstance(s, dict) and s.get("id") is not None}
            explicit = {str(u["speaker"]) if u.get("speaker") not in (None, "") else u["role"]
                        for u in raw["utterances"] if isinstance(u, dict) and u.get("role") in ("clinician", "patient")}
        except Exception:  # already validated by from_json; this is only a refinement
            listed, explicit = set(), set()
        previous = t.source.to_dict()
        t.warnings[:0] = list(warnings)
        t = finish(t, self.format, path)
        for sid, sp in t.speakers.items():
            if sid not in listed and sid in explicit:
                sp.role_source, sp.role_confidence = "input", 1.0
        if previous:
            # Facts about the content (duration, model, language...) stay; kind/format/file now describe
            # this file, and "original_source" points at where it first came from (kept, never nested).
            origin = previous.get("original_source") or {k: previous[k] for k in ("kind", "format", "file")
                                                          if k in previous}
            merged = {**{k: v for k, v in previous.items() if k != "original_source"}, **t.source.to_dict()}
            if origin and origin != {k: merged[k] for k in origin if k in merged}:
                merged["original_source"] = origin
            t.source = Source.from_dict(merged)
        return t
