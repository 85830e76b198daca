"""Pearson r between our eGeMAPS-like set (ser-features::egemaps) and openSMILE eGeMAPSv02.

Usage (from the workspace root):
    cargo build --release -p ser-examples --bin prosody-speed
    /work/venv/bin/python scripts/features_prosody_egemaps_corr.py [--datasets DIR] [--limit N]

All EmoDB files are resampled to 16 kHz once with librosa (soxr_hq) into a temporary directory
of float WAVs, so both tools see identical audio. openSMILE 2.6.0 runs
`Smile(eGeMAPSv02, Functionals).process_signal`; ours runs `target/release/prosody-speed`, which
writes one CSV row of the 88 values per file. Prints Pearson r and Spearman rho per feature (in
openSMILE order), the headline features and the median over all 88.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import librosa
import numpy as np
import opensmile
import pandas as pd
import soundfile as sf

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
HEADLINE = [
    "F0semitoneFrom27.5Hz_sma3nz_amean",
    "jitterLocal_sma3nz_amean",
    "shimmerLocaldB_sma3nz_amean",
    "loudness_sma3_amean",
    "HNRdBACF_sma3nz_amean",
    "alphaRatioV_sma3nz_amean",
    "hammarbergIndexV_sma3nz_amean",
    "slopeV0-500_sma3nz_amean",
    "slopeV500-1500_sma3nz_amean",
    "mfcc1_sma3_amean",
    "mfcc2_sma3_amean",
    "mfcc3_sma3_amean",
    "mfcc4_sma3_amean",
]


def prepare(datasets, limit, out_dir):
    files = sorted(glob.glob(os.path.join(datasets, "emodb", "wav", "*.wav")))[: limit or None]
    if not files:
        sys.exit(f"no EmoDB files under {datasets}")
    ys = {}
    for f in files:
        y, sr = sf.read(f, dtype="float32")
        y16 = librosa.resample(y, orig_sr=sr, target_sr=16000).astype(np.float32)
        name = os.path.basename(f)
        sf.write(os.path.join(out_dir, name), y16, 16000, subtype="FLOAT")
        ys[name] = y16
    return ys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=os.environ.get("SER_DATASETS", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "prosody-speed"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ys = prepare(args.datasets, args.limit, tmp)
        smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
        ref = pd.concat([smile.process_signal(y, 16000) for y in ys.values()])
        ref.index = list(ys.keys())
        csv = os.path.join(tmp, "ours.csv")
        subprocess.run([args.bin, "--dir", tmp, "--csv", csv], check=True, stdout=subprocess.DEVNULL)
        ours = pd.read_csv(csv).set_index("file").loc[list(ys.keys())]
    assert list(ours.columns) == list(ref.columns), "feature names/order differ from openSMILE"
    rs, rho = {}, {}
    for c in ref.columns:
        a, b = ours[c].to_numpy(float), ref[c].to_numpy(float)
        ok = a.std() > 0 and b.std() > 0
        rs[c] = float(np.corrcoef(a, b)[0, 1]) if ok else float("nan")
        # rank correlation: the stddevNorm (std / mean) values of LLDs whose mean is near 0
        # have a few huge outliers that dominate Pearson's r
        rho[c] = float(np.corrcoef(pd.Series(a).rank(), pd.Series(b).rank())[0, 1]) if ok else float("nan")
    print(f"files: {len(ys)}")
    print(f"{'feature':<45} {'r':>7} {'rho':>7}")
    for c, r in rs.items():
        print(f"{c:<45} {r:7.3f} {rho[c]:7.3f}")
    print("\nheadline:")
    for c in HEADLINE:
        print(f"  {c:<43} {rs[c]:7.3f}")
    vals = np.array([r for r in rs.values() if np.isfinite(r)])
    print(f"\nmedian r over {len(vals)} of {len(rs)} features: {np.median(vals):.3f}")
    print(f"features with r >= 0.5: {(vals >= 0.5).sum()}, r >= 0.8: {(vals >= 0.8).sum()}")
    rv = np.array([r for r in rho.values() if np.isfinite(r)])
    print(f"Spearman rho: median {np.median(rv):.3f}, rho >= 0.8: {(rv >= 0.8).sum()} of {len(rv)}")
    # pYIN (librosa's algorithm) finds no voiced frame in some shouted utterances; their
    # voiced-only features are 0 by convention. r over the files where both found voicing:
    keep = (ours["F0semitoneFrom27.5Hz_sma3nz_amean"] > 0).to_numpy() & (ref["F0semitoneFrom27.5Hz_sma3nz_amean"] > 0).to_numpy()
    print(f"\nfiles with voiced frames in both: {keep.sum()} of {len(keep)}")
    rk = {}
    for c in ref.columns:
        a, b = ours[c].to_numpy(float)[keep], ref[c].to_numpy(float)[keep]
        rk[c] = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float("nan")
    for c in HEADLINE:
        print(f"  {c:<43} {rk[c]:7.3f}")
    vk = np.array([r for r in rk.values() if np.isfinite(r)])
    print(f"median r over {len(vk)} features (those files): {np.median(vk):.3f}")


if __name__ == "__main__":
    main()
