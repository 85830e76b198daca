"""Reference ceiling: openSMILE's own eGeMAPSv02 and ComParE_2016 functionals with
scikit-learn classifiers on EmoDB, under the protocol of Table II (GroupKFold(5) over
speakers, pooled out-of-fold UA), with and without per-speaker z-normalisation.

Usage (from the workspace root; ~10 min, ComParE extraction dominates; features cached in
target/opensmile_ref_*.npy):

    /work/venv/bin/python scripts/models_opensmile_reference.py [--datasets DIR]

Audio: every EmoDB file resampled to 16 kHz with librosa (soxr_hq), as ser-models does.
"""
import argparse
import os

import librosa
import numpy as np
import opensmile
import pandas as pd
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def spk_norm(X, spk):
    Z = X.copy()
    for s in np.unique(spk):
        m = spk == s
        Z[m] = (Z[m] - Z[m].mean(0)) / np.maximum(Z[m].std(0), 1e-8)
    return Z


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=os.environ.get("SER_DATASETS", os.path.join(ROOT, "..", "shared", "datasets")))
    args = ap.parse_args()
    emodb = os.path.join(args.datasets, "emodb")
    man = pd.read_csv(os.path.join(emodb, "manifest.csv"))
    spk = man.speaker.astype(str).values
    y = pd.Categorical(man.emotion).codes
    sets = {"eGeMAPSv02": opensmile.FeatureSet.eGeMAPSv02, "ComParE_2016": opensmile.FeatureSet.ComParE_2016}
    for name, fs in sets.items():
        cache = os.path.join(ROOT, "target", f"opensmile_ref_{name}.npy")
        if os.path.exists(cache):
            X = np.load(cache)
        else:
            smile = opensmile.Smile(feature_set=fs, feature_level=opensmile.FeatureLevel.Functionals)
            rows = []
            for p in man.path:
                sig, sr = sf.read(os.path.join(emodb, p))
                sig = librosa.resample(sig, orig_sr=sr, target_sr=16000)
                rows.append(smile.process_signal(sig, 16000).values[0])
            X = np.array(rows)
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            np.save(cache, X)
        X = np.nan_to_num(X)
        for norm, Xv in [("global", X), ("speaker z-norm", spk_norm(X, spk))]:
            for cname, clf in [
                ("logreg C=0.01", LogisticRegression(C=0.01, max_iter=3000, class_weight="balanced")),
                ("svm-linear C=0.01", SVC(kernel="linear", C=0.01, class_weight="balanced")),
                ("svm-rbf C=10", SVC(C=10, class_weight="balanced")),
            ]:
                pred = np.zeros_like(y)
                for tr, te in GroupKFold(5).split(Xv, y, spk):
                    pred[te] = make_pipeline(StandardScaler(), clf).fit(Xv[tr], y[tr]).predict(Xv[te])
                print(f"{name:13s} ({X.shape[1]:5d}) {norm:15s} {cname:18s} UA {balanced_accuracy_score(y, pred):.3f}", flush=True)


if __name__ == "__main__":
    main()
