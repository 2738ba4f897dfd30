"""Coders left out of the subtype heads' training (analyzer/tagging/coders.py)."""
from __future__ import annotations

import numpy as np

from analyzer.tagging.coders import mask_outlier_coders, outlier_coders


def test_a_coder_far_from_the_others_is_found():
    rng = np.random.default_rng(0)
    coder = np.repeat(np.array(list("abcdefg")), 100)
    share = {"a": 0.45, "b": 0.5, "c": 0.55, "d": 0.6, "e": 0.5, "f": 0.48, "g": 0.97}
    y = np.array([0 if rng.random() < share[c] else 1 for c in coder])
    y[::7] = -1  # rows without a subtype are not counted
    assert outlier_coders(y, coder, share_of=0) == {"g"}
    assert outlier_coders(y, coder, share_of=0, z_max=100) == set()


def test_majority_coded_rows_and_small_coders_are_never_left_out():
    coder = np.array([""] * 50 + ["a"] * 50 + ["b"] * 50 + ["c"] * 50 + ["d"] * 5)
    y = np.array([0] * 50 + [0, 1] * 25 + [1, 0] * 25 + [0, 0, 1, 1, 0] * 10 + [0] * 5)
    assert outlier_coders(y, coder, share_of=0) == set()


def test_masking_sets_only_that_task_of_those_coders_to_not_applicable():
    coder = np.array(["a", "b", "a", ""])
    y = {"qt": np.array([0, 1, 1, 0]), "q": np.array([1, 1, 1, 1])}
    out = mask_outlier_coders(y, coder, {"qt": {"a"}})
    assert out["qt"].tolist() == [-1, 1, -1, 0] and out["q"].tolist() == [1, 1, 1, 1]
    assert y["qt"].tolist() == [0, 1, 1, 0]  # the input is not changed


def test_annomi_one_coder_calls_nearly_every_question_open():
    # the finding the training relies on, on the real data (see coders.py)
    from analyzer.tagging.data import load_annomi
    from conftest import data

    ds = load_annomi(data("annomi", "annomi_dev.csv"))  # the file the shipped heads were trained on
    rows = [(d.coder or "", {"open": 0, "closed": 1}.get(c.question_type, -1) if c.question else -1)
            for d in ds for c in d.gold.values()]
    coder, y = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    assert outlier_coders(y, coder, share_of=0) == {"3"}
    assert np.mean(y[(coder == "3") & (y >= 0)] == 0) > 0.95
