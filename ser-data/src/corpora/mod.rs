//! File-name parsers for the built-in corpora.
//!
//! Each parser is keyed on the corpus's documented naming scheme and rejects (never guesses)
//! names that do not follow it: a wrong field count, an unknown code, an out-of-range number,
//! an unknown speaker or sentence, or a folder that contradicts the name.

pub(crate) mod cremad;
pub(crate) mod emodb;
pub(crate) mod ravdess;
pub(crate) mod savee;
pub(crate) mod tess;

use std::path::Path;

use crate::{EmotionLabel, Gender, Intensity};

/// What a file name tells about an utterance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    pub label: EmotionLabel,
    pub raw_label: String,
    pub speaker: String,
    pub gender: Gender,
    pub age: Option<u32>,
    pub sentence_id: Option<String>,
    pub transcript: Option<String>,
    pub intensity: Option<Intensity>,
}

/// A parser: full path in, parsed fields or the reason for rejection out.
pub(crate) type ParseFn = fn(&Path) -> Result<Parsed, String>;

/// The file stem (name without extension) as UTF-8, or a rejection reason.
pub(crate) fn stem(path: &Path) -> Result<&str, String> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| "file name is not valid UTF-8".to_string())
}

/// The name of the directory that holds `path`, if any.
pub(crate) fn parent_name(path: &Path) -> Option<&str> {
    path.parent()
        .and_then(|p| p.file_name())
        .and_then(|s| s.to_str())
}

/// Parses a fixed-width decimal field.
pub(crate) fn two_digits(field: &str, what: &str) -> Result<u32, String> {
    if field.len() != 2 || !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} field {field:?} is not a two-digit number"));
    }
    field
        .parse()
        .map_err(|_| format!("{what} field {field:?} is not a number"))
}
