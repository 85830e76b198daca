//! CREMA-D (Cao et al. 2014): `AAAA_SSS_EEE_LL.wav`, e.g. `1001_DFA_ANG_XX.wav`.
//!
//! `AAAA` actor 1001–1091, `SSS` one of the 12 sentence codes, `EEE` emotion (ANG, DIS, FEA,
//! HAP, NEU, SAD), `LL` intensity (LO, MD, HI, XX = unspecified).
//!
//! Gender is **not** built in: the 91-row demographics table (`VideoDemographics.csv`) is not
//! reproduced here. When that file is present in the corpus folder (or its parent), the loader
//! reads `ActorID` and `Sex` from it; otherwise gender is [`Gender::Unknown`].

use std::collections::HashMap;
use std::path::Path;

use super::{stem, Parsed};
use crate::{EmotionLabel, Error, Gender, Intensity, Result};

/// The 12 sentences (code, text) as listed in the corpus README (no final punctuation).
pub(crate) const SENTENCES: [(&str, &str); 12] = [
    ("IEO", "It's eleven o'clock"),
    ("TIE", "That is exactly what happened"),
    ("IOM", "I'm on my way to the meeting"),
    ("IWW", "I wonder what this is about"),
    ("TAI", "The airplane is almost full"),
    ("MTI", "Maybe tomorrow it will be cold"),
    ("IWL", "I would like a new alarm clock"),
    ("ITH", "I think I have a doctor's appointment"),
    ("DFA", "Don't forget a jacket"),
    ("ITS", "I think I've seen this before"),
    ("TSI", "The surface is slick"),
    ("WSI", "We'll stop in a couple of minutes"),
];

/// Emotion codes.
pub(crate) const EMOTIONS: [(&str, EmotionLabel); 6] = [
    ("ANG", EmotionLabel::Anger),
    ("DIS", EmotionLabel::Disgust),
    ("FEA", EmotionLabel::Fear),
    ("HAP", EmotionLabel::Happiness),
    ("NEU", EmotionLabel::Neutral),
    ("SAD", EmotionLabel::Sadness),
];

/// The demographics file name of the CREMA-D release.
pub(crate) const DEMOGRAPHICS_FILE: &str = "VideoDemographics.csv";

pub(crate) fn parse(path: &Path) -> std::result::Result<Parsed, String> {
    let s = stem(path)?;
    let fields: Vec<&str> = s.split('_').collect();
    if fields.len() != 4 {
        return Err(format!(
            "expected 4 underscore-separated fields ACTOR_SENTENCE_EMOTION_LEVEL, got {} in {s:?}",
            fields.len()
        ));
    }
    let actor = fields[0];
    let n: u32 = if actor.len() == 4 && actor.bytes().all(|b| b.is_ascii_digit()) {
        actor.parse().map_err(|_| format!("bad actor {actor:?}"))?
    } else {
        return Err(format!("actor {actor:?} is not a 4-digit number"));
    };
    if !(1001..=1091).contains(&n) {
        return Err(format!("actor {n} outside 1001-1091"));
    }
    let (sid, text) = SENTENCES
        .iter()
        .find(|(c, _)| *c == fields[1])
        .ok_or_else(|| format!("unknown sentence code {:?}", fields[1]))?;
    let (code, label) = EMOTIONS
        .iter()
        .find(|(c, _)| *c == fields[2])
        .ok_or_else(|| {
            format!(
                "unknown emotion code {:?} (expected ANG DIS FEA HAP NEU SAD)",
                fields[2]
            )
        })?;
    let intensity = match fields[3] {
        "LO" => Intensity::Low,
        "MD" => Intensity::Medium,
        "HI" => Intensity::High,
        "XX" => Intensity::Unspecified,
        other => {
            return Err(format!(
                "unknown intensity {other:?} (expected LO MD HI XX)"
            ))
        }
    };
    Ok(Parsed {
        label: label.clone(),
        raw_label: (*code).to_string(),
        speaker: actor.to_string(),
        gender: Gender::Unknown,
        age: None,
        sentence_id: Some((*sid).to_string()),
        transcript: Some((*text).to_string()),
        intensity: Some(intensity),
    })
}

/// Reads `ActorID`, `Sex` and (if present) `Age` from a `VideoDemographics.csv`.
pub(crate) fn read_demographics(path: &Path) -> Result<HashMap<String, (Gender, Option<u32>)>> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_path(path)
        .map_err(|e| csv_err(path, 1, "header", e))?;
    let headers = rdr
        .headers()
        .map_err(|e| csv_err(path, 1, "header", e))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    let found = headers.iter().collect::<Vec<_>>().join(",");
    let missing = |column: &str| Error::MissingColumn {
        path: path.to_path_buf(),
        column: column.to_string(),
        found: found.clone(),
    };
    let actor_col = col("ActorID").ok_or_else(|| missing("ActorID"))?;
    let sex_col = col("Sex").ok_or_else(|| missing("Sex"))?;
    let age_col = col("Age");
    let mut out = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(path, 0, "row", e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let row_err = |field: &str, message: String| Error::ManifestRow {
            path: path.to_path_buf(),
            line,
            field: field.to_string(),
            message,
        };
        let actor = rec.get(actor_col).unwrap_or("").to_string();
        if actor.is_empty() {
            return Err(row_err("ActorID", "empty".into()));
        }
        let gender: Gender = rec
            .get(sex_col)
            .unwrap_or("")
            .parse()
            .map_err(|e: Error| row_err("Sex", e.to_string()))?;
        let age = match age_col.and_then(|c| rec.get(c)) {
            None | Some("") => None,
            Some(a) => Some(
                a.parse::<u32>()
                    .map_err(|_| row_err("Age", format!("{a:?} is not a whole number")))?,
            ),
        };
        out.insert(actor, (gender, age));
    }
    Ok(out)
}

pub(crate) fn csv_err(path: &Path, line: u64, field: &str, e: csv::Error) -> Error {
    let line = e.position().map_or(line, |p| p.line());
    Error::ManifestRow {
        path: path.to_path_buf(),
        line,
        field: field.to_string(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_example() {
        let p = parse(Path::new("AudioWAV/1001_DFA_ANG_XX.wav")).expect("valid");
        assert_eq!(p.label, EmotionLabel::Anger);
        assert_eq!(p.speaker, "1001");
        assert_eq!(p.gender, Gender::Unknown);
        assert_eq!(p.intensity, Some(Intensity::Unspecified));
        assert_eq!(p.sentence_id.as_deref(), Some("DFA"));
        assert_eq!(p.transcript.as_deref(), Some("Don't forget a jacket"));
        let p = parse(Path::new("1091_WSI_SAD_LO.wav")).expect("valid");
        assert_eq!(p.intensity, Some(Intensity::Low));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "1001_DFA_ANG.wav",    // 3 fields
            "1000_DFA_ANG_XX.wav", // actor out of range
            "1092_DFA_ANG_XX.wav", // actor out of range
            "101_DFA_ANG_XX.wav",  // 3 digits
            "1001_XYZ_ANG_XX.wav", // unknown sentence
            "1001_DFA_SUR_XX.wav", // unknown emotion
            "1001_DFA_ANG_X.wav",  // unknown level
            "1001_dfa_ang_xx.wav", // lower case codes
        ] {
            assert!(parse(Path::new(bad)).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn all_sentence_codes_distinct() {
        for (i, (c, _)) in SENTENCES.iter().enumerate() {
            assert!(SENTENCES[..i].iter().all(|(d, _)| d != c));
        }
    }
}
