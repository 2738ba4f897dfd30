"""Features of a dialogue: sentence embeddings, the patient turns around each clinician
turn (context), cue features (punctuation, wh-words, inversion, reflection stems, overlap with
what the patient said) and a hashed n-gram bag.

``DialogueFeatures`` is built once per transcript, at training time from AnnoMI and at run
time from the pipeline's Transcript; both go through the same code.
"""
from __future__ import annotations

import re
import zlib

import numpy as np
from scipy import sparse

from . import text as T
from .encoder import DIM

HASH_BITS = 16
N_HASH = 1 << HASH_BITS
# The turn matrix ends with the first and the last sentence's vectors: only the subtype heads
# (open/closed, simple/complex) read them, since the sentence that carries the behaviour decides
# its subtype (a reflection leads a turn, a question ends it) and the turn mean blurs it.
SUBTYPE_COLS = 2 * DIM

CUE_NAMES = [
    "q_end", "q_any", "wh_first", "wh_early", "invert_first", "any_first", "you_first", "how_first", "what_first",
    "why_first", "how_closed", "what_kind", "or_choice", "tell_me", "tag_check", "scale", "so_first",
    "and_first", "but_first", "dash_start", "dash_end", "sounds_like", "you_n", "i_n", "we_n", "advice",
    "inform", "options", "agenda", "greeting", "emotion", "backchannel", "n_words_log", "one_word",
    "digits", "first_sent", "last_sent", "n_sents_log", "exclaim", "ellipsis",
]
CTX_NAMES = [
    "prev_is_patient", "has_prev_patient", "has_next_patient", "next_is_patient", "prev_words_log",
    "next_words_log", "next_yes", "next_no", "next_q", "next_backchannel", "overlap_prev_n",
    "overlap_prev_frac", "overlap_prevc_frac", "cos_prev", "cos_prev_max", "cos_next", "cos_prevc",
    "prev_emotion", "turn_gap_log",
]
YES = {"yeah", "yes", "yep", "right", "exactly", "mm-hmm", "mhm", "uh-huh", "true", "definitely", "absolutely",
       "sure", "correct", "yea", "ya"}
NO = {"no", "nope", "nah", "not"}
_DIGIT = re.compile(r"\d")


def cues(s: T.Sentence, k: int, n_sents: int) -> tuple[np.ndarray, list[str]]:
    """Cue vector for one sentence (CUE_NAMES order) and the cue phrases that matched."""
    words = s.words
    low = " ".join(words)
    txt = s.text.strip()
    fc = T.first_content(words)
    f0 = fc[0] if fc else ""
    head = " ".join(fc[:3])
    hits: list[str] = []
    v = np.zeros(len(CUE_NAMES), np.float32)

    def put(name: str, value: float, why: str | None = None) -> None:
        v[_CUE[name]] = value
        if why and value:
            hits.append(why)

    put("q_end", float(txt.rstrip("\"')-—– ").endswith("?")), "ends with '?'")
    put("q_any", float("?" in txt))
    put("wh_first", float(f0 in T.WH), f"starts with '{f0}'")
    put("wh_early", float(any(w in T.WH for w in fc[:4])))
    put("invert_first", float(f0 in T.INVERT and len(fc) > 1 and fc[1] in {"you", "i", "we", "he", "she", "it", "they",
                                                                        "there", "that", "this", "your", "anyone"}),
        f"starts with '{' '.join(fc[:2])}'")
    put("any_first", float(f0 in T.ANY_FIRST), f"starts with '{f0}'")
    put("you_first", float(f0 in {"you", "you're", "your"}))
    put("how_first", float(f0 == "how"))
    put("what_first", float(f0 == "what"))
    put("why_first", float(f0 == "why"))
    put("how_closed", float(any(head.startswith(p) for p in T.HOW_CLOSED)), "asks how many/long/often")
    put("what_kind", float(head.startswith("what kind") or head.startswith("what sort") or head.startswith("what type")))
    put("or_choice", float(" or " in f" {low} "))
    for name, key in (("tell_me", "tell_me"), ("tag_check", "tag_check"), ("scale", "scale"),
                      ("sounds_like", "sounds_like"), ("advice", "advice"), ("inform", "inform"),
                      ("options", "options"), ("agenda", "agenda"), ("greeting", "greeting"), ("emotion", "emotion")):
        p = T.has(f" {txt.lower()} ", T.PHRASES[key])
        put(name, float(p is not None), f"'{p.strip()}'" if p else None)
    put("so_first", float(bool(words) and words[0] == "so" or head.startswith("so ")), "starts with 'so'")
    put("and_first", float(bool(words) and words[0] == "and"))
    put("but_first", float(bool(words) and words[0] == "but"))
    put("dash_start", float(txt[:1] in "-—–"))
    put("dash_end", float(txt[-1:] in "-—–"))
    put("you_n", float(sum(w in {"you", "your", "you're", "yourself", "you've", "you'd", "you'll"} for w in words)))
    put("i_n", float(sum(w in {"i", "me", "my", "i'm", "i've", "i'd", "myself"} for w in words)))
    put("we_n", float(sum(w in {"we", "us", "our", "we're", "we'll", "let's"} for w in words)))
    put("backchannel", float(all(w in T.BACKCHANNEL for w in words)))
    put("n_words_log", float(np.log1p(len(words))))
    put("one_word", float(len([w for w in words if w.isalnum()]) <= 1))
    put("digits", float(bool(_DIGIT.search(txt))))
    put("first_sent", float(k == 0))
    put("last_sent", float(k == n_sents - 1))
    put("n_sents_log", float(np.log1p(n_sents)))
    put("exclaim", float("!" in txt))
    put("ellipsis", float("..." in txt or "…" in txt))
    return v, hits


