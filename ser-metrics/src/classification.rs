//! Label-based classification metrics (scikit-learn 1.9 semantics).
//!
//! Every function here is computed from a [`ConfusionMatrix`]; the slice-level functions
//! (`accuracy_score`, `f1_score`, ...) build one and delegate, so streaming evaluation
//! ([`crate::StreamingEvaluator`]) gives identical numbers.
//!
//! ## Label sets
//! As in scikit-learn, when `labels` is `None` the metrics use the classes *present* in
//! `y_true` or `y_pred` (`unique_labels`); classes that occur in neither are ignored. Pass
//! `labels: Some((0..n).collect())` to include every class.
//!
//! ## SER conventions
//! * **UA** (unweighted accuracy, a.k.a. unweighted average recall, UAR) is the mean of the
//!   per-class recalls = sklearn `balanced_accuracy_score` ([`unweighted_accuracy`]).
//! * **WA** (weighted accuracy) is the per-class recall weighted by class support, which is
//!   algebraically the plain overall accuracy = sklearn `accuracy_score`
//!   ([`weighted_accuracy`]). Some papers use "WA" for other things; this crate means
//!   overall accuracy.

use serde::{Deserialize, Serialize};

use crate::confusion::{check_same_len, ConfusionMatrix};
use crate::error::{Error, Result};
use crate::protocol::np_sum;

/// What a precision / recall / F-score with a zero denominator becomes (scikit-learn's
/// `zero_division`). Default: [`ZeroDivision::Warn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ZeroDivision {
    /// sklearn `"warn"`: the value is 0 and the result's `ill_defined` flag is set where
    /// sklearn would emit an `UndefinedMetricWarning`. Default.
    #[default]
    Warn,
    /// `0.0`, silently.
    Zero,
    /// `1.0`, silently.
    One,
    /// `np.nan`; NaN entries are then left out of macro / weighted averages (sklearn's
    /// `_nanaverage`).
    Nan,
}

impl ZeroDivision {
    fn value(self) -> f64 {
        match self {
            ZeroDivision::Warn | ZeroDivision::Zero => 0.0,
            ZeroDivision::One => 1.0,
            ZeroDivision::Nan => f64::NAN,
        }
    }
}

/// How per-class scores are averaged (sklearn `average`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Average {
    /// Global counts of true positives, false positives and false negatives.
    Micro,
    /// Unweighted mean over labels (macro-F1, macro recall = UA when all classes are present).
    Macro,
    /// Mean over labels weighted by support (number of true samples).
    Weighted,
}

/// Which metrics hit a zero denominator under [`ZeroDivision::Warn`] (sklearn would warn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IllDefined {
    /// Precision: some label had no predicted samples.
    pub precision: bool,
    /// Recall: some label had no true samples.
    pub recall: bool,
    /// F-score: some label had neither true nor predicted samples.
    pub f_score: bool,
}

impl IllDefined {
    /// `true` if any flag is set.
    pub fn any(&self) -> bool {
        self.precision || self.recall || self.f_score
    }
}

/// Options of [`precision_recall_fscore_support`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrfOptions {
    /// Labels to score, in output order. Default: `None` = classes present in `y_true` or
    /// `y_pred`, ascending (sklearn).
    pub labels: Option<Vec<usize>>,
    /// Zero-denominator policy. Default: [`ZeroDivision::Warn`] (sklearn).
    pub zero_division: ZeroDivision,
    /// Weight of recall in the F-score (`fbeta_score`). Default: `1.0` (F1).
    pub beta: f64,
}

impl Default for PrfOptions {
    fn default() -> Self {
        Self {
            labels: None,
            zero_division: ZeroDivision::Warn,
            beta: 1.0,
        }
    }
}

impl PrfOptions {
    /// Sets `labels`.
    pub fn labels(mut self, labels: Vec<usize>) -> Self {
        self.labels = Some(labels);
        self
    }
    /// Sets `zero_division`.
    pub fn zero_division(mut self, zd: ZeroDivision) -> Self {
        self.zero_division = zd;
        self
    }
    /// Sets `beta`.
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }
}

