//! # ser-metrics
//!
//! Evaluation metrics for speech emotion recognition that agree with scikit-learn 1.9, plus
//! the SER conventions (UA / WA) and speaker-independent evaluation protocols.
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod error;
pub mod protocol;

pub use error::{Error, Result};
