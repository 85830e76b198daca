//! Thin adapters over `ser-dsp` routines (no DSP is implemented here).

use std::sync::{Arc, Mutex, OnceLock};

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::error::{Error, Result};

static PLANNER: OnceLock<Mutex<RealFftPlanner<f32>>> = OnceLock::new();

/// Forward and inverse real FFT plans of length `n` from a process-wide
/// planner cache (realfft caches plans by length, so repeated calls with the
/// same length do not re-plan).
pub(crate) fn real_fft_pair(
    n: usize,
) -> (Arc<dyn RealToComplex<f32>>, Arc<dyn ComplexToReal<f32>>) {
    let m = PLANNER.get_or_init(|| Mutex::new(RealFftPlanner::new()));
    let mut p = m.lock().unwrap_or_else(|e| e.into_inner());
    (p.plan_fft_forward(n), p.plan_fft_inverse(n))
}

/// Resamples with `ser-dsp`'s default quality.
pub(crate) fn resample(x: &[f32], from_sr: u32, to_sr: u32) -> Result<Vec<f32>> {
    Ok(ser_dsp::resample(
        x,
        from_sr,
        to_sr,
        ser_dsp::ResampleQuality::default(),
    )?)
}

/// Best rational approximation `num / den` of `r > 0` (continued
/// fractions) with relative error at most `tol`, or the closest convergent
/// with `num, den <= max`.
pub(crate) fn rational_approx(r: f64, tol: f64, max: u64) -> (u64, u64) {
    let (mut h0, mut h1, mut k0, mut k1) = (0u64, 1u64, 1u64, 0u64);
    let mut x = r;
    let mut best = (r.round().max(1.0) as u64, 1u64);
    for _ in 0..64 {
        let a = x.floor();
        if a > max as f64 {
            break;
        }
        let a_u = a as u64;
        let (h2, k2) = (
            a_u.saturating_mul(h1).saturating_add(h0),
            a_u.saturating_mul(k1).saturating_add(k0),
        );
        if h2 > max || k2 > max || h2 == 0 && k2 == 0 {
            break;
        }
        if h2 > 0 && k2 > 0 {
            best = (h2, k2);
            if ((h2 as f64 / k2 as f64) / r - 1.0).abs() <= tol {
                break;
            }
        }
        (h0, h1, k0, k1) = (h1, h2, k1, k2);
        let frac = x - a;
        if frac < 1e-12 {
            break;
        }
        x = 1.0 / frac;
    }
    best
}

/// Resamples by the real ratio `to / from` (`sr` only for messages). The
/// ratio is replaced by its best rational approximation `T / F` with
/// relative error <= 1e-6 (F, T <= 768000), which keeps `ser-dsp`'s
/// delay-compensation padding (about `F / gcd` samples) short.
pub(crate) fn resample_ratio(x: &[f32], sr: u32, from: f64, to: f64) -> Result<Vec<f32>> {
    let r = from / to;
    if !(r.is_finite() && r > 0.0) {
        return Err(Error::InvalidSampleRate {
            sr,
            reason: "the requested resampling ratio is not a positive finite number",
        });
    }
    let max = u64::from(ser_dsp::MAX_SAMPLE_RATE);
    let (f, t) = rational_approx(r, 1e-6, max);
    let (f, t) = (f.clamp(1, max) as u32, t.clamp(1, max) as u32);
    resample(x, f, t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rational_approximation_is_close_and_small() {
        for r in [
            1.0,
            1.1,
            0.9,
            2f64.powf(2.0 / 12.0),
            2f64.powf(-3.5 / 12.0),
            1.0 / 0.95,
            20.0,
            0.05,
        ] {
            let (f, t) = rational_approx(r, 1e-6, 768_000);
            assert!(
                ((f as f64 / t as f64) / r - 1.0).abs() <= 1e-6,
                "{r}: {f}/{t}"
            );
            assert!(f <= 768_000 && t <= 768_000);
        }
        assert_eq!(rational_approx(1.1, 1e-6, 768_000), (11, 10));
    }
}
