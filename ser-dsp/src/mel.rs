//! Mel scale, mel filterbanks and mel spectrograms (`librosa.filters.mel`,
//! `librosa.feature.melspectrogram`).

use crate::error::{invalid, Error, Result};
use crate::stft::{
    check_power, check_shape, flush_block, power_of, Stft, StftConfig, StftScratch, BLOCK,
};
use ndarray::{Array2, ArrayView2};
use num_complex::Complex32;
use serde::{Deserialize, Serialize};

/// Filter normalisation (`norm` of `librosa.filters.mel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MelNorm {
    /// Peak-normalised triangles (`norm=None`).
    None,
    /// Area normalisation `2 / (f[i+2] - f[i])` (`norm="slaney"`, librosa default).
    #[default]
    Slaney,
}

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// Hz → mel (`librosa.hz_to_mel`): HTK formula `2595 log10(1 + f/700)` if `htk`, else the
/// Slaney (Auditory Toolbox) scale, linear below 1 kHz and logarithmic above.
///
/// ```
/// assert!((ser_dsp::hz_to_mel(1000.0, false) - 15.0).abs() < 1e-12);
/// assert!((ser_dsp::hz_to_mel(700.0, true) - 2595.0 * 2f64.log10()).abs() < 1e-9);
/// ```
pub fn hz_to_mel(hz: f64, htk: bool) -> f64 {
    if htk {
        return 2595.0 * (1.0 + hz / 700.0).log10();
    }
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / logstep()
    } else {
        hz / F_SP
    }
}

/// Mel → Hz (`librosa.mel_to_hz`), inverse of [`hz_to_mel`].
pub fn mel_to_hz(mel: f64, htk: bool) -> f64 {
    if htk {
        return 700.0 * (10f64.powf(mel / 2595.0) - 1.0);
    }
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (logstep() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// `n_mels` frequencies (Hz) evenly spaced on the mel scale from `fmin` to `fmax` inclusive
/// (`librosa.mel_frequencies`, `numpy.linspace` arithmetic reproduced exactly).
pub fn mel_frequencies(n_mels: usize, fmin: f64, fmax: f64, htk: bool) -> Vec<f64> {
    let min_mel = hz_to_mel(fmin, htk);
    let max_mel = hz_to_mel(fmax, htk);
    linspace(min_mel, max_mel, n_mels)
        .into_iter()
        .map(|m| mel_to_hz(m, htk))
        .collect()
}

fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 0 {
        return Vec::new();
    }
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    v[num - 1] = stop;
    v
}

/// Centre frequencies of the `n_fft / 2 + 1` rfft bins (`librosa.fft_frequencies`).
///
/// ```
/// let f = ser_dsp::fft_frequencies(16000, 512);
/// assert_eq!(f.len(), 257);
/// assert_eq!(f[256], 8000.0);
/// ```
pub fn fft_frequencies(sr: u32, n_fft: usize) -> Vec<f64> {
    // numpy.fft.rfftfreq(n_fft, d=1/sr): k / (n_fft * d)
    let denom = n_fft as f64 * (1.0 / sr as f64);
    (0..=n_fft / 2).map(|k| k as f64 / denom).collect()
}

/// Mel filterbank parameters (`librosa.filters.mel`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MelConfig {
    /// Sample rate in Hz. Default: 22050 (librosa).
    pub sr: u32,
    /// FFT size. Default: 2048 (librosa).
    pub n_fft: usize,
    /// Number of mel bands. Default: 128 (librosa).
    pub n_mels: usize,
    /// Lowest band edge in Hz. Default: 0 (librosa).
    pub fmin: f32,
    /// Highest band edge in Hz. Default: `None` = `sr / 2` (librosa).
    pub fmax: Option<f32>,
    /// Use the HTK mel formula instead of Slaney's. Default: `false` (librosa).
    pub htk: bool,
    /// Filter normalisation. Default: [`MelNorm::Slaney`] (librosa).
    pub norm: MelNorm,
}

impl Default for MelConfig {
    fn default() -> Self {
        MelConfig {
            sr: 22050,
            n_fft: 2048,
            n_mels: 128,
            fmin: 0.0,
            fmax: None,
            htk: false,
            norm: MelNorm::Slaney,
        }
    }
}

