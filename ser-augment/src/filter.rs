//! Band-limiting with Butterworth filters (cascaded biquads): low-pass,
//! high-pass, band-pass, e.g. telephone (300–3400 Hz) or cheap microphones.

use rand::RngCore;

use crate::error::{Error, Result};
use crate::transform::{validate_p, ParamRange, Transform};

/// One second-order (or first-order, `b2 = a2 = 0`) section, normalised so
/// `a0 = 1`; run in transposed direct form II in f64.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    /// Numerator `b0, b1, b2`.
    pub b: [f64; 3],
    /// Denominator `a1, a2` (`a0 = 1`).
    pub a: [f64; 2],
}

impl Biquad {
    /// Complex gain at `f_hz` for sample rate `sr`, as `(re, im)`.
    fn response(&self, f_hz: f64, sr: f64) -> (f64, f64) {
        let w = 2.0 * std::f64::consts::PI * f_hz / sr;
        // z^-1 = e^{-jw}
        let (c1, s1) = (w.cos(), -w.sin());
        let (c2, s2) = ((2.0 * w).cos(), -(2.0 * w).sin());
        let num = (
            self.b[0] + self.b[1] * c1 + self.b[2] * c2,
            self.b[1] * s1 + self.b[2] * s2,
        );
        let den = (
            1.0 + self.a[0] * c1 + self.a[1] * c2,
            self.a[0] * s1 + self.a[1] * s2,
        );
        let d = den.0 * den.0 + den.1 * den.1;
        (
            (num.0 * den.0 + num.1 * den.1) / d,
            (num.1 * den.0 - num.0 * den.1) / d,
        )
    }
}

/// Response type of a Butterworth filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterKind {
    /// Passes below the cutoff.
    LowPass,
    /// Passes above the cutoff.
    HighPass,
    /// High-pass at `low` cascaded with low-pass at `high`.
    BandPass,
}

/// A digital Butterworth filter of order `n` (bilinear transform with
/// pre-warping, so `-3.01 dB` exactly at the cutoff), as cascaded biquads
/// (same design as `scipy.signal.butter(..., output="sos")`).
/// Magnitude: `|H(f)|² = 1 / (1 + (tan(πf/sr) / tan(πfc/sr))^(±2n))`.
/// A band-pass is a high-pass at `low` followed by a low-pass at `high`,
/// each of order `n`.
#[derive(Debug, Clone, PartialEq)]
pub struct Butterworth {
    sections: Vec<Biquad>,
    sr: f64,
}

fn check_cutoff(name: &'static str, f: f64, sr: f64) -> Result<()> {
    if f.is_finite() && f > 0.0 && f < sr / 2.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: format!("{f} Hz at sr {sr}"),
            expected: "0 < cutoff < sr / 2",
        })
    }
}

fn butter_sections(order: usize, fc: f64, sr: f64, high: bool) -> Vec<Biquad> {
    let w0 = 2.0 * std::f64::consts::PI * fc / sr;
    let (sin, cos) = w0.sin_cos();
    let mut out = Vec::with_capacity(order.div_ceil(2));
    for k in 0..order / 2 {
        let theta = std::f64::consts::PI * (2 * k + 1) as f64 / (2 * order) as f64;
        let q = 1.0 / (2.0 * theta.sin().max(1e-12)).max(1e-12);
        // Butterworth pole pairs: Q_k = 1 / (2 sin((2k+1)π / 2n)).
        let alpha = sin / (2.0 * q);
        let a0 = 1.0 + alpha;
        let b = if high {
            [(1.0 + cos) / 2.0, -(1.0 + cos), (1.0 + cos) / 2.0]
        } else {
            [(1.0 - cos) / 2.0, 1.0 - cos, (1.0 - cos) / 2.0]
        };
        out.push(Biquad {
            b: [b[0] / a0, b[1] / a0, b[2] / a0],
            a: [-2.0 * cos / a0, (1.0 - alpha) / a0],
        });
    }
    if order % 2 == 1 {
        let k = (w0 / 2.0).tan();
        let a1 = (k - 1.0) / (k + 1.0);
        let b = if high {
            [1.0 / (k + 1.0), -1.0 / (k + 1.0), 0.0]
        } else {
            [k / (k + 1.0), k / (k + 1.0), 0.0]
        };
        out.push(Biquad { b, a: [a1, 0.0] });
    }
    out
}

impl Butterworth {
    /// Highest supported order (per edge).
    pub const MAX_ORDER: usize = 16;

    fn check_order(order: usize) -> Result<()> {
        if (1..=Self::MAX_ORDER).contains(&order) {
            Ok(())
        } else {
            Err(Error::InvalidParameter {
                name: "order",
                value: order.to_string(),
                expected: "1 <= order <= 16",
            })
        }
    }

