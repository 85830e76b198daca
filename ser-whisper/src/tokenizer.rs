//! Whisper's tokenizer: GPT-2 byte-level BPE plus Whisper's special tokens, read from the
//! `tokenizer.json` shipped with faster-whisper / CTranslate2 checkpoints (Hugging Face
//! `tokenizers` format), in pure Rust.
//!
//! * [`Tokenizer::encode`] splits text as GPT-2's pre-tokenizer regex
//!   `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` does
//!   (hand-written; `\p{L}` is approximated by [`char::is_alphabetic`], which also accepts
//!   the few combining marks Unicode calls alphabetic), maps bytes to GPT-2's printable
//!   byte alphabet and applies the BPE merges lowest rank first; special-token strings in
//!   the text (`<|endoftext|>` …) become their ids, as in `tokenizers`.
//! * [`Tokenizer::decode`] concatenates the tokens' bytes and decodes UTF-8 (invalid
//!   sequences become U+FFFD, as `tokenizers` does); special tokens are skipped or rendered
//!   (`<|en|>`, `<|1.00|>`) per [`Tokenizer::decode_with`].
//! * [`SpecialTokens`]: ids of `<|startoftranscript|>`, languages, tasks, `<|notimestamps|>`,
//!   the no-speech token and the first timestamp `<|0.00|>` (`<|notimestamps|>` + 1, as in
//!   faster-whisper; timestamps are not in `tokenizer.json`).
//!
//! ```
//! use ser_whisper::Tokenizer;
//! # fn main() -> ser_whisper::Result<()> {
//! // A toy vocabulary: bytes "a", "b", "Ġ" (GPT-2's space) and the merges "a b", "Ġ ab".
//! let json = r#"{"model": {"type": "BPE",
//!   "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3, "Ġab": 4},
//!   "merges": ["a b", "Ġ ab"]},
//!   "added_tokens": [{"id": 5, "content": "<|endoftext|>", "special": true}]}"#;
//! let tok = Tokenizer::from_json_str(json)?;
//! assert_eq!(tok.encode("ab ab")?, vec![3, 4]);
//! assert_eq!(tok.decode(&[3, 4, 5]), "ab ab");
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::path::Path;

use crate::{Error, Result};

/// File name of the tokenizer in a model directory.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// Seconds per timestamp token (`<|0.02|>` − `<|0.00|>`).
pub const TIME_PRECISION: f32 = 0.02;

/// Number of timestamp tokens, `<|0.00|>` … `<|30.00|>`.
pub const N_TIMESTAMPS: u32 = 1501;

/// GPT-2's `bytes_to_unicode`: byte → printable character.
fn byte_to_char() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut n = 0u32;
    for b in 0..256u32 {
        let printable =
            (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
        table[b as usize] = if printable {
            char::from_u32(b).unwrap_or('\0')
        } else {
            n += 1;
            char::from_u32(255 + n).unwrap_or('\0')
        };
    }
    table
}

/// Ids of Whisper's special tokens in one vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpecialTokens {
    /// `<|endoftext|>`.
    pub eot: u32,
    /// `<|startoftranscript|>`.
    pub sot: u32,
    /// `<|translate|>`.
    pub translate: u32,
    /// `<|transcribe|>`.
    pub transcribe: u32,
    /// `<|startoflm|>`.
    pub sot_lm: u32,
    /// `<|startofprev|>` (starts a prompt of previous text).
    pub sot_prev: u32,
    /// `<|nospeech|>`, or `<|nocaptions|>` in vocabularies before large-v3.
    pub no_speech: u32,
    /// `<|notimestamps|>`.
    pub no_timestamps: u32,
    /// `<|0.00|>`; timestamp `i` (i · 0.02 s) is `timestamp_begin + i`.
    pub timestamp_begin: u32,
    /// Language tokens in vocabulary order, with their codes (`("en", 50259)`, …).
    pub languages: Vec<(String, u32)>,
}

/// How [`Tokenizer::decode_with`] treats special tokens and timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpecialMode {
    /// Leave them out (faster-whisper's transcript text). Default.
    #[default]
    Skip,
    /// Render them as text: `<|en|>`, `<|1.00|>`.
    Render,
}

