//! Named utterance-level feature sets: the one registry of the vectors a model can be
//! trained on by name (`FeatureSpec::Functionals` in `ser-models`, `train --model linear`).
//! A new set is added here only: its name, its parts and its length.
//!
//! | name | values |
//! |---|---|
//! | [`MFCC_SPECTRAL_SET`] | 12 statistics of 20 MFCC, 20 Δ-MFCC and 13 spectral contours (636) |
//! | [`EGEMAPS_SET`] | the eGeMAPS-like set (88) |
//! | [`COMPARE_SET`] | the ComParE-like set (840) |
//! | [`EGEMAPS_COMPARE_SET`] | eGeMAPS then ComParE-like (928) |
//! | [`COMPARE_LARGE_SET`] | the ComParE_2016-like large set (3358) |
//! | [`EGEMAPS_COMPARE_LARGE_SET`] | eGeMAPS then the large set (3446) |
//!
//! ```
//! use ser_features::sets::{FeatureSet, EGEMAPS_SET};
//! let set = FeatureSet::new(EGEMAPS_SET, 16_000)?;
//! let y: Vec<f32> = (0..16_000).map(|i| 0.1 * (i as f32 * 0.05).sin()).collect();
//! let v = set.extract(&y)?;
//! assert_eq!((v.len(), set.len(), set.names().len()), (88, 88, 88));
//! # Ok::<(), ser_features::Error>(())
//! ```

use crate::compare::{CompareConfig, CompareSet};
use crate::egemaps::{Egemaps, EgemapsConfig, EGEMAPS_NAMES};
use crate::functionals::{compute, Functional};
use crate::{Error, FeatureConfig, FeatureExtractor, FeatureKind, Result};

/// [`Functional::STANDARD`] (12 statistics) over 20 MFCC, 20 Δ-MFCC, spectral centroid,
/// bandwidth, roll-off, flatness, 7 contrast bands, ZCR and RMS (53 contours → 636 values),
/// all from one STFT (n_fft 512, hop 160, win 400, 40 mel bands at 16 kHz).
pub const MFCC_SPECTRAL_SET: &str = "mfcc-spectral-v1";
/// The eGeMAPS-like set (88 values, pYIN F0, loudness, jitter/shimmer, formants…).
pub const EGEMAPS_SET: &str = "egemaps";
/// The ComParE-like set on the STFT of [`MFCC_SPECTRAL_SET`] (35 LLDs and their deltas × 12
/// functionals = 840 values).
pub const COMPARE_SET: &str = "compare";
/// [`EGEMAPS_SET`] followed by [`COMPARE_SET`] (928 values).
pub const EGEMAPS_COMPARE_SET: &str = "egemaps+compare";
/// The ComParE_2016-like large set ([`CompareConfig::large`]) on the same STFT as
/// [`COMPARE_SET`] (73 LLDs and their deltas × 23 functionals = 3358 values).
pub const COMPARE_LARGE_SET: &str = "compare-large";
/// [`EGEMAPS_SET`] followed by [`COMPARE_LARGE_SET`] (3446 values).
pub const EGEMAPS_COMPARE_LARGE_SET: &str = "egemaps+compare-large";
/// Every set name, in the table's order.
pub const SET_NAMES: [&str; 6] = [
    MFCC_SPECTRAL_SET,
    EGEMAPS_SET,
    COMPARE_SET,
    EGEMAPS_COMPARE_SET,
    COMPARE_LARGE_SET,
    EGEMAPS_COMPARE_LARGE_SET,
];

/// Frame-level kinds of [`MFCC_SPECTRAL_SET`].
const MFCC_SPECTRAL_KINDS: [FeatureKind; 9] = [
    FeatureKind::Mfcc,
    FeatureKind::MfccDelta,
    FeatureKind::Centroid,
    FeatureKind::Bandwidth,
    FeatureKind::Rolloff,
    FeatureKind::Flatness,
    FeatureKind::Contrast,
    FeatureKind::Zcr,
    FeatureKind::Rms,
];
/// Contours of [`MFCC_SPECTRAL_SET`].
const MFCC_SPECTRAL_CONTOURS: usize = 53;

