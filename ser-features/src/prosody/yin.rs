//! YIN fundamental-frequency estimation, a faithful port of `librosa.yin`.
//!
//! The cumulative mean normalised difference (CMND) function is computed from an FFT
//! autocorrelation (one [`ser_dsp::Autocorrelator`] per [`Yin`] plan, its FFT sized for the
//! lags actually needed: `frame_length + max_period`), exactly as librosa's
//! `_cumulative_mean_normalized_difference`:
//!
//! ```text
//! d(0) = 0,   d(k) = 2 (r(0) − r(k)) − Σ_{m<k} y(m)²           (k = 1 … max_period)
//! d'(τ) = d(τ) / (mean(d(1 … τ)) + tiny)                       (τ = min_period … max_period)
//! ```
//!
//! with `min_period = floor(sr / fmax)` and `max_period = min(ceil(sr / fmin), frame_length − 1)`.
//! The period is the first local minimum of `d'` below `trough_threshold` (or the global
//! minimum if there is none), refined by parabolic interpolation; `f0 = sr / period`.
//! Boundary behaviour (first/last lag, silent frames) follows librosa: a silent frame has
//! `d' ≡ 0`, no trough, and therefore yields `f0 = sr / min_period`.

use ser_dsp::frame::PadMode;
use ser_dsp::{AutocorrScratch, Autocorrelator};

use crate::error::{check_audio, Error, Result};

/// Configuration of [`Yin`] (and the YIN stage of [`super::Pyin`]); mirrors `librosa.yin`.
///
/// `fmin` and `fmax` are required arguments in librosa; here they default to the values
/// librosa's documentation recommends, `C2` (65.406 Hz) and `C7` (2093.0 Hz).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct YinConfig {
    /// Sampling rate of the input in Hz. Default: 22050 (as librosa).
    pub sr: u32,
    /// Minimum frequency in Hz. Default: 65.406 (`librosa.note_to_hz('C2')`; required in librosa).
    pub fmin: f64,
    /// Maximum frequency in Hz, `<= sr / 2`. Default: 2093.0 (`librosa.note_to_hz('C7')`).
    pub fmax: f64,
    /// Frame length in samples. Default: 2048.
    pub frame_length: usize,
    /// Hop length in samples; `None` means `frame_length / 4`. Default: `None`.
    pub hop_length: Option<usize>,
    /// Absolute threshold on the CMND for trough selection. Default: 0.1.
    pub trough_threshold: f32,
    /// Pad `frame_length / 2` samples on each side so frame `t` is centred at
    /// `y[t * hop_length]`. Default: `true`.
    pub center: bool,
    /// Padding mode when `center`. Default: [`PadMode::Constant`] (zeros, as librosa).
    pub pad_mode: PadMode,
}

impl Default for YinConfig {
    fn default() -> Self {
        Self {
            sr: 22050,
            fmin: 65.406_391_325_149_66,
            fmax: 2_093.004_522_404_789,
            frame_length: 2048,
            hop_length: None,
            trough_threshold: 0.1,
            center: true,
            pad_mode: PadMode::Constant,
        }
    }
}

impl YinConfig {
    /// Sets [`YinConfig::sr`].
    pub fn sr(mut self, sr: u32) -> Self {
        self.sr = sr;
        self
    }
    /// Sets [`YinConfig::fmin`].
    pub fn fmin(mut self, fmin: f64) -> Self {
        self.fmin = fmin;
        self
    }
    /// Sets [`YinConfig::fmax`].
    pub fn fmax(mut self, fmax: f64) -> Self {
        self.fmax = fmax;
        self
    }
    /// Sets [`YinConfig::frame_length`].
    pub fn frame_length(mut self, frame_length: usize) -> Self {
        self.frame_length = frame_length;
        self
    }
    /// Sets [`YinConfig::hop_length`].
    pub fn hop_length(mut self, hop_length: usize) -> Self {
        self.hop_length = Some(hop_length);
        self
    }
    /// Sets [`YinConfig::trough_threshold`].
    pub fn trough_threshold(mut self, trough_threshold: f32) -> Self {
        self.trough_threshold = trough_threshold;
        self
    }
    /// Sets [`YinConfig::center`].
    pub fn center(mut self, center: bool) -> Self {
        self.center = center;
        self
    }
    /// Sets [`YinConfig::pad_mode`].
    pub fn pad_mode(mut self, pad_mode: PadMode) -> Self {
        self.pad_mode = pad_mode;
        self
    }
    /// Effective hop length (`frame_length / 4` when unset).
    pub fn effective_hop_length(&self) -> usize {
        self.hop_length.unwrap_or(self.frame_length / 4)
    }
}

