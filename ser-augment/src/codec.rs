//! Channel degradations of a telephone line: μ-law companding ([`MuLaw`], ITU-T G.711's
//! continuous μ-law curve quantised to `bits` bits) and a round trip through a lower sample
//! rate ([`Resample`], e.g. 8 kHz narrowband). With [`crate::BandLimit::telephone`] they
//! make the usual telephone channel: `telephone; resample:8000; mulaw:8` in a pipeline spec.

use rand::RngCore;
use ser_dsp::{resample, ResampleQuality};

use crate::error::{Error, Result};
use crate::transform::{validate_p, ParamRange, Transform};

/// μ-law companding with uniform quantisation of the companded value to `bits` bits
/// (`2^bits` levels, μ = 255 for 8 bits as in G.711), then expansion back. Samples are
/// clipped to `[-1, 1]` first, as a codec would. The quantisation error is
/// roughly proportional to the signal's level (about 38 dB SNR for 8 bits at any level in
/// the companded range), unlike uniform 8-bit PCM.
///
/// Defaults: 8 bits, μ = 255, `p = 0.5`.
///
/// ```
/// use ser_augment::{rng_from_seed, MuLaw, Transform};
/// let x: Vec<f32> = (0..16_000).map(|i| 0.3 * (i as f32 * 0.05).sin()).collect();
/// let y = MuLaw::new(8).p(1.0).apply(&x, 16_000, &mut rng_from_seed(0)).unwrap();
/// let snr = ser_augment::snr_db(&x, &x.iter().zip(&y).map(|(a, b)| b - a).collect::<Vec<_>>());
/// assert!(snr > 30.0 && snr < 45.0, "{snr}");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MuLaw {
    /// Bits per sample after companding, 2..=16. Default: 8.
    pub bits: u32,
    /// Compression parameter μ (> 0). Default: 255.
    pub mu: f32,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for MuLaw {
    fn default() -> Self {
        Self::new(8)
    }
}

impl MuLaw {
    /// `bits`-bit μ-law with μ = 255.
    pub fn new(bits: u32) -> Self {
        Self {
            bits,
            mu: 255.0,
            p: 0.5,
        }
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
    /// Sets μ.
    pub fn mu(mut self, mu: f32) -> Self {
        self.mu = mu;
        self
    }
}

impl Transform for MuLaw {
    fn name(&self) -> &'static str {
        "mulaw"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        if !(2..=16).contains(&self.bits) {
            return Err(Error::InvalidParameter {
                name: "bits",
                value: self.bits.to_string(),
                expected: "2 <= bits <= 16",
            });
        }
        if !(self.mu.is_finite() && self.mu > 0.0) {
            return Err(Error::InvalidParameter {
                name: "mu",
                value: self.mu.to_string(),
                expected: "a finite mu > 0",
            });
        }
        Ok(())
    }
    fn process(&self, samples: &[f32], _sr: u32, _rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let mu = f64::from(self.mu);
        let ln1p_mu = mu.ln_1p();
        // Mid-riser quantiser on [-1, 1] with 2^bits levels.
        let levels = f64::from(1u32 << self.bits);
        let step = 2.0 / levels;
        Ok(samples
            .iter()
            .map(|&v| {
                let x = f64::from(v).clamp(-1.0, 1.0);
                let c = x.signum() * (mu * x.abs()).ln_1p() / ln1p_mu;
                let q = ((c / step).floor() + 0.5) * step;
                let q = q.clamp(-1.0 + step / 2.0, 1.0 - step / 2.0);
                (q.signum() * ((ln1p_mu * q.abs()).exp() - 1.0) / mu) as f32
            })
            .collect())
    }
}

