//! Port of whisper's `EnglishNumberNormalizer` (`whisper/normalizers/english.py`, MIT).
//!
//! Python integers are unbounded; the port keeps integer values as decimal digit strings
//! (only addition, `% 10^k` and multiplication by powers of ten are needed), so e.g.
//! "nine hundred decillion" and 40-digit numbers behave as in Python.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;

use super::py::{is_space, re, split_bounded, split_ws, sub_bounded, WS};

/// Whisper's `EnglishNumberNormalizer`: spelled-out English numbers to Arabic digits.
///
/// * `"twenty one"` → `21`, `"one hundred and five"` → `105`, `"two thousand twenty four"`
///   → `2024`, `"nineteen ninety nine"` → `1999` (digit sequences concatenate), `"one oh
///   one"` → `101`, `"double seven"` → `77`;
/// * ordinals and plurals keep their suffix: `"twenty third"` → `23rd`, `"sixties"` →
///   `60s`, `"1960s"` stays;
/// * `"point"` makes decimals, `"and a half"` → `.5`; `"minus"` / `"plus"` prefix a sign;
///   currency words after a number become a prefix symbol (`"twenty dollars"` → `$20`,
///   `"$20 million"` → `$20000000`), cents are combined (`"$2 and ¢7"` → `$2.07`);
///   `"percent"` / `"per cent"` → `%`;
/// * `1` / `1s` standing alone are written `one` / `ones`.
///
/// Like the Python original, it expects lowercase text in which symbols other than
/// `. % $ ¢ € £` have been removed (as [`super::EnglishTextNormalizer`] prepares it).
///
/// ```
/// use ser_metrics::asr::EnglishNumberNormalizer;
/// let n = EnglishNumberNormalizer::new();
/// assert_eq!(n.normalize("one hundred and five"), "105");
/// assert_eq!(n.normalize("the twenty third of may"), "the 23rd of may");
/// assert_eq!(n.normalize("three point one four"), "3.14");
/// assert_eq!(n.normalize("twenty dollars and fifty cents"), "$20.50");
/// assert_eq!(n.normalize("fifty per cent"), "50%");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct EnglishNumberNormalizer;

/// A pending number: Python's `int` (as canonical decimal digits) or `str`.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Int(String),
    Str(String),
}

impl Val {
    fn text(&self) -> &str {
        match self {
            Val::Int(s) | Val::Str(s) => s,
        }
    }
    fn int(n: u64) -> Self {
        Val::Int(n.to_string())
    }
}

