#!/usr/bin/env python
"""Time librosa.stft / librosa.feature.melspectrogram on 10 s of 16 kHz audio and compare with
ser-dsp's criterion numbers (benches/benches/dsp.rs, same parameters).

Parameters: n_fft=512, hop_length=160, window="hann", center=True, pad_mode="constant";
melspectrogram: n_mels 64 and 128, power 2 (librosa defaults otherwise).

Usage (from the workspace root):
    /work/venv/bin/python scripts/dsp_vs_librosa.py --run-bench   # runs criterion first
    /work/venv/bin/python scripts/dsp_vs_librosa.py               # reuse target/criterion

Rust timings are criterion's median point estimates read from
target/criterion/dsp/<bench>/new/estimates.json; Python timings are the median of `--repeat`
runs (after a warm-up; librosa's mel filterbank cache is warm, like a prebuilt Rust plan).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import librosa
import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SR, N_FFT, HOP = 16000, 512, 160

CASES = [
    ("stft (complex)", "stft_complex_10s_16k_nfft512_hop160",
     lambda y: librosa.stft(y, n_fft=N_FFT, hop_length=HOP)),
    ("|stft|^2 (power)", "stft_power_10s_16k_nfft512_hop160",
     lambda y: np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP)) ** 2),
    ("melspectrogram n_mels=64", "melspec64_10s_16k_nfft512_hop160",
     lambda y: librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=64)),
    ("melspectrogram n_mels=128", "melspec128_10s_16k_nfft512_hop160",
     lambda y: librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=128)),
]


def criterion_ms(bench):
    path = os.path.join(ROOT, "target", "criterion", "dsp", bench, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e6


def time_ms(fn, y, repeat):
    fn(y)  # warm-up (also fills librosa's filterbank cache)
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(y)
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-bench", action="store_true", help="run `cargo bench --bench dsp` first")
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    if args.run_bench:
        subprocess.run(["cargo", "bench", "-p", "ser-benches", "--bench", "dsp"], cwd=ROOT,
                       check=True)
    rng = np.random.default_rng(7)
    t = np.arange(10 * SR)
    y = (0.3 * np.sin(t * 0.05) + rng.uniform(-0.1, 0.1, t.size)).astype(np.float32)
    print(f"librosa {librosa.__version__}, numpy {np.__version__}; 10 s @ {SR} Hz, "
          f"n_fft={N_FFT}, hop_length={HOP}")
    print(f"{'operation':28s} {'librosa ms':>11s} {'ser-dsp ms':>11s} {'speed-up':>9s}")
    for name, bench, fn in CASES:
        py = time_ms(fn, y, args.repeat)
        try:
            rs = criterion_ms(bench)
        except FileNotFoundError:
            print(f"{name:28s} {py:11.3f} {'(no bench)':>11s}   run with --run-bench", file=sys.stderr)
            continue
        print(f"{name:28s} {py:11.3f} {rs:11.3f} {py / rs:8.2f}x")


if __name__ == "__main__":
    main()
