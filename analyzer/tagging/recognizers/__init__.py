"""One module per behaviour. Every module here is imported, and its ``@register``ed
recognizers join the tagger: adding a behaviour is adding a file."""
from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{m.name}")
