"""A fine-tuned "context top": MiniLM's last two layers, re-trained to read a clinician turn
together with the patient turns around it. An experiment, not used by the tagger:

    python benchmarks/tagging_context_top.py --cv 5          # grouped CV: stack, top, their average

measures it against the shipped stack on the same grouped folds (~6-17 min of CPU per fold on
this 2-core machine, one torch thread). See analyzer/assets/tagging/cards/main_behaviour.md for figures.

The frozen encoder runs once per utterance (its layer-4 token states are kept); for each
clinician turn the top concatenates [clinician tokens; previous patient turn's last tokens;
next patient turn's first tokens], adds a learned segment vector to each part, and runs the two
fine-tuned layers over the whole sequence, so the clinician's words can attend to what the
patient said. Its mean-pooled clinician tokens feed small heads for the AnnoMI tasks; their
probabilities are averaged with the stacked heads' (``tagger``).

Were it shipped, only these two layers, segment vectors and heads would (float16, ~7 MB);
they are initialised from all-MiniLM-L6-v2's layers 5 and 6.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DIM, HEADS = 384, 12
CLIN_MAX, PREV_MAX, NEXT_MAX = 96, 64, 32  # word pieces of each part
TASKS = {"main": 4, "q": 2, "r": 2, "qt": 2, "rt": 2}
EPOCHS, LR, BATCH, SEED = 5, 1e-4, 16, 0


def _torch():
    import torch

    return torch


def build_model():
    torch = _torch()
    nn, F = torch.nn, torch.nn.functional

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(DIM, DIM) for _ in range(4))
            self.ln1, self.ln2 = nn.LayerNorm(DIM, eps=1e-12), nn.LayerNorm(DIM, eps=1e-12)
            self.ff1, self.ff2 = nn.Linear(DIM, 4 * DIM), nn.Linear(4 * DIM, DIM)
            self.drop = nn.Dropout(0.1)

        def forward(self, x, mask):
            B, T, D = x.shape
            sh = lambda t: t.view(B, T, HEADS, D // HEADS).transpose(1, 2)  # noqa: E731
            att = F.scaled_dot_product_attention(sh(self.q(x)), sh(self.k(x)), sh(self.v(x)), attn_mask=mask[:, None, None, :],
                                                 dropout_p=0.1 if self.training else 0.0)
            x = self.ln1(x + self.drop(self.o(att.transpose(1, 2).reshape(B, T, D))))
            return self.ln2(x + self.drop(self.ff2(F.gelu(self.ff1(x)))))

    class Top(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([Layer(), Layer()])
            self.seg = nn.Parameter(torch.zeros(3, DIM))
            self.heads = nn.ModuleDict({t: nn.Linear(DIM, n) for t, n in TASKS.items()})
            self.drop = nn.Dropout(0.1)

        def forward(self, x, mask, seg):
            x = x + self.seg[seg]
            for layer in self.layers:
                x = layer(x, mask)
            cm = ((seg == 0) & mask).unsqueeze(-1).to(x.dtype)
            pooled = (x * cm).sum(1) / cm.sum(1).clamp(min=1)
            return {t: h(self.drop(pooled)) for t, h in self.heads.items()}

    return Top()


def init_from_minilm(model) -> None:
    """Copy all-MiniLM-L6-v2's layers 5 and 6 (verified weights) into the top."""
    from safetensors.numpy import load_file

    from analyzer.tagging.assets import encoder_dir

    torch = _torch()
    w = load_file(str(encoder_dir() / "model.safetensors"))
    pre = next(k for k in w if k.endswith("encoder.layer.0.attention.self.query.weight")).split("encoder.layer.0.")[0]
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "o": "attention.output.dense", "ln1": "attention.output.LayerNorm", "ff1": "intermediate.dense",
             "ff2": "output.dense", "ln2": "output.LayerNorm"}
    with torch.no_grad():
        for li, src in ((0, 4), (1, 5)):
            layer = model.layers[li]
            for mine, theirs in names.items():
                mod = getattr(layer, mine)
                mod.weight.copy_(torch.from_numpy(w[f"{pre}encoder.layer.{src}.{theirs}.weight"]))
                mod.bias.copy_(torch.from_numpy(w[f"{pre}encoder.layer.{src}.{theirs}.bias"]))


def sequences(l4: list[np.ndarray], sides: list[str], turns) -> list[tuple[np.ndarray, np.ndarray]]:
    """(states, segment ids) for each clinician turn: itself, the previous and the next patient turn."""
    n = len(sides)
    prev_p, next_p, last = np.full(n, -1), np.full(n, -1), -1
    for j in range(n):
        prev_p[j] = last
        if sides[j] == "patient":
            last = j
    last = -1
    for j in range(n - 1, -1, -1):
        next_p[j] = last
        if sides[j] == "patient":
            last = j
    out = []
    for j in turns:
        parts = [l4[j][:CLIN_MAX]]
        parts.append(l4[prev_p[j]][-PREV_MAX:] if prev_p[j] >= 0 else np.zeros((0, DIM), np.float32))
        parts.append(l4[next_p[j]][:NEXT_MAX] if next_p[j] >= 0 else np.zeros((0, DIM), np.float32))
        seg = np.concatenate([np.full(len(p), k, np.int64) for k, p in enumerate(parts)])
        out.append((np.concatenate(parts).astype(np.float32), seg))
    return out


def _batch(seqs):
    torch = _torch()
    T = max(1, max(len(s) for s, _ in seqs))
    X = np.zeros((len(seqs), T, DIM), np.float32)
    M = np.zeros((len(seqs), T), bool)
    S = np.zeros((len(seqs), T), np.int64)
    for r, (s, g) in enumerate(seqs):
        X[r, :len(s)], M[r, :len(s)], S[r, :len(s)] = s, True, g
        if not len(s):
            M[r, 0] = True  # an empty turn: attend to one zero vector
    return torch.from_numpy(X), torch.from_numpy(M), torch.from_numpy(S)


