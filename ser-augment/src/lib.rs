//! # ser-augment
//!
//! Seeded, composable data augmentation for speech emotion recognition, in
//! the spirit of Python's audiomentations: waveform transforms on
//! [`ser_dsp::Audio`] or plain `&[f32]` + sample rate, feature-level
//! SpecAugment on `(n_features, n_frames)` matrices, and mixup.
//!
//! | waveform transform | what it does | length |
//! |---|---|---|
//! | [`AddNoise`] | white / pink / brown Gaussian noise at an SNR in dB | kept |
//! | [`AddBackgroundNoise`] | segment of user-given noise files at an SNR | kept |
//! | [`Gain`], [`PolarityInversion`] | dB gain, sign flip | kept |
//! | [`TimeShift`] | roll or zero-filled shift | kept |
//! | [`ClippingDistortion`] | percentile clipping | kept |
//! | [`PitchShift`] | semitones, phase vocoder + resampling (as librosa) | kept |
//! | [`SpeedChange`] | tempo and pitch together, by resampling | **`len / factor`** |
//! | [`TimeStretch`] | tempo only, phase vocoder (as librosa) | **`round(len / rate)`** |
//! | [`Reverb`] | FFT convolution with recorded or synthetic RIRs (RT60), dry/wet | kept |
//! | [`BandLimit`] | Butterworth low/high/band-pass, telephone preset | kept |
//!
//! Feature level: [`SpecAugment`] (Park et al. 2019 policies LB/LD/SM/SS),
//! [`Mixup`] (`λ ~ Beta(α, α)`).
//!
//! Every transform implements [`Transform`]: an application probability `p`,
//! parameter ranges ([`ParamRange`]) drawn on every call, and an explicit
//! RNG. With [`rng_from_seed`] (ChaCha20) the same seed gives the same output
//! bit for bit. [`Compose`], [`OneOf`] and [`SomeOf`] combine transforms and
//! are transforms themselves. The sample rate is never changed.
//! [`parse_pipeline`] builds a [`Compose`] from a short text spec such as
//! `"noise:snr=10..20,p=0.5;pitch:semitones=-2..2;speed:0.9..1.1"` (grammar in
//! [`spec`]).
//!
//! ```
//! use ser_augment::{rng_from_seed, AddNoise, Compose, NoiseColor, PitchShift, Reverb, Transform};
//! use ser_dsp::Audio;
//!
//! let sr = 16_000;
//! let tone: Vec<f32> = (0..sr).map(|i| (2.0 * std::f32::consts::PI * 220.0 * i as f32 / sr as f32).sin() * 0.3).collect();
//! let audio = Audio::new(tone, sr as u32).unwrap();
//!
//! let augment = Compose::new(vec![
//!     Box::new(PitchShift::new(-2.0, 2.0).p(1.0)),
//!     Box::new(Reverb::synthetic(0.2, 0.5).p(0.5)),
//!     Box::new(AddNoise::new(10.0, 20.0).color(NoiseColor::Pink).p(1.0)),
//! ]);
//! let a = augment.apply_audio(&audio, &mut rng_from_seed(42)).unwrap();
//! let b = augment.apply_audio(&audio, &mut rng_from_seed(42)).unwrap();
//! assert_eq!(a.samples, b.samples);            // same seed, same bits
//! assert_eq!(a.sample_rate, 16_000);           // rate never changes
//! assert_eq!(a.samples.len(), audio.samples.len());
//! ```
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod basic;
mod codec;
mod dspx;
mod error;
mod filter;
mod mixup;
mod noise;
mod reverb;
pub mod spec;
mod specaugment;
mod stretch;
mod transform;

pub use basic::{ClippingDistortion, Gain, PolarityInversion, TimeShift};
pub use codec::{MuLaw, Resample};
pub use error::{Error, Result};
pub use filter::{BandLimit, Biquad, Butterworth, FilterKind};
pub use mixup::{Mixed, Mixup};
pub use noise::{
    babble, coloured_noise, mean_power, snr_db, AddBackgroundNoise, AddNoise, NoiseColor,
};
pub use reverb::{
    energy_decay_curve_db, estimate_rt60, fft_convolve, synthetic_rir, Reverb, RirSource,
};
pub use spec::{parse_pipeline, parse_pipeline_with_sr};
pub use specaugment::{Mask, MaskValue, SpecAugment, SpecAugmentReport};
pub use stretch::{
    phase_vocoder, speed_change, PhaseVocoder, PitchShift, SpeedChange, TimeStretch,
};
pub use transform::{
    rng_from_seed, validate_input, AugRng, Compose, OneOf, ParamRange, SomeOf, Transform,
};

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
