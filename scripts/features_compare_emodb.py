"""Speaker-independent EmoDB evaluation of the ComParE-like functional sets.

Reads CSVs written by the `compare-dump` example (header `file,<names...>`, one row per EmoDB
clip) and reports unweighted accuracy (UA, balanced accuracy) of
StandardScaler + LogisticRegression(C=0.01, class_weight='balanced', max_iter=3000) under
GroupKFold(5) over speakers (speaker = first 2 characters of the file name, emotion = 6th),
without and with per-speaker z-normalisation of the features.

    cargo run --release -p ser-examples --bin compare-dump -- \
        /work/shared/datasets/emodb/wav --preset large --egemaps --out target/compare_large.csv
    /work/venv/bin/python scripts/features_compare_emodb.py target/compare_large.csv

Columns whose name starts with `egemaps_` are the 88 eGeMAPS values; each CSV is evaluated
alone (without them) and, if present, with them appended.

Measured 2026-11-24 (535 clips, 16 kHz, n_fft 512 / hop 160 / win 400, hann, centred):

    set                          values  UA global  UA per-speaker z-norm
    default (840)                   840     68.3 %     78.7 %
    large, delta width 9           3358     70.3 %     83.4 %
    large (preset, delta width 5)  3358     73.4 %     83.4 %
    large + eGeMAPS                3446     73.7 %     82.3 %
    eGeMAPS alone                    88     60.6 %     76.3 %
"""

import sys

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def spk_norm(X, spk):
    Z = X.copy()
    for s in np.unique(spk):
        m = spk == s
        Z[m] = (Z[m] - Z[m].mean(0)) / np.maximum(Z[m].std(0), 1e-8)
    return Z


def ua(X, y, spk, C=0.01):
    pred = np.zeros_like(y)
    for tr, te in GroupKFold(5).split(X, y, spk):
        clf = make_pipeline(StandardScaler(), LogisticRegression(
            C=C, max_iter=3000, class_weight="balanced"))
        pred[te] = clf.fit(X[tr], y[tr]).predict(X[te])
    return balanced_accuracy_score(y, pred)


def main(paths):
    for path in paths:
        df = pd.read_csv(path)
        files = df.pop("file").astype(str)
        spk = files.str[:2].values
        y = pd.Categorical(files.str[5]).codes.astype(int)
        ege = [c for c in df.columns if c.startswith("egemaps_")]
        base = df.drop(columns=ege)
        sets = [("set", base.values)]
        if ege:
            sets.append(("set+egemaps", df.values))
            sets.append(("egemaps", df[ege].values))
        for tag, X in sets:
            X = np.nan_to_num(X.astype(np.float64))
            g, s = ua(X, y, spk), ua(spk_norm(X, spk), y, spk)
            print(f"{path} {tag:12s} n={X.shape[1]:5d} clips={len(y)} "
                  f"UA global {100 * g:.1f} %  per-speaker z-norm {100 * s:.1f} %", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["compare.csv"])
