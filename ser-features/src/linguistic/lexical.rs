//! Hand-crafted lexical features of one transcript: VADER scores, counts and ratios of
//! emotion-bearing words (VADER valence buckets — no NRC lexicon is shipped), negations,
//! intensifiers, punctuation, capitalisation, sentence length and personal pronouns.

use super::tokenize::{normalize, words};
use super::vader::{booster, is_negation, py_isupper, vader_tokens, Vader};

/// Names of the values returned by [`lexical_features`], in order.
pub const LEXICAL_FEATURE_NAMES: [&str; 22] = [
    "vader_neg",
    "vader_neu",
    "vader_pos",
    "vader_compound",
    "n_words",
    "mean_word_len",
    "lex_coverage",
    "lex_mean_valence",
    "lex_strong_pos_ratio",
    "lex_weak_pos_ratio",
    "lex_weak_neg_ratio",
    "lex_strong_neg_ratio",
    "negation_ratio",
    "booster_ratio",
    "dampener_ratio",
    "n_exclamation",
    "n_question",
    "is_question",
    "allcaps_ratio",
    "first_person_sing_ratio",
    "first_person_plural_ratio",
    "second_person_ratio",
];

const FIRST_SING: [&str; 9] = [
    "i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll",
];
const FIRST_PLURAL: [&str; 8] = [
    "we",
    "us",
    "our",
    "ours",
    "ourselves",
    "we're",
    "we've",
    "we'll",
];
const SECOND: [&str; 8] = [
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "you're",
    "you've",
    "you'll",
];

/// The [`LEXICAL_FEATURE_NAMES`] values of `text` (length 22, all finite).
///
/// Ratios are over the number of word tokens ([`words`]); an empty text gives all zeros.
/// Valence buckets use the VADER lexicon rating `v` of each word: strong positive `v ≥ 2`,
/// weak positive `0 < v < 2`, weak negative `-2 < v < 0`, strong negative `v ≤ -2`.
/// `allcaps_ratio` counts VADER tokens that are ALL CAPS and longer than one character.
///
/// ```
/// use ser_features::linguistic::{lexical_features, LEXICAL_FEATURE_NAMES};
/// let f = lexical_features("I am SO happy!!! Aren't you?");
/// let get = |n: &str| f[LEXICAL_FEATURE_NAMES.iter().position(|x| *x == n).unwrap()];
/// assert_eq!(get("n_exclamation"), 3.0);
/// assert_eq!(get("is_question"), 1.0);
/// assert!(get("vader_compound") > 0.5);
/// assert!(get("first_person_sing_ratio") > 0.0);
/// ```
pub fn lexical_features(text: &str) -> Vec<f32> {
    lexical_features_with(Vader::shared(), text)
}

/// [`lexical_features`] with an explicit analyser.
pub fn lexical_features_with(vader: &Vader, text: &str) -> Vec<f32> {
    let text = normalize(text);
    let s = vader.polarity_scores(&text);
    let ws = words(&text);
    let n = ws.len();
    let nf = n.max(1) as f64;
    let mut out = vec![0f64; LEXICAL_FEATURE_NAMES.len()];
    out[0] = s.neg;
    out[1] = s.neu;
    out[2] = s.pos;
    out[3] = s.compound;
    out[4] = n as f64;
    out[5] = ws.iter().map(|w| w.chars().count()).sum::<usize>() as f64 / nf;
    let vals: Vec<f64> = ws.iter().filter_map(|w| vader.valence(w)).collect();
    out[6] = vals.len() as f64 / nf;
    out[7] = if vals.is_empty() {
        0.0
    } else {
        vals.iter().sum::<f64>() / vals.len() as f64
    };
    out[8] = vals.iter().filter(|&&v| v >= 2.0).count() as f64 / nf;
    out[9] = vals.iter().filter(|&&v| v > 0.0 && v < 2.0).count() as f64 / nf;
    out[10] = vals.iter().filter(|&&v| v < 0.0 && v > -2.0).count() as f64 / nf;
    out[11] = vals.iter().filter(|&&v| v <= -2.0).count() as f64 / nf;
    out[12] = ws.iter().filter(|w| is_negation(w)).count() as f64 / nf;
    out[13] = ws
        .iter()
        .filter(|w| booster(w).is_some_and(|b| b > 0.0))
        .count() as f64
        / nf;
    out[14] = ws
        .iter()
        .filter(|w| booster(w).is_some_and(|b| b < 0.0))
        .count() as f64
        / nf;
    out[15] = text.matches('!').count() as f64;
    out[16] = text.matches('?').count() as f64;
    out[17] = if text.trim_end().ends_with('?') {
        1.0
    } else {
        0.0
    };
    let vt = vader_tokens(&text);
    out[18] = vt
        .iter()
        .filter(|t| t.chars().count() > 1 && py_isupper(t))
        .count() as f64
        / vt.len().max(1) as f64;
    let count = |set: &[&str]| ws.iter().filter(|w| set.contains(&w.as_str())).count() as f64 / nf;
    out[19] = count(&FIRST_SING);
    out[20] = count(&FIRST_PLURAL);
    out[21] = count(&SECOND);
    out.into_iter().map(|v| v as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(f: &[f32], n: &str) -> f32 {
        f[LEXICAL_FEATURE_NAMES
            .iter()
            .position(|x| *x == n)
            .expect("name")]
    }

    #[test]
    fn empty_text_is_zero() {
        let f = lexical_features("");
        assert_eq!(f.len(), LEXICAL_FEATURE_NAMES.len());
        assert!(f.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn counts_and_ratios() {
        let f = lexical_features("We are not very happy, we hate this terrible day.");
        assert_eq!(get(&f, "n_words"), 10.0);
        assert!((get(&f, "negation_ratio") - 0.1).abs() < 1e-6);
        assert!((get(&f, "booster_ratio") - 0.1).abs() < 1e-6);
        assert!((get(&f, "first_person_plural_ratio") - 0.2).abs() < 1e-6);
        assert!(get(&f, "lex_strong_neg_ratio") > 0.0); // hate -2.7, terrible -2.1
        assert!(get(&f, "vader_compound") < 0.0);
        assert_eq!(get(&f, "is_question"), 0.0);
    }

    #[test]
    fn caps_and_punctuation() {
        let f = lexical_features("WHY would you DO that?!?");
        assert_eq!(get(&f, "n_question"), 2.0);
        assert_eq!(get(&f, "n_exclamation"), 1.0);
        assert!((get(&f, "allcaps_ratio") - 0.4).abs() < 1e-6);
        assert!(f.iter().all(|v| v.is_finite()));
    }
}
