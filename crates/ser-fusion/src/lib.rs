//! # ser-fusion
//!
//! Acoustic + linguistic fusion (filled by the fusion issue): early fusion
//! (normalised concatenation), late fusion (validation-weighted averaging of
//! per-modality posteriors), attention / gated fusion as Candle modules, a
//! missing-modality path (acoustic only), and modality-contribution scores.
//!
//! Layering: depends on `ser-models` and `ser-features`. Today it holds only
//! its error type.
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

use thiserror::Error;

/// Errors returned by `ser-fusion`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument or input was outside the accepted domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