    /// Low-pass of `order` with cutoff `fc` Hz at sample rate `sr`.
    pub fn low_pass(order: usize, fc: f64, sr: u32) -> Result<Self> {
        Self::check_order(order)?;
        let srf = f64::from(sr);
        check_cutoff("cutoff", fc, srf)?;
        Ok(Self {
            sections: butter_sections(order, fc, srf, false),
            sr: srf,
        })
    }

    /// High-pass of `order` with cutoff `fc` Hz.
    pub fn high_pass(order: usize, fc: f64, sr: u32) -> Result<Self> {
        Self::check_order(order)?;
        let srf = f64::from(sr);
        check_cutoff("cutoff", fc, srf)?;
        Ok(Self {
            sections: butter_sections(order, fc, srf, true),
            sr: srf,
        })
    }

    /// Band-pass `low..high` Hz (high-pass of `order` at `low`, low-pass of
    /// `order` at `high`).
    pub fn band_pass(order: usize, low: f64, high: f64, sr: u32) -> Result<Self> {
        Self::check_order(order)?;
        let srf = f64::from(sr);
        check_cutoff("low", low, srf)?;
        check_cutoff("high", high, srf)?;
        if low >= high {
            return Err(Error::InvalidParameter {
                name: "low",
                value: format!("{low} Hz (high = {high} Hz)"),
                expected: "low < high",
            });
        }
        let mut sections = butter_sections(order, low, srf, true);
        sections.extend(butter_sections(order, high, srf, false));
        Ok(Self { sections, sr: srf })
    }

    /// The second-order sections.
    pub fn sections(&self) -> &[Biquad] {
        &self.sections
    }

    /// Magnitude response in dB at `f_hz` (from the coefficients).
    pub fn gain_db(&self, f_hz: f64) -> f64 {
        let mut mag2 = 1.0;
        for s in &self.sections {
            let (re, im) = s.response(f_hz, self.sr);
            mag2 *= re * re + im * im;
        }
        10.0 * mag2.log10()
    }

    /// Filters `x` causally (zero initial state), like `scipy.signal.sosfilt`.
    pub fn process(&self, x: &[f32]) -> Vec<f32> {
        let mut y: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        self.run(&mut y);
        y.into_iter().map(|v| v as f32).collect()
    }

    /// Zero-phase filtering (forward then backward, no edge padding): the
    /// magnitude response is squared (attenuation in dB doubles).
    pub fn process_zero_phase(&self, x: &[f32]) -> Vec<f32> {
        let mut y: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        self.run(&mut y);
        y.reverse();
        self.run(&mut y);
        y.reverse();
        y.into_iter().map(|v| v as f32).collect()
    }

    fn run(&self, y: &mut [f64]) {
        for s in &self.sections {
            let (mut z1, mut z2) = (0.0f64, 0.0f64);
            let [b0, b1, b2] = s.b;
            let [a1, a2] = s.a;
            for v in y.iter_mut() {
                let x = *v;
                let out = b0 * x + z1;
                z1 = b1 * x - a1 * out + z2;
                z2 = b2 * x - a2 * out;
                *v = out;
            }
        }
    }
}

/// Band-limiting augmentation: a Butterworth low-, high- or band-pass with
/// cutoffs drawn per call. Length and sample rate are unchanged. Cutoffs at
/// or above `sr / 2` are an error at apply time.
///
/// Defaults ([`BandLimit::telephone`]): band-pass 300–3400 Hz, order 4 per
/// edge (24 dB/octave), causal, `p = 0.5`. (audiomentations'
/// `BandPassFilter` draws a centre frequency and bandwidth instead.)
///
/// ```
/// use ser_augment::{rng_from_seed, BandLimit, Transform};
/// let sr = 16_000;
/// let x: Vec<f32> = (0..sr).map(|i| (2.0 * std::f32::consts::PI * 100.0 * i as f32 / sr as f32).sin()).collect();
/// let y = BandLimit::telephone().apply_always(&x, sr, &mut rng_from_seed(0)).unwrap();
/// let rms = |v: &[f32]| (v.iter().map(|a| a * a).sum::<f32>() / v.len() as f32).sqrt();
/// assert!(20.0 * (rms(&y[8000..]) / rms(&x[8000..])).log10() < -30.0); // 100 Hz is gone
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BandLimit {
    /// Filter type. Default: band-pass.
    pub kind: FilterKind,
    /// Low cutoff range in Hz (high-pass and band-pass). Default: 300.
    pub low_hz: ParamRange,
    /// High cutoff range in Hz (low-pass and band-pass). Default: 3400.
    pub high_hz: ParamRange,
    /// Butterworth order per edge (1..=16; 6 dB/octave each). Default: 4.
    pub order: usize,
    /// Forward-backward filtering (zero phase, squared magnitude). Default: false.
    pub zero_phase: bool,
    /// Application probability. Default: 0.5.
    pub p: f32,
}

