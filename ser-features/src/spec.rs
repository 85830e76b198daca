//! What a model consumes, as data: a [`FeatureSpec`] is stored in a model directory's
//! `config.json` so the directory says how to turn audio into its input, and
//! [`crate::pipeline::FeaturePipeline`] computes it.
//!
//! ```
//! use ser_features::spec::{FeatureSpec, FunctionalsSpec, MfccSpec};
//! let mfcc = FeatureSpec::Mfcc(MfccSpec::default());
//! assert_eq!((mfcc.n_features(), mfcc.names().len()), (40, 40));
//! assert_eq!(mfcc.names()[20], "mfcc_delta0");
//! assert_eq!(mfcc.to_string(), "MFCC 20 + Δ");
//! let egemaps = FeatureSpec::Functionals(FunctionalsSpec::named("egemaps")?);
//! assert_eq!(egemaps.names()[0], "F0semitoneFrom27.5Hz_sma3nz_amean");
//! # Ok::<(), ser_features::Error>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::functionals::Functional;
use crate::sets::{FeatureSet, MFCC_SPECTRAL_SET};
use crate::{FeatureConfig, Result};

/// Per-utterance normalisation of a frame-level feature matrix, each feature over the clip's
/// own frames: the single-file counterpart of speaker normalisation (cepstral mean /
/// variance normalisation, as Kaldi's `apply-cmvn` per utterance). It removes a recording's
/// channel and level offsets — and with them the clip's average spectral shape, so whether it
/// helps is an empirical question per model.
///
/// ```
/// use ser_features::spec::UtteranceNorm;
/// let mut m = ndarray::array![[1.0_f32, 2.0, 3.0], [10.0, 10.0, 10.0]];
/// UtteranceNorm::MeanVar.apply(&mut m);
/// assert!((m[[0, 0]] + 1.2247).abs() < 1e-3 && m[[1, 2]] == 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UtteranceNorm {
    /// Features as computed.
    #[default]
    None,
    /// Subtract each feature's mean over the utterance (CMN).
    Mean,
    /// Subtract the mean and divide by the standard deviation (CMVN; a constant feature
    /// becomes 0).
    MeanVar,
}

impl UtteranceNorm {
    /// `true` for [`UtteranceNorm::None`].
    pub fn is_none(&self) -> bool {
        *self == UtteranceNorm::None
    }

    /// Normalises `m` in place, laid out `(n_features, n_frames)` (librosa layout): each row
    /// over its columns, in `f64`.
    pub fn apply(&self, m: &mut ndarray::Array2<f32>) {
        if self.is_none() || m.ncols() == 0 {
            return;
        }
        let n = m.ncols() as f64;
        for mut row in m.rows_mut() {
            let mean = row.iter().map(|&v| v as f64).sum::<f64>() / n;
            let scale = match self {
                UtteranceNorm::MeanVar => {
                    let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
                    if var > 1e-12 {
                        1.0 / var.sqrt()
                    } else {
                        0.0
                    }
                }
                _ => 1.0,
            };
            row.mapv_inplace(|v| ((v as f64 - mean) * scale) as f32);
        }
    }
}

impl UtteranceNorm {
    fn suffix(&self) -> &'static str {
        match self {
            UtteranceNorm::None => "",
            UtteranceNorm::Mean => ", CMN",
            UtteranceNorm::MeanVar => ", CMVN",
        }
    }
}

impl std::str::FromStr for UtteranceNorm {
    type Err = crate::Error;

    /// `none`, `mean` (or `cmn`), `mean-var` (or `cmvn`).
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "mean" | "cmn" => Ok(Self::Mean),
            "mean-var" | "meanvar" | "cmvn" => Ok(Self::MeanVar),
            other => Err(crate::Error::Unsupported(format!(
                "utterance normalisation {other:?} (expected none, cmn or cmvn)"
            ))),
        }
    }
}

/// Log-mel spectrogram frames (`power_to_db` of a mel power spectrogram).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LogMelSpec {
    /// Sample rate audio is resampled to. Default: 16000 (librosa: 22050).
    pub sr: u32,
    /// FFT size. Default: 512 (librosa: 2048).
    pub n_fft: usize,
    /// Hop in samples. Default: 160 (10 ms; librosa: n_fft/4).
    pub hop_length: usize,
    /// Window length. Default: 400 (25 ms; librosa: n_fft).
    pub win_length: usize,
    /// Mel bands. Default: 64 (librosa: 128).
    pub n_mels: usize,
    /// Per-utterance normalisation of every band over the clip's frames. Default:
    /// [`UtteranceNorm::None`].
    #[serde(default, skip_serializing_if = "UtteranceNorm::is_none")]
    pub norm: UtteranceNorm,
}