struct Tables {
    zeros: HashSet<&'static str>,
    ones: HashMap<String, u64>,
    ones_suffixed: HashMap<String, (u64, &'static str)>,
    tens: HashMap<String, u64>,
    tens_suffixed: HashMap<String, (u64, &'static str)>,
    /// multiplier name -> power of ten
    multipliers: HashMap<String, usize>,
    multipliers_suffixed: HashMap<String, (usize, &'static str)>,
    decimals: HashSet<String>,
    preceding_prefixers: HashMap<&'static str, char>,
    following_prefixers: HashMap<&'static str, char>,
    prefixes: HashSet<char>,
    words: HashSet<String>,
    numeric: Regex,
    and_a_half: Regex,
    letter_digit: Regex,
    digit_letter: Regex,
    suffix_space: Regex,
    cents: Regex,
    zero_cents: Regex,
    one: Regex,
}

const ONES: [&str; 19] = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [(&str, u64); 8] = [
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];
const MULTIPLIERS: [(&str, usize); 12] = [
    ("hundred", 2),
    ("thousand", 3),
    ("million", 6),
    ("billion", 9),
    ("trillion", 12),
    ("quadrillion", 15),
    ("quintillion", 18),
    ("sextillion", 21),
    ("septillion", 24),
    ("octillion", 27),
    ("nonillion", 30),
    ("decillion", 33),
];

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let zeros: HashSet<&str> = ["o", "oh", "zero"].into_iter().collect();
        let ones: HashMap<String, u64> = ONES
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i as u64 + 1))
            .collect();
        let mut ones_suffixed: HashMap<String, (u64, &str)> = HashMap::new();
        for (name, &v) in &ones {
            let plural = if name == "six" {
                "sixes".to_string()
            } else {
                format!("{name}s")
            };
            ones_suffixed.insert(plural, (v, "s"));
        }
        for (name, v, s) in [
            ("zeroth", 0, "th"),
            ("first", 1, "st"),
            ("second", 2, "nd"),
            ("third", 3, "rd"),
            ("fifth", 5, "th"),
            ("twelfth", 12, "th"),
        ] {
            ones_suffixed.insert(name.to_string(), (v, s));
        }
        for (name, &v) in &ones {
            if v > 3 && v != 5 && v != 12 {
                let ord = if name.ends_with('t') {
                    format!("{name}h")
                } else {
                    format!("{name}th")
                };
                ones_suffixed.insert(ord, (v, "th"));
            }
        }
        let tens: HashMap<String, u64> = TENS.iter().map(|&(n, v)| (n.to_string(), v)).collect();
        let mut tens_suffixed = HashMap::new();
        for &(n, v) in &TENS {
            tens_suffixed.insert(n.replace('y', "ies"), (v, "s"));
        }
        for &(n, v) in &TENS {
            tens_suffixed.insert(n.replace('y', "ieth"), (v, "th"));
        }
        let multipliers: HashMap<String, usize> = MULTIPLIERS
            .iter()
            .map(|&(n, k)| (n.to_string(), k))
            .collect();
        let mut multipliers_suffixed = HashMap::new();
        for &(n, k) in &MULTIPLIERS {
            multipliers_suffixed.insert(format!("{n}s"), (k, "s"));
        }
        for &(n, k) in &MULTIPLIERS {
            multipliers_suffixed.insert(format!("{n}th"), (k, "th"));
        }
        let decimals: HashSet<String> = ones
            .keys()
            .cloned()
            .chain(tens.keys().cloned())
            .chain(zeros.iter().map(|s| s.to_string()))
            .collect();
        let preceding_prefixers: HashMap<&str, char> = [
            ("minus", '-'),
            ("negative", '-'),
            ("plus", '+'),
            ("positive", '+'),
        ]
        .into_iter()
        .collect();
        let following_prefixers: HashMap<&str, char> = [
            ("pound", '£'),
            ("pounds", '£'),
            ("euro", '€'),
            ("euros", '€'),
            ("dollar", '$'),
            ("dollars", '$'),
            ("cent", '¢'),
            ("cents", '¢'),
        ]
        .into_iter()
        .collect();
        let prefixes = preceding_prefixers
            .values()
            .chain(following_prefixers.values())
            .copied()
            .collect();
        let mut words: HashSet<String> = HashSet::new();
        words.extend(zeros.iter().map(|s| s.to_string()));
        words.extend(ones.keys().cloned());
        words.extend(ones_suffixed.keys().cloned());
        words.extend(tens.keys().cloned());
        words.extend(tens_suffixed.keys().cloned());
        words.extend(multipliers.keys().cloned());
        words.extend(multipliers_suffixed.keys().cloned());
        words.extend(preceding_prefixers.keys().map(|s| s.to_string()));
        words.extend(following_prefixers.keys().map(|s| s.to_string()));
        words.extend(["per", "percent"].map(String::from));
        words.extend(["and", "double", "triple", "point"].map(String::from));
        Tables {
            zeros,
            ones,
            ones_suffixed,
            tens,
            tens_suffixed,
            multipliers,
            multipliers_suffixed,
            decimals,
            preceding_prefixers,
            following_prefixers,
            prefixes,
            words,
            numeric: re(r"^\d+(?:\.\d+)?$"),
            and_a_half: re(&format!("and{WS}+a{WS}+half")),
            letter_digit: re(r"([a-z])([0-9])"),
            digit_letter: re(r"([0-9])([a-z])"),
            suffix_space: re(&format!("([0-9]){WS}+(st|nd|rd|th|s)")),
            cents: re(r"([€£$])([0-9]+) (?:and )?¢([0-9]{1,2})"),
            zero_cents: re(r"[€£$]0.([0-9]{1,2})"),
            one: re(r"1(s?)"),
        }
    })
}