impl Default for BandLimit {
    fn default() -> Self {
        Self::telephone()
    }
}

impl BandLimit {
    /// Telephone band: band-pass 300–3400 Hz, order 4.
    pub fn telephone() -> Self {
        Self::band_pass(ParamRange::fixed(300.0), ParamRange::fixed(3400.0))
    }
    /// Low-pass with cutoff drawn from `[min_hz, max_hz]`.
    pub fn low_pass(min_hz: f32, max_hz: f32) -> Self {
        Self {
            kind: FilterKind::LowPass,
            high_hz: ParamRange::new(min_hz, max_hz),
            ..Self::telephone()
        }
    }
    /// High-pass with cutoff drawn from `[min_hz, max_hz]`.
    pub fn high_pass(min_hz: f32, max_hz: f32) -> Self {
        Self {
            kind: FilterKind::HighPass,
            low_hz: ParamRange::new(min_hz, max_hz),
            ..Self::telephone()
        }
    }
    /// Band-pass with low and high cutoffs drawn from the given ranges.
    pub fn band_pass(low_hz: ParamRange, high_hz: ParamRange) -> Self {
        Self {
            kind: FilterKind::BandPass,
            low_hz,
            high_hz,
            order: 4,
            zero_phase: false,
            p: 0.5,
        }
    }
    /// Sets the Butterworth order per edge.
    pub fn order(mut self, order: usize) -> Self {
        self.order = order;
        self
    }
    /// Zero-phase (forward-backward) filtering.
    pub fn zero_phase(mut self, zero_phase: bool) -> Self {
        self.zero_phase = zero_phase;
        self
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for BandLimit {
    fn name(&self) -> &'static str {
        match self.kind {
            FilterKind::LowPass => "lowpass",
            FilterKind::HighPass => "highpass",
            FilterKind::BandPass => "bandpass",
        }
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        Butterworth::check_order(self.order)?;
        let exp = "0 < Hz, min <= max";
        match self.kind {
            FilterKind::LowPass => {
                self.high_hz
                    .validate("cutoff", f32::MIN_POSITIVE, f32::MAX, exp)
            }
            FilterKind::HighPass => {
                self.low_hz
                    .validate("cutoff", f32::MIN_POSITIVE, f32::MAX, exp)
            }
            FilterKind::BandPass => {
                self.low_hz
                    .validate("low", f32::MIN_POSITIVE, f32::MAX, exp)?;
                self.high_hz
                    .validate("high", f32::MIN_POSITIVE, f32::MAX, exp)
            }
        }
    }
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let lo = f64::from(self.low_hz.sample(rng));
        let hi = f64::from(self.high_hz.sample(rng));
        let f = match self.kind {
            FilterKind::LowPass => Butterworth::low_pass(self.order, hi, sr)?,
            FilterKind::HighPass => Butterworth::high_pass(self.order, lo, sr)?,
            FilterKind::BandPass => Butterworth::band_pass(self.order, lo, hi, sr)?,
        };
        Ok(if self.zero_phase {
            f.process_zero_phase(samples)
        } else {
            f.process(samples)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analytic_db(f: f64, fc: f64, sr: f64, n: i32, high: bool) -> f64 {
        let r = (std::f64::consts::PI * f / sr).tan() / (std::f64::consts::PI * fc / sr).tan();
        let r = if high { 1.0 / r } else { r };
        -10.0 * (1.0 + r.powi(2 * n)).log10()
    }

    #[test]
    fn coefficient_response_is_butterworth() {
        for order in 1..=8 {
            let lp = Butterworth::low_pass(order, 1000.0, 16000).unwrap();
            let hp = Butterworth::high_pass(order, 1000.0, 16000).unwrap();
            for f in [100.0, 500.0, 1000.0, 2000.0, 5000.0] {
                let a = analytic_db(f, 1000.0, 16000.0, order as i32, false);
                assert!((lp.gain_db(f) - a).abs() < 1e-6, "lp n={order} f={f}");
                let a = analytic_db(f, 1000.0, 16000.0, order as i32, true);
                assert!((hp.gain_db(f) - a).abs() < 1e-6, "hp n={order} f={f}");
            }
            assert!((lp.gain_db(1000.0) + 3.0103).abs() < 1e-3);
        }
    }

    #[test]
    fn bad_cutoffs_are_errors() {
        assert!(Butterworth::low_pass(4, 8000.0, 16000).is_err());
        assert!(Butterworth::band_pass(4, 3000.0, 300.0, 16000).is_err());
        assert!(Butterworth::low_pass(0, 100.0, 16000).is_err());
    }
}
