"""Where the store lives by default (cheap to import: the CLI shows it in --help)."""
from __future__ import annotations

import os
from pathlib import Path

ENV_DATA = "VISIT_ANALYZER_DATA"
ENV_DB_URL = "VISIT_ANALYZER_DB_URL"


def default_data_dir() -> Path:
    """$VISIT_ANALYZER_DATA, else $XDG_DATA_HOME/visit-analyzer (~/.local/share/visit-analyzer)."""
    if os.environ.get(ENV_DATA):
        return Path(os.environ[ENV_DATA]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "visit-analyzer"
