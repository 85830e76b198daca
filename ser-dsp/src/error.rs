//! The crate-wide error type.

use std::path::PathBuf;

/// Errors returned by `ser-dsp`.
///
/// Every fallible function of the crate returns this type; bad input (missing file, non-audio
/// bytes, truncated headers, empty or non-finite audio, invalid parameters, mismatched shapes)
/// is reported here and never causes a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be opened, read or created.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a recognised (or supported) audio container / codec.
    #[error("unsupported or unrecognised audio format: {detail}")]
    UnsupportedFormat {
        /// What was found.
        detail: String,
    },
    /// The container was recognised but its content is malformed.
    #[error("malformed audio data: {detail}")]
    Decode {
        /// Decoder message.
        detail: String,
    },
    /// The data ended before the header or the announced sample data did.
    #[error("truncated audio data: {detail}")]
    Truncated {
        /// Decoder message.
        detail: String,
    },
    /// The stream announces zero channels.
    #[error("audio stream has zero channels")]
    NoChannels,
    /// The audio (or a signal passed to a DSP routine) has no samples.
    #[error("audio contains no samples")]
    EmptyAudio,
    /// A sample is NaN or infinite. Non-finite samples are rejected, not repaired.
    #[error("non-finite sample {value} at index {index}")]
    NonFiniteSample {
        /// Index of the first offending sample (after down-mixing for decoded audio).
        index: usize,
        /// The offending value.
        value: f32,
    },
    /// A sample rate of 0 or above [`crate::MAX_SAMPLE_RATE`].
    #[error("invalid sample rate: expected 1..={max} Hz, got {got} Hz")]
    InvalidSampleRate {
        /// Largest accepted rate.
        max: u32,
        /// The rejected rate.
        got: u64,
    },
    /// A parameter is outside its domain (e.g. `n_fft = 0`, `fmax > sr/2`).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// librosa-style parameter name.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// An array or buffer has the wrong shape or length.
    #[error("shape mismatch for {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Which argument.
        what: &'static str,
        /// Expected shape.
        expected: String,
        /// Actual shape.
        got: String,
    },
    /// A signal is shorter than an operation needs (e.g. `center = false` and fewer than
    /// `n_fft` samples).
    #[error("signal too short for {what}: expected at least {expected} samples, got {got}")]
    TooShort {
        /// Which operation.
        what: &'static str,
        /// Minimum length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// The resampler reported an error.
    #[error("resampling failed: {detail}")]
    Resample {
        /// Resampler message.
        detail: String,
    },
    /// Writing a WAV file failed.
    #[error("failed to write WAV: {detail}")]
    WavWrite {
        /// Encoder message.
        detail: String,
    },
    /// The format is recognised but its decoder is compiled out.
    #[error("decoding {format} requires the `symphonia` cargo feature")]
    FeatureDisabled {
        /// Container name.
        format: &'static str,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

/// Returns an error for the first non-finite value in `x`.
pub(crate) fn check_finite(x: &[f32]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFiniteSample {
            index,
            value: x[index],
        }),
        None => Ok(()),
    }
}
