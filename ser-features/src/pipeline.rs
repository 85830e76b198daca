//! Audio → model input: a [`FeaturePipeline`] is a [`FeatureSpec`] planned once
//! (STFT plans, a named set, or a loaded Whisper encoder) that turns mono samples into the
//! matrix a model consumes, `(n_features, n_frames)` in librosa layout.
//!
//! ```
//! use ser_features::pipeline::FeaturePipeline;
//! use ser_features::spec::{FeatureSpec, MfccSpec};
//! let pipe = FeaturePipeline::new(&FeatureSpec::Mfcc(MfccSpec::default()))?;
//! let y: Vec<f32> = (0..16_000).map(|i| 0.1 * (i as f32 * 0.05).sin()).collect();
//! let m = pipe.matrix(&y)?;
//! assert_eq!(m.dim(), (40, 101));
//! // Other rates are resampled first.
//! assert_eq!(pipe.matrix_at(&y, 8_000)?.dim(), (40, 201));
//! # Ok::<(), ser_features::Error>(())
//! ```
//!
//! [`FeatureSpec::Whisper`] needs the `whisper` cargo feature (it pulls `ser-whisper` and
//! Candle); without it such a spec is refused with [`Error::Unsupported`].

use std::path::Path;
#[cfg(feature = "whisper")]
use std::sync::Arc;

use ndarray::Array2;
use ser_dsp::Audio;

use crate::sets::FeatureSet;
use crate::spec::FeatureSpec;
#[cfg(feature = "whisper")]
use crate::spec::WhisperSpec;
use crate::{Error, FeatureExtractor, FeatureKind, Result};

/// A feature plan built once from a [`FeatureSpec`]; `Send + Sync`, so rayon can share it.
#[derive(Debug)]
pub struct FeaturePipeline {
    spec: FeatureSpec,
    plan: Option<FeatureExtractor>,
    set: Option<FeatureSet>,
    prosody: Option<crate::egemaps::Egemaps>,
    #[cfg(feature = "whisper")]
    whisper: Option<Arc<ser_whisper::Whisper>>,
}

/// Loads the encoder of a [`WhisperSpec`] (relative paths against `base`, then the working
/// directory) and checks the spec against it.
#[cfg(feature = "whisper")]
fn load_whisper(spec: &WhisperSpec, base: Option<&Path>) -> Result<ser_whisper::Whisper> {
    let path = spec.model_path(base);
    let w = ser_whisper::Whisper::load(&path).map_err(|source| Error::Encoder {
        path: path.clone(),
        source,
    })?;
    let cfg = w.config();
    if cfg.n_audio_state != spec.width
        || spec.first_layer >= spec.end_layer
        || spec.end_layer > cfg.n_audio_layer + 1
    {
        return Err(Error::InvalidParameter {
            name: "whisper",
            reason: format!(
                "spec (width {}, hidden states {}..{}) does not fit {} (width {}, {} hidden states)",
                spec.width,
                spec.first_layer,
                spec.end_layer,
                path.display(),
                cfg.n_audio_state,
                cfg.n_audio_layer + 1
            ),
        });
    }
    Ok(w)
}

fn precomputed() -> Error {
    Error::Unsupported("precomputed features cannot be computed from audio".into())
}

impl FeaturePipeline {
    /// Builds the plans. Errors for [`FeatureSpec::Precomputed`] (nothing to compute),
    /// unknown functional sets, a set size that disagrees with the spec, and Whisper
    /// encoders that cannot be loaded (a relative encoder path resolves against the working
    /// directory).
    pub fn new(spec: &FeatureSpec) -> Result<Self> {
        Self::new_in(spec, None)
    }

    /// [`FeaturePipeline::new`] with relative paths in the spec (the Whisper encoder)
    /// resolved against `base` first, e.g. the model directory the spec came from.
    pub fn new_in(spec: &FeatureSpec, base: Option<&Path>) -> Result<Self> {
        let mut out = Self {
            spec: spec.clone(),
            plan: None,
            set: None,
            prosody: None,
            #[cfg(feature = "whisper")]
            whisper: None,
        };
        match spec {
            FeatureSpec::LogMel(m) => out.plan = Some(FeatureExtractor::new(&m.feature_config())?),
            FeatureSpec::Mfcc(m) => {
                if m.deltas > 2 {
                    return Err(Error::InvalidParameter {
                        name: "deltas",
                        reason: format!("must be 0..=2, got {}", m.deltas),
                    });
                }
                out.plan = Some(FeatureExtractor::new(&m.feature_config())?);
                if m.prosody {
                    let cfg = crate::egemaps::EgemapsConfig::default()
                        .sr(m.sr)
                        .hop_length(m.hop_length);
                    out.prosody = Some(crate::egemaps::Egemaps::new(&cfg)?);
                }
            }
            FeatureSpec::Functionals(f) => {
                let set = FeatureSet::new(&f.set, f.sr)?;
                if f.n != set.len() {
                    return Err(Error::InvalidParameter {
                        name: "n",
                        reason: format!(
                            "set `{}` has {} values, spec says {}",
                            f.set,
                            set.len(),
                            f.n
                        ),
                    });
                }
                out.set = Some(set);
            }
            #[cfg(feature = "whisper")]
            FeatureSpec::Whisper(w) => {
                out.whisper = Some(Arc::new(load_whisper(w, base)?));
            }
            #[cfg(not(feature = "whisper"))]
            FeatureSpec::Whisper(_) => {
                let _ = base;
                return Err(Error::Unsupported(
                    "Whisper features need ser-features' `whisper` cargo feature".into(),
                ));
            }
            FeatureSpec::Precomputed { .. } => return Err(precomputed()),
        }
        Ok(out)
    }

