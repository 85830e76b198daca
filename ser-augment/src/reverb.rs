//! Reverberation: FFT convolution with a room impulse response (RIR), either
//! user-given recordings or synthetic exponentially decaying noise with a
//! chosen RT60; RT60 measurement by Schroeder backward integration.

use std::path::Path;

use rand::{Rng, RngCore};
use rand_distr::{Distribution, StandardNormal};
use ser_dsp::Audio;

use crate::error::{Error, Result};
use crate::noise::mean_power;
use crate::transform::{validate_p, ParamRange, Transform};

pub use ser_dsp::fft_convolve;

/// A synthetic room impulse response: Gaussian noise under the envelope
/// `10^(-3 t / rt60)` (energy falls 60 dB in `rt60` seconds), length
/// `ceil(1.5 · rt60 · sr)` samples, normalised to unit energy.
///
/// ```
/// use ser_augment::{estimate_rt60, rng_from_seed, synthetic_rir};
/// let h = synthetic_rir(0.5, 16_000, &mut rng_from_seed(3)).unwrap();
/// let rt = estimate_rt60(&h, 16_000).unwrap();
/// assert!((rt - 0.5).abs() < 0.05);
/// ```
pub fn synthetic_rir(rt60: f32, sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
    if !(rt60.is_finite() && (0.01..=20.0).contains(&rt60)) {
        return Err(Error::InvalidParameter {
            name: "rt60",
            value: rt60.to_string(),
            expected: "0.01 <= rt60 <= 20 s",
        });
    }
    if sr == 0 {
        return Err(Error::InvalidSampleRate {
            sr,
            reason: "must be positive",
        });
    }
    let srf = f64::from(sr);
    let n = (1.5 * f64::from(rt60) * srf).ceil().max(2.0) as usize;
    let decay = -3.0 * std::f64::consts::LN_10 / (f64::from(rt60) * srf);
    let mut h: Vec<f64> = (0..n)
        .map(|i| {
            let g: f64 = StandardNormal.sample(&mut *rng);
            g * (decay * i as f64).exp()
        })
        .collect();
    let e: f64 = h.iter().map(|v| v * v).sum();
    if e > 0.0 {
        let s = 1.0 / e.sqrt();
        h.iter_mut().for_each(|v| *v *= s);
    }
    Ok(h.into_iter().map(|v| v as f32).collect())
}

