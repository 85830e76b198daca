//! BERT WordPiece tokenisation, matching HF `BertTokenizer` / `BertTokenizerFast`.
//!
//! Pipeline (the fast tokenizer's order):
//! 1. clean text: drop NUL, U+FFFD and control characters ([`is_control`]), map every
//!    whitespace character to a space;
//! 2. put spaces around CJK ideographs ([`is_cjk`]);
//! 3. strip accents (NFD, drop `Mn`) when `strip_accents` is on (by default it follows
//!    `lowercase`, as in HF);
//! 4. lower-case;
//! 5. split on whitespace, then isolate every punctuation character ([`is_punctuation`]);
//! 6. WordPiece: greedy longest-match-first with the `##` continuation prefix; a word with
//!    more than `max_input_chars_per_word` (100) characters, or one that cannot be covered
//!    by the vocabulary, becomes `[UNK]`.
//!
//! **Truncation rule**: [`WordPiece::encode`] returns `[CLS] pieces… [SEP]` with at most
//! `max_len` ids: when longer, the *first* `max_len - 2` word pieces are kept and the rest
//! dropped (HF `truncation=True`, `longest_first` on a single sequence). `max_len` is taken
//! by [`WordPiece::from_dir`] from `sentence_bert_config.json` (`max_seq_length`, 256 for
//! all-MiniLM-L6-v2), else `tokenizer_config.json` (`model_max_length` when < 100 000),
//! else 512, and is always capped by the model's `max_position_embeddings`.
//!
//! [`is_control`]: super::tokenize::is_control
//! [`is_cjk`]: super::tokenize::is_cjk
//! [`is_punctuation`]: super::tokenize::is_punctuation

use std::collections::HashMap;
use std::path::Path;

use super::tokenize::{is_cjk, is_control, is_punctuation, is_whitespace, strip_accents};
use crate::{Error, Result};

/// WordPiece settings. Defaults match `bert-base-uncased` / all-MiniLM-L6-v2.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct WordPieceConfig {
    /// Lower-case the text. Default: true.
    pub lowercase: bool,
    /// Strip accents; `None` follows `lowercase` (HF behaviour). Default: None.
    pub strip_accents: Option<bool>,
    /// Surround CJK ideographs with spaces. Default: true.
    pub handle_chinese_chars: bool,
    /// Maximum number of ids including `[CLS]` and `[SEP]` (≥ 2). Default: 512.
    pub max_len: usize,
    /// Longer words become `[UNK]`. Default: 100.
    pub max_input_chars_per_word: usize,
}

impl Default for WordPieceConfig {
    fn default() -> Self {
        Self {
            lowercase: true,
            strip_accents: None,
            handle_chinese_chars: true,
            max_len: 512,
            max_input_chars_per_word: 100,
        }
    }
}

impl WordPieceConfig {
    /// Sets `lowercase` (chaining).
    pub fn lowercase(mut self, v: bool) -> Self {
        self.lowercase = v;
        self
    }
    /// Sets `strip_accents` (chaining).
    pub fn strip_accents(mut self, v: Option<bool>) -> Self {
        self.strip_accents = v;
        self
    }
    /// Sets `max_len` (chaining).
    pub fn max_len(mut self, v: usize) -> Self {
        self.max_len = v;
        self
    }
}

/// One encoded text.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoding {
    /// Token ids: `[CLS] pieces… [SEP]`, at most `max_len`.
    pub ids: Vec<u32>,
    /// The corresponding token strings.
    pub tokens: Vec<String>,
    /// Word pieces dropped by truncation.
    pub n_truncated: usize,
}

/// A WordPiece tokenizer with its vocabulary.
///
/// ```
/// use ser_features::linguistic::{WordPiece, WordPieceConfig};
/// let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "cafe", ","];
/// let tok = WordPiece::from_tokens(vocab.iter().map(|s| s.to_string()), WordPieceConfig::default())?;
/// assert_eq!(tok.tokenize("UNAFFABLE, Café!"), ["un", "##aff", "##able", ",", "cafe", "[UNK]"]);
/// let enc = tok.encode("unaffable");
/// assert_eq!(enc.ids, [2, 4, 5, 6, 3]);
/// # Ok::<(), ser_features::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct WordPiece {
    cfg: WordPieceConfig,
    vocab: HashMap<String, u32>,
    tokens: Vec<String>,
    unk: u32,
    cls: u32,
    sep: u32,
    pad: u32,
}

