#!/usr/bin/env bash
# Loopback load test of `serve` (NOT run by CI): wrk POSTs a WAV to /api/predict on
# 127.0.0.1 for a bounded time and reports throughput, p50/p90/p99 latency and status
# classes (expect zero 5xx).
#
#   apt-get install -y wrk
#   scripts/serve_load.sh [MODEL_DIR] [WAV] [DURATION_S] [CONNECTIONS]
#
# Defaults: models/default, assets/speech.wav (4.35 s), 20 s, 4 connections, 2 wrk threads.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-models/default}
WAV=${2:-assets/speech.wav}
DUR=${3:-20}
CONN=${4:-4}
PORT=${PORT:-18081}

command -v wrk >/dev/null || { echo "needs wrk (apt-get install -y wrk)"; exit 2; }
# SKIP_BUILD=1 reuses an existing target/release/serve.
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release -p ser-examples --bin serve
mkdir -p target/serve-load
target/release/serve --model "$MODEL" --addr "127.0.0.1:$PORT" > target/serve-load/serve.log 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "model $MODEL, $(nproc) cores, upload $WAV ($(stat -c %s "$WAV") bytes), ${DUR}s, $CONN connections"
# Warm-up request, then the timed run.
curl -fsS -H 'Content-Type: audio/wav' --data-binary "@$WAV" "http://127.0.0.1:$PORT/api/predict" >/dev/null
WAV="$WAV" wrk -t2 -c"$CONN" -d"${DUR}s" --timeout 30s -s scripts/serve_load.lua "http://127.0.0.1:$PORT"
kill -TERM "$PID"
wait "$PID" || true
trap - EXIT
