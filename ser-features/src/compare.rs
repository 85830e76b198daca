//! A ComParE-like named set of utterance functionals over MFCC and spectral descriptors.
//!
//! Low-level descriptors (LLDs), one contour per frame (all from one [`FeatureExtractor`] pass):
//! `mfcc0 … mfcc{n_mfcc-1}`, `spectral_centroid`, `spectral_bandwidth`, `spectral_rolloff`,
//! `spectral_flatness`, `spectral_contrast0 … 6`, `zero_crossing_rate`, `rms`,
//! `onset_strength`, `spectral_flux` (35 LLDs with the defaults).
//!
//! With [`CompareConfig::extended`] on (the [`CompareConfig::large`] preset), these LLDs follow,
//! all from one extra pass over the power spectrogram `P = |STFT|²` (same framing and window
//! as `features`; `f_k` are the FFT bin frequencies, `p_k = P_k / (Σ P + 1e-12)`):
//! - `melband0 … melband{n_bands-1}`: `ln(mel + 1e-10)` of a separate `n_bands`-band
//!   (default 26) mel filterbank on `P` (fmin 20 Hz, fmax `sr/2`, HTK, no norm — like
//!   openSMILE's `audspec` bands);
//! - `loudness`: `Σ mel^0.33` over those bands;
//! - `band_energy_250_650`, `band_energy_1000_4000`: `ln(Σ P + 1e-10)` over the bins with
//!   `250 ≤ f < 650` / `1000 ≤ f < 4000` Hz;
//! - `rolloff25`, `rolloff50`, `rolloff75`, `rolloff90`: lowest bin frequency where the
//!   cumulative power reaches 25/50/75/90 % (`0` for a silent frame);
//! - `spectral_variance`, `spectral_skewness`, `spectral_kurtosis`: second central moment and
//!   standardised third / fourth moments of `f` under the distribution `p`;
//! - `spectral_entropy`: `−Σ p ln p / ln(n_bins)` (in `[0, 1]`);
//! - `spectral_slope`: least-squares slope of `ln(P + 1e-10)` against `f` (per Hz).
//!
//! Each LLD is smoothed by a centred moving average of `smooth` frames (openSMILE `_sma`;
//! at the edges the average runs over the frames that exist), and, when `deltas` is on, its
//! first delta is taken with `librosa.feature.delta(width=w)` (`_de`), where `w` is
//! [`CompareConfig::delta_width`] if set, else `features.delta_width` (9). Every contour is
//! summarised by the [`Functional`]s of the config.
//!
//! **Names** (stable): `{lld}_sma_{functional}` and `{lld}_sma_de_{functional}`, e.g.
//! `mfcc3_sma_de_mean`, `spectral_centroid_sma_pctl20`, `rms_sma_slope`. Order: all
//! functionals of `mfcc0_sma`, then of `mfcc0_sma_de`, then `mfcc1_sma`, … With the defaults
//! that is 35 × 2 × 12 = 840 features.
//!
//! **Large preset** ([`CompareConfig::large`], ComParE_2016-like): the 35 LLDs above plus the
//! 38 extended ones (26 mel bands + 12), each smoothed and with its delta (width 5, as
//! openSMILE's `deltawin = 2`; on EmoDB it scores ~3 points UA above width 9), summarised by the
//! 23 [`Functional::COMPARE`] functionals: 73 × 2 × 23 = **3358 features** with the default
//! `n_mfcc = 20` and 6 contrast bands (in general
//! `(n_mfcc + n_contrast_bands + 9 + n_bands + 12) × 2 × 23`).
//!
//! ```
//! use ser_features::compare::{CompareConfig, CompareSet};
//! use ser_features::FeatureConfig;
//! let features = FeatureConfig::default().sr(16000).n_fft(512).hop_length(160).win_length(400).n_mels(40);
//! let set = CompareSet::new(&CompareConfig::large().features(features))?;
//! let y: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
//! let v = set.extract(&y)?;
//! assert_eq!(v.len(), 3358);
//! assert!(v.get("melband12_sma_de_upleveltime75").is_some());
//! assert!(v.values.iter().all(|x| x.is_finite()));
//! # Ok::<(), ser_features::Error>(())
//! ```
//!
//! ```
//! use ser_features::compare::{CompareConfig, CompareSet};
//! use ser_features::FeatureConfig;
//! let set = CompareSet::new(&CompareConfig::default().features(FeatureConfig::default().sr(16000)))?;
//! let y: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
//! let v = set.extract(&y)?;
//! assert_eq!(v.len(), 840);
//! assert_eq!(v.names, set.names());
//! assert!(v.get("mfcc3_sma_de_mean").is_some());
//! # Ok::<(), ser_features::Error>(())
//! ```

