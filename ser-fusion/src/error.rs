//! The crate error type.

use thiserror::Error;

/// Errors returned by `ser-fusion`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument or input was outside the accepted domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// Two inputs have incompatible sizes.
    #[error("shape mismatch for {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Which input, e.g. `"text rows"`.
        what: String,
        /// Expected size.
        expected: usize,
        /// Size supplied.
        got: usize,
    },

    /// A NaN or infinite value in an input or in the training loss.
    #[error("non-finite value in {0}")]
    NonFinite(String),

    /// An error from Candle.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),

    /// An error from `ser-models` (trainer settings, parameter store).
    #[error("models: {0}")]
    Models(#[from] ser_models::Error),

    /// An error from `ser-metrics` (protocols, scores).
    #[error("metrics: {0}")]
    Metrics(#[from] ser_metrics::Error),

    /// An error from `ser-whisper` (speech recognition of the text branch).
    #[error("whisper: {0}")]
    Whisper(#[from] ser_whisper::Error),

    /// An error from `ser-features` (text features, sentence encoder).
    #[error("features: {0}")]
    Features(#[from] ser_features::Error),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
