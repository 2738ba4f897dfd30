"""The transcript's own audio file, for the stage's audio checks (multichannel word edges,
mono double talk). A saved transcript may outlive its audio: then a status says why not."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def source_samples(t) -> tuple[np.ndarray | None, str]:
    """(16 kHz samples of ``source.file``, [channels, n] float32, or None; status)."""
    path = t.source.get("file")
    if not path or t.source.get("kind") != "audio":
        return None, "no audio"
    if not Path(path).is_file():
        return None, "audio file not available"
    try:
        from ..speech.audio import load_audio

        a = load_audio(path, check_silence=False)
    except Exception as e:  # noqa: BLE001 - the stage still gives everything else
        return None, f"failed: {type(e).__name__}: {e}"
    x = a.samples if a.samples.ndim == 2 else a.samples[None, :]
    return np.asarray(x, np.float32), "used"