use std::ops::Range;

use ndarray::{concatenate, Array2, Axis};
use ser_dsp::{mel_filterbank, MelConfig, MelNorm, Stft, StftScratch};
use serde::{Deserialize, Serialize};

use crate::delta::delta;
use crate::error::{Error, Result};
use crate::extractor::{FeatureConfig, FeatureExtractor, FeatureKind};
use crate::functionals::{compute, compute_masked_checked, Functional, NamedFeatures};

/// The LLD kinds of the set, in output order.
pub const LLD_KINDS: [FeatureKind; 10] = [
    FeatureKind::Mfcc,
    FeatureKind::Centroid,
    FeatureKind::Bandwidth,
    FeatureKind::Rolloff,
    FeatureKind::Flatness,
    FeatureKind::Contrast,
    FeatureKind::Zcr,
    FeatureKind::Rms,
    FeatureKind::OnsetStrength,
    FeatureKind::FluxL2,
];

/// Names of the extended spectral LLDs that follow the `melband{i}` rows (see the
/// [module docs](self)), in output order.
pub const EXTENDED_SPECTRAL_LLDS: [&str; 12] = [
    "loudness",
    "band_energy_250_650",
    "band_energy_1000_4000",
    "rolloff25",
    "rolloff50",
    "rolloff75",
    "rolloff90",
    "spectral_variance",
    "spectral_skewness",
    "spectral_kurtosis",
    "spectral_entropy",
    "spectral_slope",
];

/// Lower edge of the extended mel bands, Hz (openSMILE ComParE `audspec`: 20 Hz).
pub const BAND_FMIN: f32 = 20.0;

/// Parameters of a [`CompareSet`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CompareConfig {
    /// Frame-level parameters. Default: [`FeatureConfig::default`] (librosa defaults).
    pub features: FeatureConfig,
    /// Functionals applied to every contour. Default: [`Functional::STANDARD`] (12).
    pub functionals: Vec<Functional>,
    /// Moving-average width in frames (`1` disables smoothing). Default: 3 (openSMILE).
    pub smooth: usize,
    /// Also summarise the delta of each smoothed contour. Default: `true`.
    pub deltas: bool,
    /// Add the extended LLDs (mel bands, loudness, band energies, roll-offs, spectral
    /// moments, entropy and slope; see the [module docs](self)). Default: `false`
    /// ([`CompareConfig::large`]: `true`).
    pub extended: bool,
    /// Number of extended mel bands (`melband{i}`), used when `extended`. Default: 26.
    pub n_bands: usize,
    /// Width of the `_de` delta (odd, `>= 3`); `None` uses `features.delta_width`. Default:
    /// `None` ([`CompareConfig::large`]: `Some(5)`, openSMILE's `deltawin = 2`).
    pub delta_width: Option<usize>,
}

impl Default for CompareConfig {
    fn default() -> Self {
        Self {
            features: FeatureConfig::default(),
            functionals: Functional::STANDARD.to_vec(),
            smooth: 3,
            deltas: true,
            extended: false,
            n_bands: 26,
            delta_width: None,
        }
    }
}

