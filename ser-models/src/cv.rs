//! Speaker-independent cross-validation with an inner validation split.
//!
//! For every outer fold (from `ser-metrics`' group protocols, e.g. via `ser-data`), a
//! fraction of the *training* speakers is held out as an inner validation set for early
//! stopping (`ser_metrics::protocol::group_train_test_split`); the test speakers are never
//! seen before the final prediction. Out-of-fold predictions are pooled so every number
//! can be computed once over the whole corpus with `ser-metrics`.

use ser_metrics::argmax;
use ser_metrics::protocol::{group_train_test_split, Fold};
use serde::{Deserialize, Serialize};

use crate::batch::Sequence;
use crate::models::ModelConfig;
use crate::train::{predict_proba, train, Augment, EpochLog, Labeled, TrainConfig, Trained};
use crate::{Error, Result};

/// Cross-validation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CvConfig {
    /// Fraction of training speakers held out for early stopping (`ceil(f · n)` speakers);
    /// 0 trains on all training speakers for the fixed number of epochs. Default: 0.2.
    pub inner_val_fraction: f64,
    /// Seed of the inner split. Default: 0.
    pub seed: u64,
    /// After early stopping picked the best epoch on the inner validation speakers, retrain
    /// on all training speakers (train + validation) for that many epochs. Default: false.
    pub refit: bool,
}

impl Default for CvConfig {
    fn default() -> Self {
        Self {
            inner_val_fraction: 0.2,
            seed: 0,
            refit: false,
        }
    }
}

impl CvConfig {
    /// Sets `inner_val_fraction` (chaining).
    pub fn inner_val_fraction(mut self, v: f64) -> Self {
        self.inner_val_fraction = v;
        self
    }

    /// Sets `seed` (chaining).
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }

    /// Sets `refit` (chaining).
    pub fn refit(mut self, v: bool) -> Self {
        self.refit = v;
        self
    }
}

/// What happened in one outer fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldReport {
    /// 0-based fold index.
    pub fold: usize,
    /// Speakers (groups) tested in this fold.
    pub test_groups: Vec<String>,
    /// Speakers used for inner validation.
    pub val_groups: Vec<String>,
    /// Training / validation / test utterances.
    pub n_train: usize,
    /// Inner validation utterances.
    pub n_val: usize,
    /// Test utterances.
    pub n_test: usize,
    /// Epochs run.
    pub epochs_run: usize,
    /// Epoch whose weights were kept.
    pub best_epoch: usize,
    /// Inner validation UA of the kept weights.
    pub val_ua: Option<f64>,
    /// Test UA of this fold (`ser_metrics::unweighted_accuracy`).
    pub test_ua: f64,
    /// Mean training seconds per epoch.
    pub secs_per_epoch: f64,
}

/// Pooled out-of-fold results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvResult {
    /// Per-fold reports.
    pub folds: Vec<FoldReport>,
    /// Out-of-fold predicted class of every utterance (each predicted exactly once).
    pub pred: Vec<usize>,
    /// Out-of-fold class probabilities of every utterance.
    pub proba: Vec<Vec<f32>>,
}

fn unique_sorted(v: impl Iterator<Item = String>) -> Vec<String> {
    let mut u: Vec<String> = v.collect();
    u.sort();
    u.dedup();
    u
}

/// Runs `folds` (every index tested exactly once) and pools the predictions.
///
/// `on_epoch(fold, log)` is called after every epoch; `on_fold(report, trained)` after every
/// fold (e.g. to save curves).
#[allow(clippy::too_many_arguments)]
pub fn cross_validate(
    cfg: &ModelConfig,
    tcfg: &TrainConfig,
    cv: &CvConfig,
    x: &[Sequence],
    y: &[usize],
    groups: &[String],
    folds: &[Fold],
    augment: Option<&Augment>,
    on_epoch: impl FnMut(usize, &EpochLog),
    on_fold: impl FnMut(&FoldReport, &Trained),
) -> Result<CvResult> {
    cross_validate_with_copies(
        cfg,
        tcfg,
        cv,
        x,
        &[],
        y,
        groups,
        folds,
        augment,
        on_epoch,
        on_fold,
    )
}

