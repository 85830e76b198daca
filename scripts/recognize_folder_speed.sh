#!/usr/bin/env bash
# Folder recognition throughput: `recognize DIR... --output` (one model load, all cores)
# against calling `recognize FILE` once per file, on the same corpora in one run.
#
#   scripts/recognize_folder_speed.sh [N_SINGLE] [MODEL_DIR]
#   scripts/recognize_folder_speed.sh 40 models/default
#
# The batch run labels every file of EmoDB and RAVDESS (../shared/datasets); the per-file
# baseline runs on the first N_SINGLE files of that list (default 40) and is reported as
# files/s. Prints a markdown table. Needs cargo and the corpora.
set -euo pipefail
cd "$(dirname "$0")/.."
n_single=${1:-40}
model=${2:-models/default}
data=${SER_DATASETS:-../shared/datasets}
cargo build --release -q -p ser-examples --bin recognize
bin=target/release/recognize
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
find "$data/emodb/wav" "$data/ravdess" -type f \( -name '*.wav' -o -name '*.flac' \) | sort > "$tmp/files"
n_all=$(wc -l < "$tmp/files")
t0=$(date +%s.%N)
"$bin" --model "$model" "$data/emodb/wav" "$data/ravdess" --output "$tmp/preds.csv" > "$tmp/summary.txt"
t1=$(date +%s.%N)
head -n "$n_single" "$tmp/files" > "$tmp/single"
t2=$(date +%s.%N)
while read -r f; do "$bin" --model "$model" "$f" > /dev/null; done < "$tmp/single"
t3=$(date +%s.%N)
rows=$(($(wc -l < "$tmp/preds.csv") - 1))
python3 - "$t0" "$t1" "$t2" "$t3" "$n_all" "$n_single" "$rows" "$(nproc)" "$model" <<'EOF'
import sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
n_all, n_single, rows, cores = map(int, sys.argv[5:9])
model = sys.argv[9]
batch = n_all / (t1 - t0)
single = n_single / (t3 - t2)
print(f"| mode | files | seconds | files/s |\n|---|---|---|---|")
print(f"| `recognize DIR --output` (one load, {cores} cores) | {n_all} ({rows} rows) | {t1 - t0:.1f} | {batch:.1f} |")
print(f"| `recognize FILE` per file | {n_single} | {t3 - t2:.1f} | {single:.2f} |")
print(f"\nmodel {model}: batch mode is {batch / single:.1f}x the per-file throughput")
EOF
cat "$tmp/summary.txt" | head -12
