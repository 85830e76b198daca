//! Simple waveform transforms: gain, polarity inversion, time shift,
//! clipping distortion.

use rand::RngCore;

use crate::error::{Error, Result};
use crate::transform::{validate_p, ParamRange, Transform};

/// Multiplies the signal by a gain drawn uniformly in dB.
///
/// Defaults as audiomentations' `Gain`: `-12..12` dB, `p = 0.5`.
///
/// ```
/// use ser_augment::{rng_from_seed, Gain, Transform};
/// let y = Gain::new(20.0, 20.0).apply_always(&[0.01, -0.02], 8000, &mut rng_from_seed(1)).unwrap();
/// assert!((y[0] - 0.1).abs() < 1e-6);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Gain {
    /// Gain range in dB. Default: -12..12.
    pub gain_db: ParamRange,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for Gain {
    fn default() -> Self {
        Self::new(-12.0, 12.0)
    }
}

impl Gain {
    /// Gain drawn from `[min_db, max_db]`, `p = 0.5`.
    pub fn new(min_db: f32, max_db: f32) -> Self {
        Self {
            gain_db: ParamRange::new(min_db, max_db),
            p: 0.5,
        }
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for Gain {
    fn name(&self) -> &'static str {
        "gain"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        self.gain_db
            .validate("db", -200.0, 200.0, "-200 <= db <= 200, min <= max")
    }
    fn process(&self, samples: &[f32], _sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let db = self.gain_db.sample(rng);
        let g = 10f64.powf(f64::from(db) / 20.0);
        Ok(samples.iter().map(|&x| (f64::from(x) * g) as f32).collect())
    }
}

/// Multiplies the signal by -1.
///
/// Default `p = 0.5` (audiomentations' `PolarityInversion`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PolarityInversion {
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for PolarityInversion {
    fn default() -> Self {
        Self::new()
    }
}

impl PolarityInversion {
    /// Polarity inversion with `p = 0.5`.
    pub fn new() -> Self {
        Self { p: 0.5 }
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for PolarityInversion {
    fn name(&self) -> &'static str {
        "polarity"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)
    }
    fn process(&self, samples: &[f32], _sr: u32, _rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        Ok(samples.iter().map(|&x| -x).collect())
    }
}

/// Shifts the signal in time by a fraction of its length drawn uniformly;
/// positive shifts move it later. With `rollover` the samples that fall off
/// one end re-enter at the other (`np.roll`), otherwise the gap is zero-filled.
/// Length is unchanged.
///
/// Defaults as audiomentations' `Shift`: `-0.5..0.5` of the length,
/// rollover on, `p = 0.5`; audiomentations' short fade at the seam is not
/// applied.
///
/// ```
/// use ser_augment::{rng_from_seed, TimeShift, Transform};
/// let t = TimeShift::new(0.25, 0.25).rollover(false);
/// let y = t.apply_always(&[1.0, 2.0, 3.0, 4.0], 8000, &mut rng_from_seed(0)).unwrap();
/// assert_eq!(y, vec![0.0, 1.0, 2.0, 3.0]);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TimeShift {
    /// Shift range as a fraction of the signal length, in `[-1, 1]`. Default: -0.5..0.5.
    pub fraction: ParamRange,
    /// Roll (true) or zero-fill (false). Default: true.
    pub rollover: bool,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for TimeShift {
    fn default() -> Self {
        Self::new(-0.5, 0.5)
    }
}

impl TimeShift {
    /// Shift drawn from `[min_fraction, max_fraction]` of the length.
    pub fn new(min_fraction: f32, max_fraction: f32) -> Self {
        Self {
            fraction: ParamRange::new(min_fraction, max_fraction),
            rollover: true,
            p: 0.5,
        }
    }
    /// Roll (true) or zero-fill (false).
    pub fn rollover(mut self, rollover: bool) -> Self {
        self.rollover = rollover;
        self
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for TimeShift {
    fn name(&self) -> &'static str {
        "shift"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        self.fraction
            .validate("fraction", -1.0, 1.0, "-1 <= fraction <= 1, min <= max")
    }
    fn process(&self, samples: &[f32], _sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let n = samples.len();
        let frac = self.fraction.sample(rng);
        let shift = (f64::from(frac) * n as f64).round() as i64;
        let mut out = vec![0.0f32; n];
        if self.rollover {
            let s = shift.rem_euclid(n as i64) as usize;
            out[s..].copy_from_slice(&samples[..n - s]);
            out[..s].copy_from_slice(&samples[n - s..]);
        } else if shift >= 0 {
            let s = (shift as usize).min(n);
            out[s..].copy_from_slice(&samples[..n - s]);
        } else {
            let s = (shift.unsigned_abs() as usize).min(n);
            out[..n - s].copy_from_slice(&samples[s..]);
        }
        Ok(out)
    }
}

/// Clips the signal at the `q/2`-th and `(100 - q/2)`-th percentiles, with
/// `q` drawn uniformly in `[min, max]` percent, like audiomentations'
/// `ClippingDistortion` (linear-interpolated percentiles as `np.percentile`;
/// audiomentations draws an integer `q` and halves it with `int()`, here `q`
/// is continuous).
///
/// Defaults: `0..40` percent, `p = 0.5`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClippingDistortion {
    /// Percentage of samples to clip, in `[0, 100]`. Default: 0..40.
    pub percentile: ParamRange,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for ClippingDistortion {
    fn default() -> Self {
        Self::new(0.0, 40.0)
    }
}

impl ClippingDistortion {
    /// Clips a percentage of samples drawn from `[min, max]`.
    pub fn new(min_percent: f32, max_percent: f32) -> Self {
        Self {
            percentile: ParamRange::new(min_percent, max_percent),
            p: 0.5,
        }
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

/// `np.percentile(x, q)` with linear interpolation on a sorted slice.
pub(crate) fn percentile_sorted(sorted: &[f32], q: f64) -> f32 {
    let n = sorted.len();
    if n == 1 {
        return sorted[0];
    }
    let pos = (q / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = pos - lo as f64;
    (f64::from(sorted[lo]) + frac * (f64::from(sorted[hi]) - f64::from(sorted[lo]))) as f32
}

impl Transform for ClippingDistortion {
    fn name(&self) -> &'static str {
        "clip"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        self.percentile
            .validate("percent", 0.0, 100.0, "0 <= percent <= 100, min <= max")
    }
    fn process(&self, samples: &[f32], _sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let q = f64::from(self.percentile.sample(rng)) / 2.0;
        let mut sorted = samples.to_vec();
        sorted.sort_unstable_by(f32::total_cmp);
        let lo = percentile_sorted(&sorted, q);
        let hi = percentile_sorted(&sorted, 100.0 - q);
        if lo > hi {
            return Err(Error::InvalidParameter {
                name: "percent",
                value: format!("{}", 2.0 * q),
                expected: "<= 100",
            });
        }
        Ok(samples.iter().map(|&x| x.clamp(lo, hi)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::rng_from_seed;

    #[test]
    fn gain_is_exact_in_db() {
        let x: Vec<f32> = (0..100).map(|i| (i as f32 * 0.1).sin()).collect();
        let y = Gain::new(-6.0, -6.0)
            .apply_always(&x, 16000, &mut rng_from_seed(0))
            .unwrap();
        let px: f64 = x.iter().map(|&v| f64::from(v).powi(2)).sum();
        let py: f64 = y.iter().map(|&v| f64::from(v).powi(2)).sum();
        assert!((10.0 * (py / px).log10() + 6.0).abs() < 1e-4);
    }

    #[test]
    fn shift_roll_and_zero_fill() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let mut r = rng_from_seed(0);
        let y = TimeShift::new(-0.5, -0.5)
            .apply_always(&x, 8000, &mut r)
            .unwrap();
        assert_eq!(y, vec![3.0, 4.0, 1.0, 2.0]);
        let y = TimeShift::new(-0.5, -0.5)
            .rollover(false)
            .apply_always(&x, 8000, &mut r)
            .unwrap();
        assert_eq!(y, vec![3.0, 4.0, 0.0, 0.0]);
        let y = TimeShift::new(1.0, 1.0)
            .rollover(false)
            .apply_always(&x, 8000, &mut r)
            .unwrap();
        assert_eq!(y, vec![0.0; 4]);
    }

    #[test]
    fn clipping_clips_the_requested_share() {
        let x: Vec<f32> = (0..1001).map(|i| i as f32 / 1000.0 - 0.5).collect();
        let y = ClippingDistortion::new(20.0, 20.0)
            .apply_always(&x, 8000, &mut rng_from_seed(0))
            .unwrap();
        let max = y.iter().cloned().fold(f32::MIN, f32::max);
        let min = y.iter().cloned().fold(f32::MAX, f32::min);
        assert!(
            (max - 0.4).abs() < 1e-5 && (min + 0.4).abs() < 1e-5,
            "{min} {max}"
        );
        let clipped = x.iter().zip(&y).filter(|(a, b)| a != b).count();
        assert!((195..=205).contains(&clipped), "{clipped}");
    }

    #[test]
    fn polarity_and_p_zero() {
        let x = [0.5, -1.0];
        let mut r = rng_from_seed(3);
        assert_eq!(
            PolarityInversion::new()
                .apply_always(&x, 1, &mut r)
                .unwrap(),
            vec![-0.5, 1.0]
        );
        assert_eq!(
            PolarityInversion::new()
                .p(0.0)
                .apply(&x, 1, &mut r)
                .unwrap(),
            x.to_vec()
        );
        assert!(PolarityInversion::new()
            .p(1.5)
            .apply(&x, 1, &mut r)
            .is_err());
        assert!(Gain::new(3.0, 1.0).apply(&x, 1, &mut r).is_err());
    }
}
