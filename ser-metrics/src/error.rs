//! The crate's error type.

use thiserror::Error;

/// Errors returned by `ser-metrics`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Two inputs that must have the same length do not.
    #[error("length mismatch for {what}: expected {expected}, got {got}")]
    LengthMismatch {
        /// Which input had the wrong length.
        what: &'static str,
        /// The expected length.
        expected: usize,
        /// The length that was given.
        got: usize,
    },
    /// An input that must be non-empty is empty.
    #[error("empty input: {what}")]
    Empty {
        /// Which input was empty.
        what: &'static str,
    },
    /// A class index is not below the number of classes.
    #[error("unknown label {label}: only {n_classes} classes")]
    UnknownLabel {
        /// The offending class index.
        label: usize,
        /// The number of classes.
        n_classes: usize,
    },
    /// A string label is not in the given list of class names.
    #[error("unknown label name {label:?}")]
    UnknownLabelName {
        /// The offending label.
        label: String,
    },
    /// More splits were requested than there are groups (or class members).
    #[error("cannot have n_splits={n_splits} greater than the number of groups: {n_groups}")]
    TooManySplits {
        /// Requested number of splits.
        n_splits: usize,
        /// Number of distinct groups available.
        n_groups: usize,
    },
    /// A parameter is outside its accepted domain.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// A value that must be finite is NaN or infinite.
    #[error("non-finite value in {what} at index {index}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Position of the first non-finite value.
        index: usize,
    },
    /// Rendering a plot failed.
    #[error("plot error: {0}")]
    Plot(String),
    /// Writing a file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
