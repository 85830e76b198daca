//! Utterance-level functionals: summary statistics over a frame-level feature contour.
//!
//! A [`Functional`] maps a contour (one value per frame) to one number. [`compute`] evaluates a
//! list of functionals in one pass (sorting at most once); [`compute_masked`] restricts them to
//! the frames selected by a boolean mask (e.g. voiced frames only). [`NamedFeatures`] is the
//! ordered `name -> value` vector produced by feature sets, with JSON and CSV writers.
//!
//! # Conventions (all documented, all stable)
//! - **NaN-aware**: non-finite values (NaN, ±inf) are skipped, like numpy's `nan*` functions, so
//!   an F0 contour with NaN for unvoiced frames can be summarised directly.
//! - **Empty input** (no finite, selected value) gives `0.0` for every functional — the
//!   openSMILE convention, which keeps feature vectors finite.
//! - `Std` is the population standard deviation (`ddof=0`, as `np.std`).
//! - `Percentile(p)` uses numpy's default linear interpolation (`np.percentile(x, p)`).
//! - `Slope` is the least-squares slope of value against **frame index** (units per frame);
//!   skipped frames keep their original positions.
//! - `Skewness` = m3 / m2^1.5 and `Kurtosis` = m4 / m2² − 3 (Fisher/excess), the biased
//!   estimators of `scipy.stats.skew` / `scipy.stats.kurtosis` defaults; both are `0.0` for a
//!   constant contour.
//! - `Offset` is the regression line's value at frame 0 and `LinRegErr` the mean squared
//!   residual about that line (openSMILE `linregc2` / `linregerrQ`).
//! - `MaxPos` / `MinPos` are the frame index of the first maximum / minimum divided by the
//!   contour length (all frames, including skipped ones), so they lie in `[0, 1)`.
//! - `UpLevelTime(p)` is the fraction of the used frames with `x - min > p/100 · (max - min)`
//!   (openSMILE `upleveltime`; `0.0` for a constant contour).
//! - All arithmetic is in `f64`; results are rounded to `f32` once.
//!
//! ```
//! use ser_features::functionals::{compute, Functional};
//! let x = [1.0_f32, 2.0, 3.0, 4.0, f32::NAN];
//! let v = compute(&x, &[Functional::Mean, Functional::Slope, Functional::Percentile(50)]);
//! assert_eq!(v, vec![2.5, 1.0, 2.5]);
//! ```

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One summary statistic over a contour. See the [module docs](self) for exact definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Functional {
    /// Arithmetic mean. Name: `mean`.
    Mean,
    /// Population standard deviation (`ddof=0`). Name: `std`.
    Std,
    /// Coefficient of variation `std / |mean|` (`0` when the mean is `0`). Name: `cv`.
    CoeffVar,
    /// Minimum. Name: `min`.
    Min,
    /// Maximum. Name: `max`.
    Max,
    /// `max - min`. Name: `range`.
    Range,
    /// Percentile `p` in `0..=100` (values above 100 are clamped), numpy linear
    /// interpolation. Name: `pctl{p}`, e.g. `pctl20`.
    Percentile(u8),
    /// Inter-quartile range `pctl75 - pctl25`. Name: `iqr`.
    Iqr,
    /// Percentile range `pctl{hi} - pctl{lo}`. Name: `pctlrange{lo}_{hi}`, e.g. `pctlrange20_80`.
    PercentileRange(u8, u8),
    /// Least-squares linear-regression slope against the frame index. Name: `slope`.
    Slope,
    /// Skewness (biased, `scipy.stats.skew`). Name: `skewness`.
    Skewness,
    /// Excess kurtosis (biased, Fisher, `scipy.stats.kurtosis`). Name: `kurtosis`.
    Kurtosis,
    /// Least-squares regression line's value at frame 0 (intercept). Name: `offset`.
    Offset,
    /// Mean squared error of the values about the least-squares line. Name: `linregerr`.
    LinRegErr,
    /// Root quadratic mean `sqrt(mean(x²))`. Name: `rqmean`.
    RqMean,
    /// Relative position of the first maximum, `argmax / n_frames`, in `[0, 1)`. Name: `maxpos`.
    MaxPos,
    /// Relative position of the first minimum, `argmin / n_frames`, in `[0, 1)`. Name: `minpos`.
    MinPos,
    /// Fraction of frames above `min + p/100 · range` (`p` in `0..=100`, clamped). Name:
    /// `upleveltime{p}`, e.g. `upleveltime75`.
    UpLevelTime(u8),
}

