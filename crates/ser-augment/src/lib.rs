//! # ser-augment
//!
//! Seeded, composable audio and feature augmentation. (Being built.)
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

use thiserror::Error;

/// Errors returned by `ser-augment`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument or input was outside the accepted domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
