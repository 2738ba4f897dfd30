"""The UI and the reports use no emoji: a machine without a colour-emoji font (Debian's chromium
headless, many clinic PCs, the PDF's DejaVu Sans) draws them as empty boxes. Icons come from
Streamlit's bundled Material Symbols (":material/name:"), which always render."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "analyzer" / "webapp").rglob("*.py")),
           *sorted((ROOT / "analyzer" / "report").rglob("*.py"))]
# Pictographs, dingbats and symbols with emoji presentation, and the emoji variation selector.
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D]")
# Streamlit turns ":shortcode:" into an emoji; ":material/x:" (an icon) and ":red[...]" are fine.
SHORTCODE = re.compile(r"(?<![\w/\-]):(?!material/)[a-z][a-z0-9_+]*:(?![\w\[/])")


def test_no_emoji_in_the_ui_or_the_reports():
    found = []
    for path in SOURCES:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if EMOJI.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
            for m in SHORTCODE.finditer(line):
                if '"' in line or "'" in line:  # only inside string literals
                    found.append(f"{path.relative_to(ROOT)}:{n}: {m.group(0)}")
    assert not found, "emoji render as empty boxes without an emoji font:\n" + "\n".join(found)


def test_the_check_would_catch_one():
    assert EMOJI.search("Great job \U0001F44D") and EMOJI.search("\u2705 done")
    assert SHORTCODE.search('st.markdown("well done :thumbsup:")')
    assert not SHORTCODE.search('":material/thumb_up: :green-badge[good] :orange[x]"')
    assert not EMOJI.search("\u25b6 Go to this moment \u00b7 0:41 \u2013 \u2026")  # text symbols we use