impl CompareConfig {
    /// The ComParE_2016-like large preset: [`CompareConfig::default`] with `extended = true`,
    /// `delta_width = Some(5)` and the 23 [`Functional::COMPARE`] functionals. With the default `n_mfcc = 20` that is
    /// 73 LLDs × 2 (contour, delta) × 23 = 3358 features (see the [module docs](self)).
    /// Set the framing with [`CompareConfig::features`], e.g. 16 kHz, `n_fft` 512, hop 160.
    ///
    /// ```
    /// use ser_features::compare::CompareConfig;
    /// use ser_features::functionals::Functional;
    /// let cfg = CompareConfig::large();
    /// assert!(cfg.extended);
    /// assert_eq!(cfg.functionals, Functional::COMPARE.to_vec());
    /// ```
    pub fn large() -> Self {
        Self {
            functionals: Functional::COMPARE.to_vec(),
            extended: true,
            delta_width: Some(5),
            ..Self::default()
        }
    }

    /// Sets `features`.
    pub fn features(mut self, features: FeatureConfig) -> Self {
        self.features = features;
        self
    }
    /// Sets `functionals`.
    pub fn functionals(mut self, functionals: Vec<Functional>) -> Self {
        self.functionals = functionals;
        self
    }
    /// Sets `smooth`.
    pub fn smooth(mut self, smooth: usize) -> Self {
        self.smooth = smooth;
        self
    }
    /// Sets `deltas`.
    pub fn deltas(mut self, deltas: bool) -> Self {
        self.deltas = deltas;
        self
    }
    /// Sets `extended`.
    pub fn extended(mut self, extended: bool) -> Self {
        self.extended = extended;
        self
    }
    /// Sets `n_bands`.
    pub fn n_bands(mut self, n_bands: usize) -> Self {
        self.n_bands = n_bands;
        self
    }
    /// Sets `delta_width`.
    pub fn delta_width(mut self, delta_width: Option<usize>) -> Self {
        self.delta_width = delta_width;
        self
    }
}

/// Precomputed tables of the extended LLDs (one power-spectrum pass per clip).
#[derive(Debug, Clone)]
struct ExtendedPlan {
    stft: Stft,
    /// Sparse mel bands `(first_bin, weights)`.
    bands: Vec<(usize, Vec<f64>)>,
    freqs: Vec<f64>,
    low_band: Range<usize>,
    high_band: Range<usize>,
    /// `freqs - mean(freqs)` and its sum of squares (spectral slope).
    freqs_centred: Vec<f64>,
    freqs_sxx: f64,
    ln_n_bins: f64,
}

/// Roll-off fractions of `rolloff25 … rolloff90`.
const ROLLOFFS: [f64; 4] = [0.25, 0.5, 0.75, 0.9];

impl ExtendedPlan {
    fn new(cfg: &CompareConfig) -> Result<Self> {
        let f = &cfg.features;
        if cfg.n_bands == 0 {
            return Err(Error::InvalidParameter {
                name: "n_bands",
                reason: "must be >= 1 when `extended` is on".into(),
            });
        }
        let stft = Stft::new(&f.stft_config())?;
        let fb = mel_filterbank(
            &MelConfig::default()
                .sr(f.sr)
                .n_fft(f.n_fft)
                .n_mels(cfg.n_bands)
                .fmin(BAND_FMIN)
                .fmax(f.sr as f32 / 2.0)
                .htk(true)
                .norm(MelNorm::None),
        )?;
        let bands = fb
            .rows()
            .into_iter()
            .map(|row| {
                let first = row.iter().position(|&w| w != 0.0);
                let last = row.iter().rposition(|&w| w != 0.0);
                match (first, last) {
                    (Some(a), Some(b)) => (
                        a,
                        row.iter()
                            .skip(a)
                            .take(b + 1 - a)
                            .map(|&w| f64::from(w))
                            .collect(),
                    ),
                    _ => (0, Vec::new()),
                }
            })
            .collect();
        let freqs = ser_dsp::fft_frequencies(f.sr, f.n_fft);
        let n_bins = freqs.len();
        let range = |lo: f64, hi: f64| {
            let a = freqs.iter().position(|&x| x >= lo).unwrap_or(n_bins);
            let b = freqs.iter().position(|&x| x >= hi).unwrap_or(n_bins);
            a..b.max(a)
        };
        let (low_band, high_band) = (range(250.0, 650.0), range(1000.0, 4000.0));
        let fm = freqs.iter().sum::<f64>() / n_bins as f64;
        let freqs_centred: Vec<f64> = freqs.iter().map(|&x| x - fm).collect();
        let freqs_sxx = freqs_centred.iter().map(|x| x * x).sum();
        Ok(Self {
            stft,
            bands,
            freqs,
            low_band,
            high_band,
            freqs_centred,
            freqs_sxx,
            ln_n_bins: (n_bins as f64).ln(),
        })
    }

