//! Inference: load a model directory and classify feature sequences.

use std::path::Path;

use serde::Serialize;

use crate::batch::Sequence;
use crate::io::{load_model_dir, LoadedModel, ModelCard};
use crate::train::predict_proba;
use crate::Result;

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
}

impl Recognizer {
    /// Loads and validates a model directory (see [`crate::io`]).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        Ok(Self {
            inner: load_model_dir(dir)?,
        })
    }

    /// Wraps an already loaded model.
    pub fn from_loaded(inner: LoadedModel) -> Self {
        Self { inner }
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
    pub fn predict_sequences(&self, seqs: &[Sequence]) -> Result<Vec<Prediction>> {
        Ok(predict_proba(&self.inner.model, seqs, 32)?
            .into_iter()
            .map(|p| self.to_prediction(p))
            .collect())
    }
}