/// A round trip through another sample rate: resampled to `rate` Hz and back, the length
/// kept. Below the input rate it removes everything above `rate / 2` (e.g. 8 kHz
/// narrowband keeps 0–4 kHz) with the resampler's anti-aliasing filter.
///
/// Defaults: 8000 Hz, `p = 0.5`.
///
/// ```
/// use ser_augment::{rng_from_seed, Resample, Transform};
/// let sr = 16_000;
/// let tone = |f: f32| (0..sr).map(|i| (2.0 * std::f32::consts::PI * f * i as f32 / sr as f32).sin()).collect::<Vec<f32>>();
/// let r = Resample::new(8000).p(1.0);
/// let rms = |v: &[f32]| (v[2000..14_000].iter().map(|a| a * a).sum::<f32>() / 12_000.0).sqrt();
/// let low = r.apply(&tone(1000.0), sr, &mut rng_from_seed(0)).unwrap();
/// let high = r.apply(&tone(6000.0), sr, &mut rng_from_seed(0)).unwrap();
/// assert_eq!(low.len(), sr as usize);
/// assert!((rms(&low) / rms(&tone(1000.0)) - 1.0).abs() < 0.01);
/// assert!(rms(&high) < 0.01); // above 4 kHz: gone
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Resample {
    /// Intermediate sample rate in Hz. Default: 8000.
    pub rate: ParamRange,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for Resample {
    fn default() -> Self {
        Self::new(8000)
    }
}

impl Resample {
    /// A round trip through `rate` Hz.
    pub fn new(rate: u32) -> Self {
        Self {
            rate: ParamRange::fixed(rate as f32),
            p: 0.5,
        }
    }
    /// A round trip through a rate drawn from `[min, max]` Hz (rounded to an integer).
    pub fn range(min: u32, max: u32) -> Self {
        Self {
            rate: ParamRange::new(min as f32, max as f32),
            p: 0.5,
        }
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for Resample {
    fn name(&self) -> &'static str {
        "resample"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        self.rate
            .validate("rate", 1000.0, 384_000.0, "1000 <= rate <= 384000 Hz")
    }
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let rate = self.rate.sample(rng).round() as u32;
        if rate == sr {
            return Ok(samples.to_vec());
        }
        let q = ResampleQuality::default();
        let down = resample(samples, sr, rate, q)?;
        let mut out = resample(&down, rate, sr, q)?;
        out.resize(samples.len(), 0.0);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{rng_from_seed, snr_db};

    fn err_snr(x: &[f32], y: &[f32]) -> f64 {
        let e: Vec<f32> = x.iter().zip(y).map(|(a, b)| b - a).collect();
        snr_db(x, &e)
    }

    /// μ-law's error is relative to the level: over 40 dB of level the SNR moves by less
    /// than 10 dB (38 → 29 dB; uniform 8-bit quantisation would lose 40 dB); fewer bits
    /// cost about 6 dB each.
    #[test]
    fn mulaw_snr_is_level_independent_and_six_db_per_bit() {
        let mut rng = rng_from_seed(1);
        let base: Vec<f32> = (0..32_000)
            .map(|i| (i as f32 * 0.031).sin() * (0.5 + 0.5 * (i as f32 * 0.0007).cos()))
            .collect();
        let t = MuLaw::new(8).p(1.0);
        let mut snrs = Vec::new();
        for level in [0.5f32, 0.05, 0.005] {
            let x: Vec<f32> = base.iter().map(|v| v * level).collect();
            let y = t.apply(&x, 16_000, &mut rng).unwrap();
            snrs.push(err_snr(&x, &y));
        }
        assert!(snrs.iter().all(|&s| s > 25.0 && s < 45.0), "{snrs:?}");
        assert!(snrs[0] - snrs[2] < 10.0, "{snrs:?}");
        let y6 = MuLaw::new(6).p(1.0).apply(&base, 16_000, &mut rng).unwrap();
        let y8 = MuLaw::new(8).p(1.0).apply(&base, 16_000, &mut rng).unwrap();
        let d = err_snr(&base, &y8) - err_snr(&base, &y6);
        assert!((d - 12.0).abs() < 3.0, "2 bits gave {d} dB");
        // Out-of-range input is clipped like a codec's, never amplified.
        let y = t.apply(&[2.0, -3.0, 0.0], 16_000, &mut rng).unwrap();
        assert!(y.iter().all(|v| v.abs() <= 1.0));
    }

    #[test]
    fn bad_parameters_are_errors() {
        let mut rng = rng_from_seed(0);
        let x = vec![0.1f32; 100];
        assert!(MuLaw::new(1).p(1.0).apply(&x, 16_000, &mut rng).is_err());
        assert!(MuLaw::new(8)
            .mu(0.0)
            .p(1.0)
            .apply(&x, 16_000, &mut rng)
            .is_err());
        assert!(Resample::new(100)
            .p(1.0)
            .apply(&x, 16_000, &mut rng)
            .is_err());
        // Same rate: the input unchanged.
        let y = Resample::new(16_000)
            .p(1.0)
            .apply(&x, 16_000, &mut rng)
            .unwrap();
        assert_eq!(y, x);
    }

    /// The 8 kHz round trip keeps the band below 4 kHz (within 0.1 dB at 3 kHz) and removes
    /// what lies above (≥ 40 dB down at 5 kHz), the length unchanged.
    #[test]
    fn resample_band_edges() {
        let sr = 16_000u32;
        let tone = |f: f32| -> Vec<f32> {
            (0..sr)
                .map(|i| (2.0 * std::f32::consts::PI * f * i as f32 / sr as f32).sin())
                .collect()
        };
        let rms =
            |v: &[f32]| (v[2000..14_000].iter().map(|a| a * a).sum::<f32>() / 12_000.0).sqrt();
        let t = Resample::new(8000).p(1.0);
        let mut rng = rng_from_seed(0);
        for (f, lo, hi) in [
            (300.0, -0.1, 0.1),
            (3000.0, -0.1, 0.1),
            (5000.0, -200.0, -40.0),
        ] {
            let x = tone(f);
            let y = t.apply(&x, sr, &mut rng).unwrap();
            assert_eq!(y.len(), x.len());
            let g = 20.0 * (rms(&y) / rms(&x)).log10();
            assert!(g >= lo && g <= hi, "{f} Hz: {g} dB");
        }
    }
}
