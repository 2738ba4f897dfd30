"""sha256 of the shipped heads in models/tagging, written by ``python -m analyzer.tagging.train``.

Loading checks every file against these; an altered or truncated file stops the tagger."""
HEADS_SHA256 = {
    'heads.json': 'f5501f4bce11323957e682b78a2ee43933d401ca2fa29b3744c7ddd949e7be8b',
    'heads.npz': '96561c5c9bc2b6a06f83bcba12a056115b88470e70b29e406370e54b62b6a54f',
}
