//! Text normalisation, character classes and word tokenisation.
//!
//! Character classes follow the BERT basic tokenizer (HF `tokenizers`): punctuation is any
//! ASCII punctuation or Unicode general category `P*`; control characters are categories
//! `Cc`/`Cf`/`Co` except `\t`, `\n`, `\r`; whitespace is Rust's `char::is_whitespace`. The
//! category tables are generated from Python's `unicodedata` by
//! `scripts/linguistic_unicode_tables.py`.

use unicode_normalization::UnicodeNormalization;

use super::unicode_tables::{NONSPACING_MARK, OTHER, PUNCTUATION};

fn in_table(c: char, table: &[(u32, u32)]) -> bool {
    let cp = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// BERT punctuation: ASCII punctuation (`!`–`/`, `:`–`@`, `[`–`` ` ``, `{`–`~`) or `P*`.
pub fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || in_table(c, PUNCTUATION)
}

/// BERT control character: category `Cc`, `Cf` or `Co`, except `\t`, `\n`, `\r`.
pub fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && in_table(c, OTHER)
}

/// BERT whitespace (`char::is_whitespace`, which includes `\t`, `\n`, `\r`).
pub fn is_whitespace(c: char) -> bool {
    c.is_whitespace()
}

/// Non-spacing mark (category `Mn`), removed by accent stripping after NFD.
pub fn is_nonspacing_mark(c: char) -> bool {
    in_table(c, NONSPACING_MARK)
}

/// CJK Unified Ideographs (the blocks BERT surrounds with spaces).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF
        | 0x3400..=0x4DBF
        | 0x20000..=0x2A6DF
        | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F
        | 0x2B820..=0x2CEAF
        | 0xF900..=0xFAFF
        | 0x2F800..=0x2FA1F)
}

/// Removes accents: NFD, then drops non-spacing marks (`"Ärger"` → `"Arger"`).
pub fn strip_accents(text: &str) -> String {
    text.nfd().filter(|&c| !is_nonspacing_mark(c)).collect()
}

/// General-purpose normalisation for lexicon features: NFKC, typographic quotes and
/// dashes mapped to ASCII (`’` → `'`, `“` → `"`, `–` → `-`), control characters removed,
/// runs of whitespace collapsed to one space, trimmed. Case is kept (VADER uses it).
///
/// ```
/// use ser_features::linguistic::tokenize::normalize;
/// assert_eq!(normalize("  I\u{2019}m \u{201C}fine\u{201D}\u{0007}\n\n now "), "I'm \"fine\" now");
/// ```
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkc() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' | '\u{00B4}' | '`' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' | '\u{00AB}' | '\u{00BB}' => '"',
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            c => c,
        };
        if is_whitespace(c) {
            pending_space = !out.is_empty();
            continue;
        }
        if is_control(c) || c == '\u{FFFD}' || c == '\0' {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// Lower-cased word tokens of normalised text: maximal runs of alphanumerics that may
/// contain inner apostrophes or hyphens (`"don't"`, `"well-known"`); punctuation and
/// symbols are dropped. Empty for an empty or punctuation-only text.
///
/// ```
/// use ser_features::linguistic::tokenize::words;
/// assert_eq!(words("I don't LIKE it -- well-known!!"), ["i", "don't", "like", "it", "well-known"]);
/// assert!(words("?!").is_empty());
/// ```
pub fn words(text: &str) -> Vec<String> {
    let text = normalize(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if (c == '\'' || c == '-')
            && !cur.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())
        {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert!(is_punctuation('!') && is_punctuation('$') && is_punctuation('\u{3001}'));
        assert!(is_punctuation('\u{00BF}') && !is_punctuation('a') && !is_punctuation(' '));
        assert!(is_control('\u{200B}')); // Cf: zero-width space
        assert!(is_control('\u{0007}') && !is_control('\n') && !is_control('a'));
        assert!(is_cjk('中') && !is_cjk('a'));
        assert!(is_nonspacing_mark('\u{0301}') && !is_nonspacing_mark('e'));
    }

    #[test]
    fn accents() {
        assert_eq!(strip_accents("Ärger café naïve"), "Arger cafe naive");
    }

    #[test]
    fn normalize_edge_cases() {
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(" \t\n "), "");
        assert_eq!(normalize("ﬁne"), "fine"); // NFKC ligature
        assert_eq!(normalize("a\u{0000}b\u{FFFD}c"), "abc");
    }

    #[test]
    fn words_unicode() {
        assert_eq!(
            words("Schöne Grüße, naïve café"),
            ["schöne", "grüße", "naïve", "café"]
        );
        assert_eq!(words("'quoted' -dash- 3.5"), ["quoted", "dash", "3", "5"]);
    }
}
