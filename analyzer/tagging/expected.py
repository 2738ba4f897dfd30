"""sha256 of the shipped heads in models/tagging, written by ``python -m analyzer.tagging.train``.

Loading checks every file against these; an altered or truncated file stops the tagger."""
HEADS_SHA256 = {
    'heads.json': '1047cda757e1ac76db703b7123c3b42a6d7032726ee7a2c9b61292d35ed68bc7',
    'heads.npz': 'a42d12a394f2350938d751faa7065a1af3f7631320f01bdcc7fbb2a2c0784824',
}