impl Functional {
    /// The standard utterance set: mean, std, min, max, range, percentiles 20/50/80, IQR,
    /// slope, skewness, kurtosis (12 values).
    pub const STANDARD: [Functional; 12] = [
        Functional::Mean,
        Functional::Std,
        Functional::Min,
        Functional::Max,
        Functional::Range,
        Functional::Percentile(20),
        Functional::Percentile(50),
        Functional::Percentile(80),
        Functional::Iqr,
        Functional::Slope,
        Functional::Skewness,
        Functional::Kurtosis,
    ];

    /// The 23 ComParE_2016-like functionals of [`crate::compare::CompareConfig::large`]: mean,
    /// std, percentiles 25/50/75, inter-quartile ranges 25–50, 50–75, 25–75, percentiles 1/99,
    /// range 1–99, skewness, kurtosis, slope, offset, linear-regression error, max / min
    /// position, root quadratic mean, up-level times 25/50/75/90.
    ///
    /// ```
    /// use ser_features::functionals::Functional;
    /// assert_eq!(Functional::COMPARE.len(), 23);
    /// assert_eq!(Functional::COMPARE[5].name(), "pctlrange25_50");
    /// ```
    pub const COMPARE: [Functional; 23] = [
        Functional::Mean,
        Functional::Std,
        Functional::Percentile(25),
        Functional::Percentile(50),
        Functional::Percentile(75),
        Functional::PercentileRange(25, 50),
        Functional::PercentileRange(50, 75),
        Functional::PercentileRange(25, 75),
        Functional::Percentile(1),
        Functional::Percentile(99),
        Functional::PercentileRange(1, 99),
        Functional::Skewness,
        Functional::Kurtosis,
        Functional::Slope,
        Functional::Offset,
        Functional::LinRegErr,
        Functional::MaxPos,
        Functional::MinPos,
        Functional::RqMean,
        Functional::UpLevelTime(25),
        Functional::UpLevelTime(50),
        Functional::UpLevelTime(75),
        Functional::UpLevelTime(90),
    ];

    /// Stable, lower-case name used in feature names (`{feature}_{name}`).
    ///
    /// ```
    /// use ser_features::functionals::Functional;
    /// assert_eq!(Functional::Percentile(20).name(), "pctl20");
    /// assert_eq!(Functional::PercentileRange(20, 80).name(), "pctlrange20_80");
    /// ```
    pub fn name(&self) -> String {
        match self {
            Functional::Mean => "mean".into(),
            Functional::Std => "std".into(),
            Functional::CoeffVar => "cv".into(),
            Functional::Min => "min".into(),
            Functional::Max => "max".into(),
            Functional::Range => "range".into(),
            Functional::Percentile(p) => format!("pctl{}", (*p).min(100)),
            Functional::Iqr => "iqr".into(),
            Functional::PercentileRange(lo, hi) => {
                format!("pctlrange{}_{}", (*lo).min(100), (*hi).min(100))
            }
            Functional::Slope => "slope".into(),
            Functional::Skewness => "skewness".into(),
            Functional::Kurtosis => "kurtosis".into(),
            Functional::Offset => "offset".into(),
            Functional::LinRegErr => "linregerr".into(),
            Functional::RqMean => "rqmean".into(),
            Functional::MaxPos => "maxpos".into(),
            Functional::MinPos => "minpos".into(),
            Functional::UpLevelTime(p) => format!("upleveltime{}", (*p).min(100)),
        }
    }

    fn needs_sort(&self) -> bool {
        matches!(
            self,
            Functional::Percentile(_) | Functional::Iqr | Functional::PercentileRange(..)
        )
    }
}