    /// The Whisper encoder of a [`FeatureSpec::Whisper`] pipeline (shared, loaded once).
    #[cfg(feature = "whisper")]
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

    /// One name per output row ([`FeatureSpec::names`]).
    pub fn names(&self) -> Vec<String> {
        match &self.set {
            Some(set) => set.names(),
            None => self.spec.names(),
        }
    }

    /// Features of `samples` (already at [`FeaturePipeline::sample_rate`]) in librosa layout
    /// `(n_features, n_frames)` (`n_frames = 1` for functionals and Whisper embeddings).
    pub fn matrix(&self, samples: &[f32]) -> Result<Array2<f32>> {
        #[cfg(feature = "whisper")]
        if let (FeatureSpec::Whisper(w), Some(enc)) = (&self.spec, &self.whisper) {
            return whisper_matrix(w, enc, samples);
        }
        if let Some(set) = &self.set {
            let v = set.extract(samples)?;
            let n = v.len();
            return Array2::from_shape_vec((n, 1), v).map_err(shape);
        }
        let plan = self.plan.as_ref().ok_or_else(precomputed)?;
        let (mut m, norm) = match &self.spec {
            FeatureSpec::LogMel(s) => (plan.log_mel(samples)?, s.norm),
            FeatureSpec::Mfcc(m) => {
                let kinds = [
                    FeatureKind::Mfcc,
                    FeatureKind::MfccDelta,
                    FeatureKind::MfccDelta2,
                ];
                let mfcc = plan.extract(samples, &kinds[..=m.deltas])?.stacked().0;
                match &self.prosody {
                    Some(eg) => (with_prosody(mfcc, eg, samples)?, m.norm),
                    None => (mfcc, m.norm),
                }
            }
            _ => return Err(precomputed()),
        };
        norm.apply(&mut m);
        Ok(m)
    }

    /// [`FeaturePipeline::matrix`] of `samples` at `sr`, resampled to the pipeline's rate
    /// when it differs.
    pub fn matrix_at(&self, samples: &[f32], sr: u32) -> Result<Array2<f32>> {
        if sr == self.sample_rate() {
            return self.matrix(samples);
        }
        let audio = Audio::new(samples.to_vec(), sr)?.resample(self.sample_rate())?;
        self.matrix(&audio.samples)
    }

    /// [`FeaturePipeline::matrix`] of an audio file (any format `ser-dsp` decodes; mixed to
    /// mono, resampled).
    pub fn matrix_from_file(&self, path: impl AsRef<Path>) -> Result<Array2<f32>> {
        let audio = Audio::load(path, Some(self.sample_rate()))?;
        self.matrix(&audio.samples)
    }
}

/// `mfcc` `(n, T)` with the [`crate::spec::PROSODY_NAMES`] rows of `samples` appended, the
/// descriptors' frames aligned to the MFCC frames by index (same hop; frames past the end of
/// the shorter track are 0).
fn with_prosody(
    mfcc: Array2<f32>,
    eg: &crate::egemaps::Egemaps,
    samples: &[f32],
) -> Result<Array2<f32>> {
    let (_, lld) = eg.process_with_lld(samples)?;
    let n = mfcc.nrows();
    let t = mfcc.ncols();
    let rows = crate::spec::PROSODY_NAMES.len();
    let mut out = Array2::<f32>::zeros((n + rows, t));
    out.slice_mut(ndarray::s![..n, ..]).assign(&mfcc);
    let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
    for j in 0..t.min(lld.loudness.len()) {
        let voiced = lld.voiced.get(j).copied().unwrap_or(false);
        let f0 = lld.f0_semitone.get(j).copied().unwrap_or(f32::NAN);
        let vals = [
            if voiced { finite(f0) } else { 0.0 },
            if voiced { 1.0 } else { 0.0 },
            finite(lld.loudness[j]),
            lld.hnr_db.get(j).copied().map_or(0.0, finite),
            lld.jitter.get(j).copied().map_or(0.0, finite),
            lld.shimmer_db.get(j).copied().map_or(0.0, finite),
            finite(lld.formant_freq.get((0, j)).copied().unwrap_or(0.0)),
            finite(lld.formant_freq.get((1, j)).copied().unwrap_or(0.0)),
            finite(lld.formant_freq.get((2, j)).copied().unwrap_or(0.0)),
        ];
        for (r, v) in vals.into_iter().enumerate() {
            out[[n + r, j]] = v;
        }
    }
    Ok(out)
}