def train(seqs, labels: dict[str, np.ndarray], log=None):
    """Fine-tune a top on (sequence, labels); labels -1 = not applicable. Deterministic (seeded)."""
    torch = _torch()
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    model = build_model()
    init_from_minilm(model)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    idx = np.arange(len(seqs))
    W = {}
    for t, n in TASKS.items():
        y = labels[t][labels[t] >= 0]
        W[t] = torch.tensor(len(y) / (n * np.maximum(np.bincount(y, minlength=n), 1)), dtype=torch.float32)
    Y = {t: torch.from_numpy(labels[t].astype(np.int64)) for t in TASKS}
    steps = EPOCHS * (len(idx) // BATCH + 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps, pct_start=0.1)
    for ep in range(EPOCHS):
        model.train()
        perm = rng.permutation(idx)
        for c in range(0, len(perm), BATCH * 20):  # length-sorted batches within shuffled chunks
            chunk = sorted(perm[c:c + BATCH * 20], key=lambda i: len(seqs[i][0]))
            blocks = [chunk[b:b + BATCH] for b in range(0, len(chunk), BATCH)]
            rng.shuffle(blocks)
            for b in blocks:
                out = model(*_batch([seqs[i] for i in b]))
                loss = 0
                for t in TASKS:
                    y = Y[t][b]
                    m = y >= 0
                    if m.any():
                        loss = loss + torch.nn.functional.cross_entropy(out[t][m], y[m], weight=W[t])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        if log:
            log(f"    context top epoch {ep + 1}/{EPOCHS}")
    return model.eval()


def predict(model, seqs, batch_size: int = 64) -> dict[str, np.ndarray]:
    torch = _torch()
    out = {t: np.zeros((len(seqs), n), np.float32) for t, n in TASKS.items()}
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i][0]))
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            idx = order[b:b + batch_size]
            res = model(*_batch([seqs[i] for i in idx]))
            for t in TASKS:
                out[t][idx] = torch.softmax(res[t].float(), 1).numpy()
    return out


def save(model, path) -> None:
    np.savez_compressed(path, **{k: v.detach().numpy().astype(np.float16) for k, v in model.state_dict().items()})


def load(path):
    torch = _torch()
    model = build_model()
    with np.load(path, allow_pickle=False) as z:
        model.load_state_dict({k: torch.from_numpy(z[k].astype(np.float32)) for k in z.files})
    return model.eval()


def cross_validate(k: int, weight: float, only: int | None = None, log=print) -> None:
    """Out-of-fold probabilities of the stack and of the top on the same grouped folds (by
    transcript); prints both and their average with the top weighted ``weight``."""
    from sklearn.metrics import f1_score

    from analyzer.tagging import train as TR
    from analyzer.tagging.data import load_annomi
    from analyzer.tagging.encoder import DIM as D, LAYERS, TokenCache

    ds = load_annomi()
    feats = TR.dialogue_features(ds)
    turns, P = TR.cross_validate(ds, feats, k, log=log)
    cache = TokenCache(TR.CACHE / f"tokens_l{''.join(map(str, LAYERS))}.npz", layers=LAYERS)
    seqs = []
    for d, F in zip(ds, feats):
        l4 = [st[:, LAYERS.index(4) * D:(LAYERS.index(4) + 1) * D] for st, _ in cache.get(d.texts)]
        seqs += sequences(l4, F.side, turns.turn[turns.groups == d.id])
    top = {t: np.zeros((len(seqs), n)) for t, n in TASKS.items()}
    done: list[int] = []
    for f, (tr, te) in enumerate(TR._group_folds(turns.groups, k)):
        if only is not None and f >= only:
            break
        model = train([seqs[i] for i in tr], {t: turns.y[t][tr] for t in TASKS}, log=log)
        for t, p in predict(model, [seqs[i] for i in te]).items():
            top[t][te] = p
        done += list(te)
        idx = np.array(sorted(done))
        log(f"after fold {f + 1}: {len(idx)} turns")
        for name, Q in (("stack", P), ("top", top),
                        (f"average (top {weight})", {t: (1 - weight) * P[t] + weight * top[t] for t in TASKS})):
            y = {t: turns.y[t][idx] for t in TASKS}
            q = {t: Q[t][idx] for t in TASKS}
            mq, mr = (y["q"] == 1) & (y["qt"] >= 0), (y["r"] == 1) & (y["rt"] >= 0)
            log(f"  {name:20} is-question {f1_score(y['q'], q['q'].argmax(1)):.3f}  open/closed "
                f"{f1_score(y['qt'][mq], q['qt'][mq].argmax(1), average='macro'):.3f}  is-reflection (p>=0.6) "
                f"{f1_score(y['r'], (q['r'][:, 1] >= 0.6).astype(int)):.3f}  simple/complex "
                f"{f1_score(y['rt'][mr], q['rt'][mr].argmax(1), average='macro'):.3f}  4-way "
                f"{f1_score(y['main'], q['main'].argmax(1), average='macro'):.3f}")


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="grouped CV of the experimental context top against the stack")
    ap.add_argument("--cv", type=int, default=5, help="grouped folds")
    ap.add_argument("--only", type=int, default=None, help="train the top on the first N folds only")
    ap.add_argument("--weight", type=float, default=0.3, help="weight of the top in the average (fixed, not tuned)")
    args = ap.parse_args(argv)
    _torch().set_num_threads(1)
    cross_validate(args.cv, args.weight, args.only)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