/// Evaluates `which` over the finite values of `values`, in order.
///
/// Returns one value per functional (all `0.0` when no finite value exists).
pub fn compute(values: &[f32], which: &[Functional]) -> Vec<f32> {
    let pts: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, &v)| (i as f64, f64::from(v)))
        .collect();
    compute_points(&pts, values.len(), which)
}

/// Like [`compute`], restricted to frames `i` with `mask[i] == true` (e.g. voiced frames).
///
/// Frames beyond the shorter of `values` and `mask` are ignored; use
/// [`compute_masked_checked`] to get an error for a length mismatch instead.
pub fn compute_masked(values: &[f32], mask: &[bool], which: &[Functional]) -> Vec<f32> {
    let pts: Vec<(f64, f64)> = values
        .iter()
        .zip(mask)
        .enumerate()
        .filter(|(_, (v, &m))| m && v.is_finite())
        .map(|(i, (&v, _))| (i as f64, f64::from(v)))
        .collect();
    compute_points(&pts, values.len().min(mask.len()), which)
}

/// [`compute_masked`] that returns [`Error::ShapeMismatch`] when `mask.len() != values.len()`.
pub fn compute_masked_checked(
    values: &[f32],
    mask: &[bool],
    which: &[Functional],
) -> Result<Vec<f32>> {
    if mask.len() != values.len() {
        return Err(Error::ShapeMismatch {
            what: "mask",
            expected: vec![values.len()],
            got: vec![mask.len()],
        });
    }
    Ok(compute_masked(values, mask, which))
}

/// Evaluates `which` over each row of a `(n_features, n_frames)` matrix and names the results
/// `{row_names[r]}_{functional.name()}` (row-major: all functionals of row 0 first).
///
/// `mask`, if given, must have `n_frames` entries and selects the frames to use.
///
/// # Errors
/// [`Error::ShapeMismatch`] if `row_names` or `mask` do not match the matrix shape.
pub fn compute_rows(
    feature: ArrayView2<'_, f32>,
    row_names: &[String],
    which: &[Functional],
    mask: Option<&[bool]>,
) -> Result<NamedFeatures> {
    let (n_rows, n_frames) = feature.dim();
    if row_names.len() != n_rows {
        return Err(Error::ShapeMismatch {
            what: "row_names",
            expected: vec![n_rows],
            got: vec![row_names.len()],
        });
    }
    if let Some(m) = mask {
        if m.len() != n_frames {
            return Err(Error::ShapeMismatch {
                what: "mask",
                expected: vec![n_frames],
                got: vec![m.len()],
            });
        }
    }
    let mut out = NamedFeatures::with_capacity(n_rows * which.len());
    let mut row_buf = Vec::with_capacity(n_frames);
    for (r, name) in feature.rows().into_iter().zip(row_names) {
        row_buf.clear();
        row_buf.extend(r.iter().copied());
        let vals = match mask {
            Some(m) => compute_masked(&row_buf, m, which),
            None => compute(&row_buf, which),
        };
        for (f, v) in which.iter().zip(vals) {
            out.push(format!("{name}_{}", f.name()), v);
        }
    }
    Ok(out)
}

