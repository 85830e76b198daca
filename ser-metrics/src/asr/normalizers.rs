//! Ports of openai-whisper's `whisper/normalizers` (`basic.py`, `english.py`; MIT, see
//! `LICENSE-openai-whisper` beside this file), the text normalisation Whisper's WER numbers
//! are reported with.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use unicode_normalization::UnicodeNormalization;

use super::numbers::EnglishNumberNormalizer;
use super::py::{
    collapse_spaces, is_mark_symbol_punct, is_nonspacing_mark, lower, re, split_ws, sub_literals,
    WS,
};

/// Non-ASCII letters that NFKD does not separate from a base letter (whisper's
/// `ADDITIONAL_DIACRITICS`).
fn additional_diacritic(c: char) -> Option<&'static str> {
    Some(match c {
        'œ' => "oe",
        'Œ' => "OE",
        'ø' => "o",
        'Ø' => "O",
        'æ' => "ae",
        'Æ' => "AE",
        'ß' => "ss",
        'ẞ' => "SS",
        'đ' => "d",
        'Đ' => "D",
        'ð' => "d",
        'Ð' => "D",
        'þ' => "th",
        'Þ' => "th",
        'ł' => "l",
        'Ł' => "L",
        _ => return None,
    })
}

/// whisper's `remove_symbols_and_diacritics(s, keep)`: NFKD, then characters in `keep` are
/// kept, letters NFKD leaves whole are spelt out (`ß` → `ss`, `æ` → `ae`, `ø` → `o`, `ł` →
/// `l`, `þ` → `th`, ...), nonspacing marks (Mn) dropped and any other
/// mark, symbol or punctuation replaced by a space.
///
/// ```
/// use ser_metrics::asr::remove_symbols_and_diacritics;
/// assert_eq!(remove_symbols_and_diacritics("Grüße, Łódź!", ""), "Grusse  Lodz ");
/// assert_eq!(remove_symbols_and_diacritics("$5.00", "$."), "$5.00");
/// ```
pub fn remove_symbols_and_diacritics(s: &str, keep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if keep.contains(c) {
            out.push(c);
        } else if let Some(r) = additional_diacritic(c) {
            out.push_str(r);
        } else if is_nonspacing_mark(c) {
        } else if is_mark_symbol_punct(c) {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// whisper's `remove_symbols(s)`: NFKC, then every mark, symbol or punctuation character
/// becomes a space (diacritics kept).
///
/// ```
/// use ser_metrics::asr::remove_symbols;
/// assert_eq!(remove_symbols("Grüße, Łódź!"), "Grüße  Łódź ");
/// ```
pub fn remove_symbols(s: &str) -> String {
    s.nfkc()
        .map(|c| if is_mark_symbol_punct(c) { ' ' } else { c })
        .collect()
}

struct Patterns {
    brackets: Regex,
    parens: Regex,
    space_apostrophe: Regex,
    digit_comma: Regex,
    period: Regex,
    prefix_symbol: Regex,
    percent: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        brackets: re(r"[<\[][^>\]]*[>\]]"),
        parens: re(r"\(([^)]+?)\)"),
        space_apostrophe: re(&format!("{WS}+'")),
        digit_comma: re(r"(\d),(\d)"),
        period: re(r"\.([^0-9]|$)"),
        prefix_symbol: re(r"[.$¢€£]([^0-9])"),
        percent: re(r"([^0-9])%"),
    })
}

/// Lowercase, then drop `[...]` / `<...>` and `(...)` spans (shared first steps).
fn lower_and_remove_bracketed(s: &str) -> String {
    let p = patterns();
    let s = lower(s);
    let s = p.brackets.replace_all(&s, "");
    p.parens.replace_all(&s, "").into_owned()
}