impl MelConfig {
    /// Sets `sr`.
    pub fn sr(mut self, sr: u32) -> Self {
        self.sr = sr;
        self
    }
    /// Sets `n_fft`.
    pub fn n_fft(mut self, n_fft: usize) -> Self {
        self.n_fft = n_fft;
        self
    }
    /// Sets `n_mels`.
    pub fn n_mels(mut self, n_mels: usize) -> Self {
        self.n_mels = n_mels;
        self
    }
    /// Sets `fmin`.
    pub fn fmin(mut self, fmin: f32) -> Self {
        self.fmin = fmin;
        self
    }
    /// Sets `fmax` (`Some`).
    pub fn fmax(mut self, fmax: f32) -> Self {
        self.fmax = Some(fmax);
        self
    }
    /// Sets `htk`.
    pub fn htk(mut self, htk: bool) -> Self {
        self.htk = htk;
        self
    }
    /// Sets `norm`.
    pub fn norm(mut self, norm: MelNorm) -> Self {
        self.norm = norm;
        self
    }

    /// Effective `fmax` (`sr / 2` when `None`).
    pub fn effective_fmax(&self) -> f64 {
        self.fmax.map_or(self.sr as f64 / 2.0, f64::from)
    }

    fn validate(&self) -> Result<()> {
        if self.sr == 0 {
            return Err(Error::InvalidSampleRate {
                max: crate::MAX_SAMPLE_RATE,
                got: 0,
            });
        }
        if self.n_fft == 0 {
            return Err(invalid("n_fft", "must be > 0"));
        }
        if self.n_mels == 0 {
            return Err(invalid("n_mels", "must be > 0"));
        }
        let fmax = self.effective_fmax();
        let fmin = self.fmin as f64;
        if !(fmin.is_finite() && fmin >= 0.0) {
            return Err(invalid(
                "fmin",
                format!("must be finite and >= 0, got {fmin}"),
            ));
        }
        if !(fmax.is_finite() && fmax > fmin) {
            return Err(invalid(
                "fmax",
                format!("must be finite and > fmin ({fmin}), got {fmax}"),
            ));
        }
        Ok(())
    }
}

/// The mel filterbank, shape `(n_mels, n_fft / 2 + 1)`, equal to `librosa.filters.mel`.
///
/// Built in `f64` and rounded to `f32` at the same points as librosa (weights rounded, then
/// multiplied by the `f64` Slaney factor and rounded again). `fmax` above `sr / 2` is allowed as
/// in librosa (those bins simply do not exist); bands that fall between FFT bins are all-zero
/// (librosa warns, we do not).
///
/// ```
/// use ser_dsp::{mel_filterbank, MelConfig};
/// let fb = mel_filterbank(&MelConfig::default().sr(16000).n_fft(512).n_mels(40)).unwrap();
/// assert_eq!(fb.dim(), (40, 257));
/// ```
pub fn mel_filterbank(cfg: &MelConfig) -> Result<Array2<f32>> {
    cfg.validate()?;
    let n_bins = cfg.n_fft / 2 + 1;
    let fftfreqs = fft_frequencies(cfg.sr, cfg.n_fft);
    let mel_f = mel_frequencies(
        cfg.n_mels + 2,
        cfg.fmin as f64,
        cfg.effective_fmax(),
        cfg.htk,
    );
    let fdiff: Vec<f64> = mel_f.windows(2).map(|w| w[1] - w[0]).collect();
    let mut weights = Array2::<f32>::zeros((cfg.n_mels, n_bins));
    for i in 0..cfg.n_mels {
        let enorm = match cfg.norm {
            MelNorm::Slaney => Some(2.0 / (mel_f[i + 2] - mel_f[i])),
            MelNorm::None => None,
        };
        for (k, &f) in fftfreqs.iter().enumerate() {
            let lower = -(mel_f[i] - f) / fdiff[i];
            let upper = (mel_f[i + 2] - f) / fdiff[i + 1];
            let w = (lower.min(upper)).max(0.0) as f32;
            weights[[i, k]] = match enorm {
                Some(e) => (w as f64 * e) as f32,
                None => w,
            };
        }
    }
    Ok(weights)
}

