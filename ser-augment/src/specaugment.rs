//! SpecAugment (Park et al., 2019): time warping, frequency masks and time
//! masks on a feature matrix of shape `(n_features, n_frames)` (librosa layout).

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, Slice};
use rand::{Rng, RngCore};

use crate::error::{Error, Result};
use crate::transform::{should_apply, validate_p};

/// The value written into masked cells.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum MaskValue {
    /// Zero (the mean of mean-normalised features, as in the paper). Default.
    #[default]
    Zero,
    /// The mean of the whole input matrix.
    Mean,
    /// A fixed value.
    Value(f32),
}

/// One mask: `start..start + width` along its axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mask {
    /// First masked index (feature row or frame).
    pub start: usize,
    /// Number of masked rows/frames (may be 0).
    pub width: usize,
}

/// What [`SpecAugment::apply_inplace`] did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpecAugmentReport {
    /// Whether the augmentation ran at all (probability `p`).
    pub applied: bool,
    /// `(w0, w)`: warp point moved from frame `w0` to `w0 + w`, if warped.
    pub warp: Option<(usize, i64)>,
    /// Frequency masks, in drawing order.
    pub freq_masks: Vec<Mask>,
    /// Time masks, in drawing order.
    pub time_masks: Vec<Mask>,
}

/// SpecAugment policy (parameter names of Park et al. 2019, Table 1).
///
/// For a `(ν, τ)` input (`ν` features, `τ` frames):
/// - time warp (if `W > 0` and `τ > 2W`): a point `w0 ~ U[W, τ-W)` moves to
///   `w0 + w`, `w ~ U[-W, W]`; the two sides are linearly stretched
///   (per-row linear interpolation along time);
/// - `m_F` frequency masks: width `f ~ U{0..=F}` (capped at `ν`),
///   start `f0 ~ U{0..=ν-f}`;
/// - `m_T` time masks: width `t ~ U{0..=min(T, ⌊p·τ⌋)}`, start `t0 ~ U{0..=τ-t}`.
///
/// Masks may overlap. `Default` is the LibriSpeech basic policy (LB) with
/// time warping off (`W = 0`; the paper found it the least important).
///
/// ```
/// use ndarray::Array2;
/// use ser_augment::{rng_from_seed, SpecAugment};
/// let x = Array2::<f32>::ones((80, 300));
/// let sa = SpecAugment::librispeech_double().time_warp(0);
/// let (y, rep) = sa.apply_with_report(x.view(), &mut rng_from_seed(1)).unwrap();
/// assert_eq!(rep.freq_masks.len(), 2);
/// assert!(rep.freq_masks.iter().all(|m| m.width <= 27));
/// assert_eq!(y.dim(), (80, 300));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SpecAugment {
    /// `W`: time-warp parameter in frames, 0 = no warping. Default: 0 (paper LB: 80).
    pub time_warp: usize,
    /// `F`: maximum frequency-mask width. Default: 27.
    pub freq_mask_param: usize,
    /// `m_F`: number of frequency masks. Default: 1.
    pub n_freq_masks: usize,
    /// `T`: maximum time-mask width in frames. Default: 100.
    pub time_mask_param: usize,
    /// `p`: upper bound on a time mask's width as a fraction of `τ`. Default: 1.0.
    pub time_mask_max_ratio: f32,
    /// `m_T`: number of time masks. Default: 1.
    pub n_time_masks: usize,
    /// Value written into masked cells. Default: zero.
    pub mask_value: MaskValue,
    /// Application probability of the whole policy. Default: 1.0.
    pub p: f32,
}

impl Default for SpecAugment {
    fn default() -> Self {
        Self::librispeech_basic().time_warp(0)
    }
}