/// Shared YIN machinery: validated periods, framing and the FFT plans for the CMND.
pub(crate) struct YinCore {
    pub(crate) sr: u32,
    pub(crate) frame_length: usize,
    pub(crate) hop_length: usize,
    pub(crate) center: bool,
    pub(crate) pad_mode: PadMode,
    pub(crate) min_period: usize,
    pub(crate) max_period: usize,
    ac: Autocorrelator,
}

impl std::fmt::Debug for YinCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YinCore")
            .field("sr", &self.sr)
            .field("frame_length", &self.frame_length)
            .field("hop_length", &self.hop_length)
            .field("min_period", &self.min_period)
            .field("max_period", &self.max_period)
            .field("n_fft", &self.ac.fft_len())
            .finish()
    }
}

/// Reusable buffers for the CMND computation of one thread.
#[derive(Debug, Clone, Default)]
pub struct YinScratch {
    pub(crate) padded: Vec<f32>,
    ac: AutocorrScratch,
    /// Autocorrelation of the current frame, lags `0 ..= max_period`.
    pub(crate) acf: Vec<f32>,
    /// Power spectrum `|X[k]|²` of the current zero-padded frame for `k < power.len()`
    /// (FFT size of the autocorrelation plan); empty (not computed) unless a caller sizes it.
    pub(crate) power: Vec<f32>,
    d: Vec<f64>,
    /// CMND of the current frame, `max_period - min_period + 1` values.
    pub(crate) cmnd: Vec<f32>,
}

pub(crate) fn check_f0_params(sr: u32, fmin: f64, fmax: f64, frame_length: usize) -> Result<()> {
    let srf = sr as f64;
    if sr == 0 {
        return Err(Error::InvalidParameter {
            name: "sr",
            reason: "must be positive".into(),
        });
    }
    if !(fmin.is_finite() && fmin > 0.0) {
        return Err(Error::InvalidParameter {
            name: "fmin",
            reason: format!("fmin={fmin} must be strictly positive"),
        });
    }
    if !(fmax.is_finite() && fmax <= srf / 2.0) {
        return Err(Error::InvalidParameter {
            name: "fmax",
            reason: format!(
                "fmax={fmax} cannot exceed the Nyquist frequency {}",
                srf / 2.0
            ),
        });
    }
    if fmin >= fmax {
        return Err(Error::InvalidParameter {
            name: "fmin",
            reason: format!("fmin={fmin} must be less than fmax={fmax}"),
        });
    }
    if frame_length < 3 || srf / fmin >= (frame_length - 1) as f64 {
        return Err(Error::InvalidParameter {
            name: "fmin",
            reason: format!(
                "fmin={fmin} is too small for frame_length={frame_length} and sr={sr}: \
                 need sr / fmin < frame_length - 1"
            ),
        });
    }
    Ok(())
}

