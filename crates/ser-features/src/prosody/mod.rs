//! Prosodic features: F0 by YIN and probabilistic YIN (faithful, fast ports of `librosa.yin`
//! and `librosa.pyin`), loudness, and voice quality (jitter, shimmer, HNR).
//!
//! | item | what | reference |
//! |---|---|---|
//! | [`Yin`] | F0 per frame | `librosa.yin` (same framing, CMND, thresholds, interpolation) |
//! | [`Pyin`] | F0, voicing flag, voicing probability | `librosa.pyin` (same priors, HMM, Viterbi) |
//! | [`shs::Shs`] | F0 and voicing by subharmonic summation + Viterbi | openSMILE's eGeMAPS pitch (`cPitchShs`, `cPitchSmootherViterbi`) |
//!
//! All plans are built once from a config (`Default` = librosa's defaults, with
//! `fmin`/`fmax` defaulting to librosa's recommended `C2`/`C7`) and are `Send + Sync`.
//!
//! # Example
//! ```
//! use ser_features::prosody::{Pyin, PyinConfig};
//! let sr = 16_000;
//! let y: Vec<f32> = (0..sr as usize)
//!     .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 120.0 * i as f32 / sr as f32).sin())
//!     .collect();
//! let pyin = Pyin::new(&PyinConfig::default().sr(sr).fmin(50.0).fmax(600.0).frame_length(1024).hop_length(160))?;
//! let out = pyin.process(&y)?;
//! let voiced = out.voiced_flag.iter().filter(|&&v| v).count();
//! assert!(voiced > out.f0.len() * 8 / 10);
//! # Ok::<(), ser_features::Error>(())
//! ```

pub mod formants;
pub mod harmonics;
pub mod loudness;
mod pyin;
pub mod shs;
pub mod voice_quality;
mod yin;

pub use pyin::{Pyin, PyinConfig, PyinOutput, PyinScratch};
pub use yin::{Yin, YinConfig, YinScratch};