/// Whisper's byte-level BPE tokenizer (see the module docs).
#[derive(Debug, Clone)]
pub struct Tokenizer {
    /// Regular token bytes by id (`None` for ids without bytes: added tokens, gaps).
    bytes: Vec<Option<Vec<u8>>>,
    /// Regular token id by bytes.
    ids: HashMap<Vec<u8>, u32>,
    /// `(left, right)` → `(rank, merged id)`.
    merges: HashMap<(u32, u32), (u32, u32)>,
    /// Token id of each single byte.
    byte_ids: [Option<u32>; 256],
    /// Added (special) tokens: content → id and id → content.
    added: HashMap<String, u32>,
    added_by_id: HashMap<u32, String>,
    special: Option<SpecialTokens>,
    /// Set by [`Tokenizer::bytes_only`]; `None`: openai-whisper's size rule.
    multilingual: Option<bool>,
}

impl Tokenizer {
    /// Reads `tokenizer.json` (or a model directory holding one).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let mut path = path.as_ref().to_path_buf();
        if path.is_dir() {
            path = path.join(TOKENIZER_FILE);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        Self::from_json_str(&text).map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))
    }

    /// Parses the contents of a Hugging Face `tokenizer.json` with a byte-level BPE model.
    pub fn from_json_str(json: &str) -> Result<Self> {
        let bad = |m: String| Error::Tokenizer(m);
        let v: serde_json::Value = serde_json::from_str(json)?;
        let model = v
            .get("model")
            .ok_or_else(|| bad("no `model` object".into()))?;
        if let Some(t) = model.get("type").and_then(|t| t.as_str()) {
            if t != "BPE" {
                return Err(bad(format!("model type `{t}`, expected BPE")));
            }
        }
        let vocab = model
            .get("vocab")
            .and_then(|v| v.as_object())
            .ok_or_else(|| bad("no `model.vocab` map".into()))?;
        let mut unicode_to_byte = HashMap::with_capacity(256);
        for (b, c) in byte_to_char().iter().enumerate() {
            unicode_to_byte.insert(*c, b as u8);
        }
        let to_bytes = |s: &str| -> Result<Vec<u8>> {
            s.chars()
                .map(|c| {
                    unicode_to_byte
                        .get(&c)
                        .copied()
                        .ok_or_else(|| bad(format!("token `{s}` is not byte-level")))
                })
                .collect()
        };
        let as_id = |x: &serde_json::Value, what: &str| -> Result<u32> {
            x.as_u64()
                .and_then(|i| u32::try_from(i).ok())
                .ok_or_else(|| bad(format!("{what}: id {x} is not a u32")))
        };
        let mut ids = HashMap::with_capacity(vocab.len());
        let mut max_id = 0;
        for (tok, id) in vocab {
            let id = as_id(id, tok)?;
            max_id = max_id.max(id);
            ids.insert(to_bytes(tok)?, id);
        }
        let mut added = HashMap::new();
        let mut added_by_id = HashMap::new();
        if let Some(list) = v.get("added_tokens").and_then(|a| a.as_array()) {
            for t in list {
                let content = t
                    .get("content")
                    .and_then(|c| c.as_str())
                    .ok_or_else(|| bad("added token without `content`".into()))?;
                let id = as_id(t.get("id").unwrap_or(&serde_json::Value::Null), content)?;
                max_id = max_id.max(id);
                added.insert(content.to_string(), id);
                added_by_id.insert(id, content.to_string());
            }
        }
        let mut bytes = vec![None; max_id as usize + 1];
        for (b, &id) in &ids {
            if !added_by_id.contains_key(&id) {
                bytes[id as usize] = Some(b.clone());
            }
        }
        // Added tokens are matched as whole strings, never through BPE.
        ids.retain(|_, id| !added_by_id.contains_key(id));
        let mut byte_ids = [None; 256];
        for (b, slot) in byte_ids.iter_mut().enumerate() {
            *slot = ids.get(&vec![b as u8]).copied();
        }
        let mut merges = HashMap::new();
        if let Some(list) = model.get("merges").and_then(|m| m.as_array()) {
            for (rank, m) in list.iter().enumerate() {
                // "a b" (tokenizers < 0.20) or ["a", "b"].
                let (a, b) = match m {
                    serde_json::Value::String(s) => s
                        .split_once(' ')
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .ok_or_else(|| bad(format!("merge `{s}` has no space")))?,
                    serde_json::Value::Array(p) if p.len() == 2 => (
                        p[0].as_str().unwrap_or_default().to_string(),
                        p[1].as_str().unwrap_or_default().to_string(),
                    ),
                    _ => return Err(bad(format!("merge {m} is neither \"a b\" nor [a, b]"))),
                };
                let (ba, bb) = (to_bytes(&a)?, to_bytes(&b)?);
                let joined = [ba.as_slice(), bb.as_slice()].concat();
                let lookup = |x: &[u8]| {
                    ids.get(x)
                        .copied()
                        .ok_or_else(|| bad(format!("merge `{a} {b}`: part not in the vocabulary")))
                };
                let key = (lookup(&ba)?, lookup(&bb)?);
                let merged = lookup(&joined)?;
                merges.entry(key).or_insert((rank as u32, merged));
            }
        }
        let mut tok = Self {
            bytes,
            ids,
            merges,
            byte_ids,
            added,
            added_by_id,
            special: None,
            multilingual: None,
        };
        tok.special = tok.find_special();
        Ok(tok)
    }

    /// A byte-only Whisper vocabulary for tests and examples: ids 0–255 are the bytes (no
    /// merges), then `<|endoftext|>`, `<|startoftranscript|>`, one token per language
    /// code, `<|translate|>`, `<|transcribe|>`, `<|startoflm|>`, `<|startofprev|>`,
    /// `<|nocaptions|>`, `<|notimestamps|>` and the 1501 timestamps ([`vocab_size`]
    /// `= 264 + languages.len() + 1501`). `multilingual` sets
    /// [`is_multilingual`](Self::is_multilingual) (real vocabularies follow openai-whisper's
    /// size rule instead).
    ///
    /// [`vocab_size`]: Self::vocab_size
    pub fn bytes_only(languages: &[&str], multilingual: bool) -> Self {
        let table = byte_to_char();
        let vocab: serde_json::Map<String, serde_json::Value> = table
            .iter()
            .enumerate()
            .map(|(i, c)| (c.to_string(), serde_json::Value::from(i)))
            .collect();
        let mut names = vec!["<|endoftext|>".to_string(), "<|startoftranscript|>".into()];
        names.extend(languages.iter().map(|l| format!("<|{l}|>")));
        for n in [
            "<|translate|>",
            "<|transcribe|>",
            "<|startoflm|>",
            "<|startofprev|>",
            "<|nocaptions|>",
            "<|notimestamps|>",
        ] {
            names.push(n.into());
        }
        let added: Vec<serde_json::Value> = names
            .iter()
            .enumerate()
            .map(|(i, n)| serde_json::json!({"id": 256 + i, "content": n, "special": true}))
            .collect();
        let json = serde_json::json!({
            "model": {"type": "BPE", "vocab": vocab, "merges": []},
            "added_tokens": added,
        });
        let mut tok = Self::from_json_str(&json.to_string())
            .unwrap_or_else(|e| unreachable!("the byte-only vocabulary is well formed: {e}"));
        tok.multilingual = Some(multilingual);
        tok
    }

    fn find_special(&self) -> Option<SpecialTokens> {
        let id = |s: &str| self.added.get(s).copied();
        let eot = id("<|endoftext|>")?;
        let sot = id("<|startoftranscript|>")?;
        let translate = id("<|translate|>")?;
        let no_timestamps = id("<|notimestamps|>")?;
        let mut languages: Vec<(String, u32)> = self
            .added_by_id
            .iter()
            .filter(|(&i, _)| i > sot && i < translate)
            .filter_map(|(&i, s)| {
                let code = s.strip_prefix("<|")?.strip_suffix("|>")?;
                Some((code.to_string(), i))
            })
            .collect();
        languages.sort_by_key(|l| l.1);
        Some(SpecialTokens {
            eot,
            sot,
            translate,
            transcribe: id("<|transcribe|>")?,
            sot_lm: id("<|startoflm|>")?,
            sot_prev: id("<|startofprev|>")?,
            no_speech: id("<|nospeech|>").or_else(|| id("<|nocaptions|>"))?,
            no_timestamps,
            timestamp_begin: no_timestamps + 1,
            languages,
        })
    }

    /// Whisper's special tokens, or [`Error::Tokenizer`] when the vocabulary lacks them
    /// (a plain GPT-2 vocabulary).
    pub fn special(&self) -> Result<&SpecialTokens> {
        self.special
            .as_ref()
            .ok_or_else(|| Error::Tokenizer("the vocabulary lacks Whisper's special tokens".into()))
    }

    /// Vocabulary size including Whisper's 1501 timestamp tokens when the vocabulary has
    /// Whisper's special tokens (51865 for multilingual checkpoints, 51864 for English-only
    /// ones), else the number of ids in `tokenizer.json`.
    pub fn vocab_size(&self) -> usize {
        match &self.special {
            Some(s) => (s.timestamp_begin + N_TIMESTAMPS) as usize,
            None => self.bytes.len(),
        }
    }

    /// openai-whisper's rule: multilingual when the vocabulary has at least 51865 tokens
    /// (or as given to [`Tokenizer::bytes_only`]).
    pub fn is_multilingual(&self) -> bool {
        self.special.is_some() && self.multilingual.unwrap_or(self.vocab_size() >= 51865)
    }

    /// The id of a special or regular token given by its text (`"<|en|>"`, `"<|1.00|>"`,
    /// `"Ġthe"` in byte-level spelling is not accepted: regular tokens by their bytes).
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        if let Some(&id) = self.added.get(token) {
            return Some(id);
        }
        if let Some(t) = token.strip_prefix("<|").and_then(|t| t.strip_suffix("|>")) {
            if let (Ok(sec), Some(s)) = (t.parse::<f32>(), &self.special) {
                let i = (sec / TIME_PRECISION).round();
                if t.contains('.') && (0.0..N_TIMESTAMPS as f32).contains(&i) {
                    return Some(s.timestamp_begin + i as u32);
                }
            }
        }
        self.ids.get(token.as_bytes()).copied()
    }

    /// The id of language `code` (`"en"`, `"de"`, …).
    pub fn language_token(&self, code: &str) -> Result<u32> {
        self.special()?
            .languages
            .iter()
            .find(|(c, _)| c == code)
            .map(|l| l.1)
            .ok_or_else(|| Error::UnknownLanguage(code.to_string()))
    }

    /// The code of a language token id.
    pub fn language_code(&self, id: u32) -> Option<&str> {
        let s = self.special.as_ref()?;
        s.languages.iter().find(|l| l.1 == id).map(|l| l.0.as_str())
    }

    /// True for ids at or above `<|0.00|>`.
    pub fn is_timestamp(&self, id: u32) -> bool {
        self.special
            .as_ref()
            .is_some_and(|s| id >= s.timestamp_begin)
    }

    /// Encodes text into regular token ids (no start or end tokens added); special-token
    /// strings in `text` become their ids.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            // The next special-token string, if any.
            let next = rest.match_indices("<|").find_map(|(i, _)| {
                let tail = &rest[i..];
                let end = tail.find("|>")? + 2;
                self.added.get(&tail[..end]).map(|&id| (i, end, id))
            });
            let (plain, special) = match next {
                Some((i, len, id)) => (&rest[..i], Some((i + len, id))),
                None => (rest, None),
            };
            for piece in pre_tokenize(plain) {
                self.bpe(piece.as_bytes(), &mut out)?;
            }
            match special {
                Some((end, id)) => {
                    out.push(id);
                    rest = &rest[end..];
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// BPE of one pre-token's bytes, appended to `out`. Merges only, with no shortcut
    /// for pieces that are whole vocabulary entries, as `tokenizers` does: the Whisper-base
    /// `tokenizer.json` lacks GPT-2's first merge `Ġ t`, so `" the"` encodes as `Ġ`, `the`
    /// there (as in faster-whisper), not as one token (as openai-whisper's tiktoken).
    fn bpe(&self, piece: &[u8], out: &mut Vec<u32>) -> Result<()> {
        let mut word: Vec<u32> = piece
            .iter()
            .map(|&b| {
                self.byte_ids[b as usize]
                    .ok_or_else(|| Error::Tokenizer(format!("byte {b:#04x} has no token")))
            })
            .collect::<Result<_>>()?;
        loop {
            let best = word
                .windows(2)
                .enumerate()
                .filter_map(|(i, p)| self.merges.get(&(p[0], p[1])).map(|&(r, m)| (r, i, m)))
                .min();
            let Some((rank, _, _)) = best else { break };
            // Merge every occurrence of the best pair, left to right.
            let mut merged = Vec::with_capacity(word.len());
            let mut i = 0;
            while i < word.len() {
                if i + 1 < word.len() {
                    if let Some(&(r, m)) = self.merges.get(&(word[i], word[i + 1])) {
                        if r == rank {
                            merged.push(m);
                            i += 2;
                            continue;
                        }
                    }
                }
                merged.push(word[i]);
                i += 1;
            }
            word = merged;
        }
        out.extend(word);
        Ok(())
    }

    /// Decodes ids to text, leaving out special tokens and timestamps (see
    /// [`decode_with`](Self::decode_with)).
    pub fn decode(&self, ids: &[u32]) -> String {
        self.decode_with(ids, SpecialMode::Skip)
    }

    /// Decodes ids to text: regular tokens' bytes as UTF-8 (invalid sequences become
    /// U+FFFD), special tokens and timestamps skipped or rendered; ids outside the
    /// vocabulary are skipped (or rendered as `<|id:N|>`).
    pub fn decode_with(&self, ids: &[u32], mode: SpecialMode) -> String {
        let mut text = String::new();
        let mut buf: Vec<u8> = Vec::new();
        let flush = |buf: &mut Vec<u8>, text: &mut String| {
            text.push_str(&String::from_utf8_lossy(buf));
            buf.clear();
        };
        for &id in ids {
            if let Some(Some(b)) = self.bytes.get(id as usize) {
                buf.extend_from_slice(b);
                continue;
            }
            if mode == SpecialMode::Skip {
                continue;
            }
            flush(&mut buf, &mut text);
            if let Some(s) = self.added_by_id.get(&id) {
                text.push_str(s);
            } else if let Some(s) = self.special.as_ref().filter(|s| id >= s.timestamp_begin) {
                let t = (id - s.timestamp_begin) as f32 * TIME_PRECISION;
                text.push_str(&format!("<|{t:.2}|>"));
            } else {
                text.push_str(&format!("<|id:{id}|>"));
            }
        }
        flush(&mut buf, &mut text);
        text
    }
}

/// Character classes of GPT-2's pre-tokenizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Number,
    Space,
    Other,
}

