//! [`FeatureExtractor`]: plan once, extract frame-level features from many clips; and
//! [`StreamingExtractor`]: the same numbers from audio arriving in chunks.
//!
//! One STFT pass feeds every spectral feature; the plan precomputes the FFT, window, mel
//! filterbank (stored sparsely), DCT basis, lifter, contrast bands and delta weights, is
//! `Send + Sync` and takes `&self`, so one plan can serve a rayon pool.
//!
//! # Streaming and centre padding
//! With `center = true` librosa pads `n_fft / 2` samples on both sides (`pad_mode` for the
//! STFT and RMS, numpy `edge` for the zero-crossing rate). [`StreamingExtractor::push`] returns
//! every frame whose samples — including the left padding, which only needs the first samples —
//! are known: frame `t` is complete once `t·hop − n_fft/2 + n_fft < n_received` (one sample of
//! look-ahead, so that reflect padding at the start is exact). The right padding depends on the
//! end of the signal, so [`StreamingExtractor::finish`] pads the tail exactly as the batch path
//! does and flushes the remaining frames. Deltas need `width / 2` future frames (and the first
//! `width` frames for the `interp` edge fit), so they add that much latency; the flush computes
//! the edge frames with the final frame count. Concatenating every `push` output and the
//! `finish` output along the frame axis gives exactly the batch result.
//!
//! librosa's `top_db` clipping (log-mel, MFCC, onset strength, contrast) is relative to the
//! maximum over the **whole** clip, which a stream cannot know: streaming requires
//! `top_db: None` for those features and returns [`Error::Unsupported`] otherwise.

use ndarray::{Array2, ArrayViewMut1};
use ser_dsp::{
    Audio, Complex32, DbConfig, DbRef, MelConfig, MelNorm, MelSpectrogram, MelSpectrogramConfig,
    PadMode, Stft, StftConfig, StftScratch, Window,
};
use serde::{Deserialize, Serialize};

use crate::delta::{check_delta_params, savgol_derivative_weights};
use crate::error::{check_audio, Error, Result};
use crate::lanes::dot_f32;
use crate::spectral::{
    centroid_bandwidth_frame, check_roll_percent, contrast_from_peaks, fill_time_frame,
    flatness_frame, flux_l2_frame, onset_frame, onset_shift, reflect, rms_frame, rolloff_frame,
    zcr_frame, ContrastBands, FLATNESS_AMIN, ZCR_THRESHOLD,
};

/// Parameters of a [`FeatureExtractor`]; `Default` = librosa defaults
/// (`librosa.feature.mfcc` / `melspectrogram` / `spectral_*` / `rms` / `zero_crossing_rate`).
///
/// `rms` and `zero_crossing_rate` use `frame_length = n_fft` and the same `hop_length` and
/// `center` (librosa's defaults for both are 2048 / 512 / `True`, equal to the STFT's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FeatureConfig {
    /// Sample rate of the input in Hz. Default: 22050 (librosa).
    pub sr: u32,
    /// FFT size (and RMS/ZCR frame length). Default: 2048 (librosa).
    pub n_fft: usize,
    /// Hop between frames in samples. Default: `None` = `win_length / 4` = 512 (librosa).
    pub hop_length: Option<usize>,
    /// Window length. Default: `None` = `n_fft` (librosa).
    pub win_length: Option<usize>,
    /// Analysis window. Default: [`Window::Hann`] (librosa).
    pub window: Window,
    /// Centre frames by padding `n_fft / 2` on both sides. Default: `true` (librosa).
    pub center: bool,
    /// Padding for the STFT and RMS when `center`. Default: [`PadMode::Constant`] (librosa).
    pub pad_mode: PadMode,
    /// Exponent of the magnitude for the mel spectrogram. Default: 2.0 (librosa).
    pub power: f32,
    /// Number of mel bands. Default: 128 (librosa).
    pub n_mels: usize,
    /// Lowest mel edge in Hz. Default: 0 (librosa).
    pub fmin: f32,
    /// Highest mel edge in Hz. Default: `None` = `sr / 2` (librosa).
    pub fmax: Option<f32>,
    /// HTK mel formula. Default: `false` (librosa).
    pub htk: bool,
    /// Mel filter normalisation (`mel_norm` in `librosa.feature.mfcc`). Default:
    /// [`MelNorm::Slaney`] (librosa).
    pub mel_norm: MelNorm,
    /// Number of MFCCs. Default: 20 (librosa).
    pub n_mfcc: usize,
    /// DCT type; only `2` is supported (librosa's default), with `norm='ortho'`. Default: 2.
    pub dct_type: u8,
    /// Cepstral liftering coefficient; `0` disables it. Default: 0 (librosa).
    pub lifter: f32,
    /// `power_to_db` clipping threshold below the clip's maximum (log-mel, MFCC, onset
    /// strength, and each of contrast's peak/valley matrices). Default: `Some(80.0)` (librosa).
    pub top_db: Option<f32>,
    /// Delta window width (odd, `>= 3`). Default: 9 (librosa `delta`).
    pub delta_width: usize,
    /// Roll-off fraction. Default: 0.85 (librosa).
    pub roll_percent: f32,
    /// Lowest contrast band edge in Hz. Default: 200 (librosa `spectral_contrast` `fmin`).
    pub contrast_fmin: f64,
    /// Number of contrast bands (`n_bands + 1` rows). Default: 6 (librosa).
    pub contrast_n_bands: usize,
    /// Contrast peak/valley quantile. Default: 0.02 (librosa).
    pub contrast_quantile: f64,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            sr: 22050,
            n_fft: 2048,
            hop_length: None,
            win_length: None,
            window: Window::Hann,
            center: true,
            pad_mode: PadMode::Constant,
            power: 2.0,
            n_mels: 128,
            fmin: 0.0,
            fmax: None,
            htk: false,
            mel_norm: MelNorm::Slaney,
            n_mfcc: 20,
            dct_type: 2,
            lifter: 0.0,
            top_db: Some(80.0),
            delta_width: 9,
            roll_percent: 0.85,
            contrast_fmin: 200.0,
            contrast_n_bands: 6,
            contrast_quantile: 0.02,
        }
    }
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident : $ty:ty),* $(,)?) => {
        $( $(#[$m])* pub fn $name(mut self, $name: $ty) -> Self { self.$name = $name; self } )*
    };
}

impl FeatureConfig {
    setters! {
        /// Sets `sr`.
        sr: u32,
        /// Sets `n_fft`.
        n_fft: usize,
        /// Sets `window`.
        window: Window,
        /// Sets `center`.
        center: bool,
        /// Sets `pad_mode`.
        pad_mode: PadMode,
        /// Sets `power`.
        power: f32,
        /// Sets `n_mels`.
        n_mels: usize,
        /// Sets `fmin`.
        fmin: f32,
        /// Sets `htk`.
        htk: bool,
        /// Sets `mel_norm`.
        mel_norm: MelNorm,
        /// Sets `n_mfcc`.
        n_mfcc: usize,
        /// Sets `dct_type`.
        dct_type: u8,
        /// Sets `lifter`.
        lifter: f32,
        /// Sets `top_db`.
        top_db: Option<f32>,
        /// Sets `delta_width`.
        delta_width: usize,
        /// Sets `roll_percent`.
        roll_percent: f32,
        /// Sets `contrast_fmin`.
        contrast_fmin: f64,
        /// Sets `contrast_n_bands`.
        contrast_n_bands: usize,
        /// Sets `contrast_quantile`.
        contrast_quantile: f64,
    }

    /// Sets `hop_length`.
    pub fn hop_length(mut self, hop_length: usize) -> Self {
        self.hop_length = Some(hop_length);
        self
    }

    /// Sets `win_length`.
    pub fn win_length(mut self, win_length: usize) -> Self {
        self.win_length = Some(win_length);
        self
    }

    /// Sets `fmax`.
    pub fn fmax(mut self, fmax: f32) -> Self {
        self.fmax = Some(fmax);
        self
    }

    /// The STFT part of this configuration.
    pub fn stft_config(&self) -> StftConfig {
        let mut s = StftConfig::default()
            .n_fft(self.n_fft)
            .window(self.window)
            .center(self.center)
            .pad_mode(self.pad_mode);
        s.hop_length = self.hop_length;
        s.win_length = self.win_length;
        s
    }

    /// The mel-spectrogram part of this configuration.
    pub fn mel_config(&self) -> MelSpectrogramConfig {
        let mut mel = MelConfig::default()
            .sr(self.sr)
            .n_fft(self.n_fft)
            .n_mels(self.n_mels)
            .fmin(self.fmin)
            .htk(self.htk)
            .norm(self.mel_norm);
        mel.fmax = self.fmax;
        MelSpectrogramConfig::default()
            .stft(self.stft_config())
            .mel(mel)
            .power(self.power)
    }

    /// The `power_to_db` settings (`ref=1.0, amin=1e-10, top_db`).
    pub fn db_config(&self) -> DbConfig {
        DbConfig::default()
            .reference(DbRef::Value(1.0))
            .amin(1e-10)
            .top_db(self.top_db)
    }
}

/// A frame-level feature the extractor can produce (librosa shape in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FeatureKind {
    /// Mel power spectrogram `(n_mels, n_frames)` (`librosa.feature.melspectrogram`).
    MelSpectrogram,
    /// `power_to_db(melspectrogram)` `(n_mels, n_frames)`.
    LogMel,
    /// MFCC `(n_mfcc, n_frames)` (`librosa.feature.mfcc`).
    Mfcc,
    /// First-order MFCC delta `(n_mfcc, n_frames)` (`librosa.feature.delta(mfcc)`).
    MfccDelta,
    /// Second-order MFCC delta `(n_mfcc, n_frames)` (`delta(mfcc, order=2)`).
    MfccDelta2,
    /// Spectral centroid `(1, n_frames)`, Hz.
    Centroid,
    /// Spectral bandwidth `(1, n_frames)`, Hz.
    Bandwidth,
    /// Spectral roll-off `(1, n_frames)`, Hz.
    Rolloff,
    /// Spectral flatness `(1, n_frames)`.
    Flatness,
    /// Spectral contrast `(n_bands + 1, n_frames)`, dB.
    Contrast,
    /// Zero-crossing rate `(1, n_frames)`.
    Zcr,
    /// RMS energy `(1, n_frames)`.
    Rms,
    /// librosa onset strength (mel dB flux) `(1, n_frames)`.
    OnsetStrength,
    /// L2 flux of the magnitude spectrum `(1, n_frames)`.
    FluxL2,
}