/// Per-class precision, recall, F-score and support (sklearn
/// `precision_recall_fscore_support(average=None)`), with the counts needed for averaging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassScores {
    /// The labels scored, in output order.
    pub labels: Vec<usize>,
    /// Precision per label.
    pub precision: Vec<f64>,
    /// Recall per label.
    pub recall: Vec<f64>,
    /// F-beta score per label.
    pub f_score: Vec<f64>,
    /// Number of true samples per label.
    pub support: Vec<u64>,
    /// True positives per label.
    pub tp: Vec<u64>,
    /// Predicted samples per label.
    pub pred_sum: Vec<u64>,
    /// Zero-denominator flags (only set with [`ZeroDivision::Warn`]).
    pub ill_defined: IllDefined,
    /// The policy used.
    pub zero_division: ZeroDivision,
    /// The beta used.
    pub beta: f64,
}

/// Averaged precision, recall and F-score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AverageScores {
    /// Averaged precision.
    pub precision: f64,
    /// Averaged recall.
    pub recall: f64,
    /// Averaged F-beta score.
    pub f_score: f64,
    /// Zero-denominator flags (only set with [`ZeroDivision::Warn`]).
    pub ill_defined: IllDefined,
}

/// `_prf_divide`: element-wise division with the zero-division policy. Returns the flag.
fn prf_divide(num: &[f64], den: &[f64], zd: ZeroDivision) -> (Vec<f64>, bool) {
    let mut flag = false;
    let out = num
        .iter()
        .zip(den)
        .map(|(&n, &d)| {
            if d == 0.0 {
                flag = true;
                zd.value()
            } else {
                n / d
            }
        })
        .collect();
    (out, flag && zd == ZeroDivision::Warn)
}

/// `(precision, recall, f, ill_defined)` from summed counts, sklearn's formulas.
fn prf_from_counts(
    tp: &[f64],
    pred: &[f64],
    truth: &[f64],
    beta: f64,
    zd: ZeroDivision,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, IllDefined) {
    let (p, fp) = prf_divide(tp, pred, zd);
    let (r, fr) = prf_divide(tp, truth, zd);
    let (f, ff) = if beta.is_infinite() {
        (r.clone(), false)
    } else if beta == 0.0 {
        (p.clone(), false)
    } else {
        let b2 = beta * beta;
        let num: Vec<f64> = tp.iter().map(|&t| (1.0 + b2) * t).collect();
        let den: Vec<f64> = truth.iter().zip(pred).map(|(&t, &p)| b2 * t + p).collect();
        prf_divide(&num, &den, zd)
    };
    (
        p,
        r,
        f,
        IllDefined {
            precision: fp,
            recall: fr,
            f_score: ff,
        },
    )
}

/// sklearn `_nanaverage`: ignores NaN; with weights, all-zero weights fall back to the mean.
fn nan_average(a: &[f64], weights: Option<&[f64]>) -> f64 {
    let keep: Vec<usize> = (0..a.len()).filter(|&i| !a[i].is_nan()).collect();
    if keep.is_empty() {
        return f64::NAN;
    }
    let vals: Vec<f64> = keep.iter().map(|&i| a[i]).collect();
    if let Some(w) = weights {
        let ws: Vec<f64> = keep.iter().map(|&i| w[i]).collect();
        let sw = np_sum(&ws);
        if sw != 0.0 {
            let prod: Vec<f64> = vals.iter().zip(&ws).map(|(v, w)| v * w).collect();
            return np_sum(&prod) / sw;
        }
    }
    np_sum(&vals) / vals.len() as f64
}

