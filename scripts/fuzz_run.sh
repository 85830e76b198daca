#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ for a bounded time each.
#
# Usage: scripts/fuzz_run.sh <target|all> <seconds> [parallel]
#   target    audio_from_bytes | dsp_transforms | features | manifest | model_dir | all
#   seconds   wall-clock budget per target (libFuzzer -max_total_time)
#   parallel  targets run at the same time with `all` (default 2)
#
# Stable Rust only: the instrumentation flags need RUSTC_BOOTSTRAP=1. No sanitizer (the
# workspace forbids unsafe code), debug assertions on (integer overflow is a finding).
# libFuzzer runs in fork mode and keeps going after a crash, OOM or timeout, so one
# finding does not end the campaign; findings land in fuzz/artifacts/<target>/, logs and
# the final statistics in fuzz/logs/<target>.log. The starting corpus is the seeds kept
# with each crate's regression tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1

target=${1:?target or all}
secs=${2:?seconds}
parallel=${3:-2}
all=(audio_from_bytes dsp_transforms features manifest model_dir)

seeds_of() {
  case $1 in
    audio_from_bytes | dsp_transforms) echo "$root/ser-dsp/tests/fixtures/regressions/$1" ;;
    features) echo "$root/ser-features/tests/fixtures/regressions/features" ;;
    manifest) echo "$root/ser-data/tests/fixtures/regressions/manifest" ;;
    model_dir) echo "$root/ser-models/tests/fixtures/regressions/model_dir" ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
}

max_len_of() {
  case $1 in
    audio_from_bytes | model_dir) echo 65536 ;;
    features | dsp_transforms) echo 40000 ;;
    manifest) echo 4096 ;;
  esac
}

cargo fuzz build -s none --debug-assertions >/dev/null

run_one() {
  local t=$1
  mkdir -p "corpus/$t" "artifacts/$t" logs
  cp -n "$(seeds_of "$t")"/* "corpus/$t/" 2>/dev/null || true
  echo "[$(date -u +%H:%M:%S)] $t: ${secs}s"
  cargo fuzz run -s none --debug-assertions "$t" "corpus/$t" -- \
    -max_total_time="$secs" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -rss_limit_mb=2048 -timeout=30 -max_len="$(max_len_of "$t")" \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"logs/$t.log" 2>&1 || true
  local execs
  execs=$(grep -o '#[0-9]*' "logs/$t.log" | tail -1 || true)
  echo "[$(date -u +%H:%M:%S)] $t done: last exec count ${execs:-?}," \
    "$(find "artifacts/$t" -type f | wc -l) artifact(s)"
}

if [ "$target" = all ]; then
  for t in "${all[@]}"; do
    run_one "$t" &
    while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do sleep 5; done
  done
  wait
else
  run_one "$target"
fi