impl FeatureKind {
    /// Every kind, in output order.
    pub const ALL: [FeatureKind; 14] = [
        FeatureKind::MelSpectrogram,
        FeatureKind::LogMel,
        FeatureKind::Mfcc,
        FeatureKind::MfccDelta,
        FeatureKind::MfccDelta2,
        FeatureKind::Centroid,
        FeatureKind::Bandwidth,
        FeatureKind::Rolloff,
        FeatureKind::Flatness,
        FeatureKind::Contrast,
        FeatureKind::Zcr,
        FeatureKind::Rms,
        FeatureKind::OnsetStrength,
        FeatureKind::FluxL2,
    ];

    /// The spectral descriptors (everything except mel/MFCC).
    pub const SPECTRAL: [FeatureKind; 9] = [
        FeatureKind::Centroid,
        FeatureKind::Bandwidth,
        FeatureKind::Rolloff,
        FeatureKind::Flatness,
        FeatureKind::Contrast,
        FeatureKind::Zcr,
        FeatureKind::Rms,
        FeatureKind::OnsetStrength,
        FeatureKind::FluxL2,
    ];

    /// Stable snake-case name (librosa function name where one exists).
    pub fn name(&self) -> &'static str {
        match self {
            FeatureKind::MelSpectrogram => "melspectrogram",
            FeatureKind::LogMel => "logmel",
            FeatureKind::Mfcc => "mfcc",
            FeatureKind::MfccDelta => "mfcc_delta",
            FeatureKind::MfccDelta2 => "mfcc_delta2",
            FeatureKind::Centroid => "spectral_centroid",
            FeatureKind::Bandwidth => "spectral_bandwidth",
            FeatureKind::Rolloff => "spectral_rolloff",
            FeatureKind::Flatness => "spectral_flatness",
            FeatureKind::Contrast => "spectral_contrast",
            FeatureKind::Zcr => "zero_crossing_rate",
            FeatureKind::Rms => "rms",
            FeatureKind::OnsetStrength => "onset_strength",
            FeatureKind::FluxL2 => "spectral_flux",
        }
    }

    /// Parses [`FeatureKind::name`].
    pub fn from_name(name: &str) -> Option<FeatureKind> {
        FeatureKind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn uses_top_db(&self) -> bool {
        matches!(
            self,
            FeatureKind::LogMel
                | FeatureKind::Mfcc
                | FeatureKind::MfccDelta
                | FeatureKind::MfccDelta2
                | FeatureKind::OnsetStrength
                | FeatureKind::Contrast
        )
    }
}

/// Which intermediate results a request needs.
#[derive(Debug, Clone, Copy, Default)]
struct Want {
    kinds: [bool; 14],
}

