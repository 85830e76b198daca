//! The tokenizer against Hugging Face `tokenizers` on the shipped `tokenizer.json` files.
//!
//! Fixtures: `tests/fixtures/tokenizer_{base,tiny.en}.json` from
//! `scripts/whisper_tokenizer_reference.py`. The vocabularies themselves come with the
//! checkpoints (`scripts/fetch_whisper.sh base|tiny.en`); without them the tests print
//! `SKIPPED:` and pass. Pure-logic tokenizer tests run everywhere (`src/tokenizer.rs`).

use std::path::{Path, PathBuf};

use ser_whisper::{SpecialMode, Tokenizer};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(tag: &str) -> serde_json::Value {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/tokenizer_{tag}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).expect("fixture")).expect("json")
}

fn tokenizer(tag: &str) -> Option<Tokenizer> {
    let p = root().join(format!("models/whisper-{tag}/tokenizer.json"));
    if !p.is_file() {
        println!(
            "SKIPPED: {} absent (scripts/fetch_whisper.sh {tag})",
            p.display()
        );
        return None;
    }
    Some(Tokenizer::from_file(&p).expect("tokenizer.json"))
}

fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .expect("ids")
        .iter()
        .map(|x| x.as_u64().expect("id") as u32)
        .collect()
}

#[test]
fn matches_hugging_face_tokenizers() {
    for tag in ["base", "tiny.en"] {
        let Some(tok) = tokenizer(tag) else { continue };
        let fx = fixture(tag);
        let sp = tok.special().expect("special tokens");
        let special = fx["special"].as_object().expect("special");
        for (name, id) in special {
            let got = match name.as_str() {
                "timestamp_begin" => Some(sp.timestamp_begin),
                "<|nospeech|>" => tok.token_to_id(name),
                _ => tok.token_to_id(name),
            };
            assert_eq!(got, id.as_u64().map(|i| i as u32), "{tag}: {name}");
        }
        assert_eq!(Some(sp.eot), tok.token_to_id("<|endoftext|>"));
        assert_eq!(
            sp.no_speech,
            special["<|nocaptions|>"].as_u64().unwrap() as u32
        );
        assert_eq!(tok.token_to_id("<|0.00|>"), Some(sp.timestamp_begin));
        assert_eq!(
            tok.token_to_id("<|30.00|>"),
            Some(sp.timestamp_begin + 1500)
        );
        assert_eq!(tok.language_token("en").ok(), tok.token_to_id("<|en|>"));
        assert!(tok.language_token("xx").is_err());
        assert_eq!(tok.is_multilingual(), tag == "base");
        assert_eq!(tok.vocab_size(), if tag == "base" { 51865 } else { 51864 });
        for case in fx["encode"].as_array().expect("encode") {
            let text = case[0].as_str().expect("text");
            let want = ids(&case[1]);
            let got = tok.encode(text).expect("encode");
            assert_eq!(got, want, "{tag}: encode {text:?}");
            assert_eq!(tok.decode(&got), text, "{tag}: round trip {text:?}");
        }
        for case in fx["decode"].as_array().expect("decode") {
            let got = tok.decode_with(&ids(&case[0]), SpecialMode::Render);
            assert_eq!(got, case[1].as_str().expect("text"), "{tag}: decode");
        }
        // Timestamps render as openai-whisper writes them and are skipped in text.
        let t = [sp.timestamp_begin + 50, sp.eot];
        assert_eq!(
            tok.decode_with(&t, SpecialMode::Render),
            "<|1.00|><|endoftext|>"
        );
        assert_eq!(tok.decode(&t), "");
        println!(
            "{tag}: {} encodings, special tokens and timestamps equal",
            fx["encode"].as_array().map_or(0, |a| a.len())
        );
    }
}
