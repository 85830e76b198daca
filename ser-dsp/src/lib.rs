//! # ser-dsp
//!
//! Pure-Rust DSP for speech emotion recognition, numerically matching librosa 0.11:
//! audio I/O ([`Audio`]: WAV via `hound`, FLAC/MP3/OGG via `symphonia` behind the default
//! `symphonia` feature), resampling ([`resample()`], rubato sinc), windows ([`get_window`]),
//! framing ([`frame()`], [`pad_center_signal`]), STFT/ISTFT ([`Stft`], [`Istft`], on `realfft`),
//! mel filterbanks and spectrograms ([`mel_filterbank`], [`MelSpectrogram`]), DCT-II
//! ([`Dct2`]), dB scaling ([`power_to_db`], [`amplitude_to_db`]), pre-emphasis,
//! autocorrelation and frame energy.
//!
//! Conventions: samples are `f32`; spectra use librosa's layout `(bins, frames)`; parameter
//! names and defaults follow librosa (every difference is documented on the item). Plans
//! ([`Stft`], [`Istft`], [`MelSpectrogram`], [`Dct2`], [`Autocorrelator`]) are built once, are
//! `Send + Sync`, take `&self`, and offer `*_into(out, scratch)` forms that do not allocate.
//! Bad input returns [`Error`], never panics.
//!
//! ```
//! use ser_dsp::{power_to_db, Audio, DbConfig, MelSpectrogram, MelSpectrogramConfig};
//!
//! # fn main() -> ser_dsp::Result<()> {
//! // 1 s of a 440 Hz tone at 22.05 kHz, resampled to 16 kHz.
//! let tone: Vec<f32> = (0..22050)
//!     .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 22050.0).sin())
//!     .collect();
//! let audio = Audio::new(tone, 22050)?.resample(16000)?;
//!
//! // librosa.feature.melspectrogram(y, sr=16000, n_fft=512, hop_length=160, n_mels=64)
//! let cfg = MelSpectrogramConfig::default()
//!     .sr(16000)
//!     .n_fft(512)
//!     .hop_length(160)
//!     .n_mels(64);
//! let plan = MelSpectrogram::new(&cfg)?;
//! let mel = plan.process(&audio.samples)?; // (n_mels, n_frames)
//! assert_eq!(mel.dim(), (64, 101));
//!
//! // librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=80)
//! let db = power_to_db(mel.view(), &DbConfig::default())?;
//! assert!(db.iter().all(|v| v.is_finite()));
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

/// Chaining setters for a config's public fields — the one setter macro of the workspace's
/// builder-style configs: `ser_dsp::setters!(Config { sr: u32, n_fft: usize });` adds
/// `pub fn sr(mut self, v: u32) -> Self` and `pub fn n_fft(mut self, v: usize) -> Self` to
/// `Config`, each documented as "Sets `Config::sr` (chaining)" with a link. Setters that do more than
/// store the value (wrap it in `Some`, validate) are written by hand beside them.
///
/// ```
/// #[derive(Default)]
/// pub struct Config {
///     /// Sample rate.
///     pub sr: u32,
///     /// Bands.
///     pub n_mels: usize,
/// }
/// ser_dsp::setters!(Config { sr: u32, n_mels: usize });
/// let c = Config::default().sr(16_000).n_mels(40);
/// assert_eq!((c.sr, c.n_mels), (16_000, 40));
/// ```
#[macro_export]
macro_rules! setters {
    ($ty:ident { $($field:ident : $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                #[doc = concat!("Sets [`", stringify!($ty), "::", stringify!($field), "`] (chaining).")]
                pub fn $field(mut self, v: $t) -> Self {
                    self.$field = v;
                    self
                }
            )*
        }
    };
}

pub mod audio;
pub mod db;
pub mod dct;
pub mod error;
pub mod frame;
pub mod lanes;
pub mod mel;
pub mod resample;
pub mod signal;
pub mod stft;
pub mod window;

pub use audio::{Audio, MAX_SAMPLE_RATE};
pub use db::{
    amplitude_to_db, db_to_amplitude, db_to_power, power_to_db, power_to_db_inplace, DbConfig,
    DbRef,
};
pub use dct::{dct2_ortho, Dct2};
pub use error::{Error, Result};
pub use frame::{frame, n_frames, pad_center_signal, PadMode};
pub use mel::{
    fft_frequencies, hz_to_mel, mel_filterbank, mel_frequencies, mel_to_hz, MelConfig, MelNorm,
    MelScratch, MelSpectrogram, MelSpectrogramConfig,
};
pub use resample::{resample, ResampleQuality};
pub use signal::{
    autocorrelate, fft_convolve, frame_energy, mean_power, preemphasis, AutocorrScratch,
    Autocorrelator,
};
pub use stft::{Istft, Stft, StftConfig, StftScratch};
pub use window::{get_window, Window};

/// Re-export of `ndarray` (the array types in this crate's API).
pub use ndarray;
/// Re-export of the complex sample type used by [`Stft`].
pub use num_complex::Complex32;

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