impl ClassScores {
    /// Averages the per-class scores (sklearn `average='micro'|'macro'|'weighted'`).
    pub fn average(&self, average: Average) -> AverageScores {
        match average {
            Average::Micro => {
                let tp: u64 = self.tp.iter().sum();
                let pred: u64 = self.pred_sum.iter().sum();
                let truth: u64 = self.support.iter().sum();
                let (p, r, f, ill) = prf_from_counts(
                    &[tp as f64],
                    &[pred as f64],
                    &[truth as f64],
                    self.beta,
                    self.zero_division,
                );
                AverageScores {
                    precision: p[0],
                    recall: r[0],
                    f_score: f[0],
                    ill_defined: ill,
                }
            }
            Average::Macro | Average::Weighted => {
                let w: Vec<f64> = self.support.iter().map(|&s| s as f64).collect();
                let w = (average == Average::Weighted).then_some(w.as_slice());
                AverageScores {
                    precision: nan_average(&self.precision, w),
                    recall: nan_average(&self.recall, w),
                    f_score: nan_average(&self.f_score, w),
                    ill_defined: self.ill_defined,
                }
            }
        }
    }
}

impl ConfusionMatrix {
    fn resolve_labels(&self, labels: Option<&[usize]>) -> Result<Vec<usize>> {
        match labels {
            None => {
                let l = self.present_labels();
                if l.is_empty() {
                    return Err(Error::Empty { what: "y_true" });
                }
                Ok(l)
            }
            Some(l) => {
                if l.is_empty() {
                    return Err(Error::Empty { what: "labels" });
                }
                if let Some(&bad) = l.iter().find(|&&x| x >= self.n_classes()) {
                    return Err(Error::UnknownLabel {
                        label: bad,
                        n_classes: self.n_classes(),
                    });
                }
                Ok(l.to_vec())
            }
        }
    }

    fn check_nonempty(&self) -> Result<()> {
        if self.total() == 0 {
            return Err(Error::Empty { what: "y_true" });
        }
        Ok(())
    }

    /// Overall accuracy (sklearn `accuracy_score`; SER "WA").
    ///
    /// # Errors
    /// [`Error::Empty`] when no sample was added.
    pub fn accuracy(&self) -> Result<f64> {
        self.check_nonempty()?;
        let correct: u64 = self.diagonal().iter().sum();
        Ok(correct as f64 / self.total() as f64)
    }

    /// Mean per-class recall over the classes present in `y_true` (sklearn
    /// `balanced_accuracy_score`; SER "UA"). With `adjusted`, rescaled so chance is 0 and
    /// perfect is 1.
    ///
    /// # Errors
    /// [`Error::Empty`] when no sample was added.
    pub fn balanced_accuracy(&self, adjusted: bool) -> Result<f64> {
        self.check_nonempty()?;
        let diag = self.diagonal();
        let per_class: Vec<f64> = self
            .true_counts()
            .iter()
            .zip(&diag)
            .filter(|(&t, _)| t > 0)
            .map(|(&t, &d)| d as f64 / t as f64)
            .collect();
        let mut score = np_sum(&per_class) / per_class.len() as f64;
        if adjusted {
            let chance = 1.0 / per_class.len() as f64;
            score -= chance;
            score /= 1.0 - chance;
        }
        Ok(score)
    }