impl LogMelSpec {
    /// The extractor configuration this spec computes with (librosa defaults elsewhere).
    pub fn feature_config(&self) -> FeatureConfig {
        FeatureConfig::default()
            .sr(self.sr)
            .n_fft(self.n_fft)
            .hop_length(self.hop_length)
            .win_length(self.win_length)
            .n_mels(self.n_mels)
    }

    /// 40 mel bands every 20 ms (hop 320, window 400): a cheaper input for the conv models.
    pub fn compact() -> Self {
        Self {
            hop_length: 320,
            n_mels: 40,
            ..Self::default()
        }
    }
}

ser_dsp::setters!(LogMelSpec {
    norm: UtteranceNorm
});

impl Default for LogMelSpec {
    fn default() -> Self {
        Self {
            sr: 16000,
            n_fft: 512,
            hop_length: 160,
            win_length: 400,
            n_mels: 64,
            norm: UtteranceNorm::None,
        }
    }
}

/// MFCC frames with optional Δ and ΔΔ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MfccSpec {
    /// Sample rate. Default: 16000.
    pub sr: u32,
    /// FFT size. Default: 512.
    pub n_fft: usize,
    /// Hop in samples. Default: 160.
    pub hop_length: usize,
    /// Window length. Default: 400.
    pub win_length: usize,
    /// Mel bands. Default: 40 (librosa: 128).
    pub n_mels: usize,
    /// Cepstral coefficients. Default: 20 (librosa default).
    pub n_mfcc: usize,
    /// Delta orders appended: 0 none, 1 Δ, 2 Δ and ΔΔ. Default: 1.
    pub deltas: usize,
    /// Per-utterance normalisation of every coefficient over the clip's frames (CMN / CMVN).
    /// Default: [`UtteranceNorm::None`].
    #[serde(default, skip_serializing_if = "UtteranceNorm::is_none")]
    pub norm: UtteranceNorm,
    /// Append the eGeMAPS prosodic and voice-quality descriptors of every frame
    /// ([`PROSODY_NAMES`]: F0 in semitones, voicing, loudness, HNR, jitter, shimmer, F1–F3;
    /// from [`crate::egemaps::Egemaps`] at the same 10 ms hop; 0 where undefined, e.g. F0 of
    /// unvoiced frames). MFCCs carry the spectral envelope but not pitch. Default: `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prosody: bool,
}

/// Names of the frame-level prosodic rows [`MfccSpec::prosody`] appends, in order.
pub const PROSODY_NAMES: [&str; 9] = [
    "f0_semitone",
    "voiced",
    "loudness",
    "hnr_db",
    "jitter",
    "shimmer_db",
    "f1_hz",
    "f2_hz",
    "f3_hz",
];

impl MfccSpec {
    /// The extractor configuration this spec computes with (librosa defaults elsewhere); the
    /// deltas are requested per call, not configured.
    pub fn feature_config(&self) -> FeatureConfig {
        FeatureConfig::default()
            .sr(self.sr)
            .n_fft(self.n_fft)
            .hop_length(self.hop_length)
            .win_length(self.win_length)
            .n_mels(self.n_mels)
            .n_mfcc(self.n_mfcc)
    }
}

ser_dsp::setters!(MfccSpec {
    norm: UtteranceNorm,
    prosody: bool
});

impl Default for MfccSpec {
    fn default() -> Self {
        Self {
            sr: 16000,
            n_fft: 512,
            hop_length: 160,
            win_length: 400,
            n_mels: 40,
            n_mfcc: 20,
            deltas: 1,
            norm: UtteranceNorm::None,
            prosody: false,
        }
    }
}

/// Utterance-level functionals (one vector per file) from `ser-features`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionalsSpec {
    /// Sample rate. Default: 16000.
    pub sr: u32,
    /// Feature set name, e.g. `"egemaps"`. Default: `"egemaps"`.
    pub set: String,
    /// Number of values. Default: 88.
    pub n: usize,
}

impl Default for FunctionalsSpec {
    fn default() -> Self {
        Self {
            sr: 16000,
            set: "egemaps".into(),
            n: 88,
        }
    }
}