    fn n_rows(&self) -> usize {
        self.bands.len() + EXTENDED_SPECTRAL_LLDS.len()
    }

    /// Writes the extended LLDs of `y` into `out` of shape `(n_rows, n_frames)`.
    fn compute_into(&self, y: &[f32], out: &mut Array2<f32>) -> Result<()> {
        let n_bands = self.bands.len();
        let mut scratch: StftScratch = self.stft.make_scratch();
        let mut pow = vec![0.0_f64; self.freqs.len()];
        let mut col = vec![0.0_f64; self.n_rows()];
        self.stft.for_each_frame(y, &mut scratch, |t, spec| {
            for (p, c) in pow.iter_mut().zip(spec) {
                *p = f64::from(c.re * c.re + c.im * c.im);
            }
            self.frame(&pow, n_bands, &mut col);
            for (r, v) in col.iter().enumerate() {
                out[[r, t]] = *v as f32;
            }
        })?;
        Ok(())
    }

    /// Extended LLDs of one power spectrum (see the module docs for the definitions).
    fn frame(&self, pow: &[f64], n_bands: usize, col: &mut [f64]) {
        let (mel_rows, rest) = col.split_at_mut(n_bands);
        let mut loudness = 0.0;
        for ((start, w), o) in self.bands.iter().zip(mel_rows.iter_mut()) {
            let e: f64 = pow[*start..*start + w.len()]
                .iter()
                .zip(w)
                .map(|(p, w)| p * w)
                .sum();
            loudness += e.powf(0.33);
            *o = (e + 1e-10).ln();
        }
        rest[0] = loudness;
        rest[1] = (pow[self.low_band.clone()].iter().sum::<f64>() + 1e-10).ln();
        rest[2] = (pow[self.high_band.clone()].iter().sum::<f64>() + 1e-10).ln();

        let total: f64 = pow.iter().sum();
        let norm = total + 1e-12;
        // Roll-offs: first bin whose cumulative share reaches each fraction (0 Hz if none).
        let mut cum = 0.0;
        let mut next = 0;
        let mut roll = [0.0; 4];
        for (p, f) in pow.iter().zip(&self.freqs) {
            cum += p;
            while next < ROLLOFFS.len() && cum / norm >= ROLLOFFS[next] {
                roll[next] = *f;
                next += 1;
            }
            if next == ROLLOFFS.len() {
                break;
            }
        }
        rest[3..7].copy_from_slice(&roll);

        let centroid: f64 = pow.iter().zip(&self.freqs).map(|(p, f)| p * f).sum::<f64>() / norm;
        let (mut m2, mut m3, mut m4, mut ent, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for ((p, f), fc) in pow.iter().zip(&self.freqs).zip(&self.freqs_centred) {
            let pn = p / norm;
            let d = f - centroid;
            let d2 = d * d;
            m2 += d2 * pn;
            m3 += d2 * d * pn;
            m4 += d2 * d2 * pn;
            ent -= pn * (pn + 1e-12).ln();
            sxy += fc * (p + 1e-10).ln();
        }
        let sd = m2.sqrt() + 1e-9;
        rest[7] = m2;
        rest[8] = m3 / (sd * sd * sd);
        rest[9] = m4 / (sd * sd * sd * sd);
        rest[10] = ent / self.ln_n_bins;
        rest[11] = if self.freqs_sxx > 0.0 {
            sxy / self.freqs_sxx
        } else {
            0.0
        };
    }
}

/// A planned ComParE-like extractor (see the [module docs](self)). `Send + Sync`.
#[derive(Debug, Clone)]
pub struct CompareSet {
    cfg: CompareConfig,
    plan: FeatureExtractor,
    extended: Option<ExtendedPlan>,
    lld_names: Vec<String>,
    names: Vec<String>,
}

impl CompareSet {
    /// Builds the plan.
    ///
    /// # Errors
    /// As [`FeatureExtractor::new`], plus [`Error::InvalidParameter`] for `smooth == 0`, an
    /// empty functional list, `n_bands == 0` with `extended`, or contrast bands that do not
    /// fit below Nyquist.
    pub fn new(cfg: &CompareConfig) -> Result<Self> {
        if cfg.smooth == 0 {
            return Err(Error::InvalidParameter {
                name: "smooth",
                reason: "must be >= 1".into(),
            });
        }
        if cfg.functionals.is_empty() {
            return Err(Error::InvalidParameter {
                name: "functionals",
                reason: "at least one functional is required".into(),
            });
        }
        let plan = FeatureExtractor::new(&cfg.features)?;
        if let Some(w) = cfg.delta_width {
            crate::delta::savgol_derivative_weights(w, 1)?;
        }
        let mut lld_names = Vec::new();
        for k in LLD_KINDS {
            let rows = plan.n_rows(k);
            if rows == 1 {
                lld_names.push(k.name().to_string());
            } else {
                lld_names.extend((0..rows).map(|i| format!("{}{i}", k.name())));
            }
        }
        let extended = if cfg.extended {
            let ext = ExtendedPlan::new(cfg)?;
            lld_names.extend((0..ext.bands.len()).map(|i| format!("melband{i}")));
            lld_names.extend(EXTENDED_SPECTRAL_LLDS.iter().map(|s| s.to_string()));
            Some(ext)
        } else {
            None
        };
        let suffixes: &[&str] = if cfg.deltas {
            &["_sma", "_sma_de"]
        } else {
            &["_sma"]
        };
        let mut names =
            Vec::with_capacity(lld_names.len() * suffixes.len() * cfg.functionals.len());
        for lld in &lld_names {
            for s in suffixes {
                for f in &cfg.functionals {
                    names.push(format!("{lld}{s}_{}", f.name()));
                }
            }
        }
        Ok(Self {
            cfg: cfg.clone(),
            plan,
            extended,
            lld_names,
            names,
        })
    }

