//! TESS, Toronto Emotional Speech Set (Dupuis & Pichora-Fuller 2010):
//! `SPK_word_emotion.wav`, e.g. `OAF_back_angry.wav`.
//!
//! `SPK` is OAF (older adult female, aged 64) or YAF (younger adult female, aged 26); `word`
//! is the target word of the carrier phrase "Say the word …"; `emotion` is angry, disgust,
//! fear, happy, neutral, sad, or pleasant surprise written `ps`, `pleasant_surprise` or
//! `pleasant_surprised` (all three spellings occur in distributed copies). Matching is
//! case-insensitive (copies differ in case too); the word is stored lower-case.

use std::path::Path;

use super::{stem, Parsed};
use crate::{EmotionLabel, Gender};

/// Speakers: (id, age).
pub(crate) const SPEAKERS: [(&str, u32); 2] = [("OAF", 64), ("YAF", 26)];

/// Emotion suffixes (longest first so `pleasant_surprise` wins over a shorter match).
pub(crate) const EMOTIONS: [(&str, EmotionLabel); 9] = [
    ("pleasant_surprised", EmotionLabel::Surprise),
    ("pleasant_surprise", EmotionLabel::Surprise),
    ("neutral", EmotionLabel::Neutral),
    ("disgust", EmotionLabel::Disgust),
    ("angry", EmotionLabel::Anger),
    ("happy", EmotionLabel::Happiness),
    ("fear", EmotionLabel::Fear),
    ("sad", EmotionLabel::Sadness),
    ("ps", EmotionLabel::Surprise),
];

pub(crate) fn parse(path: &Path) -> Result<Parsed, String> {
    let s = stem(path)?;
    let lower = s.to_lowercase();
    let (speaker, age) = SPEAKERS
        .iter()
        .find(|(id, _)| lower.starts_with(&format!("{}_", id.to_lowercase())))
        .ok_or_else(|| format!("{s:?} does not start with OAF_ or YAF_"))?;
    let rest = &lower[4..];
    let (word, code, label) = EMOTIONS
        .iter()
        .find_map(|(code, label)| {
            rest.strip_suffix(code)
                .and_then(|w| w.strip_suffix('_'))
                .map(|w| (w, *code, label))
        })
        .ok_or_else(|| {
            format!(
                "{s:?} does not end with a TESS emotion (angry, disgust, fear, happy, neutral, ps, \
                 pleasant_surprise, sad)"
            )
        })?;
    if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!(
            "target word {word:?} is not a single alphabetic word"
        ));
    }
    Ok(Parsed {
        label: label.clone(),
        raw_label: code.to_string(),
        speaker: (*speaker).to_string(),
        gender: Gender::Female,
        age: Some(*age),
        sentence_id: Some(word.to_string()),
        transcript: Some(format!("Say the word {word}")),
        intensity: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_variants() {
        let p = parse(Path::new("OAF_angry/OAF_back_angry.wav")).expect("valid");
        assert_eq!(p.label, EmotionLabel::Anger);
        assert_eq!(p.speaker, "OAF");
        assert_eq!(p.gender, Gender::Female);
        assert_eq!(p.age, Some(64));
        assert_eq!(p.sentence_id.as_deref(), Some("back"));
        assert_eq!(p.transcript.as_deref(), Some("Say the word back"));
        for ps in [
            "YAF_bath_ps.wav",
            "YAF_bath_pleasant_surprise.wav",
            "yaf_Bath_Pleasant_Surprised.wav",
        ] {
            let p = parse(Path::new(ps)).expect("valid");
            assert_eq!(p.label, EmotionLabel::Surprise, "{ps}");
            assert_eq!(p.speaker, "YAF");
            assert_eq!(p.sentence_id.as_deref(), Some("bath"));
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "MAF_back_angry.wav",  // unknown speaker
            "OAF_back_bored.wav",  // unknown emotion
            "OAF_angry.wav",       // no word
            "OAF_back_up_sad.wav", // two words
            "OAF_b4ck_sad.wav",    // non-alphabetic word
            "OAFback_sad.wav",     // no separator
        ] {
            assert!(parse(Path::new(bad)).is_err(), "{bad} accepted");
        }
    }
}
