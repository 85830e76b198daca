//! Audio → model input, as described by a [`FeatureSpec`], computed with `ser-features`
//! (and `ser-dsp` for loading and resampling).

use std::path::Path;
use std::sync::Arc;

use ndarray::Array2;
use ser_dsp::Audio;
use ser_features::sets::FeatureSet;
use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind};

use crate::batch::Sequence;
use crate::features::{FeatureSpec, FunctionalsSpec, LogMelSpec, MfccSpec, WhisperSpec};
use crate::{Error, Result};

pub use ser_features::sets::{
    COMPARE_LARGE_SET, COMPARE_SET, EGEMAPS_COMPARE_LARGE_SET, EGEMAPS_COMPARE_SET, EGEMAPS_SET,
    MFCC_SPECTRAL_SET,
};

impl FunctionalsSpec {
    /// The built-in [`MFCC_SPECTRAL_SET`] at 16 kHz (636 values).
    pub fn mfcc_spectral() -> Self {
        Self {
            sr: 16000,
            set: MFCC_SPECTRAL_SET.into(),
            n: 53 * ser_features::functionals::Functional::STANDARD.len(),
        }
    }

    /// A named set at 16 kHz ([`EGEMAPS_SET`], [`COMPARE_SET`], [`EGEMAPS_COMPARE_SET`],
    /// [`COMPARE_LARGE_SET`], [`EGEMAPS_COMPARE_LARGE_SET`], [`MFCC_SPECTRAL_SET`]) with its
    /// size filled in.
    pub fn named(set: &str) -> Result<Self> {
        Ok(Self {
            sr: 16000,
            set: set.into(),
            n: functional_set_len(set, 16000)?,
        })
    }
}

/// A feature plan built once from a [`FeatureSpec`]; `Send + Sync`, so rayon can share it.
#[derive(Debug)]
pub struct FeaturePipeline {
    spec: FeatureSpec,
    plan: Option<FeatureExtractor>,
    set: Option<FeatureSet>,
    whisper: Option<Arc<ser_whisper::Whisper>>,
}

/// Loads the encoder of a [`WhisperSpec`] (relative paths against `base`, then the working
/// directory) and checks the spec against it.
fn load_whisper(spec: &WhisperSpec, base: Option<&Path>) -> Result<ser_whisper::Whisper> {
    let p = Path::new(&spec.model);
    let path = match base {
        Some(b) if p.is_relative() && b.join(p).exists() => b.join(p),
        _ => p.to_path_buf(),
    };
    let w = ser_whisper::Whisper::load(&path).map_err(|source| Error::Encoder {
        path: path.clone(),
        source,
    })?;
    let cfg = w.config();
    if cfg.n_audio_state != spec.width
        || spec.first_layer >= spec.end_layer
        || spec.end_layer > cfg.n_audio_layer + 1
    {
        return Err(Error::InvalidConfig(format!(
            "whisper spec (width {}, hidden states {}..{}) does not fit {} (width {}, {} hidden states)",
            spec.width,
            spec.first_layer,
            spec.end_layer,
            path.display(),
            cfg.n_audio_state,
            cfg.n_audio_layer + 1
        )));
    }
    Ok(w)
}

/// Names of the values of a named functional set at `sr`, in output order
/// ([`ser_features::sets::FeatureSet::names`]). Errors for an unknown name.
pub fn functional_set_names(set: &str, sr: u32) -> Result<Vec<String>> {
    Ok(ser_features::sets::set_names(set, sr)?)
}

/// Number of values of a named functional set at `sr`, or an error for an unknown name.
pub fn functional_set_len(set: &str, sr: u32) -> Result<usize> {
    Ok(ser_features::sets::set_len(set, sr)?)
}

fn stft_cfg(sr: u32, n_fft: usize, hop: usize, win: usize, n_mels: usize) -> FeatureConfig {
    FeatureConfig::default()
        .sr(sr)
        .n_fft(n_fft)
        .hop_length(hop)
        .win_length(win)
        .n_mels(n_mels)
}

impl FeaturePipeline {
    /// Builds the plans. Errors for [`FeatureSpec::Precomputed`] (nothing to compute),
    /// unknown functional sets and Whisper encoders that cannot be loaded (a relative
    /// encoder path resolves against the working directory).
    pub fn new(spec: &FeatureSpec) -> Result<Self> {
        Self::new_in(spec, None)
    }