/// One band of a filterbank stored as its non-zero bin range.
#[derive(Debug, Clone)]
struct SparseBand {
    start: usize,
    weights: Vec<f32>,
}

fn sparsify(fb: &Array2<f32>) -> Vec<SparseBand> {
    fb.rows()
        .into_iter()
        .map(|row| {
            let first = row.iter().position(|&w| w != 0.0);
            match first {
                None => SparseBand {
                    start: 0,
                    weights: Vec::new(),
                },
                Some(s) => {
                    let last = row.iter().rposition(|&w| w != 0.0).unwrap_or(s);
                    SparseBand {
                        start: s,
                        weights: row.iter().skip(s).take(last + 1 - s).copied().collect(),
                    }
                }
            }
        })
        .collect()
}

/// Mel spectrogram parameters; `Default` = `librosa.feature.melspectrogram` defaults
/// (`sr=22050, n_fft=2048, hop_length=512, window="hann", center=True, pad_mode="constant",
/// power=2.0, n_mels=128, fmin=0, fmax=sr/2, htk=False, norm="slaney"`).
///
/// Use the combined setters ([`MelSpectrogramConfig::n_fft`], [`MelSpectrogramConfig::sr`]) to
/// keep `stft` and `mel` consistent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MelSpectrogramConfig {
    /// STFT parameters. Default: [`StftConfig::default`].
    pub stft: StftConfig,
    /// Filterbank parameters (`n_fft` must equal `stft.n_fft`). Default: [`MelConfig::default`].
    pub mel: MelConfig,
    /// Exponent of the magnitude: 2 = power, 1 = energy. Default: 2.0 (librosa).
    pub power: f32,
}

impl Default for MelSpectrogramConfig {
    fn default() -> Self {
        MelSpectrogramConfig {
            stft: StftConfig::default(),
            mel: MelConfig::default(),
            power: 2.0,
        }
    }
}

impl MelSpectrogramConfig {
    /// Replaces the STFT parameters.
    pub fn stft(mut self, stft: StftConfig) -> Self {
        self.stft = stft;
        self
    }
    /// Replaces the filterbank parameters.
    pub fn mel(mut self, mel: MelConfig) -> Self {
        self.mel = mel;
        self
    }
    /// Sets `power`.
    pub fn power(mut self, power: f32) -> Self {
        self.power = power;
        self
    }
    /// Sets `sr` (of the filterbank).
    pub fn sr(mut self, sr: u32) -> Self {
        self.mel.sr = sr;
        self
    }
    /// Sets `n_fft` of both the STFT and the filterbank.
    pub fn n_fft(mut self, n_fft: usize) -> Self {
        self.stft.n_fft = n_fft;
        self.mel.n_fft = n_fft;
        self
    }
    /// Sets the STFT `hop_length`.
    pub fn hop_length(mut self, hop_length: usize) -> Self {
        self.stft.hop_length = Some(hop_length);
        self
    }
    /// Sets the STFT `win_length`.
    pub fn win_length(mut self, win_length: usize) -> Self {
        self.stft.win_length = Some(win_length);
        self
    }
    /// Sets the STFT `window`.
    pub fn window(mut self, window: crate::Window) -> Self {
        self.stft.window = window;
        self
    }
    /// Sets `center`.
    pub fn center(mut self, center: bool) -> Self {
        self.stft.center = center;
        self
    }
    /// Sets `pad_mode`.
    pub fn pad_mode(mut self, pad_mode: crate::PadMode) -> Self {
        self.stft.pad_mode = pad_mode;
        self
    }
    /// Sets `n_mels`.
    pub fn n_mels(mut self, n_mels: usize) -> Self {
        self.mel.n_mels = n_mels;
        self
    }
    /// Sets `fmin`.
    pub fn fmin(mut self, fmin: f32) -> Self {
        self.mel.fmin = fmin;
        self
    }
    /// Sets `fmax`.
    pub fn fmax(mut self, fmax: f32) -> Self {
        self.mel.fmax = Some(fmax);
        self
    }
    /// Sets `htk`.
    pub fn htk(mut self, htk: bool) -> Self {
        self.mel.htk = htk;
        self
    }
    /// Sets `norm`.
    pub fn norm(mut self, norm: MelNorm) -> Self {
        self.mel.norm = norm;
        self
    }
}

