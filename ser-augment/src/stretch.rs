//! Tempo and pitch: phase-vocoder time stretch (as
//! `librosa.effects.time_stretch`), pitch shift (time stretch + resampling,
//! as `librosa.effects.pitch_shift`) and speed change (resampling), built on
//! `ser-dsp`'s STFT/ISTFT and resampler.

use std::f64::consts::PI;
use std::sync::OnceLock;

use ndarray::{Array2, ArrayView2};
use num_complex::Complex32;
use rand::RngCore;
use ser_dsp::{Istft, Stft, StftConfig};

use crate::dspx;
use crate::error::{Error, Result};
use crate::transform::{validate_p, ParamRange, Transform};

/// STFT/ISTFT plans for the phase vocoder (Hann window, `center = true`,
/// zero padding — librosa's `stft` defaults).
#[derive(Debug)]
pub struct PhaseVocoder {
    stft: Stft,
    istft: Istft,
    n_fft: usize,
    hop_length: usize,
}

impl PhaseVocoder {
    /// Plans for `n_fft` and `hop_length` (librosa defaults: 2048, 512).
    pub fn new(n_fft: usize, hop_length: usize) -> Result<Self> {
        check_fft(n_fft, hop_length)?;
        let cfg = StftConfig::default().n_fft(n_fft).hop_length(hop_length);
        Ok(Self {
            stft: Stft::new(&cfg)?,
            istft: Istft::new(&cfg)?,
            n_fft,
            hop_length,
        })
    }

    /// FFT size.
    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    /// Hop length.
    pub fn hop_length(&self) -> usize {
        self.hop_length
    }

    /// Time-stretches `x` by `rate` (> 1 faster/shorter, < 1 slower/longer),
    /// pitch unchanged: STFT, [`phase_vocoder`], ISTFT to
    /// `round(len / rate)` samples (at least 1), like
    /// `librosa.effects.time_stretch`.
    pub fn time_stretch(&self, x: &[f32], rate: f64) -> Result<Vec<f32>> {
        check_rate("rate", rate)?;
        let d = self.stft.process(x)?;
        let stretched = phase_vocoder(d.view(), rate, self.hop_length);
        let len = ((x.len() as f64 / rate).round_ties_even() as usize).max(1);
        Ok(self.istft.process(stretched.view(), Some(len))?)
    }

    /// Shifts pitch by `semitones` keeping the length, like
    /// `librosa.effects.pitch_shift`: time stretch by `rate = 2^(-n/12)`,
    /// then resample from `sr / rate` to `sr` and crop/zero-pad to `len`.
    pub fn pitch_shift(&self, x: &[f32], sr: u32, semitones: f64) -> Result<Vec<f32>> {
        if !semitones.is_finite() || semitones.abs() > 48.0 {
            return Err(Error::InvalidParameter {
                name: "semitones",
                value: semitones.to_string(),
                expected: "-48 <= semitones <= 48",
            });
        }
        if semitones == 0.0 {
            return Ok(x.to_vec());
        }
        let rate = 2f64.powf(-semitones / 12.0);
        let y = self.time_stretch(x, rate)?;
        let mut out = dspx::resample_ratio(&y, sr, f64::from(sr) / rate, f64::from(sr))?;
        out.resize(x.len(), 0.0);
        Ok(out)
    }
}

fn check_fft(n_fft: usize, hop: usize) -> Result<()> {
    if n_fft < 16 || hop == 0 || hop > n_fft {
        return Err(Error::InvalidParameter {
            name: "n_fft",
            value: format!("n_fft {n_fft}, hop_length {hop}"),
            expected: "n_fft >= 16 and 1 <= hop_length <= n_fft",
        });
    }
    Ok(())
}

fn check_rate(name: &'static str, rate: f64) -> Result<()> {
    if rate.is_finite() && (0.05..=20.0).contains(&rate) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: rate.to_string(),
            expected: "0.05 <= rate <= 20",
        })
    }
}