    /// [`FeaturePipeline::new`] with relative paths in the spec (the Whisper encoder)
    /// resolved against `base` first, e.g. the model directory the spec came from.
    pub fn new_in(spec: &FeatureSpec, base: Option<&Path>) -> Result<Self> {
        let cfg = match spec {
            FeatureSpec::LogMel(LogMelSpec {
                sr,
                n_fft,
                hop_length,
                win_length,
                n_mels,
            }) => stft_cfg(*sr, *n_fft, *hop_length, *win_length, *n_mels),
            FeatureSpec::Mfcc(MfccSpec {
                sr,
                n_fft,
                hop_length,
                win_length,
                n_mels,
                n_mfcc,
                deltas,
            }) => {
                if *deltas > 2 {
                    return Err(Error::InvalidConfig(format!(
                        "deltas must be 0..=2, got {deltas}"
                    )));
                }
                stft_cfg(*sr, *n_fft, *hop_length, *win_length, *n_mels).n_mfcc(*n_mfcc)
            }
            FeatureSpec::Functionals(f) => {
                let set = FeatureSet::new(&f.set, f.sr)?;
                if f.n != set.len() {
                    return Err(Error::InvalidConfig(format!(
                        "set `{}` has {} values, spec says {}",
                        f.set,
                        set.len(),
                        f.n
                    )));
                }
                return Ok(Self {
                    spec: spec.clone(),
                    plan: None,
                    set: Some(set),
                    whisper: None,
                });
            }
            FeatureSpec::Whisper(w) => {
                return Ok(Self {
                    spec: spec.clone(),
                    plan: None,
                    set: None,
                    whisper: Some(Arc::new(load_whisper(w, base)?)),
                });
            }
            FeatureSpec::Precomputed { .. } => {
                return Err(Error::InvalidArgument(
                    "precomputed features cannot be computed from audio".into(),
                ))
            }
        };
        Ok(Self {
            spec: spec.clone(),
            plan: Some(FeatureExtractor::new(&cfg).map_err(Error::from)?),
            set: None,
            whisper: None,
        })
    }

    /// The Whisper encoder of a [`FeatureSpec::Whisper`] pipeline (shared, loaded once).
    pub fn whisper(&self) -> Option<&Arc<ser_whisper::Whisper>> {
        self.whisper.as_ref()
    }

    /// The spec this pipeline computes.
    pub fn spec(&self) -> &FeatureSpec {
        &self.spec
    }

    /// Sample rate the pipeline works at.
    pub fn sample_rate(&self) -> u32 {
        self.spec.sample_rate().unwrap_or(16000)
    }

    /// Features of `samples` (already at [`FeaturePipeline::sample_rate`]) in librosa layout
    /// `(n_features, n_frames)` (`n_frames = 1` for functionals) — the form stored in the
    /// feature cache.
    pub fn matrix(&self, samples: &[f32]) -> Result<Array2<f32>> {
        if let (FeatureSpec::Whisper(w), Some(enc)) = (&self.spec, &self.whisper) {
            let werr = Error::Whisper;
            let normalised;
            let samples = match w.rms_dbfs {
                None => samples,
                Some(db) => {
                    normalised = normalize_rms(samples, db)?;
                    &normalised[..]
                }
            };
            let stats = match w.loudest_frames {
                None => enc.layer_stats_upto(samples, w.end_layer).map_err(werr)?,
                Some(f) => {
                    let states = enc.hidden_states_upto(samples, w.end_layer).map_err(werr)?;
                    let keep = loudest_frames(samples, states[0].nrows(), f)?;
                    let loud: Vec<Array2<f32>> = states
                        .iter()
                        .map(|h| h.select(ndarray::Axis(0), &keep))
                        .collect();
                    ser_whisper::stats_rows(&loud)
                }
            };
            let sel = stats.slice(ndarray::s![w.first_layer..w.end_layer, ..]);
            let v = sel.mean_axis(ndarray::Axis(0)).ok_or_else(|| {
                Error::InvalidConfig("whisper spec selects no hidden state".into())
            })?;
            let n = v.len();
            return v.into_shape_with_order((n, 1)).map_err(Error::from);
        }
        if let Some(set) = &self.set {
            let v = set.extract(samples)?;
            let n = v.len();
            return Array2::from_shape_vec((n, 1), v).map_err(Error::from);
        }
        let plan = self
            .plan
            .as_ref()
            .ok_or_else(|| Error::InvalidArgument("no feature plan".into()))?;
        match &self.spec {
            FeatureSpec::LogMel(_) => plan.log_mel(samples).map_err(Error::from),
            FeatureSpec::Mfcc(m) => {
                let kinds: &[FeatureKind] = match m.deltas {
                    0 => &[FeatureKind::Mfcc],
                    1 => &[FeatureKind::Mfcc, FeatureKind::MfccDelta],
                    _ => &[
                        FeatureKind::Mfcc,
                        FeatureKind::MfccDelta,
                        FeatureKind::MfccDelta2,
                    ],
                };
                Ok(plan
                    .extract(samples, kinds)
                    .map_err(Error::from)?
                    .stacked()
                    .0)
            }
            FeatureSpec::Functionals(_)
            | FeatureSpec::Whisper(_)
            | FeatureSpec::Precomputed { .. } => Err(Error::InvalidArgument(
                "precomputed features cannot be computed from audio".into(),
            )),
        }
    }