/// Core: `pts` are `(frame_index, value)` pairs, all finite, out of `n_total` frames.
fn compute_points(pts: &[(f64, f64)], n_total: usize, which: &[Functional]) -> Vec<f32> {
    let n = pts.len();
    if n == 0 {
        return vec![0.0; which.len()];
    }
    let nf = n as f64;
    let mean = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut min_at, mut max_at) = (0.0, 0.0);
    let mut sum_sq = 0.0;
    for &(i, v) in pts {
        let d = v - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
        sum_sq += v * v;
        if v < min {
            min = v;
            min_at = i;
        }
        if v > max {
            max = v;
            max_at = i;
        }
    }
    m2 /= nf;
    m3 /= nf;
    m4 /= nf;
    let std = m2.sqrt();
    // Treat variance at the level of rounding noise as zero (constant contour).
    let degenerate = m2 <= f64::EPSILON * mean.abs().max(1e-30).powi(2) || m2 == 0.0;

    let sorted: Option<Vec<f64>> = which.iter().any(Functional::needs_sort).then(|| {
        let mut s: Vec<f64> = pts.iter().map(|p| p.1).collect();
        s.sort_by(f64::total_cmp);
        s
    });
    let line = which
        .iter()
        .any(|f| matches!(f, Functional::Offset | Functional::LinRegErr))
        .then(|| regression_line(pts));
    let range = max - min;
    let rel_pos = |i: f64| i / n_total.max(1) as f64;
    let pctl = |p: u8| -> f64 {
        match &sorted {
            Some(s) => percentile_sorted(s, f64::from(p.min(100))),
            None => 0.0,
        }
    };

    which
        .iter()
        .map(|f| {
            let v = match *f {
                Functional::Mean => mean,
                Functional::Std => std,
                Functional::CoeffVar => {
                    if mean == 0.0 {
                        0.0
                    } else {
                        std / mean.abs()
                    }
                }
                Functional::Min => min,
                Functional::Max => max,
                Functional::Range => max - min,
                Functional::Percentile(p) => pctl(p),
                Functional::Iqr => pctl(75) - pctl(25),
                Functional::PercentileRange(lo, hi) => pctl(hi) - pctl(lo),
                Functional::Slope => slope(pts),
                Functional::Skewness => {
                    if degenerate {
                        0.0
                    } else {
                        m3 / m2.powf(1.5)
                    }
                }
                Functional::Kurtosis => {
                    if degenerate {
                        0.0
                    } else {
                        m4 / (m2 * m2) - 3.0
                    }
                }
                Functional::Offset => line.map_or(0.0, |l| l.1),
                Functional::LinRegErr => line.map_or(0.0, |(a, b)| {
                    pts.iter()
                        .map(|&(x, y)| {
                            let r = y - (a * x + b);
                            r * r
                        })
                        .sum::<f64>()
                        / nf
                }),
                Functional::RqMean => (sum_sq / nf).sqrt(),
                Functional::MaxPos => rel_pos(max_at),
                Functional::MinPos => rel_pos(min_at),
                Functional::UpLevelTime(p) => {
                    let thr = f64::from(p.min(100)) / 100.0 * range;
                    pts.iter().filter(|&&(_, v)| v - min > thr).count() as f64 / nf
                }
            };
            v as f32
        })
        .collect()
}

/// numpy `percentile(x, p)` with the default `method='linear'`; `s` sorted, non-empty.
fn percentile_sorted(s: &[f64], p: f64) -> f64 {
    let rank = p / 100.0 * (s.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    let frac = rank - lo as f64;
    s[lo] + (s[hi] - s[lo]) * frac
}

/// Least-squares line `(slope, offset)` of value against frame index (`slope = 0` and
/// `offset = mean` for fewer than two distinct positions); `pts` non-empty.
fn regression_line(pts: &[(f64, f64)]) -> (f64, f64) {
    let n = pts.len() as f64;
    let xm = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let ym = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let a = slope(pts);
    (a, ym - a * xm)
}

fn slope(pts: &[(f64, f64)]) -> f64 {
    if pts.len() < 2 {
        return 0.0;
    }
    let n = pts.len() as f64;
    let xm = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let ym = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(x, y) in pts {
        sxy += (x - xm) * (y - ym);
        sxx += (x - xm) * (x - xm);
    }
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx
    }
}

/// An ordered vector of named features (`names[i]` labels `values[i]`).
///
/// Names are stable across releases; the order is the order features were pushed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedFeatures {
    /// Feature names, e.g. `mfcc3_sma_de_mean`.
    pub names: Vec<String>,
    /// Feature values, same length and order as `names`.
    pub values: Vec<f32>,
}