fn bad(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

impl WordPiece {
    /// Builds from the vocabulary tokens in id order (the lines of `vocab.txt`).
    ///
    /// Errors when `[UNK]`, `[CLS]`, `[SEP]` or `[PAD]` is missing, a token is duplicated,
    /// or `max_len < 2`.
    pub fn from_tokens(
        tokens: impl IntoIterator<Item = String>,
        cfg: WordPieceConfig,
    ) -> Result<Self> {
        if cfg.max_len < 2 {
            return Err(bad("max_len", format!("must be >= 2, got {}", cfg.max_len)));
        }
        let tokens: Vec<String> = tokens.into_iter().collect();
        let mut vocab = HashMap::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            if vocab.insert(t.clone(), i as u32).is_some() {
                return Err(bad("vocab", format!("duplicate token {t:?}")));
            }
        }
        let id = |t: &str| {
            vocab
                .get(t)
                .copied()
                .ok_or_else(|| bad("vocab", format!("special token {t} missing")))
        };
        Ok(Self {
            unk: id("[UNK]")?,
            cls: id("[CLS]")?,
            sep: id("[SEP]")?,
            pad: id("[PAD]")?,
            cfg,
            vocab,
            tokens,
        })
    }

    /// Reads a `vocab.txt` (one token per line, id = line number).
    pub fn from_vocab_file(path: impl AsRef<Path>, cfg: WordPieceConfig) -> Result<Self> {
        let text = std::fs::read_to_string(path.as_ref())?;
        Self::from_tokens(
            text.lines().map(|l| l.trim_end_matches('\r').to_string()),
            cfg,
        )
    }

    /// Reads the vocabulary (`model.vocab`) and normaliser flags of a HF `tokenizer.json`.
    pub fn from_tokenizer_json(path: impl AsRef<Path>, mut cfg: WordPieceConfig) -> Result<Self> {
        let text = std::fs::read_to_string(path.as_ref())?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| bad("tokenizer.json", e.to_string()))?;
        let map = v["model"]["vocab"]
            .as_object()
            .ok_or_else(|| bad("tokenizer.json", "no model.vocab object"))?;
        let mut pairs: Vec<(u64, String)> = map
            .iter()
            .map(|(k, id)| {
                id.as_u64()
                    .map(|i| (i, k.clone()))
                    .ok_or_else(|| bad("tokenizer.json", format!("bad id for {k:?}")))
            })
            .collect::<Result<_>>()?;
        pairs.sort();
        if pairs.iter().enumerate().any(|(i, (id, _))| *id != i as u64) {
            return Err(bad("tokenizer.json", "vocab ids are not 0..n"));
        }
        let norm = &v["normalizer"];
        if let Some(l) = norm["lowercase"].as_bool() {
            cfg.lowercase = l;
        }
        if let Some(s) = norm["strip_accents"].as_bool() {
            cfg.strip_accents = Some(s);
        }
        if let Some(h) = norm["handle_chinese_chars"].as_bool() {
            cfg.handle_chinese_chars = h;
        }
        Self::from_tokens(pairs.into_iter().map(|(_, t)| t), cfg)
    }

    /// Loads from a model directory: `vocab.txt` (else `tokenizer.json`), lower-casing
    /// from `tokenizer_config.json` (`do_lower_case`), `max_len` by the rule in the
    /// [module docs](self) (`max_positions` is the model's `max_position_embeddings`).
    pub fn from_dir(dir: impl AsRef<Path>, max_positions: usize) -> Result<Self> {
        let dir = dir.as_ref();
        let read_json = |name: &str| -> Option<serde_json::Value> {
            let s = std::fs::read_to_string(dir.join(name)).ok()?;
            serde_json::from_str(&s).ok()
        };
        let mut cfg = WordPieceConfig::default();
        let tcfg = read_json("tokenizer_config.json");
        if let Some(t) = &tcfg {
            if let Some(l) = t["do_lower_case"].as_bool() {
                cfg.lowercase = l;
            }
            if let Some(s) = t["strip_accents"].as_bool() {
                cfg.strip_accents = Some(s);
            }
            if let Some(c) = t["tokenize_chinese_chars"].as_bool() {
                cfg.handle_chinese_chars = c;
            }
        }
        let st_len = read_json("sentence_bert_config.json")
            .and_then(|v| v["max_seq_length"].as_u64())
            .map(|v| v as usize);
        let tok_len = tcfg
            .as_ref()
            .and_then(|t| t["model_max_length"].as_f64())
            .filter(|&v| v > 0.0 && v < 100_000.0)
            .map(|v| v as usize);
        cfg.max_len = st_len.or(tok_len).unwrap_or(512).min(max_positions).max(2);
        let vocab = dir.join("vocab.txt");
        if vocab.exists() {
            Self::from_vocab_file(vocab, cfg)
        } else {
            Self::from_tokenizer_json(dir.join("tokenizer.json"), cfg)
        }
    }

    /// The settings.
    pub fn config(&self) -> &WordPieceConfig {
        &self.cfg
    }

    /// Vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// Id of `[PAD]`.
    pub fn pad_id(&self) -> u32 {
        self.pad
    }

    /// Id of a token, if in the vocabulary.
    pub fn token_to_id(&self, t: &str) -> Option<u32> {
        self.vocab.get(t).copied()
    }

    /// Steps 1–5 of the [module docs](self): normalised words and punctuation.
    pub fn basic_tokenize(&self, text: &str) -> Vec<String> {
        let mut s = String::with_capacity(text.len() + 8);
        for c in text.chars() {
            if c == '\0' || c == '\u{FFFD}' || is_control(c) {
                continue;
            }
            if is_whitespace(c) {
                s.push(' ');
            } else if self.cfg.handle_chinese_chars && is_cjk(c) {
                s.push(' ');
                s.push(c);
                s.push(' ');
            } else {
                s.push(c);
            }
        }
        if self.cfg.strip_accents.unwrap_or(self.cfg.lowercase) {
            s = strip_accents(&s);
        }
        if self.cfg.lowercase {
            s = s.to_lowercase();
        }
        let mut out = Vec::new();
        for w in s.split(is_whitespace).filter(|w| !w.is_empty()) {
            let mut cur = String::new();
            for c in w.chars() {
                if is_punctuation(c) {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                    out.push(c.to_string());
                } else {
                    cur.push(c);
                }
            }
            if !cur.is_empty() {
                out.push(cur);
            }
        }
        out
    }

    /// WordPiece ids of one basic token (`[UNK]` when it cannot be covered).
    fn word_ids(&self, word: &str, out: &mut Vec<u32>) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > self.cfg.max_input_chars_per_word {
            out.push(self.unk);
            return;
        }
        let first = out.len();
        let mut start = 0;
        let mut buf = String::new();
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                buf.clear();
                if start > 0 {
                    buf.push_str("##");
                }
                buf.extend(&chars[start..end]);
                if let Some(&id) = self.vocab.get(&buf) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(first);
                    out.push(self.unk);
                    return;
                }
            }
        }
    }

    /// Word-piece ids of `text` without special tokens or truncation.
    pub fn piece_ids(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        for w in self.basic_tokenize(text) {
            self.word_ids(&w, &mut ids);
        }
        ids
    }

    /// Word-piece strings of `text` without special tokens or truncation.
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        self.piece_ids(text)
            .into_iter()
            .map(|i| self.tokens[i as usize].clone())
            .collect()
    }

    /// `[CLS] pieces… [SEP]`, truncated to `max_len` by the rule in the [module docs](self).
    /// An empty text gives `[CLS] [SEP]`.
    pub fn encode(&self, text: &str) -> Encoding {
        let mut pieces = self.piece_ids(text);
        let keep = self.cfg.max_len - 2;
        let n_truncated = pieces.len().saturating_sub(keep);
        pieces.truncate(keep);
        let mut ids = Vec::with_capacity(pieces.len() + 2);
        ids.push(self.cls);
        ids.extend(pieces);
        ids.push(self.sep);
        let tokens = ids
            .iter()
            .map(|&i| self.tokens[i as usize].clone())
            .collect();
        Encoding {
            ids,
            tokens,
            n_truncated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(max_len: usize) -> WordPiece {
        let v = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "##s", "run", "##ning", "!", "中",
            "a",
        ];
        WordPiece::from_tokens(
            v.iter().map(|s| s.to_string()),
            WordPieceConfig::default().max_len(max_len),
        )
        .expect("vocab")
    }

    #[test]
    fn basic_and_pieces() {
        let t = tok(16);
        assert_eq!(
            t.basic_tokenize(" The\tCATS!running中a "),
            ["the", "cats", "!", "running", "中", "a"]
        );
        assert_eq!(
            t.tokenize("The cats running!"),
            ["the", "cat", "##s", "run", "##ning", "!"]
        );
        assert_eq!(t.tokenize("dogs"), ["[UNK]"]);
    }

    #[test]
    fn empty_and_control() {
        let t = tok(16);
        assert_eq!(t.encode("").tokens, ["[CLS]", "[SEP]"]);
        assert_eq!(
            t.encode("\u{0000}\u{FFFD}\u{200B}").tokens,
            ["[CLS]", "[SEP]"]
        );
    }

    #[test]
    fn truncation_keeps_head() {
        let t = tok(5);
        let e = t.encode("the cats run the cat");
        assert_eq!(e.tokens, ["[CLS]", "the", "cat", "##s", "[SEP]"]);
        assert_eq!(e.n_truncated, 3);
    }

    #[test]
    fn long_word_is_unk() {
        let t = tok(16);
        let w = "a".repeat(101);
        assert_eq!(t.tokenize(&w), ["[UNK]"]);
    }

    #[test]
    fn rejects_bad_vocab() {
        let v = ["[PAD]", "[UNK]", "[CLS]"].map(String::from);
        assert!(WordPiece::from_tokens(v, WordPieceConfig::default()).is_err());
        let v = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"].map(String::from);
        assert!(WordPiece::from_tokens(v, WordPieceConfig::default().max_len(1)).is_err());
    }
}
