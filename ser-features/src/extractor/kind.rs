//! [`FeatureKind`]: the features an extractor can produce, and which intermediate results a request needs.

use super::*;

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

    pub(super) fn uses_top_db(&self) -> bool {
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
pub(super) struct Want {
    pub(super) kinds: [bool; 14],
}

impl Want {
    pub(super) fn new(kinds: &[FeatureKind]) -> Self {
        let mut w = Want::default();
        for k in kinds {
            w.kinds[Self::idx(*k)] = true;
        }
        w
    }
    pub(super) fn idx(k: FeatureKind) -> usize {
        FeatureKind::ALL.iter().position(|x| *x == k).unwrap_or(0)
    }
    pub(super) fn has(&self, k: FeatureKind) -> bool {
        self.kinds[Self::idx(k)]
    }
    pub(super) fn deltas(&self) -> bool {
        self.has(FeatureKind::MfccDelta) || self.has(FeatureKind::MfccDelta2)
    }
    pub(super) fn mfcc(&self) -> bool {
        self.has(FeatureKind::Mfcc) || self.deltas()
    }
    pub(super) fn logmel(&self) -> bool {
        self.has(FeatureKind::LogMel) || self.mfcc() || self.has(FeatureKind::OnsetStrength)
    }
    pub(super) fn mel(&self) -> bool {
        self.has(FeatureKind::MelSpectrogram) || self.logmel()
    }
    pub(super) fn mag(&self) -> bool {
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
    pub(super) fn time(&self) -> bool {
        self.has(FeatureKind::Zcr) || self.has(FeatureKind::Rms)
    }
    pub(super) fn stft(&self) -> bool {
        self.mel() || self.mag()
    }
}