/// Value of a decimal digit (any Unicode `Nd` character, as Python's `int()` reads them).
fn digit_value(c: char) -> u32 {
    if let Some(d) = c.to_digit(10) {
        return d;
    }
    // Nd characters come in runs of whole 0..9 blocks; count back to the run's start
    let is_nd = |cp: u32| {
        char::from_u32(cp).is_some_and(|ch| {
            let mut b = [0u8; 4];
            tables().numeric.is_match(ch.encode_utf8(&mut b))
        })
    };
    let cp = c as u32;
    let mut start = cp;
    while start > 0 && is_nd(start - 1) {
        start -= 1;
    }
    (cp - start) % 10
}

/// Canonical decimal digits (no leading zeros) of a digit string.
fn canonical(digits: impl Iterator<Item = char>) -> String {
    let s: String = digits
        .map(|c| char::from_digit(digit_value(c), 10).unwrap_or('0'))
        .collect();
    let t = s.trim_start_matches('0');
    if t.is_empty() {
        "0".to_string()
    } else {
        t.to_string()
    }
}

fn add_dec(a: &str, b: &str) -> String {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let (mut i, mut j, mut carry) = (a.len(), b.len(), 0u8);
    while i > 0 || j > 0 || carry > 0 {
        let mut d = carry;
        if i > 0 {
            i -= 1;
            d += a[i] - b'0';
        }
        if j > 0 {
            j -= 1;
            d += b[j] - b'0';
        }
        out.push(b'0' + d % 10);
        carry = d / 10;
    }
    out.reverse();
    canonical(String::from_utf8_lossy(&out).chars())
}

/// `value % 10^k` for k <= 3.
fn rem_pow10(a: &str, k: usize) -> u64 {
    let tail = &a[a.len().saturating_sub(k)..];
    tail.parse().unwrap_or(0)
}

fn mul_pow10(a: &str, k: usize) -> String {
    if a == "0" {
        a.to_string()
    } else {
        format!("{a}{}", "0".repeat(k))
    }
}

/// `value // 1000 * 1000 + value % 1000 * 10^k` (Python int arithmetic).
fn apply_multiplier(a: &str, k: usize) -> String {
    let before = if a.len() <= 3 {
        "0".to_string()
    } else {
        format!("{}000", &a[..a.len() - 3])
    };
    let residual = rem_pow10(a, 3).to_string();
    add_dec(&before, &mul_pow10(&residual, k))
}

/// `Fraction(value) * 10^k` if it is an integer (`None` if `value` is no valid fraction or
/// the product is not whole), as canonical digits.
fn fraction_times_pow10(v: &Val, k: usize) -> Option<Option<String>> {
    let (int, frac) = match v {
        Val::Int(s) => (s.clone(), String::new()),
        Val::Str(s) => {
            let (i, f) = match s.split_once('.') {
                Some((i, f)) => (i, f),
                None => (s.as_str(), ""),
            };
            let nd = |t: &str| {
                t.chars()
                    .all(|c| c.is_ascii_digit() || digit_value_is_nd(c))
            };
            if !nd(i) || !nd(f) || (i.is_empty() && f.is_empty()) {
                return None; // Fraction() raises ValueError
            }
            (i.to_string(), f.to_string())
        }
    };
    let frac = frac.trim_end_matches(|c: char| digit_value(c) == 0);
    if frac.chars().count() > k {
        return Some(None);
    }
    let pad = k - frac.chars().count();
    let digits = format!("{int}{frac}{}", "0".repeat(pad));
    Some(Some(canonical(digits.chars())))
}

fn digit_value_is_nd(c: char) -> bool {
    let mut b = [0u8; 4];
    tables().numeric.is_match(c.encode_utf8(&mut b))
}

/// Python truthiness of `value` (`None`, `0`, `""` are false).
fn truthy(v: &Option<Val>) -> bool {
    match v {
        None => false,
        Some(Val::Int(s)) => s != "0",
        Some(Val::Str(s)) => !s.is_empty(),
    }
}

struct State {
    prefix: Option<char>,
    value: Option<Val>,
    out: Vec<String>,
}

impl State {
    /// whisper's `output(result)`: prefix the pending prefix, clear prefix and value.
    fn output(&mut self, result: &str) {
        let r = match self.prefix.take() {
            Some(p) => format!("{p}{result}"),
            None => result.to_string(),
        };
        self.value = None;
        self.out.push(r);
    }
    fn output_value(&mut self) {
        if let Some(v) = self.value.take() {
            self.output(v.text());
        }
    }
}