/// Phase vocoder on a complex STFT `(n_bins, n_frames)`, as
/// `librosa.phase_vocoder(D, rate=rate, hop_length=hop_length)`: output
/// frames at fractional input positions `0, rate, 2·rate, …`, magnitudes
/// linearly interpolated, phases advanced by the measured instantaneous
/// frequency. Phase is accumulated in f64 and wrapped (librosa keeps it in
/// f32 unwrapped, which loses precision on long signals), so outputs agree
/// with librosa up to that rounding.
pub fn phase_vocoder(
    d: ArrayView2<'_, Complex32>,
    rate: f64,
    hop_length: usize,
) -> Array2<Complex32> {
    let (n_bins, n_frames) = d.dim();
    let n_out = if n_frames == 0 {
        0
    } else {
        ((n_frames as f64) / rate).ceil() as usize
    };
    // np.arange(0, n_frames, rate) may have one element fewer than the ceil.
    let steps: Vec<f64> = (0..n_out)
        .map(|t| t as f64 * rate)
        .take_while(|&s| s < n_frames as f64)
        .collect();
    if n_bins == 0 || steps.is_empty() {
        return Array2::zeros((n_bins, steps.len()));
    }
    // Magnitude and phase of every input cell, frame-major, plus two zero
    // frames (librosa pads the same way): each is computed once.
    let stride = n_bins;
    let mut mag = vec![0.0f32; (n_frames + 2) * stride];
    let mut ph = vec![0.0f32; (n_frames + 2) * stride];
    for (k, row) in d.rows().into_iter().enumerate() {
        for (j, c) in row.iter().enumerate() {
            mag[j * stride + k] = (c.re * c.re + c.im * c.im).sqrt();
            ph[j * stride + k] = c.im.atan2(c.re);
        }
    }
    let n_fft = 2 * (n_bins - 1);
    let phi_adv: Vec<f64> = (0..n_bins)
        .map(|k| hop_length as f64 * 2.0 * PI * k as f64 / n_fft.max(1) as f64)
        .collect();
    let mut phase: Vec<f64> = ph[..n_bins].iter().map(|&p| f64::from(p)).collect();
    // Output built frame-major, returned as a (n_bins, n_out) view of it.
    let mut out = vec![Complex32::new(0.0, 0.0); steps.len() * n_bins];
    for (t, &step) in steps.iter().enumerate() {
        let i = step.floor() as usize;
        let alpha = (step - i as f64) as f32;
        let (m0, m1) = (
            &mag[i * stride..(i + 1) * stride],
            &mag[(i + 1) * stride..(i + 2) * stride],
        );
        let (p0, p1) = (
            &ph[i * stride..(i + 1) * stride],
            &ph[(i + 1) * stride..(i + 2) * stride],
        );
        let o = &mut out[t * n_bins..(t + 1) * n_bins];
        for k in 0..n_bins {
            let m = (1.0 - alpha) * m0[k] + alpha * m1[k];
            let (s, c) = (phase[k] as f32).sin_cos();
            o[k] = Complex32::new(m * c, m * s);
            let dphase = wrap_phase(f64::from(p1[k]) - f64::from(p0[k]) - phi_adv[k]);
            phase[k] = wrap_phase(phase[k] + phi_adv[k] + dphase);
        }
    }
    Array2::from_shape_vec((steps.len(), n_bins), out)
        .map(|a| a.reversed_axes())
        .unwrap_or_else(|_| Array2::zeros((n_bins, 0)))
}

/// Wraps a phase to `[-π, π]` (`x - 2π·round(x / 2π)`, via an integer cast,
/// which is much faster than `f64::round` on baseline x86-64).
#[inline]
fn wrap_phase(x: f64) -> f64 {
    let k = x * (0.5 / PI);
    let r = if k >= 0.0 {
        (k + 0.5) as i64
    } else {
        (k - 0.5) as i64
    };
    x - 2.0 * PI * r as f64
}

/// Changes speed by resampling: `factor` > 1 is faster and higher, tempo and
/// pitch scale together. Output length is `ceil(len / factor)` up to the
/// resampler's rounding (exactly the factor ±1 sample per second).
pub fn speed_change(x: &[f32], sr: u32, factor: f64) -> Result<Vec<f32>> {
    check_rate("factor", factor)?;
    if factor == 1.0 {
        return Ok(x.to_vec());
    }
    dspx::resample_ratio(x, sr, f64::from(sr) * factor, f64::from(sr))
}

/// Lazily built phase-vocoder plans shared by a transform's calls.
#[derive(Debug, Default)]
struct PlanCell(OnceLock<PhaseVocoder>);

impl Clone for PlanCell {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PlanCell {
    fn get(&self, n_fft: usize, hop: usize) -> Result<&PhaseVocoder> {
        if let Some(p) = self.0.get() {
            return Ok(p);
        }
        let p = PhaseVocoder::new(n_fft, hop)?;
        let _ = self.0.set(p);
        self.0.get().ok_or(Error::InvalidParameter {
            name: "n_fft",
            value: n_fft.to_string(),
            expected: "a plannable FFT size",
        })
    }
}

/// Time stretch by a rate drawn per call (> 1 shorter/faster), pitch
/// unchanged (phase vocoder, as `librosa.effects.time_stretch`).
/// **Changes the length** to `round(len / rate)` unless
/// `leave_length_unchanged` (then cropped / zero-padded back to `len`).
///
/// Defaults: rate `0.8..1.25`, `n_fft = 2048`, `hop_length = 512` (librosa),
/// `leave_length_unchanged = false` (audiomentations' `TimeStretch` defaults
/// to true), `p = 0.5`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TimeStretch {
    /// Rate range. Default: 0.8..1.25.
    pub rate: ParamRange,
    /// FFT size of the phase vocoder. Default: 2048.
    pub n_fft: usize,
    /// Hop length of the phase vocoder. Default: 512.
    pub hop_length: usize,
    /// Crop/pad the result back to the input length. Default: false.
    pub leave_length_unchanged: bool,
    /// Application probability. Default: 0.5.
    pub p: f32,
    plan: PlanCell,
}