    /// The configuration the set was built from.
    pub fn config(&self) -> &CompareConfig {
        &self.cfg
    }

    /// The effective width of the `_de` delta (`delta_width`, else `features.delta_width`).
    pub fn delta_width(&self) -> usize {
        self.cfg
            .delta_width
            .unwrap_or(self.cfg.features.delta_width)
    }

    /// The frame-level plan.
    pub fn extractor(&self) -> &FeatureExtractor {
        &self.plan
    }

    /// LLD names (rows of [`CompareSet::llds`]).
    pub fn lld_names(&self) -> &[String] {
        &self.lld_names
    }

    /// Output names, in order (what [`CompareSet::extract`] returns in `names`).
    pub fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// Number of output values (`names().len()`).
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// `true` if the set has no outputs (never, for a valid config).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The stacked LLD matrix `(n_llds, n_frames)` (unsmoothed), rows named by
    /// [`CompareSet::lld_names`].
    ///
    /// # Errors
    /// As [`FeatureExtractor::extract`]: empty or non-finite input, or too short a clip.
    pub fn llds(&self, y: &[f32]) -> Result<Array2<f32>> {
        let base = self.plan.extract(y, &LLD_KINDS)?.stacked().0;
        let Some(ext) = &self.extended else {
            return Ok(base);
        };
        let t = base.ncols();
        let t_ext = ext.stft.n_frames(y.len());
        if t_ext != t {
            return Err(Error::ShapeMismatch {
                what: "extended LLD frames",
                expected: vec![t],
                got: vec![t_ext],
            });
        }
        let mut rest = Array2::zeros((ext.n_rows(), t));
        ext.compute_into(y, &mut rest)?;
        concatenate(Axis(0), &[base.view(), rest.view()]).map_err(|_| Error::ShapeMismatch {
            what: "extended LLD frames",
            expected: vec![t],
            got: vec![rest.ncols()],
        })
    }

