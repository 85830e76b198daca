//! The common label space, speaker attributes and label mappings across corpora.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// An emotion category in the common label space shared by all corpora.
///
/// Each corpus's own codes are mapped onto these names (EmoDB `W` → [`Anger`](Self::Anger),
/// RAVDESS `02` → [`Calm`](Self::Calm), TESS `ps` → [`Surprise`](Self::Surprise), …); the
/// original code is kept in [`Utterance::raw_label`](crate::Utterance::raw_label).
/// Labels outside the common space (e.g. IEMOCAP's `frustration` in a manifest) are kept as
/// [`Other`](Self::Other) with their lower-cased name.
///
/// Canonical names (used by [`Display`](fmt::Display), serde and manifests): `neutral`, `calm`,
/// `happiness`, `sadness`, `anger`, `fear`, `disgust`, `surprise`, `boredom`.
///
/// ```
/// use ser_data::EmotionLabel;
/// assert_eq!("angry".parse::<EmotionLabel>().unwrap(), EmotionLabel::Anger);
/// assert_eq!("ps".parse::<EmotionLabel>().unwrap(), EmotionLabel::Surprise);
/// assert_eq!(EmotionLabel::Happiness.to_string(), "happiness");
/// assert_eq!("Frustration".parse::<EmotionLabel>().unwrap(), EmotionLabel::Other("frustration".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EmotionLabel {
    /// Neutral.
    Neutral,
    /// Calm (RAVDESS only).
    Calm,
    /// Happiness / joy.
    Happiness,
    /// Sadness.
    Sadness,
    /// Anger.
    Anger,
    /// Fear.
    Fear,
    /// Disgust.
    Disgust,
    /// Surprise (TESS: "pleasant surprise").
    Surprise,
    /// Boredom (EmoDB only).
    Boredom,
    /// Any other label, lower-cased.
    Other(String),
}

impl EmotionLabel {
    /// The nine named labels of the common space, in canonical order.
    pub const NAMED: [EmotionLabel; 9] = [
        EmotionLabel::Neutral,
        EmotionLabel::Calm,
        EmotionLabel::Happiness,
        EmotionLabel::Sadness,
        EmotionLabel::Anger,
        EmotionLabel::Fear,
        EmotionLabel::Disgust,
        EmotionLabel::Surprise,
        EmotionLabel::Boredom,
    ];

    /// The canonical name (`"anger"`, …, or the [`Other`](Self::Other) text).
    pub fn as_str(&self) -> &str {
        match self {
            EmotionLabel::Neutral => "neutral",
            EmotionLabel::Calm => "calm",
            EmotionLabel::Happiness => "happiness",
            EmotionLabel::Sadness => "sadness",
            EmotionLabel::Anger => "anger",
            EmotionLabel::Fear => "fear",
            EmotionLabel::Disgust => "disgust",
            EmotionLabel::Surprise => "surprise",
            EmotionLabel::Boredom => "boredom",
            EmotionLabel::Other(s) => s,
        }
    }
}

impl fmt::Display for EmotionLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EmotionLabel {
    type Err = Error;

    /// Parses a canonical name or a common synonym, case-insensitively: `happy`/`joy`/`hap`,
    /// `sad`, `angry`/`ang`, `fearful`/`afraid`/`fea`, `disgusted`/`dis`,
    /// `surprised`/`sur`/`ps`/`pleasant_surprise`, `neu`, `bored`. Any other non-empty text
    /// becomes [`EmotionLabel::Other`]; an empty string is an error.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_lowercase();
        Ok(match t.as_str() {
            "" => return Err(Error::InvalidArgument("empty emotion label".into())),
            "neutral" | "neu" => EmotionLabel::Neutral,
            "calm" => EmotionLabel::Calm,
            "happiness" | "happy" | "hap" | "joy" => EmotionLabel::Happiness,
            "sadness" | "sad" => EmotionLabel::Sadness,
            "anger" | "angry" | "ang" => EmotionLabel::Anger,
            "fear" | "fearful" | "afraid" | "fea" => EmotionLabel::Fear,
            "disgust" | "disgusted" | "dis" => EmotionLabel::Disgust,
            "surprise" | "surprised" | "sur" | "ps" | "pleasant_surprise"
            | "pleasant_surprised" | "pleasant surprise" => EmotionLabel::Surprise,
            "boredom" | "bored" => EmotionLabel::Boredom,
            _ => EmotionLabel::Other(t),
        })
    }
}