/// Reusable buffers for [`MelSpectrogram`].
#[derive(Debug, Clone, Default)]
pub struct MelScratch {
    stft: StftScratch,
    power: Vec<f32>,
    block: Vec<f32>,
}

/// A mel-spectrogram plan: STFT plan + filterbank (stored densely for [`Self::filterbank`] and
/// as per-band non-zero ranges for the hot loop). `Send + Sync`, `&self` methods.
///
/// ```
/// use ser_dsp::{MelSpectrogram, MelSpectrogramConfig};
/// let cfg = MelSpectrogramConfig::default().sr(16000).n_fft(512).hop_length(160).n_mels(64);
/// let plan = MelSpectrogram::new(&cfg).unwrap();
/// let x: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.1).sin()).collect();
/// let m = plan.process(&x).unwrap();
/// assert_eq!(m.dim(), (64, 101));
/// ```
#[derive(Debug, Clone)]
pub struct MelSpectrogram {
    cfg: MelSpectrogramConfig,
    stft: Stft,
    fb: Array2<f32>,
    bands: Vec<SparseBand>,
}

impl MelSpectrogram {
    /// Builds the plan; errors if `stft.n_fft != mel.n_fft` or a parameter is invalid.
    pub fn new(cfg: &MelSpectrogramConfig) -> Result<MelSpectrogram> {
        if cfg.stft.n_fft != cfg.mel.n_fft {
            return Err(Error::ShapeMismatch {
                what: "mel.n_fft vs stft.n_fft",
                expected: cfg.stft.n_fft.to_string(),
                got: cfg.mel.n_fft.to_string(),
            });
        }
        check_power(cfg.power)?;
        let stft = Stft::new(&cfg.stft)?;
        let fb = mel_filterbank(&cfg.mel)?;
        let bands = sparsify(&fb);
        Ok(MelSpectrogram {
            cfg: cfg.clone(),
            stft,
            fb,
            bands,
        })
    }

    /// The configuration the plan was built from.
    pub fn config(&self) -> &MelSpectrogramConfig {
        &self.cfg
    }

    /// The STFT plan.
    pub fn stft(&self) -> &Stft {
        &self.stft
    }

    /// The filterbank, `(n_mels, n_fft / 2 + 1)`.
    pub fn filterbank(&self) -> &Array2<f32> {
        &self.fb
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.bands.len()
    }

    /// Number of frames for a signal of `n_samples` samples.
    pub fn n_frames(&self, n_samples: usize) -> usize {
        self.stft.n_frames(n_samples)
    }

    /// Allocates the per-thread work buffers.
    pub fn make_scratch(&self) -> MelScratch {
        MelScratch {
            stft: self.stft.make_scratch(),
            power: vec![0.0; self.stft.n_bins()],
            block: vec![0.0; BLOCK * self.n_mels()],
        }
    }

