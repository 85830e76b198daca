#![allow(clippy::unwrap_used)]
//! Invariants of `ser_metrics::asr`: identities of the edit counts, bounds of the measures,
//! insertion-only hypotheses, symmetry, pooling, and the distance against a plain DP.

use proptest::prelude::*;
use ser_metrics::asr::*;

fn sentence(max: usize) -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(
        prop::sample::select(vec!["a", "b", "c", "d", "door"]),
        0..max,
    )
}

/// Textbook Levenshtein distance (oracle).
fn distance(a: &[&str], b: &[&str]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(x != y))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn wer_of_a_sentence_with_itself_is_zero(r in sentence(20)) {
        let s = r.join(" ");
        let e = word_errors(&s, &s);
        prop_assert_eq!(e.wer(), 0.0);
        prop_assert_eq!(e.hits, r.len());
        prop_assert_eq!(e.errors(), 0);
        prop_assert_eq!(cer(&s, &s), 0.0);
    }

    #[test]
    fn counts_identities_and_bounds(r in sentence(16), h in sentence(16)) {
        let e = word_errors(&r.join(" "), &h.join(" "));
        prop_assert_eq!(e.substitutions + e.deletions + e.hits, r.len());
        prop_assert_eq!(e.substitutions + e.insertions + e.hits, h.len());
        prop_assert_eq!(e.reference_words, r.len());
        prop_assert_eq!(e.hypothesis_words, h.len());
        prop_assert_eq!(e.errors(), distance(&r, &h));
        prop_assert!(e.wer() >= 0.0);
        for m in [e.mer(), e.wil(), e.wip()] {
            prop_assert!((0.0..=1.0).contains(&m), "{m}");
        }
        prop_assert!((e.wil() + e.wip() - 1.0).abs() < 1e-15);
        // alignment chunks tile both sequences in order
        let chunks = align_tokens(&r, &h);
        let (mut i, mut j) = (0, 0);
        for c in &chunks {
            prop_assert_eq!((c.ref_start, c.hyp_start), (i, j));
            (i, j) = (c.ref_end, c.hyp_end);
        }
        prop_assert_eq!((i, j), (r.len(), h.len()));
    }

    #[test]
    fn insertions_only(r in sentence(12), extra in prop::collection::vec((0usize..13, "[xyz]{1,3}"), 1..6)) {
        let mut h: Vec<String> = r.iter().map(|w| w.to_string()).collect();
        for (pos, w) in &extra {
            h.insert((*pos).min(h.len()), w.clone());
        }
        let e = word_errors(&r.join(" "), &h.join(" "));
        prop_assert_eq!((e.substitutions, e.deletions, e.insertions), (0, 0, extra.len()));
        prop_assert_eq!(e.hits, r.len());
        if !r.is_empty() {
            prop_assert_eq!(e.wer(), extra.len() as f64 / r.len() as f64);
        } else {
            prop_assert_eq!(e.wer(), extra.len() as f64); // jiwer's empty-reference rule
        }
    }

    #[test]
    fn swapping_sides_swaps_deletions_and_insertions(r in sentence(14), h in sentence(14)) {
        let a = word_errors(&r.join(" "), &h.join(" "));
        let b = word_errors(&h.join(" "), &r.join(" "));
        prop_assert_eq!(a.errors(), b.errors());
        prop_assert_eq!(a.deletions + a.substitutions + a.hits, b.insertions + b.substitutions + b.hits);
    }

    #[test]
    fn corpus_pools_counts(pairs in prop::collection::vec((sentence(8), sentence(8)), 0..6)) {
        let texts: Vec<(String, String)> =
            pairs.iter().map(|(r, h)| (r.join(" "), h.join(" "))).collect();
        let pooled = word_errors_corpus(&texts);
        let summed: WordErrors = texts.iter().map(|(r, h)| word_errors(r, h)).sum();
        prop_assert_eq!(pooled, summed);
        prop_assert_eq!(wer_corpus(&texts), pooled.wer());
    }

    #[test]
    fn normalisers_total_on_any_text(s in "\\PC{0,40}") {
        let en = EnglishTextNormalizer::new().normalize(&s);
        let basic = BasicTextNormalizer::default().normalize(&s);
        let no_diacritics = BasicTextNormalizer { remove_diacritics: true }.normalize(&s);
        for out in [&en, &basic, &no_diacritics] {
            prop_assert!(!out.contains("  "), "{:?} -> {:?}", s, out);
        }
    }

    #[test]
    fn english_numbers_round_trip_small_cardinals(n in 1u32..1000) {
        let ones = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
            "eighteen", "nineteen"];
        let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
        let below_100 = |k: u32| -> String {
            if k < 20 { ones[k as usize].to_string() }
            else if k % 10 == 0 { tens[(k / 10) as usize].to_string() }
            else { format!("{} {}", tens[(k / 10) as usize], ones[(k % 10) as usize]) }
        };
        let words = if n < 100 { below_100(n) } else if n % 100 == 0 {
            format!("{} hundred", ones[(n / 100) as usize])
        } else {
            format!("{} hundred and {}", ones[(n / 100) as usize], below_100(n % 100))
        };
        let want = if n == 1 { "one".to_string() } else { n.to_string() };
        prop_assert_eq!(EnglishNumberNormalizer::new().normalize(&words), want);
    }
}
