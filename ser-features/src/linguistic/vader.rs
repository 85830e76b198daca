//! VADER sentiment (Hutto & Gilbert 2014), a faithful port of `vaderSentiment` 3.3.2.
//!
//! Every rule of the Python implementation is reproduced, including its quirks: negation
//! within three words (`N_SCALAR = -0.74`), booster / dampener words (`±0.293`, damped by
//! 0.95 / 0.9 with distance), ALL-CAPS emphasis (`+0.733` when only some words are in caps),
//! `"but"` (earlier sentiment ×0.5, later ×1.5 — with the original's first-equal-value
//! lookup), `"least"`, `"no"`, `"never so/this"`, `"without doubt"`, the special idioms, the
//! `"kind of"` dampener, `!` (up to 4 × 0.292) and `?` (2–3 × 0.18, else 0.96) emphasis,
//! and emoji → description replacement. Scores are returned **unrounded**; Python rounds
//! `pos`/`neu`/`neg` to 3 and `compound` to 4 decimals.
//!
//! Parity: `tests/linguistic_vader.rs` compares 60 sentences against the Python package
//! (fixture made by `tests/fixtures/linguistic/gen_vader.py`).
//!
//! The lexicon ships with the crate (`data/vader_lexicon.tsv`, MIT, © 2016 C.J. Hutto; see
//! `data/README.md` and `data/VADER_LICENSE.txt`).

use std::collections::HashMap;
use std::sync::OnceLock;

const LEXICON: &str = include_str!("data/vader_lexicon.tsv");
const EMOJI: &str = include_str!("data/vader_emoji.tsv");

/// Mean intensity increase of a booster word.
pub const B_INCR: f64 = 0.293;
/// Mean intensity decrease of a dampener word.
pub const B_DECR: f64 = -0.293;
/// Intensity increase of an ALL-CAPS word among non-caps words.
pub const C_INCR: f64 = 0.733;
/// Valence multiplier after a negation.
pub const N_SCALAR: f64 = -0.74;

/// Negation words (`vaderSentiment.NEGATE`).
pub const NEGATE: &[&str] = &[
    "aint",
    "arent",
    "cannot",
    "cant",
    "couldnt",
    "darent",
    "didnt",
    "doesnt",
    "ain't",
    "aren't",
    "can't",
    "couldn't",
    "daren't",
    "didn't",
    "doesn't",
    "dont",
    "hadnt",
    "hasnt",
    "havent",
    "isnt",
    "mightnt",
    "mustnt",
    "neither",
    "don't",
    "hadn't",
    "hasn't",
    "haven't",
    "isn't",
    "mightn't",
    "mustn't",
    "neednt",
    "needn't",
    "never",
    "none",
    "nope",
    "nor",
    "not",
    "nothing",
    "nowhere",
    "oughtnt",
    "shant",
    "shouldnt",
    "uhuh",
    "wasnt",
    "werent",
    "oughtn't",
    "shan't",
    "shouldn't",
    "uh-uh",
    "wasn't",
    "weren't",
    "without",
    "wont",
    "wouldnt",
    "won't",
    "wouldn't",
    "rarely",
    "seldom",
    "despite",
];

const BOOSTERS_INC: &[&str] = &[
    "absolutely",
    "amazingly",
    "awfully",
    "completely",
    "considerable",
    "considerably",
    "decidedly",
    "deeply",
    "effing",
    "enormous",
    "enormously",
    "entirely",
    "especially",
    "exceptional",
    "exceptionally",
    "extreme",
    "extremely",
    "fabulously",
    "flipping",
    "flippin",
    "frackin",
    "fracking",
    "fricking",
    "frickin",
    "frigging",
    "friggin",
    "fully",
    "fuckin",
    "fucking",
    "fuggin",
    "fugging",
    "greatly",
    "hella",
    "highly",
    "hugely",
    "incredible",
    "incredibly",
    "intensely",
    "major",
    "majorly",
    "more",
    "most",
    "particularly",
    "purely",
    "quite",
    "really",
    "remarkably",
    "so",
    "substantially",
    "thoroughly",
    "total",
    "totally",
    "tremendous",
    "tremendously",
    "uber",
    "unbelievably",
    "unusually",
    "utter",
    "utterly",
    "very",
];