impl EnglishNumberNormalizer {
    /// The normaliser.
    pub fn new() -> Self {
        Self
    }

    /// whisper's `process_words`: the number-merging state machine over words.
    fn process_words(&self, words: &[&str]) -> Vec<String> {
        let t = tables();
        let mut st = State {
            prefix: None,
            value: None,
            out: Vec::new(),
        };
        let mut skip = false;
        for idx in 0..words.len() {
            if skip {
                skip = false;
                continue;
            }
            let prev = idx.checked_sub(1).map(|i| words[i]);
            let current = words[idx];
            let next = words.get(idx + 1).copied();
            let next_is_numeric = next.is_some_and(|n| t.numeric.is_match(n));
            let next_in_words = next.is_some_and(|n| t.words.contains(n));
            let prev_in = |m: &dyn Fn(&str) -> bool| prev.is_some_and(m);
            let Some(first) = current.chars().next() else {
                continue;
            };
            let has_prefix = t.prefixes.contains(&first);
            let cwp = if has_prefix {
                &current[first.len_utf8()..]
            } else {
                current
            };
            if t.numeric.is_match(cwp) {
                // arabic numbers (potentially with signs and fractions)
                if let Some(v) = &st.value {
                    if let Val::Str(s) = v {
                        if s.ends_with('.') {
                            st.value = Some(Val::Str(format!("{s}{current}")));
                            continue;
                        }
                    }
                    st.output_value();
                }
                if has_prefix {
                    st.prefix = Some(first);
                }
                let f = fraction_times_pow10(&Val::Str(cwp.to_string()), 0).flatten();
                st.value = Some(match f {
                    Some(int) => Val::Int(int),
                    None => Val::Str(cwp.to_string()),
                });
            } else if !t.words.contains(current) {
                st.output_value();
                st.output(current);
            } else if t.zeros.contains(current) {
                let base = if truthy(&st.value) {
                    st.value.as_ref().map_or("", Val::text).to_string()
                } else {
                    String::new()
                };
                st.value = Some(Val::Str(format!("{base}0")));
            } else if let Some(&ones) = t.ones.get(current) {
                st.value = Some(match st.value.take() {
                    None => Val::int(ones),
                    Some(v) if matches!(v, Val::Str(_)) || prev_in(&|p| t.ones.contains_key(p)) => {
                        let s = v.text();
                        if prev_in(&|p| t.tens.contains_key(p)) && ones < 10 {
                            let mut s = s.to_string();
                            s.pop();
                            Val::Str(format!("{s}{ones}"))
                        } else {
                            Val::Str(format!("{s}{ones}"))
                        }
                    }
                    Some(Val::Int(v)) => {
                        let m = if ones < 10 { 1 } else { 2 };
                        if rem_pow10(&v, m) == 0 {
                            Val::Int(add_dec(&v, &ones.to_string()))
                        } else {
                            Val::Str(format!("{v}{ones}"))
                        }
                    }
                    Some(v) => v, // unreachable: Str handled above
                });
            } else if let Some(&(ones, suffix)) = t.ones_suffixed.get(current) {
                // ordinal or cardinal; yield the number right away
                let r = match &st.value {
                    None => format!("{ones}{suffix}"),
                    Some(v) if matches!(v, Val::Str(_)) || prev_in(&|p| t.ones.contains_key(p)) => {
                        if prev_in(&|p| t.tens.contains_key(p)) && ones < 10 {
                            let mut s = v.text().to_string();
                            s.pop();
                            format!("{s}{ones}{suffix}")
                        } else {
                            format!("{}{ones}{suffix}", v.text())
                        }
                    }
                    Some(v) => {
                        let s = v.text();
                        let m = if ones < 10 { 1 } else { 2 };
                        if rem_pow10(s, m) == 0 {
                            format!("{}{suffix}", add_dec(s, &ones.to_string()))
                        } else {
                            format!("{s}{ones}{suffix}")
                        }
                    }
                };
                st.output(&r);
                st.value = None;
            } else if let Some(&tens) = t.tens.get(current) {
                st.value = Some(match st.value.take() {
                    None => Val::int(tens),
                    Some(Val::Str(s)) => Val::Str(format!("{s}{tens}")),
                    Some(Val::Int(v)) => {
                        if rem_pow10(&v, 2) == 0 {
                            Val::Int(add_dec(&v, &tens.to_string()))
                        } else {
                            Val::Str(format!("{v}{tens}"))
                        }
                    }
                });
            } else if let Some(&(tens, suffix)) = t.tens_suffixed.get(current) {
                let r = match &st.value {
                    None => format!("{tens}{suffix}"),
                    Some(Val::Str(s)) => format!("{s}{tens}{suffix}"),
                    Some(Val::Int(v)) => {
                        if rem_pow10(v, 2) == 0 {
                            format!("{}{suffix}", add_dec(v, &tens.to_string()))
                        } else {
                            format!("{v}{tens}{suffix}")
                        }
                    }
                };
                st.output(&r);
            } else if let Some(&k) = t.multipliers.get(current) {
                let mult = mul_pow10("1", k);
                match st.value.take() {
                    None => st.value = Some(Val::Int(mult)),
                    Some(v) if matches!(v, Val::Str(_)) || v == Val::Int("0".into()) => {
                        match fraction_times_pow10(&v, k) {
                            Some(Some(p)) => st.value = Some(Val::Int(p)),
                            _ => {
                                st.value = Some(v);
                                st.output_value();
                                st.value = Some(Val::Int(mult));
                            }
                        }
                    }
                    Some(v) => st.value = Some(Val::Int(apply_multiplier(v.text(), k))),
                }
            } else if let Some(&(k, suffix)) = t.multipliers_suffixed.get(current) {
                let mult = mul_pow10("1", k);
                match st.value.clone() {
                    None => st.output(&format!("{mult}{suffix}")),
                    Some(v @ Val::Str(_)) => match fraction_times_pow10(&v, k) {
                        Some(Some(p)) => st.output(&format!("{p}{suffix}")),
                        _ => {
                            st.output(v.text());
                            st.output(&format!("{mult}{suffix}"));
                        }
                    },
                    Some(Val::Int(v)) => {
                        let r = apply_multiplier(&v, k);
                        st.output(&format!("{r}{suffix}"));
                    }
                }
                st.value = None;
            } else if let Some(&sym) = t.preceding_prefixers.get(current) {
                // apply prefix (positive, minus, etc.) if it precedes a number
                st.output_value();
                if next_in_words || next_is_numeric {
                    st.prefix = Some(sym);
                } else {
                    st.output(current);
                }
            } else if let Some(&sym) = t.following_prefixers.get(current) {
                // apply prefix (dollars, cents, etc.) only after a number
                if st.value.is_some() {
                    st.prefix = Some(sym);
                    st.output_value();
                } else {
                    st.output(current);
                }
            } else if current == "per" || current == "percent" {
                // apply suffix symbols (percent -> '%')
                match st.value.clone() {
                    Some(v) => {
                        if current == "per" {
                            if next == Some("cent") {
                                st.output(&format!("{}%", v.text()));
                                skip = true;
                            } else {
                                st.output_value();
                                st.output(current);
                            }
                        } else {
                            st.output(&format!("{}%", v.text()));
                        }
                    }
                    None => st.output(current),
                }
            } else {
                // specials: and, double, triple, point
                if !next_in_words && !next_is_numeric {
                    // apply special handling only if the next word can be numeric
                    st.output_value();
                    st.output(current);
                } else if current == "and" {
                    // ignore "and" after hundreds, thousands, etc.
                    if !prev_in(&|p| t.multipliers.contains_key(p)) {
                        st.output_value();
                        st.output(current);
                    }
                } else if current == "double" || current == "triple" {
                    let next_w = next.unwrap_or("");
                    if t.ones.contains_key(next_w) || t.zeros.contains(next_w) {
                        let repeats = if current == "double" { 2 } else { 3 };
                        let ones = t.ones.get(next_w).copied().unwrap_or(0);
                        let base = if truthy(&st.value) {
                            st.value.as_ref().map_or("", Val::text).to_string()
                        } else {
                            String::new()
                        };
                        st.value = Some(Val::Str(format!(
                            "{base}{}",
                            ones.to_string().repeat(repeats)
                        )));
                        skip = true;
                    } else {
                        st.output_value();
                        st.output(current);
                    }
                } else if current == "point"
                    && (next.is_some_and(|n| t.decimals.contains(n)) || next_is_numeric)
                {
                    let base = if truthy(&st.value) {
                        st.value.as_ref().map_or("", Val::text).to_string()
                    } else {
                        String::new()
                    };
                    st.value = Some(Val::Str(format!("{base}.")));
                }
            }
        }
        st.output_value();
        st.out
    }

