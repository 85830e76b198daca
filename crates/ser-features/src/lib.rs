//! # ser-features
//!
//! Acoustic features for speech emotion recognition that match librosa and openSMILE:
//! MFCC and deltas, log-mel, spectral descriptors, prosody (F0, voice quality, loudness) and
//! utterance-level functionals. (Being built.)
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod egemaps;
pub mod error;
pub mod functionals;
pub mod prosody;

pub use error::{Error, Result};
