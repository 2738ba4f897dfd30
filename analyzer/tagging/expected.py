"""sha256 of the shipped heads in models/tagging, written by ``python -m analyzer.tagging.train``.

Loading checks every file against these; an altered or truncated file stops the tagger."""
HEADS_SHA256 = {
    'heads.json': '25856e559bd0576fb8d4273185b88113148d6df9109d23782fa8aecee08a3bc2',
    'heads.npz': 'b8cbd626a8030bf278c57694b6d2f5f48a13fe4a8488b6f0b53169c31fb4cf22',
}
