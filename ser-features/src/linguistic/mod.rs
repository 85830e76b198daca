//! Linguistic features of transcripts (cargo feature `linguistic`, which pulls Candle).
//!
//! - [`tokenize`]: normalisation ([`tokenize::normalize`]), word tokens, the BERT character
//!   classes (Unicode tables generated from Python's `unicodedata`).
//! - [`vader`]: a faithful port of VADER 3.3.2 ([`Vader`]; lexicon shipped, MIT) — parity
//!   with the Python package is tested on 60 sentences.
//! - [`lexical`]: 22 named lexical features ([`lexical_features`]): VADER scores, valence
//!   bucket counts/ratios, negations, intensifiers, `!`/`?`, caps, length, pronouns.
//! - [`wordpiece`]: BERT WordPiece tokenisation ([`WordPiece`]) matching HF, with a
//!   documented truncation rule.
//! - [`bert`]: a small BERT encoder on `candle-nn` ([`BertModel`]) and sentence-transformers
//!   style embeddings ([`SentenceEncoder`]: mean pooling + L2 normalisation), loaded from a
//!   local directory with `config.json`, `model.safetensors` and `vocab.txt`.
//!
//! ```
//! use ser_features::linguistic::{lexical_features, save_random_bert, BertConfig, SentenceEncoder};
//!
//! let f = lexical_features("I can't believe it, this is AWESOME!!");
//! assert_eq!(f.len(), ser_features::linguistic::LEXICAL_FEATURE_NAMES.len());
//!
//! // A tiny random BERT written to disk and loaded back like a real checkpoint.
//! let dir = tempfile::tempdir()?;
//! let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "i", "can", "'", "t", "believe", "it", "!"];
//! save_random_bert(dir.path(), &BertConfig::new(vocab.len(), 8, 1, 2, 16, 32), &vocab)?;
//! let enc = SentenceEncoder::from_dir(dir.path())?;
//! let e = enc.embed(&["I can't believe it!", ""])?;
//! let norm: f32 = e[0].iter().map(|v| v * v).sum::<f32>().sqrt();
//! assert!((norm - 1.0).abs() < 1e-5 && e[1].len() == 8);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bert;
pub mod lexical;
pub mod tokenize;
mod unicode_tables;
pub mod vader;
pub mod wordpiece;

pub use bert::{BertConfig, BertModel, Pooling, SentenceEncoder};
pub use lexical::{lexical_features, lexical_features_with, LEXICAL_FEATURE_NAMES};
pub use vader::{Vader, VaderScores};
pub use wordpiece::{Encoding, WordPiece, WordPieceConfig};

use std::path::Path;

use crate::Result;

/// Writes a randomly initialised BERT (`config.json`, `model.safetensors`, `vocab.txt`)
/// into `dir` — for tests and examples that must not download a model.
///
/// `vocab` must contain `[PAD]`, `[UNK]`, `[CLS]` and `[SEP]`; `cfg.vocab_size` is set
/// to its length.
pub fn save_random_bert(dir: impl AsRef<Path>, cfg: &BertConfig, vocab: &[&str]) -> Result<()> {
    let dir = dir.as_ref();
    let mut cfg = cfg.clone();
    cfg.vocab_size = vocab.len();
    WordPiece::from_tokens(
        vocab.iter().map(|s| s.to_string()),
        WordPieceConfig::default(),
    )?;
    let vm = candle_nn::VarMap::new();
    let vb =
        candle_nn::VarBuilder::from_varmap(&vm, candle_core::DType::F32, &candle_core::Device::Cpu);
    BertModel::new(&cfg, vb)?;
    vm.save(dir.join("model.safetensors")).map_err(bert::cerr)?;
    let json =
        serde_json::to_string_pretty(&cfg).map_err(|e| crate::Error::Unsupported(e.to_string()))?;
    std::fs::write(dir.join("config.json"), json)?;
    std::fs::write(dir.join("vocab.txt"), vocab.join("\n") + "\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(dir: &Path) -> SentenceEncoder {
        let vocab = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "sat", "##s", ".",
        ];
        save_random_bert(dir, &BertConfig::new(9, 16, 2, 4, 32, 16), &vocab).expect("save");
        SentenceEncoder::from_dir(dir).expect("load")
    }

    #[test]
    fn padding_does_not_change_embeddings() {
        let d = tempfile::tempdir().expect("tmp");
        let enc = tiny(d.path()).with_batch_size(8);
        let texts = ["the cat", "the cats sat on the cat .", "", "cat"];
        let batched = enc.embed(&texts).expect("embed");
        for (t, b) in texts.iter().zip(&batched) {
            let single = enc.embed_one(t).expect("one");
            let err = single
                .iter()
                .zip(b)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(err < 1e-5, "{t:?}: {err}");
            let n: f32 = b.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((n - 1.0).abs() < 1e-5, "norm {n}");
        }
    }

    #[test]
    fn over_long_input_is_truncated_not_rejected() {
        let d = tempfile::tempdir().expect("tmp");
        let enc = tiny(d.path());
        assert_eq!(enc.tokenizer().config().max_len, 16);
        let long = "the cat ".repeat(100);
        let e = enc.tokenizer().encode(&long);
        assert_eq!(e.ids.len(), 16);
        assert_eq!(e.n_truncated, 200 - 14);
        // Truncation keeps the head: same embedding as the first 14 pieces.
        let head = "the cat ".repeat(7);
        let a = enc.embed_one(&long).expect("long");
        let b = enc.embed_one(&head).expect("head");
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5));
    }

    #[test]
    fn missing_or_bad_files_are_errors() {
        let d = tempfile::tempdir().expect("tmp");
        assert!(SentenceEncoder::from_dir(d.path()).is_err());
        std::fs::write(d.path().join("config.json"), "{}").expect("w");
        assert!(SentenceEncoder::from_dir(d.path()).is_err());
        let cfg = BertConfig::new(9, 16, 1, 4, 32, 16);
        std::fs::write(
            d.path().join("config.json"),
            serde_json::to_string(&cfg).expect("json"),
        )
        .expect("w");
        std::fs::write(d.path().join("pytorch_model.bin"), b"x").expect("w");
        assert!(matches!(
            SentenceEncoder::from_dir(d.path()),
            Err(crate::Error::Unsupported(_))
        ));
        let bad = BertConfig::new(9, 15, 1, 4, 32, 16);
        assert!(bad.validate().is_err());
    }
}
