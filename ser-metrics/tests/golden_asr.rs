#![allow(clippy::unwrap_used)]
//! Golden parity of `ser_metrics::asr` with jiwer 4.0 (+ rapidfuzz alignments) and
//! openai-whisper 20250625's normalisers. Fixtures: `scripts/wer_reference.py`
//! (`tests/fixtures/asr_reference.json`). WER / MER / WIL / WIP / CER to 1e-12, counts and
//! alignments exactly, normalised strings byte for byte; mismatches are listed.

use ser_metrics::asr::*;
use serde_json::Value;

const TOL: f64 = 1e-12;

fn fixtures() -> Value {
    let p = format!(
        "{}/tests/fixtures/asr_reference.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k}: {v}"))
}

fn u(v: &Value, k: &str) -> usize {
    v[k].as_u64().unwrap_or_else(|| panic!("{k}: {v}")) as usize
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k}: {v}"))
}

/// Compares one jiwer `word_case`; returns the mismatches.
/// jiwer's tokens (stored only where they differ from a plain split on " ").
fn tokens(case: &Value, key: &str, text: &str) -> Vec<String> {
    match case[key].as_array() {
        Some(ws) => ws.iter().map(|w| w.as_str().unwrap().to_string()).collect(),
        None => text
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect(),
    }
}

fn check_pair(case: &Value) -> Vec<String> {
    let (r, h) = (s(case, "reference"), s(case, "hypothesis"));
    let mut bad = Vec::new();
    let a = align_words(r, h);
    let want_rw = tokens(case, "ref_words", r);
    let want_hw = tokens(case, "hyp_words", h);
    if a.reference != want_rw || a.hypothesis != want_hw {
        bad.push(format!(
            "tokens {r:?} / {h:?}: {:?} {:?}",
            a.reference, a.hypothesis
        ));
    }
    let e = a.counts;
    let want = (
        u(case, "substitutions"),
        u(case, "deletions"),
        u(case, "insertions"),
        u(case, "hits"),
    );
    if (e.substitutions, e.deletions, e.insertions, e.hits) != want {
        bad.push(format!("counts {r:?} / {h:?}: {e:?}, jiwer {want:?}"));
    }
    for (name, got) in [
        ("wer", e.wer()),
        ("mer", e.mer()),
        ("wil", e.wil()),
        ("wip", e.wip()),
        ("wer_fn", wer(r, h)),
        ("cer", cer(r, h)),
    ] {
        let key = if name == "wer_fn" { "wer" } else { name };
        if case[key].is_null() {
            continue; // no character statistics in this case
        }
        let w = f(case, key);
        if (got - w).abs() > TOL {
            bad.push(format!("{name} {r:?} / {h:?}: {got}, jiwer {w}"));
        }
    }
    if let Some(want_c) = case["char_counts"].as_array() {
        let want_c: Vec<usize> = want_c
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect();
        let c = char_errors(r, h);
        if vec![c.substitutions, c.deletions, c.insertions, c.hits] != want_c {
            bad.push(format!(
                "char counts {r:?} / {h:?}: {c:?}, jiwer S D I H {want_c:?}"
            ));
        }
    }
    let chunks: Vec<(String, usize, usize, usize, usize)> = case["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let c = c.as_array().unwrap();
            let n = |i: usize| c[i].as_u64().unwrap() as usize;
            (c[0].as_str().unwrap().to_string(), n(1), n(2), n(3), n(4))
        })
        .collect();
    let got: Vec<(String, usize, usize, usize, usize)> = a
        .chunks
        .iter()
        .map(|c| {
            (
                c.op.as_str().to_string(),
                c.ref_start,
                c.ref_end,
                c.hyp_start,
                c.hyp_end,
            )
        })
        .collect();
    if got != chunks {
        bad.push(format!(
            "alignment {r:?} / {h:?}: {got:?}, jiwer {chunks:?}"
        ));
    }
    // jiwer's visualize_alignment leaves out error-free sentences (skip_correct)
    if let Some(want) = case["text"].as_str().filter(|t| !t.is_empty()) {
        if a.to_text() != want {
            bad.push(format!(
                "text {r:?} / {h:?}:\n{}jiwer:\n{want}",
                a.to_text()
            ));
        }
    }
    bad
}

fn check_cases(key: &str) -> usize {
    let fx = fixtures();
    let cases = fx[key].as_array().unwrap();
    assert!(!cases.is_empty());
    let bad: Vec<Vec<String>> = cases
        .iter()
        .map(check_pair)
        .filter(|b| !b.is_empty())
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {} {key} cases differ from jiwer:\n{}",
        bad.len(),
        cases.len(),
        bad.concat().join("\n")
    );
    cases.len()
}

#[test]
fn jiwer_sentence_pairs() {
    let n = check_cases("words");
    assert!(n >= 200, "{n}");
}

#[test]
fn jiwer_random_alignments() {
    check_cases("alignment");
}

#[test]
fn jiwer_on_whisper_normalised_pairs() {
    check_cases("normalized_wer");
}

