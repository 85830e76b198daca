//! Percentile bootstrap confidence intervals for any scalar metric.

use rand::distributions::{Distribution, Uniform};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Options of [`bootstrap_ci`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BootstrapOptions {
    /// Number of resamples. Default: 1000.
    pub n_resamples: usize,
    /// Two-sided confidence level in `(0, 1)`. Default: 0.95.
    pub confidence: f64,
    /// Seed of the ChaCha8 generator drawing the resamples. Default: 0.
    pub seed: u64,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        Self {
            n_resamples: 1000,
            confidence: 0.95,
            seed: 0,
        }
    }
}

impl BootstrapOptions {
    /// Sets `n_resamples`.
    pub fn n_resamples(mut self, n: usize) -> Self {
        self.n_resamples = n;
        self
    }
    /// Sets `confidence`.
    pub fn confidence(mut self, c: f64) -> Self {
        self.confidence = c;
        self
    }
    /// Sets `seed`.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
}

/// A bootstrap confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceInterval {
    /// The metric on the full sample (indices `0..n`).
    pub estimate: f64,
    /// Lower percentile bound.
    pub lower: f64,
    /// Upper percentile bound.
    pub upper: f64,
    /// Standard deviation of the finite bootstrap replicates (ddof = 1).
    pub std_error: f64,
    /// Confidence level.
    pub confidence: f64,
    /// Replicates whose metric was finite (used for the interval).
    pub n_valid: usize,
    /// Replicates whose metric was NaN / infinite (e.g. a class missing in the resample), dropped.
    pub n_invalid: usize,
}

/// NumPy's default (`linear`) percentile of sorted data, `q` in `[0, 1]`.
pub fn percentile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// Percentile bootstrap CI of `metric` over `n` samples.
///
/// `metric` receives the indices of one resample (`n` draws with replacement from `0..n`,
/// reproducible for a given `seed`) and returns the metric on those samples; it is first
/// called with `0..n` for the point estimate. Non-finite replicates are dropped and counted.
///
/// ```
/// use ser_metrics::{accuracy_score, bootstrap_ci, BootstrapOptions};
/// let y_true = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0];
/// let y_pred = [0, 1, 2, 0, 2, 2, 1, 1, 2, 0];
/// let ci = bootstrap_ci(y_true.len(), &BootstrapOptions::default().n_resamples(200), |idx| {
///     let t: Vec<usize> = idx.iter().map(|&i| y_true[i]).collect();
///     let p: Vec<usize> = idx.iter().map(|&i| y_pred[i]).collect();
///     accuracy_score(&t, &p).unwrap_or(f64::NAN)
/// }).unwrap();
/// assert!(ci.lower <= ci.estimate && ci.estimate <= ci.upper);
/// ```
///
/// # Errors
/// [`Error::Empty`] for `n == 0`, [`Error::InvalidParameter`] for `n_resamples == 0` or a
/// confidence outside `(0, 1)`, or when no replicate is finite.
pub fn bootstrap_ci<F: FnMut(&[usize]) -> f64>(
    n: usize,
    options: &BootstrapOptions,
    mut metric: F,
) -> Result<ConfidenceInterval> {
    if n == 0 {
        return Err(Error::Empty { what: "samples" });
    }
    if options.n_resamples == 0 {
        return Err(Error::InvalidParameter {
            name: "n_resamples",
            reason: "must be at least 1".into(),
        });
    }
    let c = options.confidence;
    if !(c > 0.0 && c < 1.0) {
        return Err(Error::InvalidParameter {
            name: "confidence",
            reason: format!("must be in (0, 1), got {c}"),
        });
    }
    let all: Vec<usize> = (0..n).collect();
    let estimate = metric(&all);
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let draw = Uniform::new(0, n);
    let mut idx = vec![0usize; n];
    let mut reps = Vec::with_capacity(options.n_resamples);
    let mut n_invalid = 0;
    for _ in 0..options.n_resamples {
        for v in idx.iter_mut() {
            *v = draw.sample(&mut rng);
        }
        let m = metric(&idx);
        if m.is_finite() {
            reps.push(m);
        } else {
            n_invalid += 1;
        }
    }
    if reps.is_empty() {
        return Err(Error::InvalidParameter {
            name: "metric",
            reason: "no bootstrap replicate was finite".into(),
        });
    }
    reps.sort_by(f64::total_cmp);
    let alpha = (1.0 - c) / 2.0;
    let m = reps.iter().sum::<f64>() / reps.len() as f64;
    let std_error = if reps.len() > 1 {
        (reps.iter().map(|r| (r - m) * (r - m)).sum::<f64>() / (reps.len() - 1) as f64).sqrt()
    } else {
        0.0
    };
    Ok(ConfidenceInterval {
        estimate,
        lower: percentile_sorted(&reps, alpha),
        upper: percentile_sorted(&reps, 1.0 - alpha),
        std_error,
        confidence: c,
        n_valid: reps.len(),
        n_invalid,
    })
}

