#!/usr/bin/env bash
# Set up, then analyse the bundled sample visit and print where the result is.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
mkdir -p out
.venv/bin/visit-analyzer analyze sample_audio/good_visit_stereo.ogg -o out/good_visit.analysis.json "$@"
echo "open out/good_visit.analysis.json (see README: Transcript JSON)"