impl NamedFeatures {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set with room for `n` features.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            names: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
        }
    }

    /// Appends one feature.
    pub fn push(&mut self, name: impl Into<String>, value: f32) {
        self.names.push(name.into());
        self.values.push(value);
    }

    /// Appends the functionals of one contour, named `{prefix}_{functional}`.
    ///
    /// ```
    /// use ser_features::functionals::{Functional, NamedFeatures};
    /// let mut nf = NamedFeatures::new();
    /// nf.push_functionals("rms", &[1.0, 3.0], &[Functional::Mean, Functional::Max]);
    /// assert_eq!(nf.names, ["rms_mean", "rms_max"]);
    /// assert_eq!(nf.values, [2.0, 3.0]);
    /// ```
    pub fn push_functionals(&mut self, prefix: &str, values: &[f32], which: &[Functional]) {
        for (f, v) in which.iter().zip(compute(values, which)) {
            self.push(format!("{prefix}_{}", f.name()), v);
        }
    }

    /// Appends all features of `other`, in order.
    pub fn extend(&mut self, other: NamedFeatures) {
        self.names.extend(other.names);
        self.values.extend(other.values);
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// `true` when there are no features.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Value of the first feature called `name`.
    pub fn get(&self, name: &str) -> Option<f32> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.values[i])
    }

    /// Iterates over `(name, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f32)> + '_ {
        self.names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter().copied())
    }

    /// A JSON object `{name: value, ...}` in feature order (non-finite values become `null`).
    ///
    /// ```
    /// use ser_features::functionals::NamedFeatures;
    /// let mut nf = NamedFeatures::new();
    /// nf.push("b", 1.5);
    /// nf.push("a", -2.0);
    /// assert_eq!(nf.to_json(), r#"{"b":1.5,"a":-2.0}"#);
    /// ```
    pub fn to_json(&self) -> String {
        let mut s = String::with_capacity(self.len() * 32 + 2);
        s.push('{');
        for (i, (name, value)) in self.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            // Serialising a `str` / `f32` to JSON cannot fail.
            s.push_str(&serde_json::to_string(name).unwrap_or_else(|_| "\"?\"".into()));
            s.push(':');
            s.push_str(&serde_json::to_string(&value).unwrap_or_else(|_| "null".into()));
        }
        s.push('}');
        s
    }

    /// The CSV header line (names, comma-separated, quoted when needed; no newline).
    pub fn csv_header(&self) -> String {
        self.names
            .iter()
            .map(|n| csv_field(n))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The CSV value line (no newline).
    pub fn csv_row(&self) -> String {
        self.values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Header line + value line, each terminated by `\n`.
    pub fn to_csv(&self) -> String {
        format!("{}\n{}\n", self.csv_header(), self.csv_row())
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    #[test]
    fn basic_statistics_match_numpy() {
        // np.array([2, 4, 4, 4, 5, 5, 7, 9]): mean 5, std 2, pctl20 = 4.0, pctl80 = 6.2, iqr = 5.5 - 4.0
        let x = [2.0_f32, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let v = compute(
            &x,
            &[
                Functional::Mean,
                Functional::Std,
                Functional::Min,
                Functional::Max,
                Functional::Range,
                Functional::Percentile(20),
                Functional::Percentile(80),
                Functional::Iqr,
                Functional::CoeffVar,
            ],
        );
        let expect = [5.0, 2.0, 2.0, 9.0, 7.0, 4.0, 6.2, 1.5, 0.4];
        for (a, b) in v.iter().zip(expect) {
            assert_abs_diff_eq!(*a, b, epsilon = 1e-6);
        }
    }

    #[test]
    fn skewness_and_kurtosis_match_scipy() {
        // scipy.stats.skew([1, 2, 3, 10]) = 1.0182337649086284
        // scipy.stats.kurtosis([1, 2, 3, 10]) = -0.7696
        let v = compute(
            &[1.0, 2.0, 3.0, 10.0],
            &[Functional::Skewness, Functional::Kurtosis],
        );
        assert_abs_diff_eq!(v[0], 1.018_233_8, epsilon = 1e-5);
        assert_abs_diff_eq!(v[1], -0.7696, epsilon = 1e-5);
    }

    #[test]
    fn slope_uses_original_positions_when_masked() {
        // y = 3 * i + 1, but only even frames are selected.
        let y: Vec<f32> = (0..10).map(|i| 3.0 * i as f32 + 1.0).collect();
        let mask: Vec<bool> = (0..10).map(|i| i % 2 == 0).collect();
        let v = compute_masked(&y, &mask, &[Functional::Slope, Functional::Mean]);
        assert_abs_diff_eq!(v[0], 3.0, epsilon = 1e-6);
        // mean of 1, 7, 13, 19, 25
        assert_abs_diff_eq!(v[1], 13.0, epsilon = 1e-6);
    }

    #[test]
    fn empty_and_all_nan_give_zeros() {
        let which = Functional::STANDARD;
        assert_eq!(compute(&[], &which), vec![0.0; which.len()]);
        assert_eq!(compute(&[f32::NAN; 4], &which), vec![0.0; which.len()]);
        assert_eq!(
            compute_masked(&[1.0, 2.0], &[false, false], &which),
            vec![0.0; which.len()]
        );
    }

    #[test]
    fn constant_contour_has_zero_shape_statistics() {
        let v = compute(
            &[0.1; 17],
            &[Functional::Std, Functional::Skewness, Functional::Kurtosis],
        );
        assert_abs_diff_eq!(v[0], 0.0, epsilon = 1e-7);
        assert_eq!(v[1], 0.0);
        assert_eq!(v[2], 0.0);
    }

    #[test]
    fn checked_mask_length() {
        assert!(matches!(
            compute_masked_checked(&[1.0, 2.0], &[true], &[Functional::Mean]),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn rows_are_named_and_ordered() {
        let m = ndarray::array![[1.0_f32, 2.0, 3.0], [0.0, 0.0, 6.0]];
        let names = vec!["a".to_string(), "b".to_string()];
        let nf = compute_rows(m.view(), &names, &[Functional::Mean, Functional::Max], None)
            .expect("shapes match");
        assert_eq!(nf.names, ["a_mean", "a_max", "b_mean", "b_max"]);
        assert_eq!(nf.values, [2.0, 3.0, 2.0, 6.0]);
        assert!(compute_rows(m.view(), &names[..1], &[Functional::Mean], None).is_err());
    }

    #[test]
    fn csv_and_json_writers() {
        let mut nf = NamedFeatures::new();
        nf.push("x,y", 1.0);
        nf.push("nan", f32::NAN);
        assert_eq!(nf.to_csv(), "\"x,y\",nan\n1,NaN\n");
        assert_eq!(nf.to_json(), r#"{"x,y":1.0,"nan":null}"#);
        assert_eq!(nf.get("nan").map(f32::is_nan), Some(true));
    }

    #[test]
    fn regression_position_and_level_functionals_by_hand() {
        // t = 0..4, x = [1, 3, 2, 5]: slope 5.5 / 5 = 1.1, offset 2.75 - 1.1 * 1.5 = 1.1,
        // residuals -0.1, 0.8, -1.3, 0.6 -> MSE 2.7 / 4; rqmean sqrt(39 / 4);
        // min 1 (t=0), max 5 (t=3), range 4: x - min = 0, 2, 1, 4.
        let v = compute(
            &[1.0, 3.0, 2.0, 5.0],
            &[
                Functional::Offset,
                Functional::LinRegErr,
                Functional::RqMean,
                Functional::MaxPos,
                Functional::MinPos,
                Functional::UpLevelTime(25),
                Functional::UpLevelTime(50),
                Functional::UpLevelTime(100),
            ],
        );
        let expect = [1.1, 0.675, 9.75_f32.sqrt(), 0.75, 0.0, 0.5, 0.25, 0.0];
        for (a, b) in v.iter().zip(expect) {
            assert_abs_diff_eq!(*a, b, epsilon = 1e-6);
        }
        let names: Vec<String> = Functional::COMPARE.iter().map(Functional::name).collect();
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), 23);
        assert_eq!(Functional::UpLevelTime(200).name(), "upleveltime100");
    }

    #[test]
    fn compare_functionals_match_numpy_fixtures() {
        // tests/fixtures/gen_compare_fixtures.py (numpy percentile/polyfit/argmax).
        #[derive(Deserialize)]
        struct Case {
            x: Vec<f32>,
            values: std::collections::HashMap<String, f64>,
        }
        let cases: std::collections::BTreeMap<String, Case> =
            serde_json::from_str(include_str!("../tests/fixtures/compare/functionals.json"))
                .expect("valid fixture");
        let mut which = Functional::COMPARE.to_vec();
        which.extend([Functional::UpLevelTime(0), Functional::UpLevelTime(100)]);
        for (case, c) in &cases {
            let v = compute(&c.x, &which);
            for (f, got) in which.iter().zip(v) {
                let want = c.values[&f.name()];
                assert!(
                    (f64::from(got) - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "{case} {}: {got} vs {want}",
                    f.name()
                );
            }
        }
        assert_eq!(cases.len(), 4);
    }

    #[test]
    fn masked_positions_are_relative_to_the_whole_contour() {
        // Frames 1 and 3 are used; the max sits at frame 3 of 4, the min at frame 1.
        let x = [9.0_f32, 1.0, 9.0, 2.0];
        let mask = [false, true, false, true];
        let v = compute_masked(
            &x,
            &mask,
            &[Functional::MaxPos, Functional::MinPos, Functional::Offset],
        );
        assert_eq!(v[..2], [0.75, 0.25]);
        // Line through (1, 1) and (3, 2): slope 0.5, value at frame 0 is 0.5.
        assert_abs_diff_eq!(v[2], 0.5, epsilon = 1e-6);
        assert_eq!(compute(&[f32::NAN; 3], &Functional::COMPARE), vec![0.0; 23]);
    }

    proptest! {
        #[test]
        fn compare_functionals_are_consistent(xs in proptest::collection::vec(-1e3_f32..1e3, 1..200)) {
            let v = compute(&xs, &[Functional::MaxPos, Functional::MinPos,
                Functional::UpLevelTime(25), Functional::UpLevelTime(50),
                Functional::UpLevelTime(75), Functional::UpLevelTime(90),
                Functional::LinRegErr, Functional::Std, Functional::RqMean, Functional::Mean]);
            prop_assert!(v[..2].iter().all(|p| (0.0..1.0).contains(p)));
            prop_assert!(v[2] >= v[3] && v[3] >= v[4] && v[4] >= v[5] && v[5] >= 0.0 && v[2] < 1.0);
            // The regression line fits at least as well as the mean.
            let var = f64::from(v[7]).powi(2);
            prop_assert!(f64::from(v[6]) >= 0.0 && f64::from(v[6]) <= var * (1.0 + 1e-4) + 1e-6);
            let rq2 = f64::from(v[9]).powi(2) + var;
            prop_assert!((f64::from(v[8]).powi(2) - rq2).abs() <= 1e-3 * rq2.max(1.0));
        }

        #[test]
        fn order_statistics_are_consistent(xs in proptest::collection::vec(-1e3_f32..1e3, 1..200)) {
            let v = compute(&xs, &[Functional::Min, Functional::Percentile(20),
                Functional::Percentile(50), Functional::Percentile(80), Functional::Max,
                Functional::Mean, Functional::Std, Functional::Range]);
            prop_assert!(v[0] <= v[1] && v[1] <= v[2] && v[2] <= v[3] && v[3] <= v[4]);
            prop_assert!(v[0] <= v[5] + 1e-3 && v[5] <= v[4] + 1e-3);
            prop_assert!(v[6] >= 0.0);
            prop_assert!((v[7] - (v[4] - v[0])).abs() <= 1e-3);
            prop_assert!(v.iter().all(|x| x.is_finite()));
        }

        #[test]
        fn slope_of_a_line_is_exact(a in -10.0_f32..10.0, b in -10.0_f32..10.0, n in 2_usize..100) {
            let y: Vec<f32> = (0..n).map(|i| a * i as f32 + b).collect();
            let s = compute(&y, &[Functional::Slope])[0];
            prop_assert!((s - a).abs() <= 1e-3 * (1.0 + a.abs()));
        }
    }
}
