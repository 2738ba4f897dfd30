"""The tagger's text encoder: length-bucketed batches, and the truncated MiniLM (first 4 layers)
giving the same token states as the full model's layers 2 and 4, whatever the batching."""
from __future__ import annotations

import numpy as np
import pytest

from analyzer.tagging import encoder as E

TEXTS = ["Okay.", "So you've been waking up at night with it, and that worries you?",
         "I'm scared of what this means, honestly, with my dad having had a stroke at fifty.", "Mm-hmm.",
         "Any chest pain?", "", "Right " * 300]  # an empty text and one longer than a window


def test_token_batches_cover_every_index_once_within_budget():
    lengths = [3, 120, 5, 60, 512, 7, 7, 30, 1, 250]
    batches = E.token_batches(lengths, max_items=4)
    flat = [k for b in batches for k in b]
    assert sorted(flat) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= 4
        assert [lengths[k] for k in b] == sorted(lengths[k] for k in b)
        # a batch is within the budget unless it is a single over-long item
        assert len(b) * max(lengths[k] for k in b) <= E.TOKEN_BUDGET or len(b) == 1


@pytest.fixture(scope="module")
def encoders():
    full = E.Encoder(threads=1)
    short = E.Encoder(threads=1, depth=E.DEPTH)
    full.bf16 = short.bf16 = False  # exact comparison
    return full, short


def test_truncated_encoder_equals_full_model_layers(encoders):
    full, short = encoders
    assert len(short.model.encoder.layer) == E.DEPTH == 4 and len(full.model.encoder.layer) == 6
    a = full.encode_tokens(TEXTS, layers=E.LAYERS)
    b = short.encode_tokens(TEXTS, layers=E.LAYERS)
    for (sa, oa), (sb, ob), t in zip(a, b, TEXTS):
        assert np.array_equal(oa, ob)
        assert sa.shape == sb.shape == (len(oa), E.DIM * len(E.LAYERS))
        np.testing.assert_allclose(sa, sb, atol=1e-4)
        if t.strip():
            assert len(oa) and oa[:, 1].max() <= len(t)


def test_batching_does_not_change_states(encoders):
    _, short = encoders
    one_by_one = [short.encode_tokens([t], layers=E.LAYERS)[0][0] for t in TEXTS]
    together = [s for s, _ in short.encode_tokens(TEXTS, batch_size=64, layers=E.LAYERS)]
    for x, y in zip(one_by_one, together):
        np.testing.assert_allclose(x, y, atol=1e-4)
