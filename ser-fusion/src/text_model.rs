//! A saved text-emotion model: what the linguistic branch says about a transcript.
//!
//! A model directory holds `head.safetensors` (a [`MultiLabelModel`] over GoEmotions'
//! 28 labels) and `config.json` ([`TextModelCard`]: labels, dev-tuned thresholds, the text
//! representation, the path of the sentence encoder and the training summary). The sentence
//! encoder (all-MiniLM-L6-v2, 90 MB) is not copied into the directory: the card names it by
//! a path relative to the directory (then to the working directory), as `ser-models` does for
//! the Whisper encoder.
//!
//! [`TextEmotionModel::predict`] gives the VADER compound score, the 28 label probabilities
//! and a distribution over GoEmotions' Ekman groups ([`EKMAN_GROUPS`]): each group scores
//! the largest probability among its labels (a maximum, so the 12-label *joy* group is not
//! favoured), normalised to sum to one.
//!
//! ```
//! use ser_fusion::text_model::{group_distribution, EKMAN_GROUPS};
//! let labels: Vec<String> = ["anger", "joy", "neutral"].iter().map(|s| s.to_string()).collect();
//! let g = group_distribution(&labels, &[0.6, 0.2, 0.2]);
//! assert_eq!(g.len(), EKMAN_GROUPS.len());
//! assert_eq!(g[0].0, "anger");
//! assert!((g[0].1 - 0.6).abs() < 1e-6);
//! ```

use std::path::{Path, PathBuf};

use ser_features::linguistic::{SentenceEncoder, Vader};
use serde::{Deserialize, Serialize};

use crate::multilabel::MultiLabelModel;
use crate::text::{text_vectors, TextRepr};
use crate::{Error, Result};

/// Format tag of [`TextModelCard`].
pub const TEXT_MODEL_FORMAT: &str = "ser-text-emotion/1";

/// GoEmotions' Ekman mapping (`ekman_mapping.json` of the dataset release) + neutral.
pub const EKMAN_GROUPS: [(&str, &[&str]); 7] = [
    ("anger", &["anger", "annoyance", "disapproval"]),
    ("disgust", &["disgust"]),
    ("fear", &["fear", "nervousness"]),
    (
        "joy",
        &[
            "joy",
            "amusement",
            "approval",
            "excitement",
            "gratitude",
            "love",
            "optimism",
            "relief",
            "pride",
            "admiration",
            "desire",
            "caring",
        ],
    ),
    (
        "sadness",
        &[
            "sadness",
            "disappointment",
            "embarrassment",
            "grief",
            "remorse",
        ],
    ),
    (
        "surprise",
        &["surprise", "realization", "confusion", "curiosity"],
    ),
    ("neutral", &["neutral"]),
];

/// Index into [`EKMAN_GROUPS`] of a GoEmotions label, if it belongs to one.
pub fn ekman_group(label: &str) -> Option<usize> {
    EKMAN_GROUPS.iter().position(|(_, ls)| ls.contains(&label))
}

/// `(group, probability)` for every Ekman group: the maximum label probability in each group,
/// normalised to sum to one (uniform when every score is zero).
pub fn group_distribution(labels: &[String], proba: &[f32]) -> Vec<(String, f32)> {
    let mut score = [0f32; EKMAN_GROUPS.len()];
    for (l, &p) in labels.iter().zip(proba) {
        if let Some(g) = ekman_group(l) {
            score[g] = score[g].max(p);
        }
    }
    let sum: f32 = score.iter().sum();
    EKMAN_GROUPS
        .iter()
        .zip(score)
        .map(|((name, _), s)| {
            let p = if sum > 0.0 {
                s / sum
            } else {
                1.0 / EKMAN_GROUPS.len() as f32
            };
            (name.to_string(), p)
        })
        .collect()
}

/// Name of the Ekman group a speech-emotion class reads from the text
/// (`happiness` ← joy, `calm` ← neutral, otherwise the same name).
pub fn ekman_of(label: &str) -> &str {
    match label {
        "happiness" => "joy",
        "calm" => "neutral",
        l => l,
    }
}

