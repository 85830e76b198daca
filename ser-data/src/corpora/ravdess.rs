//! RAVDESS speech (Livingstone & Russo 2018): `MM-VV-EE-II-SS-RR-AA.wav` (or `.flac`).
//!
//! `MM` modality (03 audio-only; 01/02 are video files and are rejected), `VV` vocal channel
//! (01 speech; 02 song is rejected — this loader covers the speech corpus), `EE` emotion
//! (01 neutral, 02 calm, 03 happy, 04 sad, 05 angry, 06 fearful, 07 disgust, 08 surprised),
//! `II` intensity (01 normal, 02 strong; neutral has no strong), `SS` statement, `RR`
//! repetition (01/02), `AA` actor 01–24 (odd male, even female). When the file sits in an
//! `Actor_XX` folder, `XX` must equal `AA`.

use std::path::Path;

use super::{parent_name, stem, two_digits, Parsed};
use crate::{EmotionLabel, Gender, Intensity};

/// The two statements.
pub(crate) const STATEMENTS: [(&str, &str); 2] = [
    ("01", "Kids are talking by the door"),
    ("02", "Dogs are sitting by the door"),
];

/// Emotion codes 01..=08 in order.
pub(crate) const EMOTIONS: [EmotionLabel; 8] = [
    EmotionLabel::Neutral,
    EmotionLabel::Calm,
    EmotionLabel::Happiness,
    EmotionLabel::Sadness,
    EmotionLabel::Anger,
    EmotionLabel::Fear,
    EmotionLabel::Disgust,
    EmotionLabel::Surprise,
];

pub(crate) fn parse(path: &Path) -> Result<Parsed, String> {
    let s = stem(path)?;
    let fields: Vec<&str> = s.split('-').collect();
    if fields.len() != 7 {
        return Err(format!(
            "expected 7 dash-separated fields MM-VV-EE-II-SS-RR-AA, got {} in {s:?}",
            fields.len()
        ));
    }
    let modality = two_digits(fields[0], "modality")?;
    let channel = two_digits(fields[1], "vocal channel")?;
    let emotion = two_digits(fields[2], "emotion")?;
    let intensity = two_digits(fields[3], "intensity")?;
    let statement = two_digits(fields[4], "statement")?;
    let repetition = two_digits(fields[5], "repetition")?;
    let actor = two_digits(fields[6], "actor")?;
    if modality != 3 {
        return Err(format!("modality {modality:02} is not audio-only (03)"));
    }
    if channel != 1 {
        return Err(format!(
            "vocal channel {channel:02} is not speech (01); song is not part of the speech corpus"
        ));
    }
    let label = EMOTIONS
        .get((emotion as usize).wrapping_sub(1))
        .ok_or_else(|| format!("emotion {emotion:02} outside 01-08"))?;
    let intensity = match intensity {
        1 => Intensity::Medium,
        2 if emotion == 1 => {
            return Err("neutral (01) has no strong intensity (02) in RAVDESS".into())
        }
        2 => Intensity::High,
        _ => return Err(format!("intensity {intensity:02} outside 01-02")),
    };
    let (sid, text) = STATEMENTS
        .get((statement as usize).wrapping_sub(1))
        .ok_or_else(|| format!("statement {statement:02} outside 01-02"))?;
    if !(1..=2).contains(&repetition) {
        return Err(format!("repetition {repetition:02} outside 01-02"));
    }
    if !(1..=24).contains(&actor) {
        return Err(format!("actor {actor:02} outside 01-24"));
    }
    if let Some(dir) = parent_name(path) {
        if let Some(n) = dir.strip_prefix("Actor_") {
            if n.parse::<u32>().ok() != Some(actor) {
                return Err(format!("file of actor {actor:02} is in folder {dir}"));
            }
        }
    }
    Ok(Parsed {
        label: label.clone(),
        raw_label: fields[2].to_string(),
        speaker: format!("{actor:02}"),
        gender: if actor % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        },
        age: None,
        sentence_id: Some((*sid).to_string()),
        transcript: Some((*text).to_string()),
        intensity: Some(intensity),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_example() {
        let p = parse(Path::new("Actor_12/03-01-06-01-02-01-12.flac")).expect("valid");
        assert_eq!(p.label, EmotionLabel::Fear);
        assert_eq!(p.raw_label, "06");
        assert_eq!(p.speaker, "12");
        assert_eq!(p.gender, Gender::Female);
        assert_eq!(p.intensity, Some(Intensity::Medium));
        assert_eq!(p.sentence_id.as_deref(), Some("02"));
        assert_eq!(
            p.transcript.as_deref(),
            Some("Dogs are sitting by the door")
        );
        let p = parse(Path::new("03-01-02-02-01-02-07.wav")).expect("valid");
        assert_eq!(p.label, EmotionLabel::Calm);
        assert_eq!(p.gender, Gender::Male);
        assert_eq!(p.intensity, Some(Intensity::High));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "03-01-06-01-02-01.wav",             // 6 fields
            "03-02-06-01-02-01-12.wav",          // song
            "01-01-06-01-02-01-12.wav",          // full AV
            "03-01-09-01-02-01-12.wav",          // emotion 09
            "03-01-00-01-02-01-12.wav",          // emotion 00
            "03-01-01-02-02-01-12.wav",          // strong neutral
            "03-01-06-03-02-01-12.wav",          // intensity 03
            "03-01-06-01-03-01-12.wav",          // statement 03
            "03-01-06-01-02-03-12.wav",          // repetition 03
            "03-01-06-01-02-01-25.wav",          // actor 25
            "03-01-06-01-02-01-1a.wav",          // non-digit
            "03-01-06-01-02-01-012.wav",         // three digits
            "Actor_11/03-01-06-01-02-01-12.wav", // folder mismatch
        ] {
            assert!(parse(Path::new(bad)).is_err(), "{bad} accepted");
        }
    }
}
