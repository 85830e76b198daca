//! EmoDB (Burkhardt et al. 2005): `SSTTTEV.wav`.
//!
//! `SS` speaker (03, 08–16), `TTT` sentence (a01, a02, a04, a05, a07, b01, b02, b03, b09,
//! b10), `E` emotion letter (German initial: W Wut/anger, L Langeweile/boredom, E Ekel/disgust,
//! A Angst/fear, F Freude/happiness, T Trauer/sadness, N neutral), `V` version letter.

use std::path::Path;

use super::{stem, Parsed};
use crate::{EmotionLabel, Gender};

/// Speakers: (id, gender, age at recording) from the corpus documentation.
pub(crate) const SPEAKERS: [(&str, Gender, u32); 10] = [
    ("03", Gender::Male, 31),
    ("08", Gender::Female, 34),
    ("09", Gender::Female, 21),
    ("10", Gender::Male, 32),
    ("11", Gender::Male, 26),
    ("12", Gender::Male, 30),
    ("13", Gender::Female, 32),
    ("14", Gender::Female, 35),
    ("15", Gender::Male, 25),
    ("16", Gender::Female, 31),
];

/// The ten sentences (id, German text) as in the corpus documentation.
pub(crate) const SENTENCES: [(&str, &str); 10] = [
    ("a01", "Der Lappen liegt auf dem Eisschrank."),
    ("a02", "Das will sie am Mittwoch abgeben."),
    ("a04", "Heute abend könnte ich es ihm sagen."),
    (
        "a05",
        "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    ),
    ("a07", "In sieben Stunden wird es soweit sein."),
    (
        "b01",
        "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    ),
    (
        "b02",
        "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    ),
    (
        "b03",
        "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    ),
    (
        "b09",
        "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    ),
    (
        "b10",
        "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
    ),
];

/// The emotion letters and their common labels.
pub(crate) const EMOTIONS: [(char, EmotionLabel); 7] = [
    ('W', EmotionLabel::Anger),
    ('L', EmotionLabel::Boredom),
    ('E', EmotionLabel::Disgust),
    ('A', EmotionLabel::Fear),
    ('F', EmotionLabel::Happiness),
    ('T', EmotionLabel::Sadness),
    ('N', EmotionLabel::Neutral),
];

pub(crate) fn parse(path: &Path) -> Result<Parsed, String> {
    let s = stem(path)?;
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 7 {
        return Err(format!(
            "expected 7 characters SSTTTEV (e.g. 03a01Fa), got {} in {s:?}",
            chars.len()
        ));
    }
    let speaker: String = chars[0..2].iter().collect();
    let (_, gender, age) = SPEAKERS
        .iter()
        .find(|(id, _, _)| *id == speaker)
        .ok_or_else(|| format!("unknown speaker {speaker:?} (EmoDB has 03, 08-16)"))?;
    let sentence: String = chars[2..5].iter().collect();
    let (_, text) = SENTENCES
        .iter()
        .find(|(id, _)| *id == sentence)
        .ok_or_else(|| format!("unknown sentence {sentence:?} (EmoDB has a01..b10)"))?;
    let letter = chars[5];
    let (_, label) = EMOTIONS
        .iter()
        .find(|(c, _)| *c == letter)
        .ok_or_else(|| format!("unknown emotion letter {letter:?} (expected one of WLEAFTN)"))?;
    if !chars[6].is_ascii_lowercase() {
        return Err(format!("version {:?} is not a lower-case letter", chars[6]));
    }
    Ok(Parsed {
        label: label.clone(),
        raw_label: letter.to_string(),
        speaker,
        gender: *gender,
        age: Some(*age),
        sentence_id: Some(sentence),
        transcript: Some((*text).to_string()),
        intensity: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_example() {
        let p = parse(Path::new("wav/03a01Fa.wav")).expect("valid");
        assert_eq!(p.label, EmotionLabel::Happiness);
        assert_eq!(p.speaker, "03");
        assert_eq!(p.gender, Gender::Male);
        assert_eq!(p.age, Some(31));
        assert_eq!(p.sentence_id.as_deref(), Some("a01"));
        assert_eq!(
            p.transcript.as_deref(),
            Some("Der Lappen liegt auf dem Eisschrank.")
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "03a01Fa1.wav", // too long
            "05a01Fa.wav",  // unknown speaker
            "03a03Fa.wav",  // unknown sentence
            "03a01Xa.wav",  // unknown emotion
            "03a01FA.wav",  // version not lower-case
            "3a01Fa.wav",   // too short
        ] {
            assert!(parse(Path::new(bad)).is_err(), "{bad} accepted");
        }
    }
}
