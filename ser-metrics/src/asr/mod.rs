//! Speech recognition metrics: word / character error rates that agree with
//! [jiwer](https://github.com/jitsi/jiwer) 4.x, and ports of openai-whisper's text
//! normalisers (`whisper/normalizers`), with which Whisper's WER numbers are reported.
//!
//! ## Error rates
//! * [`wer`] / [`cer`] for one pair, [`wer_corpus`] / [`cer_corpus`] pooled over a corpus
//!   the way jiwer pools lists: total edits / total reference tokens, not a mean of
//!   per-sentence rates.
//! * [`WordErrors`] holds the counts (substitutions, deletions, insertions, hits, reference
//!   and hypothesis lengths) and derives WER, MER, WIL and WIP as `jiwer.process_words`.
//! * [`align_words`] gives the alignment ([`AlignmentChunk`]s, jiwer's `alignments`) with
//!   rapidfuzz's tie-breaking, so the split of a distance into S / D / I is jiwer's too.
//!
//! Tokenisation is jiwer's default transform ([`words`]): no case folding, no punctuation
//! removal. Normalise first, e.g. with [`EnglishTextNormalizer`], for Whisper-style scores.
//!
//! **Empty references** follow jiwer 4.x instead of failing: when the reference (of a
//! whole corpus) has no word, WER is the number of inserted words (0 if the hypothesis is
//! empty too), MER is 1 (0), WIP 0 (1), WIL 1 (0).
//!
//! ## Normalisers
//! [`BasicTextNormalizer`] (any language), [`EnglishTextNormalizer`] with its parts
//! [`EnglishNumberNormalizer`] and [`EnglishSpellingNormalizer`] follow openai-whisper
//! 20250625 line by line, including Python's `str.lower`, `str.split`, `re`'s `\s`, `\b`
//! and `\d`, and `unicodedata` categories. The spelling table is whisper's `english.json`,
//! shipped in the crate (MIT; `src/asr/LICENSE-openai-whisper`). Golden tests compare
//! every output with the Python originals (`scripts/wer_reference.py`). Known differences:
//! Unicode tables are the `regex` / `unicode-normalization` crates' (Unicode 15 / 16)
//! rather than Python 3.11's (14.0), so characters assigned since may classify
//! differently; whisper's `split_letters` option is not ported.
//!
//! ```
//! use ser_metrics::asr::{wer, wer_corpus, word_errors, EnglishTextNormalizer};
//!
//! let reference = "Kids are talking by the door.";
//! let hypothesis = "Kids are walking by the door";
//! assert_eq!(wer(reference, hypothesis), 2.0 / 6.0); // "door." != "door"
//!
//! let n = EnglishTextNormalizer::new();
//! let (r, h) = (n.normalize(reference), n.normalize(hypothesis));
//! assert_eq!(wer(&r, &h), 1.0 / 6.0);
//!
//! let e = word_errors(&r, &h);
//! assert_eq!((e.substitutions, e.deletions, e.insertions, e.hits), (1, 0, 0, 5));
//! assert!((e.wip() - 25.0 / 36.0).abs() < 1e-15);
//!
//! let pooled = wer_corpus(&[(r.as_str(), h.as_str()), ("dogs are sitting", "dogs sitting")]);
//! assert_eq!(pooled, 2.0 / 9.0);
//! ```

mod normalizers;
mod numbers;
mod py;
mod wer;

pub use normalizers::{
    remove_symbols, remove_symbols_and_diacritics, BasicTextNormalizer, EnglishSpellingNormalizer,
    EnglishTextNormalizer, ENGLISH_SPELLINGS_JSON,
};
pub use numbers::EnglishNumberNormalizer;
pub use wer::{
    align_tokens, align_words, cer, cer_corpus, char_errors, char_errors_corpus, characters,
    token_errors, wer, wer_corpus, word_errors, word_errors_corpus, words, Alignment,
    AlignmentChunk, EditOp, WordErrors,
};