const BOOSTERS_DEC: &[&str] = &[
    "almost",
    "barely",
    "hardly",
    "just enough",
    "kind of",
    "kinda",
    "kindof",
    "kind-of",
    "less",
    "little",
    "marginal",
    "marginally",
    "occasional",
    "occasionally",
    "partly",
    "scarce",
    "scarcely",
    "slight",
    "slightly",
    "somewhat",
    "sort of",
    "sorta",
    "sortof",
    "sort-of",
];

const SPECIAL_CASES: [(&str, f64); 9] = [
    ("the shit", 3.0),
    ("the bomb", 3.0),
    ("bad ass", 1.5),
    ("badass", 1.5),
    ("bus stop", 0.0),
    ("yeah right", -2.0),
    ("kiss of death", -1.5),
    ("to die for", 3.0),
    ("beating heart", 3.5),
];

/// Booster (`> 0`) or dampener (`< 0`) increment of a lower-cased word or bigram.
pub fn booster(word_lower: &str) -> Option<f64> {
    if BOOSTERS_INC.contains(&word_lower) {
        Some(B_INCR)
    } else if BOOSTERS_DEC.contains(&word_lower) {
        Some(B_DECR)
    } else {
        None
    }
}

fn special_case(s: &str) -> Option<f64> {
    SPECIAL_CASES.iter().find(|(k, _)| *k == s).map(|(_, v)| *v)
}

/// `true` for a negation word or any word containing `n't` (`vaderSentiment.negated`).
pub fn is_negation(word_lower: &str) -> bool {
    NEGATE.contains(&word_lower) || word_lower.contains("n't")
}

/// Python's `str.isupper()`: at least one cased character and no lower-case one.
pub fn py_isupper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

/// VADER's tokens: whitespace split, then leading/trailing ASCII punctuation stripped unless
/// fewer than three characters would remain (keeps emoticons such as `:)`).
pub fn vader_tokens(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .map(|t| {
            let s = t.trim_matches(|c: char| c.is_ascii_punctuation());
            if s.chars().count() <= 2 {
                t
            } else {
                s
            }
        })
        .collect()
}

/// Polarity scores of one text (unrounded).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct VaderScores {
    /// Proportion of negative intensity, in `[0, 1]`.
    pub neg: f64,
    /// Proportion of neutral tokens, in `[0, 1]`.
    pub neu: f64,
    /// Proportion of positive intensity, in `[0, 1]`.
    pub pos: f64,
    /// Normalised sum of valences, in `[-1, 1]`.
    pub compound: f64,
}

/// A VADER analyser holding the lexicon and the emoji table.
///
/// ```
/// use ser_features::linguistic::Vader;
/// let v = Vader::shared();
/// let good = v.polarity_scores("The book was good.");
/// let not_good = v.polarity_scores("The book was not good.");
/// assert!(good.compound > 0.4 && not_good.compound < 0.0);
/// let loud = v.polarity_scores("The book was GOOD!!!");
/// assert!(loud.compound > good.compound);
/// ```
#[derive(Debug, Clone)]
pub struct Vader {
    lexicon: HashMap<String, f64>,
    emoji: HashMap<char, String>,
}

impl Default for Vader {
    fn default() -> Self {
        Self::new()
    }
}

impl Vader {
    /// Parses the embedded lexicon and emoji table.
    pub fn new() -> Self {
        let mut lexicon = HashMap::with_capacity(7600);
        for line in LEXICON.lines() {
            if let Some((w, m)) = line.split_once('\t') {
                if let Ok(v) = m.trim().parse::<f64>() {
                    lexicon.insert(w.to_string(), v);
                }
            }
        }
        let mut emoji = HashMap::with_capacity(1300);
        for line in EMOJI.lines() {
            if let Some((e, d)) = line.split_once('\t') {
                let mut cs = e.chars();
                if let (Some(c), None) = (cs.next(), cs.next()) {
                    emoji.insert(c, d.to_string());
                }
            }
        }
        Self { lexicon, emoji }
    }

