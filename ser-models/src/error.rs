//! The crate's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Errors returned by `ser-models`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument or input was outside the accepted domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A class index or label is not below the number of classes.
    #[error("class {class} out of range for {n_classes} classes")]
    ClassOutOfRange {
        /// The offending class index or label.
        class: usize,
        /// Number of classes of the model or task.
        n_classes: usize,
    },
    /// An input that must not be empty was (a batch, a training set).
    #[error("empty {0}")]
    Empty(&'static str),
    /// Fewer items than an operation needs.
    #[error("{what} needs at least {need}, got {got}")]
    TooFew {
        /// The operation and what it counts, e.g. `"adaptation (clips)"`.
        what: &'static str,
        /// Minimum count.
        need: usize,
        /// Count given.
        got: usize,
    },
    /// A name (architecture, quantisation scheme) that is not known.
    #[error("unknown {what} `{name}` (expected {expected})")]
    UnknownName {
        /// Which kind of name.
        what: &'static str,
        /// The name given.
        name: String,
        /// The accepted names.
        expected: &'static str,
    },
    /// A configuration value is not usable (zero sizes, bad probabilities, ...).
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// An input tensor or feature matrix had the wrong shape.
    #[error("shape mismatch for {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// What was being checked.
        what: String,
        /// The expected shape, human readable.
        expected: String,
        /// The shape that was given.
        got: String,
    },
    /// Input data contained NaN or infinite values.
    #[error("non-finite value in {0}")]
    NonFinite(String),
    /// A checkpoint lacks a tensor the architecture needs.
    #[error("checkpoint is missing tensor `{name}`")]
    MissingTensor {
        /// Checkpoint key (module path, e.g. `head.weight`).
        name: String,
    },
    /// A checkpoint holds a tensor the architecture does not use.
    #[error("checkpoint has unexpected tensor `{name}`")]
    UnexpectedTensor {
        /// Checkpoint key.
        name: String,
    },
    /// A checkpoint tensor has a different shape than the architecture expects.
    #[error("tensor `{name}` has shape {got:?}, expected {expected:?}")]
    TensorShape {
        /// Checkpoint key.
        name: String,
        /// Shape the architecture expects.
        expected: Vec<usize>,
        /// Shape found in the checkpoint.
        got: Vec<usize>,
    },
    /// The safetensors file could not be parsed.
    #[error("corrupt safetensors file {path}: {reason}")]
    CorruptCheckpoint {
        /// The file.
        path: PathBuf,
        /// Parser message.
        reason: String,
    },
    /// `config.json` could not be parsed or is inconsistent.
    #[error("bad model config {path}: {reason}")]
    BadConfig {
        /// The file.
        path: PathBuf,
        /// Parser or validation message.
        reason: String,
    },
    /// File-system error with the path involved.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// JSON (de)serialisation error outside a model directory.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    /// Error from the Candle tensor library.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    /// Plotting (training curve) failed.
    #[error("plot: {0}")]
    Plot(String),
    /// Feature computation failed (message with context, e.g. from an audio transform).
    #[error("features: {0}")]
    Features(String),

    /// An audio file could not be read.
    #[error("{path}: {source}")]
    AudioFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: ser_dsp::Error,
    },

    /// An error from `ser-dsp` (decoding, resampling).
    #[error("audio: {0}")]
    Dsp(#[from] ser_dsp::Error),

    /// An error from `ser-features` (feature extraction, speech detection).
    #[error("features: {0}")]
    FeatureExtraction(#[from] ser_features::Error),

    /// An error from `ser-data` (corpora, label mappings, feature cache).
    #[error("data: {0}")]
    Data(#[from] ser_data::Error),

    /// An error from `ser-metrics` (scores, protocols).
    #[error("metrics: {0}")]
    Metrics(#[from] ser_metrics::Error),

    /// An array had an unexpected shape.
    #[error("array shape: {0}")]
    Array(#[from] ndarray::ShapeError),
    /// The audio holds no speech (silence, noise, a tone, …), so no emotion is given; the
    /// decision carries the measured evidence.
    #[error("no speech: {}", describe_no_speech(.0))]
    NoSpeech(Box<ser_features::SpeechDecision>),
}

/// Why a clip was judged non-speech, e.g. `silence (2.00 s, level -200 dBFS, voiced 0 %)`:
/// the text of [`Error::NoSpeech`] after its `no speech: ` prefix.
pub fn describe_no_speech(d: &ser_features::SpeechDecision) -> String {
    let why = match d.reason {
        Some(r) => serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_else(|| format!("{r:?}")),
        None => "not speech".into(),
    };
    format!(
        "{why} ({:.2} s, level {:.0} dBFS, voiced {:.0} %)",
        d.duration,
        d.level_db,
        100.0 * d.voiced_ratio
    )
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
