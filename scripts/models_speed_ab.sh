#!/usr/bin/env bash
# Candle training / inference speed of two revisions of the workspace, measured in one run:
# builds `models-speed` at BASE (a git revision) in a temporary worktree and at the working
# tree, then runs them alternately on 1 and 2 threads and writes a markdown table.
#
#   scripts/models_speed_ab.sh BASE [OUT.md] [extra models-speed args]
#   scripts/models_speed_ab.sh 882d192 results/models_speed_ab.md
#
# Needs only cargo and python3 (standard library). PyTorch comparisons are
# scripts/models_vs_pytorch.py.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: $0 BASE_REV [OUT.md] [models-speed args]}
out=${2:-/dev/stdout}
shift $(( $# >= 2 ? 2 : 1 ))
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add -f "$tmp/base" "$base" -q
# Its own target directory: cargo's artifact names of path crates do not depend on their
# directory, so sharing one would let either build pass for the other.
(cd "$tmp/base" && CARGO_TARGET_DIR="$tmp/target" \
    cargo build --release -q -p ser-examples --bin models-speed)
cp "$tmp/target/release/models-speed" "$tmp/models-speed-base"
cargo build --release -q -p ser-examples --bin models-speed
cp target/release/models-speed "$tmp/models-speed-head"
head_rev=$(git rev-parse --short HEAD)$(git diff --quiet || echo "+dirty")
for th in 1 2; do
  for v in base head; do
    echo "running $v on $th thread(s)" >&2
    RAYON_NUM_THREADS=$th "$tmp/models-speed-$v" --e2e-runs 0 --json "$tmp/$v-$th.json" "$@" >/dev/null
  done
done
python3 - "$tmp" "$base" "$head_rev" "$out" "$@" > "$out" <<'PY'
import json, sys
tmp, base, head, out = sys.argv[1:5]
rows = [("train s / epoch", "train_s_per_epoch_median", 2), ("batch backward ms", "batch_bwd_ms_median", 1),
        ("batch forward ms", "batch_fwd_ms_median", 1), ("infer ms / 3 s clip", "infer_ms_median", 2)]
print(f"# Candle speed: {base} (before) vs {head} (after)\n")
print("Command: `scripts/models_speed_ab.sh " + " ".join([base, out] + sys.argv[5:]) + "`; both binaries run "
      "alternately on the same machine in one run (`models-speed`: the Table II recipes, 428 synthetic "
      "3 s examples per epoch, batch 32; medians). Ratio = before / after (> 1: faster now).\n")
for th in (1, 2):
    b = {r["arch"]: r for r in json.load(open(f"{tmp}/base-{th}.json"))}
    h = {r["arch"]: r for r in json.load(open(f"{tmp}/head-{th}.json"))}
    print(f"## {th} thread{'s' if th > 1 else ''}\n")
    print("| architecture | " + " | ".join(f"{n}: before | after | ratio" for n, _, _ in rows) + " |")
    print("|---|" + "---|---|---|" * len(rows))
    for arch in h:
        cells = []
        for _, k, d in rows:
            x, y = b[arch][k], h[arch][k]
            cells += [f"{x:.{d}f}", f"{y:.{d}f}", f"{x / y:.2f}×"]
        print(f"| {arch} | " + " | ".join(cells) + " |")
    print()
PY
echo "wrote $out" >&2