impl Serialize for EmotionLabel {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EmotionLabel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A speaker's gender as documented by the corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Gender {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Not documented (e.g. CREMA-D without `VideoDemographics.csv`).
    #[default]
    Unknown,
}

impl Gender {
    /// `"male"`, `"female"` or `"unknown"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Gender {
    type Err = Error;

    /// Accepts `male`/`m`/`man`, `female`/`f`/`woman`/`w`, and `unknown`/`u`/empty,
    /// case-insensitively; anything else is an error.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_lowercase().as_str() {
            "male" | "m" | "man" => Ok(Gender::Male),
            "female" | "f" | "woman" | "w" => Ok(Gender::Female),
            "" | "unknown" | "u" | "na" | "n/a" => Ok(Gender::Unknown),
            other => Err(Error::InvalidArgument(format!(
                "unknown gender {other:?} (expected male/female/unknown)"
            ))),
        }
    }
}

impl Serialize for Gender {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Gender {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Emotional intensity, where the corpus annotates it.
///
/// CREMA-D: `LO` → [`Low`](Self::Low), `MD` → [`Medium`](Self::Medium), `HI` →
/// [`High`](Self::High), `XX` → [`Unspecified`](Self::Unspecified).
/// RAVDESS: `01` (normal) → [`Medium`](Self::Medium), `02` (strong) → [`High`](Self::High).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intensity {
    /// Low.
    Low,
    /// Medium / normal.
    Medium,
    /// High / strong.
    High,
    /// Annotated as unspecified.
    Unspecified,
}

impl FromStr for Intensity {
    type Err = Error;

    /// Accepts `low`/`lo`, `medium`/`md`/`normal`, `high`/`hi`/`strong`,
    /// `unspecified`/`xx`, case-insensitively.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_lowercase().as_str() {
            "low" | "lo" => Ok(Intensity::Low),
            "medium" | "md" | "normal" => Ok(Intensity::Medium),
            "high" | "hi" | "strong" => Ok(Intensity::High),
            "unspecified" | "xx" => Ok(Intensity::Unspecified),
            other => Err(Error::InvalidArgument(format!(
                "unknown intensity {other:?} (expected low/medium/high/unspecified)"
            ))),
        }
    }
}

/// A predefined partition given by a manifest's `split` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Training data.
    Train,
    /// Validation / development data.
    Validation,
    /// Test data.
    Test,
}

impl FromStr for Split {
    type Err = Error;

    /// Accepts `train`, `validation`/`valid`/`val`/`dev`, `test`, case-insensitively.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_lowercase().as_str() {
            "train" | "training" => Ok(Split::Train),
            "validation" | "valid" | "val" | "dev" | "development" => Ok(Split::Validation),
            "test" | "testing" => Ok(Split::Test),
            other => Err(Error::InvalidArgument(format!(
                "unknown split {other:?} (expected train/validation/test)"
            ))),
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Validation => "validation",
            Split::Test => "test",
        })
    }
}

