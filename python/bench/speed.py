"""Speed of `ser` seen from Python against librosa and opensmile-python, on the same signals
in one run.

Usage (from the repository root, in a venv with `ser` installed, see README "Python package"):
    python python/bench/speed.py [--limit N] [--pyin-limit N] [--repeat R] [--out results/python/speed.md]

Signals: EmoDB + RAVDESS from ../shared/datasets (or $SER_DATASETS), every `step`-th file up
to --limit, decoded and resampled to 16 kHz once with librosa so both libraries see identical
arrays. Every call runs on one thread for both tools (BLAS/OpenMP pinned to 1 thread; ser
processes one signal per call, which is single-threaded); the last rows show ser's own
parallel paths (a batch of signals, `Smile.process_files`) on every core. Times are the best of
--repeat passes over all signals.
"""
import argparse
import glob
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402

import librosa  # noqa: E402
import opensmile  # noqa: E402
import ser  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def corpus(datasets, limit):
    files = sorted(glob.glob(os.path.join(datasets, "emodb", "wav", "*.wav")))
    files += sorted(glob.glob(os.path.join(datasets, "ravdess", "**", "*.flac"), recursive=True))
    if not files:
        sys.exit(f"no EmoDB / RAVDESS files under {datasets}")
    step = max(1, len(files) // limit) if limit else 1
    files = files[::step][: limit or None]
    ys = [librosa.load(f, sr=16000, res_type="soxr_hq")[0] for f in files]
    return files, ys


def best(fn, repeat):
    t = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t = min(t, time.perf_counter() - t0)
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=os.environ.get("SER_DATASETS", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--pyin-limit", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "results", "python", "speed.md"))
    args = ap.parse_args()

    files, ys = corpus(args.datasets, args.limit)
    secs = sum(len(y) for y in ys) / 16000
    sr = 16000
    spectral = ["spectral_centroid", "spectral_bandwidth", "spectral_rolloff", "spectral_contrast"]

    def each(fn, signals=ys):
        return lambda: [fn(y) for y in signals]

    rows = []

    def row(name, ours, theirs, n_secs, ref="librosa"):
        r = (name, ref, ours, theirs, theirs / ours, n_secs)
        rows.append(r)
        print(f"{name:<40} ser {ours:8.3f} s  {ref} {theirs:8.3f} s  {theirs / ours:6.1f}x", flush=True)

    # warm-up (plans, numba JIT of librosa's yin/pyin helpers)
    for lib in (ser, librosa):
        lib.feature.mfcc(y=ys[0], sr=sr)
    librosa.pyin(ys[0], fmin=65, fmax=500, sr=sr)
    ser.pyin(ys[0], fmin=65, fmax=500, sr=sr)

    row("mfcc (librosa defaults)",
        best(each(lambda y: ser.feature.mfcc(y=y, sr=sr)), args.repeat),
        best(each(lambda y: librosa.feature.mfcc(y=y, sr=sr)), args.repeat), secs)
    kw = dict(n_fft=512, hop_length=160, win_length=400, n_mels=40, n_mfcc=20)
    row("mfcc (25 ms / 10 ms, 40 mels)",
        best(each(lambda y: ser.feature.mfcc(y=y, sr=sr, **kw)), args.repeat),
        best(each(lambda y: librosa.feature.mfcc(y=y, sr=sr, **kw)), args.repeat), secs)
    row("melspectrogram",
        best(each(lambda y: ser.feature.melspectrogram(y=y, sr=sr)), args.repeat),
        best(each(lambda y: librosa.feature.melspectrogram(y=y, sr=sr)), args.repeat), secs)
    row("centroid + bandwidth + rolloff + contrast",
        best(each(lambda y: [getattr(ser.feature, f)(y=y, sr=sr) for f in spectral]), args.repeat),
        best(each(lambda y: [getattr(librosa.feature, f)(y=y, sr=sr) for f in spectral]), args.repeat),
        secs)
    row("yin (65-500 Hz)",
        best(each(lambda y: ser.yin(y, fmin=65, fmax=500, sr=sr)), args.repeat),
        best(each(lambda y: librosa.yin(y, fmin=65, fmax=500, sr=sr)), args.repeat), secs)
    few = ys[: args.pyin_limit]
    few_secs = sum(len(y) for y in few) / sr
    row(f"pyin (65-500 Hz, first {len(few)} signals)",
        best(each(lambda y: ser.pyin(y, fmin=65, fmax=500, sr=sr), few), 1),
        best(each(lambda y: librosa.pyin(y, fmin=65, fmax=500, sr=sr), few), 1), few_secs)

    ours, theirs = ser.Smile("eGeMAPSv02"), opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02)
    row("eGeMAPSv02 functionals (process_signal)",
        best(each(lambda y: ours.process_signal(y, sr)), args.repeat),
        best(each(lambda y: theirs.process_signal(y, sr)), args.repeat), secs, ref="opensmile")
    cp, ct = ser.Smile("ComParE_2016"), opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016)
    row("ComParE_2016(-like) functionals (process_signal)",
        best(each(lambda y: cp.process_signal(y, sr)), args.repeat),
        best(each(lambda y: ct.process_signal(y, sr)), args.repeat), secs, ref="opensmile")

    # ser on every core: one call over a batch of equal-length signals / over files
    cores = os.cpu_count()
    n = min(len(y) for y in ys)
    batch = np.stack([y[:n] for y in ys])
    row(f"mfcc, batch of {len(ys)} in one call ({cores} cores)",
        best(lambda: ser.feature.mfcc(y=batch, sr=sr), args.repeat),
        best(lambda: [librosa.feature.mfcc(y=b, sr=sr) for b in batch], args.repeat),
        len(ys) * n / sr)
    row(f"eGeMAPSv02, process_files ({cores} cores; opensmile 1 worker)",
        best(lambda: ours.process_files(files), args.repeat),
        best(lambda: theirs.process_files(files), 1), None, ref="opensmile")

    with open(args.out, "w") as f:
        f.write("# ser from Python vs librosa / opensmile-python\n\n")
        f.write(f"`python python/bench/speed.py --limit {args.limit} --pyin-limit {args.pyin_limit} "
                f"--repeat {args.repeat}`: {len(ys)} EmoDB + RAVDESS signals ({secs:.0f} s of audio at "
                f"16 kHz), librosa {librosa.__version__}, opensmile {opensmile.__version__}, "
                f"ser {ser.__version__}, {cores} cores. Best of {args.repeat} passes (pyin and the "
                "opensmile process_files row: 1 pass). One thread each unless the row says cores.\n\n")
        f.write("| feature | reference | ser (s) | reference (s) | ser speed-up |\n|---|---|---|---|---|\n")
        for name, ref, a, b, x, _ in rows:
            f.write(f"| {name} | {ref} | {a:.3f} | {b:.3f} | {x:.1f}x |\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
