//! Inference: load a model directory and classify feature sequences.

use std::path::Path;

use serde::Serialize;

use crate::batch::Sequence;
use crate::features::FeatureSpec;
use crate::io::{load_model_dir, LoadedModel, ModelCard};
use crate::pipeline::{FeaturePipeline, ModelInput};
use crate::train::{fit_standardizer, predict_proba, set_standardizer};
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
///
/// Audio input (files and samples) first passes a speech / non-speech decision
/// ([`ser_features::SpeechDetector`], on by default): silence, noise, tones and other
/// non-speech get [`Error::NoSpeech`] instead of an emotion. Precomputed features
/// ([`Recognizer::predict_sequence`]) are not gated.
#[derive(Debug)]
pub struct Recognizer {
    inner: LoadedModel,
    pipeline: Option<FeaturePipeline>,
    speech: Option<ser_features::SpeechDetector>,
}

impl Recognizer {
    /// Loads and validates a model directory (see [`crate::io`]).
    ///
    /// ```
    /// use ser_models::Recognizer;
    /// let rec = Recognizer::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/linear"))?;
    /// assert_eq!(rec.card().labels.len(), 8);
    /// assert!(rec.feature_pipeline().is_some()); // computes its features from audio
    /// assert!(Recognizer::load("no/such/model").is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        Self::from_loaded(load_model_dir(dir)?)
    }

    /// Wraps an already loaded model, building its feature pipeline (none for
    /// [`FeatureSpec::Precomputed`]).
    ///
    /// ```
    /// use ser_models::{load_model_dir, Recognizer, Sequence};
    /// let loaded = load_model_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/linear"))?;
    /// let n = loaded.card.model.n_features();
    /// let rec = Recognizer::from_loaded(loaded)?;
    /// let p = rec.predict_sequence(&Sequence::new(vec![0.0; n], 1, n)?)?;
    /// assert_eq!(p.probabilities.len(), 8);
    /// assert_eq!(p.label, p.probabilities[p.index].0);
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn from_loaded(inner: LoadedModel) -> Result<Self> {
        let pipeline = match inner.card.features {
            FeatureSpec::Precomputed { .. } => None,
            ref spec => Some(FeaturePipeline::new_in(spec, Some(&inner.dir))?),
        };
        let speech = Some(ser_features::SpeechDetector::new(
            &ser_features::SpeechConfig::default(),
        )?);
        Ok(Self {
            inner,
            pipeline,
            speech,
        })
    }

    /// Sets the speech gate: `Some(config)` to decide speech / non-speech with that
    /// configuration before classifying audio, `None` to classify any audio (chaining).
    pub fn speech_gate(mut self, cfg: Option<&ser_features::SpeechConfig>) -> Result<Self> {
        self.speech = cfg.map(ser_features::SpeechDetector::new).transpose()?;
        Ok(self)
    }

    /// The speech / non-speech decision for mono `samples` at `sr` (`None` when the gate is
    /// off).
    pub fn detect_speech(
        &self,
        samples: &[f32],
        sr: u32,
    ) -> Result<Option<ser_features::SpeechDecision>> {
        self.speech
            .as_ref()
            .map(|d| d.detect(samples, sr))
            .transpose()
            .map_err(Error::from)
    }

    /// `Err(Error::NoSpeech)` unless the gate is off or the samples hold speech.
    fn require_speech(&self, samples: &[f32], sr: u32) -> Result<()> {
        match self.detect_speech(samples, sr)? {
            Some(d) if !d.is_speech => Err(Error::NoSpeech(Box::new(d))),
            _ => Ok(()),
        }
    }

    /// Features of an audio file after the speech gate.
    fn gated_sequence_from_file(&self, path: &Path) -> Result<Sequence> {
        let p = self.pipeline()?;
        let audio = ser_dsp::Audio::load(path, Some(p.sample_rate())).map_err(|source| {
            Error::AudioFile {
                path: path.to_path_buf(),
                source,
            }
        })?;
        self.require_speech(&audio.samples, audio.sample_rate)?;
        p.sequence(&audio.samples, audio.sample_rate)
    }

    fn pipeline(&self) -> Result<&FeaturePipeline> {
        self.pipeline.as_ref().ok_or_else(|| {
            Error::InvalidArgument(
                "this model takes precomputed features; use predict_sequence".into(),
            )
        })
    }

    /// Classifies an audio file (decoded, mixed to mono and resampled by `ser-dsp`);
    /// [`Error::NoSpeech`] when the speech gate finds no speech.
    pub fn predict_file(&self, path: impl AsRef<Path>) -> Result<Prediction> {
        let seq = self.gated_sequence_from_file(path.as_ref())?;
        self.predict_sequence(&seq)
    }

    /// Classifies mono `samples` at sample rate `sr` (resampled when needed);
    /// [`Error::NoSpeech`] when the speech gate finds no speech.
    pub fn predict_samples(&self, samples: &[f32], sr: u32) -> Result<Prediction> {
        self.require_speech(samples, sr)?;
        let seq = self.pipeline()?.sequence(samples, sr)?;
        self.predict_sequence(&seq)
    }

    /// Classifies many files; features are computed in turn, the model runs in batches.
    /// The first file without speech ends the call with [`Error::NoSpeech`].
    pub fn predict_files<P: AsRef<Path>>(&self, paths: &[P]) -> Result<Vec<Prediction>> {
        let seqs = paths
            .iter()
            .map(|f| self.gated_sequence_from_file(f.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        self.predict_sequences(&seqs)
    }

    /// Unsupervised adaptation to a speaker or domain: re-fits the model's input
    /// standardisation (`input_norm.mean` / `inv_std`) on the features of unlabelled
    /// `sequences` from the target (several clips of one speaker, one microphone or one
    /// corpus), replacing the training data's statistics. Labels are never used; a model
    /// trained on standardised features then sees target features on the scale it was
    /// trained on. Needs at least 2 sequences; more (≥ 20) give steadier statistics.
    pub fn adapt_sequences(&mut self, sequences: &[Sequence]) -> Result<()> {
        if sequences.len() < 2 {
            return Err(Error::TooFew {
                what: "adaptation (clips)",
                need: 2,
                got: sequences.len(),
            });
        }
        let (mean, inv_std) = fit_standardizer(sequences)?;
        set_standardizer(&self.inner.params, &mean, &inv_std)
    }

    /// [`Recognizer::adapt_sequences`] on the features of audio files (unlabelled clips of
    /// the target speaker or domain). Returns the number of clips used.
    pub fn adapt_files<P: AsRef<Path>>(&mut self, paths: &[P]) -> Result<usize> {
        let p = self.pipeline()?;
        let seqs = paths
            .iter()
            .map(|f| p.sequence_from_file(f.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        self.adapt_sequences(&seqs)?;
        Ok(seqs.len())
    }

    /// The feature pipeline audio goes through (encoder paths resolved against the model
    /// directory); `None` for a model on [`FeatureSpec::Precomputed`] features.
    pub fn feature_pipeline(&self) -> Option<&FeaturePipeline> {
        self.pipeline.as_ref()
    }

    /// The model card (`config.json`).
    pub fn card(&self) -> &ModelCard {
        &self.inner.card
    }

    /// The loaded model.
    ///
    /// ```
    /// use ser_models::{Arch, Recognizer};
    /// let rec = Recognizer::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/linear"))?;
    /// let m = rec.loaded();
    /// assert_eq!(m.card.model.arch(), Arch::Mlp);
    /// assert!(m.dir.ends_with("linear"));
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn loaded(&self) -> &LoadedModel {
        &self.inner
    }

    fn to_prediction(&self, p: Vec<f32>) -> Prediction {
        let labels = &self.inner.card.labels;
        let index = ser_metrics::argmax(&p);
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