def _hash_tokens(words: list[str], first: list[str]) -> list[int]:
    toks = ["<s>"] + words + ["</s>"]
    grams = toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])] + [f"{a} {b} {c}" for a, b, c in zip(toks, toks[1:], toks[2:])]
    grams += [f"F1:{w}" for w in first[:1]] + [f"F2:{' '.join(first[:2])}"] if first else []
    return [zlib.crc32(g.encode("utf-8")) & (N_HASH - 1) for g in grams]


def hashed_bag(rows: list[list[str]], firsts: list[list[str]]) -> sparse.csr_matrix:
    """Binary n-gram (1-3) bag, hashed to 2^18 columns, L2-normalised per row."""
    indptr, indices = [0], []
    for words, first in zip(rows, firsts):
        idx = sorted(set(_hash_tokens(words, first)))
        indices.extend(idx)
        indptr.append(len(indices))
    data = np.ones(len(indices), np.float32)
    m = sparse.csr_matrix((data, np.array(indices, dtype=np.int64), np.array(indptr)), shape=(len(rows), N_HASH))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(1)).ravel())
    norms[norms == 0] = 1
    return sparse.diags(1 / norms) @ m


def pool(states: np.ndarray, offsets: np.ndarray, spans: list[tuple[int, int]]) -> np.ndarray:
    """Mean of the token states inside each character span (L2-normalised)."""
    out = np.zeros((len(spans), states.shape[1]), np.float32)
    for k, (a, b) in enumerate(spans):
        m = (offsets[:, 0] >= a) & (offsets[:, 1] <= b) & (offsets[:, 1] > offsets[:, 0])
        if m.any():
            v = states[m].mean(0)
            out[k] = v / max(float(np.linalg.norm(v)), 1e-9)
    return out


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