    /// A process-wide instance (parsed once).
    pub fn shared() -> &'static Vader {
        static V: OnceLock<Vader> = OnceLock::new();
        V.get_or_init(Vader::new)
    }

    /// Number of lexicon entries.
    pub fn lexicon_len(&self) -> usize {
        self.lexicon.len()
    }

    /// Lexicon valence (mean human rating in `[-4, 4]`) of a lower-cased token.
    pub fn valence(&self, token_lower: &str) -> Option<f64> {
        self.lexicon.get(token_lower).copied()
    }

    fn in_lex(&self, w: &str) -> bool {
        self.lexicon.contains_key(w)
    }

    /// Replaces emojis by their textual description and trims (VADER's first step).
    pub fn demojize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut prev_space = true;
        for c in text.chars() {
            if let Some(d) = self.emoji.get(&c) {
                if !prev_space {
                    out.push(' ');
                }
                out.push_str(d);
                prev_space = false;
            } else {
                out.push(c);
                prev_space = c == ' ';
            }
        }
        out.trim().to_string()
    }

    /// Per-token sentiment after all rules (including `"but"`), with the tokens.
    pub fn token_sentiments(&self, text: &str) -> (Vec<String>, Vec<f64>) {
        let text = self.demojize(text);
        let words: Vec<String> = vader_tokens(&text).into_iter().map(String::from).collect();
        let lw: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        let n_upper = words.iter().filter(|w| py_isupper(w)).count();
        let is_cap_diff = n_upper > 0 && n_upper < words.len();
        let mut sentiments = Vec::with_capacity(words.len());
        for i in 0..words.len() {
            if booster(&lw[i]).is_some() {
                sentiments.push(0.0);
                continue;
            }
            if i + 1 < words.len() && lw[i] == "kind" && lw[i + 1] == "of" {
                sentiments.push(0.0);
                continue;
            }
            sentiments.push(self.sentiment_valence(&words, &lw, i, is_cap_diff));
        }
        but_check(&lw, &mut sentiments);
        (words, sentiments)
    }

    fn sentiment_valence(&self, words: &[String], lw: &[String], i: usize, cap_diff: bool) -> f64 {
        let Some(&lex) = self.lexicon.get(&lw[i]) else {
            return 0.0;
        };
        let n = words.len();
        let mut valence = lex;
        if lw[i] == "no" && i != n - 1 && self.in_lex(&lw[i + 1]) {
            valence = 0.0;
        }
        if (i > 0 && lw[i - 1] == "no")
            || (i > 1 && lw[i - 2] == "no")
            || (i > 2 && lw[i - 3] == "no" && (lw[i - 1] == "or" || lw[i - 1] == "nor"))
        {
            valence = lex * N_SCALAR;
        }
        if py_isupper(&words[i]) && cap_diff {
            if valence > 0.0 {
                valence += C_INCR;
            } else {
                valence -= C_INCR;
            }
        }
        for start_i in 0..3 {
            if i > start_i && !self.in_lex(&lw[i - (start_i + 1)]) {
                let mut s = scalar_inc_dec(&words[i - (start_i + 1)], valence, cap_diff);
                if start_i == 1 && s != 0.0 {
                    s *= 0.95;
                }
                if start_i == 2 && s != 0.0 {
                    s *= 0.9;
                }
                valence += s;
                valence = negation_check(valence, lw, start_i, i);
                if start_i == 2 {
                    valence = special_idioms_check(valence, lw, i);
                }
            }
        }
        self.least_check(valence, lw, i)
    }

    fn least_check(&self, valence: f64, lw: &[String], i: usize) -> f64 {
        if i > 1 && !self.in_lex(&lw[i - 1]) && lw[i - 1] == "least" {
            if lw[i - 2] != "at" && lw[i - 2] != "very" {
                return valence * N_SCALAR;
            }
        } else if i > 0 && !self.in_lex(&lw[i - 1]) && lw[i - 1] == "least" {
            return valence * N_SCALAR;
        }
        valence
    }

    /// VADER polarity scores of `text` (unrounded). An empty text scores all zeros.
    pub fn polarity_scores(&self, text: &str) -> VaderScores {
        let (_, sentiments) = self.token_sentiments(text);
        score_valence(&sentiments, &self.demojize(text))
    }
}