impl Want {
    fn new(kinds: &[FeatureKind]) -> Self {
        let mut w = Want::default();
        for k in kinds {
            w.kinds[Self::idx(*k)] = true;
        }
        w
    }
    fn idx(k: FeatureKind) -> usize {
        FeatureKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
    }
    fn has(&self, k: FeatureKind) -> bool {
        self.kinds[Self::idx(k)]
    }
    fn deltas(&self) -> bool {
        self.has(FeatureKind::MfccDelta) || self.has(FeatureKind::MfccDelta2)
    }
    fn mfcc(&self) -> bool {
        self.has(FeatureKind::Mfcc) || self.deltas()
    }
    fn logmel(&self) -> bool {
        self.has(FeatureKind::LogMel) || self.mfcc() || self.has(FeatureKind::OnsetStrength)
    }
    fn mel(&self) -> bool {
        self.has(FeatureKind::MelSpectrogram) || self.logmel()
    }
    fn mag(&self) -> bool {
        [
            FeatureKind::Centroid,
            FeatureKind::Bandwidth,
            FeatureKind::Rolloff,
            FeatureKind::Flatness,
            FeatureKind::Contrast,
            FeatureKind::FluxL2,
        ]
        .iter()
        .any(|k| self.has(*k))
    }
    fn time(&self) -> bool {
        self.has(FeatureKind::Zcr) || self.has(FeatureKind::Rms)
    }
    fn stft(&self) -> bool {
        self.mel() || self.mag()
    }
}

/// Frame-level features of one clip: `(kind, array)` pairs in request order, each array in
/// librosa layout `(rows, n_frames)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameFeatures {
    n_frames: usize,
    items: Vec<(FeatureKind, Array2<f32>)>,
}

impl FrameFeatures {
    /// Number of frames.
    pub fn n_frames(&self) -> usize {
        self.n_frames
    }

    /// The array of `kind`, if it was requested.
    pub fn get(&self, kind: FeatureKind) -> Option<&Array2<f32>> {
        self.items.iter().find(|(k, _)| *k == kind).map(|(_, a)| a)
    }

    /// Iterates over `(kind, array)` in request order.
    pub fn iter(&self) -> impl Iterator<Item = (FeatureKind, &Array2<f32>)> + '_ {
        self.items.iter().map(|(k, a)| (*k, a))
    }

    /// Consumes `self` into the `(kind, array)` list.
    pub fn into_items(self) -> Vec<(FeatureKind, Array2<f32>)> {
        self.items
    }

    /// All features stacked along the feature axis, `(total_rows, n_frames)`, with one name per
    /// row: the kind name for single-row kinds, `{name}{i}` (0-based) otherwise, e.g. `mfcc0`,
    /// `spectral_contrast6`.
    pub fn stacked(&self) -> (Array2<f32>, Vec<String>) {
        let rows: usize = self.items.iter().map(|(_, a)| a.nrows()).sum();
        let mut out = Array2::zeros((rows, self.n_frames));
        let mut names = Vec::with_capacity(rows);
        let mut r = 0;
        for (k, a) in &self.items {
            for (i, row) in a.rows().into_iter().enumerate() {
                out.row_mut(r).assign(&row);
                r += 1;
                names.push(if a.nrows() == 1 {
                    k.name().to_string()
                } else {
                    format!("{}{i}", k.name())
                });
            }
        }
        (out, names)
    }

    /// Appends the frames of `other` (same kinds, same order) after those of `self` — how
    /// streaming outputs are concatenated. An empty `self` simply takes `other`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the kinds or row counts differ.
    pub fn append(&mut self, other: FrameFeatures) -> Result<()> {
        if self.items.is_empty() {
            *self = other;
            return Ok(());
        }
        if other.items.len() != self.items.len()
            || other
                .items
                .iter()
                .zip(&self.items)
                .any(|((k1, a1), (k2, a2))| k1 != k2 || a1.nrows() != a2.nrows())
        {
            return Err(Error::ShapeMismatch {
                what: "appended frame features",
                expected: self.items.iter().map(|(_, a)| a.nrows()).collect(),
                got: other.items.iter().map(|(_, a)| a.nrows()).collect(),
            });
        }
        for ((_, a), (_, b)) in self.items.iter_mut().zip(other.items) {
            *a = ndarray::concatenate(ndarray::Axis(1), &[a.view(), b.view()]).map_err(|e| {
                Error::ShapeMismatch {
                    what: "appended frame features",
                    expected: vec![a.nrows()],
                    got: vec![b.nrows(), e.kind() as usize],
                }
            })?;
        }
        self.n_frames += other.n_frames;
        Ok(())
    }
}

/// Raw per-frame values, frame-major (frame `t` of a feature with `r` rows is
/// `v[t * r..(t + 1) * r]`).
#[derive(Debug, Clone, Default)]
struct Raw {
    n: usize,
    mel: Vec<f32>,
    centroid: Vec<f32>,
    bandwidth: Vec<f32>,
    rolloff: Vec<f32>,
    flatness: Vec<f32>,
    peak: Vec<f64>,
    valley: Vec<f64>,
    flux: Vec<f32>,
    zcr: Vec<f32>,
    rms: Vec<f32>,
}

impl Raw {
    fn clear(&mut self) {
        self.n = 0;
        for v in [
            &mut self.mel,
            &mut self.centroid,
            &mut self.bandwidth,
            &mut self.rolloff,
            &mut self.flatness,
            &mut self.flux,
            &mut self.zcr,
            &mut self.rms,
        ] {
            v.clear();
        }
        self.peak.clear();
        self.valley.clear();
    }
}

/// Reusable per-thread buffers of a [`FeatureExtractor`] (see [`FeatureExtractor::make_scratch`]).
#[derive(Debug, Clone, Default)]
pub struct ExtractorScratch {
    stft: StftScratch,
    pow: Vec<f32>,
    mag: Vec<f32>,
    prev_mag: Vec<f32>,
    has_prev: bool,
    sort_buf: Vec<f32>,
    flat_buf: Vec<f32>,
    frame_buf: Vec<f32>,
    raw: Raw,
    logmel: Vec<f32>,
    mfcc: Vec<f32>,
}

/// A reusable feature-extraction plan (see the [module docs](self)).
///
/// ```
/// use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind};
/// let plan = FeatureExtractor::new(&FeatureConfig::default().sr(16000)).unwrap();
/// let y: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
/// let mfcc = plan.mfcc(&y).unwrap();
/// assert_eq!(mfcc.dim(), (20, 32)); // (n_mfcc, 1 + 16000 / 512)
/// let f = plan.extract(&y, &[FeatureKind::Centroid, FeatureKind::Rms]).unwrap();
/// assert_eq!(f.get(FeatureKind::Rms).unwrap().dim(), (1, 32));
/// ```
#[derive(Debug, Clone)]
pub struct FeatureExtractor {
    cfg: FeatureConfig,
    mel: MelSpectrogram,
    /// Same STFT with `center = false`, used by the streaming path on pre-padded segments.
    stft_nc: Stft,
    hop: usize,
    bands: Vec<(usize, Vec<f32>)>,
    /// DCT-II (ortho) rows `0..n_mfcc` with the lifter.
    cepstrum: crate::mfcc::Cepstrum,
    freqs: Vec<f64>,
    contrast: std::result::Result<ContrastBands, String>,
    delta1: Vec<f64>,
    delta2: Vec<f64>,
}