/// Utterance embeddings from a pretrained Whisper encoder (`ser-whisper`): for each hidden
/// state in `first_layer..end_layer`, the mean ‖ standard deviation over the clip's frames,
/// averaged over those hidden states — one frame of `2 · width` values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WhisperSpec {
    /// Encoder directory (`model.safetensors` + `config.json`, or CTranslate2 `model.bin`).
    /// A relative path resolves against the model directory the spec was loaded from (see
    /// `ser_models::Recognizer::load`), else against the working directory.
    /// Default: `"models/whisper-base-encoder"`.
    pub model: String,
    /// First hidden state averaged (0 = input of the first block). Default: 3 (the output
    /// of Whisper-base's third block, chosen by nested speaker-independent cross-validation
    /// on EmoDB and RAVDESS training speakers, `scripts/whisper_probe.py`).
    pub first_layer: usize,
    /// One past the last hidden state averaged (`n_audio_layer + 1` = through the encoder
    /// output). Default: 4 (hidden state 3 alone).
    pub end_layer: usize,
    /// Encoder width (`n_audio_state`; 512 for base). Default: 512.
    pub width: usize,
    /// Energy-based frame selection before pooling: pool only this fraction (0, 1] of the
    /// encoder frames, the loudest (by the energy of their 20 ms of input audio), so pauses
    /// — which noise fills — weigh less. `None` pools every frame. Default: `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loudest_frames: Option<f32>,
    /// Per-utterance level normalisation: scale the clip so that its RMS is this many dBFS
    /// before the encoder (Whisper's log-mel is not level-invariant, so a quiet microphone
    /// shifts every input value). `None` leaves the level as recorded. Default: `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rms_dbfs: Option<f32>,
}

impl Default for WhisperSpec {
    fn default() -> Self {
        Self {
            model: "models/whisper-base-encoder".into(),
            first_layer: 3,
            end_layer: 4,
            width: 512,
            loudest_frames: None,
            rms_dbfs: None,
        }
    }
}

impl WhisperSpec {
    /// Sets `model` (chaining).
    pub fn model(mut self, v: impl Into<String>) -> Self {
        self.model = v.into();
        self
    }

    /// Where the encoder is: `model`, resolved against `base` (the model directory the spec
    /// came from) when it is relative and found there, else as written (relative to the
    /// working directory).
    pub fn model_path(&self, base: Option<&std::path::Path>) -> std::path::PathBuf {
        let p = std::path::Path::new(&self.model);
        match base {
            Some(b) if p.is_relative() && b.join(p).exists() => b.join(p),
            _ => p.to_path_buf(),
        }
    }

    /// Sets the averaged hidden states `first..end` (chaining).
    pub fn layers(mut self, first: usize, end: usize) -> Self {
        self.first_layer = first;
        self.end_layer = end;
        self
    }

    /// Sets `width` (chaining).
    pub fn width(mut self, v: usize) -> Self {
        self.width = v;
        self
    }

    /// Sets `rms_dbfs` (chaining).
    pub fn rms_dbfs(mut self, v: Option<f32>) -> Self {
        self.rms_dbfs = v;
        self
    }

    /// Sets `loudest_frames` (chaining).
    pub fn loudest_frames(mut self, v: Option<f32>) -> Self {
        self.loudest_frames = v;
        self
    }
}

/// What a model consumes; `n_features()` must equal the model's input width.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FeatureSpec {
    /// Log-mel frames, `n_mels` per frame.
    LogMel(LogMelSpec),
    /// MFCC (+ deltas) frames, `n_mfcc · (1 + deltas)` per frame.
    Mfcc(MfccSpec),
    /// Utterance functionals, one frame of `n` values.
    Functionals(FunctionalsSpec),
    /// Whisper encoder embeddings, one frame of `2 · width` values.
    Whisper(WhisperSpec),
    /// Features computed by the caller; `n_features` values per frame.
    Precomputed {
        /// Values per frame.
        n_features: usize,
    },
}

impl FeatureSpec {
    /// Values per frame.
    pub fn n_features(&self) -> usize {
        match self {
            FeatureSpec::LogMel(s) => s.n_mels,
            FeatureSpec::Mfcc(s) => {
                s.n_mfcc * (1 + s.deltas) + if s.prosody { PROSODY_NAMES.len() } else { 0 }
            }
            FeatureSpec::Functionals(s) => s.n,
            FeatureSpec::Whisper(s) => 2 * s.width,
            FeatureSpec::Precomputed { n_features } => *n_features,
        }
    }

    /// The pretrained encoder the features come from (`Some("models/whisper-base-encoder")`
    /// for [`FeatureSpec::Whisper`]), `None` for hand-crafted features.
    pub fn encoder_name(&self) -> Option<&str> {
        match self {
            FeatureSpec::Whisper(w) => Some(&w.model),
            _ => None,
        }
    }

