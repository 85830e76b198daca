//! A ComParE-like named set of utterance functionals over MFCC and spectral descriptors.
//!
//! Low-level descriptors (LLDs), one contour per frame (all from one [`FeatureExtractor`] pass):
//! `mfcc0 … mfcc{n_mfcc-1}`, `spectral_centroid`, `spectral_bandwidth`, `spectral_rolloff`,
//! `spectral_flatness`, `spectral_contrast0 … 6`, `zero_crossing_rate`, `rms`,
//! `onset_strength`, `spectral_flux` (35 LLDs with the defaults).
//!
//! Each LLD is smoothed by a centred moving average of `smooth` frames (openSMILE `_sma`;
//! at the edges the average runs over the frames that exist), and, when `deltas` is on, its
//! first delta is taken with `librosa.feature.delta(width=delta_width)` (`_de`). Every contour
//! is summarised by the [`Functional`]s of the config.
//!
//! **Names** (stable): `{lld}_sma_{functional}` and `{lld}_sma_de_{functional}`, e.g.
//! `mfcc3_sma_de_mean`, `spectral_centroid_sma_pctl20`, `rms_sma_slope`. Order: all
//! functionals of `mfcc0_sma`, then of `mfcc0_sma_de`, then `mfcc1_sma`, … With the defaults
//! that is 35 × 2 × 12 = 840 features.
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

use ndarray::Array2;
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
}

impl Default for CompareConfig {
    fn default() -> Self {
        Self {
            features: FeatureConfig::default(),
            functionals: Functional::STANDARD.to_vec(),
            smooth: 3,
            deltas: true,
        }
    }
}

impl CompareConfig {
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
}

/// A planned ComParE-like extractor (see the [module docs](self)). `Send + Sync`.
#[derive(Debug, Clone)]
pub struct CompareSet {
    cfg: CompareConfig,
    plan: FeatureExtractor,
    lld_names: Vec<String>,
}

impl CompareSet {
    /// Builds the plan.
    ///
    /// # Errors
    /// As [`FeatureExtractor::new`], plus [`Error::InvalidParameter`] for `smooth == 0` or an
    /// empty functional list, or contrast bands that do not fit below Nyquist.
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
        let mut lld_names = Vec::new();
        for k in LLD_KINDS {
            let rows = plan.n_rows(k);
            if rows == 1 {
                lld_names.push(k.name().to_string());
            } else {
                lld_names.extend((0..rows).map(|i| format!("{}{i}", k.name())));
            }
        }
        Ok(Self {
            cfg: cfg.clone(),
            plan,
            lld_names,
        })
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
        let suffixes: &[&str] = if self.cfg.deltas {
            &["_sma", "_sma_de"]
        } else {
            &["_sma"]
        };
        let mut out = Vec::new();
        for lld in &self.lld_names {
            for s in suffixes {
                for f in &self.cfg.functionals {
                    out.push(format!("{lld}{s}_{}", f.name()));
                }
            }
        }
        out
    }

    /// The stacked LLD matrix `(n_llds, n_frames)` (unsmoothed).
    pub fn llds(&self, y: &[f32]) -> Result<Array2<f32>> {
        Ok(self.plan.extract(y, &LLD_KINDS)?.stacked().0)
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
            Some(delta(smoothed.view(), self.cfg.features.delta_width, 1)?)
        } else {
            None
        };
        let fns = &self.cfg.functionals;
        let mut out = NamedFeatures::with_capacity(self.lld_names.len() * 2 * fns.len());
        let mut row = Vec::with_capacity(t);
        let mut summarise = |out: &mut NamedFeatures, name: String, src: &Array2<f32>, r: usize| {
            row.clear();
            row.extend(src.row(r).iter().copied());
            let v = match mask {
                Some(m) => compute_masked_checked(&row, m, fns)?,
                None => compute(&row, fns),
            };
            for (f, x) in fns.iter().zip(v) {
                out.push(format!("{name}_{}", f.name()), x);
            }
            Ok::<(), Error>(())
        };
        for (r, lld) in self.lld_names.iter().enumerate() {
            summarise(&mut out, format!("{lld}_sma"), &smoothed, r)?;
            if let Some(d) = &de {
                summarise(&mut out, format!("{lld}_sma_de"), d, r)?;
            }
        }
        Ok(out)
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

    #[test]
    fn silence_gives_finite_features() {
        let set =
            CompareSet::new(&CompareConfig::default().features(FeatureConfig::default().sr(16000)))
                .expect("valid");
        let v = set.extract(&vec![0.0; 16000]).expect("ok");
        assert!(v.values.iter().all(|x| x.is_finite()));
    }
}