impl FeatureExtractor {
    /// Validates `cfg` and builds the plan.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] / [`Error::Dsp`] for invalid parameters (e.g.
    /// `n_mfcc > n_mels`, `dct_type != 2`, bad delta width). Contrast bands that do not fit
    /// below Nyquist only fail when [`FeatureKind::Contrast`] is requested.
    pub fn new(cfg: &FeatureConfig) -> Result<Self> {
        if cfg.dct_type != 2 {
            return Err(Error::InvalidParameter {
                name: "dct_type",
                reason: format!(
                    "only dct_type=2 (librosa's default) is supported, got {}",
                    cfg.dct_type
                ),
            });
        }
        if cfg.n_mfcc == 0 || cfg.n_mfcc > cfg.n_mels {
            return Err(Error::InvalidParameter {
                name: "n_mfcc",
                reason: format!("must be in 1..=n_mels ({}), got {}", cfg.n_mels, cfg.n_mfcc),
            });
        }
        if !(cfg.lifter.is_finite() && cfg.lifter >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "lifter",
                reason: format!("must be finite and >= 0, got {}", cfg.lifter),
            });
        }
        check_roll_percent(cfg.roll_percent)?;
        check_delta_params(cfg.delta_width, 2)?;
        let mel = MelSpectrogram::new(&cfg.mel_config())?;
        let stft_nc = Stft::new(&cfg.stft_config().center(false))?;
        let hop = mel.stft().hop_length();
        let bands = mel
            .filterbank()
            .rows()
            .into_iter()
            .map(|row| {
                let first = row.iter().position(|&w| w != 0.0);
                let last = row.iter().rposition(|&w| w != 0.0);
                match (first, last) {
                    (Some(a), Some(b)) => {
                        (a, row.iter().skip(a).take(b + 1 - a).copied().collect())
                    }
                    _ => (0, Vec::new()),
                }
            })
            .collect();
        let cepstrum = crate::mfcc::Cepstrum::new(cfg.n_mels, 0, cfg.n_mfcc, cfg.lifter)?;
        let contrast = ContrastBands::new(
            cfg.sr,
            cfg.n_fft,
            cfg.contrast_fmin,
            cfg.contrast_n_bands,
            cfg.contrast_quantile,
        )
        .map_err(|e| e.to_string());
        Ok(Self {
            cfg: cfg.clone(),
            freqs: ser_dsp::fft_frequencies(cfg.sr, cfg.n_fft),
            mel,
            stft_nc,
            hop,
            bands,
            cepstrum,
            contrast,
            delta1: savgol_derivative_weights(cfg.delta_width, 1)?,
            delta2: savgol_derivative_weights(cfg.delta_width, 2)?,
        })
    }

    /// The configuration the plan was built from.
    pub fn config(&self) -> &FeatureConfig {
        &self.cfg
    }

    /// The effective hop length.
    pub fn hop_length(&self) -> usize {
        self.hop
    }

    /// Number of frames for a clip of `n_samples` samples.
    pub fn n_frames(&self, n_samples: usize) -> usize {
        self.mel.n_frames(n_samples)
    }

    /// Number of output rows of `kind`.
    pub fn n_rows(&self, kind: FeatureKind) -> usize {
        match kind {
            FeatureKind::MelSpectrogram | FeatureKind::LogMel => self.cfg.n_mels,
            FeatureKind::Mfcc | FeatureKind::MfccDelta | FeatureKind::MfccDelta2 => self.cfg.n_mfcc,
            FeatureKind::Contrast => self.cfg.contrast_n_bands + 1,
            _ => 1,
        }
    }

    /// Allocates the per-thread work buffers.
    pub fn make_scratch(&self) -> ExtractorScratch {
        ExtractorScratch {
            stft: self.mel.stft().make_scratch(),
            ..ExtractorScratch::default()
        }
    }

    fn check_kinds(&self, kinds: &[FeatureKind]) -> Result<()> {
        if kinds.contains(&FeatureKind::Contrast) {
            if let Err(reason) = &self.contrast {
                return Err(Error::InvalidParameter {
                    name: "contrast_n_bands",
                    reason: reason.clone(),
                });
            }
        }
        Ok(())
    }

    /// MFCC `(n_mfcc, n_frames)` = `librosa.feature.mfcc(y=y, sr=sr, ...)`.
    pub fn mfcc(&self, y: &[f32]) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((self.cfg.n_mfcc, self.n_frames(y.len())));
        self.mfcc_into(y, &mut out, &mut self.make_scratch())?;
        Ok(out)
    }

    /// Like [`FeatureExtractor::mfcc`] into `out` of shape `(n_mfcc, n_frames)`, reusing
    /// `scratch` (no allocation once the buffers have grown).
    pub fn mfcc_into(
        &self,
        y: &[f32],
        out: &mut Array2<f32>,
        scratch: &mut ExtractorScratch,
    ) -> Result<()> {
        check_audio(y)?;
        let t = self.n_frames(y.len());
        let expected = (self.cfg.n_mfcc, t);
        if out.dim() != expected {
            return Err(Error::ShapeMismatch {
                what: "mfcc output",
                expected: vec![expected.0, expected.1],
                got: vec![out.nrows(), out.ncols()],
            });
        }
        let want = Want::new(&[FeatureKind::Mfcc]);
        self.run_batch(y, &want, scratch)?;
        let ExtractorScratch {
            raw, logmel, mfcc, ..
        } = scratch;
        self.finish_logmel(raw, logmel, self.cfg.top_db)?;
        self.mfcc_frames(logmel, mfcc);
        write_fm(mfcc, self.cfg.n_mfcc, out);
        Ok(())
    }

    /// Mel power spectrogram `(n_mels, n_frames)` = `librosa.feature.melspectrogram`.
    pub fn melspectrogram(&self, y: &[f32]) -> Result<Array2<f32>> {
        self.single(y, FeatureKind::MelSpectrogram)
    }

    /// Log-mel `(n_mels, n_frames)` = `librosa.power_to_db(melspectrogram(y), top_db=top_db)`.
    pub fn log_mel(&self, y: &[f32]) -> Result<Array2<f32>> {
        self.single(y, FeatureKind::LogMel)
    }

    fn single(&self, y: &[f32], kind: FeatureKind) -> Result<Array2<f32>> {
        let f = self.extract(y, &[kind])?;
        f.into_items()
            .pop()
            .map(|(_, a)| a)
            .ok_or_else(|| Error::Unsupported(format!("feature {}", kind.name())))
    }

    /// Extracts `kinds` from `y` (sampled at `config().sr`) in one STFT pass.
    pub fn extract(&self, y: &[f32], kinds: &[FeatureKind]) -> Result<FrameFeatures> {
        self.extract_with(y, kinds, &mut self.make_scratch())
    }

    /// [`FeatureExtractor::extract`] for an [`Audio`]; errors if its rate is not `config().sr`.
    pub fn extract_audio(&self, audio: &Audio, kinds: &[FeatureKind]) -> Result<FrameFeatures> {
        if audio.sample_rate != self.cfg.sr {
            return Err(Error::SampleRate {
                expected: self.cfg.sr,
                got: audio.sample_rate,
            });
        }
        self.extract(&audio.samples, kinds)
    }

    /// [`FeatureExtractor::extract`] reusing `scratch`.
    pub fn extract_with(
        &self,
        y: &[f32],
        kinds: &[FeatureKind],
        scratch: &mut ExtractorScratch,
    ) -> Result<FrameFeatures> {
        check_audio(y)?;
        self.check_kinds(kinds)?;
        let want = Want::new(kinds);
        self.run_batch(y, &want, scratch)?;
        let t = scratch.raw.n;
        if want.deltas() && t < self.cfg.delta_width {
            return Err(Error::TooShort {
                what: "delta (mode='interp'): frames",
                expected: self.cfg.delta_width,
                got: t,
            });
        }
        let ExtractorScratch {
            raw, logmel, mfcc, ..
        } = scratch;
        if want.logmel() {
            self.finish_logmel(raw, logmel, self.cfg.top_db)?;
        }
        if want.mfcc() {
            self.mfcc_frames(logmel, mfcc);
        }
        let mut items = Vec::with_capacity(kinds.len());
        for &k in kinds {
            if items.iter().any(|(k2, _)| *k2 == k) {
                continue;
            }
            let mut a = Array2::zeros((self.n_rows(k), t));
            match k {
                FeatureKind::MelSpectrogram => write_fm(&raw.mel, self.cfg.n_mels, &mut a),
                FeatureKind::LogMel => write_fm(logmel, self.cfg.n_mels, &mut a),
                FeatureKind::Mfcc => write_fm(mfcc, self.cfg.n_mfcc, &mut a),
                FeatureKind::MfccDelta | FeatureKind::MfccDelta2 => {
                    let w = if k == FeatureKind::MfccDelta {
                        &self.delta1
                    } else {
                        &self.delta2
                    };
                    let h = w.len() / 2;
                    let n = self.cfg.n_mfcc;
                    let mut row = vec![0.0; n];
                    for tt in 0..t {
                        delta_frame(mfcc, n, w, tt.clamp(h, t - 1 - h), &mut row);
                        for (c, v) in row.iter().enumerate() {
                            a[[c, tt]] = *v;
                        }
                    }
                }
                FeatureKind::Contrast => {
                    contrast_from_peaks(&raw.peak, &raw.valley, a.nrows(), self.cfg.top_db, &mut a)
                }
                FeatureKind::OnsetStrength => {
                    let shift = self.onset_shift();
                    let n = self.cfg.n_mels;
                    for tt in shift..t {
                        let j = tt - shift;
                        a[[0, tt]] = onset_frame(
                            &logmel[(j + 1) * n..(j + 2) * n],
                            &logmel[j * n..(j + 1) * n],
                        );
                    }
                }
                other => {
                    let v = match other {
                        FeatureKind::Centroid => &raw.centroid,
                        FeatureKind::Bandwidth => &raw.bandwidth,
                        FeatureKind::Rolloff => &raw.rolloff,
                        FeatureKind::Flatness => &raw.flatness,
                        FeatureKind::Zcr => &raw.zcr,
                        FeatureKind::Rms => &raw.rms,
                        _ => &raw.flux,
                    };
                    a.row_mut(0).iter_mut().zip(v).for_each(|(o, x)| *o = *x);
                }
            }
            items.push((k, a));
        }
        Ok(FrameFeatures { n_frames: t, items })
    }

    fn onset_shift(&self) -> usize {
        onset_shift(self.cfg.n_fft, self.hop, self.cfg.center)
    }

    /// Runs the STFT / time-domain framing over the whole clip, filling `scratch.raw`.
    fn run_batch(&self, y: &[f32], want: &Want, scratch: &mut ExtractorScratch) -> Result<()> {
        let t_total = self.n_frames(y.len());
        if t_total == 0 {
            return Err(Error::TooShort {
                what: "framing (center = false)",
                expected: self.cfg.n_fft,
                got: y.len(),
            });
        }
        scratch.raw.clear();
        scratch.has_prev = false;
        if want.stft() {
            let ExtractorScratch {
                stft,
                pow,
                mag,
                prev_mag,
                has_prev,
                sort_buf,
                flat_buf,
                raw,
                ..
            } = scratch;
            let mut fs = FrameScratch {
                pow,
                mag,
                prev_mag,
                has_prev,
                sort_buf,
                flat_buf,
            };
            self.mel.stft().for_each_frame(y, stft, |_, spec| {
                self.spectrum_frame(want, spec, &mut fs, raw);
            })?;
        }
        if want.time() {
            let ExtractorScratch { frame_buf, raw, .. } = scratch;
            let n = self.cfg.n_fft;
            frame_buf.resize(n, 0.0);
            for t in 0..t_total {
                if want.has(FeatureKind::Rms) {
                    fill_time_frame(
                        y,
                        t,
                        n,
                        self.hop,
                        self.cfg.center,
                        Some(self.cfg.pad_mode),
                        frame_buf,
                    );
                    raw.rms.push(rms_frame(frame_buf));
                }
                if want.has(FeatureKind::Zcr) {
                    fill_time_frame(y, t, n, self.hop, self.cfg.center, None, frame_buf);
                    raw.zcr.push(zcr_frame(frame_buf, ZCR_THRESHOLD));
                }
            }
        }
        scratch.raw.n = t_total;
        Ok(())
    }

    /// Per-frame work on one complex spectrum.
    fn spectrum_frame(
        &self,
        want: &Want,
        spec: &[Complex32],
        fs: &mut FrameScratch<'_>,
        raw: &mut Raw,
    ) {
        let n_bins = spec.len();
        if want.mel() {
            fs.pow.resize(n_bins, 0.0);
            let p = self.cfg.power;
            for (o, c) in fs.pow.iter_mut().zip(spec) {
                let sq = c.re * c.re + c.im * c.im;
                *o = if p == 2.0 {
                    sq
                } else if p == 1.0 {
                    sq.sqrt()
                } else {
                    sq.sqrt().powf(p)
                };
            }
            for (start, w) in &self.bands {
                raw.mel.push(dot_f32(&fs.pow[*start..*start + w.len()], w));
            }
        }
        if want.mag() {
            fs.mag.resize(n_bins, 0.0);
            for (o, c) in fs.mag.iter_mut().zip(spec) {
                *o = (c.re * c.re + c.im * c.im).sqrt();
            }
            let mag = &fs.mag[..];
            if want.has(FeatureKind::Centroid) || want.has(FeatureKind::Bandwidth) {
                let (c, b) =
                    centroid_bandwidth_frame(mag, &self.freqs, want.has(FeatureKind::Bandwidth));
                raw.centroid.push(c as f32);
                raw.bandwidth.push(b as f32);
            }
            if want.has(FeatureKind::Rolloff) {
                raw.rolloff
                    .push(rolloff_frame(mag, &self.freqs, self.cfg.roll_percent) as f32);
            }
            if want.has(FeatureKind::Flatness) {
                raw.flatness
                    .push(flatness_frame(mag, FLATNESS_AMIN, fs.flat_buf));
            }
            if want.has(FeatureKind::Contrast) {
                if let Ok(cb) = &self.contrast {
                    let r = cb.n_rows();
                    let base = raw.peak.len();
                    raw.peak.resize(base + r, 0.0);
                    raw.valley.resize(base + r, 0.0);
                    cb.frame(
                        mag,
                        &mut raw.peak[base..],
                        &mut raw.valley[base..],
                        fs.sort_buf,
                    );
                }
            }
            if want.has(FeatureKind::FluxL2) {
                let f = if *fs.has_prev {
                    flux_l2_frame(mag, fs.prev_mag)
                } else {
                    0.0
                };
                raw.flux.push(f);
                fs.prev_mag.clear();
                fs.prev_mag.extend_from_slice(mag);
                *fs.has_prev = true;
            }
        }
    }

    /// `logmel = power_to_db(mel)` (frame-major) with the given clipping.
    fn finish_logmel(&self, raw: &Raw, logmel: &mut Vec<f32>, top_db: Option<f32>) -> Result<()> {
        logmel.clear();
        logmel.extend_from_slice(&raw.mel);
        let db = self.cfg.db_config().top_db(top_db);
        ser_dsp::power_to_db_inplace(ArrayViewMut1::from(&mut logmel[..]), &db)?;
        Ok(())
    }

    /// MFCC of every frame of a frame-major log-mel buffer.
    fn mfcc_frames(&self, logmel: &[f32], mfcc: &mut Vec<f32>) {
        let (nm, nc) = (self.cfg.n_mels, self.cfg.n_mfcc);
        mfcc.clear();
        mfcc.resize(logmel.len() / nm * nc, 0.0);
        for (frame, out) in logmel.chunks_exact(nm).zip(mfcc.chunks_exact_mut(nc)) {
            self.cepstrum.process_unchecked(frame, out);
        }
        debug_assert_eq!(mfcc.len(), logmel.len() / nm * nc);
    }

    /// A streaming extractor for `kinds` sharing this plan's parameters.
    ///
    /// # Errors
    /// [`Error::Unsupported`] if `top_db` is set and a kind depends on it (see the module
    /// docs); [`Error::InvalidParameter`] for unavailable contrast bands.
    pub fn streaming(&self, kinds: &[FeatureKind]) -> Result<StreamingExtractor> {
        StreamingExtractor::new(self.clone(), kinds)
    }
}