fn shape(e: ndarray::ShapeError) -> Error {
    Error::Unsupported(format!("feature matrix shape: {e}"))
}

#[cfg(feature = "whisper")]
fn whisper_matrix(
    w: &WhisperSpec,
    enc: &ser_whisper::Whisper,
    samples: &[f32],
) -> Result<Array2<f32>> {
    let normalised;
    let samples = match w.rms_dbfs {
        None => samples,
        Some(db) => {
            normalised = normalize_rms(samples, db)?;
            &normalised[..]
        }
    };
    let stats = match w.loudest_frames {
        None => enc.layer_stats_upto(samples, w.end_layer)?,
        Some(f) => {
            let states = enc.hidden_states_upto(samples, w.end_layer)?;
            let keep = loudest_frames(samples, states[0].nrows(), f)?;
            let loud: Vec<Array2<f32>> = states
                .iter()
                .map(|h| h.select(ndarray::Axis(0), &keep))
                .collect();
            ser_whisper::stats_rows(&loud)
        }
    };
    let sel = stats.slice(ndarray::s![w.first_layer..w.end_layer, ..]);
    let v = sel
        .mean_axis(ndarray::Axis(0))
        .ok_or_else(|| Error::InvalidParameter {
            name: "whisper",
            reason: "spec selects no hidden state".into(),
        })?;
    let n = v.len();
    v.into_shape_with_order((n, 1)).map_err(shape)
}

/// `samples` scaled so that their RMS is `dbfs` dB relative to full scale (a digitally
/// silent clip is returned unchanged). Errors on a non-finite or positive target.
///
/// ```
/// let y = ser_features::pipeline::normalize_rms(&[0.5, -0.5], -20.0)?;
/// assert!((y[0] - 0.1).abs() < 1e-6);
/// # Ok::<(), ser_features::Error>(())
/// ```
pub fn normalize_rms(samples: &[f32], dbfs: f32) -> Result<Vec<f32>> {
    if !(dbfs.is_finite() && dbfs <= 0.0) {
        return Err(Error::InvalidParameter {
            name: "rms_dbfs",
            reason: format!("must be a finite level <= 0 dBFS, got {dbfs}"),
        });
    }
    let rms = ser_dsp::mean_power(samples).sqrt();
    if rms <= 0.0 {
        return Ok(samples.to_vec());
    }
    let g = (10f64.powf(f64::from(dbfs) / 20.0) / rms) as f32;
    Ok(samples.iter().map(|&v| v * g).collect())
}