impl SpecAugment {
    /// LibriSpeech basic (LB): W=80, F=27, m_F=1, T=100, p=1.0, m_T=1.
    pub fn librispeech_basic() -> Self {
        Self {
            time_warp: 80,
            freq_mask_param: 27,
            n_freq_masks: 1,
            time_mask_param: 100,
            time_mask_max_ratio: 1.0,
            n_time_masks: 1,
            mask_value: MaskValue::Zero,
            p: 1.0,
        }
    }
    /// LibriSpeech double (LD): W=80, F=27, m_F=2, T=100, p=1.0, m_T=2.
    pub fn librispeech_double() -> Self {
        Self {
            n_freq_masks: 2,
            n_time_masks: 2,
            ..Self::librispeech_basic()
        }
    }
    /// Switchboard mild (SM): W=40, F=15, m_F=2, T=70, p=0.2, m_T=2.
    pub fn switchboard_mild() -> Self {
        Self {
            time_warp: 40,
            freq_mask_param: 15,
            n_freq_masks: 2,
            time_mask_param: 70,
            time_mask_max_ratio: 0.2,
            n_time_masks: 2,
            mask_value: MaskValue::Zero,
            p: 1.0,
        }
    }
    /// Switchboard strong (SS): W=40, F=27, m_F=2, T=70, p=0.2, m_T=2.
    pub fn switchboard_strong() -> Self {
        Self {
            freq_mask_param: 27,
            ..Self::switchboard_mild()
        }
    }
    /// Sets `W` (0 disables time warping).
    pub fn time_warp(mut self, w: usize) -> Self {
        self.time_warp = w;
        self
    }
    /// Sets `F` and `m_F`.
    pub fn freq_masks(mut self, n: usize, max_width: usize) -> Self {
        self.n_freq_masks = n;
        self.freq_mask_param = max_width;
        self
    }
    /// Sets `T`, `m_T` and `p` (max width as a fraction of the frames).
    pub fn time_masks(mut self, n: usize, max_width: usize, max_ratio: f32) -> Self {
        self.n_time_masks = n;
        self.time_mask_param = max_width;
        self.time_mask_max_ratio = max_ratio;
        self
    }
    /// Sets the mask value.
    pub fn mask_value(mut self, v: MaskValue) -> Self {
        self.mask_value = v;
        self
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }

    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        if !(0.0..=1.0).contains(&self.time_mask_max_ratio) {
            return Err(Error::InvalidParameter {
                name: "time_mask_max_ratio",
                value: self.time_mask_max_ratio.to_string(),
                expected: "0 <= p <= 1",
            });
        }
        if let MaskValue::Value(v) = self.mask_value {
            if !v.is_finite() {
                return Err(Error::InvalidParameter {
                    name: "mask_value",
                    value: v.to_string(),
                    expected: "a finite value",
                });
            }
        }
        Ok(())
    }

    /// Returns an augmented copy of `x` (`(n_features, n_frames)`).
    pub fn apply(&self, x: ArrayView2<'_, f32>, rng: &mut dyn RngCore) -> Result<Array2<f32>> {
        Ok(self.apply_with_report(x, rng)?.0)
    }

    /// Like [`SpecAugment::apply`], also returning the drawn warp and masks.
    pub fn apply_with_report(
        &self,
        x: ArrayView2<'_, f32>,
        rng: &mut dyn RngCore,
    ) -> Result<(Array2<f32>, SpecAugmentReport)> {
        let mut y = x.to_owned();
        let rep = self.apply_inplace(y.view_mut(), rng)?;
        Ok((y, rep))
    }

    /// Augments `x` in place. Errors on an empty or non-finite matrix.
    pub fn apply_inplace(
        &self,
        mut x: ArrayViewMut2<'_, f32>,
        rng: &mut dyn RngCore,
    ) -> Result<SpecAugmentReport> {
        self.validate()?;
        let (nu, tau) = x.dim();
        if nu == 0 || tau == 0 {
            return Err(Error::EmptyInput {
                what: "feature matrix",
            });
        }
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "feature matrix",
                index,
            });
        }
        let mut rep = SpecAugmentReport::default();
        if !should_apply(self.p, rng) {
            return Ok(rep);
        }
        rep.applied = true;
        let fill = match self.mask_value {
            MaskValue::Zero => 0.0,
            MaskValue::Value(v) => v,
            MaskValue::Mean => {
                (x.iter().map(|&v| f64::from(v)).sum::<f64>() / (nu * tau) as f64) as f32
            }
        };
        let w_param = self.time_warp;
        if w_param > 0 && tau > 2 * w_param {
            let w0 = rng.gen_range(w_param..tau - w_param);
            let w = rng.gen_range(-(w_param as i64)..=w_param as i64);
            if w != 0 {
                time_warp_rows(&mut x, w0, w);
            }
            rep.warp = Some((w0, w));
        }
        for _ in 0..self.n_freq_masks {
            let f = rng.gen_range(0..=self.freq_mask_param.min(nu));
            let f0 = rng.gen_range(0..=nu - f);
            x.slice_axis_mut(Axis(0), Slice::from(f0..f0 + f))
                .fill(fill);
            rep.freq_masks.push(Mask {
                start: f0,
                width: f,
            });
        }
        let cap = ((f64::from(self.time_mask_max_ratio) * tau as f64).floor() as usize).min(tau);
        for _ in 0..self.n_time_masks {
            let t = rng.gen_range(0..=self.time_mask_param.min(cap));
            let t0 = rng.gen_range(0..=tau - t);
            x.slice_axis_mut(Axis(1), Slice::from(t0..t0 + t))
                .fill(fill);
            rep.time_masks.push(Mask {
                start: t0,
                width: t,
            });
        }
        Ok(rep)
    }
}

