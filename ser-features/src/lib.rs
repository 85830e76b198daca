//! # ser-features
//!
//! Acoustic features for speech emotion recognition that match librosa (0.11) and openSMILE:
//! MFCC and deltas, log-mel, spectral descriptors, prosody (F0, voice quality, loudness) and
//! utterance-level functionals. Built on `ser-dsp` (STFT, mel filterbank, DCT, dB).
//!
//! - [`FeatureExtractor`]: a plan built once from a [`FeatureConfig`] (librosa vocabulary and
//!   defaults), then run on many clips; one STFT pass computes every requested
//!   [`FeatureKind`]. Outputs use librosa shapes `(features, n_frames)`.
//! - [`StreamingExtractor`]: chunks of any size in, exactly the batch frames out.
//! - [`spectral`], [`mfcc`], [`delta`]: librosa-named free functions (the `S=` forms).
//! - [`functionals`]: named utterance statistics; [`compare`]: a ComParE-like named set.
//! - [`prosody`], [`egemaps`]: F0 (YIN, pYIN, openSMILE's SHS tracker), voice quality, loudness,
//!   eGeMAPS-like set.
//! - [`speech`]: a clip-level speech / non-speech decision ([`SpeechDetector`]) with its
//!   evidence, to keep silence, noise, tones and chirps away from the emotion models.
//! - [`sets`], [`spec`], [`pipeline`]: named utterance sets, the serde [`FeatureSpec`] a model
//!   directory stores, and [`FeaturePipeline`] (audio → model input, this crate alone).
//!
//! Conventions for parameter types: `hop_length` is `Option<usize>` in configs (`None` =
//! the librosa/openSMILE default derived from the window) and a plain `usize` in a
//! [`FeatureSpec`], which stores the resolved value so a model directory is explicit. Band
//! edges that index a spectrum (`fmin`/`fmax` of mel, loudness and speech detection) are
//! `f32` like the spectra, as in librosa's filterbank parity; F0 search ranges of the pitch
//! trackers (YIN, pYIN, SHS, eGeMAPS) are `f64`, the precision in which librosa and
//! openSMILE build their period and semitone grids.
//!
//! ```
//! use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind};
//!
//! // librosa.feature.mfcc(y=y, sr=16000) and friends, planned once.
//! let plan = FeatureExtractor::new(&FeatureConfig::default().sr(16000))?;
//! let y: Vec<f32> = (0..32000).map(|i| (i as f32 * 0.07).sin() * 0.1).collect();
//! let mfcc = plan.mfcc(&y)?; // (n_mfcc, n_frames) = (20, 1 + 32000 / 512)
//! assert_eq!(mfcc.dim(), (20, 63));
//!
//! let f = plan.extract(&y, &[FeatureKind::MfccDelta, FeatureKind::Centroid, FeatureKind::Contrast])?;
//! assert_eq!(f.get(FeatureKind::Contrast).map(|a| a.dim()), Some((7, 63)));
//!
//! // Utterance functionals with stable names.
//! let c = f.get(FeatureKind::Centroid).expect("requested");
//! let mut v = ser_features::functionals::NamedFeatures::new();
//! v.push_functionals("centroid", c.as_slice().expect("contiguous"), &ser_features::functionals::Functional::STANDARD);
//! assert_eq!(v.names[0], "centroid_mean");
//! # Ok::<(), ser_features::Error>(())
//! ```
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod compare;
pub mod delta;
pub mod egemaps;
pub mod error;
pub mod extractor;
pub mod functionals;
mod lanes;
#[cfg(feature = "linguistic")]
pub mod linguistic;
pub mod mfcc;
pub mod pipeline;
pub mod prosody;
pub mod sets;
pub mod spec;
pub mod spectral;
pub mod speech;

pub use error::{Error, Result};
pub use extractor::{
    ExtractorScratch, FeatureConfig, FeatureExtractor, FeatureKind, FrameFeatures,
    StreamingExtractor,
};
pub use pipeline::FeaturePipeline;
pub use spec::{FeatureSpec, FunctionalsSpec, LogMelSpec, MfccSpec, UtteranceNorm, WhisperSpec};
pub use speech::{NonSpeechReason, SpeechConfig, SpeechDecision, SpeechDetector};

/// Revision of the numeric output of this crate's extractors. Bumped whenever a change alters
/// the values any extractor returns for the same input and config, so feature caches keyed on
/// a config (e.g. `ser-data`'s `FeatureCache` via `ser-models`) are invalidated.
pub const REVISION: u32 = 15;

/// The crate README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