/// Whisper's `BasicTextNormalizer`, used for non-English WER: lowercase, remove bracketed
/// (`[...]`, `<...>`) and parenthesised text, replace marks / symbols / punctuation
/// (Unicode categories M, S, P) with spaces after NFKC (or, with `remove_diacritics`,
/// after NFKD, dropping nonspacing marks and spelling out `ß`, `æ`, `ø`, ...), lowercase
/// again and collapse whitespace runs to one space. Leading / trailing spaces are kept, as
/// in whisper (the WER tokeniser strips them).
///
/// Whisper's `split_letters` option (split into grapheme clusters) is not ported.
///
/// ```
/// use ser_metrics::asr::BasicTextNormalizer;
/// let n = BasicTextNormalizer::default();
/// assert_eq!(n.normalize("Was sind denn das für Tüten, die da stehen?"),
///            "was sind denn das für tüten die da stehen ");
/// let d = BasicTextNormalizer { remove_diacritics: true };
/// assert_eq!(d.normalize("Die Straße [Lärm] ist groß."), "die strasse ist gross ");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BasicTextNormalizer {
    /// Use `remove_symbols_and_diacritics` instead of `remove_symbols` (whisper's
    /// `remove_diacritics=True`). Default `false`.
    pub remove_diacritics: bool,
}

impl BasicTextNormalizer {
    /// Normalises one text.
    pub fn normalize(&self, s: &str) -> String {
        let s = lower_and_remove_bracketed(s);
        let s = if self.remove_diacritics {
            remove_symbols_and_diacritics(&s, "")
        } else {
            remove_symbols(&s)
        };
        collapse_spaces(&lower(&s))
    }
}

/// The British → American spelling table of whisper's `english.json` (1 739 entries; MIT,
/// openai-whisper, from tysto.com's UK/US spelling list).
pub const ENGLISH_SPELLINGS_JSON: &str = include_str!("english.json");

/// Whisper's `EnglishSpellingNormalizer`: maps each whitespace-separated word through
/// [`ENGLISH_SPELLINGS_JSON`] (British → American) and joins with single spaces.
///
/// ```
/// use ser_metrics::asr::EnglishSpellingNormalizer;
/// let n = EnglishSpellingNormalizer::new();
/// assert_eq!(n.normalize("the colour of the theatre"), "the color of the theater");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct EnglishSpellingNormalizer;

fn spellings() -> &'static HashMap<String, String> {
    static M: OnceLock<HashMap<String, String>> = OnceLock::new();
    M.get_or_init(|| serde_json::from_str(ENGLISH_SPELLINGS_JSON).unwrap_or_default())
}

impl EnglishSpellingNormalizer {
    /// The normaliser (the table is parsed once per process, on first use).
    pub fn new() -> Self {
        Self
    }

