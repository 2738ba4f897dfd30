"""sha256 of the shipped heads in models/tagging, written by ``python -m analyzer.tagging.train``.

Loading checks every file against these; an altered or truncated file stops the tagger."""
HEADS_SHA256 = {
    'heads.json': 'f5501f4bce11323957e682b78a2ee43933d401ca2fa29b3744c7ddd949e7be8b',
    'heads.npz': '37c1b3a0641ceef042a80fa0198a45727e6c230a7d86d578b9f9f806df99ce97',
}
