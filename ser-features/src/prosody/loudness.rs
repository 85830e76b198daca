//! Loudness: an openSMILE-like auditory-weighted loudness (the `loudness` LLD of
//! GeMAPS/eGeMAPS), computed per frame from a power spectrum.
//!
//! Model (the same chain as openSMILE's `cMelspec → cPlp(doAud=1) → cVectorOperation(ll1)`):
//!
//! 1. 26 triangular mel bands (HTK mel scale, peak-normalised) from 20 Hz to
//!    `min(8000, sr / 2)` Hz applied to the frame's power spectrum `|X(k)|²`;
//! 2. each band weighted by Hermansky's (1990, PLP) equal-loudness curve at its centre
//!    frequency, `E(ω) = (ω² + 56.8·10⁶) ω⁴ / ((ω² + 6.3·10⁶)² (ω² + 0.38·10⁹))`, ω = 2πf;
//! 3. intensity-to-loudness compression by the power law `x^0.33` (Stevens);
//! 4. summed over bands.
//!
//! This is not a Zwicker (ISO 532-1) loudness in sone; it is the auditory-spectrum sum that
//! openSMILE reports as `loudness` (arbitrary units, monotonic in level: +10 dB ≈ ×2.1).
//!
//! # Example
//! ```
//! use ser_features::prosody::loudness::{Loudness, LoudnessConfig};
//! let sr = 16_000;
//! let quiet: Vec<f32> = (0..8000).map(|i| 0.01 * (i as f32 * 0.2).sin()).collect();
//! let loud: Vec<f32> = quiet.iter().map(|v| v * 10.0).collect();
//! let plan = Loudness::new(&LoudnessConfig::default().sr(sr))?;
//! let (a, b) = (plan.process(&quiet)?, plan.process(&loud)?);
//! assert!(b[10] > 1.8 * a[10]);
//! # Ok::<(), ser_features::Error>(())
//! ```

use ndarray::Array2;
use ser_dsp::{mel_filterbank, MelConfig, MelNorm, Stft, StftConfig, Window};

use crate::error::{check_audio, Result};

/// Configuration of [`Loudness`]. Framing defaults follow eGeMAPS (20 ms Hamming windows,
/// 10 ms hop) rather than librosa's STFT defaults.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoudnessConfig {
    /// Sampling rate in Hz. Default: 16000.
    pub sr: u32,
    /// FFT size. Default: `None` = smallest power of two `>= win_length`.
    pub n_fft: Option<usize>,
    /// Window length in samples. Default: `None` = 20 ms.
    pub win_length: Option<usize>,
    /// Hop length in samples. Default: `None` = 10 ms.
    pub hop_length: Option<usize>,
    /// Number of mel bands. Default: 26.
    pub n_mels: usize,
    /// Lowest band edge in Hz. Default: 20.
    pub fmin: f32,
    /// Highest band edge in Hz (clipped to `sr / 2`). Default: 8000.
    pub fmax: f32,
    /// Power-law compression exponent. Default: 0.33.
    pub compression: f32,
}

impl Default for LoudnessConfig {
    fn default() -> Self {
        Self {
            sr: 16_000,
            n_fft: None,
            win_length: None,
            hop_length: None,
            n_mels: 26,
            fmin: 20.0,
            fmax: 8000.0,
            compression: 0.33,
        }
    }
}

impl LoudnessConfig {
    /// Sets [`LoudnessConfig::sr`].
    pub fn sr(mut self, sr: u32) -> Self {
        self.sr = sr;
        self
    }
    /// Sets [`LoudnessConfig::n_fft`].
    pub fn n_fft(mut self, n_fft: usize) -> Self {
        self.n_fft = Some(n_fft);
        self
    }
    /// Sets [`LoudnessConfig::win_length`].
    pub fn win_length(mut self, win_length: usize) -> Self {
        self.win_length = Some(win_length);
        self
    }
    /// Sets [`LoudnessConfig::hop_length`].
    pub fn hop_length(mut self, hop_length: usize) -> Self {
        self.hop_length = Some(hop_length);
        self
    }
    pub(crate) fn resolved(&self) -> (usize, usize, usize) {
        let win = self
            .win_length
            .unwrap_or(((self.sr as f64 * 0.02).round() as usize).max(2));
        let hop = self
            .hop_length
            .unwrap_or(((self.sr as f64 * 0.01).round() as usize).max(1));
        let n_fft = self.n_fft.unwrap_or(win.next_power_of_two());
        (n_fft, win, hop)
    }
}

/// Hermansky's equal-loudness weight at `f` Hz.
pub fn equal_loudness_weight(f: f64) -> f64 {
    let w2 = (2.0 * std::f64::consts::PI * f).powi(2);
    (w2 + 56.8e6) * w2 * w2 / ((w2 + 6.3e6).powi(2) * (w2 + 0.38e9))
}

/// Loudness plan: STFT plan, mel filterbank with the equal-loudness weights folded in.
#[derive(Debug)]
pub struct Loudness {
    stft: Stft,
    /// `(n_mels, n_bins)` weighted filterbank.
    fb: Array2<f32>,
    ranges: Vec<(usize, usize)>,
    compression: f32,
}

