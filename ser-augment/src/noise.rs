//! Additive noise at a target signal-to-noise ratio: synthetic coloured
//! noise ([`AddNoise`]) and noise from recordings ([`AddBackgroundNoise`]).

use std::path::Path;

use rand::{Rng, RngCore};
use rand_distr::{Distribution, StandardNormal};
pub use ser_dsp::mean_power;
use ser_dsp::Audio;

use crate::error::{Error, Result};
use crate::transform::{validate_p, ParamRange, Transform};

/// Spectral colour of synthetic noise (power spectral density ∝ `1/f^β`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NoiseColor {
    /// Flat spectrum (β = 0), Gaussian samples. Default.
    #[default]
    White,
    /// −3 dB/octave (β = 1), by spectral shaping of white noise.
    Pink,
    /// −6 dB/octave (β = 2, "Brownian"/red), by spectral shaping.
    Brown,
}

impl NoiseColor {
    /// Exponent β of the power spectral density `1/f^β`.
    pub fn beta(self) -> f64 {
        match self {
            NoiseColor::White => 0.0,
            NoiseColor::Pink => 1.0,
            NoiseColor::Brown => 2.0,
        }
    }
}

/// SNR in dB of `signal` against `noise` (mean-power ratio);
/// `+inf` for zero noise.
pub fn snr_db(signal: &[f32], noise: &[f32]) -> f64 {
    10.0 * (mean_power(signal) / mean_power(noise)).log10()
}

/// Generates `n` samples of unit-variance Gaussian noise of the given colour.
///
/// Coloured noise is white Gaussian noise whose spectrum (real FFT of the
/// next power of two ≥ `n`) is multiplied by `f^(-β/2)` (DC removed), then
/// normalised to unit mean power.
pub fn coloured_noise(n: usize, color: NoiseColor, rng: &mut dyn RngCore) -> Vec<f32> {
    if color == NoiseColor::White || n < 2 {
        return (0..n).map(|_| StandardNormal.sample(&mut *rng)).collect();
    }
    let len = n.next_power_of_two();
    let mut buf: Vec<f32> = (0..len).map(|_| StandardNormal.sample(&mut *rng)).collect();
    let (fwd, inv) = crate::dspx::real_fft_pair(len);
    let mut spec = fwd.make_output_vec();
    // Buffer lengths match the plans by construction, so these cannot fail.
    let ok = fwd.process(&mut buf, &mut spec).is_ok();
    debug_assert!(ok);
    let half_beta = color.beta() / 2.0;
    spec[0] = num_complex::Complex32::new(0.0, 0.0);
    for (k, c) in spec.iter_mut().enumerate().skip(1) {
        *c *= (k as f64).powf(-half_beta) as f32;
    }
    if let Some(last) = spec.last_mut() {
        last.im = 0.0;
    }
    let ok = inv.process(&mut spec, &mut buf).is_ok();
    debug_assert!(ok);
    buf.truncate(n);
    let p = mean_power(&buf);
    if p > 0.0 {
        let s = (1.0 / p.sqrt()) as f32;
        buf.iter_mut().for_each(|v| *v *= s);
    }
    buf
}

/// Adds `noise` (same length) scaled so that the mean-power SNR is exactly
/// `snr_db` (up to f32 rounding). Silent signals or noises leave the input unchanged.
pub(crate) fn mix_at_snr(samples: &[f32], noise: &[f32], snr_db: f32) -> Vec<f32> {
    let ps = mean_power(samples);
    let pn = mean_power(noise);
    if ps <= 0.0 || pn <= 0.0 {
        return samples.to_vec();
    }
    let scale = (ps / (pn * 10f64.powf(f64::from(snr_db) / 10.0))).sqrt();
    samples
        .iter()
        .zip(noise)
        .map(|(&s, &n)| (f64::from(s) + f64::from(n) * scale) as f32)
        .collect()
}

