"""Files the analysis reads at run time, shipped inside the package.

    tagging/   the behaviour tagger's trained heads (hash-checked by ``analyzer.tagging.assets``)
    overlap/   the overlapped-speech detector's weights (``analyzer.overlap.model``)
    samples/   the two synthetic sample visits the app offers (stereo and mono mixes, with the
               reference transcripts they were voiced from; made by sample_audio/make_samples.py)

They are found through ``importlib.resources``, so a source checkout, an editable install and an
installed wheel all load the same files; nothing here looks at the repository around the package.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import ModelError


def path(*parts: str) -> Path:
    """A shipped asset as a file-system path (numpy, hashing and the audio decoder need one).

    pip always installs a package as plain files, so ``files()`` is a real directory; a zipped
    install, which could only hand out temporary copies, is refused rather than half-supported.
    """
    root = resources.files(__name__)
    if not isinstance(root, Path):
        raise ModelError(f"visit-analyzer must be installed as files, not zipped ({root}): reinstall it with pip")
    return root.joinpath(*parts)
