//! Python `str` / `re` semantics the ports need: `str.isspace`, `re`'s `\w` / `\b` for
//! `str` patterns, `unicodedata.category` classes, and `re.sub` with Python word
//! boundaries around a pattern the `regex` crate matches (its own `\b` uses a different
//! notion of word character).

use std::sync::OnceLock;

use regex::{Captures, Regex};

/// Python's `str.isspace()` (also what `re`'s `\s`, `str.split()` and `str.strip()` use):
/// Unicode `White_Space` plus the information separators U+001C..U+001F.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Whitespace class for `regex` patterns, equal to Python's `\s`.
pub(crate) const WS: &str = r"[\s\x1C-\x1F]";

struct Classes {
    word: Regex,
    mn: Regex,
    msp: Regex,
}

fn classes() -> &'static Classes {
    static C: OnceLock<Classes> = OnceLock::new();
    C.get_or_init(|| Classes {
        word: re(r"^[\p{L}\p{N}_]$"),
        mn: re(r"^\p{Mn}$"),
        msp: re(r"^[\p{M}\p{S}\p{P}]$"),
    })
}

/// Compiles a pattern of this crate (all are literals, tested).
pub(crate) fn re(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(r) => r,
        Err(e) => unreachable!("bad built-in pattern {pattern:?}: {e}"),
    }
}

fn class_match(r: &Regex, c: char) -> bool {
    let mut buf = [0u8; 4];
    r.is_match(c.encode_utf8(&mut buf))
}

/// Python `re` word character for `str` patterns: `str.isalnum()` or `_` (letters L*,
/// numbers N*, underscore).
pub(crate) fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    class_match(&classes().word, c)
}

/// `unicodedata.category(c) == "Mn"`.
pub(crate) fn is_nonspacing_mark(c: char) -> bool {
    !c.is_ascii() && class_match(&classes().mn, c)
}

/// `unicodedata.category(c)[0] in "MSP"` (marks, symbols, punctuation).
pub(crate) fn is_mark_symbol_punct(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    class_match(&classes().msp, c)
}

/// Python `\b` at byte offset `i` of `s`.
pub(crate) fn boundary(s: &str, i: usize) -> bool {
    let before = s[..i].chars().next_back().is_some_and(is_word);
    let after = s[i..].chars().next().is_some_and(is_word);
    before != after
}

/// Python `re.sub(r"\b?(?:alt1|alt2|...)\b?", rep, s)` for literal alternatives: at each
/// position (left to right) the first alternative that matches with the requested
/// boundaries is replaced; scanning resumes after it.
pub(crate) fn sub_literals(s: &str, alts: &[&str], lead: bool, trail: bool, rep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut i = 0;
    while i < s.len() {
        let mut hit = None;
        if !lead || boundary(s, i) {
            for a in alts {
                if s[i..].starts_with(a) && (!trail || boundary(s, i + a.len())) {
                    hit = Some(a.len());
                    break;
                }
            }
        }
        match hit {
            Some(n) if n > 0 => {
                out.push_str(&s[last..i]);
                out.push_str(rep);
                i += n;
                last = i;
            }
            _ => i += s[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    out.push_str(&s[last..]);
    out
}

/// Matches of `r` in `s` (leftmost-first, non-overlapping, as Python's `re`) that have a
/// Python word boundary at the start (`lead`) and / or the end (`trail`). A rejected
/// candidate is retried one character later, as Python's scanner does; this is exact for
/// patterns whose match at a given start has a single possible length (all used here).
pub(crate) fn find_bounded<'h>(
    r: &Regex,
    s: &'h str,
    lead: bool,
    trail: bool,
) -> Vec<Captures<'h>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos <= s.len() {
        let Some(c) = r.captures_at(s, pos) else {
            break;
        };
        let Some(m) = c.get(0) else { break };
        if (!lead || boundary(s, m.start())) && (!trail || boundary(s, m.end())) {
            pos = if m.end() > m.start() {
                m.end()
            } else {
                m.end() + s[m.end()..].chars().next().map_or(1, char::len_utf8)
            };
            out.push(c);
        } else {
            pos = m.start() + s[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// `re.sub` over [`find_bounded`] matches with a replacement function.
pub(crate) fn sub_bounded(
    r: &Regex,
    s: &str,
    lead: bool,
    trail: bool,
    rep: impl Fn(&Captures<'_>) -> String,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for c in find_bounded(r, s, lead, trail) {
        let Some(m) = c.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        out.push_str(&rep(&c));
        last = m.end();
    }
    out.push_str(&s[last..]);
    out
}

/// `re.split` over [`find_bounded`] matches (no capture groups).
pub(crate) fn split_bounded<'h>(r: &Regex, s: &'h str, lead: bool, trail: bool) -> Vec<&'h str> {
    let mut out = Vec::new();
    let mut last = 0;
    for c in find_bounded(r, s, lead, trail) {
        let Some(m) = c.get(0) else { continue };
        out.push(&s[last..m.start()]);
        last = m.end();
    }
    out.push(&s[last..]);
    out
}

/// `re.sub(r"\s+", " ", s)` with Python's `\s`.
pub(crate) fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_ws = false;
    for c in s.chars() {
        if is_space(c) {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            out.push(c);
            in_ws = false;
        }
    }
    out
}

/// Python `str.split()` (no argument).
pub(crate) fn split_ws(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|w| !w.is_empty())
}

/// Python `str.lower()`.
pub(crate) fn lower(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_python() {
        assert!(is_word('ä') && is_word('_') && is_word('²') && is_word('7'));
        assert!(!is_word('\'') && !is_word('\u{301}') && !is_word('Ⓐ'));
        assert!(is_nonspacing_mark('\u{301}') && !is_nonspacing_mark('a'));
        assert!(is_mark_symbol_punct('$') && is_mark_symbol_punct('—'));
        assert!(is_mark_symbol_punct('\u{301}') && is_mark_symbol_punct('😀'));
        assert!(!is_mark_symbol_punct('ß') && !is_mark_symbol_punct(' '));
        assert!(is_space('\u{1f}') && is_space('\u{a0}') && !is_space('\u{200b}'));
    }

    #[test]
    fn literal_alternation_with_boundaries() {
        let alts = ["hmm", "mm", "mhm", "mmm", "uh", "um"];
        assert_eq!(
            sub_literals("mmm hmm, uhm um", &alts, true, true, ""),
            " , uhm "
        );
        assert_eq!(
            sub_literals("isn't", &["n't"], false, true, " not"),
            "is not"
        );
    }

    #[test]
    fn bounded_regex() {
        let r = re("1(s?)");
        let s = sub_bounded(&r, "1 1s 1st 21 x1", true, true, |c| {
            format!("one{}", &c[1])
        });
        assert_eq!(s, "one ones 1st 21 x1");
    }
}
