//! Property tests: no text makes the linguistic features panic, leave their ranges or
//! break the WordPiece truncation rule.
#![cfg(feature = "linguistic")]
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use ser_features::linguistic::{lexical_features, tokenize, Vader, WordPiece, WordPieceConfig};

fn tokenizer(max_len: usize) -> WordPiece {
    let v = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "b", "##a", "##b", "!", "中",
    ];
    WordPiece::from_tokens(
        v.iter().map(|s| s.to_string()),
        WordPieceConfig::default().max_len(max_len),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn vader_scores_bounded(s in "\\PC{0,80}", words in prop::collection::vec("(good|bad|not|very|but|GREAT|!|\\?|no|kind of)", 0..12)) {
        let text = format!("{s} {}", words.join(" "));
        let v = Vader::shared().polarity_scores(&text);
        prop_assert!((-1.0..=1.0).contains(&v.compound));
        for x in [v.pos, v.neu, v.neg] {
            prop_assert!((0.0..=1.0).contains(&x));
        }
        let sum = v.pos + v.neu + v.neg;
        prop_assert!(sum == 0.0 || (sum - 1.0).abs() < 1e-9);
    }

    #[test]
    fn lexical_features_finite(s in "\\PC{0,120}") {
        let f = lexical_features(&s);
        prop_assert_eq!(f.len(), 22);
        prop_assert!(f.iter().all(|v| v.is_finite()));
        prop_assert!(tokenize::words(&s).iter().all(|w| !w.is_empty()));
    }

    #[test]
    fn wordpiece_truncation_rule(s in "[ab! 中\\PC]{0,200}", max_len in 2usize..20) {
        let t = tokenizer(max_len);
        let e = t.encode(&s);
        let pieces = t.piece_ids(&s);
        prop_assert!(e.ids.len() <= max_len);
        prop_assert_eq!(e.ids[0], 2);
        prop_assert_eq!(*e.ids.last().unwrap(), 3);
        prop_assert_eq!(e.n_truncated, pieces.len().saturating_sub(max_len - 2));
        // The kept pieces are the head of the untruncated sequence.
        prop_assert_eq!(&e.ids[1..e.ids.len() - 1], &pieces[..e.ids.len() - 2]);
    }
}
