#!/usr/bin/env python3
"""Golden fixtures for ser-whisper's tokenizer, made with Hugging Face `tokenizers`.

For each shipped tokenizer.json (models/whisper-base: multilingual, models/whisper-tiny.en:
English-only) writes ser-whisper/tests/fixtures/tokenizer_<model>.json with
  special: {token: id} for the Whisper special tokens the decoder uses (and timestamp_begin),
  encode:  [[text, ids]] (`Tokenizer.encode(text, add_special_tokens=False).ids`),
  decode:  [[ids, text]] (`Tokenizer.decode(ids, skip_special_tokens=False)`).

Usage: /work/venv/bin/python scripts/whisper_tokenizer_reference.py
"""
import json
import os

from tokenizers import Tokenizer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "ser-whisper/tests/fixtures")

TEXTS = [
    " Kids are talking by the door.",
    " Dogs are sitting by the door.",
    "Hello world",
    " Der Lappen liegt auf dem Eisschrank.",
    " Das will sie am Mittwoch abgeben. Ärger über Öl, Größe, Straße!",
    " I ❤️ Rust 🦀 and naïve café façades — “quotes” … 日本語のテキスト",
    "  multiple   spaces\tand\nnewlines  ",
    " It's 3:45pm; we'll've done 12,345.67 things, isn't it?",
    "",
]

SPECIAL = [
    "<|endoftext|>", "<|startoftranscript|>", "<|en|>", "<|de|>", "<|fr|>", "<|zh|>",
    "<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
    "<|nospeech|>", "<|nocaptions|>", "<|notimestamps|>",
]


def main():
    for model in ["whisper-base", "whisper-tiny.en"]:
        tok = Tokenizer.from_file(os.path.join(ROOT, "models", model, "tokenizer.json"))
        # `None` for tokens the vocabulary lacks (<|nospeech|> before large-v3). Timestamps
        # are not in tokenizer.json: as in faster-whisper, <|0.00|> = <|notimestamps|> + 1.
        special = {s: tok.token_to_id(s) for s in SPECIAL}
        special["timestamp_begin"] = special["<|notimestamps|>"] + 1
        enc = [[t, tok.encode(t, add_special_tokens=False).ids] for t in TEXTS]
        sot = special["<|startoftranscript|>"]
        dec_ids = [
            enc[4][1],
            enc[5][1],
            [sot, special["<|en|>"], special["<|transcribe|>"], special["<|notimestamps|>"]]
            + enc[0][1] + [special["<|endoftext|>"]],
            enc[5][1][:7],  # cut inside a multi-byte character
        ]
        dec = [[ids, tok.decode(ids, skip_special_tokens=False)] for ids in dec_ids]
        out = {
            "model": model,
            "tokenizers_version": __import__("tokenizers").__version__,
            "vocab_size": tok.get_vocab_size(),
            "special": special,
            "encode": enc,
            "decode": dec,
        }
        path = os.path.join(OUT, f"tokenizer_{model.removeprefix('whisper-')}.json")
        with open(path, "w") as f:
            json.dump(out, f, ensure_ascii=False, indent=1)
            f.write("\n")
        print(path, out["vocab_size"], special)


if __name__ == "__main__":
    main()
