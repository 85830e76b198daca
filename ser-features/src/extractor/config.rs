//! [`FeatureConfig`]: the parameters of an extractor (librosa defaults).

use super::*;

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

ser_dsp::setters!(FeatureConfig {
    sr: u32,
    n_fft: usize,
    window: Window,
    center: bool,
    pad_mode: PadMode,
    power: f32,
    n_mels: usize,
    fmin: f32,
    htk: bool,
    mel_norm: MelNorm,
    n_mfcc: usize,
    dct_type: u8,
    lifter: f32,
    top_db: Option<f32>,
    delta_width: usize,
    roll_percent: f32,
    contrast_fmin: f64,
    contrast_n_bands: usize,
    contrast_quantile: f64,
});

impl FeatureConfig {
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