/// A mapping from corpus labels onto an ordered set of target classes.
///
/// Labels listed as classes map to themselves, [`merge`](Self::merge)d labels map to their
/// target, and every other label is **dropped** (its utterances are removed by
/// [`Corpus::map_labels`](crate::Corpus::map_labels)). Class indices follow the order of
/// [`classes`](Self::classes).
///
/// Presets:
/// - [`four_class`](Self::four_class): anger, happiness, sadness, neutral (the usual
///   cross-corpus 4-class task). Calm, surprise, fear, disgust and boredom are dropped; call
///   [`calm_as_neutral`](Self::calm_as_neutral) to merge RAVDESS calm into neutral instead.
/// - [`native`](Self::native): every label a corpus kind defines (e.g. EmoDB's 7); use
///   [`drop`](Self::drop) to remove, say, EmoDB boredom and disgust.
/// - [`from_corpus`](Self::from_corpus): every label present in a loaded corpus.
///
/// ```
/// use ser_data::{EmotionLabel as E, LabelMapping};
/// let m = LabelMapping::four_class().calm_as_neutral();
/// assert_eq!(m.class_index(&E::Anger), Some(0));
/// assert_eq!(m.class_index(&E::Calm), Some(3)); // merged into neutral
/// assert_eq!(m.class_index(&E::Surprise), None); // dropped
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelMapping {
    classes: Vec<EmotionLabel>,
    merges: BTreeMap<EmotionLabel, EmotionLabel>,
}

impl LabelMapping {
    /// A mapping that keeps exactly `classes` (in that order) and drops everything else.
    ///
    /// Errors on an empty list or a duplicated class.
    pub fn new(classes: impl IntoIterator<Item = EmotionLabel>) -> Result<Self> {
        let classes: Vec<EmotionLabel> = classes.into_iter().collect();
        if classes.is_empty() {
            return Err(Error::InvalidArgument(
                "a label mapping needs at least one class".into(),
            ));
        }
        for (i, c) in classes.iter().enumerate() {
            if classes[..i].contains(c) {
                return Err(Error::InvalidArgument(format!("class {c} listed twice")));
            }
        }
        Ok(LabelMapping {
            classes,
            merges: BTreeMap::new(),
        })
    }

    /// Anger, happiness, sadness, neutral (indices 0–3); everything else dropped.
    pub fn four_class() -> Self {
        LabelMapping {
            classes: vec![
                EmotionLabel::Anger,
                EmotionLabel::Happiness,
                EmotionLabel::Sadness,
                EmotionLabel::Neutral,
            ],
            merges: BTreeMap::new(),
        }
    }

    /// Every label that `kind` defines, in the common canonical order.
    ///
    /// Errors for [`CorpusKind::Manifest`](crate::CorpusKind::Manifest), which defines no
    /// labels (use [`from_corpus`](Self::from_corpus)).
    pub fn native(kind: crate::CorpusKind) -> Result<Self> {
        LabelMapping::new(kind.labels())
    }

    /// Every label present in `corpus`, in canonical order ([`EmotionLabel::NAMED`] first,
    /// then [`Other`](EmotionLabel::Other) labels alphabetically). Errors on an empty corpus.
    pub fn from_corpus(corpus: &crate::Corpus) -> Result<Self> {
        let set: std::collections::BTreeSet<EmotionLabel> =
            corpus.utterances.iter().map(|u| u.label.clone()).collect();
        LabelMapping::new(set)
    }

    /// Merges RAVDESS calm into neutral (requires neutral to be a class; otherwise unchanged).
    pub fn calm_as_neutral(self) -> Self {
        match self
            .clone()
            .merge(EmotionLabel::Calm, EmotionLabel::Neutral)
        {
            Ok(m) => m,
            Err(_) => self,
        }
    }

    /// Maps `from` onto the existing class `into` (removing `from` from the classes if it was
    /// one). Errors when `into` is not a class or `from == into`.
    pub fn merge(mut self, from: EmotionLabel, into: EmotionLabel) -> Result<Self> {
        if from == into || !self.classes.contains(&into) {
            return Err(Error::InvalidArgument(format!(
                "cannot merge {from} into {into}: target must be a different existing class"
            )));
        }
        self.classes.retain(|c| *c != from);
        // Re-point earlier merges that targeted `from`.
        for v in self.merges.values_mut() {
            if *v == from {
                *v = into.clone();
            }
        }
        self.merges.insert(from, into);
        Ok(self)
    }

