#!/usr/bin/env bash
# Set up (with test extras), then run the whole test suite with the real speech models.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
exec .venv/bin/python -m pytest "$@"