    /// Per-class precision, recall, F-beta and support (sklearn
    /// `precision_recall_fscore_support(average=None)`); average with
    /// [`ClassScores::average`].
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::UnknownLabel`] for a label `>= n_classes`,
    /// [`Error::InvalidParameter`] for a negative or NaN `beta`.
    pub fn class_scores(&self, options: &PrfOptions) -> Result<ClassScores> {
        self.check_nonempty()?;
        if options.beta.is_nan() || options.beta < 0.0 {
            return Err(Error::InvalidParameter {
                name: "beta",
                reason: format!("must be >= 0, got {}", options.beta),
            });
        }
        let labels = self.resolve_labels(options.labels.as_deref())?;
        let diag = self.diagonal();
        let tc = self.true_counts();
        let pc = self.pred_counts();
        let tp: Vec<u64> = labels.iter().map(|&l| diag[l]).collect();
        let pred_sum: Vec<u64> = labels.iter().map(|&l| pc[l]).collect();
        let support: Vec<u64> = labels.iter().map(|&l| tc[l]).collect();
        let f = |v: &[u64]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
        let (precision, recall, f_score, ill_defined) = prf_from_counts(
            &f(&tp),
            &f(&pred_sum),
            &f(&support),
            options.beta,
            options.zero_division,
        );
        Ok(ClassScores {
            labels,
            precision,
            recall,
            f_score,
            support,
            tp,
            pred_sum,
            ill_defined,
            zero_division: options.zero_division,
            beta: options.beta,
        })
    }

    /// Cohen's kappa between the true and predicted labels (sklearn `cohen_kappa_score`),
    /// over `labels` (default: present classes, in ascending order — the order defines the
    /// distances of the linear / quadratic weights). Undefined cases (no sample with a label
    /// in `labels`, or zero expected disagreement) give NaN, sklearn's default
    /// `replace_undefined_by=np.nan`.
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::UnknownLabel`].
    pub fn cohen_kappa(&self, labels: Option<&[usize]>, weights: KappaWeights) -> Result<f64> {
        self.check_nonempty()?;
        let labels = self.resolve_labels(labels)?;
        let sub = self.restricted(&labels)?;
        let k = sub.n_classes();
        let conf: Vec<f64> = sub.counts().iter().map(|&c| c as f64).collect();
        let sum0: Vec<f64> = sub.pred_counts().iter().map(|&c| c as f64).collect();
        let sum1: Vec<f64> = sub.true_counts().iter().map(|&c| c as f64).collect();
        let total = np_sum(&sum0);
        if total == 0.0 {
            return Ok(f64::NAN);
        }
        let w = |i: usize, j: usize| -> f64 {
            match weights {
                KappaWeights::None => f64::from(u8::from(i != j)),
                KappaWeights::Linear => (i as f64 - j as f64).abs(),
                KappaWeights::Quadratic => (i as f64 - j as f64).powi(2),
            }
        };
        let mut wc = Vec::with_capacity(k * k);
        let mut we = Vec::with_capacity(k * k);
        for i in 0..k {
            for j in 0..k {
                wc.push(w(i, j) * conf[i * k + j]);
                we.push(w(i, j) * (sum0[i] * sum1[j] / total));
            }
        }
        let den = np_sum(&we);
        if den == 0.0 {
            return Ok(f64::NAN);
        }
        Ok(1.0 - np_sum(&wc) / den)
    }
}

/// Weighting of disagreements in Cohen's kappa (sklearn `weights`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum KappaWeights {
    /// Unweighted kappa (all disagreements cost 1). Default.
    #[default]
    None,
    /// Cost `|i - j|` between label positions `i`, `j`.
    Linear,
    /// Cost `(i - j)²`.
    Quadratic,
}

fn cm_from(
    y_true: &[usize],
    y_pred: &[usize],
    labels: Option<&[usize]>,
) -> Result<ConfusionMatrix> {
    check_same_len(y_true.len(), y_pred.len(), "y_pred")?;
    if y_true.is_empty() {
        return Err(Error::Empty { what: "y_true" });
    }
    let max_data = y_true.iter().chain(y_pred).copied().max().unwrap_or(0);
    let max_lab = labels.and_then(|l| l.iter().copied().max()).unwrap_or(0);
    ConfusionMatrix::from_predictions(y_true, y_pred, Some(max_data.max(max_lab) + 1))
}

/// Index of the largest value: the predicted class of a probability or score row.
/// Ties go to the first index (as `numpy.argmax`); NaN never wins; 0 for an empty row.
///
/// ```
/// assert_eq!(ser_metrics::argmax(&[0.1, 0.7, 0.2]), 1);
/// assert_eq!(ser_metrics::argmax(&[0.5, 0.5]), 0);
/// assert_eq!(ser_metrics::argmax(&[f32::NAN, 0.2]), 1);
/// ```
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] || row[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best
}