struct FrameScratch<'a> {
    pow: &'a mut Vec<f32>,
    mag: &'a mut Vec<f32>,
    prev_mag: &'a mut Vec<f32>,
    has_prev: &'a mut bool,
    sort_buf: &'a mut Vec<f32>,
    flat_buf: &'a mut Vec<f32>,
}

/// Delta of frame-major `data` (`n` values per frame) centred at frame `c` into `out`.
#[inline]
fn delta_frame(data: &[f32], n: usize, w: &[f64], c: usize, out: &mut [f32]) {
    let h = w.len() / 2;
    for (k, o) in out.iter_mut().enumerate() {
        let mut s = 0.0_f64;
        for (j, &wj) in w.iter().enumerate() {
            s += f64::from(data[(c + j - h) * n + k]) * wj;
        }
        *o = s as f32;
    }
}

/// Writes frame-major `v` (`rows` per frame) into `out` `(rows, n_frames)`.
fn write_fm(v: &[f32], rows: usize, out: &mut Array2<f32>) {
    for (t, frame) in v.chunks_exact(rows).enumerate() {
        for (r, x) in frame.iter().enumerate() {
            out[[r, t]] = *x;
        }
    }
}

/// Streaming feature extraction: [`StreamingExtractor::push`] chunks of any size, then
/// [`StreamingExtractor::finish`]. See the [module docs](self) for padding and latency.
///
/// ```
/// use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind, FrameFeatures};
/// let cfg = FeatureConfig::default().sr(16000).n_fft(512).hop_length(160).top_db(None);
/// let plan = FeatureExtractor::new(&cfg).unwrap();
/// let y: Vec<f32> = (0..8000).map(|i| (i as f32 * 0.03).sin() * 0.2).collect();
/// let kinds = [FeatureKind::Mfcc, FeatureKind::MfccDelta, FeatureKind::Rms];
/// let mut stream = plan.streaming(&kinds).unwrap();
/// let mut got = FrameFeatures::default();
/// for chunk in y.chunks(1234) {
///     got.append(stream.push(chunk).unwrap()).unwrap();
/// }
/// got.append(stream.finish().unwrap()).unwrap();
/// assert_eq!(got, plan.extract(&y, &kinds).unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct StreamingExtractor {
    plan: FeatureExtractor,
    kinds: Vec<FeatureKind>,
    want: Want,
    /// Samples `buf_start..n_received` of the signal.
    buf: Vec<f32>,
    buf_start: usize,
    n_received: usize,
    first_sample: Option<f32>,
    /// Frames computed so far (`0..computed`).
    computed: usize,
    /// Frames emitted so far.
    emitted: usize,
    scratch: ExtractorScratch,
    stft_scratch: StftScratch,
    seg: Vec<f32>,
    seg_edge: Vec<f32>,
    /// Finalised per-frame values not yet emitted, frame-major, from frame `emitted`.
    pending: Vec<(FeatureKind, Vec<f32>)>,
    /// MFCC history (frame-major) from frame `mfcc_start` (for deltas).
    mfcc_hist: Vec<f32>,
    mfcc_start: usize,
    /// Log-mel history from frame `logmel_start` (for the onset strength).
    logmel_hist: Vec<f32>,
    logmel_start: usize,
    finished: bool,
}