    /// The American spelling of `word`, if the table has one.
    pub fn lookup(&self, word: &str) -> Option<&'static str> {
        spellings().get(word).map(String::as_str)
    }

    /// Number of entries in the table.
    pub fn len(&self) -> usize {
        spellings().len()
    }

    /// `true` if the table is empty (never, for the shipped table).
    pub fn is_empty(&self) -> bool {
        spellings().is_empty()
    }

    /// Normalises one text.
    pub fn normalize(&self, s: &str) -> String {
        let m = spellings();
        split_ws(s)
            .map(|w| m.get(w).map_or(w, String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const HESITATIONS: [&str; 6] = ["hmm", "mm", "mhm", "mmm", "uh", "um"];

/// whisper's `EnglishTextNormalizer.replacers`: (pattern literal, leading `\b`, trailing
/// `\b`, replacement), applied in this order.
const REPLACERS: [(&str, bool, bool, &str); 49] = [
    // common contractions
    ("won't", true, true, "will not"),
    ("can't", true, true, "can not"),
    ("let's", true, true, "let us"),
    ("ain't", true, true, "aint"),
    ("y'all", true, true, "you all"),
    ("wanna", true, true, "want to"),
    ("gotta", true, true, "got to"),
    ("gonna", true, true, "going to"),
    ("i'ma", true, true, "i am going to"),
    ("imma", true, true, "i am going to"),
    ("woulda", true, true, "would have"),
    ("coulda", true, true, "could have"),
    ("shoulda", true, true, "should have"),
    ("ma'am", true, true, "madam"),
    // contractions in titles / prefixes
    ("mr", true, true, "mister "),
    ("mrs", true, true, "missus "),
    ("st", true, true, "saint "),
    ("dr", true, true, "doctor "),
    ("prof", true, true, "professor "),
    ("capt", true, true, "captain "),
    ("gov", true, true, "governor "),
    ("ald", true, true, "alderman "),
    ("gen", true, true, "general "),
    ("sen", true, true, "senator "),
    ("rep", true, true, "representative "),
    ("pres", true, true, "president "),
    ("rev", true, true, "reverend "),
    ("hon", true, true, "honorable "),
    ("asst", true, true, "assistant "),
    ("assoc", true, true, "associate "),
    ("lt", true, true, "lieutenant "),
    ("col", true, true, "colonel "),
    ("jr", true, true, "junior "),
    ("sr", true, true, "senior "),
    ("esq", true, true, "esquire "),
    // perfect tenses
    ("'d been", false, true, " had been"),
    ("'s been", false, true, " has been"),
    ("'d gone", false, true, " had gone"),
    ("'s gone", false, true, " has gone"),
    ("'d done", false, true, " had done"),
    ("'s got", false, true, " has got"),
    // general contractions
    ("n't", false, true, " not"),
    ("'re", false, true, " are"),
    ("'s", false, true, " is"),
    ("'d", false, true, " would"),
    ("'ll", false, true, " will"),
    ("'t", false, true, " not"),
    ("'ve", false, true, " have"),
    ("'m", false, true, " am"),
];

/// Whisper's `EnglishTextNormalizer`, the normalisation of Whisper's English WER: lowercase;
/// drop bracketed / parenthesised text and hesitations (`hmm`, `mm`, `mhm`, `mmm`, `uh`,
/// `um`); expand contractions (`won't` → `will not`, `'re` → ` are`, ...) and titles (`mr` →
/// `mister`, ...); drop thousands separators and sentence periods; strip symbols and
/// diacritics (keeping `. % $ ¢ € £`); spelled-out numbers to digits
/// ([`EnglishNumberNormalizer`]); British → American spellings
/// ([`EnglishSpellingNormalizer`]); remove currency / period / percent symbols not attached
/// to a number; collapse whitespace. The number step re-joins the words, so the result
/// has no leading / trailing space unless a symbol removed after it leaves one (as in
/// whisper).
///
/// ```
/// use ser_metrics::asr::EnglishTextNormalizer;
/// let n = EnglishTextNormalizer::new();
/// assert_eq!(n.normalize("Kids are talking by the door."), "kids are talking by the door");
/// assert_eq!(n.normalize("Um, I've got twenty one apples!"), "i have got 21 apples");
/// assert_eq!(n.normalize("The colour costs $20 million (roughly)"),
///            "the color costs $20000000");
/// ```
#[derive(Debug, Clone, Default)]
pub struct EnglishTextNormalizer {
    numbers: EnglishNumberNormalizer,
    spellings: EnglishSpellingNormalizer,
}

impl EnglishTextNormalizer {
    /// The normaliser.
    pub fn new() -> Self {
        Self::default()
    }

    /// Normalises one text.
    pub fn normalize(&self, s: &str) -> String {
        let p = patterns();
        let mut s = lower_and_remove_bracketed(s);
        s = sub_literals(&s, &HESITATIONS, true, true, "");
        s = p.space_apostrophe.replace_all(&s, "'").into_owned();
        for (pat, lead, trail, rep) in REPLACERS {
            s = sub_literals(&s, &[pat], lead, trail, rep);
        }
        s = p.digit_comma.replace_all(&s, "${1}${2}").into_owned();
        s = p.period.replace_all(&s, " ${1}").into_owned();
        s = remove_symbols_and_diacritics(&s, ".%$¢€£");
        s = self.numbers.normalize(&s);
        s = self.spellings.normalize(&s);
        s = p.prefix_symbol.replace_all(&s, " ${1}").into_owned();
        s = p.percent.replace_all(&s, "${1} ").into_owned();
        collapse_spaces(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_table_is_complete() {
        let n = EnglishSpellingNormalizer::new();
        assert_eq!(n.len(), 1739);
        assert_eq!(n.lookup("aeroplane"), Some("airplane"));
        assert_eq!(n.lookup("color"), None);
    }

    #[test]
    fn basic_keeps_non_latin_scripts() {
        let n = BasicTextNormalizer::default();
        assert_eq!(n.normalize("Привет, как дела?"), "привет как дела ");
        assert_eq!(n.normalize("ΣΟΦΟΣ"), "σοφος");
    }

    #[test]
    fn english_contractions_and_titles() {
        let n = EnglishTextNormalizer::new();
        assert_eq!(n.normalize("I can't, won't"), "i can not will not");
        assert_eq!(n.normalize("Mr. Smith's been"), "mister smith has been");
    }
}