/// The training set of the items `idx`: their sequences and labels, then those of every
/// augmented copy of them (`copies[k][i]` is the `k`-th copy of item `i`, labelled `y[i]`),
/// in that order. Every `copies[k]` must be as long as `x`.
///
/// ```
/// use ser_models::{with_copies, Sequence};
/// let one = |v: f32| Sequence::new(vec![v], 1, 1);
/// let x = vec![one(0.0)?, one(1.0)?, one(2.0)?];
/// let noisy = vec![one(0.5)?, one(1.5)?, one(2.5)?]; // one augmented copy of each item
/// let (xs, ys) = with_copies(&x, &[0, 1, 2], &[noisy], &[0, 2]);
/// assert_eq!(ys, vec![0, 2, 0, 2]); // items 0 and 2, then their copies
/// assert_eq!(xs[3].data(), &[2.5]);
/// # Ok::<(), ser_models::Error>(())
/// ```
pub fn with_copies(
    x: &[Sequence],
    y: &[usize],
    copies: &[Vec<Sequence>],
    idx: &[usize],
) -> (Vec<Sequence>, Vec<usize>) {
    let n = idx.len() * (1 + copies.len());
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for c in std::iter::once(x).chain(copies.iter().map(Vec::as_slice)) {
        xs.extend(idx.iter().map(|&i| c[i].clone()));
        ys.extend(idx.iter().map(|&i| y[i]));
    }
    (xs, ys)
}