/// Energy decay curve (Schroeder backward integration) in dB, 0 dB at the
/// start: `EDC(t) = 10·log10(Σ_{τ≥t} h²(τ) / Σ h²)`.
pub fn energy_decay_curve_db(h: &[f32]) -> Vec<f64> {
    let mut acc = 0.0f64;
    let mut edc: Vec<f64> = h
        .iter()
        .rev()
        .map(|&v| {
            acc += f64::from(v) * f64::from(v);
            acc
        })
        .collect();
    edc.reverse();
    let total = edc.first().copied().unwrap_or(0.0);
    edc.iter()
        .map(|&e| {
            if total > 0.0 && e > 0.0 {
                10.0 * (e / total).log10()
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect()
}

/// RT60 in seconds from an impulse response: least-squares line through the
/// Schroeder energy decay curve between -5 and -25 dB (T20), extrapolated to
/// 60 dB (ISO 3382). Errors if the curve never falls 25 dB.
pub fn estimate_rt60(h: &[f32], sr: u32) -> Result<f32> {
    if sr == 0 {
        return Err(Error::InvalidSampleRate {
            sr,
            reason: "must be positive",
        });
    }
    let edc = energy_decay_curve_db(h);
    let (mut n, mut st, mut sy, mut stt, mut sty) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
    for (i, &d) in edc.iter().enumerate() {
        if (-25.0..=-5.0).contains(&d) {
            let t = i as f64 / f64::from(sr);
            n += 1.0;
            st += t;
            sy += d;
            stt += t * t;
            sty += t * d;
        }
    }
    let reaches = edc.iter().any(|&d| d < -25.0);
    let denom = n * stt - st * st;
    if !reaches || n < 2.0 || denom <= 0.0 {
        return Err(Error::InvalidParameter {
            name: "rir",
            value: format!("{} samples", h.len()),
            expected: "an impulse response whose energy decays by at least 25 dB",
        });
    }
    let slope = (n * sty - st * sy) / denom; // dB per second
    if slope >= 0.0 {
        return Err(Error::InvalidParameter {
            name: "rir",
            value: format!("slope {slope} dB/s"),
            expected: "a decaying impulse response",
        });
    }
    Ok((-60.0 / slope) as f32)
}

/// Where the room impulse responses come from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RirSource {
    /// Synthetic RIRs ([`synthetic_rir`]) with RT60 drawn from the range (s).
    Synthetic {
        /// RT60 range in seconds.
        rt60: ParamRange,
    },
    /// Recorded RIRs, one picked uniformly per call.
    Recorded(Vec<Audio>),
}

/// Reverberation by FFT convolution with a room impulse response, mixed
/// dry/wet: `y = (1 - wet)·x + wet·g·(h * x)[..len]` where `g` scales the
/// reverberant signal to the input's RMS (so loudness is kept). The reverb
/// tail is cut at the input length (length unchanged). Recorded RIRs are
/// trimmed to start at their absolute peak (direct path), so the output is
/// not delayed, and resampled on the fly if their rate differs from the input.
///
/// Defaults: synthetic RIRs with RT60 `0.2..1.0` s, wet `0.25..0.75`,
/// `p = 0.5` (audiomentations' `ApplyImpulseResponse` is fully wet and needs files).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Reverb {
    /// RIR source. Default: synthetic, RT60 0.2..1.0 s.
    pub source: RirSource,
    /// Wet fraction range in `[0, 1]`. Default: 0.25..0.75.
    pub wet: ParamRange,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for Reverb {
    fn default() -> Self {
        Self::synthetic(0.2, 1.0)
    }
}

impl Reverb {
    /// Synthetic RIRs with RT60 drawn from `[min_s, max_s]`.
    pub fn synthetic(min_rt60_s: f32, max_rt60_s: f32) -> Self {
        Self {
            source: RirSource::Synthetic {
                rt60: ParamRange::new(min_rt60_s, max_rt60_s),
            },
            wet: ParamRange::new(0.25, 0.75),
            p: 0.5,
        }
    }

    /// Recorded RIRs (mono). Errors if the list is empty or a RIR is all zeros.
    pub fn recorded(rirs: Vec<Audio>) -> Result<Self> {
        if rirs.is_empty() {
            return Err(Error::EmptyInput { what: "RIR list" });
        }
        if let Some(i) = rirs.iter().position(|a| mean_power(&a.samples) <= 0.0) {
            return Err(Error::InvalidParameter {
                name: "rir",
                value: format!("RIR #{i}"),
                expected: "an impulse response that is not all zeros",
            });
        }
        let rirs = rirs
            .into_iter()
            .map(|a| {
                let peak = a
                    .samples
                    .iter()
                    .enumerate()
                    .fold(
                        (0, 0.0f32),
                        |m, (i, &v)| if v.abs() > m.1 { (i, v.abs()) } else { m },
                    )
                    .0;
                Audio {
                    samples: a.samples[peak..].to_vec(),
                    sample_rate: a.sample_rate,
                }
            })
            .collect();
        Ok(Self {
            source: RirSource::Recorded(rirs),
            wet: ParamRange::new(0.25, 0.75),
            p: 0.5,
        })
    }

    /// Loads recorded RIRs with [`ser_dsp::Audio::load`], resampled to `sr` if given.
    pub fn from_files<P: AsRef<Path>>(paths: &[P], sr: Option<u32>) -> Result<Self> {
        let rirs = paths
            .iter()
            .map(|p| Audio::load(p, sr))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Self::recorded(rirs)
    }

    /// Sets the wet-fraction range.
    pub fn wet(mut self, min: f32, max: f32) -> Self {
        self.wet = ParamRange::new(min, max);
        self
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for Reverb {
    fn name(&self) -> &'static str {
        "reverb"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        self.wet
            .validate("wet", 0.0, 1.0, "0 <= wet <= 1, min <= max")?;
        match &self.source {
            RirSource::Synthetic { rt60 } => {
                rt60.validate("rt60", 0.01, 20.0, "0.01 <= rt60 <= 20 s, min <= max")
            }
            RirSource::Recorded(v) if v.is_empty() => Err(Error::EmptyInput { what: "RIR list" }),
            RirSource::Recorded(_) => Ok(()),
        }
    }
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let wet = f64::from(self.wet.sample(rng));
        let h = match &self.source {
            RirSource::Synthetic { rt60 } => synthetic_rir(rt60.sample(rng), sr, rng)?,
            RirSource::Recorded(rirs) => {
                let a = &rirs[rng.gen_range(0..rirs.len())];
                if a.sample_rate == sr {
                    a.samples.clone()
                } else {
                    crate::dspx::resample(&a.samples, a.sample_rate, sr)?
                }
            }
        };
        let mut y = fft_convolve(samples, &h);
        y.truncate(samples.len());
        let (px, py) = (mean_power(samples), mean_power(&y));
        let g = if py > 0.0 { (px / py).sqrt() } else { 0.0 };
        Ok(samples
            .iter()
            .zip(&y)
            .map(|(&x, &r)| ((1.0 - wet) * f64::from(x) + wet * g * f64::from(r)) as f32)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::rng_from_seed;

    #[test]
    fn fft_convolution_matches_direct() {
        let mut r = rng_from_seed(5);
        let x: Vec<f32> = (0..300).map(|_| r.gen_range(-1.0..1.0)).collect();
        let h: Vec<f32> = (0..77).map(|_| r.gen_range(-1.0..1.0)).collect();
        let y = fft_convolve(&x, &h);
        assert_eq!(y.len(), 376);
        for (k, &v) in y.iter().enumerate() {
            let mut d = 0.0f64;
            for (j, &hj) in h.iter().enumerate() {
                if k >= j && k - j < x.len() {
                    d += f64::from(x[k - j]) * f64::from(hj);
                }
            }
            assert!((f64::from(v) - d).abs() < 1e-4, "{k}");
        }
    }

    #[test]
    fn rt60_of_synthetic_rirs_within_10_percent() {
        for (i, rt) in [0.1f32, 0.3, 0.6, 1.2].into_iter().enumerate() {
            for sr in [8000, 16000, 44100] {
                let h =
                    synthetic_rir(rt, sr, &mut rng_from_seed(i as u64 + u64::from(sr))).unwrap();
                let est = estimate_rt60(&h, sr).unwrap();
                assert!((est - rt).abs() / rt < 0.10, "rt60 {rt} sr {sr}: {est}");
            }
        }
    }

    #[test]
    fn non_decaying_rir_is_error() {
        assert!(estimate_rt60(&[1.0; 100], 1000).is_err());
        assert!(synthetic_rir(-1.0, 1000, &mut rng_from_seed(0)).is_err());
    }
}
