"""eGeMAPS formants: openSMILE's root reading vs the LPC model's resonances, on EmoDB.

For each `EgemapsConfig::formant_roots` (`opensmile`, the default, and `lpc`) this extracts our
88 eGeMAPS-like values for all 535 EmoDB files (resampled to 16 kHz with librosa, as
`features_prosody_egemaps_corr.py`) and prints
  * Pearson r of the F1-F3 frequency / bandwidth means with openSMILE eGeMAPSv02, and
  * how much emotion information the set carries: unweighted average recall of a
    scikit-learn logistic regression (standardised, class-balanced) under 5-fold speaker
    GroupKFold, on all 88 values and on the 18 formant values alone.

Usage (from the workspace root):
    cargo build --release -p ser-examples --bin prosody-speed
    /work/venv/bin/python scripts/features_egemaps_formant_roots.py
"""
import argparse
import glob
import os
import subprocess
import tempfile

import librosa
import numpy as np
import opensmile
import pandas as pd
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LABELS = {"W": "anger", "L": "boredom", "E": "disgust", "A": "fear", "F": "happiness", "T": "sadness", "N": "neutral"}


def ua(X, y, g, C):
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000, class_weight="balanced"))
    p = cross_val_predict(model, X, y, groups=g, cv=GroupKFold(5))
    return recall_score(y, p, average="macro")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=os.environ.get("SER_DATASETS", os.path.join(ROOT, "..", "shared", "datasets")))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "prosody-speed"))
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.datasets, "emodb", "wav", "*.wav")))
    names = [os.path.basename(f) for f in files]
    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
    ours = {}
    with tempfile.TemporaryDirectory() as tmp:
        refs = []
        for f, n in zip(files, names):
            y, sr = sf.read(f, dtype="float32")
            y16 = librosa.resample(y, orig_sr=sr, target_sr=16000).astype(np.float32)
            sf.write(os.path.join(tmp, n), y16, 16000, subtype="FLOAT")
            refs.append(smile.process_signal(y16, 16000))
        ref = pd.concat(refs)
        ref.index = names
        for mode in ("opensmile", "lpc"):
            csv = os.path.join(tmp, f"{mode}.csv")
            subprocess.run([args.bin, "--dir", tmp, "--csv", csv, "--skip-pyin", "--threads", "1", "--formant-roots", mode], check=True, stdout=subprocess.DEVNULL)
            d = pd.read_csv(csv).set_index("file")
            d.index = [os.path.basename(i) for i in d.index]
            ours[mode] = d.loc[names]
    y = np.array([LABELS[n[5]] for n in names])
    g = np.array([n[:2] for n in names])
    fcols = [c for c in ref.columns if c.startswith(("F1", "F2", "F3"))]
    print(f"{'formant roots':<14} {'r F1/F2/F3 freq':<22} {'r F1/F2/F3 bandw.':<22} {'median r (88)':>13} {'UA 88, C=0.1':>13} {'UA formants':>12}")
    for mode, d in ours.items():
        r = lambda c: np.corrcoef(d[c], ref[c])[0, 1]
        rf = "/".join(f"{r(f'F{i}frequency_sma3nz_amean'):.2f}" for i in (1, 2, 3))
        rb = "/".join(f"{r(f'F{i}bandwidth_sma3nz_amean'):.2f}" for i in (1, 2, 3))
        rs = [np.corrcoef(d[c], ref[c])[0, 1] for c in ref.columns if d[c].std() > 0 and ref[c].std() > 0]
        print(f"{mode:<14} {rf:<22} {rb:<22} {np.median(rs):>13.3f} {ua(d.to_numpy(float), y, g, 0.1):>13.3f} {ua(d[fcols].to_numpy(float), y, g, 0.1):>12.3f}")
    print(f"{'openSMILE':<14} {'':<22} {'':<22} {'':>13} {ua(ref.to_numpy(float), y, g, 0.1):>13.3f} {ua(ref[fcols].to_numpy(float), y, g, 0.1):>12.3f}")


if __name__ == "__main__":
    main()