fn scalar_inc_dec(word: &str, valence: f64, cap_diff: bool) -> f64 {
    let wl = word.to_lowercase();
    let Some(mut scalar) = booster(&wl) else {
        return 0.0;
    };
    if valence < 0.0 {
        scalar *= -1.0;
    }
    if py_isupper(word) && cap_diff {
        if valence > 0.0 {
            scalar += C_INCR;
        } else {
            scalar -= C_INCR;
        }
    }
    scalar
}

fn negation_check(valence: f64, lw: &[String], start_i: usize, i: usize) -> f64 {
    let w = |k: usize| lw[i - k].as_str();
    match start_i {
        0 => {
            if is_negation(w(1)) {
                return valence * N_SCALAR;
            }
        }
        1 => {
            if w(2) == "never" && (w(1) == "so" || w(1) == "this") {
                return valence * 1.25;
            } else if w(2) == "without" && w(1) == "doubt" {
                return valence;
            } else if is_negation(w(2)) {
                return valence * N_SCALAR;
            }
        }
        _ => {
            // Python precedence: (a and (b or c)) or (d or e).
            if (w(3) == "never" && (w(2) == "so" || w(2) == "this"))
                || (w(1) == "so" || w(1) == "this")
            {
                return valence * 1.25;
            } else if w(3) == "without" && (w(2) == "doubt" || w(1) == "doubt") {
                return valence;
            } else if is_negation(w(3)) {
                return valence * N_SCALAR;
            }
        }
    }
    valence
}

fn special_idioms_check(mut valence: f64, lw: &[String], i: usize) -> f64 {
    let onezero = format!("{} {}", lw[i - 1], lw[i]);
    let twoonezero = format!("{} {} {}", lw[i - 2], lw[i - 1], lw[i]);
    let twoone = format!("{} {}", lw[i - 2], lw[i - 1]);
    let threetwoone = format!("{} {} {}", lw[i - 3], lw[i - 2], lw[i - 1]);
    let threetwo = format!("{} {}", lw[i - 3], lw[i - 2]);
    for seq in [&onezero, &twoonezero, &twoone, &threetwoone, &threetwo] {
        if let Some(v) = special_case(seq) {
            valence = v;
            break;
        }
    }
    let n = lw.len();
    if n - 1 > i {
        if let Some(v) = special_case(&format!("{} {}", lw[i], lw[i + 1])) {
            valence = v;
        }
    }
    if n - 1 > i + 1 {
        if let Some(v) = special_case(&format!("{} {} {}", lw[i], lw[i + 1], lw[i + 2])) {
            valence = v;
        }
    }
    for ng in [&threetwoone, &threetwo, &twoone] {
        if let Some(b) = booster(ng) {
            valence += b;
        }
    }
    valence
}

/// The `"but"` rule exactly as `vaderSentiment` 3.3.2 runs it: for every position the
/// *first* entry equal to the current value is rescaled (a quirk kept for parity).
fn but_check(lw: &[String], sentiments: &mut [f64]) {
    let Some(bi) = lw.iter().position(|w| w == "but") else {
        return;
    };
    for k in 0..sentiments.len() {
        let v = sentiments[k];
        let Some(si) = sentiments.iter().position(|&s| s == v) else {
            continue;
        };
        if si < bi {
            sentiments[si] = v * 0.5;
        } else if si > bi {
            sentiments[si] = v * 1.5;
        }
    }
}