    /// whisper's `preprocess`: "<number> and a half" → "<number> point five", spaces at
    /// letter / digit boundaries, ordinal suffixes re-attached.
    fn preprocess(&self, s: &str) -> String {
        let t = tables();
        let segments = split_bounded(&t.and_a_half, s, true, true);
        let mut results: Vec<&str> = Vec::new();
        let n = segments.len();
        for (i, segment) in segments.into_iter().enumerate() {
            if segment.trim_matches(is_space).is_empty() {
                continue;
            }
            results.push(segment);
            if i + 1 != n {
                let last_word = split_ws(segment).last().unwrap_or("");
                if t.decimals.contains(last_word) || t.multipliers.contains_key(last_word) {
                    results.push("point five");
                } else {
                    results.push("and a half");
                }
            }
        }
        let s = results.join(" ");
        let s = t.letter_digit.replace_all(&s, "${1} ${2}");
        let s = t.digit_letter.replace_all(&s, "${1} ${2}");
        sub_bounded(&t.suffix_space, &s, false, true, |c| {
            format!("{}{}", &c[1], &c[2])
        })
    }

    /// whisper's `postprocess`: cents combined with the currency amount, `1` → `one`.
    fn postprocess(&self, s: &str) -> String {
        let t = tables();
        let s = sub_bounded(&t.cents, s, false, true, |c| {
            let cents: u32 = c[3].parse().unwrap_or(0);
            format!("{}{}.{cents:02}", &c[1], &c[2])
        });
        let s = sub_bounded(&t.zero_cents, &s, false, true, |c| {
            let cents: u32 = c[1].parse().unwrap_or(0);
            format!("¢{cents}")
        });
        sub_bounded(&t.one, &s, true, true, |c| format!("one{}", &c[1]))
    }