impl Loudness {
    /// Builds the plan; errors on an invalid STFT or mel configuration.
    pub fn new(cfg: &LoudnessConfig) -> Result<Self> {
        let (n_fft, win, hop) = cfg.resolved();
        let stft = Stft::new(
            &StftConfig::default()
                .n_fft(n_fft)
                .win_length(win)
                .hop_length(hop)
                .window(Window::HammingSymmetric),
        )?;
        let fb = weighted_filterbank(cfg.sr, n_fft, cfg.n_mels, cfg.fmin, cfg.fmax)?;
        Ok(Self {
            stft,
            ranges: band_ranges(&fb),
            fb,
            compression: cfg.compression,
        })
    }

    /// Loudness of one frame from its power spectrum (`n_fft / 2 + 1` bins).
    pub fn from_power(&self, power: &[f32]) -> f32 {
        loudness_from_power(&self.fb, &self.ranges, power, self.compression)
    }

    /// Loudness per frame, shape `(n_frames,)` (centred frames, `n_frames = 1 + len / hop`).
    pub fn process(&self, y: &[f32]) -> Result<Vec<f32>> {
        check_audio(y)?;
        let mut out = Vec::with_capacity(self.stft.n_frames(y.len()));
        let mut scratch = self.stft.make_scratch();
        let mut power = vec![0.0f32; self.stft.n_bins()];
        self.stft.for_each_frame(y, &mut scratch, |_, spec| {
            for (p, c) in power.iter_mut().zip(spec) {
                *p = c.norm_sqr();
            }
            out.push(self.from_power(&power));
        })?;
        Ok(out)
    }
}

pub(crate) fn weighted_filterbank(
    sr: u32,
    n_fft: usize,
    n_mels: usize,
    fmin: f32,
    fmax: f32,
) -> Result<Array2<f32>> {
    let fmax = fmax.min(sr as f32 / 2.0);
    let mut fb = mel_filterbank(
        &MelConfig::default()
            .sr(sr)
            .n_fft(n_fft)
            .n_mels(n_mels)
            .fmin(fmin)
            .fmax(fmax)
            .htk(true)
            .norm(MelNorm::None),
    )?;
    let centres = ser_dsp::mel_frequencies(n_mels + 2, fmin as f64, fmax as f64, true);
    for (b, mut row) in fb.rows_mut().into_iter().enumerate() {
        let w = equal_loudness_weight(centres[b + 1]) as f32;
        row.mapv_inplace(|v| v * w);
    }
    Ok(fb)
}

/// Nonzero column range `[start, end)` of every filterbank row.
pub(crate) fn band_ranges(fb: &Array2<f32>) -> Vec<(usize, usize)> {
    fb.rows()
        .into_iter()
        .map(|row| {
            let s = row.iter().position(|&v| v != 0.0).unwrap_or(0);
            let e = row.iter().rposition(|&v| v != 0.0).map_or(s, |e| e + 1);
            (s, e)
        })
        .collect()
}

/// Filterbank energies `fb · power`, visiting only each band's nonzero range.
pub(crate) fn band_energies<'a>(
    fb: &'a Array2<f32>,
    ranges: &'a [(usize, usize)],
    power: &'a [f32],
) -> impl Iterator<Item = f32> + 'a {
    fb.rows()
        .into_iter()
        .zip(ranges)
        .map(move |(row, &(s, e))| {
            let e = e.min(power.len());
            if s >= e {
                return 0.0;
            }
            match row.as_slice() {
                Some(r) => crate::lanes::dot_f32(&r[s..e], &power[s..e]),
                None => (s..e).map(|k| row[k] * power[k]).sum(),
            }
        })
}

pub(crate) fn loudness_from_power(
    fb: &Array2<f32>,
    ranges: &[(usize, usize)],
    power: &[f32],
    compression: f32,
) -> f32 {
    band_energies(fb, ranges, power)
        .map(|e| e.max(0.0).powf(compression))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_peaks_in_speech_range() {
        assert!(equal_loudness_weight(100.0) < equal_loudness_weight(1000.0));
        assert!(equal_loudness_weight(3000.0) > equal_loudness_weight(100.0));
    }

    #[test]
    fn silence_is_zero_and_level_monotonic() {
        let plan = Loudness::new(&LoudnessConfig::default()).unwrap();
        assert!(plan
            .process(&[0.0; 4000])
            .unwrap()
            .iter()
            .all(|&v| v == 0.0));
        let x: Vec<f32> = (0..4000).map(|i| (i as f32 * 0.3).sin()).collect();
        let a = plan.process(&x).unwrap();
        let b = plan
            .process(&x.iter().map(|v| v * 2.0).collect::<Vec<_>>())
            .unwrap();
        // power ×4 → loudness × 4^0.33
        assert!((b[10] / a[10] - 4f32.powf(0.33)).abs() < 1e-3);
    }
}