/// Indices (ascending) of the `ceil(fraction · n_frames)` Whisper encoder frames whose
/// 20 ms of input audio (320 samples at 16 kHz from `t · 320`) carry the most energy; ties
/// keep the earlier frame. Errors unless `0 < fraction <= 1`.
///
/// ```
/// let y: Vec<f32> = (0..1280).map(|i| if i >= 640 { 0.5 } else { 0.01 }).collect();
/// assert_eq!(ser_features::pipeline::loudest_frames(&y, 4, 0.5)?, vec![2, 3]);
/// # Ok::<(), ser_features::Error>(())
/// ```
pub fn loudest_frames(samples: &[f32], n_frames: usize, fraction: f32) -> Result<Vec<usize>> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(Error::InvalidParameter {
            name: "loudest_frames",
            reason: format!("must be in (0, 1], got {fraction}"),
        });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{FunctionalsSpec, LogMelSpec, MfccSpec};

    #[test]
    fn names_match_rows_and_bad_specs_are_refused() {
        let y: Vec<f32> = (0..8_000).map(|i| 0.1 * (i as f32 * 0.03).sin()).collect();
        for spec in [
            FeatureSpec::LogMel(LogMelSpec::default()),
            FeatureSpec::Mfcc(MfccSpec::default()),
            FeatureSpec::Mfcc(MfccSpec::default().prosody(true)),
            FeatureSpec::Functionals(FunctionalsSpec::mfcc_spectral()),
        ] {
            let p = FeaturePipeline::new(&spec).unwrap();
            let m = p.matrix(&y).unwrap();
            assert_eq!(m.nrows(), spec.n_features(), "{spec}");
            assert_eq!(p.names().len(), m.nrows(), "{spec}");
            assert!(m.iter().all(|v| v.is_finite()), "{spec}");
        }
        // The prosodic rows follow the MFCCs, and the MFCC rows are unchanged by them.
        let plain = FeaturePipeline::new(&FeatureSpec::Mfcc(MfccSpec::default())).unwrap();
        let pros_spec = FeatureSpec::Mfcc(MfccSpec::default().prosody(true));
        let pros = FeaturePipeline::new(&pros_spec).unwrap();
        let (a, b) = (plain.matrix(&y).unwrap(), pros.matrix(&y).unwrap());
        assert_eq!(b.slice(ndarray::s![..40, ..]), a);
        assert_eq!(pros.names()[40], "f0_semitone");
        assert!(pros_spec.to_string().contains("prosody"));
        let bad = MfccSpec {
            deltas: 3,
            ..MfccSpec::default()
        };
        assert!(FeaturePipeline::new(&FeatureSpec::Mfcc(bad)).is_err());
        let wrong = FunctionalsSpec {
            n: 87,
            ..FunctionalsSpec::default()
        };
        assert!(FeaturePipeline::new(&FeatureSpec::Functionals(wrong)).is_err());
        let pre = FeatureSpec::Precomputed { n_features: 3 };
        assert!(FeaturePipeline::new(&pre).is_err());
        assert!(normalize_rms(&y, 1.0).is_err());
        assert!(loudest_frames(&y, 10, 0.0).is_err());
    }

    #[test]
    fn utterance_norm_is_applied_by_the_pipeline_and_survives_a_gain_change() {
        use crate::spec::UtteranceNorm;
        let y: Vec<f32> = (0..16_000)
            .map(|i| 0.1 * (i as f32 * 0.03).sin() * (1.0 + (i as f32 * 0.0007).sin()))
            .collect();
        let loud: Vec<f32> = y.iter().map(|v| 4.0 * v).collect();
        for spec in [
            FeatureSpec::LogMel(LogMelSpec::default().norm(UtteranceNorm::MeanVar)),
            FeatureSpec::Mfcc(MfccSpec::default().norm(UtteranceNorm::Mean)),
        ] {
            let p = FeaturePipeline::new(&spec).unwrap();
            let (a, b) = (p.matrix(&y).unwrap(), p.matrix(&loud).unwrap());
            for row in a.rows() {
                let mean = row.iter().map(|&v| v as f64).sum::<f64>() / row.len() as f64;
                assert!(mean.abs() < 1e-4, "{spec}: row mean {mean}");
            }
            // A gain is an additive offset in the log domain: normalisation removes it
            // (up to the top_db clipping floor, which this signal never reaches).
            let d = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (x - y).abs())
                .fold(0f32, f32::max);
            assert!(
                d < 1e-3,
                "{spec}: gain changed the normalised features by {d}"
            );
            assert!(spec.to_string().contains("CM"), "{spec}");
        }
        let json = serde_json::to_string(&LogMelSpec::default()).unwrap();
        assert!(
            !json.contains("norm"),
            "default spec JSON unchanged: {json}"
        );
        let back: LogMelSpec = serde_json::from_str(&json).unwrap();
        assert_eq!(back.norm, UtteranceNorm::None);
        assert!("cmvn".parse::<UtteranceNorm>().is_ok() && "zca".parse::<UtteranceNorm>().is_err());
    }

    proptest::proptest! {
        #[test]
        fn mean_var_norm_gives_zero_mean_unit_variance(
            rows in 1usize..5,
            data in proptest::collection::vec(-1e3f32..1e3, 8..64),
        ) {
            use crate::spec::UtteranceNorm;
            let cols = data.len() / rows;
            let mut m = ndarray::Array2::from_shape_vec((rows, cols), data[..rows * cols].to_vec()).unwrap();
            let orig = m.clone();
            UtteranceNorm::MeanVar.apply(&mut m);
            for (r, o) in m.rows().into_iter().zip(orig.rows()) {
                let n = r.len() as f64;
                let mean = r.iter().map(|&v| v as f64).sum::<f64>() / n;
                let var = r.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
                let omean = o.iter().map(|&v| v as f64).sum::<f64>() / n;
                let ovar = o.iter().map(|&v| (v as f64 - omean).powi(2)).sum::<f64>() / n;
                proptest::prop_assert!(mean.abs() < 1e-4);
                if ovar > 1e-6 {
                    proptest::prop_assert!((var - 1.0).abs() < 1e-3, "var {}", var);
                } else {
                    proptest::prop_assert!(var < 1e-6);
                }
            }
        }
    }
}
