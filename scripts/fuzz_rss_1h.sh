#!/usr/bin/env bash
# Peak memory of one hour of synthetic audio pushed in 100 ms chunks through the streaming
# paths: the ser-features StreamingExtractor (MFCC + deltas + RMS) and the ser-models
# StreamingRecognizer (2 s windows, 0.5 s hop, log-mel CNN). The audio is generated chunk by
# chunk, so a flat peak RSS means the streaming state stays bounded. Release build;
# prints wall time and "Maximum resident set size" from /usr/bin/time -v.
set -euo pipefail
cd "$(dirname "$0")/.."
run() {
  local pkg=$1 test=$2 name=$3
  local bin
  bin=$(cargo test --release -p "$pkg" --test "$test" --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*"' | tail -1 | cut -d'"' -f4)
  echo "== $pkg / $name"
  /usr/bin/time -v "$bin" --ignored --exact "$name" --nocapture 2>&1 |
    grep -E "streamed|Maximum resident|Elapsed \(wall|test result"
}
run ser-features regressions_features streaming_extractor_one_hour
run ser-models regressions_edge_cases streaming_one_hour_in_chunks
