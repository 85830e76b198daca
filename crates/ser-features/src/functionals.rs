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
    compute_points(&pts, which)
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
    compute_points(&pts, which)
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

/// Core: `pts` are `(frame_index, value)` pairs, all finite.
fn compute_points(pts: &[(f64, f64)], which: &[Functional]) -> Vec<f32> {
    let n = pts.len();
    if n == 0 {
        return vec![0.0; which.len()];
    }
    let nf = n as f64;
    let mean = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(_, v) in pts {
        let d = v - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
        min = min.min(v);
        max = max.max(v);
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

    proptest! {
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
