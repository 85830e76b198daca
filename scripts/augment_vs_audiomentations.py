"""Time ser-augment against audiomentations 0.43.1 on the same audio.

Usage (from the workspace root):
    /work/venv/bin/python scripts/augment_vs_audiomentations.py [--repeat 15]

Audio: assets/speech.wav (4.35 s, 16 kHz) and, if the corpus is present
(env SER_DATASETS or ../shared/datasets), the first 10 s of EmoDB
(concatenated utterances resampled to 16 kHz, written as 16-bit WAV so both
sides read identical samples). Ours: the release `augment` binary in
`--timing` mode (median of N runs, one warm-up, plans built once). Theirs:
median of N calls of the transform with p=1 and fixed parameters (one
warm-up). audiomentations' PitchShift/TimeStretch default to the
"signalsmith_stretch" method (C++ library, a different algorithm); both it
and "librosa_phase_vocoder" (the algorithm ser-augment implements) are timed.
Prints a table and the ratio theirs / ours (> 1 means ser-augment is faster).
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

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def median_time(fn, repeat):
    fn()
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e3


def ours(binary, wav, pipeline, repeat):
    out = subprocess.run(
        [binary, wav, "--pipeline", pipeline, "--timing", str(repeat)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)["median_ms"]


def emodb_10s(tmpdir):
    import librosa

    base = os.environ.get("SER_DATASETS", os.path.join(ROOT, "..", "shared", "datasets"))
    wav_dir = os.path.join(base, "emodb", "wav")
    if not os.path.isdir(wav_dir):
        print(f"EmoDB not found under {wav_dir}; skipping the 10 s EmoDB clip", file=sys.stderr)
        return None
    parts, total = [], 0
    for name in sorted(os.listdir(wav_dir)):
        if not name.endswith(".wav"):
            continue
        y, _ = librosa.load(os.path.join(wav_dir, name), sr=16000, mono=True)
        parts.append(y)
        total += len(y)
        if total >= 160000:
            break
    y = np.concatenate(parts)[:160000]
    path = os.path.join(tmpdir, "emodb_10s_16k.wav")
    sf.write(path, y, 16000, subtype="PCM_16")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    import audiomentations as am

    binary = os.path.join(ROOT, "target", "release", "augment")
    build = subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "ser-examples", "--bin", "augment"], cwd=ROOT,
    )
    if build.returncode != 0:
        if not os.path.exists(binary):
            sys.exit("could not build target/release/augment")
        print("warning: cargo build failed; using the existing target/release/augment", file=sys.stderr)

    cases = [
        # name, our pipeline, audiomentations transform
        ("PitchShift +2 st (librosa PV)", "pitch:semitones=2",
         am.PitchShift(min_semitones=2, max_semitones=2, method="librosa_phase_vocoder", p=1.0)),
        ("PitchShift +2 st (signalsmith)", "pitch:semitones=2",
         am.PitchShift(min_semitones=2, max_semitones=2, method="signalsmith_stretch", p=1.0)),
        ("TimeStretch 1.2 (librosa PV)", "stretch:rate=1.2",
         am.TimeStretch(min_rate=1.2, max_rate=1.2, leave_length_unchanged=False,
                        method="librosa_phase_vocoder", p=1.0)),
        ("TimeStretch 1.2 (signalsmith)", "stretch:rate=1.2",
         am.TimeStretch(min_rate=1.2, max_rate=1.2, leave_length_unchanged=False,
                        method="signalsmith_stretch", p=1.0)),
        ("AddGaussianSNR 10 dB", "noise:snr=10",
         am.AddGaussianSNR(min_snr_db=10, max_snr_db=10, p=1.0)),
    ]

    with tempfile.TemporaryDirectory() as tmp:
        clips = [("speech.wav 4.35 s", os.path.join(ROOT, "assets", "speech.wav"))]
        e = emodb_10s(tmp)
        if e:
            clips.append(("EmoDB 10 s", e))
        print(f"audiomentations {am.__version__}, repeat {args.repeat}, median ms per call")
        print(f"{'clip':<18} {'transform':<32} {'audiomentations':>15} {'ser-augment':>12} {'ratio':>7}")
        for clip_name, path in clips:
            x, sr = sf.read(path, dtype="float32")
            for name, pipeline, t in cases:
                theirs = median_time(lambda: t(samples=x, sample_rate=sr), args.repeat)
                mine = ours(binary, path, pipeline, args.repeat)
                print(f"{clip_name:<18} {name:<32} {theirs:>15.2f} {mine:>12.2f} {theirs / mine:>6.1f}x")


if __name__ == "__main__":
    main()