/// [`cross_validate`] with offline data augmentation: `copies[k][i]` is the `k`-th augmented
/// version of utterance `i` (e.g. its waveform with noise or reverberation added, through
/// the same feature pipeline). The copies of a fold's *training* utterances join its
/// training set (and the refit set); inner validation and test utterances are always the
/// originals, so early stopping and scores see no augmented audio.
#[allow(clippy::too_many_arguments)]
pub fn cross_validate_with_copies(
    cfg: &ModelConfig,
    tcfg: &TrainConfig,
    cv: &CvConfig,
    x: &[Sequence],
    copies: &[Vec<Sequence>],
    y: &[usize],
    groups: &[String],
    folds: &[Fold],
    augment: Option<&Augment>,
    mut on_epoch: impl FnMut(usize, &EpochLog),
    mut on_fold: impl FnMut(&FoldReport, &Trained),
) -> Result<CvResult> {
    let n = x.len();
    if y.len() != n || groups.len() != n {
        return Err(Error::ShapeMismatch {
            what: "labels / groups".into(),
            expected: n.to_string(),
            got: format!("{} / {}", y.len(), groups.len()),
        });
    }
    if let Some(c) = copies.iter().find(|c| c.len() != n) {
        return Err(Error::ShapeMismatch {
            what: "augmented copies".into(),
            expected: n.to_string(),
            got: c.len().to_string(),
        });
    }
    let mut pred: Vec<Option<usize>> = vec![None; n];
    let mut proba: Vec<Vec<f32>> = vec![Vec::new(); n];
    let mut reports = Vec::new();
    for (k, fold) in folds.iter().enumerate() {
        if fold.test.iter().chain(&fold.train).any(|&i| i >= n) {
            return Err(Error::InvalidArgument(format!(
                "fold {k} indexes past {n} items"
            )));
        }
        let test_groups = unique_sorted(fold.test.iter().map(|&i| groups[i].clone()));
        if fold.train.iter().any(|&i| test_groups.contains(&groups[i])) {
            return Err(Error::InvalidArgument(format!(
                "fold {k} is not speaker-independent"
            )));
        }
        let (tr, va): (Vec<usize>, Vec<usize>) = if cv.inner_val_fraction > 0.0 {
            let g: Vec<&String> = fold.train.iter().map(|&i| &groups[i]).collect();
            let split = group_train_test_split(&g, cv.inner_val_fraction, cv.seed + k as u64)
                .map_err(|e| Error::InvalidArgument(format!("inner split: {e}")))?;
            (
                split.train.iter().map(|&j| fold.train[j]).collect(),
                split.test.iter().map(|&j| fold.train[j]).collect(),
            )
        } else {
            (fold.train.clone(), Vec::new())
        };
        // Validation and test: originals only; training: originals and their copies.
        let pick = |idx: &[usize]| with_copies(x, y, &[], idx);
        let pick_train = |idx: &[usize]| with_copies(x, y, copies, idx);
        let (xtr, ytr) = pick_train(&tr);
        let (xva, yva) = pick(&va);
        let (xte, yte) = pick(&fold.test);
        let valid = if va.is_empty() {
            None
        } else {
            Some(Labeled::new(&xva, &yva)?)
        };
        let mut trained = train(cfg, tcfg, Labeled::new(&xtr, &ytr)?, valid, augment, |l| {
            on_epoch(k, l)
        })?;
        if cv.refit && !va.is_empty() {
            let (xall, yall) = pick_train(&fold.train);
            let t2 = tcfg.clone().epochs(trained.best_epoch.max(1));
            let refit = train(cfg, &t2, Labeled::new(&xall, &yall)?, None, augment, |l| {
                on_epoch(k, l)
            })?;
            trained = Trained {
                best_val_ua: trained.best_val_ua,
                best_epoch: trained.best_epoch,
                ..refit
            };
        }
        let p = predict_proba(&trained.model, &xte, 64)?;
        let mut fold_pred = Vec::with_capacity(p.len());
        for (&i, row) in fold.test.iter().zip(p) {
            let c = argmax(&row);
            fold_pred.push(c);
            pred[i] = Some(c);
            proba[i] = row;
        }
        let report = FoldReport {
            fold: k,
            test_groups,
            val_groups: unique_sorted(va.iter().map(|&i| groups[i].clone())),
            n_train: if cv.refit { fold.train.len() } else { tr.len() },
            n_val: va.len(),
            n_test: fold.test.len(),
            epochs_run: trained.history.len(),
            best_epoch: trained.best_epoch,
            val_ua: trained.best_val_ua,
            test_ua: ser_metrics::unweighted_accuracy(&yte, &fold_pred)
                .map_err(|e| Error::InvalidArgument(e.to_string()))?,
            secs_per_epoch: trained.secs_per_epoch,
        };
        on_fold(&report, &trained);
        reports.push(report);
    }
    let pred = pred
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            p.ok_or_else(|| Error::InvalidArgument(format!("item {i} is in no test fold")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(CvResult {
        folds: reports,
        pred,
        proba,
    })
}

/// A metric with its percentile-bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MetricCi {
    /// Value on all pooled predictions.
    pub estimate: f64,
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// Scores of pooled out-of-fold predictions, all computed with `ser-metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PooledScores {
    /// Number of predictions.
    pub n: usize,
    /// Accuracy (weighted accuracy, WA).
    pub accuracy: MetricCi,
    /// Unweighted accuracy (mean per-class recall).
    pub ua: MetricCi,
    /// Macro precision over all classes.
    pub macro_precision: MetricCi,
    /// Macro recall over all classes.
    pub macro_recall: MetricCi,
    /// Macro F1 over all classes.
    pub macro_f1: MetricCi,
    /// Recall of each class.
    pub per_class_recall: Vec<f64>,
    /// Bootstrap resamples and confidence level used.
    pub bootstrap: (usize, f64),
}

/// Accuracy, UA and macro P/R/F1 with percentile-bootstrap 95 % CIs (`n_resamples`
/// resamples of utterances, seeded) over pooled predictions.
pub fn pooled_scores(
    y: &[usize],
    pred: &[usize],
    n_classes: usize,
    n_resamples: usize,
    seed: u64,
) -> Result<PooledScores> {
    use ser_metrics::{
        accuracy_score, bootstrap_ci, precision_recall_fscore_support, unweighted_accuracy,
        Average, BootstrapOptions, PrfOptions, ZeroDivision,
    };
    let opts = BootstrapOptions::default()
        .n_resamples(n_resamples)
        .confidence(0.95)
        .seed(seed);
    let prf_opts = PrfOptions::default()
        .labels((0..n_classes).collect())
        .zero_division(ZeroDivision::Zero);
    let sub = |idx: &[usize]| -> (Vec<usize>, Vec<usize>) {
        (
            idx.iter().map(|&i| y[i]).collect(),
            idx.iter().map(|&i| pred[i]).collect(),
        )
    };
    let ci = |f: &dyn Fn(&[usize], &[usize]) -> f64| -> Result<MetricCi> {
        let c = bootstrap_ci(y.len(), &opts, |idx| {
            let (a, b) = sub(idx);
            f(&a, &b)
        })
        .map_err(Error::from)?;
        Ok(MetricCi {
            estimate: c.estimate,
            lower: c.lower,
            upper: c.upper,
        })
    };
    let prf = |a: &[usize], b: &[usize], which: usize| -> f64 {
        match precision_recall_fscore_support(a, b, &prf_opts) {
            Ok(s) => {
                let m = s.average(Average::Macro);
                [m.precision, m.recall, m.f_score][which]
            }
            Err(_) => f64::NAN,
        }
    };
    let full = precision_recall_fscore_support(y, pred, &prf_opts).map_err(Error::from)?;
    Ok(PooledScores {
        n: y.len(),
        accuracy: ci(&|a, b| accuracy_score(a, b).unwrap_or(f64::NAN))?,
        ua: ci(&|a, b| unweighted_accuracy(a, b).unwrap_or(f64::NAN))?,
        macro_precision: ci(&|a, b| prf(a, b, 0))?,
        macro_recall: ci(&|a, b| prf(a, b, 1))?,
        macro_f1: ci(&|a, b| prf(a, b, 2))?,
        per_class_recall: full.recall.clone(),
        bootstrap: (n_resamples, 0.95),
    })
}
