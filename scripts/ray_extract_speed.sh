#!/usr/bin/env bash
# Throughput of python/examples/ray_extract.py (eGeMAPSv02 over EmoDB + RAVDESS) with 1 and 2
# Ray workers, each run checked against the single-process output, and the single-process
# ser.Smile.process_files times for reference. Writes results/python/ray.md.
#
#   scripts/ray_extract_speed.sh [PYTHON]     # PYTHON: a venv's python with ser + ray[data]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-python}
D=$(cd "${SER_DATASETS:-../shared/datasets}" && pwd)
OUT=results/python/ray.md
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
{
    echo "# Ray Data extraction: eGeMAPSv02 over EmoDB + RAVDESS"
    echo
    echo "\`scripts/ray_extract_speed.sh\` on $(nproc) cores, $(date -u +%Y-%m-%d); ray $($PY -c 'import ray; print(ray.__version__)')."
    echo
    echo '```'
    for w in 1 2; do
        $PY python/examples/ray_extract.py "$D/emodb" "$D/ravdess" --out "$TMP/w$w.parquet" \
            --workers "$w" --check 2>"$TMP/log$w" | grep -E "files \(|check:|failed:"
    done
    $PY - "$D" <<'PYEOF'
import glob, sys, time
import ser
d = sys.argv[1]
files = sorted(glob.glob(d + "/emodb/wav/*.wav")) + sorted(glob.glob(d + "/ravdess/**/*.flac", recursive=True))
for w in (1, 2):
    t = time.perf_counter()
    ser.Smile("eGeMAPSv02", num_workers=w).process_files(files)
    t = time.perf_counter() - t
    print(f"single process, ser.Smile.process_files, {w} thread(s): {len(files)} files in {t:.1f} s = {len(files) / t:.1f} files/s")
PYEOF
    echo '```'
} | tee "$OUT"