class DialogueFeatures:
    """Everything the classifiers read about one dialogue.

    roles/texts: the turns; sents: their sentences (text.split); tokens: per turn, the
    encoder's (token states, character offsets) from one pass over the whole turn. Sentence
    vectors pool the turn's tokens inside the sentence span, so each turn is encoded once.
    ``sent_turn[i]`` is the turn of flat sentence i.
    """

    def __init__(self, roles: list[str], texts: list[str], sents: list[list[T.Sentence]],
                 tokens: list[tuple[np.ndarray, np.ndarray]]):
        self.roles, self.texts, self.sents = roles, texts, sents
        # "other" speakers (a relative, an interpreter) count as the patient's side for context
        self.side = ["clinician" if r == "clinician" else "patient" for r in roles]
        self.sent_turn = np.array([j for j, ss in enumerate(sents) for _ in ss], dtype=np.int64)
        self.sent_k = np.array([k for ss in sents for k in range(len(ss))], dtype=np.int64)
        self.flat = [s for ss in sents for s in ss]
        self._first_sent = np.cumsum([0] + [len(ss) for ss in sents])[:-1]  # flat index of each turn's first sentence
        n = len(texts)
        self.turn_emb = np.zeros((n, DIM), np.float32)
        n_layers = tokens[0][0].shape[1] // DIM if tokens else 1
        self.turn_lower = np.zeros((n, DIM * (n_layers - 1)), np.float32)  # lower layers, pooled per turn
        self.emb = np.zeros((len(self.flat), DIM), np.float32)
        i = 0
        for j, (st, off) in enumerate(tokens):
            last = st[:, -DIM:].astype(np.float32)
            if len(st):
                self.turn_emb[j] = _unit(last.mean(0))
                m = st[:, :-DIM].astype(np.float32).mean(0)
                for k in range(n_layers - 1):
                    self.turn_lower[j, k * DIM:(k + 1) * DIM] = _unit(m[k * DIM:(k + 1) * DIM])
            self.emb[i:i + len(sents[j])] = pool(last, off, [(x.start, x.end) for x in sents[j]])
            i += len(sents[j])
        # A turn as context (the patient turns around a clinician's): the mean of its sentence
        # vectors, so a long turn's every sentence counts alike (better than one mean of tokens).
        self.ctx_emb = np.zeros((n, DIM), np.float32)
        np.add.at(self.ctx_emb, self.sent_turn, self.emb)
        self.ctx_emb /= np.maximum(np.linalg.norm(self.ctx_emb, axis=1, keepdims=True), 1e-9)
        self.prev_p = self._nearest(-1, "patient")
        self.next_p = self._nearest(+1, "patient")
        self.prev_c = self._nearest(-1, "clinician")
        self.turn_lemmas = [set(l for s in ss for l in s.lemmas) for ss in sents]
        self.turn_words = [[w for s in ss for w in s.words] for ss in sents]

    def _nearest(self, step: int, side: str) -> np.ndarray:
        n = len(self.side)
        out = np.full(n, -1, dtype=np.int64)
        last = -1
        rng = range(n) if step < 0 else range(n - 1, -1, -1)
        for j in rng:
            out[j] = last
            if self.side[j] == side:
                last = j
        return out

    # -- context -------------------------------------------------------------------------

    def _sent_emb(self, idx: np.ndarray) -> np.ndarray:
        """Sentence vectors of flat sentence indices."""
        return self.emb[idx] if len(idx) else np.zeros((0, DIM), np.float32)

    def _ctx_emb(self, idx: np.ndarray) -> np.ndarray:
        out = np.zeros((len(idx), DIM), np.float32)
        ok = idx >= 0
        out[ok] = self.ctx_emb[idx[ok]]
        return out

    def context_vector(self, j: int, e: np.ndarray, lemmas: set[str]) -> np.ndarray:
        """CTX_NAMES features of a clinician unit (sentence or turn) with embedding e in turn j."""
        p, nx, pc = self.prev_p[j], self.next_p[j], self.prev_c[j]
        v = np.zeros(len(CTX_NAMES), np.float32)
        f = _CTX
        v[f["prev_is_patient"]] = float(j > 0 and self.side[j - 1] == "patient")
        v[f["has_prev_patient"]] = float(p >= 0)
        v[f["has_next_patient"]] = float(nx >= 0)
        v[f["next_is_patient"]] = float(j + 1 < len(self.side) and self.side[j + 1] == "patient")
        if p >= 0:
            shared = lemmas & self.turn_lemmas[p]
            v[f["prev_words_log"]] = np.log1p(len(self.turn_words[p]))
            v[f["overlap_prev_n"]] = np.log1p(len(shared))
            v[f["overlap_prev_frac"]] = len(shared) / max(1, len(lemmas))
            v[f["cos_prev"]] = float(e @ self.ctx_emb[p])
            rows = np.nonzero(self.sent_turn == p)[0]
            v[f["cos_prev_max"]] = float((self.emb[rows] @ e).max()) if len(rows) else 0.0
            v[f["prev_emotion"]] = float(T.has(" " + self.texts[p].lower() + " ", T.PHRASES["emotion"]) is not None)
            v[f["turn_gap_log"]] = np.log1p(j - p - 1)
        if nx >= 0:
            nw = self.turn_words[nx]
            v[f["next_words_log"]] = np.log1p(len(nw))
            fw = [w for w in nw if w.isalpha() or "-" in w][:2]
            v[f["next_yes"]] = float(bool(fw) and fw[0] in YES)
            v[f["next_no"]] = float(bool(fw) and fw[0] in NO)
            v[f["next_q"]] = float("?" in self.texts[nx])
            v[f["next_backchannel"]] = float(all(w in T.BACKCHANNEL for w in nw))
            v[f["cos_next"]] = float(e @ self.ctx_emb[nx])
        if pc >= 0:
            v[f["overlap_prevc_frac"]] = len(lemmas & self.turn_lemmas[pc]) / max(1, len(lemmas))
            v[f["cos_prevc"]] = float(e @ self.ctx_emb[pc])
        return v

    # -- matrices --------------------------------------------------------------------------

    def turn_matrix(self, turns: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix, list[list[str]]]:
        """Turn-level features of clinician turns: [turn emb (last layer, then layers 2 and 4),
        previous patient turn, next patient turn, cues of the whole turn, of its first and its last sentence, context,
        then (SUBTYPE_COLS) the first and the last sentence's vectors] and the hashed n-gram bag; plus the cue
        phrases that fired (for "why")."""
        dense, hits = [], []
        for j in turns:
            ss = self.sents[j]
            whole = T.Sentence(text=self.texts[j], start=0, end=len(self.texts[j]), words=self.turn_words[j],
                               lemmas=list(self.turn_lemmas[j]))
            c, h = cues(whole, 0, len(ss))
            cf, hf = cues(ss[0], 0, len(ss))
            cl, hl = cues(ss[-1], len(ss) - 1, len(ss))
            dense.append(np.concatenate([c, cf, cl, self.context_vector(int(j), self.turn_emb[j], self.turn_lemmas[j])]))
            hits.append(list(dict.fromkeys(h + hf + hl)))
        first = np.array([self._first_sent[j] for j in turns], dtype=np.int64)
        last = np.array([self._first_sent[j] + len(self.sents[j]) - 1 for j in turns], dtype=np.int64)
        D = np.hstack([self.turn_emb[turns], self.turn_lower[turns], self._ctx_emb(self.prev_p[turns]),
                       self._ctx_emb(self.next_p[turns]), np.array(dense, np.float32).reshape(len(turns), -1),
                       self._sent_emb(first), self._sent_emb(last)])
        B = hashed_bag([self.turn_words[j] for j in turns], [T.first_content(self.turn_words[j]) for j in turns])
        return D, B, hits

    def sentence_matrix(self, rows: np.ndarray) -> tuple[np.ndarray, sparse.csr_matrix, list[list[str]]]:
        """Sentence-level features (which sentence of a turn carries a behaviour): [sentence emb,
        turn emb, previous patient turn, cues of the sentence, context of the sentence]."""
        turns = self.sent_turn[rows]
        dense, hits = [], []
        for i, j in zip(rows, turns):
            s = self.flat[i]
            c, h = cues(s, int(self.sent_k[i]), len(self.sents[j]))
            dense.append(np.concatenate([c, self.context_vector(int(j), self.emb[i], set(s.lemmas))]))
            hits.append(h)
        D = np.hstack([self.emb[rows], self.turn_emb[turns], self._ctx_emb(self.prev_p[turns]),
                       np.array(dense, np.float32).reshape(len(rows), -1)])
        B = hashed_bag([self.flat[i].words for i in rows], [T.first_content(self.flat[i].words) for i in rows])
        return D, B, hits


_CTX = {n: k for k, n in enumerate(CTX_NAMES)}
_CUE = {n: k for k, n in enumerate(CUE_NAMES)}