/// The text's Ekman distribution as a posterior over the classes `labels` of an acoustic
/// model: a group shared by several classes is split evenly; classes without a group (e.g.
/// boredom) get a floor of 1e-3 before renormalising.
pub fn text_posterior(labels: &[String], groups: &[(String, f32)]) -> Vec<f32> {
    let count = |g: &str| labels.iter().filter(|l| ekman_of(l) == g).count().max(1) as f32;
    let mut p: Vec<f32> = labels
        .iter()
        .map(|l| {
            let g = ekman_of(l);
            groups
                .iter()
                .find(|(n, _)| n == g)
                .map_or(0.0, |(_, v)| v / count(g))
                + 1e-3
        })
        .collect();
    let s: f32 = p.iter().sum();
    p.iter_mut().for_each(|v| *v /= s);
    p
}

/// How the acoustic and text posteriors are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FusionRule {
    /// `w·pa + (1−w)·pt`.
    Late,
    /// Text can only add an emotion: its non-neutral mass `s = (1−w)·(1 − pt(neutral))`
    /// replaces that share of the acoustic posterior, so neutral words defer to the voice.
    Defer,
}

/// A fusion rule with its acoustic weight `w` in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FusionWeight {
    /// The rule.
    pub rule: FusionRule,
    /// Acoustic weight.
    pub acoustic_weight: f32,
}

impl FusionWeight {
    /// Fused posterior over the acoustic model's classes `labels` (`pt` already mapped with
    /// [`text_posterior`]); `None` text gives the acoustic posterior. Also returns the acoustic
    /// share of the winning class's fused probability (1 = decided by the voice alone).
    ///
    /// ```
    /// use ser_fusion::text_model::{FusionRule, FusionWeight};
    /// let labels: Vec<String> = ["neutral", "anger"].iter().map(|s| s.to_string()).collect();
    /// let f = FusionWeight { rule: FusionRule::Defer, acoustic_weight: 0.5 };
    /// // Neutral words: the voice decides.
    /// let (p, share) = f.fuse(&labels, &[0.2, 0.8], Some(&[1.0, 0.0]));
    /// assert_eq!(p, vec![0.2, 0.8]);
    /// assert_eq!(share, 1.0);
    /// // Angry words move half of the posterior to anger.
    /// let (p, _) = f.fuse(&labels, &[0.8, 0.2], Some(&[0.0, 1.0]));
    /// assert!((p[1] - 0.6).abs() < 1e-6);
    /// ```
    pub fn fuse(&self, labels: &[String], pa: &[f32], pt: Option<&[f32]>) -> (Vec<f32>, f32) {
        let Some(pt) = pt else {
            return (pa.to_vec(), 1.0);
        };
        let w = self.acoustic_weight.clamp(0.0, 1.0);
        let (p, acoustic_scale): (Vec<f32>, f32) = match self.rule {
            FusionRule::Late => (
                pa.iter()
                    .zip(pt)
                    .map(|(a, t)| w * a + (1.0 - w) * t)
                    .collect(),
                w,
            ),
            FusionRule::Defer => {
                let neutral: Vec<bool> = labels.iter().map(|l| ekman_of(l) == "neutral").collect();
                let pn: f32 = pt
                    .iter()
                    .zip(&neutral)
                    .filter(|(_, n)| **n)
                    .map(|(v, _)| v)
                    .sum();
                let rest = (1.0 - pn).max(1e-6);
                let s = (1.0 - w) * (1.0 - pn);
                (
                    pa.iter()
                        .zip(pt)
                        .zip(&neutral)
                        .map(|((a, t), n)| (1.0 - s) * a + if *n { 0.0 } else { s * t / rest })
                        .collect(),
                    1.0 - s,
                )
            }
        };
        let top = ser_metrics::argmax(&p);
        let share = if p.is_empty() {
            1.0
        } else {
            (acoustic_scale * pa[top] / p[top].max(1e-12)).min(1.0)
        };
        (p, share)
    }
}

/// `config.json` of a text-emotion model directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextModelCard {
    /// [`TEXT_MODEL_FORMAT`].
    pub format: String,
    /// Label names in head order (GoEmotions' 28).
    pub labels: Vec<String>,
    /// Per-label decision thresholds tuned on development data.
    pub thresholds: Vec<f32>,
    /// Text vector layout the head was trained on.
    pub repr: TextRepr,
    /// Sentence-encoder directory, relative to the model directory (then to the working
    /// directory); `None` for a lexical-only head.
    pub encoder: Option<String>,
    /// Languages the text features are valid for (ISO 639-1; VADER and MiniLM: `["en"]`).
    pub languages: Vec<String>,
    /// Free-form training summary (data, scores, command).
    #[serde(default)]
    pub training: serde_json::Value,
    /// How `recognize --transcribe` fuses this model with an acoustic posterior (chosen by
    /// the `fusion-asr` evaluation); `None`: no fused answer.
    #[serde(default)]
    pub fusion: Option<FusionWeight>,
}

