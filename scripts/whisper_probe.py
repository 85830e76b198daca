#!/usr/bin/env python3
"""Layer / pooling / head selection for the Whisper SER recipe, on validation speakers only.

Reads the per-layer statistics written by the `embed` binary
(`target/embeddings/<corpus>_<model>.npy`, `(files, layers + 1, 2·width)` mean ‖ std) and,
for each corpus, runs a *nested* speaker-independent cross-validation (EmoDB: 5 GroupKFold folds; RAVDESS: 6 folds of 4 actors;
inner: 3 GroupKFold folds of the training speakers): in every outer fold the
representation (one hidden state, or the mean of a range of hidden states) and the L2 strength C
of a balanced logistic regression are chosen by an inner GroupKFold over the training speakers
only; the chosen setting is refit on all training speakers and scored on the unseen test
speakers. It prints the nested (honest) UA and how often each setting was chosen, and the UA of
every setting on the outer folds *for information only* (choosing from that table would be
choosing on test folds).

  python scripts/whisper_probe.py --model whisper-base
"""
import argparse
import collections

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler


def load(corpus, model, root):
    x = np.load(f"{root}/{corpus}_{model}.npy")
    meta = pd.read_csv(f"{root}/{corpus}_{model}.csv", dtype=str)
    return x, meta


def representations(n_states):
    """Every single hidden state, the mean of every 3 consecutive ones, and all of them."""
    reps = {f"L{l}": (l, l + 1) for l in range(n_states)}
    for a in range(0, n_states - 2):
        reps[f"L{a}-{a + 2}"] = (a, a + 3)
    reps["all"] = (0, n_states)
    return reps


def rep(x, r):
    a, b = r
    return x[:, a:b, :].mean(axis=1)


def fit_score(xtr, ytr, xte, yte, c):
    sc = StandardScaler().fit(xtr)
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=300, tol=1e-3)
    clf.fit(sc.transform(xtr), ytr)
    return balanced_accuracy_score(yte, clf.predict(sc.transform(xte)))


def outer_folds(corpus, groups):
    if corpus == "emodb":
        return list(GroupKFold(n_splits=5).split(groups, groups=groups))
    # RAVDESS: 6 actor-disjoint folds of 4 actors (EmoBox), actors in order.
    actors = sorted(set(groups), key=int)
    folds = []
    for k in range(6):
        test = set(actors[4 * k : 4 * k + 4])
        te = np.array([g in test for g in groups])
        folds.append((np.where(~te)[0], np.where(te)[0]))
    return folds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="whisper-base")
    ap.add_argument("--root", default="target/embeddings")
    ap.add_argument("--cs", default="0.01,0.1,1")
    ap.add_argument("--corpora", default="emodb,ravdess")
    a = ap.parse_args()
    cs = [float(c) for c in a.cs.split(",")]
    for corpus in a.corpora.split(","):
        x, meta = load(corpus, a.model, a.root)
        y = meta["label"].values
        g = meta["speaker"].values
        reps = representations(x.shape[1])
        settings = [(rn, c) for rn in reps for c in cs]
        chosen = collections.Counter()
        pred_ok = []
        for tr, te in outer_folds(corpus, g):
            inner = GroupKFold(n_splits=3)
            best, best_ua = None, -1
            for rn, c in settings:
                xr = rep(x, reps[rn])
                uas = [
                    fit_score(xr[tr][itr], y[tr][itr], xr[tr][ite], y[tr][ite], c)
                    for itr, ite in inner.split(tr, groups=g[tr])
                ]
                if np.mean(uas) > best_ua:
                    best, best_ua = (rn, c), np.mean(uas)
            chosen[best] += 1
            xr = rep(x, reps[best[0]])
            sc = StandardScaler().fit(xr[tr])
            clf = LogisticRegression(C=best[1], class_weight="balanced", max_iter=2000)
            clf.fit(sc.transform(xr[tr]), y[tr])
            pred_ok.append(pd.DataFrame({"y": y[te], "p": clf.predict(sc.transform(xr[te]))}))
        df = pd.concat(pred_ok)
        print(f"== {corpus} {a.model}: nested UA {balanced_accuracy_score(df.y, df.p):.3f}; chosen {dict(chosen)}")
        print("   information only (outer folds, C=0.1):", end="")
        for rn in reps:
            xr = rep(x, reps[rn])
            ys, ps = [], []
            for tr, te in outer_folds(corpus, g):
                sc = StandardScaler().fit(xr[tr])
                clf = LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000)
                clf.fit(sc.transform(xr[tr]), y[tr])
                ys.append(y[te])
                ps.append(clf.predict(sc.transform(xr[te])))
            print(f" {rn} {balanced_accuracy_score(np.concatenate(ys), np.concatenate(ps)):.3f}", end="")
        print()


if __name__ == "__main__":
    main()
