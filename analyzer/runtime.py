"""Thread budget for a small CPU.

torch, OpenBLAS/OpenMP and CTranslate2 each default to every core; stacked on 2 cores they
have been seen to run 70x slower. The stages run one after another, so each gets the cores
in turn: CTranslate2 gets `asr_threads()`, torch/BLAS get `torch_threads()`.
Override with VISIT_ANALYZER_THREADS (total cores to use).
"""
from __future__ import annotations

import os


def total_threads() -> int:
    v = os.environ.get("VISIT_ANALYZER_THREADS")
    if v and v.isdigit() and int(v) > 0:
        return int(v)
    return max(1, min(os.cpu_count() or 1, 8))


def asr_threads() -> int:
    return total_threads()


def torch_threads() -> int:
    return total_threads()


def limit_native_threads() -> None:
    """Set env limits for BLAS/OpenMP pools before numpy/torch spin up their pools."""
    n = str(total_threads())
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, n)


def configure_torch() -> None:
    import torch

    if torch.get_num_threads() != torch_threads():
        torch.set_num_threads(torch_threads())
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set once in this process
