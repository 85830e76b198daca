#!/usr/bin/env bash
# End-to-end browser test of the `serve` example (NOT run by CI: needs Chromium and npm).
#
#   apt-get install -y chromium          # Debian's Chromium at /usr/bin/chromium
#   scripts/serve_e2e.sh [MODEL_DIR] [WAV]
#
# Builds and starts `serve` on 127.0.0.1:18080 with MODEL_DIR (default models/default),
# installs playwright-core into target/serve-e2e (npm), uploads WAV (default
# assets/speech.wav) through the page in headless Chromium, checks the label and the bar
# chart, runs the live (WebSocket) mode with a fake microphone playing the WAV, writes
# results/serve_screenshot.png (+ _live.png), then stops the server with SIGTERM and checks
# that it shut down gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/default}
WAV=${2:-assets/speech.wav}
PORT=${PORT:-18080}
PW_DIR=target/serve-e2e

[ -x /usr/bin/chromium ] || { echo "needs /usr/bin/chromium (apt-get install -y chromium)"; exit 2; }
if [ ! -d "$PW_DIR/node_modules/playwright-core" ]; then
  mkdir -p "$PW_DIR"
  (cd "$PW_DIR" && npm install --no-audit --no-fund playwright-core@1 >/dev/null)
fi
# SKIP_BUILD=1 reuses an existing target/release/serve.
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release -p ser-examples --bin serve
mkdir -p results
target/release/serve --model "$MODEL" --addr "127.0.0.1:$PORT" > "$PW_DIR/serve.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.1
done
BASE_URL="http://127.0.0.1:$PORT" WAV="$WAV" SCREENSHOT=results/serve_screenshot.png \
  PW_DIR="$PW_DIR" node scripts/serve_e2e.mjs
kill -TERM "$PID"
wait "$PID" && echo "server shut down gracefully (exit 0)"
trap - EXIT
cat "$PW_DIR/serve.log"
