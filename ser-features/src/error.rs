//! The crate error type.

use thiserror::Error;

/// Errors returned by `ser-features`.
///
/// Bad input (empty or non-finite audio, inconsistent parameters, mismatched shapes) is
/// reported with one of these variants; no public function panics on user data.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An error from the underlying DSP layer (`ser-dsp`).
    #[error("dsp error: {0}")]
    Dsp(#[from] ser_dsp::Error),

    /// A configuration parameter is outside its accepted domain.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// librosa-style parameter name, e.g. `"n_mfcc"`.
        name: &'static str,
        /// Why the value was rejected.
        reason: String,
    },

    /// The input signal or feature matrix is empty.
    #[error("empty input: {what}")]
    EmptyInput {
        /// What was empty, e.g. `"audio"`.
        what: &'static str,
    },

    /// The input is too short for the requested operation.
    #[error("input too short for {what}: need at least {expected}, got {got}")]
    TooShort {
        /// The operation that needs more data, e.g. `"delta (mode='interp')"`.
        what: &'static str,
        /// Minimum length required.
        expected: usize,
        /// Length supplied.
        got: usize,
    },

    /// The input contains a NaN or infinite value.
    #[error("non-finite value in {what} at index {index}")]
    NonFinite {
        /// Which input, e.g. `"audio"`.
        what: &'static str,
        /// Index of the first non-finite value.
        index: usize,
    },

    /// Two inputs (or an input and an output buffer) have incompatible shapes.
    #[error("shape mismatch for {what}: expected {expected:?}, got {got:?}")]
    ShapeMismatch {
        /// Which argument, e.g. `"out"`.
        what: &'static str,
        /// Expected shape.
        expected: Vec<usize>,
        /// Shape supplied.
        got: Vec<usize>,
    },

    /// The sample rate of the input does not match the plan.
    #[error("sample rate mismatch: expected {expected} Hz, got {got} Hz")]
    SampleRate {
        /// Rate the plan was built for.
        expected: u32,
        /// Rate of the input.
        got: u32,
    },

    /// The requested operation is not supported with this configuration.
    #[error("unsupported: {0}")]
    Unsupported(String),

    /// An error from the Whisper encoder (`ser-whisper`).
    #[cfg(feature = "whisper")]
    #[error("whisper: {0}")]
    Whisper(#[from] ser_whisper::Error),

    /// A Whisper encoder directory named by a feature spec could not be loaded.
    #[cfg(feature = "whisper")]
    #[error("Whisper encoder {path}: {source}")]
    Encoder {
        /// The resolved directory.
        path: std::path::PathBuf,
        /// Why.
        source: ser_whisper::Error,
    },

    /// Writing or reading a file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Returns `Err(EmptyInput)` / `Err(NonFinite)` for empty or non-finite audio.
pub(crate) fn check_audio(y: &[f32]) -> Result<()> {
    if y.is_empty() {
        return Err(Error::EmptyInput { what: "audio" });
    }
    if let Some(index) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "audio",
            index,
        });
    }
    Ok(())
}
