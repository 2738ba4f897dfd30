"""sha256 of the shipped heads in analyzer/assets/tagging, written by ``python -m analyzer.tagging.train``.

Loading checks every file against these; an altered or truncated file stops the tagger."""
HEADS_SHA256 = {
    'heads.json': '956ffcc6a928c7f6d4d4e63886dabf53ffa0a1a395e9c21915f5c90d101d11ac',
    'heads.npz': '9cb1f610077ad81e5e566e618a3869705ac18dabfa914336429af56db08ce1d8',
}