    /// Drops `label` (removes it as a class and as a merge source).
    pub fn drop(mut self, label: &EmotionLabel) -> Self {
        self.classes.retain(|c| c != label);
        self.merges.remove(label);
        self.merges.retain(|_, v| v != label);
        self
    }

    /// The target classes in index order.
    pub fn classes(&self) -> &[EmotionLabel] {
        &self.classes
    }

    /// The number of target classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// The target class of `label`, or `None` when it is dropped.
    pub fn map(&self, label: &EmotionLabel) -> Option<&EmotionLabel> {
        let target = self.merges.get(label).unwrap_or(label);
        self.classes.iter().find(|c| *c == target)
    }

    /// The class index of `label`, or `None` when it is dropped.
    pub fn class_index(&self, label: &EmotionLabel) -> Option<usize> {
        let target = self.merges.get(label).unwrap_or(label);
        self.classes.iter().position(|c| c == target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_round_trip() {
        for l in EmotionLabel::NAMED {
            assert_eq!(l.as_str().parse::<EmotionLabel>().ok(), Some(l.clone()));
            let j = serde_json::to_string(&l).ok();
            assert_eq!(j, Some(format!("\"{}\"", l.as_str())));
        }
        assert!("".parse::<EmotionLabel>().is_err());
        assert!("  ".parse::<EmotionLabel>().is_err());
    }

    #[test]
    fn gender_and_split_parse() {
        assert_eq!("M".parse::<Gender>().ok(), Some(Gender::Male));
        assert_eq!("female".parse::<Gender>().ok(), Some(Gender::Female));
        assert_eq!("".parse::<Gender>().ok(), Some(Gender::Unknown));
        assert!("x".parse::<Gender>().is_err());
        assert_eq!("dev".parse::<Split>().ok(), Some(Split::Validation));
        assert!("fold3".parse::<Split>().is_err());
        assert_eq!("XX".parse::<Intensity>().ok(), Some(Intensity::Unspecified));
        assert_eq!("strong".parse::<Intensity>().ok(), Some(Intensity::High));
    }

    #[test]
    fn mapping_presets() {
        let m = LabelMapping::four_class();
        assert_eq!(m.n_classes(), 4);
        assert_eq!(m.class_index(&EmotionLabel::Calm), None);
        assert_eq!(m.class_index(&EmotionLabel::Boredom), None);
        let m = m.calm_as_neutral();
        assert_eq!(m.class_index(&EmotionLabel::Calm), Some(3));
        assert_eq!(m.map(&EmotionLabel::Calm), Some(&EmotionLabel::Neutral));

        assert!(LabelMapping::native(crate::CorpusKind::Manifest).is_err());
        let emodb = LabelMapping::native(crate::CorpusKind::EmoDb).expect("7 classes");
        assert_eq!(emodb.n_classes(), 7);
        let five = emodb
            .drop(&EmotionLabel::Boredom)
            .drop(&EmotionLabel::Disgust);
        assert_eq!(five.n_classes(), 5);
        assert_eq!(five.class_index(&EmotionLabel::Disgust), None);
    }

    #[test]
    fn mapping_errors() {
        assert!(LabelMapping::new(Vec::new()).is_err());
        assert!(LabelMapping::new([EmotionLabel::Anger, EmotionLabel::Anger]).is_err());
        let m = LabelMapping::four_class();
        assert!(m
            .clone()
            .merge(EmotionLabel::Calm, EmotionLabel::Surprise)
            .is_err());
        assert!(m.merge(EmotionLabel::Anger, EmotionLabel::Anger).is_err());
        // Chained merge: calm -> neutral, then neutral -> sadness re-points calm.
        let m = LabelMapping::four_class()
            .calm_as_neutral()
            .merge(EmotionLabel::Neutral, EmotionLabel::Sadness)
            .expect("valid merge");
        assert_eq!(m.class_index(&EmotionLabel::Calm), Some(2));
        assert_eq!(m.n_classes(), 3);
    }
}
