//! MFCC helpers (`librosa.feature.mfcc`).
//!
//! The fast path is [`crate::FeatureExtractor::mfcc`] (plan once, many clips). This module
//! adds one-shot conveniences and the `S=` form that takes an existing log-mel spectrogram.
//!
//! librosa: `mfcc(y, sr=22050, n_mfcc=20, dct_type=2, norm='ortho', lifter=0, **kwargs)` =
//! `dct(power_to_db(melspectrogram(y, sr, **kwargs)), type=2, norm='ortho', axis=-2)[:n_mfcc]`,
//! then, if `lifter > 0`, row `n` (0-based) is scaled by `1 + (lifter / 2) sin(π (n + 1) / lifter)`.

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::extractor::{FeatureConfig, FeatureExtractor};

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
    if !(lifter.is_finite() && lifter >= 0.0) {
        return Err(Error::InvalidParameter {
            name: "lifter",
            reason: format!("must be finite and >= 0, got {lifter}"),
        });
    }
    let mut m = ser_dsp::dct2_ortho(s_db, n_mfcc)?;
    if lifter > 0.0 {
        for (n, mut row) in m.rows_mut().into_iter().enumerate() {
            let li = (std::f32::consts::PI * (n + 1) as f32 / lifter).sin();
            row *= 1.0 + (lifter / 2.0) * li;
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
