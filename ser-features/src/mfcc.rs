//! MFCC helpers (`librosa.feature.mfcc`).
//!
//! The fast path is [`crate::FeatureExtractor::mfcc`] (plan once, many clips). This module
//! adds one-shot conveniences and the `S=` form that takes an existing log-mel spectrogram.
//!
//! librosa: `mfcc(y, sr=22050, n_mfcc=20, dct_type=2, norm='ortho', lifter=0, **kwargs)` =
//! `dct(power_to_db(melspectrogram(y, sr, **kwargs)), type=2, norm='ortho', axis=-2)[:n_mfcc]`,
//! then, if `lifter > 0`, row `n` (0-based) is scaled by `1 + (lifter / 2) sin(π (n + 1) / lifter)`.
//!
//! [`Cepstrum`] is the one cepstral transform of the crate: the orthonormal DCT-II of
//! `ser_dsp::Dct2` restricted to a range of coefficients, with liftering. It serves
//! librosa's MFCC ([`crate::FeatureExtractor`], [`mfcc_from_log_mel`]: coefficients `0..n_mfcc`)
//! and the HTK/openSMILE MFCC 1–4 of [`crate::egemaps`] (coefficients `1..=4`, lifter 22:
//! HTK's `√(2/N) Σ_b x_b cos(π c (b + ½) / N)` is exactly the ortho DCT-II for `c ≥ 1`, and
//! HTK's lifter `1 + (L/2) sin(π c / L)` is librosa's rule applied to the kept rows when the
//! first kept row is `c = 1`).

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::extractor::{FeatureConfig, FeatureExtractor};

/// Cepstral transform plan: coefficients `first .. first + n_out` of the orthonormal DCT-II
/// ([`ser_dsp::Dct2`]) of an `n_bands` log spectrum, kept row `i` scaled by the lifter weight
/// `1 + (lifter / 2) sin(π (i + 1) / lifter)` (librosa's rule; 1 when `lifter = 0`).
/// Sums are accumulated in `f64`. `Send + Sync`.
///
/// ```
/// use ser_features::mfcc::Cepstrum;
/// // HTK / openSMILE MFCC 1-4 of 26 log mel bands, lifter 22
/// let c = Cepstrum::new(26, 1, 4, 22.0)?;
/// let mut out = [0.0f32; 4];
/// c.process(&[1.0; 26], &mut out)?;
/// assert!(out.iter().all(|v| v.abs() < 1e-5)); // a flat spectrum has no c1..c4
/// # Ok::<(), ser_features::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Cepstrum {
    n_bands: usize,
    /// Row-major `(n_out, n_bands)`: DCT rows `first ..`.
    basis: Vec<f32>,
    lifter: Vec<f32>,
}

impl Cepstrum {
    /// Plan for `n_bands` inputs keeping DCT coefficients `first .. first + n_out`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `n_out` is 0, `first + n_out > n_bands`, or `lifter`
    /// is negative or non-finite.
    pub fn new(n_bands: usize, first: usize, n_out: usize, lifter: f32) -> Result<Self> {
        if n_out == 0 || first + n_out > n_bands {
            return Err(Error::InvalidParameter {
                name: "n_mfcc",
                reason: format!(
                    "coefficients {first}..{} must lie in 0..{n_bands} and be non-empty",
                    first + n_out
                ),
            });
        }
        if !(lifter.is_finite() && lifter >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "lifter",
                reason: format!("must be finite and >= 0, got {lifter}"),
            });
        }
        let full = ser_dsp::Dct2::new(n_bands)?.basis(first + n_out)?;
        let basis = full
            .rows()
            .into_iter()
            .skip(first)
            .flat_map(|r| r.to_vec())
            .collect();
        let lifter = (1..=n_out)
            .map(|n| {
                if lifter > 0.0 {
                    1.0 + (lifter / 2.0) * (std::f32::consts::PI * n as f32 / lifter).sin()
                } else {
                    1.0
                }
            })
            .collect();
        Ok(Self {
            n_bands,
            basis,
            lifter,
        })
    }

    /// Number of input bands.
    pub fn n_bands(&self) -> usize {
        self.n_bands
    }

    /// Number of output coefficients.
    pub fn n_out(&self) -> usize {
        self.lifter.len()
    }

    /// Coefficients of one log spectrum (`n_bands` values) into `out` (`n_out` values).
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] on wrong lengths.
    pub fn process(&self, log_bands: &[f32], out: &mut [f32]) -> Result<()> {
        if log_bands.len() != self.n_bands || out.len() != self.n_out() {
            return Err(Error::ShapeMismatch {
                what: "cepstrum input/output",
                expected: vec![self.n_bands, self.n_out()],
                got: vec![log_bands.len(), out.len()],
            });
        }
        self.process_unchecked(log_bands, out);
        Ok(())
    }

    /// [`Cepstrum::process`] without the length checks (callers guarantee them).
    #[inline]
    pub(crate) fn process_unchecked(&self, log_bands: &[f32], out: &mut [f32]) {
        for ((o, basis), &w) in out
            .iter_mut()
            .zip(self.basis.chunks_exact(self.n_bands))
            .zip(&self.lifter)
        {
            let s: f64 = basis
                .iter()
                .zip(log_bands)
                .map(|(&b, &x)| f64::from(b) * f64::from(x))
                .sum();
            *o = s as f32 * w;
        }
    }
}

