//! # ser-models
//!
//! Candle models for speech emotion recognition, a seeded trainer, safetensors model
//! directories and a small inference API.
//!
//! * Architectures ([`models`]): [`Cnn`] on log-mel (conv + batch norm + pooling + dropout),
//!   [`Lstm`] (BiLSTM on MFCC + Δ), the hybrid [`CnnLstm`], [`AttentionNet`] (multi-head
//!   self-attention + attentive statistics pooling), a pre-LN [`Transformer`] encoder and an
//!   [`Mlp`] on utterance functionals. All take a zero-padded [`Batch`] `(B, T, F)` plus a
//!   frame mask: padding never changes the output of a sequence (tested), pooling respects
//!   the mask, nothing is truncated.
//! * Every model has one constructor form, `new(&Config, VarBuilder) -> Result<Self>`, and
//!   checkpoint keys mirror the module tree (`blocks.0.conv.weight`, `lstm.weight_hh_l0`, …).
//! * [`train()`]: AdamW, warm-up + cosine schedule, class-weighted cross entropy with label
//!   smoothing, mixup, gradient clipping, early stopping on validation UA, seeded
//!   initialisation / shuffling / dropout, on-the-fly augmentation hook, per-epoch log
//!   ([`write_history_csv`], [`plot_history`]).
//! * [`save_model_dir`] / [`load_model_dir`]: `model.safetensors` + `config.json`
//!   ([`ModelCard`]: architecture, [`FeatureSpec`], label names, training summary, scores);
//!   loading checks every name and shape and returns typed errors.
//! * [`Recognizer`]: load a directory and predict label + probabilities of a file, samples
//!   or precomputed features, one at a time or batched.
//! * [`FeaturePipeline`]: audio → model input as described by a [`FeatureSpec`] (log-mel,
//!   MFCC + Δ, eGeMAPS / ComParE-like functionals from `ser-features`).
//! * [`load_corpus_features`]: a `ser-data` corpus → sequences, labels, speaker groups, with
//!   features cached by `ser-data`'s `FeatureCache`; [`cross_validate`] runs speaker folds
//!   from `ser_metrics::protocol` with inner validation speakers, and [`pooled_scores`]
//!   scores pooled out-of-fold predictions (accuracy, UA, macro P/R/F1, bootstrap CIs) with
//!   `ser-metrics`. [`Recipe`] holds the per-architecture defaults behind Table II.
//!
//! Layering: `ser-dsp` / `ser-features` / `ser-augment` / `ser-data` / `ser-metrics` →
//! `ser-models`. The binaries `train`, `evaluate` and `recognize` in `ser-examples` drive it;
//! the shipped default model lives in `models/default`.
//!
//! ## Example: a tiny model, trained, saved, loaded and used
//!
//! ```
//! use ser_models::{
//!     train, Arch, FeatureSpec, Labeled, ModelCard, Recognizer, Sequence, TrainConfig,
//! };
//! # fn main() -> ser_models::Result<()> {
//! // Two classes of 4-dimensional feature sequences of varying length.
//! let mut x = Vec::new();
//! let mut y = Vec::new();
//! for i in 0..16 {
//!     let c = i % 2;
//!     let t = 3 + i % 4;
//!     let v = if c == 0 { -1.0 } else { 1.0 };
//!     x.push(Sequence::new(vec![v + 0.01 * i as f32; t * 4], t, 4)?);
//!     y.push(c);
//! }
//! let cfg = Arch::Transformer.default_config(4, 2);
//! let tcfg = TrainConfig::default().epochs(5).batch_size(8).warmup_epochs(1);
//! let trained = train(&cfg, &tcfg, Labeled::new(&x, &y)?, None, None, |_| {})?;
//!
//! let dir = tempfile::tempdir().map_err(|e| ser_models::Error::InvalidArgument(e.to_string()))?;
//! let card = ModelCard::new(cfg, FeatureSpec::Precomputed { n_features: 4 }, vec!["low".into(), "high".into()]);
//! ser_models::save_model_dir(dir.path(), &card, &trained.params)?;
//!
//! let rec = Recognizer::load(dir.path())?;
//! let p = rec.predict_sequence(&x[1])?;
//! assert_eq!(p.probabilities.len(), 2);
//! println!("{} ({:.2})", p.label, p.probabilities[p.index].1);
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod batch;
pub mod cv;
pub mod dataset;
pub mod engine;
pub mod error;
pub mod explain;
pub mod features;
pub mod infer;
pub mod io;
pub mod layers;
pub mod models;
pub mod ops;
pub mod params;
pub mod pipeline;
pub mod plot;
pub mod quant;
pub mod recipe;
pub mod streaming;
pub mod train;

#[cfg(test)]
mod tests;

pub use batch::{Batch, Sequence};
pub use cv::{
    cross_validate, cross_validate_with_copies, pooled_scores, with_copies, CvConfig, CvResult,
    FoldReport, MetricCi, PooledScores,
};
pub use dataset::{
    load_corpus_features, load_corpus_features_from, load_corpus_features_with,
    speaker_standardize, CorpusData,
};
pub use error::{describe_no_speech, Error, Result};
pub use features::{
    FeatureSpec, FunctionalsSpec, LogMelSpec, MfccSpec, UtteranceNorm, WhisperSpec,
};
pub use infer::{Prediction, Recognizer};
pub use io::{
    load_card, load_model_dir, model_from_weights, save_model_dir, shipped_model_dir, LoadedModel,
    ModelCard,
};
pub use models::{
    Arch, AttentionConfig, AttentionNet, Cnn, CnnConfig, CnnLstm, CnnLstmConfig, Lstm, LstmConfig,
    Mlp, MlpConfig, Model, ModelConfig, Transformer, TransformerConfig,
};
pub use params::ParamStore;
pub use pipeline::{
    loudest_frames, matrix_to_sequence, normalize_rms, sequence_to_matrix, FeaturePipeline,
    ModelInput, COMPARE_LARGE_SET, COMPARE_SET, EGEMAPS_COMPARE_LARGE_SET, EGEMAPS_COMPARE_SET,
    EGEMAPS_SET, MFCC_SPECTRAL_SET,
};
pub use plot::plot_history;
pub use rand_chacha::ChaCha8Rng;
pub use recipe::{Recipe, SpecAugmentSpec, RECIPE_KEYS, RECIPE_NAMES};
pub use streaming::{StreamConfig, StreamingRecognizer, VadConfig, WindowEstimate};
pub use train::{
    fit_standardizer, init_model, predict, predict_proba, set_standardizer, train,
    write_history_csv, Augment, EpochLog, Labeled, TrainConfig, Trained,
};

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
