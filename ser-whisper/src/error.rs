//! The crate's error type.

use std::path::PathBuf;

/// Errors of `ser-whisper`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A checkpoint file is truncated, has an unknown format version, an unknown data type or
    /// inconsistent sizes.
    #[error("{path}: corrupt checkpoint: {reason}")]
    CorruptCheckpoint {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A checkpoint lacks a tensor the model needs.
    #[error("checkpoint has no tensor `{name}`")]
    MissingTensor {
        /// Tensor name.
        name: String,
    },
    /// A tensor has another shape than the configuration implies.
    #[error("tensor `{name}`: expected shape {expected:?}, got {got:?}")]
    TensorShape {
        /// Tensor name.
        name: String,
        /// Shape the configuration implies.
        expected: Vec<usize>,
        /// Shape in the checkpoint.
        got: Vec<usize>,
    },
    /// A model directory or configuration is invalid (missing files, unknown spec, bad sizes).
    #[error("invalid Whisper model: {0}")]
    BadModel(String),
    /// Audio or features the model cannot take (empty, non-finite, wrong rate or shape).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An argument outside its documented range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A `tokenizer.json` that is not a byte-level BPE vocabulary, or text it cannot encode.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A language code the model has no token for.
    #[error("unknown language `{0}` (not in the model's vocabulary)")]
    UnknownLanguage(String),
    /// Decoding was asked of a checkpoint that holds only the encoder.
    #[error("{path}: the checkpoint has no decoder (encoder-only weights cannot transcribe; use a full CTranslate2 model.bin, e.g. scripts/fetch_whisper.sh base)")]
    NoDecoder {
        /// Where the weights came from.
        path: PathBuf,
    },
    /// A JSON file could not be parsed or written.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Error from `ser-dsp` (audio loading, resampling, STFT).
    #[error(transparent)]
    Dsp(#[from] ser_dsp::Error),
    /// Error from Candle.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