/// Adds synthetic white, pink or brown Gaussian noise at an SNR (dB) drawn
/// uniformly per call. SNR is the ratio of mean powers of the input and the
/// added noise over the whole signal. Silent input is returned unchanged.
///
/// Defaults as audiomentations' `AddGaussianSNR`: `5..40` dB, white, `p = 0.5`.
///
/// ```
/// use ser_augment::{rng_from_seed, snr_db, AddNoise, NoiseColor, Transform};
/// let x: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.05).sin()).collect();
/// let t = AddNoise::new(10.0, 10.0).color(NoiseColor::Pink);
/// let y = t.apply_always(&x, 16_000, &mut rng_from_seed(1)).unwrap();
/// let n: Vec<f32> = y.iter().zip(&x).map(|(a, b)| a - b).collect();
/// assert!((snr_db(&x, &n) - 10.0).abs() < 0.01);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AddNoise {
    /// Target SNR range in dB. Default: 5..40.
    pub snr_db: ParamRange,
    /// Noise colour. Default: white.
    pub color: NoiseColor,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for AddNoise {
    fn default() -> Self {
        Self::new(5.0, 40.0)
    }
}

impl AddNoise {
    /// White noise at an SNR drawn from `[min_snr_db, max_snr_db]`, `p = 0.5`.
    pub fn new(min_snr_db: f32, max_snr_db: f32) -> Self {
        Self {
            snr_db: ParamRange::new(min_snr_db, max_snr_db),
            color: NoiseColor::White,
            p: 0.5,
        }
    }
    /// Sets the noise colour.
    pub fn color(mut self, color: NoiseColor) -> Self {
        self.color = color;
        self
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for AddNoise {
    fn name(&self) -> &'static str {
        "noise"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        self.snr_db
            .validate("snr", -100.0, 200.0, "-100 <= snr <= 200 dB, min <= max")
    }
    fn process(&self, samples: &[f32], _sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let snr = self.snr_db.sample(rng);
        let noise = coloured_noise(samples.len(), self.color, rng);
        Ok(mix_at_snr(samples, &noise, snr))
    }
}

/// Adds a random segment of a user-given noise recording at an SNR drawn
/// per call. A recording is picked uniformly; if it is longer than the input
/// a segment starts at a uniform offset, if shorter it is looped from a
/// uniform offset. Recordings at another sample rate than the input are
/// resampled on the fly (load them at the working rate to avoid that cost).
/// A silent segment leaves the input unchanged (as audiomentations).
///
/// Defaults as audiomentations' `AddBackgroundNoise`: `3..30` dB, `p = 0.5`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AddBackgroundNoise {
    /// The noise recordings (mono).
    pub noises: Vec<Audio>,
    /// Target SNR range in dB. Default: 3..30.
    pub snr_db: ParamRange,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl AddBackgroundNoise {
    /// From in-memory recordings. Errors if the list is empty or a recording
    /// is all zeros.
    pub fn new(noises: Vec<Audio>) -> Result<Self> {
        if noises.is_empty() {
            return Err(Error::EmptyInput { what: "noise list" });
        }
        if let Some(i) = noises.iter().position(|a| mean_power(&a.samples) <= 0.0) {
            return Err(Error::InvalidParameter {
                name: "noise",
                value: format!("recording #{i}"),
                expected: "a recording that is not all zeros",
            });
        }
        Ok(Self {
            noises,
            snr_db: ParamRange::new(3.0, 30.0),
            p: 0.5,
        })
    }

    /// Loads recordings with [`ser_dsp::Audio::load`] (mono mix), resampled
    /// to `sr` if given.
    pub fn from_files<P: AsRef<Path>>(paths: &[P], sr: Option<u32>) -> Result<Self> {
        let noises = paths
            .iter()
            .map(|p| Audio::load(p, sr))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Self::new(noises)
    }

    /// Sets the SNR range in dB.
    pub fn snr_db(mut self, min: f32, max: f32) -> Self {
        self.snr_db = ParamRange::new(min, max);
        self
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

/// Babble noise: `n` samples of several talkers speaking at once. Each talker's recording
/// is scaled to unit mean power and looped from a uniform random offset, and the talkers
/// are summed — the usual construction of babble from a speech corpus (e.g. for
/// [`AddBackgroundNoise`] at a given SNR). Errors if there is no talker, a talker is
/// empty, silent or non-finite, or `n == 0`.
///
/// ```
/// use ser_augment::{babble, mean_power, rng_from_seed};
/// let a: Vec<f32> = (0..8000).map(|i| (i as f32 * 0.01).sin()).collect();
/// let b: Vec<f32> = (0..5000).map(|i| 0.1 * (i as f32 * 0.37).sin()).collect();
/// let y = babble(&[&a, &b], 16_000, &mut rng_from_seed(0)).unwrap();
/// assert_eq!(y.len(), 16_000);
/// assert!((mean_power(&y) - 2.0).abs() < 0.2); // two uncorrelated unit-power talkers
/// ```
pub fn babble(talkers: &[&[f32]], n: usize, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
    if talkers.is_empty() || n == 0 {
        return Err(Error::EmptyInput {
            what: "babble talkers / length",
        });
    }
    let mut out = vec![0f32; n];
    for (i, t) in talkers.iter().enumerate() {
        crate::transform::validate_input(t, 1)?;
        let p = mean_power(t);
        if p <= 0.0 {
            return Err(Error::InvalidParameter {
                name: "talker",
                value: format!("recording #{i}"),
                expected: "a recording that is not all zeros",
            });
        }
        let g = (1.0 / p.sqrt()) as f32;
        let seg = looped_segment(t, rng.gen_range(0..t.len()), n);
        for (o, v) in out.iter_mut().zip(seg) {
            *o += g * v;
        }
    }
    Ok(out)
}

/// `n` samples of `src` starting at `start`, looping around its end.
pub(crate) fn looped_segment(src: &[f32], start: usize, n: usize) -> Vec<f32> {
    src.iter()
        .cycle()
        .skip(start % src.len())
        .take(n)
        .copied()
        .collect()
}

impl Transform for AddBackgroundNoise {
    fn name(&self) -> &'static str {
        "bgnoise"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        if self.noises.is_empty() {
            return Err(Error::EmptyInput { what: "noise list" });
        }
        self.snr_db
            .validate("snr", -100.0, 200.0, "-100 <= snr <= 200 dB, min <= max")
    }
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let snr = self.snr_db.sample(rng);
        let idx = rng.gen_range(0..self.noises.len());
        let noise = &self.noises[idx];
        let resampled;
        let src: &[f32] = if noise.sample_rate == sr {
            &noise.samples
        } else {
            resampled = ser_dsp::resample(
                &noise.samples,
                noise.sample_rate,
                sr,
                ser_dsp::ResampleQuality::default(),
            )?;
            &resampled
        };
        let n = samples.len();
        let start = if src.len() > n {
            rng.gen_range(0..=src.len() - n)
        } else {
            rng.gen_range(0..src.len())
        };
        let seg = looped_segment(src, start, n);
        Ok(mix_at_snr(samples, &seg, snr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::rng_from_seed;
    use realfft::RealFftPlanner;

    fn slope_db_per_octave(x: &[f32]) -> f64 {
        // Average power in two octave bands [f, 2f) and [4f, 8f) via a DFT
        // of the whole signal (realfft).
        let n = x.len();
        let mut planner = RealFftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(n);
        let mut buf = x.to_vec();
        let mut spec = fwd.make_output_vec();
        fwd.process(&mut buf, &mut spec).unwrap();
        let band = |lo: usize, hi: usize| -> f64 {
            spec[lo..hi]
                .iter()
                .map(|c| f64::from(c.norm_sqr()))
                .sum::<f64>()
                / (hi - lo) as f64
        };
        let a = band(200, 400);
        let b = band(3200, 6400);
        10.0 * (b / a).log10() / 4.0
    }

    #[test]
    fn noise_colours_have_their_slopes() {
        let mut r = rng_from_seed(11);
        let n = 1 << 15;
        let w = slope_db_per_octave(&coloured_noise(n, NoiseColor::White, &mut r));
        let p = slope_db_per_octave(&coloured_noise(n, NoiseColor::Pink, &mut r));
        let b = slope_db_per_octave(&coloured_noise(n, NoiseColor::Brown, &mut r));
        assert!(w.abs() < 0.3, "white {w}");
        assert!((p + 3.01).abs() < 0.3, "pink {p}");
        assert!((b + 6.02).abs() < 0.3, "brown {b}");
    }

    #[test]
    fn looped_segment_wraps() {
        assert_eq!(
            looped_segment(&[1.0, 2.0, 3.0], 2, 5),
            vec![3.0, 1.0, 2.0, 3.0, 1.0]
        );
    }

    #[test]
    fn silent_input_is_unchanged() {
        let x = vec![0.0f32; 100];
        let y = AddNoise::new(10.0, 10.0)
            .apply_always(&x, 8000, &mut rng_from_seed(0))
            .unwrap();
        assert_eq!(x, y);
    }
}