/// Fraction of correct predictions (sklearn `accuracy_score`).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::Empty`].
pub fn accuracy_score(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    cm_from(y_true, y_pred, None)?.accuracy()
}

/// SER "weighted accuracy" (WA): the overall accuracy, identical to [`accuracy_score`].
///
/// # Errors
/// As [`accuracy_score`].
pub fn weighted_accuracy(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    accuracy_score(y_true, y_pred)
}

/// sklearn `balanced_accuracy_score(y_true, y_pred, adjusted=adjusted)`.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::Empty`].
pub fn balanced_accuracy_score(y_true: &[usize], y_pred: &[usize], adjusted: bool) -> Result<f64> {
    cm_from(y_true, y_pred, None)?.balanced_accuracy(adjusted)
}

/// SER "unweighted accuracy" (UA, UAR): mean per-class recall, identical to
/// [`balanced_accuracy_score`] with `adjusted = false`.
///
/// # Errors
/// As [`balanced_accuracy_score`].
pub fn unweighted_accuracy(y_true: &[usize], y_pred: &[usize]) -> Result<f64> {
    balanced_accuracy_score(y_true, y_pred, false)
}

/// sklearn `precision_recall_fscore_support(y_true, y_pred, average=None, ...)`.
///
/// ```
/// use ser_metrics::{precision_recall_fscore_support, Average, PrfOptions};
/// let s = precision_recall_fscore_support(&[0, 1, 2, 0, 1, 2], &[0, 2, 1, 0, 0, 1], &PrfOptions::default()).unwrap();
/// assert_eq!(s.precision, vec![2.0 / 3.0, 0.0, 0.0]);
/// assert!((s.average(Average::Macro).f_score - 0.26666666666666666).abs() < 1e-15);
/// ```
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::Empty`], [`Error::InvalidParameter`] (beta).
pub fn precision_recall_fscore_support(
    y_true: &[usize],
    y_pred: &[usize],
    options: &PrfOptions,
) -> Result<ClassScores> {
    cm_from(y_true, y_pred, options.labels.as_deref())?.class_scores(options)
}

/// Averaged F1 (sklearn `f1_score(average=...)`).
///
/// # Errors
/// As [`precision_recall_fscore_support`].
pub fn f1_score(
    y_true: &[usize],
    y_pred: &[usize],
    average: Average,
    zero_division: ZeroDivision,
) -> Result<f64> {
    let o = PrfOptions::default().zero_division(zero_division);
    Ok(precision_recall_fscore_support(y_true, y_pred, &o)?
        .average(average)
        .f_score)
}

/// Averaged precision (sklearn `precision_score(average=...)`).
///
/// # Errors
/// As [`precision_recall_fscore_support`].
pub fn precision_score(
    y_true: &[usize],
    y_pred: &[usize],
    average: Average,
    zero_division: ZeroDivision,
) -> Result<f64> {
    let o = PrfOptions::default().zero_division(zero_division);
    Ok(precision_recall_fscore_support(y_true, y_pred, &o)?
        .average(average)
        .precision)
}

/// Averaged recall (sklearn `recall_score(average=...)`).
///
/// # Errors
/// As [`precision_recall_fscore_support`].
pub fn recall_score(
    y_true: &[usize],
    y_pred: &[usize],
    average: Average,
    zero_division: ZeroDivision,
) -> Result<f64> {
    let o = PrfOptions::default().zero_division(zero_division);
    Ok(precision_recall_fscore_support(y_true, y_pred, &o)?
        .average(average)
        .recall)
}

/// sklearn `cohen_kappa_score(y1, y2, labels=labels, weights=weights)`; NaN when undefined.
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::Empty`].
pub fn cohen_kappa_score(
    y1: &[usize],
    y2: &[usize],
    labels: Option<&[usize]>,
    weights: KappaWeights,
) -> Result<f64> {
    cm_from(y1, y2, labels)?.cohen_kappa(labels, weights)
}