/// What the text branch says about one transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextEmotion {
    /// VADER compound polarity in [-1, 1].
    pub vader_compound: f32,
    /// `(label, probability)` for every head label, in head order.
    pub labels: Vec<(String, f32)>,
    /// Labels at or above their tuned threshold (the most probable one if none is).
    pub active: Vec<String>,
    /// `(Ekman group, probability)` from [`group_distribution`].
    pub groups: Vec<(String, f32)>,
    /// Most probable Ekman group.
    pub top_group: String,
}

/// A loaded text-emotion model (head + sentence encoder).
#[derive(Debug)]
pub struct TextEmotionModel {
    card: TextModelCard,
    head: MultiLabelModel,
    encoder: Option<SentenceEncoder>,
    dir: PathBuf,
}

/// Resolves `rel` against `dir` first, then the working directory.
fn resolve(dir: &Path, rel: &str) -> PathBuf {
    let in_dir = dir.join(rel);
    if in_dir.exists() {
        in_dir
    } else {
        PathBuf::from(rel)
    }
}

impl TextEmotionModel {
    /// Writes `head.safetensors` and `config.json` into `dir` (created if needed).
    pub fn save(dir: impl AsRef<Path>, card: &TextModelCard, head: &MultiLabelModel) -> Result<()> {
        let dir = dir.as_ref();
        Self::check(card, head)?;
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        head.save(dir.join("head.safetensors"))?;
        let json = serde_json::to_string_pretty(card)
            .map_err(|e| Error::InvalidArgument(format!("card: {e}")))?;
        let f = dir.join("config.json");
        std::fs::write(&f, json).map_err(|e| io_err(&f, e))?;
        Ok(())
    }

    fn check(card: &TextModelCard, head: &MultiLabelModel) -> Result<()> {
        if card.format != TEXT_MODEL_FORMAT {
            return Err(Error::InvalidArgument(format!(
                "text model format `{}`, expected `{TEXT_MODEL_FORMAT}`",
                card.format
            )));
        }
        for (what, n) in [
            ("labels", card.labels.len()),
            ("thresholds", card.thresholds.len()),
        ] {
            if n != head.n_labels {
                return Err(Error::ShapeMismatch {
                    what: format!("text model {what}"),
                    expected: head.n_labels,
                    got: n,
                });
            }
        }
        Ok(())
    }

