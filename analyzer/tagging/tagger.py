"""The behaviour tagger: sentences (spaCy) -> one encoder pass per turn -> trained heads and
recognizers -> ``tags`` on every utterance and ``main`` on every clinician utterance.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from . import text as T
from .assets import heads_dir
from .base import MAIN, REGISTRY, Context, Tag
from .encoder import DEPTH, LAYERS, Encoder
from .features import DialogueFeatures
from .heads import Heads

MAIN_FROM_ANNOMI = {"question": "question", "reflection": "reflection", "therapist_input": "input", "other": "other"}


def encoder_threads() -> int:
    """One torch thread for the tagger's encoder unless VISIT_ANALYZER_TAGGER_THREADS says more.
    Its batches are small (<= 512 word pieces): on this project's 2-core machine, shared with
    other work, 2 threads tagged 75 utterances/s and 1 thread 144 (PriMock57, same load), because
    idle OpenMP threads spin for a core another process holds."""
    import os

    v = os.environ.get("VISIT_ANALYZER_TAGGER_THREADS", "")
    return int(v) if v.isdigit() and int(v) > 0 else 1


class Tagger:
    def __init__(self, heads_folder=None):
        t0 = time.perf_counter()
        from .recognizers import load_all

        load_all()
        self.heads = Heads.load(heads_dir(heads_folder))
        self.encoder = Encoder(threads=encoder_threads(), depth=DEPTH)
        T.nlp()
        self.recognizers = sorted((cls() for cls in REGISTRY.values()), key=lambda r: (r.order, r.name))
        self.load_seconds = time.perf_counter() - t0

    # -- one dialogue ------------------------------------------------------------------------

    def features(self, roles: list[str], texts: list[str], progress: Callable[[float], None] | None = None) -> DialogueFeatures:
        uniq = list(dict.fromkeys(texts))  # "okay." is said many times: split and encode once
        # spaCy (sentences, tags) runs in a second thread while torch encodes: both release the
        # GIL in their numeric kernels, so on 2 cores they overlap.
        with ThreadPoolExecutor(1) as pool:
            sents_job = pool.submit(T.split, uniq)
            toks_u = self.encoder.encode_tokens(uniq, layers=LAYERS)
            if progress:
                progress(0.7)
            sents_u = sents_job.result()
        if progress:
            progress(0.8)
        at = {t: k for k, t in enumerate(uniq)}
        # Sentence objects are shared between equal texts; features only read them.
        return DialogueFeatures(roles, texts, [sents_u[at[t]] for t in texts], [toks_u[at[t]] for t in texts])

    def tag(self, roles: list[str], texts: list[str], progress: Callable[[float], None] | None = None) -> list[dict]:
        """Per utterance: {"tags": [...], "main": ...} ("main" for clinician utterances only)."""
        return self.tag_with_context(roles, texts, progress)[0]

    def tag_with_context(self, roles: list[str], texts: list[str],
                         progress: Callable[[float], None] | None = None) -> tuple[list[dict], Context | None]:
        """``tag`` and the context it was made from (the heads' probabilities in ``ctx.cache``:
        benchmarks score them where no tag was given)."""
        if not texts:
            return [], None
        F = self.features(roles, texts, progress)
        ctx = Context(F, self.heads)
        self._model_pass(ctx)
        for rec in self.recognizers:
            ctx.tags.extend(rec.analyze(ctx))
        out: list[dict] = [{"tags": []} for _ in texts]
        for tag in sorted(_without_contradictions(ctx.tags), key=lambda t: (t.turn, t.span[0], t.label)):
            out[tag.turn]["tags"].append(tag.to_dict())
        turn_p, social = ctx.cache.get("turn_p", {}), ctx.cache.get("social", {})
        for j, role in enumerate(roles):
            if role == "clinician":
                p = turn_p["main"][ctx.cache["turn_row"][j]]
                out[j]["main"] = MAIN_FROM_ANNOMI[self.heads.turn.tasks["main"][int(np.argmax(p))]]
                out[j]["main_score"] = round(float(p.max()), 3)
                if out[j]["main"] == "question" and j in social and not any(
                        t["label"].startswith("question.") for t in out[j]["tags"]):
                    out[j]["main"] = "other"  # only a greeting or "Sorry?" was asked
        if progress:
            progress(1.0)
        return out, ctx

    def _model_pass(self, ctx: Context) -> None:
        """Turn and sentence probabilities of every clinician turn, for the model recognizers."""
        F = ctx.features
        turns = np.array([j for j, r in enumerate(F.roles) if r == "clinician"], dtype=np.int64)
        ctx.cache["turn_row"] = {int(j): k for k, j in enumerate(turns)}
        if not len(turns):
            ctx.cache["turn_p"], ctx.cache["sent_p"], ctx.cache["sent_row"] = {}, {}, {}
            return
        D, B, hits = F.turn_matrix(turns)
        ctx.cache["turn_p"] = self.heads.turn.proba(D, B)
        ctx.cache["turn_cues"] = hits
        rows = np.nonzero(np.isin(F.sent_turn, turns))[0]
        SD, SB, shits = F.sentence_matrix(rows)
        ctx.cache["sent_p"] = self.heads.sent.proba(SD, SB)
        ctx.cache["sent_row"] = {int(i): k for k, i in enumerate(rows)}
        ctx.cache["sent_cues"] = shits

    # -- the pipeline's transcript -------------------------------------------------------------

    def tag_transcript(self, t, progress: Callable[[float], None] | None = None) -> None:
        roles = [u.role for u in t.utterances]
        texts = [u.text for u in t.utterances]
        from ..records import Tag as TagRecord

        for u, res in zip(t.utterances, self.tag(roles, texts, progress)):
            u.tags = [TagRecord.from_dict(tg) for tg in res["tags"]]
            u.main, u.main_score = res.get("main"), res.get("main_score")


_TAGGER: Tagger | None = None


def _without_contradictions(tags: list[Tag]) -> list[Tag]:
    """A sentence that dismisses the patient's concern ("Don't worry about that.") is not also a
    reflection of it, even when the reflection head leans that way on the shared words."""
    dismissed = [(t.turn, t.span) for t in tags if t.label == "dismissal"]
    return [t for t in tags if not (t.label.startswith("reflection.") and any(
        turn == t.turn and span[0] < t.span[1] and t.span[0] < span[1] for turn, span in dismissed))]


_LOAD_LOCK = threading.Lock()


def get_tagger() -> Tagger:
    """One tagger per process (loading takes a second or two). Loaded under a lock: two threads
    importing transformers for the first time at once can see a half-initialised module
    (ImportError: AutoTokenizer), as an app job racing a sample analysis did."""
    global _TAGGER
    with _LOAD_LOCK:
        if _TAGGER is None:
            _TAGGER = Tagger()
    return _TAGGER


def sentence_tags(ctx: Context, turn: int, label_of: Callable[[int], tuple[str, float, str] | None]) -> list[Tag]:
    """Helper for recognizers: a Tag for each sentence of ``turn`` that ``label_of`` labels."""
    F = ctx.features
    out = []
    for i in np.nonzero(F.sent_turn == turn)[0]:
        res = label_of(int(i))
        if res:
            s = F.flat[i]
            out.append(Tag(res[0], res[1], turn, (s.start, s.end), res[2]))
    return out


__all__ = ["Tagger", "get_tagger", "MAIN"]
