//! The crate's error type.

use thiserror::Error;

/// Errors returned by `ser-augment`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The input signal or feature matrix was empty.
    #[error("empty input: {what}")]
    EmptyInput {
        /// What was empty (e.g. "samples").
        what: &'static str,
    },
    /// The input contained NaN or an infinity.
    #[error("non-finite value in {what} at index {index}")]
    NonFinite {
        /// What contained the value (e.g. "samples").
        what: &'static str,
        /// Flat index of the first offending value.
        index: usize,
    },
    /// A transform produced NaN or an infinity (e.g. a huge gain on a huge signal).
    #[error("transform `{transform}` produced a non-finite value (input too large for it?)")]
    NonFiniteOutput {
        /// Name of the transform.
        transform: &'static str,
    },
    /// A sample rate of zero (or otherwise unusable) was given.
    #[error("invalid sample rate {sr}: {reason}")]
    InvalidSampleRate {
        /// The offending sample rate.
        sr: u32,
        /// Why it cannot be used.
        reason: &'static str,
    },
    /// A parameter of a transform is outside its domain.
    #[error("invalid parameter `{name}` = {value}: expected {expected}")]
    InvalidParameter {
        /// Parameter name (as in the pipeline grammar, e.g. "snr").
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// The accepted domain, e.g. "0 <= p <= 1".
        expected: &'static str,
    },
    /// Two inputs that must agree in shape do not.
    #[error("shape mismatch: expected {expected:?}, got {got:?}")]
    ShapeMismatch {
        /// The expected shape.
        expected: Vec<usize>,
        /// The shape that was given.
        got: Vec<usize>,
    },
    /// A pipeline specification string could not be parsed.
    #[error("pipeline spec: bad token `{token}`: {reason}")]
    Parse {
        /// The offending token, verbatim.
        token: String,
        /// What was wrong with it.
        reason: String,
    },
    /// An error from `ser-dsp` (audio loading, STFT, resampling).
    #[error(transparent)]
    Dsp(#[from] ser_dsp::Error),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