impl StreamingExtractor {
    /// Builds a stream over `plan` producing `kinds` (also available as
    /// [`FeatureExtractor::streaming`]).
    pub fn new(plan: FeatureExtractor, kinds: &[FeatureKind]) -> Result<Self> {
        plan.check_kinds(kinds)?;
        if plan.cfg.top_db.is_some() {
            if let Some(k) = kinds.iter().find(|k| k.uses_top_db()) {
                return Err(Error::Unsupported(format!(
                    "streaming {} needs top_db = None: librosa clips relative to the maximum of \
                     the whole clip, which is unknown until the end of the stream",
                    k.name()
                )));
            }
        }
        let mut uniq: Vec<FeatureKind> = Vec::new();
        for k in kinds {
            if !uniq.contains(k) {
                uniq.push(*k);
            }
        }
        let stft_scratch = plan.stft_nc.make_scratch();
        Ok(Self {
            want: Want::new(&uniq),
            pending: uniq.iter().map(|k| (*k, Vec::new())).collect(),
            kinds: uniq,
            scratch: plan.make_scratch(),
            plan,
            buf: Vec::new(),
            buf_start: 0,
            n_received: 0,
            first_sample: None,
            computed: 0,
            emitted: 0,
            stft_scratch,
            seg: Vec::new(),
            seg_edge: Vec::new(),
            mfcc_hist: Vec::new(),
            mfcc_start: 0,
            logmel_hist: Vec::new(),
            logmel_start: 0,
            finished: false,
        })
    }

