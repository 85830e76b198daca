//! Speaker-independent evaluation of all fusion methods at once (ablation).
//!
//! For every outer fold (e.g. `ser_metrics::protocol::group_k_fold` on speakers), a
//! fraction of the *training* speakers is held out as inner validation data
//! (`group_train_test_split`) for early stopping and for the late-fusion weight; the test
//! speakers are never seen before the final prediction. Five methods are trained on the
//! same split — acoustic-only, text-only, early fusion, late fusion (of the acoustic and
//! text networks) and GMU — and their out-of-fold predictions are pooled, so every number
//! is computed once over the whole corpus with [`scores`] / [`paired_difference`].

use ser_metrics::protocol::{group_train_test_split, Fold};
use ser_metrics::{
    bootstrap_ci, f1_score, Average, BootstrapOptions, ConfidenceInterval, ZeroDivision,
};
use serde::{Deserialize, Serialize};

use crate::data::Multimodal;
use crate::late::LateFusion;
use crate::net::{FusionKind, NetConfig};
use crate::train::{fit, text_contribution, FitConfig};
use crate::{Error, Result};
use ser_metrics::argmax;

/// Settings of [`cross_validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CvConfig {
    /// Fraction of training speakers held out for validation (`ceil(f · n)`). Default: 0.2.
    pub inner_val_fraction: f64,
    /// Seed of the inner split (the trainer seed is in `fit.train.seed`). Default: 0.
    pub seed: u64,
    /// Hidden size of every network. Default: 64.
    pub hidden: usize,
    /// Dropout of every network. Default: 0.3.
    pub dropout: f32,
    /// Training settings shared by all networks.
    pub fit: FitConfig,
}

impl Default for CvConfig {
    fn default() -> Self {
        Self {
            inner_val_fraction: 0.2,
            seed: 0,
            hidden: 64,
            dropout: 0.3,
            fit: FitConfig::default(),
        }
    }
}

impl CvConfig {
    /// Sets `fit` (chaining).
    pub fn fit(mut self, v: FitConfig) -> Self {
        self.fit = v;
        self
    }
    /// Sets `hidden` (chaining).
    pub fn hidden(mut self, v: usize) -> Self {
        self.hidden = v;
        self
    }
    /// Sets `seed` (chaining).
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
}

/// Method names in [`CvOutcome::proba`] order.
pub const METHODS: [&str; 5] = ["acoustic", "text", "early", "late", "gmu"];

/// Pooled out-of-fold results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvOutcome {
    /// Out-of-fold class probabilities per method, in [`METHODS`] order.
    pub proba: Vec<Vec<Vec<f32>>>,
    /// Out-of-fold probabilities of early, late and GMU with every transcript removed at
    /// test time (the missing-modality path), in that order.
    pub proba_without_text: Vec<Vec<Vec<f32>>>,
    /// Per-utterance mean GMU gate (acoustic share, 1 = acoustic only).
    pub gmu_gate: Vec<f32>,
    /// Per-utterance leave-text-out contribution of early fusion (see
    /// [`text_contribution`]).
    pub early_text_contribution: Vec<f32>,
    /// Per-utterance leave-text-out contribution of the GMU.
    pub gmu_text_contribution: Vec<f32>,
    /// Learned late-fusion acoustic weight of every fold.
    pub late_weights: Vec<f64>,
    /// Epochs run per fold and network (`[acoustic, text, early, gmu]`).
    pub epochs: Vec<[usize; 4]>,
}

impl CvOutcome {
    /// Predicted classes of method `m` (index into [`METHODS`]).
    pub fn pred(&self, m: usize) -> Vec<usize> {
        self.proba[m].iter().map(|p| argmax(p)).collect()
    }
}