impl YinCore {
    pub(crate) fn new(
        sr: u32,
        fmin: f64,
        fmax: f64,
        frame_length: usize,
        hop_length: usize,
        center: bool,
        pad_mode: PadMode,
    ) -> Result<Self> {
        check_f0_params(sr, fmin, fmax, frame_length)?;
        if hop_length == 0 {
            return Err(Error::InvalidParameter {
                name: "hop_length",
                reason: "must be positive".into(),
            });
        }
        let srf = sr as f64;
        let min_period = (srf / fmax).floor() as usize;
        let max_period = ((srf / fmin).ceil() as usize).min(frame_length - 1);
        if min_period < 1 || max_period < min_period + 1 {
            return Err(Error::InvalidParameter {
                name: "fmax",
                reason: format!("period range [{min_period}, {max_period}] is degenerate"),
            });
        }
        // Lags 0 ..= max_period without circular aliasing.
        let ac = Autocorrelator::new(frame_length, Some(max_period + 1));
        Ok(Self {
            sr,
            frame_length,
            hop_length,
            center,
            pad_mode,
            min_period,
            max_period,
            ac,
        })
    }

    /// Number of CMND values per frame (`max_period - min_period + 1`).
    pub(crate) fn n_lags(&self) -> usize {
        self.max_period - self.min_period + 1
    }

    /// Number of frames for `n_samples` input samples (0 if too short without centering).
    pub(crate) fn n_frames(&self, n_samples: usize) -> usize {
        let len = if self.center {
            n_samples + 2 * (self.frame_length / 2)
        } else {
            n_samples
        };
        if len < self.frame_length {
            0
        } else {
            1 + (len - self.frame_length) / self.hop_length
        }
    }

    pub(crate) fn make_scratch(&self) -> YinScratch {
        YinScratch {
            padded: Vec::new(),
            ac: self.ac.make_scratch(),
            acf: vec![0.0; self.max_period + 1],
            power: Vec::new(),
            d: vec![0.0; self.max_period + 1],
            cmnd: vec![0.0; self.n_lags()],
        }
    }

    /// Validates `y`, pads it into `scratch.padded` and returns the number of frames.
    pub(crate) fn prepare(&self, y: &[f32], scratch: &mut YinScratch) -> Result<usize> {
        check_audio(y)?;
        let n_frames = self.n_frames(y.len());
        if n_frames == 0 {
            return Err(Error::TooShort {
                what: "YIN framing (center=false)",
                expected: self.frame_length,
                got: y.len(),
            });
        }
        scratch.padded.clear();
        if self.center {
            let p = self.frame_length / 2;
            match self.pad_mode {
                PadMode::Constant => {
                    scratch.padded.resize(p, 0.0);
                    scratch.padded.extend_from_slice(y);
                    scratch.padded.resize(y.len() + 2 * p, 0.0);
                }
                _ => {
                    let v = ser_dsp::frame::pad_center_signal(y, 2 * p, self.pad_mode);
                    scratch.padded.extend_from_slice(&v);
                }
            }
        } else {
            scratch.padded.extend_from_slice(y);
        }
        Ok(n_frames)
    }

    /// Computes the CMND of frame `t` of `scratch.padded` into `scratch.cmnd`.
    /// Returns the frame's autocorrelation at lag 0 (its energy).
    pub(crate) fn cmnd_frame(&self, t: usize, scratch: &mut YinScratch) -> Result<f32> {
        let start = t * self.hop_length;
        let fl = self.frame_length;
        let YinScratch {
            padded,
            ac,
            acf,
            power,
            d,
            cmnd,
        } = scratch;
        let frame = &padded[start..start + fl];
        self.ac.process_with_power_into(frame, acf, power, ac)?;
        let r0 = acf[0] as f64;
        // Difference function and cumulative mean normalisation.
        let maxp = self.max_period;
        d[0] = 0.0;
        let mut energy = 0.0f64;
        for k in 1..=maxp {
            let x = frame[k - 1] as f64;
            energy += x * x;
            d[k] = 2.0 * (r0 - acf[k] as f64) - energy;
        }
        let minp = self.min_period;
        let mut cum: f64 = d[1..minp].iter().sum();
        for (i, tau) in (minp..=maxp).enumerate() {
            cum += d[tau];
            let mean = cum / tau as f64;
            cmnd[i] = (d[tau] / (mean + f64::MIN_POSITIVE)) as f32;
        }
        Ok(r0 as f32)
    }
}