/// Fast bootstrap for confusion-matrix metrics: each resample is accumulated straight into
/// a [`ConfusionMatrix`](crate::ConfusionMatrix) (no per-resample label vectors) and `metric` reads it, e.g.
/// `|cm| cm.balanced_accuracy(false).unwrap_or(f64::NAN)`. Same resampling and interval as
/// [`bootstrap_ci`] with the same seed.
///
/// ```
/// use ser_metrics::{bootstrap_confusion_ci, BootstrapOptions};
/// let ci = bootstrap_confusion_ci(&[0, 1, 1, 2, 2, 2], &[0, 1, 2, 2, 2, 1], 3,
///     &BootstrapOptions::default(), |cm| cm.accuracy().unwrap_or(f64::NAN)).unwrap();
/// assert!((ci.estimate - 4.0 / 6.0).abs() < 1e-15);
/// ```
///
/// # Errors
/// As [`bootstrap_ci`], plus [`Error::LengthMismatch`] and [`Error::UnknownLabel`].
pub fn bootstrap_confusion_ci<F: FnMut(&crate::ConfusionMatrix) -> f64>(
    y_true: &[usize],
    y_pred: &[usize],
    n_classes: usize,
    options: &BootstrapOptions,
    mut metric: F,
) -> Result<ConfidenceInterval> {
    // validates lengths and labels once
    let full = crate::ConfusionMatrix::from_predictions(y_true, y_pred, Some(n_classes))?;
    let mut cm = full.clone();
    let mut first = true;
    bootstrap_ci(y_true.len(), options, |idx| {
        if first {
            first = false;
            return metric(&full);
        }
        cm.reset();
        let counts = cm.counts_mut();
        for &i in idx {
            counts[y_true[i] * n_classes + y_pred[i]] += 1;
        }
        metric(&cm)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_matches_numpy_linear() {
        // np.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) == [1.075, 2.5, 3.925]
        let s = [1.0, 2.0, 3.0, 4.0];
        assert!((percentile_sorted(&s, 0.025) - 1.075).abs() < 1e-12);
        assert!((percentile_sorted(&s, 0.5) - 2.5).abs() < 1e-12);
        assert!((percentile_sorted(&s, 0.975) - 3.925).abs() < 1e-12);
    }

    #[test]
    fn seeded_and_consistent() {
        let yt: Vec<usize> = (0..200).map(|i| i % 4).collect();
        let yp: Vec<usize> = (0..200)
            .map(|i| if i % 5 == 0 { (i + 1) % 4 } else { i % 4 })
            .collect();
        let o = BootstrapOptions::default().n_resamples(300).seed(7);
        let acc = |idx: &[usize]| {
            let t: Vec<usize> = idx.iter().map(|&i| yt[i]).collect();
            let p: Vec<usize> = idx.iter().map(|&i| yp[i]).collect();
            crate::accuracy_score(&t, &p).unwrap_or(f64::NAN)
        };
        let a = bootstrap_ci(yt.len(), &o, acc).unwrap();
        let b = bootstrap_ci(yt.len(), &o, acc).unwrap();
        assert_eq!(a, b);
        assert!((a.estimate - 0.8).abs() < 1e-15);
        assert!(a.lower < 0.8 && a.upper > 0.8 && a.upper - a.lower < 0.2);
        // the confusion-matrix fast path draws the same resamples
        let c = bootstrap_confusion_ci(&yt, &yp, 4, &o, |cm| cm.accuracy().unwrap_or(f64::NAN))
            .unwrap();
        assert_eq!(a, c);
    }
}