#[test]
fn jiwer_corpora() {
    let fx = fixtures();
    let words = fx["words"].as_array().unwrap();
    for case in fx["corpora"].as_array().unwrap() {
        let pairs: Vec<(String, String)> = match case["words_range"].as_array() {
            // a slice of the sentence pairs
            Some(range) => {
                let (a, b) = (
                    range[0].as_u64().unwrap() as usize,
                    range[1].as_u64().unwrap() as usize,
                );
                words[a..b]
                    .iter()
                    .map(|w| {
                        (
                            s(w, "reference").to_string(),
                            s(w, "hypothesis").to_string(),
                        )
                    })
                    .collect()
            }
            None => case["pairs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect(),
        };
        let e = word_errors_corpus(&pairs);
        assert_eq!(
            (e.substitutions, e.deletions, e.insertions, e.hits),
            (
                u(case, "substitutions"),
                u(case, "deletions"),
                u(case, "insertions"),
                u(case, "hits")
            ),
            "{pairs:?}"
        );
        for (name, got) in [
            ("wer", wer_corpus(&pairs)),
            ("mer", e.mer()),
            ("wil", e.wil()),
            ("wip", e.wip()),
            ("cer", cer_corpus(&pairs)),
        ] {
            let w = f(case, name);
            assert!((got - w).abs() <= TOL, "{name} {pairs:?}: {got}, jiwer {w}");
        }
    }
}

/// Compares one normaliser over every fixture text; returns (exact, total, report).
fn normaliser_agreement(key: &str, norm: impl Fn(&str) -> String) -> (usize, usize, String) {
    let fx = fixtures();
    let cases = fx["normalizers"].as_array().unwrap();
    let mut report = String::new();
    let mut ok = 0;
    for c in cases {
        let text = s(c, "text");
        let want = s(c, key);
        let got = norm(text);
        if got == want {
            ok += 1;
        } else {
            report.push_str(&format!(
                "  {text:?}\n    rust    {got:?}\n    whisper {want:?}\n"
            ));
        }
    }
    (ok, cases.len(), report)
}

#[test]
fn whisper_english_text_normalizer() {
    let n = EnglishTextNormalizer::new();
    let (ok, total, report) = normaliser_agreement("english", |t| n.normalize(t));
    println!("EnglishTextNormalizer: {ok} / {total} exact\n{report}");
    assert!(
        ok * 100 >= total * 97,
        "EnglishTextNormalizer: only {ok} / {total} exact:\n{report}"
    );
}

#[test]
fn whisper_basic_text_normalizer() {
    let n = BasicTextNormalizer::default();
    let (ok, total, report) = normaliser_agreement("basic", |t| n.normalize(t));
    assert_eq!(ok, total, "BasicTextNormalizer differs:\n{report}");
}

#[test]
fn whisper_basic_text_normalizer_remove_diacritics() {
    let n = BasicTextNormalizer {
        remove_diacritics: true,
    };
    let (ok, total, report) = normaliser_agreement("basic_remove_diacritics", |t| n.normalize(t));
    assert_eq!(
        ok, total,
        "BasicTextNormalizer(remove_diacritics) differs:\n{report}"
    );
}

/// Large random comparison, not run by default (the fixture is generated on demand):
///
/// ```text
/// /work/venv/bin/python scripts/wer_reference.py [NORMALIZERS_DIR] --fuzz 5000 /tmp/asr_fuzz.json
/// ASR_FUZZ_JSON=/tmp/asr_fuzz.json cargo test -p ser-metrics --test golden_asr -- --ignored --nocapture
/// ```
#[test]
#[ignore = "needs ASR_FUZZ_JSON from scripts/wer_reference.py --fuzz"]
fn whisper_normalisers_fuzz() {
    let path = std::env::var("ASR_FUZZ_JSON").expect("set ASR_FUZZ_JSON");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let en = EnglishTextNormalizer::new();
    let basic = BasicTextNormalizer::default();
    let basic_d = BasicTextNormalizer {
        remove_diacritics: true,
    };
    let texts = fx["normalizers"].as_array().unwrap();
    let mut summary = Vec::new();
    let mut all_exact = true;
    for (key, norm) in [
        (
            "english",
            &(|t: &str| en.normalize(t)) as &dyn Fn(&str) -> String,
        ),
        ("basic", &|t: &str| basic.normalize(t)),
        ("basic_remove_diacritics", &|t: &str| basic_d.normalize(t)),
    ] {
        let (mut ok, mut n) = (0, 0);
        let mut shown = 0;
        for c in texts {
            let Some(want) = c[key].as_str() else {
                continue;
            };
            n += 1;
            let got = norm(s(c, "text"));
            if got == want {
                ok += 1;
            } else if shown < 20 {
                shown += 1;
                println!(
                    "{key}: {:?}\n  rust    {got:?}\n  whisper {want:?}",
                    s(c, "text")
                );
            }
        }
        all_exact &= ok == n;
        summary.push(format!("{key}: {ok} / {n} exact"));
    }
    let pairs = fx["words"].as_array().unwrap();
    let bad = pairs.iter().filter(|c| !check_pair(c).is_empty()).count();
    summary.push(format!(
        "jiwer: {} / {} pairs identical",
        pairs.len() - bad,
        pairs.len()
    ));
    println!("{}", summary.join("\n"));
    assert!(all_exact && bad == 0, "{}", summary.join("\n"));
}