/// Parabolic-interpolation shift of the optimum at index `i` of `x` (librosa `_pi_stencil`);
/// 0 at the edges and when the optimum would move by more than one bin.
#[inline]
pub(crate) fn parabolic_shift(x: &[f32], i: usize) -> f32 {
    if i == 0 || i + 1 >= x.len() {
        return 0.0;
    }
    let a = x[i + 1] + x[i - 1] - 2.0 * x[i];
    let b = (x[i + 1] - x[i - 1]) / 2.0;
    if b.abs() >= a.abs() {
        0.0
    } else {
        -b / a
    }
}

/// `librosa.util.localmin` with pitch.py's first-element rule:
/// `x[0] < x[1]`, `x[i] < x[i-1] && x[i] <= x[i+1]`, `x[n-1] < x[n-2]`.
#[inline]
pub(crate) fn is_trough(x: &[f32], i: usize) -> bool {
    let n = x.len();
    if i == 0 {
        x[0] < x[1]
    } else if i == n - 1 {
        x[n - 1] < x[n - 2]
    } else {
        x[i] < x[i - 1] && x[i] <= x[i + 1]
    }
}

/// YIN F0 plan (`librosa.yin`). `Send + Sync`; share one plan between threads.
///
/// Output: one F0 value in Hz per frame, `n_frames = 1 + len_padded / hop_length` frames
/// (as librosa). YIN always returns a value (no voicing decision); use [`super::Pyin`] for
/// voicing.
///
/// # Examples
/// ```
/// use ser_features::prosody::{Yin, YinConfig};
/// let sr = 16_000;
/// let y: Vec<f32> = (0..8000)
///     .map(|i| (2.0 * std::f32::consts::PI * 220.0 * i as f32 / sr as f32).sin())
///     .collect();
/// let yin = Yin::new(&YinConfig::default().sr(sr).fmin(60.0).fmax(1000.0).frame_length(1024))?;
/// let f0 = yin.process(&y)?;
/// assert_eq!(f0.len(), yin.n_frames(y.len()));
/// assert!((f0[5] - 220.0).abs() < 1.0);
/// # Ok::<(), ser_features::Error>(())
/// ```
#[derive(Debug)]
pub struct Yin {
    cfg: YinConfig,
    core: YinCore,
}

impl Yin {
    /// Validates `cfg` (as librosa: `0 < fmin < fmax <= sr/2`, `sr/fmin < frame_length - 1`)
    /// and builds the FFT plans.
    pub fn new(cfg: &YinConfig) -> Result<Self> {
        if !(cfg.trough_threshold.is_finite() && cfg.trough_threshold > 0.0) {
            return Err(Error::InvalidParameter {
                name: "trough_threshold",
                reason: format!("{} must be finite and > 0", cfg.trough_threshold),
            });
        }
        let core = YinCore::new(
            cfg.sr,
            cfg.fmin,
            cfg.fmax,
            cfg.frame_length,
            cfg.effective_hop_length(),
            cfg.center,
            cfg.pad_mode,
        )?;
        Ok(Self {
            cfg: cfg.clone(),
            core,
        })
    }

    /// The configuration of this plan.
    pub fn config(&self) -> &YinConfig {
        &self.cfg
    }