/// Piecewise-linear time warp moving frame `w0` to `w0 + w` (in place).
fn time_warp_rows(x: &mut ArrayViewMut2<'_, f32>, w0: usize, w: i64) {
    let tau = x.ncols();
    let dst = (w0 as i64 + w) as f64;
    let w0f = w0 as f64;
    let last = (tau - 1) as f64;
    // Source position (fractional frame) for each destination frame.
    let src: Vec<f64> = (0..tau)
        .map(|t| {
            let t = t as f64;
            if t <= dst {
                t * w0f / dst
            } else {
                w0f + (t - dst) * (last - w0f) / (last - dst)
            }
        })
        .collect();
    let mut row_buf = vec![0.0f32; tau];
    for mut row in x.axis_iter_mut(Axis(0)) {
        for (o, &s) in row_buf.iter_mut().zip(&src) {
            let i = (s.floor() as usize).min(tau - 1);
            let j = (i + 1).min(tau - 1);
            let frac = (s - i as f64) as f32;
            *o = row[i] + frac * (row[j] - row[i]);
        }
        row.iter_mut().zip(&row_buf).for_each(|(r, &v)| *r = v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::rng_from_seed;

    #[test]
    fn masks_have_requested_counts_and_widths() {
        for (policy, nu, tau) in [
            (SpecAugment::librispeech_basic().time_warp(0), 80, 400),
            (SpecAugment::librispeech_double().time_warp(0), 80, 400),
            (SpecAugment::switchboard_mild().time_warp(0), 80, 200),
            (SpecAugment::switchboard_strong().time_warp(0), 40, 120),
        ] {
            let mut max_f = 0;
            let mut max_t = 0;
            for seed in 0..200 {
                let x = Array2::<f32>::ones((nu, tau));
                let (y, rep) = policy
                    .apply_with_report(x.view(), &mut rng_from_seed(seed))
                    .unwrap();
                assert_eq!(rep.freq_masks.len(), policy.n_freq_masks);
                assert_eq!(rep.time_masks.len(), policy.n_time_masks);
                let cap = ((policy.time_mask_max_ratio * tau as f32).floor() as usize)
                    .min(policy.time_mask_param);
                let mut expect = Array2::<f32>::ones((nu, tau));
                for m in &rep.freq_masks {
                    assert!(m.width <= policy.freq_mask_param && m.start + m.width <= nu);
                    max_f = max_f.max(m.width);
                    expect
                        .slice_axis_mut(Axis(0), Slice::from(m.start..m.start + m.width))
                        .fill(0.0);
                }
                for m in &rep.time_masks {
                    assert!(m.width <= cap && m.start + m.width <= tau);
                    max_t = max_t.max(m.width);
                    expect
                        .slice_axis_mut(Axis(1), Slice::from(m.start..m.start + m.width))
                        .fill(0.0);
                }
                // Exactly the reported cells are masked.
                assert_eq!(y, expect);
            }
            let cap = ((policy.time_mask_max_ratio * tau as f32).floor() as usize)
                .min(policy.time_mask_param);
            // The full width range is reachable.
            assert!(max_f >= policy.freq_mask_param - 3, "{max_f}");
            assert!(max_t >= cap * 9 / 10, "{max_t} vs {cap}");
        }
    }

    #[test]
    fn time_warp_moves_a_ramp_point() {
        let tau = 200;
        let x = Array2::from_shape_fn((3, tau), |(_, t)| t as f32);
        let sa = SpecAugment::librispeech_basic()
            .freq_masks(0, 0)
            .time_masks(0, 0, 1.0)
            .time_warp(40);
        let (y, rep) = sa
            .apply_with_report(x.view(), &mut rng_from_seed(4))
            .unwrap();
        let (w0, w) = rep.warp.unwrap();
        let dst = (w0 as i64 + w) as usize;
        assert!((y[[1, dst]] - w0 as f32).abs() < 1e-3);
        assert_eq!(y[[0, 0]], 0.0);
        assert!((y[[2, tau - 1]] - (tau - 1) as f32).abs() < 1e-3);
        // Monotone ramp stays monotone.
        assert!(y.row(0).windows(2).into_iter().all(|w| w[1] >= w[0]));
    }

    #[test]
    fn errors_on_bad_input() {
        let sa = SpecAugment::default();
        let mut r = rng_from_seed(0);
        assert!(sa
            .apply(Array2::<f32>::zeros((0, 5)).view(), &mut r)
            .is_err());
        let mut x = Array2::<f32>::zeros((4, 5));
        x[[1, 1]] = f32::NAN;
        assert!(sa.apply(x.view(), &mut r).is_err());
        assert!(sa
            .clone()
            .p(2.0)
            .apply(Array2::<f32>::zeros((2, 2)).view(), &mut r)
            .is_err());
    }

    #[test]
    fn mean_mask_value() {
        let x = Array2::from_shape_fn((10, 20), |(f, _)| f as f32);
        let sa = SpecAugment::default()
            .freq_masks(0, 0)
            .time_masks(1, 20, 1.0)
            .mask_value(MaskValue::Mean);
        let (y, rep) = sa
            .apply_with_report(x.view(), &mut rng_from_seed(9))
            .unwrap();
        let m = rep.time_masks[0];
        if m.width > 0 {
            assert!((y[[0, m.start]] - 4.5).abs() < 1e-6);
        }
    }
}