/// The STFT all named sets share at `sr`: n_fft 512, hop 160, win 400, 40 mel bands.
pub fn set_stft(sr: u32) -> FeatureConfig {
    FeatureConfig::default()
        .sr(sr)
        .n_fft(512)
        .hop_length(160)
        .win_length(400)
        .n_mels(40)
}

/// A named set, planned once for a sample rate; `Send + Sync`.
#[derive(Debug)]
pub struct FeatureSet {
    name: String,
    /// Frame-level plan of [`MFCC_SPECTRAL_SET`].
    frames: Option<FeatureExtractor>,
    egemaps: Option<Egemaps>,
    compare: Option<CompareSet>,
}

impl FeatureSet {
    /// Plans set `name` (one of [`SET_NAMES`]) at `sr` Hz; errors for an unknown name.
    pub fn new(name: &str, sr: u32) -> Result<Self> {
        let (frames, egemaps, compare) = match name {
            MFCC_SPECTRAL_SET => (true, false, None),
            EGEMAPS_SET => (false, true, None),
            COMPARE_SET => (false, false, Some(CompareConfig::default())),
            EGEMAPS_COMPARE_SET => (false, true, Some(CompareConfig::default())),
            COMPARE_LARGE_SET => (false, false, Some(CompareConfig::large())),
            EGEMAPS_COMPARE_LARGE_SET => (false, true, Some(CompareConfig::large())),
            other => {
                return Err(Error::InvalidParameter {
                    name: "feature set",
                    reason: format!("unknown set `{other}` (known: {})", SET_NAMES.join(", ")),
                })
            }
        };
        Ok(Self {
            name: name.to_string(),
            frames: frames
                .then(|| FeatureExtractor::new(&set_stft(sr).n_mfcc(20)))
                .transpose()?,
            egemaps: egemaps
                .then(|| Egemaps::new(&EgemapsConfig::default().sr(sr)))
                .transpose()?,
            compare: compare
                .map(|c| CompareSet::new(&c.features(set_stft(sr))))
                .transpose()?,
        })
    }

    /// The set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        if self.frames.is_some() {
            return MFCC_SPECTRAL_CONTOURS * Functional::STANDARD.len();
        }
        usize::from(self.egemaps.is_some()) * EGEMAPS_NAMES.len()
            + self.compare.as_ref().map_or(0, CompareSet::len)
    }

    /// Whether the set has no values (never, for a planned set).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Names of the values in output order (eGeMAPS names first, then the ComParE-like
    /// names; [`MFCC_SPECTRAL_SET`] values are `{contour}_{functional}`, contour-major,
    /// e.g. `mfcc0_mean`, `spectral_contrast6_slope`).
    pub fn names(&self) -> Vec<String> {
        if self.frames.is_some() {
            let contours = MFCC_SPECTRAL_KINDS.iter().flat_map(|k| {
                let rows = match k {
                    FeatureKind::Mfcc | FeatureKind::MfccDelta => 20,
                    FeatureKind::Contrast => 7,
                    _ => 1,
                };
                (0..rows).map(move |i| match rows {
                    1 => k.name().to_string(),
                    _ => format!("{}{i}", k.name()),
                })
            });
            return contours
                .flat_map(|c| {
                    Functional::STANDARD
                        .iter()
                        .map(move |f| format!("{c}_{}", f.name()))
                })
                .collect();
        }
        let mut names: Vec<String> = Vec::new();
        if self.egemaps.is_some() {
            names.extend(EGEMAPS_NAMES.iter().map(|s| s.to_string()));
        }
        if let Some(c) = &self.compare {
            names.extend(c.names());
        }
        names
    }

    /// The set's values for mono `samples` at the planned rate. Non-finite values (possible
    /// on degenerate input such as digital silence) are replaced by 0 so vectors stay usable.
    pub fn extract(&self, samples: &[f32]) -> Result<Vec<f32>> {
        if let Some(plan) = &self.frames {
            let (m, _) = plan.extract(samples, &MFCC_SPECTRAL_KINDS)?.stacked();
            let mut v = Vec::with_capacity(m.nrows() * Functional::STANDARD.len());
            for row in m.rows() {
                let row: Vec<f32> = row.to_vec();
                v.extend(compute(&row, &Functional::STANDARD));
            }
            return Ok(v);
        }
        let mut v = Vec::with_capacity(self.len());
        if let Some(e) = &self.egemaps {
            v.extend(e.process(samples)?.values);
        }
        if let Some(c) = &self.compare {
            v.extend(c.extract(samples)?.values);
        }
        for x in &mut v {
            if !x.is_finite() {
                *x = 0.0;
            }
        }
        Ok(v)
    }
}

