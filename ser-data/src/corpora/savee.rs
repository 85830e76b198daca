//! SAVEE, Surrey Audio-Visual Expressed Emotion (Haq & Jackson 2009):
//! `AudioData/DC/a01.wav` (speaker folder) or the flat `DC_a01.wav` layout.
//!
//! Speakers DC, JE, JK, KL (four male actors). Code = emotion prefix (a anger, d disgust,
//! f fear, h happiness, n neutral, sa sadness, su surprise) + two-digit number (01–15; neutral
//! 01–30).
//!
//! Transcripts are **not** built in: the sentences come from TIMIT and their per-code
//! assignment is not reproduced here, so [`transcript`](crate::Utterance::transcript) and
//! [`sentence_id`](crate::Utterance::sentence_id) are `None` (supply them through a
//! manifest if you have them).

use std::path::Path;

use super::{parent_name, stem, Parsed};
use crate::{EmotionLabel, Gender};

/// The four speakers.
pub(crate) const SPEAKERS: [&str; 4] = ["DC", "JE", "JK", "KL"];

/// Emotion prefixes (two-letter ones first).
pub(crate) const EMOTIONS: [(&str, EmotionLabel, u32); 7] = [
    ("sa", EmotionLabel::Sadness, 15),
    ("su", EmotionLabel::Surprise, 15),
    ("a", EmotionLabel::Anger, 15),
    ("d", EmotionLabel::Disgust, 15),
    ("f", EmotionLabel::Fear, 15),
    ("h", EmotionLabel::Happiness, 15),
    ("n", EmotionLabel::Neutral, 30),
];

pub(crate) fn parse(path: &Path) -> Result<Parsed, String> {
    let s = stem(path)?;
    let (speaker, code) = match s.split_once('_') {
        Some((spk, code)) => {
            if let Some(dir) = parent_name(path).filter(|d| SPEAKERS.contains(d)) {
                if dir != spk {
                    return Err(format!("file of speaker {spk} is in folder {dir}"));
                }
            }
            (spk, code)
        }
        None => {
            let dir = parent_name(path).unwrap_or("");
            (dir, s)
        }
    };
    if !SPEAKERS.contains(&speaker) {
        return Err(format!(
            "speaker {speaker:?} is not one of DC, JE, JK, KL (expected a speaker folder or a \
             SPK_ prefix)"
        ));
    }
    let (prefix, label, max) = EMOTIONS
        .iter()
        .find(|(p, _, _)| code.starts_with(p))
        .ok_or_else(|| format!("code {code:?} does not start with a, d, f, h, n, sa or su"))?;
    let num = &code[prefix.len()..];
    if num.len() != 2 || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("code {code:?}: number {num:?} is not two digits"));
    }
    let n: u32 = num.parse().map_err(|_| format!("bad number {num:?}"))?;
    if !(1..=*max).contains(&n) {
        return Err(format!("code {code:?}: number outside 01-{max:02}"));
    }
    Ok(Parsed {
        label: label.clone(),
        raw_label: (*prefix).to_string(),
        speaker: speaker.to_string(),
        gender: Gender::Male,
        age: None,
        sentence_id: None,
        transcript: None,
        intensity: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_layouts() {
        let p = parse(Path::new("AudioData/DC/sa03.wav")).expect("valid");
        assert_eq!(p.label, EmotionLabel::Sadness);
        assert_eq!(p.speaker, "DC");
        assert_eq!(p.gender, Gender::Male);
        assert_eq!(p.transcript, None);
        let p = parse(Path::new("ALL/KL_su15.wav")).expect("valid");
        assert_eq!(p.label, EmotionLabel::Surprise);
        assert_eq!(p.speaker, "KL");
        let p = parse(Path::new("JE/n30.wav")).expect("valid");
        assert_eq!(p.label, EmotionLabel::Neutral);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "AudioData/XX/a01.wav", // unknown speaker folder
            "a01.wav",              // no speaker at all
            "DC/x01.wav",           // unknown emotion
            "DC/a16.wav",           // out of range
            "DC/n31.wav",           // out of range
            "DC/a1.wav",            // one digit
            "DC/a00.wav",           // zero
            "DC/JE_a01.wav",        // folder contradicts prefix
        ] {
            assert!(parse(Path::new(bad)).is_err(), "{bad} accepted");
        }
    }
}
