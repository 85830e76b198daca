#!/usr/bin/env python3
"""Agreement of ser-whisper's transcripts with faster-whisper's, per corpus and encoder input.

Reads results/whisper-asr/reference_<model>_<corpus>.jsonl (scripts/whisper_asr_reference.py:
faster-whisper greedy, temperature 0, no conditioning, no VAD, f32, on 16 kHz copies of the
clips), runs the `transcribe` binary on the same 16 kHz files with `--greedy --json` (the same
decoding settings) once per encoder-input mode:
  padded       every window's log-mel padded to 30 s (faster-whisper's input)
  real:N       only the real frames, padded to at least N frames (N = 0: none)
and reports, per model x corpus x mode, the share of clips whose normalised transcript equals
faster-whisper's (lowercase, punctuation removed, whitespace collapsed), the WER of both
against the sentence read (jiwer, same normalisation) and the language agreement. --decode beam5 compares reference_<model>_<corpus>_beam5.jsonl
(faster-whisper's defaults: beam 5 with temperature fallback) with `transcribe --beam 5
--no-condition` (the same settings).

Usage: /work/venv/bin/python scripts/whisper_asr_compare.py --bin target/release/transcribe
       [--modes padded,real:0,real:1000] [--models base,tiny.en] [--corpora ravdess,emodb]
       [--step 1] [--json results/whisper-asr/compare.json]
"""
import argparse
import json
import os
import re
import subprocess
import time

import jiwer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def norm(t):
    t = "".join(c if c.isalnum() or c == "'" else " " for c in t.lower())
    t = t.replace("'", "")
    return re.sub(r"\s+", " ", t).strip()


def wer(refs, hyps):
    pairs = [(norm(r), norm(h)) for r, h in zip(refs, hyps)]
    r = [p[0] for p in pairs]
    h = [p[1] if p[1] else "<empty>" for p in pairs]
    return jiwer.wer(r, h)


def run(binary, model, mode, paths, threads, decode="greedy"):
    flags = ["--greedy"] if decode == "greedy" else ["--beam", "5", "--no-condition"]
    cmd = [binary, "--model", os.path.join(ROOT, "models", f"whisper-{model}"), *flags, "--json"]
    if mode.startswith("real"):
        cmd += ["--real-length", mode.split(":")[1]]
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    t0 = time.time()
    out = subprocess.run(cmd + paths, check=True, capture_output=True, text=True, env=env).stdout
    rows = [json.loads(l) for l in out.splitlines() if l.strip()]
    return rows, time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/transcribe"))
    ap.add_argument("--modes", default="padded,real:0,real:1000")
    ap.add_argument("--models", default="base,tiny.en")
    ap.add_argument("--corpora", default="ravdess,emodb")
    ap.add_argument("--step", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--decode", default="greedy", choices=["greedy", "beam5"])
    ap.add_argument("--json", default=os.path.join(ROOT, "results/whisper-asr/compare.json"))
    args = ap.parse_args()
    suffix = "" if args.decode == "greedy" else "_beam5"
    results = []
    print(f"{'model':8} {'corpus':8} {'mode':10} {'n':>4} {'agree':>7} {'lang':>6} "
          f"{'WER ours':>9} {'WER fw':>7} {'s/clip':>7}")
    for model in args.models.split(","):
        for corpus in args.corpora.split(","):
            ref = os.path.join(ROOT, f"results/whisper-asr/reference_{model}_{corpus}{suffix}.jsonl")
            if not os.path.exists(ref):
                continue
            refs = [json.loads(l) for l in open(ref)][:: args.step]
            paths = [r["path"] for r in refs]
            for mode in args.modes.split(","):
                rows, secs = run(args.bin, model, mode, paths, args.threads, args.decode)
                assert [r["path"] for r in rows] == paths
                same = [norm(a["text"]) == norm(b["text"]) for a, b in zip(rows, refs)]
                lang = [a["language"] == b["language"] for a, b in zip(rows, refs)]
                res = {
                    "model": model, "corpus": corpus, "mode": mode, "decode": args.decode,
                    "n": len(refs),
                    "agreement": sum(same) / len(same),
                    "language_agreement": sum(lang) / len(lang),
                    "wer_ours": wer([r["ref_text"] for r in refs], [a["text"] for a in rows]),
                    "wer_faster_whisper": wer([r["ref_text"] for r in refs], [b["text"] for b in refs]),
                    "seconds_per_clip": secs / len(refs),
                    "differences": [
                        {"path": os.path.basename(b["path"]), "ours": a["text"], "faster_whisper": b["text"]}
                        for a, b, s in zip(rows, refs, same) if not s
                    ],
                }
                results.append(res)
                print(f"{model:8} {corpus:8} {mode:10} {res['n']:4d} {100 * res['agreement']:6.1f}% "
                      f"{100 * res['language_agreement']:5.1f}% {100 * res['wer_ours']:8.1f}% "
                      f"{100 * res['wer_faster_whisper']:6.1f}% {res['seconds_per_clip']:7.2f}", flush=True)
    with open(args.json, "w") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