    /// Mel spectrogram of `x`, shape `(n_mels, n_frames)` (= `librosa.feature.melspectrogram`).
    pub fn process(&self, x: &[f32]) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((self.n_mels(), self.n_frames(x.len())));
        let mut scratch = self.make_scratch();
        self.process_into(x, &mut out, &mut scratch)?;
        Ok(out)
    }

    /// Like [`MelSpectrogram::process`] into a caller buffer of shape `(n_mels, n_frames)`.
    pub fn process_into(
        &self,
        x: &[f32],
        out: &mut Array2<f32>,
        scratch: &mut MelScratch,
    ) -> Result<()> {
        let n = self.n_frames(x.len());
        check_shape("mel spectrogram output", out.dim(), (self.n_mels(), n))?;
        let power = self.cfg.power;
        let nm = self.n_mels();
        let MelScratch {
            stft,
            power: pbuf,
            block,
        } = scratch;
        pbuf.resize(self.stft.n_bins(), 0.0);
        block.resize(BLOCK * nm, 0.0);
        let bands = &self.bands;
        let mel_frame = |spec: &[Complex32], pbuf: &mut [f32], dst: &mut [f32]| {
            for (p, &c) in pbuf.iter_mut().zip(spec) {
                *p = power_of(c, power);
            }
            for (d, band) in dst.iter_mut().zip(bands) {
                let seg = &pbuf[band.start..band.start + band.weights.len()];
                *d = seg.iter().zip(&band.weights).map(|(a, b)| a * b).sum();
            }
        };
        if let Some(slice) = out.as_slice_mut() {
            // Stage BLOCK frames, then write them transposed (cache-friendly).
            return self.stft.for_each_frame(x, stft, |t, spec| {
                let j = t % BLOCK;
                mel_frame(spec, pbuf, &mut block[j * nm..(j + 1) * nm]);
                if j == BLOCK - 1 || t == n - 1 {
                    flush_block(&block[..(j + 1) * nm], nm, j + 1, slice, n, t - j);
                }
            });
        }
        self.stft.for_each_frame(x, stft, |t, spec| {
            mel_frame(spec, pbuf, &mut block[..nm]);
            for (m, &v) in block[..nm].iter().enumerate() {
                out[[m, t]] = v;
            }
        })
    }

    /// Applies the filterbank to a spectrogram `s` of shape `(n_fft / 2 + 1, n_frames)`
    /// (already raised to `power`): `filterbank · s`, shape `(n_mels, n_frames)`.
    pub fn from_spectrogram(&self, s: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        if s.nrows() != self.stft.n_bins() {
            return Err(Error::ShapeMismatch {
                what: "spectrogram rows",
                expected: format!("{} (n_fft / 2 + 1)", self.stft.n_bins()),
                got: s.nrows().to_string(),
            });
        }
        Ok(self.fb.dot(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ShapeBuilder;

    #[test]
    fn mel_scale_round_trips() {
        for htk in [false, true] {
            for hz in [0.0, 100.0, 999.0, 1000.0, 4000.0, 11025.0] {
                let back = mel_to_hz(hz_to_mel(hz, htk), htk);
                assert!((back - hz).abs() < 1e-9 * (1.0 + hz), "{hz} {htk}");
            }
        }
    }

    #[test]
    fn filterbank_slaney_area_and_shape() {
        let cfg = MelConfig::default()
            .sr(16000)
            .n_fft(512)
            .n_mels(40)
            .norm(MelNorm::None);
        let fb = mel_filterbank(&cfg).expect("fb");
        // peak-normalised triangles never exceed 1
        assert!(fb.iter().all(|&w| (0.0..=1.0).contains(&w)));
        assert!(fb.rows().into_iter().all(|r| r.iter().any(|&w| w > 0.0)));
    }

    #[test]
    fn invalid_configs() {
        assert!(mel_filterbank(&MelConfig::default().n_mels(0)).is_err());
        assert!(mel_filterbank(&MelConfig::default().fmin(9000.0).fmax(100.0)).is_err());
        assert!(mel_filterbank(&MelConfig::default().sr(0)).is_err());
        let cfg = MelSpectrogramConfig::default().mel(MelConfig::default().n_fft(512));
        assert!(MelSpectrogram::new(&cfg).is_err());
    }

    #[test]
    fn sparse_matches_dense() {
        let cfg = MelSpectrogramConfig::default()
            .sr(16000)
            .n_fft(512)
            .hop_length(160)
            .n_mels(64);
        let plan = MelSpectrogram::new(&cfg).expect("plan");
        let x: Vec<f32> = (0..8000)
            .map(|i| ((i * 31 % 97) as f32 / 97.0) - 0.5)
            .collect();
        let m = plan.process(&x).expect("mel");
        let s = plan.stft().spectrogram(&x, 2.0).expect("spec");
        let d = plan.from_spectrogram(s.view()).expect("dense");
        for (a, b) in m.iter().zip(d.iter()) {
            assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{a} {b}");
        }
        // column-major output takes the unblocked path and must agree exactly
        let mut f = Array2::zeros((64, plan.n_frames(x.len())).f());
        plan.process_into(&x, &mut f, &mut plan.make_scratch())
            .expect("into");
        assert_eq!(f, m);
    }
}
