"""Speed: our eGeMAPS-like set vs openSMILE eGeMAPSv02, our pYIN vs librosa.pyin, on all EmoDB
files resampled to 16 kHz, in one run, audio loading excluded.

Reported: ours on one thread (files in sequence) and ours with the files processed in parallel
by rayon on all cores of the machine (`--threads`), against openSMILE's Python package, which
processes one signal per call on one thread (`Smile.process_signal`, files in sequence; also
timed on as many worker processes as our parallel run has threads, for a per-core ratio), and
librosa.pyin (numpy, one thread per call). On a shared machine wall times depend on the other
load, so the single-thread eGeMAPS comparison is also printed in process CPU time (Linux).

Usage (from the workspace root):
    cargo build --release -p ser-examples --bin prosody-speed
    /work/venv/bin/python scripts/features_prosody_speed.py [--limit N] [--pyin-limit N]

pYIN settings on both sides: fmin=C2, fmax=C7, frame_length=2048, hop_length=512 (librosa's
documented example settings; defaults otherwise). librosa.pyin is slow (~1 s per 2 s file), so
`--pyin-limit` can time it on the first N files and scale per second of audio.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import librosa
import numpy as np
import opensmile
import soundfile as sf

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
_SMILE = None


def _init_smile():
    global _SMILE
    _SMILE = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)


def _smile_one(y):
    return _SMILE.process_signal(y, 16000).to_numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=os.environ.get("SER_DATASETS", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--pyin-limit", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="repetitions of the Rust loops (min reported)")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "prosody-speed"))
    ap.add_argument("--threads", type=int, default=0, help="threads for our parallel run (0 = all cores)")
    ap.add_argument("--f0-method", default="shs", choices=["shs", "pyin"], help="F0 tracker of our eGeMAPS set")
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.datasets, "emodb", "wav", "*.wav")))[: args.limit or None]
    if not files:
        sys.exit("EmoDB not found")
    with tempfile.TemporaryDirectory() as tmp:
        ys = []
        for f in files:
            y, sr = sf.read(f, dtype="float32")
            y16 = librosa.resample(y, orig_sr=sr, target_sr=16000).astype(np.float32)
            sf.write(os.path.join(tmp, os.path.basename(f)), y16, 16000, subtype="FLOAT")
            ys.append(y16)
        secs = sum(len(y) for y in ys) / 16000
        out = subprocess.run([args.bin, "--dir", tmp, "--repeat", str(args.repeat), "--threads", str(args.threads), "--f0-method", args.f0_method], check=True, capture_output=True, text=True).stdout
    ours_eg = float(re.search(r"egemaps_seconds ([0-9.]+)", out).group(1))
    cpu = re.search(r"egemaps_cpu_seconds ([0-9.]+)", out)
    par = re.search(r"egemaps_parallel_seconds ([0-9.]+) \(threads (\d+)\)", out)
    ours_py = float(re.search(r"pyin_seconds ([0-9.]+)", out).group(1))

    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
    smile.process_signal(ys[0], 16000)  # warm-up
    t, c = time.perf_counter(), time.process_time()
    for y in ys:
        smile.process_signal(y, 16000)
    os_s = time.perf_counter() - t
    os_cpu = time.process_time() - c

    # openSMILE on as many worker processes as our parallel run has threads (one Smile per
    # process, files handed out in order; the pool is started and warmed up before timing)
    n_par = int(par.group(2)) if par else 0
    os_par = None
    if n_par > 1:
        with ProcessPoolExecutor(max_workers=n_par, initializer=_init_smile) as ex:
            list(ex.map(_smile_one, ys[:n_par]))  # warm-up
            t = time.perf_counter()
            list(ex.map(_smile_one, ys, chunksize=8))
            os_par = time.perf_counter() - t

    py_ys = ys[: args.pyin_limit or None]
    py_secs = sum(len(y) for y in py_ys) / 16000
    kw = dict(sr=16000, fmin=librosa.note_to_hz("C2"), fmax=librosa.note_to_hz("C7"), frame_length=2048, hop_length=512)
    librosa.pyin(py_ys[0], **kw)  # warm-up (numba)
    t = time.perf_counter()
    for y in py_ys:
        librosa.pyin(y, **kw)
    lib_s = (time.perf_counter() - t) * secs / py_secs

    print(f"files {len(ys)}, audio {secs:.1f} s")
    print(f"eGeMAPS: openSMILE {os_s:.3f} s (one thread), ours {ours_eg:.3f} s on one thread -> {os_s / ours_eg:.1f}x")
    if cpu:
        ours_cpu = float(cpu.group(1))
        print(f"         CPU time (user+system, less sensitive to other load): openSMILE {os_cpu:.3f} s, ours {ours_cpu:.3f} s -> {os_cpu / ours_cpu:.1f}x")
    if par:
        ours_par, n_thr = float(par.group(1)), int(par.group(2))
        print(f"         ours {ours_par:.3f} s with files in parallel on {n_thr} threads -> {os_s / ours_par:.1f}x openSMILE's one thread")
        if os_par:
            print(f"         openSMILE {os_par:.3f} s on {n_thr} worker processes -> ours in parallel {os_par / ours_par:.1f}x (per core)")
    print(f"pYIN:    librosa {lib_s:.3f} s{' (scaled from %d files)' % len(py_ys) if len(py_ys) < len(ys) else ''}, ours {ours_py:.3f} s -> {lib_s / ours_py:.1f}x")


if __name__ == "__main__":
    main()