impl Default for TimeStretch {
    fn default() -> Self {
        Self::new(0.8, 1.25)
    }
}

impl TimeStretch {
    /// Rate drawn from `[min_rate, max_rate]`.
    pub fn new(min_rate: f32, max_rate: f32) -> Self {
        Self {
            rate: ParamRange::new(min_rate, max_rate),
            n_fft: 2048,
            hop_length: 512,
            leave_length_unchanged: false,
            p: 0.5,
            plan: PlanCell::default(),
        }
    }
    /// Sets `n_fft` and `hop_length`.
    pub fn n_fft(mut self, n_fft: usize, hop_length: usize) -> Self {
        self.n_fft = n_fft;
        self.hop_length = hop_length;
        self.plan = PlanCell::default();
        self
    }
    /// Crop/pad the result back to the input length.
    pub fn leave_length_unchanged(mut self, v: bool) -> Self {
        self.leave_length_unchanged = v;
        self
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for TimeStretch {
    fn name(&self) -> &'static str {
        "stretch"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn changes_length(&self) -> bool {
        !self.leave_length_unchanged
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        check_fft(self.n_fft, self.hop_length)?;
        self.rate
            .validate("rate", 0.05, 20.0, "0.05 <= rate <= 20, min <= max")
    }
    fn process(&self, samples: &[f32], _sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let rate = f64::from(self.rate.sample(rng));
        let pv = self.plan.get(self.n_fft, self.hop_length)?;
        let mut y = pv.time_stretch(samples, rate)?;
        if self.leave_length_unchanged {
            y.resize(samples.len(), 0.0);
        }
        Ok(y)
    }
}

/// Pitch shift by semitones drawn per call, length unchanged (as
/// `librosa.effects.pitch_shift`: phase-vocoder stretch + resampling).
///
/// Defaults: `-4..4` semitones (audiomentations' `PitchShift`),
/// `n_fft = 2048`, `hop_length = 512` (librosa), `p = 0.5`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PitchShift {
    /// Semitone range. Default: -4..4.
    pub semitones: ParamRange,
    /// FFT size of the phase vocoder. Default: 2048.
    pub n_fft: usize,
    /// Hop length of the phase vocoder. Default: 512.
    pub hop_length: usize,
    /// Application probability. Default: 0.5.
    pub p: f32,
    plan: PlanCell,
}

impl Default for PitchShift {
    fn default() -> Self {
        Self::new(-4.0, 4.0)
    }
}

impl PitchShift {
    /// Shift drawn from `[min_semitones, max_semitones]`.
    pub fn new(min_semitones: f32, max_semitones: f32) -> Self {
        Self {
            semitones: ParamRange::new(min_semitones, max_semitones),
            n_fft: 2048,
            hop_length: 512,
            p: 0.5,
            plan: PlanCell::default(),
        }
    }
    /// Sets `n_fft` and `hop_length`.
    pub fn n_fft(mut self, n_fft: usize, hop_length: usize) -> Self {
        self.n_fft = n_fft;
        self.hop_length = hop_length;
        self.plan = PlanCell::default();
        self
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for PitchShift {
    fn name(&self) -> &'static str {
        "pitch"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        check_fft(self.n_fft, self.hop_length)?;
        self.semitones.validate(
            "semitones",
            -48.0,
            48.0,
            "-48 <= semitones <= 48, min <= max",
        )
    }
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let n = f64::from(self.semitones.sample(rng));
        let pv = self.plan.get(self.n_fft, self.hop_length)?;
        pv.pitch_shift(samples, sr, n)
    }
}

/// Speed change (tempo and pitch together) by a factor drawn per call, by
/// resampling ("speed perturbation", Ko et al. 2015). **Changes the length**
/// to `len / factor` (±1 sample per second).
///
/// Defaults: factor `0.9..1.1`, `p = 0.5`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SpeedChange {
    /// Speed factor range (> 1 faster). Default: 0.9..1.1.
    pub factor: ParamRange,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for SpeedChange {
    fn default() -> Self {
        Self::new(0.9, 1.1)
    }
}

impl SpeedChange {
    /// Factor drawn from `[min, max]`.
    pub fn new(min: f32, max: f32) -> Self {
        Self {
            factor: ParamRange::new(min, max),
            p: 0.5,
        }
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for SpeedChange {
    fn name(&self) -> &'static str {
        "speed"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn changes_length(&self) -> bool {
        true
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        self.factor
            .validate("factor", 0.05, 20.0, "0.05 <= factor <= 20, min <= max")
    }
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        speed_change(samples, sr, f64::from(self.factor.sample(rng)))
    }
}
