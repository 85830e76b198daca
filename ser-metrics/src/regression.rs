//! Dimensional emotion (arousal / valence / dominance) metrics: CCC, Pearson, MAE, MSE.
//!
//! All use population statistics (divide by `n`). NaN or infinite inputs are an error.

use crate::confusion::check_same_len;
use crate::error::{Error, Result};
use crate::protocol::np_sum;

fn check(y_true: &[f64], y_pred: &[f64]) -> Result<()> {
    check_same_len(y_true.len(), y_pred.len(), "y_pred")?;
    if y_true.is_empty() {
        return Err(Error::Empty { what: "y_true" });
    }
    if let Some(index) = y_true.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "y_true",
            index,
        });
    }
    if let Some(index) = y_pred.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "y_pred",
            index,
        });
    }
    Ok(())
}

fn mean(a: &[f64]) -> f64 {
    np_sum(a) / a.len() as f64
}

/// Means, population variances and covariance `(mx, my, vx, vy, cov)`.
fn moments(x: &[f64], y: &[f64]) -> (f64, f64, f64, f64, f64) {
    let (mx, my) = (mean(x), mean(y));
    let dx: Vec<f64> = x.iter().map(|v| v - mx).collect();
    let dy: Vec<f64> = y.iter().map(|v| v - my).collect();
    let sq = |d: &[f64]| d.iter().map(|v| v * v).collect::<Vec<f64>>();
    let prod: Vec<f64> = dx.iter().zip(&dy).map(|(a, b)| a * b).collect();
    let n = x.len() as f64;
    (
        mx,
        my,
        np_sum(&sq(&dx)) / n,
        np_sum(&sq(&dy)) / n,
        np_sum(&prod) / n,
    )
}

/// Mean absolute error (sklearn `mean_absolute_error`).
///
/// # Errors
/// [`Error::LengthMismatch`], [`Error::Empty`], [`Error::NonFinite`].
pub fn mean_absolute_error(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check(y_true, y_pred)?;
    let d: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .map(|(a, b)| (b - a).abs())
        .collect();
    Ok(mean(&d))
}

/// Mean squared error (sklearn `mean_squared_error`).
///
/// # Errors
/// As [`mean_absolute_error`].
pub fn mean_squared_error(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check(y_true, y_pred)?;
    let d: Vec<f64> = y_true
        .iter()
        .zip(y_pred)
        .map(|(a, b)| (b - a) * (b - a))
        .collect();
    Ok(mean(&d))
}

/// Pearson correlation coefficient (`scipy.stats.pearsonr(...).statistic`); NaN when either
/// input is constant (scipy warns and returns NaN).
///
/// # Errors
/// As [`mean_absolute_error`].
pub fn pearson(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check(y_true, y_pred)?;
    let (_, _, vx, vy, cov) = moments(y_true, y_pred);
    if vx == 0.0 || vy == 0.0 {
        return Ok(f64::NAN);
    }
    Ok((cov / (vx.sqrt() * vy.sqrt())).clamp(-1.0, 1.0))
}

/// Lin's concordance correlation coefficient, the standard dimensional-SER metric
/// (AVEC convention, population moments):
/// `2·cov(x, y) / (var(x) + var(y) + (mean(x) − mean(y))²)`.
/// NaN when both inputs are the same constant (0/0).
///
/// ```
/// use ser_metrics::concordance_correlation_coefficient as ccc;
/// assert_eq!(ccc(&[0.1, 0.5, 0.9], &[0.1, 0.5, 0.9]).unwrap(), 1.0);
/// assert!(ccc(&[0.1, 0.5, 0.9], &[0.2, 0.6, 1.0]).unwrap() < 1.0); // biased -> penalised
/// ```
///
/// # Errors
/// As [`mean_absolute_error`].
pub fn concordance_correlation_coefficient(y_true: &[f64], y_pred: &[f64]) -> Result<f64> {
    check(y_true, y_pred)?;
    let (mx, my, vx, vy, cov) = moments(y_true, y_pred);
    let den = vx + vy + (mx - my) * (mx - my);
    if den == 0.0 {
        return Ok(f64::NAN);
    }
    Ok(2.0 * cov / den)
}