fn punctuation_emphasis(text: &str) -> f64 {
    let ep = text.matches('!').count().min(4) as f64 * 0.292;
    let qm_count = text.matches('?').count();
    let qm = if qm_count > 1 {
        if qm_count <= 3 {
            qm_count as f64 * 0.18
        } else {
            0.96
        }
    } else {
        0.0
    };
    ep + qm
}

/// `score / sqrt(score² + 15)`, clamped to `[-1, 1]`.
pub fn normalize_score(score: f64) -> f64 {
    (score / (score * score + 15.0).sqrt()).clamp(-1.0, 1.0)
}

fn score_valence(sentiments: &[f64], text: &str) -> VaderScores {
    if sentiments.is_empty() {
        return VaderScores::default();
    }
    let mut sum_s: f64 = sentiments.iter().sum();
    let punct = punctuation_emphasis(text);
    if sum_s > 0.0 {
        sum_s += punct;
    } else if sum_s < 0.0 {
        sum_s -= punct;
    }
    let compound = normalize_score(sum_s);
    let (mut pos_sum, mut neg_sum, mut neu) = (0.0f64, 0.0f64, 0usize);
    for &s in sentiments {
        if s > 0.0 {
            pos_sum += s + 1.0;
        }
        if s < 0.0 {
            neg_sum += s - 1.0;
        }
        if s == 0.0 {
            neu += 1;
        }
    }
    if pos_sum > neg_sum.abs() {
        pos_sum += punct;
    } else if pos_sum < neg_sum.abs() {
        neg_sum -= punct;
    }
    let total = pos_sum + neg_sum.abs() + neu as f64;
    VaderScores {
        neg: (neg_sum / total).abs(),
        neu: (neu as f64 / total).abs(),
        pos: (pos_sum / total).abs(),
        compound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_parsed() {
        let v = Vader::shared();
        assert!(v.lexicon_len() > 7400);
        assert_eq!(v.valence("good"), Some(1.9));
        assert_eq!(v.valence("horrible"), Some(-2.5));
    }

    #[test]
    fn empty_and_whitespace() {
        let v = Vader::shared();
        assert_eq!(v.polarity_scores(""), VaderScores::default());
        assert_eq!(v.polarity_scores("   \n\t"), VaderScores::default());
    }

    #[test]
    fn neutral_text_is_all_neutral() {
        let s = Vader::shared().polarity_scores("the table is by the door");
        assert_eq!(s.compound, 0.0);
        assert_eq!(s.neu, 1.0);
    }

    #[test]
    fn rules_move_scores_the_right_way() {
        let v = Vader::shared();
        let base = v.polarity_scores("The food is good.").compound;
        assert!(v.polarity_scores("The food is very good.").compound > base);
        assert!(v.polarity_scores("The food is slightly good.").compound < base);
        assert!(v.polarity_scores("The food is not good.").compound < 0.0);
        assert!(v.polarity_scores("The food is GOOD.").compound > base);
        assert!(v.polarity_scores("The food is good!!").compound > base);
        // "but": the second clause dominates.
        assert!(
            v.polarity_scores("The food is good, but the service is awful")
                .compound
                < 0.0
        );
    }

    #[test]
    fn tokens_keep_emoticons() {
        assert_eq!(vader_tokens("Hi :) you!!"), vec!["Hi", ":)", "you"]);
        assert!(py_isupper("GOOD!") && !py_isupper("Good") && !py_isupper("123"));
    }

    #[test]
    fn scores_are_bounded() {
        let v = Vader::shared();
        for t in [
            "AMAZING!!!! BEST EVER",
            "worst worst worst!!!",
            "no no no",
            "but but",
        ] {
            let s = v.polarity_scores(t);
            assert!((-1.0..=1.0).contains(&s.compound));
            assert!((s.pos + s.neu + s.neg - 1.0).abs() < 1e-9 || s.pos + s.neu + s.neg == 0.0);
        }
    }
}
