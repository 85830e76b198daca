//! Metrics on class scores / probabilities: top-k accuracy and log loss (scikit-learn 1.9).
//!
//! Scores are row-major `(n_samples, n_classes)` slices: row `i` holds the scores of sample
//! `i` for classes `0..n_classes`.

use crate::confusion::check_same_len;
use crate::error::{Error, Result};
use crate::protocol::np_sum;

pub(crate) fn check_scores(y_true: &[usize], scores: &[f64], n_classes: usize) -> Result<()> {
    if n_classes == 0 {
        return Err(Error::InvalidParameter {
            name: "n_classes",
            reason: "must be at least 1".into(),
        });
    }
    if y_true.is_empty() {
        return Err(Error::Empty { what: "y_true" });
    }
    check_same_len(
        y_true.len() * n_classes,
        scores.len(),
        "scores (n_samples * n_classes)",
    )?;
    if let Some(&bad) = y_true.iter().find(|&&t| t >= n_classes) {
        return Err(Error::UnknownLabel {
            label: bad,
            n_classes,
        });
    }
    if let Some(index) = scores.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "scores",
            index,
        });
    }
    Ok(())
}

/// Whether sample `t`'s true class is among the `k` best-scored classes of `row`, ranking
/// ties as sklearn does (stable ascending argsort, reversed: among equal scores the larger
/// class index ranks higher).
#[inline]
pub(crate) fn top_k_hit(row: &[f64], t: usize, k: usize) -> bool {
    let st = row[t];
    let mut rank = 0usize;
    for (c, &s) in row.iter().enumerate() {
        if s > st || (s == st && c > t) {
            rank += 1;
            if rank >= k {
                return false;
            }
        }
    }
    true
}

fn check_k(k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::InvalidParameter {
            name: "k",
            reason: "must be at least 1".into(),
        });
    }
    Ok(())
}

/// Fraction of samples whose true class is among the `k` highest scores (sklearn
/// `top_k_accuracy_score(y_true, y_score, k=k, labels=range(n_classes))` for multiclass
/// scores, `n_classes >= 3`). `k >= n_classes` gives 1 (sklearn warns). With two classes
/// sklearn expects 1-D scores and thresholds them; here 2-D scores are ranked, which only
/// differs on exact ties.
///
/// ```
/// use ser_metrics::top_k_accuracy_score;
/// let scores = [0.5, 0.2, 0.3,  0.1, 0.1, 0.8];
/// assert_eq!(top_k_accuracy_score(&[2, 2], &scores, 3, 2).unwrap(), 1.0);
/// assert_eq!(top_k_accuracy_score(&[2, 2], &scores, 3, 1).unwrap(), 0.5);
/// ```
///
/// # Errors
/// [`Error::Empty`], [`Error::LengthMismatch`], [`Error::UnknownLabel`],
/// [`Error::NonFinite`], [`Error::InvalidParameter`] for `k == 0`.
pub fn top_k_accuracy_score(
    y_true: &[usize],
    scores: &[f64],
    n_classes: usize,
    k: usize,
) -> Result<f64> {
    check_k(k)?;
    check_scores(y_true, scores, n_classes)?;
    let hits = y_true
        .iter()
        .zip(scores.chunks_exact(n_classes))
        .filter(|(&t, row)| top_k_hit(row, t, k))
        .count();
    Ok(hits as f64 / y_true.len() as f64)
}

/// Per-sample log loss `-ln(clip(p[true], eps, 1 - eps))`, `eps = f64::EPSILON`.
#[inline]
pub(crate) fn sample_log_loss(row: &[f64], t: usize) -> f64 {
    let eps = f64::EPSILON;
    -row[t].clamp(eps, 1.0 - eps).ln()
}

pub(crate) fn check_probabilities(proba: &[f64]) -> Result<()> {
    if let Some(index) = proba.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "proba",
            index,
        });
    }
    if let Some(&v) = proba.iter().find(|&&v| !(0.0..=1.0).contains(&v)) {
        return Err(Error::InvalidParameter {
            name: "proba",
            reason: format!("probabilities must be in [0, 1], got {v}"),
        });
    }
    Ok(())
}

/// Cross-entropy loss (sklearn 1.9 `log_loss(y_true, y_proba, labels=range(n_classes),
/// normalize=normalize)`).
///
/// Scikit-learn 1.9 rules: probabilities must lie in `[0, 1]` (else error); they are clipped
/// to `[eps, 1 - eps]` with `eps = f64::EPSILON`; rows are **not** renormalised (sklearn only
/// warns when a row does not sum to 1 within `rtol = sqrt(eps)`; check with
/// [`rows_sum_to_one`]). `normalize = true` gives the mean over samples, `false` the sum.
///
/// ```
/// use ser_metrics::log_loss;
/// let p = [0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65];
/// let l = log_loss(&[1, 0, 0, 1], &p, 2, true).unwrap();
/// assert!((l - 0.21616187468057912).abs() < 1e-15);
/// ```
///
/// # Errors
/// [`Error::Empty`], [`Error::LengthMismatch`], [`Error::UnknownLabel`], [`Error::NonFinite`],
/// [`Error::InvalidParameter`] for values outside `[0, 1]` or `n_classes < 2`.
pub fn log_loss(y_true: &[usize], proba: &[f64], n_classes: usize, normalize: bool) -> Result<f64> {
    if n_classes < 2 {
        return Err(Error::InvalidParameter {
            name: "n_classes",
            reason: format!("log loss needs at least 2 classes, got {n_classes}"),
        });
    }
    check_scores(y_true, proba, n_classes)?;
    check_probabilities(proba)?;
    let losses: Vec<f64> = y_true
        .iter()
        .zip(proba.chunks_exact(n_classes))
        .map(|(&t, row)| sample_log_loss(row, t))
        .collect();
    let s = np_sum(&losses);
    Ok(if normalize {
        s / losses.len() as f64
    } else {
        s
    })
}

/// `true` if every row of `proba` sums to 1 within sklearn's tolerance
/// (`isclose(sum, 1, rtol=sqrt(eps), atol=1e-8)`); sklearn warns otherwise.
/// Returns `false` for a length that is not a multiple of `n_classes`.
pub fn rows_sum_to_one(proba: &[f64], n_classes: usize) -> bool {
    if n_classes == 0 || proba.len() % n_classes != 0 {
        return false;
    }
    let rtol = f64::EPSILON.sqrt();
    proba
        .chunks_exact(n_classes)
        .all(|r| (np_sum(r) - 1.0).abs() <= 1e-8 + rtol)
}