    /// Number of output frames for `n_samples` input samples (0 if the input is shorter than
    /// one frame with `center = false`).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        self.core.n_frames(n_samples)
    }

    /// `(min_period, max_period)` in samples.
    pub fn periods(&self) -> (usize, usize) {
        (self.core.min_period, self.core.max_period)
    }

    /// Allocates the scratch buffers for [`Yin::process_into`].
    pub fn make_scratch(&self) -> YinScratch {
        self.core.make_scratch()
    }

    /// F0 in Hz per frame, shape `(n_frames,)`.
    ///
    /// Errors: empty or non-finite input; input shorter than `frame_length` with
    /// `center = false` ([`Error::TooShort`]).
    pub fn process(&self, y: &[f32]) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        let mut scratch = self.make_scratch();
        self.process_into(y, &mut out, &mut scratch)?;
        Ok(out)
    }

    /// As [`Yin::process`], writing into `out` (resized to `n_frames`).
    pub fn process_into(
        &self,
        y: &[f32],
        out: &mut Vec<f32>,
        scratch: &mut YinScratch,
    ) -> Result<()> {
        let n_frames = self.core.prepare(y, scratch)?;
        out.clear();
        out.reserve(n_frames);
        let thr = self.cfg.trough_threshold;
        for t in 0..n_frames {
            self.core.cmnd_frame(t, scratch)?;
            let x = &scratch.cmnd;
            let idx = (0..x.len())
                .find(|&i| x[i] < thr && is_trough(x, i))
                .unwrap_or_else(|| argmin(x));
            let period = self.core.min_period as f32 + idx as f32 + parabolic_shift(x, idx);
            out.push(self.core.sr as f32 / period);
        }
        Ok(())
    }

    /// The cumulative mean normalised difference, shape `(max_period - min_period + 1, n_frames)`
    /// (librosa's `_cumulative_mean_normalized_difference`), for inspection and testing.
    pub fn cmnd(&self, y: &[f32]) -> Result<ndarray::Array2<f32>> {
        let mut scratch = self.make_scratch();
        let n_frames = self.core.prepare(y, &mut scratch)?;
        let mut out = ndarray::Array2::zeros((self.core.n_lags(), n_frames));
        for t in 0..n_frames {
            self.core.cmnd_frame(t, &mut scratch)?;
            for (o, v) in out.column_mut(t).iter_mut().zip(&scratch.cmnd) {
                *o = *v;
            }
        }
        Ok(out)
    }
}

/// First index of the minimum (numpy `argmin`).
#[inline]
pub(crate) fn argmin(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate().skip(1) {
        if v < x[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(f: f32, sr: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * f * i as f32 / sr as f32).sin())
            .collect()
    }

    #[test]
    fn pure_tone_recovered() {
        let sr = 16_000;
        let yin = Yin::new(
            &YinConfig::default()
                .sr(sr)
                .fmin(50.0)
                .fmax(800.0)
                .frame_length(1024),
        )
        .unwrap();
        for f in [80.0, 133.0, 250.0, 441.0] {
            let f0 = yin.process(&tone(f, sr, 16_000)).unwrap();
            // interior frames (edges are zero-padded)
            for v in &f0[4..f0.len() - 4] {
                assert!((v - f).abs() / f < 0.01, "{f}: {v}");
            }
        }
    }

    #[test]
    fn silence_matches_librosa_boundary_rule() {
        let yin = Yin::new(&YinConfig::default().sr(16_000).fmax(1000.0)).unwrap();
        let f0 = yin.process(&vec![0.0; 4000]).unwrap();
        assert!(f0.iter().all(|&v| v == 16_000.0 / 16.0));
    }

    #[test]
    fn invalid_configs_are_errors() {
        assert!(Yin::new(&YinConfig::default().fmax(20_000.0)).is_err());
        assert!(Yin::new(&YinConfig::default().fmin(3000.0)).is_err());
        assert!(Yin::new(&YinConfig::default().fmin(5.0)).is_err());
        assert!(Yin::new(&YinConfig::default().hop_length(0)).is_err());
        let yin = Yin::new(&YinConfig::default().center(false)).unwrap();
        assert!(matches!(
            yin.process(&[0.1; 100]),
            Err(Error::TooShort { .. })
        ));
        assert!(yin.process(&[]).is_err());
        assert!(yin.process(&[f32::NAN; 3000]).is_err());
    }
}
