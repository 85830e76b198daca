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

/// openSMILE's Gaussian window (`winFunc = gauss`): `exp(−½ ((i − (n−1)/2) / (σ (n−1)/2))²)`.
pub(crate) fn gaussian_window(n: usize, sigma: f64) -> Vec<f32> {
    let half = (n.max(2) - 1) as f64 / 2.0;
    (0..n)
        .map(|i| {
            let x = (i as f64 - half) / (sigma * half);
            (-0.5 * x * x).exp() as f32
        })
        .collect()
}

/// `frame = window · y[centre − n/2 ..]` (`n = window.len()`), zero outside `y`.
pub(crate) fn windowed_frame(y: &[f32], centre: usize, window: &[f32], frame: &mut [f32]) {
    let n = window.len();
    let start = centre as isize - (n / 2) as isize;
    if start >= 0 && start as usize + n <= y.len() {
        let seg = &y[start as usize..start as usize + n];
        for ((f, w), v) in frame.iter_mut().zip(window).zip(seg) {
            *f = v * w;
        }
        return;
    }
    for (i, (f, w)) in frame.iter_mut().zip(window).enumerate() {
        let k = start + i as isize;
        *f = if k >= 0 && (k as usize) < y.len() {
            y[k as usize] * w
        } else {
            0.0
        };
    }
}