/// Runs all methods on `folds` (test sets must partition the samples).
///
/// `progress` receives a short message per fold and network.
#[allow(clippy::too_many_arguments)]
pub fn cross_validate(
    data: &Multimodal,
    y: &[usize],
    n_classes: usize,
    groups: &[String],
    folds: &[Fold],
    cfg: &CvConfig,
    mut progress: impl FnMut(&str),
) -> Result<CvOutcome> {
    let n = data.len();
    if y.len() != n || groups.len() != n {
        return Err(Error::ShapeMismatch {
            what: "labels / groups".into(),
            expected: n,
            got: y.len().min(groups.len()),
        });
    }
    let mut seen = vec![false; n];
    for f in folds {
        for &i in &f.test {
            if i >= n || seen[i] {
                return Err(Error::InvalidArgument(
                    "fold test sets must partition the data".into(),
                ));
            }
            seen[i] = true;
        }
    }
    if seen.iter().any(|s| !s) {
        return Err(Error::InvalidArgument(
            "some samples are never tested".into(),
        ));
    }
    let (da, dt) = (data.acoustic_dim(), data.text_dim());
    let empty = vec![Vec::new(); n];
    let mut proba = vec![empty.clone(); 5];
    let mut without = vec![empty; 3];
    let mut gate = vec![1f32; n];
    let mut ec = vec![0f32; n];
    let mut gc = vec![0f32; n];
    let mut late_weights = Vec::new();
    let mut epochs = Vec::new();
    for (k, fold) in folds.iter().enumerate() {
        let tr_groups: Vec<&String> = fold.train.iter().map(|&i| &groups[i]).collect();
        let inner = group_train_test_split(
            &tr_groups,
            cfg.inner_val_fraction,
            cfg.seed.wrapping_add(k as u64),
        )?;
        let tr_idx: Vec<usize> = inner.train.iter().map(|&j| fold.train[j]).collect();
        let va_idx: Vec<usize> = inner.test.iter().map(|&j| fold.train[j]).collect();
        let (tr, va, te) = (
            data.subset(&tr_idx),
            data.subset(&va_idx),
            data.subset(&fold.test),
        );
        let ytr: Vec<usize> = tr_idx.iter().map(|&i| y[i]).collect();
        let yva: Vec<usize> = va_idx.iter().map(|&i| y[i]).collect();
        let mut models = Vec::new();
        for kind in [
            FusionKind::Acoustic,
            FusionKind::Text,
            FusionKind::Early,
            FusionKind::Gmu,
        ] {
            progress(&format!("fold {}/{}: {}", k + 1, folds.len(), kind.name()));
            let nc = NetConfig::new(kind, da, dt, n_classes)
                .hidden(cfg.hidden)
                .dropout(cfg.dropout);
            models.push(fit(&nc, &cfg.fit, (&tr, &ytr), Some((&va, &yva)))?);
        }
        epochs.push([0, 1, 2, 3].map(|m| models[m].epochs_run));
        let late = LateFusion::fit(
            &models[0].predict_proba(&va)?,
            &models[1].predict_proba(&va)?,
            &yva,
        )?;
        late_weights.push(late.acoustic_weight);
        let pa = models[0].predict_proba(&te)?;
        let pt = models[1].predict_proba(&te)?;
        let pe = models[2].predict_proba(&te)?;
        let pg = models[3].predict_proba(&te)?;
        let pe0 = models[2].predict_proba_without_text(&te)?;
        let pg0 = models[3].predict_proba_without_text(&te)?;
        let g = models[3]
            .gate_means(&te)?
            .unwrap_or_else(|| vec![1.0; te.len()]);
        let ecf = text_contribution(&models[2], &te)?;
        let gcf = text_contribution(&models[3], &te)?;
        for (r, &i) in fold.test.iter().enumerate() {
            let has_text = te.text[r].is_some();
            proba[0][i] = pa[r].clone();
            proba[1][i] = pt[r].clone();
            proba[2][i] = pe[r].clone();
            proba[3][i] = late.combine(&pa[r], has_text.then_some(pt[r].as_slice()));
            proba[4][i] = pg[r].clone();
            without[0][i] = pe0[r].clone();
            without[1][i] = pa[r].clone();
            without[2][i] = pg0[r].clone();
            gate[i] = g[r];
            ec[i] = ecf[r];
            gc[i] = gcf[r];
        }
    }
    Ok(CvOutcome {
        proba,
        proba_without_text: without,
        gmu_gate: gate,
        early_text_contribution: ec,
        gmu_text_contribution: gc,
        late_weights,
        epochs,
    })
}

/// UA and macro-F1 with percentile bootstrap confidence intervals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Unweighted accuracy (macro recall).
    pub ua: ConfidenceInterval,
    /// Macro-averaged F1.
    pub macro_f1: ConfidenceInterval,
}

