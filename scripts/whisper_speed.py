#!/usr/bin/env python3
"""Whisper audio-encoder speed on CPU: ser-whisper (Candle) vs CTranslate2 vs openai-whisper.

All engines encode the same log-mel features on the clip's real length (no padding to 30 s)
and only the encoder is timed; the log-mel front end is reported on its own line.

Clips (16 kHz, from the repository, so the numbers are reproducible):
  3 s   the first 3 s of assets/speech.wav (4.35 s of read English speech)
  10 s  assets/speech.wav three times back to back (13.04 s), cut to 10 s
Features: openai-whisper's `log_mel_spectrogram` (80 bands, hop 10 ms; 300 / 1000 frames),
so the encoder runs on 150 / 500 frames.

Engines, each at 1 and 2 threads (median over --runs after --warmup runs):
  CTranslate2 (faster-whisper's engine)   `ctranslate2.models.Whisper(dir, device="cpu",
      compute_type=int8|float32, intra_threads=T, inter_threads=1).encode(features)`
  openai-whisper (PyTorch, float32)       `torch.set_num_threads(T)`, the model's own
      AudioEncoder modules on the real length (conv1, conv2, sliced positions, blocks,
      ln_post), exactly as scripts/whisper_reference.py
  ser-whisper (Candle, float32)           `whisper-speed` binary (examples/src/bin) with
      RAYON_NUM_THREADS=T, which sets both Candle's gemm threads and rayon's pool
Every engine loads the same weights (CTranslate2 model.bin; for ser-whisper on Whisper-base,
the same weights in models/whisper-base-encoder). The final encoder outputs are checked
against openai-whisper's (max |diff|) so a fast wrong answer cannot slip into the table.

Usage (venv with torch, openai-whisper, ctranslate2, soundfile):
  CARGO_TARGET_DIR=/work/target-speed cargo build --release -p ser-examples --bin whisper-speed
  python scripts/whisper_speed.py --bin /work/target-speed/release/whisper-speed \
      [--runs 20] [--warmup 3] [--models base,tiny.en] [--threads 1,2] [--json out.json] \
      [--extra-bin "label=path/to/another/whisper-speed"]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile as sf
import torch
import whisper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from whisper_reference import build_encoder, hidden_states  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SR = 16000

# model tag -> (CTranslate2 / PyTorch model dir, ser-whisper model dir)
MODELS = {
    "base": ("models/whisper-base", "models/whisper-base-encoder"),
    "tiny.en": ("models/whisper-tiny.en", "models/whisper-tiny.en"),
}


def clips():
    """{'3 s': int16 samples, '10 s': ...} from assets/speech.wav."""
    y, sr = sf.read(os.path.join(ROOT, "assets/speech.wav"), dtype="int16")
    assert sr == SR and y.ndim == 1
    rep = np.concatenate([y] * int(np.ceil(10 * SR / len(y))))
    return {"3 s": y[: 3 * SR], "10 s": rep[: 10 * SR]}


def timeit(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return float(np.median(ts)), float(np.min(ts))


def load():
    return os.getloadavg()[0]


def run_ct2(model_dir, feats, compute_type, threads, runs, warmup):
    import ctranslate2

    m = ctranslate2.models.Whisper(
        model_dir, device="cpu", compute_type=compute_type, intra_threads=threads, inter_threads=1
    )
    out = {}
    for name, mel in feats.items():
        sv = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None]))
        med, mn = timeit(lambda: m.encode(sv), runs, warmup)
        last = np.array(m.encode(sv, to_cpu=True))[0]
        out[name] = (med, mn, last)
    del m
    return out


@torch.no_grad()
def run_torch(enc, feats, threads, runs, warmup):
    torch.set_num_threads(threads)
    out = {}
    for name, mel in feats.items():
        x = torch.from_numpy(mel[None])
        med, mn = timeit(lambda: hidden_states(enc, x), runs, warmup)
        last = hidden_states(enc, x)[-1][0].numpy()
        out[name] = (med, mn, last)
    return out


def run_candle(binary, model_dir, wavs, threads, runs, warmup, dump):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    cmd = [binary, "--model", model_dir, "--runs", str(runs), "--warmup", str(warmup)]
    cmd += ["--dump", dump]
    for w in wavs.values():
        cmd += ["--wav", w]
    res = subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    rows = [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]
    out, logmel = {}, {}
    for name, w in wavs.items():
        r = next(r for r in rows if r["clip"] == w)
        last = np.load(os.path.join(dump, os.path.splitext(os.path.basename(w))[0] + ".npy"))
        out[name] = (r["encoder_ms_median"], r["encoder_ms_min"], last)
        logmel[name] = r["logmel_ms_median"]
    return out, logmel


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release/whisper-speed"
    )
    ap.add_argument("--bin", default=default_bin, help="the whisper-speed binary")
    ap.add_argument(
        "--extra-bin",
        action="append",
        default=[],
        help="'label=path': another whisper-speed build timed as an extra Candle row",
    )
    ap.add_argument("--models", default="base,tiny.en")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--json", default=None, help="also write every measurement here")
    a = ap.parse_args()
    threads = [int(t) for t in a.threads.split(",")]
    load0 = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="whisper_speed_")
    wavs, feats, logmel_torch = {}, {}, {}
    for name, y in clips().items():
        path = os.path.join(tmp, f"clip_{name.replace(' ', '')}.wav")
        sf.write(path, y, SR, subtype="PCM_16")
        wavs[name] = path
        audio = torch.from_numpy(y.astype(np.float32) / 32768.0)
        torch.set_num_threads(1)
        logmel_torch[name] = timeit(lambda: whisper.log_mel_spectrogram(audio), a.runs, a.warmup)[0]
        feats[name] = whisper.log_mel_spectrogram(audio).numpy().astype(np.float32)
    names = list(wavs)
    candle_bins = [("ser-whisper (Candle f32)", a.bin)]
    for e in a.extra_bin:
        label, path = e.split("=", 1)
        candle_bins.append((label, path))

    results = []  # (model, engine, threads, clip, median, min)
    checks = []  # (model, engine, threads, clip, max |diff| vs torch)
    logmel_candle = {}
    for tag in a.models.split(","):
        ct_dir, ours_dir = MODELS[tag]
        ct_dir_abs = os.path.join(ROOT, ct_dir)
        if not os.path.isfile(os.path.join(ct_dir_abs, "model.bin")):
            print(f"SKIPPED {tag}: no {ct_dir}/model.bin", file=sys.stderr)
            continue
        enc, _ = build_encoder(ct_dir_abs)
        ref = {}
        for t in threads:
            for engine, res in [("openai-whisper (PyTorch f32)", run_torch(enc, feats, t, a.runs, a.warmup))]:
                for n in names:
                    results.append((tag, engine, t, n, res[n][0], res[n][1]))
                    ref.setdefault(n, res[n][2])
            for ct in ["float32", "int8"]:
                res = run_ct2(ct_dir_abs, feats, ct, t, a.runs, a.warmup)
                engine = f"CTranslate2 {ct}"
                for n in names:
                    results.append((tag, engine, t, n, res[n][0], res[n][1]))
                    checks.append((tag, engine, t, n, float(np.abs(res[n][2] - ref[n]).max())))
            for engine, binary in candle_bins:
                dump = os.path.join(tmp, "dump", engine.replace(" ", "_").replace("/", "_"))
                res, lm = run_candle(binary, ours_dir, wavs, t, a.runs, a.warmup, dump)
                logmel_candle.update(lm)
                for n in names:
                    results.append((tag, engine, t, n, res[n][0], res[n][1]))
                    checks.append((tag, engine, t, n, float(np.abs(res[n][2] - ref[n]).max())))
    load1 = os.getloadavg()

    cols = [(n, t) for n in names for t in threads]
    print(f"\nWhisper audio encoder, ms per clip (median of {a.runs} after {a.warmup} warm-up; "
          f"min in parentheses); real-length input, log-mel excluded.")
    print(f"CPU: {os.cpu_count()} cores; 1-min load average {load0[0]:.2f} at start, {load1[0]:.2f} at end.\n")
    print("| model | engine | " + " | ".join(f"{n}, {t} thr" for n, t in cols) + " |")
    print("|---|---|" + "---:|" * len(cols))
    seen = []
    for r in results:
        if (r[0], r[1]) not in seen:
            seen.append((r[0], r[1]))
    for tag, engine in seen:
        cells = []
        for n, t in cols:
            m = [r for r in results if r[:4] == (tag, engine, t, n)]
            cells.append(f"{m[0][4]:.1f} ({m[0][5]:.1f})" if m else "–")
        print(f"| {tag} | {engine} | " + " | ".join(cells) + " |")
    print("\nLog-mel front end, 1 thread, ms per clip: "
          + ", ".join(f"{n}: openai-whisper (torch) {logmel_torch[n]:.2f}, ser-whisper {logmel_candle.get(n, float('nan')):.2f}" for n in names))
    print("\nFinal encoder output vs openai-whisper f32, max |diff| (values reach ~20):")
    worst = {}
    for tag, engine, t, n, e in checks:
        worst[(tag, engine)] = max(worst.get((tag, engine), 0.0), e)
    for (tag, engine), e in worst.items():
        print(f"  {tag:8s} {engine:32s} {e:.2e}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(
                {
                    "load_start": load0,
                    "load_end": load1,
                    "runs": a.runs,
                    "warmup": a.warmup,
                    "timings": [dict(zip(["model", "engine", "threads", "clip", "ms_median", "ms_min"], r)) for r in results],
                    "max_abs_diff_vs_torch": [dict(zip(["model", "engine", "threads", "clip", "max_abs_diff"], c)) for c in checks],
                    "logmel_ms": {"torch": logmel_torch, "ser-whisper": logmel_candle},
                },
                f,
                indent=1,
            )


if __name__ == "__main__":
    main()