    /// Normalises one (lowercase, symbol-free) text.
    pub fn normalize(&self, s: &str) -> String {
        let s = self.preprocess(s);
        let words: Vec<&str> = split_ws(&s).collect();
        let s = self.process_words(&words).join(" ");
        self.postprocess(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_integers_like_python() {
        assert_eq!(add_dec("999", "1"), "1000");
        assert_eq!(apply_multiplier("1234", 6), "234001000"); // 1000 + 234 * 10^6
        assert_eq!(apply_multiplier("5", 33), format!("5{}", "0".repeat(33)));
        let n = EnglishNumberNormalizer::new();
        assert_eq!(
            n.normalize("nine hundred decillion"),
            format!("9{}", "0".repeat(35))
        );
    }

    #[test]
    fn fractions() {
        let v = Val::Str("1.5".into());
        assert_eq!(fraction_times_pow10(&v, 6), Some(Some("1500000".into())));
        assert_eq!(fraction_times_pow10(&v, 0), Some(None));
        assert_eq!(fraction_times_pow10(&Val::Str("1.2.3".into()), 3), None);
        assert_eq!(
            fraction_times_pow10(&Val::Str("٣.٥".into()), 1),
            Some(Some("35".into()))
        );
    }

    #[test]
    fn common_cases() {
        let n = EnglishNumberNormalizer::new();
        for (i, o) in [
            ("twenty one", "21"),
            ("nineteen ninety nine", "1999"),
            ("one oh one", "101"),
            ("double seven triple zero", "77000"),
            ("one and a half hours", "one.5 hours"), // sic: postprocess `\b1\b`
            ("minus forty degrees", "-40 degrees"),
            ("the sixties", "the 60s"),
            ("one", "one"),
            ("$20 million", "$20000000"),
            ("five dollars and seven cents", "$5.07"),
        ] {
            assert_eq!(n.normalize(i), o, "{i}");
        }
    }
}
