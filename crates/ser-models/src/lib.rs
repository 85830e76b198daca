//! # ser-models
//!
//! Neural models for speech emotion recognition, built on Candle (filled by the
//! `ser-models` issue): CNN on log-mel spectrograms, BiLSTM on MFCC frames, the
//! hybrid CNN-LSTM, attentive-statistics pooling and multi-head self-attention,
//! a Transformer encoder with padding masks, and an MLP on utterance functionals;
//! a seeded trainer (AdamW, warm-up + cosine, class weights, early stopping on
//! validation UA), safetensors model directories and a small inference API.
//!
//! Layering: depends on `ser-features`, `ser-data` and `ser-metrics`; nothing
//! in `ser-dsp` / `ser-metrics` depends on it. Today it holds only its error type.
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

use thiserror::Error;

/// Errors returned by `ser-models`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument or input was outside the accepted domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
