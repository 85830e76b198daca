//! VADER parity with the Python package `vaderSentiment` 3.3.2 (60 sentences: negation,
//! "but", ALL CAPS, "!!!", "???", boosters, dampeners, idioms, "least", "no", emoticons,
//! emojis, empty text). Fixture: `fixtures/linguistic/gen_vader.py`.
#![cfg(feature = "linguistic")]
#![allow(clippy::unwrap_used)]

use ser_features::linguistic::Vader;

#[test]
fn vader_matches_python_reference() {
    let text = include_str!("fixtures/linguistic/vader_golden.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 60);
    let vader = Vader::shared();
    let mut worst = 0f64;
    for c in cases {
        let s = c["text"].as_str().unwrap();
        let got = vader.polarity_scores(s);
        for (name, g) in [
            ("neg", got.neg),
            ("neu", got.neu),
            ("pos", got.pos),
            ("compound", got.compound),
        ] {
            let want = c[name].as_f64().unwrap();
            let err = (g - want).abs();
            worst = worst.max(err);
            assert!(err < 1e-12, "{s:?} {name}: got {g}, python {want}");
        }
    }
    eprintln!("VADER parity: max |error| = {worst:e} over 60 sentences x 4 scores");
}