/// One-shot `librosa.feature.mfcc(y=y, ...)` with the parameters of `cfg`: `(n_mfcc, n_frames)`.
/// Builds a plan on every call; reuse a [`FeatureExtractor`] for many clips.
///
/// ```
/// use ser_features::{mfcc::mfcc, FeatureConfig};
/// let y: Vec<f32> = (0..22050).map(|i| (i as f32 * 0.02).sin()).collect();
/// let m = mfcc(&y, &FeatureConfig::default()).unwrap();
/// assert_eq!(m.dim(), (20, 44));
/// ```
pub fn mfcc(y: &[f32], cfg: &FeatureConfig) -> Result<Array2<f32>> {
    FeatureExtractor::new(cfg)?.mfcc(y)
}

/// `librosa.feature.mfcc(S=s_db, n_mfcc=n_mfcc, lifter=lifter)`: DCT-II (ortho) of a log-mel
/// spectrogram `(n_mels, n_frames)` → `(n_mfcc, n_frames)`.
///
/// # Errors
/// [`Error::InvalidParameter`] if `n_mfcc` is 0 or exceeds `n_mels`, or `lifter < 0`;
/// [`Error::EmptyInput`] for an empty spectrogram.
pub fn mfcc_from_log_mel(
    s_db: ArrayView2<'_, f32>,
    n_mfcc: usize,
    lifter: f32,
) -> Result<Array2<f32>> {
    if s_db.is_empty() {
        return Err(Error::EmptyInput {
            what: "log-mel spectrogram",
        });
    }
    if n_mfcc == 0 || n_mfcc > s_db.nrows() {
        return Err(Error::InvalidParameter {
            name: "n_mfcc",
            reason: format!("must be in 1..={}, got {n_mfcc}", s_db.nrows()),
        });
    }
    let plan = Cepstrum::new(s_db.nrows(), 0, n_mfcc, lifter)?;
    let mut m = Array2::zeros((n_mfcc, s_db.ncols()));
    let mut col = vec![0.0f32; s_db.nrows()];
    let mut out = vec![0.0f32; n_mfcc];
    for (t, frame) in s_db.columns().into_iter().enumerate() {
        for (c, v) in col.iter_mut().zip(frame) {
            *c = *v;
        }
        plan.process_unchecked(&col, &mut out);
        for (k, v) in out.iter().enumerate() {
            m[[k, t]] = *v;
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s_form_matches_extractor() {
        let cfg = FeatureConfig::default()
            .sr(16000)
            .n_fft(512)
            .hop_length(160)
            .n_mels(40)
            .n_mfcc(13)
            .lifter(22.0);
        let plan = FeatureExtractor::new(&cfg).expect("valid");
        let y: Vec<f32> = (0..8000)
            .map(|i| ((i * i) as f32 * 1e-5).sin() * 0.3)
            .collect();
        let a = plan.mfcc(&y).expect("ok");
        let b = mfcc_from_log_mel(plan.log_mel(&y).expect("ok").view(), 13, 22.0).expect("ok");
        assert_eq!(a.dim(), b.dim());
        for (x, y) in a.iter().zip(b.iter()) {
            assert!((x - y).abs() <= 1e-3 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn cepstrum_matches_htk_formula() {
        // HTK: c_n = sqrt(2/N) sum_b x_b cos(pi n (b + 0.5) / N), lifted by 1 + L/2 sin(pi n / L)
        let n_b = 26;
        let x: Vec<f32> = (0..n_b)
            .map(|b| ((b * b) as f32 * 0.37).sin() * 5.0)
            .collect();
        let plan = Cepstrum::new(n_b, 1, 4, 22.0).expect("valid");
        let mut out = [0.0f32; 4];
        plan.process(&x, &mut out).expect("ok");
        for (i, o) in out.iter().enumerate() {
            let n = (i + 1) as f64;
            let c: f64 = (0..n_b)
                .map(|b| {
                    (2.0 / n_b as f64).sqrt()
                        * x[b] as f64
                        * (std::f64::consts::PI * n * (b as f64 + 0.5) / n_b as f64).cos()
                })
                .sum();
            let want = c * (1.0 + 11.0 * (std::f64::consts::PI * n / 22.0).sin());
            assert!(
                (*o as f64 - want).abs() < 1e-4 * (1.0 + want.abs()),
                "{o} vs {want}"
            );
        }
        assert!(plan.process(&x[..25], &mut out).is_err());
        assert!(Cepstrum::new(26, 23, 4, 0.0).is_err());
        assert!(Cepstrum::new(26, 0, 0, 0.0).is_err());
        assert!(Cepstrum::new(26, 0, 4, f32::NAN).is_err());
    }

    #[test]
    fn rejects_bad_parameters() {
        let s = Array2::<f32>::zeros((10, 3));
        assert!(mfcc_from_log_mel(s.view(), 11, 0.0).is_err());
        assert!(mfcc_from_log_mel(s.view(), 0, 0.0).is_err());
        assert!(mfcc_from_log_mel(s.view(), 5, -1.0).is_err());
        assert!(mfcc(&[], &FeatureConfig::default()).is_err());
        assert!(mfcc(&[f32::NAN; 4096], &FeatureConfig::default()).is_err());
        assert!(FeatureExtractor::new(&FeatureConfig::default().dct_type(3)).is_err());
        assert!(FeatureExtractor::new(&FeatureConfig::default().n_mfcc(200)).is_err());
    }
}
