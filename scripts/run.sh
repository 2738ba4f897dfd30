#!/usr/bin/env bash
# Set up, make sure the bundled sample visits are analysed and cached (about a minute the first
# time, instant afterwards), then start the app with a sample visit open.
#   scripts/run.sh                 local single-user mode (no sign-in)
#   scripts/run.sh --accounts      sign-in mode: clinician and coach accounts
#   PORT=8600 scripts/run.sh       another port; any other argument goes to `streamlit run`
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/python -m analyzer.webapp.samples
APP_ARGS=(); ST_ARGS=()
for a in "$@"; do
  case "$a" in
    --accounts|--local) APP_ARGS+=("$a") ;;
    *) ST_ARGS+=("$a") ;;
  esac
done
PORT="${PORT:-$(.venv/bin/python - <<'PY'
import socket
for port in range(8501, 8600):  # the first free port from Streamlit's default
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
)}"
echo "visit-analyzer: open http://localhost:$PORT/?sample=good_visit   (Ctrl-C stops the app)"
exec .venv/bin/streamlit run app.py --server.headless true --server.port "$PORT" \
  --browser.gatherUsageStats false ${ST_ARGS[@]+"${ST_ARGS[@]}"} -- ${APP_ARGS[@]+"${APP_ARGS[@]}"}
