//! Thin adapters over `ser-dsp` routines (no DSP is implemented here).

use crate::error::{Error, Result};

/// Resamples with `ser-dsp`'s default quality.
pub(crate) fn resample(x: &[f32], from_sr: u32, to_sr: u32) -> Result<Vec<f32>> {
    Ok(ser_dsp::resample(
        x,
        from_sr,
        to_sr,
        ser_dsp::ResampleQuality::default(),
    )?)
}

/// Resamples by the real ratio `to / from` (`sr` only for messages): the
/// rates are rounded to integers for `ser-dsp`, a relative ratio error of at
/// most `0.5 / min(from, to)` (< 3.2e-5 at 16 kHz).
pub(crate) fn resample_ratio(x: &[f32], sr: u32, from: f64, to: f64) -> Result<Vec<f32>> {
    let (f, t) = (from.round(), to.round());
    if !(f >= 1.0
        && t >= 1.0
        && f <= f64::from(ser_dsp::MAX_SAMPLE_RATE)
        && t <= f64::from(ser_dsp::MAX_SAMPLE_RATE))
    {
        return Err(Error::InvalidSampleRate {
            sr,
            reason: "the requested factor needs an intermediate rate outside 1..=768000 Hz",
        });
    }
    resample(x, f as u32, t as u32)
}