    /// All functionals of `y` (sampled at `features.sr`).
    pub fn extract(&self, y: &[f32]) -> Result<NamedFeatures> {
        self.extract_impl(y, None)
    }

    /// Like [`CompareSet::extract`], using only frames with `mask[t] == true` (e.g. voiced
    /// frames from [`crate::prosody::Pyin`] with the same hop). Slopes keep frame positions.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if `mask.len()` is not the number of frames.
    pub fn extract_masked(&self, y: &[f32], mask: &[bool]) -> Result<NamedFeatures> {
        self.extract_impl(y, Some(mask))
    }

    fn extract_impl(&self, y: &[f32], mask: Option<&[bool]>) -> Result<NamedFeatures> {
        let llds = self.llds(y)?;
        let t = llds.ncols();
        let smoothed = smooth_rows(&llds, self.cfg.smooth);
        let de = if self.cfg.deltas {
            Some(delta(smoothed.view(), self.delta_width(), 1)?)
        } else {
            None
        };
        let fns = &self.cfg.functionals;
        let mut values = Vec::with_capacity(self.names.len());
        let mut row = Vec::with_capacity(t);
        let mut summarise = |values: &mut Vec<f32>, src: &Array2<f32>, r: usize| {
            row.clear();
            row.extend(src.row(r).iter().copied());
            let v = match mask {
                Some(m) => compute_masked_checked(&row, m, fns)?,
                None => compute(&row, fns),
            };
            values.extend(v);
            Ok::<(), Error>(())
        };
        for r in 0..self.lld_names.len() {
            summarise(&mut values, &smoothed, r)?;
            if let Some(d) = &de {
                summarise(&mut values, d, r)?;
            }
        }
        debug_assert_eq!(values.len(), self.names.len());
        Ok(NamedFeatures {
            names: self.names.clone(),
            values,
        })
    }
}

/// Centred moving average of `width` frames along each row (edges average what exists).
pub fn smooth_rows(x: &Array2<f32>, width: usize) -> Array2<f32> {
    if width <= 1 {
        return x.clone();
    }
    let (h_lo, h_hi) = ((width - 1) / 2, width / 2);
    let t = x.ncols();
    let mut out = Array2::zeros(x.dim());
    for (src, mut dst) in x.rows().into_iter().zip(out.rows_mut()) {
        for (i, o) in dst.iter_mut().enumerate() {
            let a = i.saturating_sub(h_lo);
            let b = (i + h_hi + 1).min(t);
            let s: f64 = (a..b).map(|j| f64::from(src[j])).sum();
            *o = (s / (b - a) as f64) as f32;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn smoothing_is_a_moving_average() {
        let x = ndarray::array![[0.0_f32, 3.0, 6.0, 9.0]];
        let s = smooth_rows(&x, 3);
        assert_eq!(s.row(0).to_vec(), vec![1.5, 3.0, 6.0, 7.5]);
        assert_eq!(smooth_rows(&x, 1), x);
    }

    #[test]
    fn names_match_values_and_mask_is_checked() {
        let cfg = CompareConfig::default()
            .features(
                FeatureConfig::default()
                    .sr(16000)
                    .n_fft(512)
                    .hop_length(160)
                    .n_mfcc(13),
            )
            .functionals(vec![Functional::Mean, Functional::Slope]);
        let set = CompareSet::new(&cfg).expect("valid");
        let y: Vec<f32> = (0..8000)
            .map(|i| ((i % 97) as f32 / 97.0 - 0.5) * 0.2)
            .collect();
        let v = set.extract(&y).expect("ok");
        assert_eq!(v.names, set.names());
        assert_eq!(v.len(), (13 + 15) * 2 * 2);
        assert!(v.values.iter().all(|x| x.is_finite()));
        let n = set.extractor().n_frames(y.len());
        let mask: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        assert_eq!(set.extract_masked(&y, &mask).expect("ok").len(), v.len());
        assert!(set.extract_masked(&y, &mask[1..]).is_err());
        assert!(CompareSet::new(&cfg.clone().smooth(0)).is_err());
    }

    fn small_features() -> FeatureConfig {
        FeatureConfig::default()
            .sr(16000)
            .n_fft(512)
            .hop_length(160)
            .win_length(400)
            .n_mels(40)
    }

    #[test]
    fn large_preset_names_are_unique_and_counted() {
        let set =
            CompareSet::new(&CompareConfig::large().features(small_features())).expect("valid");
        // (20 MFCC + 7 contrast + 8 other base) + (26 bands + 12) LLDs, x 2 x 23.
        assert_eq!(set.lld_names().len(), 73);
        assert_eq!(set.len(), 73 * 2 * 23);
        let names = set.names();
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert_eq!(names[0], "mfcc0_sma_mean");
        assert_eq!(names[23], "mfcc0_sma_de_mean");
        assert!(names.contains(&"melband25_sma_upleveltime90".to_string()));
        assert_eq!(
            names.last().map(String::as_str),
            Some("spectral_slope_sma_de_upleveltime90")
        );
        let y: Vec<f32> = (0..12000)
            .map(|i| ((i % 89) as f32 / 89.0 - 0.5) * 0.3 + (i as f32 * 0.031).sin() * 0.1)
            .collect();
        let v = set.extract(&y).expect("ok");
        assert_eq!(v.names, names);
        assert!(v.values.iter().all(|x| x.is_finite()));
        let llds = set.llds(&y).expect("ok");
        assert_eq!(llds.dim(), (73, set.extractor().n_frames(y.len())));
        let n = llds.ncols();
        let mask: Vec<bool> = (0..n).map(|i| i % 3 != 0).collect();
        assert_eq!(set.extract_masked(&y, &mask).expect("ok").len(), set.len());
        assert_eq!(set.delta_width(), 5);
        assert!(CompareSet::new(&CompareConfig::large().n_bands(0)).is_err());
        assert!(CompareSet::new(&CompareConfig::large().delta_width(Some(4))).is_err());
    }

    #[test]
    fn default_set_is_unchanged_and_old_configs_deserialize() {
        let set =
            CompareSet::new(&CompareConfig::default().features(small_features())).expect("valid");
        assert_eq!(set.len(), 840);
        assert_eq!(set.lld_names().len(), 35);
        assert_eq!(set.names()[12], "mfcc0_sma_de_mean");
        // A config serialised before `extended` / `n_bands` existed.
        let old: CompareConfig =
            serde_json::from_str(r#"{"smooth": 3, "deltas": true}"#).expect("old config");
        assert_eq!(old, CompareConfig::default());
        let json = serde_json::to_string(&CompareConfig::large()).expect("serialise");
        let back: CompareConfig = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, CompareConfig::large());
    }

    #[test]
    fn large_set_on_silence_short_and_bad_input() {
        let set =
            CompareSet::new(&CompareConfig::large().features(small_features())).expect("valid");
        for y in [vec![0.0_f32; 16000], vec![1e-3; 1600]] {
            let v = set.extract(&y).expect("ok");
            assert_eq!(v.len(), set.len());
            assert!(v.values.iter().all(|x| x.is_finite()));
        }
        // Silence: log energies sit at ln(1e-10), roll-offs at 0 Hz.
        let v = set.extract(&[0.0; 4000]).expect("ok");
        assert_abs_diff_eq!(
            v.get("melband3_sma_mean").unwrap_or(0.0),
            (1e-10_f32).ln(),
            epsilon = 1e-3
        );
        assert_eq!(v.get("rolloff90_sma_pctl99"), Some(0.0));
        assert!(set.extract(&[]).is_err());
        let mut y = vec![0.1_f32; 4000];
        y[100] = f32::NAN;
        assert!(set.extract(&y).is_err());
        // Fewer frames than the delta width (9) is an error, not a panic.
        assert!(set.extract(&[0.1; 300]).is_err());
    }

    #[test]
    fn silence_gives_finite_features() {
        let set =
            CompareSet::new(&CompareConfig::default().features(FeatureConfig::default().sr(16000)))
                .expect("valid");
        let v = set.extract(&vec![0.0; 16000]).expect("ok");
        assert!(v.values.iter().all(|x| x.is_finite()));
    }
}