fn class(c: char) -> Class {
    if c.is_whitespace() {
        Class::Space
    } else if c.is_alphabetic() {
        Class::Letter
    } else if c.is_numeric() {
        Class::Number
    } else {
        Class::Other
    }
}

/// Splits text as GPT-2's pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
pub(crate) fn pre_tokenize(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let at = |i: usize| if i < n { chars[i].0 } else { text.len() };
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let start = i;
        let c = chars[i].1;
        // Contractions.
        if c == '\'' {
            let rest = &text[chars[i].0 + 1..];
            if let Some(len) = ["s", "t", "re", "ve", "m", "ll", "d"]
                .iter()
                .find(|s| rest.starts_with(*s))
                .map(|s| s.len())
            {
                let end = chars[i].0 + 1 + len;
                out.push(&text[chars[i].0..end]);
                while i < n && chars[i].0 < end {
                    i += 1;
                }
                continue;
            }
        }
        // ` ?X+` for X in letters, numbers, other.
        let mut j = i;
        if c == ' ' && j + 1 < n && class(chars[j + 1].1) != Class::Space {
            j += 1;
        }
        let k = class(chars[j].1);
        if k != Class::Space {
            let mut e = j;
            while e < n && class(chars[e].1) == k {
                e += 1;
            }
            out.push(&text[at(start)..at(e)]);
            i = e;
            continue;
        }
        // Whitespace: `\s+(?!\S)` then `\s+`.
        let mut e = i;
        while e < n && class(chars[e].1) == Class::Space {
            e += 1;
        }
        if e < n && e - i > 1 {
            e -= 1;
        }
        out.push(&text[at(start)..at(e)]);
        i = e;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_tokenizer_follows_gpt2_regex() {
        let cases: &[(&str, &[&str])] = &[
            ("Hello world", &["Hello", " world"]),
            ("isn't it", &["isn", "'t", " it"]),
            ("  two  spaces ", &[" ", " two", " ", " spaces", " "]),
            ("a\n\nb", &["a", "\n", "\n", "b"]),
            ("x  \ny", &["x", "  ", "\n", "y"]),
            ("12,345.67!", &["12", ",", "345", ".", "67", "!"]),
            (" ... ok", &[" ...", " ok"]),
            ("tab\tend\t", &["tab", "\t", "end", "\t"]),
            ("日本語のテキスト", &["日本語のテキスト"]),
            (" 🦀x", &[" 🦀", "x"]),
        ];
        for (text, want) in cases {
            assert_eq!(pre_tokenize(text), *want, "{text:?}");
        }
    }

    fn toy() -> Tokenizer {
        // bytes a b c + Ġ, merges a b -> ab, ab c -> abc, Ġ a -> Ġa
        let json = r#"{"model": {"type": "BPE",
          "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "abc": 5, "Ġa": 6, "!": 7},
          "merges": ["a b", "ab c", "Ġ a"]},
          "added_tokens": [{"id": 8, "content": "<|endoftext|>"}]}"#;
        Tokenizer::from_json_str(json).unwrap()
    }

    #[test]
    fn bpe_merges_lowest_rank_first_and_round_trips() {
        let t = toy();
        // "abcab": a b c a b -> ab c ab -> abc ab
        assert_eq!(t.encode("abcab").unwrap(), vec![5, 4]);
        // " ab": Ġ a b -> "a b" (rank 0) before "Ġ a" (rank 2): Ġ ab
        assert_eq!(t.encode(" ab").unwrap(), vec![3, 4]);
        assert_eq!(t.encode(" a!").unwrap(), vec![6, 7]);
        assert_eq!(t.encode("a<|endoftext|>b").unwrap(), vec![0, 8, 1]);
        for s in ["abcab", " ab", " a!", "cab c"] {
            assert_eq!(t.decode(&t.encode(s).unwrap()), s);
        }
        assert_eq!(
            t.decode_with(&[0, 8, 99], SpecialMode::Render),
            "a<|endoftext|><|id:99|>"
        );
        assert_eq!(t.decode(&[0, 8, 99]), "a");
        // A byte without a token is an error, not a panic.
        assert!(matches!(t.encode("z"), Err(Error::Tokenizer(_))));
        // No Whisper special tokens in the toy vocabulary.
        assert!(t.special().is_err());
    }

    #[test]
    fn bytes_only_vocabulary() {
        let t = Tokenizer::bytes_only(&["en", "de"], true);
        let s = t.special().unwrap();
        assert_eq!(
            (s.eot, s.sot, s.translate, s.no_timestamps),
            (256, 257, 260, 265)
        );
        assert_eq!(t.vocab_size(), 266 + 1501);
        assert_eq!(t.language_token("de").unwrap(), 259);
        assert!(t.is_multilingual());
        let text = "Grüße 🦀";
        assert_eq!(t.decode(&t.encode(text).unwrap()), text);
    }

    #[test]
    fn bad_json_is_an_error() {
        assert!(Tokenizer::from_json_str("{").is_err());
        assert!(Tokenizer::from_json_str("{}").is_err());
        assert!(Tokenizer::from_json_str(r#"{"model": {"type": "WordPiece"}}"#).is_err());
        let bad_merge = r#"{"model": {"vocab": {"a": 0}, "merges": ["a x"]}}"#;
        assert!(Tokenizer::from_json_str(bad_merge).is_err());
    }

    #[test]
    fn byte_alphabet_is_gpt2s() {
        let t = byte_to_char();
        assert_eq!(t[b' ' as usize], 'Ġ');
        assert_eq!(t[b'\n' as usize], 'Ċ');
        assert_eq!(t[b'a' as usize], 'a');
        let mut u: Vec<char> = t.to_vec();
        u.sort();
        u.dedup();
        assert_eq!(u.len(), 256);
    }
}