    /// Frames returned so far.
    pub fn frames_emitted(&self) -> usize {
        self.emitted
    }

    /// Samples pushed so far.
    pub fn samples_received(&self) -> usize {
        self.n_received
    }

    /// Clears all state so a new clip can be streamed with the same plan.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.buf_start = 0;
        self.n_received = 0;
        self.first_sample = None;
        self.computed = 0;
        self.emitted = 0;
        self.scratch.has_prev = false;
        for (_, v) in &mut self.pending {
            v.clear();
        }
        self.mfcc_hist.clear();
        self.mfcc_start = 0;
        self.logmel_hist.clear();
        self.logmel_start = 0;
        self.finished = false;
    }

    fn offset(&self) -> usize {
        if self.plan.cfg.center {
            self.plan.cfg.n_fft / 2
        } else {
            0
        }
    }

    /// Adds `chunk` (any length, may be empty) and returns the frames completed by it.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for NaN/inf samples (the stream is unchanged);
    /// [`Error::Unsupported`] after [`StreamingExtractor::finish`] (call `reset` first).
    pub fn push(&mut self, chunk: &[f32]) -> Result<FrameFeatures> {
        if self.finished {
            return Err(Error::Unsupported(
                "push after finish; call reset() to start a new stream".into(),
            ));
        }
        if let Some(i) = chunk.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "audio chunk",
                index: self.n_received + i,
            });
        }
        if self.first_sample.is_none() {
            self.first_sample = chunk.first().copied();
        }
        self.buf.extend_from_slice(chunk);
        self.n_received += chunk.len();
        // Frame t is complete when its last sample index t*hop - off + n_fft - 1 < n_received - 1.
        let (n_fft, hop, off) = (self.plan.cfg.n_fft, self.plan.hop, self.offset());
        let limit = self.n_received + off; // need t*hop + n_fft < limit
        let ready = if limit > n_fft {
            (limit - n_fft - 1) / hop + 1
        } else {
            0
        };
        self.compute_frames(ready, None)?;
        self.trim();
        self.emit(None)
    }

    /// Flushes the frames that need the right padding and returns them; the stream then has
    /// produced exactly `FeatureExtractor::extract`'s frames.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] if nothing was pushed, [`Error::TooShort`] where the batch path
    /// would fail (e.g. fewer than `delta_width` frames with deltas).
    pub fn finish(&mut self) -> Result<FrameFeatures> {
        if self.finished {
            return Err(Error::Unsupported(
                "finish called twice; call reset()".into(),
            ));
        }
        if self.n_received == 0 {
            return Err(Error::EmptyInput {
                what: "audio stream",
            });
        }
        let total = self.plan.n_frames(self.n_received);
        if total == 0 {
            return Err(Error::TooShort {
                what: "framing (center = false)",
                expected: self.plan.cfg.n_fft,
                got: self.n_received,
            });
        }
        if self.want.deltas() && total < self.plan.cfg.delta_width {
            return Err(Error::TooShort {
                what: "delta (mode='interp'): frames",
                expected: self.plan.cfg.delta_width,
                got: total,
            });
        }
        self.finished = true;
        self.compute_frames(total, Some(self.n_received))?;
        self.emit(Some(total))
    }

    /// Value of the (virtually padded) signal at absolute index `j`; `end` is the signal length
    /// once known. `edge` selects numpy `edge` padding instead of `pad_mode`.
    fn sample(&self, j: isize, end: Option<usize>, edge: bool) -> f32 {
        let n_known = self.n_received as isize;
        let inside = j >= 0 && j < n_known;
        let idx = if inside {
            j as usize
        } else if edge {
            match end {
                Some(n) => j.clamp(0, n as isize - 1) as usize,
                None => return self.first_sample.unwrap_or(0.0),
            }
        } else {
            match self.plan.cfg.pad_mode {
                PadMode::Reflect => match end {
                    Some(n) => reflect(j, n),
                    // Left side before the end is known: -j < n_received is guaranteed.
                    None => (-j) as usize,
                },
                _ => return 0.0,
            }
        };
        self.buf
            .get(idx.wrapping_sub(self.buf_start))
            .copied()
            .unwrap_or(0.0)
    }

    /// Computes frames `computed..upto` (all samples available; `end` = final length, if known).
    fn compute_frames(&mut self, upto: usize, end: Option<usize>) -> Result<()> {
        if upto <= self.computed {
            return Ok(());
        }
        let (t0, t1) = (self.computed, upto);
        let (n_fft, hop) = (self.plan.cfg.n_fft, self.plan.hop);
        let off = self.offset() as isize;
        let start = (t0 * hop) as isize - off;
        let len = (t1 - 1 - t0) * hop + n_fft;
        let mut seg = std::mem::take(&mut self.seg);
        seg.clear();
        seg.extend((0..len).map(|k| self.sample(start + k as isize, end, false)));
        let mut seg_edge = std::mem::take(&mut self.seg_edge);
        seg_edge.clear();
        if self.want.has(FeatureKind::Zcr) {
            seg_edge.extend((0..len).map(|k| self.sample(start + k as isize, end, true)));
        }
        // Raw per-frame values for t0..t1.
        let want = self.want;
        let plan = &self.plan;
        let sc = &mut self.scratch;
        sc.raw.clear();
        if want.stft() {
            let ExtractorScratch {
                pow,
                mag,
                prev_mag,
                has_prev,
                sort_buf,
                flat_buf,
                raw,
                ..
            } = sc;
            let mut fs = FrameScratch {
                pow,
                mag,
                prev_mag,
                has_prev,
                sort_buf,
                flat_buf,
            };
            plan.stft_nc
                .for_each_frame(&seg, &mut self.stft_scratch, |_, spec| {
                    plan.spectrum_frame(&want, spec, &mut fs, raw);
                })?;
        }
        for i in 0..t1 - t0 {
            let s = i * hop;
            if want.has(FeatureKind::Rms) {
                sc.raw.rms.push(rms_frame(&seg[s..s + n_fft]));
            }
            if want.has(FeatureKind::Zcr) {
                sc.raw
                    .zcr
                    .push(zcr_frame(&seg_edge[s..s + n_fft], ZCR_THRESHOLD));
            }
        }
        sc.raw.n = t1 - t0;
        self.seg = seg;
        self.seg_edge = seg_edge;
        self.finalize_chunk(t0, t1)?;
        self.computed = t1;
        Ok(())
    }

    /// Local finalisation (top_db = None) of frames `t0..t1` into `pending` and histories.
    fn finalize_chunk(&mut self, t0: usize, t1: usize) -> Result<()> {
        let plan = &self.plan;
        let (nm, nc) = (plan.cfg.n_mels, plan.cfg.n_mfcc);
        let ExtractorScratch {
            raw, logmel, mfcc, ..
        } = &mut self.scratch;
        if self.want.logmel() {
            plan.finish_logmel(raw, logmel, None)?;
            if self.logmel_hist.is_empty() {
                self.logmel_start = t0;
            }
            self.logmel_hist.extend_from_slice(logmel);
        }
        if self.want.mfcc() {
            plan.mfcc_frames(logmel, mfcc);
            if self.mfcc_hist.is_empty() {
                self.mfcc_start = t0;
            }
            self.mfcc_hist.extend_from_slice(mfcc);
        }
        let shift = plan.onset_shift();
        for (k, v) in &mut self.pending {
            match k {
                FeatureKind::MelSpectrogram => v.extend_from_slice(&raw.mel),
                FeatureKind::LogMel => v.extend_from_slice(logmel),
                FeatureKind::Mfcc => v.extend_from_slice(mfcc),
                // Computed at emission time from the MFCC history.
                FeatureKind::MfccDelta | FeatureKind::MfccDelta2 => {}
                FeatureKind::Contrast => {
                    let r = plan.n_rows(FeatureKind::Contrast);
                    let mut a = Array2::zeros((r, t1 - t0));
                    contrast_from_peaks(&raw.peak, &raw.valley, r, None, &mut a);
                    for col in a.columns() {
                        v.extend(col.iter().copied());
                    }
                }
                FeatureKind::OnsetStrength => {
                    for t in t0..t1 {
                        v.push(if t >= shift {
                            let j = t - shift - self.logmel_start;
                            onset_frame(
                                &self.logmel_hist[(j + 1) * nm..(j + 2) * nm],
                                &self.logmel_hist[j * nm..(j + 1) * nm],
                            )
                        } else {
                            0.0
                        });
                    }
                }
                FeatureKind::Centroid => v.extend_from_slice(&raw.centroid),
                FeatureKind::Bandwidth => v.extend_from_slice(&raw.bandwidth),
                FeatureKind::Rolloff => v.extend_from_slice(&raw.rolloff),
                FeatureKind::Flatness => v.extend_from_slice(&raw.flatness),
                FeatureKind::Zcr => v.extend_from_slice(&raw.zcr),
                FeatureKind::Rms => v.extend_from_slice(&raw.rms),
                FeatureKind::FluxL2 => v.extend_from_slice(&raw.flux),
            }
        }
        let _ = nc;
        Ok(())
    }

    /// Drops samples and history no longer needed.
    fn trim(&mut self) {
        let (hop, off) = (self.plan.hop, self.offset());
        // The next frame to compute starts at computed*hop - off (left padding never needs
        // samples beyond index off, which stay in the buffer until frame off/hop is computed).
        let keep_from = (self.computed * hop).saturating_sub(off);
        if keep_from > self.buf_start + 4096 {
            self.buf.drain(..keep_from - self.buf_start);
            self.buf_start = keep_from;
        }
        let shift = self.plan.onset_shift();
        let nm = self.plan.cfg.n_mels;
        let lm_keep = self.computed.saturating_sub(shift + 1);
        if lm_keep > self.logmel_start + 64 && !self.logmel_hist.is_empty() {
            self.logmel_hist.drain(..(lm_keep - self.logmel_start) * nm);
            self.logmel_start = lm_keep;
        }
        let w = self.plan.cfg.delta_width;
        let nc = self.plan.cfg.n_mfcc;
        let mf_keep = self.emitted.saturating_sub(w + 1);
        if mf_keep > self.mfcc_start + 64 && !self.mfcc_hist.is_empty() {
            self.mfcc_hist.drain(..(mf_keep - self.mfcc_start) * nc);
            self.mfcc_start = mf_keep;
        }
    }

    /// Emits frames `emitted..` that are final; `total` is the final frame count at `finish`.
    fn emit(&mut self, total: Option<usize>) -> Result<FrameFeatures> {
        let c = self.computed;
        let h = self.plan.cfg.delta_width / 2;
        let upto = match total {
            Some(t) => t,
            None if self.want.deltas() => {
                if c > 2 * h {
                    c - h
                } else {
                    0
                }
            }
            None => c,
        };
        let upto = upto.max(self.emitted);
        let k = upto - self.emitted;
        let mut items = Vec::with_capacity(self.kinds.len());
        let nc = self.plan.cfg.n_mfcc;
        for (kind, v) in &mut self.pending {
            let rows = self.plan.n_rows(*kind);
            let mut a = Array2::zeros((rows, k));
            match kind {
                FeatureKind::MfccDelta | FeatureKind::MfccDelta2 => {
                    let w = if *kind == FeatureKind::MfccDelta {
                        &self.plan.delta1
                    } else {
                        &self.plan.delta2
                    };
                    let mut row = vec![0.0; nc];
                    for i in 0..k {
                        let t = self.emitted + i;
                        let center = match total {
                            Some(tt) => t.clamp(h, tt - 1 - h),
                            None => t.max(h),
                        };
                        let hist = &self.mfcc_hist[(center - h - self.mfcc_start) * nc..];
                        delta_frame(hist, nc, w, h, &mut row);
                        for (r, x) in row.iter().enumerate() {
                            a[[r, i]] = *x;
                        }
                    }
                }
                _ => {
                    write_fm(&v[..k * rows], rows, &mut a);
                    v.drain(..k * rows);
                }
            }
            items.push((*kind, a));
        }
        self.emitted = upto;
        Ok(FrameFeatures { n_frames: k, items })
    }
}