fn ua_of(y: &[usize], p: &[usize], idx: &[usize]) -> f64 {
    let yt: Vec<usize> = idx.iter().map(|&i| y[i]).collect();
    let yp: Vec<usize> = idx.iter().map(|&i| p[i]).collect();
    ser_metrics::unweighted_accuracy(&yt, &yp).unwrap_or(f64::NAN)
}

fn f1_of(y: &[usize], p: &[usize], idx: &[usize]) -> f64 {
    let yt: Vec<usize> = idx.iter().map(|&i| y[i]).collect();
    let yp: Vec<usize> = idx.iter().map(|&i| p[i]).collect();
    f1_score(&yt, &yp, Average::Macro, ZeroDivision::Zero).unwrap_or(f64::NAN)
}

/// UA and macro-F1 of `pred` with bootstrap CIs (`ser_metrics::bootstrap_ci`).
pub fn scores(y: &[usize], pred: &[usize], boot: &BootstrapOptions) -> Result<Scores> {
    if y.len() != pred.len() {
        return Err(Error::ShapeMismatch {
            what: "predictions".into(),
            expected: y.len(),
            got: pred.len(),
        });
    }
    Ok(Scores {
        ua: bootstrap_ci(y.len(), boot, |idx| ua_of(y, pred, idx))?,
        macro_f1: bootstrap_ci(y.len(), boot, |idx| f1_of(y, pred, idx))?,
    })
}

/// Paired bootstrap CI of `UA(pred_b) − UA(pred_a)` (same resampled utterances for both).
pub fn paired_difference(
    y: &[usize],
    pred_a: &[usize],
    pred_b: &[usize],
    boot: &BootstrapOptions,
) -> Result<ConfidenceInterval> {
    if y.len() != pred_a.len() || y.len() != pred_b.len() {
        return Err(Error::ShapeMismatch {
            what: "predictions".into(),
            expected: y.len(),
            got: pred_a.len().min(pred_b.len()),
        });
    }
    Ok(bootstrap_ci(y.len(), boot, |idx| {
        ua_of(y, pred_b, idx) - ua_of(y, pred_a, idx)
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ser_metrics::protocol::group_k_fold;
    use ser_models::TrainConfig;

    #[test]
    fn cross_validation_pools_every_utterance_once() {
        let (data, y) = crate::train::tests::toy(120, 7);
        let groups: Vec<String> = (0..120).map(|i| format!("spk{}", i % 6)).collect();
        let folds = group_k_fold(&groups, 3).expect("folds");
        let cfg = CvConfig::default().hidden(8).fit(
            FitConfig::default().train(TrainConfig::default().epochs(60).lr(3e-3).batch_size(16)),
        );
        let mut msgs = 0;
        let out = cross_validate(&data, &y, 4, &groups, &folds, &cfg, |_| msgs += 1).expect("cv");
        assert_eq!(msgs, 12);
        assert_eq!(out.late_weights.len(), 3);
        for m in 0..5 {
            assert!(out.proba[m].iter().all(|p| p.len() == 4));
        }
        let boot = BootstrapOptions::default().n_resamples(200);
        let early = scores(&y, &out.pred(2), &boot).expect("scores");
        let acoustic = scores(&y, &out.pred(0), &boot).expect("scores");
        assert!(
            early.ua.estimate > acoustic.ua.estimate,
            "{early:?} vs {acoustic:?}"
        );
        assert!(early.ua.lower <= early.ua.estimate && early.ua.estimate <= early.ua.upper);
        let d = paired_difference(&y, &out.pred(0), &out.pred(2), &boot).expect("diff");
        assert!(d.lower > 0.0);
    }

    #[test]
    fn rejects_bad_folds() {
        let (data, y) = crate::train::tests::toy(8, 1);
        let groups: Vec<String> = (0..8).map(|i| format!("s{}", i % 2)).collect();
        let folds = vec![Fold {
            train: vec![0, 1],
            test: vec![2],
        }];
        assert!(
            cross_validate(&data, &y, 4, &groups, &folds, &CvConfig::default(), |_| {}).is_err()
        );
    }
}