    /// One name per value, in order: `mel{i}`; `mfcc{i}`, `mfcc_delta{i}`, `mfcc_delta2{i}`;
    /// the set's names for functionals ([`FeatureSet::names`]); `whisper_mean{i}` then
    /// `whisper_std{i}`; `f{i}` for precomputed features (and for a functional set this
    /// build does not know).
    pub fn names(&self) -> Vec<String> {
        let numbered = |n: usize| (0..n).map(|i| format!("f{i}")).collect::<Vec<_>>();
        match self {
            FeatureSpec::LogMel(m) => (0..m.n_mels).map(|i| format!("mel{i}")).collect(),
            FeatureSpec::Mfcc(m) => ["mfcc", "mfcc_delta", "mfcc_delta2"]
                .iter()
                .take(1 + m.deltas.min(2))
                .flat_map(|k| (0..m.n_mfcc).map(move |i| format!("{k}{i}")))
                .chain(
                    PROSODY_NAMES
                        .iter()
                        .filter(|_| m.prosody)
                        .map(|n| n.to_string()),
                )
                .collect(),
            FeatureSpec::Functionals(f) => FeatureSet::new(&f.set, f.sr)
                .map(|s| s.names())
                .unwrap_or_else(|_| numbered(f.n)),
            FeatureSpec::Whisper(w) => ["mean", "std"]
                .iter()
                .flat_map(|k| (0..w.width).map(move |i| format!("whisper_{k}{i}")))
                .collect(),
            FeatureSpec::Precomputed { n_features } => numbered(*n_features),
        }
    }

    /// The spec with a relative Whisper encoder path resolved against `base` (the model
    /// directory it came from) when the encoder is found there, made absolute — so the spec
    /// can be copied into another model directory (e.g. a new head trained on top of it).
    /// Other specs are returned unchanged.
    pub fn resolved_against(&self, base: &std::path::Path) -> FeatureSpec {
        let mut out = self.clone();
        if let FeatureSpec::Whisper(w) = &mut out {
            let p = w.model_path(Some(base));
            if p != std::path::Path::new(&w.model) {
                w.model = p.canonicalize().unwrap_or(p).to_string_lossy().into_owned();
            }
        }
        out
    }

    /// Sample rate audio must be at, if the spec computes from audio.
    pub fn sample_rate(&self) -> Option<u32> {
        match self {
            FeatureSpec::LogMel(s) => Some(s.sr),
            FeatureSpec::Mfcc(s) => Some(s.sr),
            FeatureSpec::Functionals(s) => Some(s.sr),
            FeatureSpec::Whisper(_) => Some(16000),
            FeatureSpec::Precomputed { .. } => None,
        }
    }
}

impl FunctionalsSpec {
    /// The built-in [`MFCC_SPECTRAL_SET`] at 16 kHz (636 values).
    pub fn mfcc_spectral() -> Self {
        Self {
            sr: 16000,
            set: MFCC_SPECTRAL_SET.into(),
            n: 53 * Functional::STANDARD.len(),
        }
    }

    /// A named set of [`crate::sets`] at 16 kHz with its size filled in; errors for an
    /// unknown name.
    pub fn named(set: &str) -> Result<Self> {
        Ok(Self {
            sr: 16000,
            set: set.into(),
            n: FeatureSet::new(set, 16000)?.len(),
        })
    }
}

/// A short description for tables and logs, e.g. `MFCC 20 + Δ`, `log-mel 40×(hop 20 ms)`,
/// `egemaps functionals (88)`, `whisper-base-encoder hidden states 3..4, mean ‖ std (1024)`.
impl fmt::Display for FeatureSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |hop: usize, sr: u32| hop * 1000 / (sr.max(1) as usize);
        match self {
            FeatureSpec::LogMel(s) => write!(
                f,
                "log-mel {}×(hop {} ms){}",
                s.n_mels,
                ms(s.hop_length, s.sr),
                s.norm.suffix()
            ),
            FeatureSpec::Mfcc(s) => write!(
                f,
                "MFCC {}{}{}{}",
                s.n_mfcc,
                match s.deltas {
                    0 => "",
                    1 => " + Δ",
                    _ => " + Δ + ΔΔ",
                },
                if s.prosody { " + prosody (9)" } else { "" },
                s.norm.suffix()
            ),
            FeatureSpec::Functionals(s) => write!(f, "{} functionals ({})", s.set, s.n),
            FeatureSpec::Whisper(s) => {
                write!(
                    f,
                    "{} hidden states {}..{}, mean ‖ std ({})",
                    s.model.rsplit('/').next().unwrap_or(&s.model),
                    s.first_layer,
                    s.end_layer,
                    2 * s.width
                )?;
                if let Some(db) = s.rms_dbfs {
                    write!(f, ", clip at {db} dBFS RMS")?;
                }
                if let Some(frac) = s.loudest_frames {
                    write!(f, ", loudest {:.0} % of frames", 100.0 * frac)?;
                }
                Ok(())
            }
            FeatureSpec::Precomputed { n_features } => write!(f, "precomputed ({n_features})"),
        }
    }
}