/// The feature families [`family`] sorts value names into, in display order.
pub const FAMILIES: [&str; 6] = [
    "pitch / voicing",
    "loudness / energy",
    "voice quality",
    "formants",
    "spectral shape",
    "MFCC",
];

/// The family (one of [`FAMILIES`]) of a value named by [`FeatureSet::names`]: eGeMAPS,
/// ComParE-like and [`MFCC_SPECTRAL_SET`] names, by their descriptor.
///
/// ```
/// use ser_features::sets::family;
/// assert_eq!(family("F0semitoneFrom27.5Hz_sma3nz_amean"), "pitch / voicing");
/// assert_eq!(family("jitterLocal_sma3nz_amean"), "voice quality");
/// assert_eq!(family("mfcc_delta3_mean"), "MFCC");
/// assert_eq!(family("rms_slope"), "loudness / energy");
/// ```
pub fn family(name: &str) -> &'static str {
    let n = name.to_lowercase();
    let has = |s: &[&str]| s.iter().any(|p| n.contains(p));
    if has(&["jitter", "shimmer", "hnr", "h1-h2", "h1-a3"]) {
        FAMILIES[2]
    } else if has(&["f1frequency", "f1bandwidth", "f1amplitude", "f2", "f3"]) {
        FAMILIES[3]
    } else if has(&["f0", "voiced", "unvoiced"]) {
        FAMILIES[0]
    } else if has(&["loudness", "rms", "soundlevel", "energy"]) {
        FAMILIES[1]
    } else if has(&["mfcc"]) {
        FAMILIES[5]
    } else {
        FAMILIES[4]
    }
}

/// Number of values of set `name` at `sr` (plans it).
pub fn set_len(name: &str, sr: u32) -> Result<usize> {
    Ok(FeatureSet::new(name, sr)?.len())
}

/// Names of the values of set `name` at `sr` (plans it).
pub fn set_names(name: &str, sr: u32) -> Result<Vec<String>> {
    Ok(FeatureSet::new(name, sr)?.names())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_set_has_as_many_names_as_values_and_unknown_names_fail() {
        let want = [636, 88, 840, 928, 3358, 3446];
        for (name, n) in SET_NAMES.iter().zip(want) {
            let s = FeatureSet::new(name, 16_000).unwrap_or_else(|e| panic!("{name}: {e}"));
            let names = s.names();
            assert_eq!((s.len(), names.len()), (n, n), "{name}");
            let unique: std::collections::HashSet<&String> = names.iter().collect();
            assert_eq!(unique.len(), n, "{name} has duplicate names");
        }
        assert!(FeatureSet::new("nope", 16_000).is_err());
        let names = FeatureSet::new(MFCC_SPECTRAL_SET, 16_000).unwrap().names();
        assert_eq!(names[0], "mfcc0_mean");
        assert_eq!(names[20 * 12], "mfcc_delta0_mean");
        assert_eq!(
            names[635],
            format!("rms_{}", Functional::STANDARD[11].name())
        );
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
    }
}
