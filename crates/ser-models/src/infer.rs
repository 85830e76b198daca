//! Inference: load a model directory and classify feature sequences.

use std::path::Path;

use serde::Serialize;

use crate::batch::Sequence;
use crate::features::FeatureSpec;
use crate::io::{load_model_dir, LoadedModel, ModelCard};
use crate::pipeline::FeaturePipeline;
use crate::train::predict_proba;
use crate::{Error, Result};

/// A classification: the winning label and every class probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// Winning class name.
    pub label: String,
    /// Winning class index.
    pub index: usize,
    /// `(label, probability)` for every class, in model order.
    pub probabilities: Vec<(String, f32)>,
}

/// A loaded model ready for prediction.
#[derive(Debug)]
pub struct Recognizer {
    inner: LoadedModel,
    pipeline: Option<FeaturePipeline>,
}

impl Recognizer {
    /// Loads and validates a model directory (see [`crate::io`]).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        Self::from_loaded(load_model_dir(dir)?)
    }

    /// Wraps an already loaded model, building its feature pipeline (none for
    /// [`FeatureSpec::Precomputed`]).
    pub fn from_loaded(inner: LoadedModel) -> Result<Self> {
        let pipeline = match inner.card.features {
            FeatureSpec::Precomputed { .. } => None,
            ref spec => Some(FeaturePipeline::new(spec)?),
        };
        Ok(Self { inner, pipeline })
    }

    fn pipeline(&self) -> Result<&FeaturePipeline> {
        self.pipeline.as_ref().ok_or_else(|| {
            Error::InvalidArgument(
                "this model takes precomputed features; use predict_sequence".into(),
            )
        })
    }

    /// Classifies an audio file (decoded, mixed to mono and resampled by `ser-dsp`).
    pub fn predict_file(&self, path: impl AsRef<Path>) -> Result<Prediction> {
        let seq = self.pipeline()?.sequence_from_file(path)?;
        self.predict_sequence(&seq)
    }

    /// Classifies mono `samples` at sample rate `sr` (resampled when needed).
    pub fn predict_samples(&self, samples: &[f32], sr: u32) -> Result<Prediction> {
        let seq = self.pipeline()?.sequence(samples, sr)?;
        self.predict_sequence(&seq)
    }

    /// Classifies many files; features are computed in turn, the model runs in batches.
    pub fn predict_files<P: AsRef<Path>>(&self, paths: &[P]) -> Result<Vec<Prediction>> {
        let p = self.pipeline()?;
        let seqs = paths
            .iter()
            .map(|f| p.sequence_from_file(f))
            .collect::<Result<Vec<_>>>()?;
        self.predict_sequences(&seqs)
    }

    /// The model card (`config.json`).
    pub fn card(&self) -> &ModelCard {
        &self.inner.card
    }

    /// The loaded model.
    pub fn loaded(&self) -> &LoadedModel {
        &self.inner
    }

    fn to_prediction(&self, p: Vec<f32>) -> Prediction {
        let labels = &self.inner.card.labels;
        let mut index = 0;
        for (i, &v) in p.iter().enumerate() {
            if v > p[index] {
                index = i;
            }
        }
        Prediction {
            label: labels[index].clone(),
            index,
            probabilities: labels.iter().cloned().zip(p).collect(),
        }
    }

    /// Classifies one feature sequence.
    pub fn predict_sequence(&self, seq: &Sequence) -> Result<Prediction> {
        let mut v = self.predict_sequences(std::slice::from_ref(seq))?;
        Ok(v.remove(0))
    }

    /// Classifies many sequences (padded batches of 32).
    ///
    /// Returns [`Error::NonFinite`] when the model produces NaN or infinite
    /// probabilities (e.g. a checkpoint with finite but huge weights that overflow),
    /// rather than a label picked from meaningless numbers.
    pub fn predict_sequences(&self, seqs: &[Sequence]) -> Result<Vec<Prediction>> {
        let probs = predict_proba(&self.inner.model, seqs, 32)?;
        if let Some(i) = probs.iter().position(|p| p.iter().any(|v| !v.is_finite())) {
            return Err(Error::NonFinite(format!(
                "class probabilities of input {i} (the model weights overflow on this input)"
            )));
        }
        Ok(probs.into_iter().map(|p| self.to_prediction(p)).collect())
    }
}