    /// Model input for `samples` at `sr` (resampled when needed).
    pub fn sequence(&self, samples: &[f32], sr: u32) -> Result<Sequence> {
        let audio = Audio::new(samples.to_vec(), sr).map_err(Error::from)?;
        let audio = if sr == self.sample_rate() {
            audio
        } else {
            audio.resample(self.sample_rate()).map_err(Error::from)?
        };
        matrix_to_sequence(&self.matrix(&audio.samples)?)
    }

    /// Model input for an audio file (any format `ser-dsp` decodes; mixed to mono, resampled).
    pub fn sequence_from_file(&self, path: impl AsRef<Path>) -> Result<Sequence> {
        let audio = Audio::load(path, Some(self.sample_rate())).map_err(Error::from)?;
        matrix_to_sequence(&self.matrix(&audio.samples)?)
    }
}

/// `samples` scaled so that their RMS is `dbfs` dB relative to full scale (a digitally
/// silent clip is returned unchanged). Errors on a non-finite or positive target.
pub fn normalize_rms(samples: &[f32], dbfs: f32) -> Result<Vec<f32>> {
    if !(dbfs.is_finite() && dbfs <= 0.0) {
        return Err(Error::InvalidConfig(format!(
            "rms_dbfs must be a finite level <= 0 dBFS, got {dbfs}"
        )));
    }
    let rms = ser_augment::mean_power(samples).sqrt();
    if rms <= 0.0 {
        return Ok(samples.to_vec());
    }
    let g = (10f64.powf(f64::from(dbfs) / 20.0) / rms) as f32;
    Ok(samples.iter().map(|&v| v * g).collect())
}

/// Indices (ascending) of the `ceil(fraction · n_frames)` Whisper encoder frames whose
/// 20 ms of input audio (320 samples at 16 kHz from `t · 320`) carry the most energy; ties
/// keep the earlier frame. Errors unless `0 < fraction <= 1`.
pub fn loudest_frames(samples: &[f32], n_frames: usize, fraction: f32) -> Result<Vec<usize>> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(Error::InvalidConfig(format!(
            "loudest_frames must be in (0, 1], got {fraction}"
        )));
    }
    const HOP: usize = 320;
    let energy: Vec<f64> = (0..n_frames)
        .map(|t| {
            let a = (t * HOP).min(samples.len());
            let b = (a + HOP).min(samples.len());
            samples[a..b]
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum()
        })
        .collect();
    // f32 fractions like 0.3 are a hair above their decimal value: ceil with a tolerance.
    let k =
        ((f64::from(fraction) * n_frames as f64 - 1e-6).ceil() as usize).clamp(1, n_frames.max(1));
    let mut order: Vec<usize> = (0..n_frames).collect();
    order.sort_by(|&i, &j| energy[j].total_cmp(&energy[i]).then(i.cmp(&j)));
    let mut keep: Vec<usize> = order.into_iter().take(k).collect();
    keep.sort_unstable();
    Ok(keep)
}

/// Converts a librosa-layout `(n_features, n_frames)` matrix to a [`Sequence`].
pub fn matrix_to_sequence(m: &Array2<f32>) -> Result<Sequence> {
    let (f, t) = m.dim();
    let data: Vec<f32> = m.t().iter().copied().collect();
    Sequence::new(data, t, f)
}

/// Converts a [`Sequence`] back to librosa layout `(n_features, n_frames)`.
pub fn sequence_to_matrix(s: &Sequence) -> Array2<f32> {
    let (t, f) = (s.n_frames(), s.n_features());
    Array2::from_shape_fn((f, t), |(j, i)| s.data()[i * f + j])
}