    /// Loads a directory written by [`TextEmotionModel::save`]. A card that names a sentence
    /// encoder which cannot be found is an error (saying where it looked), never a silent
    /// fall-back to other features.
    ///
    /// ```no_run
    /// use ser_fusion::TextEmotionModel;
    /// // The card's sentence encoder, models/all-MiniLM-L6-v2, comes from scripts/fetch_minilm.sh.
    /// let model = TextEmotionModel::load("models/text-emotion")?;
    /// let e = model.predict("I can't believe you did this to me!")?;
    /// assert_eq!(e.labels.len(), model.card().labels.len());
    /// println!("{} {:?}", e.top_group, e.active);
    /// # Ok::<(), ser_fusion::Error>(())
    /// ```
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let f = dir.join("config.json");
        let text = std::fs::read_to_string(&f).map_err(|e| io_err(&f, e))?;
        let card: TextModelCard = serde_json::from_str(&text)
            .map_err(|e| Error::InvalidArgument(format!("{}: {e}", f.display())))?;
        let head = MultiLabelModel::load(dir.join("head.safetensors"))?;
        Self::check(&card, &head)?;
        let encoder = match &card.encoder {
            Some(rel) => {
                let p = resolve(dir, rel);
                if !p.exists() {
                    return Err(Error::InvalidArgument(format!(
                        "sentence encoder `{rel}` not found (looked in {} and the working \
                         directory; scripts/fetch_minilm.sh fetches it)",
                        dir.display()
                    )));
                }
                Some(SentenceEncoder::from_dir(&p)?)
            }
            None => None,
        };
        let dim = match (card.repr, &encoder) {
            (TextRepr::Lexical, _) | (_, None) => 22,
            (TextRepr::Embedding, Some(e)) => e.dim(),
            (TextRepr::Both, Some(e)) => 22 + e.dim(),
        };
        if dim != head.input_dim() {
            return Err(Error::ShapeMismatch {
                what: "text vector (encoder vs head)".into(),
                expected: head.input_dim(),
                got: dim,
            });
        }
        Ok(Self {
            card,
            head,
            encoder,
            dir: dir.to_path_buf(),
        })
    }

    /// The model card.
    pub fn card(&self) -> &TextModelCard {
        &self.card
    }

    /// The directory it was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the text features are valid for `language` (ISO 639-1, e.g. `"en"`).
    pub fn supports_language(&self, language: &str) -> bool {
        self.card.languages.iter().any(|l| l == language)
    }

    /// Text emotion of each transcript (empty or whitespace-only text is an error: there is
    /// nothing to classify).
    pub fn predict_many<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<TextEmotion>> {
        if let Some(i) = texts.iter().position(|t| t.as_ref().trim().is_empty()) {
            return Err(Error::InvalidArgument(format!("transcript {i} is empty")));
        }
        let owned: Vec<Option<String>> =
            texts.iter().map(|t| Some(t.as_ref().to_string())).collect();
        let rows: Vec<Vec<f32>> = text_vectors(&owned, self.card.repr, self.encoder.as_ref())?
            .into_iter()
            .flatten()
            .collect();
        let proba = self.head.predict_proba(&rows)?;
        let vader = Vader::shared();
        Ok(texts
            .iter()
            .zip(proba)
            .map(|(t, p)| {
                let mut active: Vec<String> = p
                    .iter()
                    .zip(&self.card.thresholds)
                    .zip(&self.card.labels)
                    .filter(|((p, th), _)| p >= th)
                    .map(|(_, l)| l.clone())
                    .collect();
                if active.is_empty() {
                    let best = (0..p.len())
                        .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                        .unwrap_or(0);
                    active.push(self.card.labels[best].clone());
                }
                let groups = group_distribution(&self.card.labels, &p);
                let top_group = groups
                    .iter()
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|g| g.0.clone())
                    .unwrap_or_default();
                TextEmotion {
                    vader_compound: vader.polarity_scores(t.as_ref()).compound as f32,
                    labels: self.card.labels.iter().cloned().zip(p).collect(),
                    active,
                    groups,
                    top_group,
                }
            })
            .collect())
    }

    /// Text emotion of one transcript.
    pub fn predict(&self, text: &str) -> Result<TextEmotion> {
        let mut v = self.predict_many(&[text])?;
        v.pop()
            .ok_or_else(|| Error::InvalidArgument("no prediction".into()))
    }
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::InvalidArgument(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ser_models::TrainConfig;

    fn tiny_model(dir: &Path) -> TextModelCard {
        let texts = [
            "I love this, thank you so much!",
            "This is terrible and I hate it.",
            "The meeting is at noon.",
            "What a wonderful surprise!",
            "I am so sad and lonely.",
            "Stop it right now, you idiot.",
        ];
        let labels: Vec<String> = ["joy", "anger", "neutral", "sadness"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let y: Vec<Vec<usize>> = vec![vec![0], vec![1], vec![2], vec![0], vec![3], vec![1]];
        let owned: Vec<Option<String>> = texts.iter().map(|t| Some(t.to_string())).collect();
        let x: Vec<Vec<f32>> = text_vectors(&owned, TextRepr::Lexical, None)
            .expect("vectors")
            .into_iter()
            .flatten()
            .collect();
        let tc = TrainConfig::default()
            .epochs(30)
            .batch_size(6)
            .lr(1e-2)
            .seed(0);
        let head = MultiLabelModel::fit(&x, &y, 4, 0, 0.0, &tc, None).expect("fit");
        let card = TextModelCard {
            format: TEXT_MODEL_FORMAT.into(),
            labels,
            thresholds: vec![0.5; 4],
            repr: TextRepr::Lexical,
            encoder: None,
            languages: vec!["en".into()],
            training: serde_json::Value::Null,
            fusion: None,
        };
        TextEmotionModel::save(dir, &card, &head).expect("save");
        card
    }

    #[test]
    fn save_load_predict() {
        let dir = tempfile::tempdir().expect("tmp");
        let card = tiny_model(dir.path());
        let m = TextEmotionModel::load(dir.path()).expect("load");
        assert_eq!(m.card(), &card);
        assert!(m.supports_language("en") && !m.supports_language("de"));
        let t = m.predict("I love it, thanks!").expect("predict");
        assert!(t.vader_compound > 0.5, "{}", t.vader_compound);
        assert_eq!(t.labels.len(), 4);
        let s: f32 = t.groups.iter().map(|g| g.1).sum();
        assert!((s - 1.0).abs() < 1e-5);
        assert!(!t.active.is_empty());
        assert!(EKMAN_GROUPS.iter().any(|(g, _)| *g == t.top_group));
        // Empty text: an error, not an emotion.
        assert!(m.predict("  ").is_err());
    }

    #[test]
    fn missing_encoder_and_bad_cards_are_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut card = tiny_model(dir.path());
        let head = MultiLabelModel::load(dir.path().join("head.safetensors")).expect("head");
        card.encoder = Some("no-such-minilm".into());
        TextEmotionModel::save(dir.path(), &card, &head).expect("save");
        let e = TextEmotionModel::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("no-such-minilm"), "{e}");
        card.encoder = None;
        card.thresholds.pop();
        assert!(TextEmotionModel::save(dir.path(), &card, &head).is_err());
        card.thresholds.push(0.5);
        card.format = "other/1".into();
        assert!(TextEmotionModel::save(dir.path(), &card, &head).is_err());
        assert!(TextEmotionModel::load(dir.path().join("absent")).is_err());
    }

    #[test]
    fn text_posterior_and_fusion_rules() {
        let labels: Vec<String> = ["neutral", "calm", "happiness", "anger", "boredom"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let groups: Vec<(String, f32)> = [("joy", 0.6f32), ("neutral", 0.4), ("anger", 0.0)]
            .iter()
            .map(|(n, v)| (n.to_string(), *v))
            .collect();
        let pt = text_posterior(&labels, &groups);
        assert!((pt.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        // Neutral is shared by neutral and calm; boredom only gets the floor.
        assert!((pt[0] - pt[1]).abs() < 1e-6 && pt[0] > 0.19 && pt[0] < 0.21);
        assert!(pt[4] < 0.01 && pt[2] > 0.59);
        let pa = [0.1f32, 0.1, 0.1, 0.6, 0.1];
        for rule in [FusionRule::Late, FusionRule::Defer] {
            // w = 1: the voice alone.
            let f = FusionWeight {
                rule,
                acoustic_weight: 1.0,
            };
            let (p, share) = f.fuse(&labels, &pa, Some(&pt));
            assert!(p.iter().zip(&pa).all(|(a, b)| (a - b).abs() < 1e-6));
            assert!((share - 1.0).abs() < 1e-6);
            // w = 0: late gives the text; defer keeps the voice for the neutral share.
            let f = FusionWeight {
                rule,
                acoustic_weight: 0.0,
            };
            let (p, share) = f.fuse(&labels, &pa, Some(&pt));
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            assert!(share < 0.5, "{rule:?} {share}");
            // No text: the acoustic posterior.
            assert_eq!(f.fuse(&labels, &pa, None), (pa.to_vec(), 1.0));
        }
        let (p, _) = FusionWeight {
            rule: FusionRule::Defer,
            acoustic_weight: 0.0,
        }
        .fuse(&labels, &pa, Some(&pt));
        // Defer at w = 0: the non-neutral text mass replaces that share of the voice.
        let pn = pt[0] + pt[1];
        assert!((p[2] - (pn * pa[2] + pt[2])).abs() < 1e-5);
    }

    #[test]
    fn groups_take_the_maximum_member() {
        let labels: Vec<String> = ["joy", "love", "anger", "curiosity"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let g = group_distribution(&labels, &[0.2, 0.4, 0.4, 0.0]);
        let get = |n: &str| g.iter().find(|x| x.0 == n).map(|x| x.1).unwrap_or(-1.0);
        assert!((get("joy") - 0.5).abs() < 1e-6);
        assert!((get("anger") - 0.5).abs() < 1e-6);
        assert_eq!(get("surprise"), 0.0);
        let u = group_distribution(&labels, &[0.0; 4]);
        assert!(u.iter().all(|x| (x.1 - 1.0 / 7.0).abs() < 1e-6));
    }
}
