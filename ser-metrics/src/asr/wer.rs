//! Word / character error rates with jiwer 4.x semantics (see the [module docs](super)).

use std::iter::Sum;
use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

use super::py::is_space;

/// Edit counts of one or more reference / hypothesis pairs (jiwer's `process_words` stats),
/// from which every measure is derived.
///
/// `substitutions + deletions + hits == reference_words` and
/// `substitutions + insertions + hits == hypothesis_words` always hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
pub struct WordErrors {
    /// Reference tokens replaced by a different hypothesis token.
    pub substitutions: usize,
    /// Reference tokens missing from the hypothesis.
    pub deletions: usize,
    /// Hypothesis tokens with no reference counterpart.
    pub insertions: usize,
    /// Tokens aligned to an identical token (jiwer `hits`).
    pub hits: usize,
    /// Number of reference tokens (words, or characters for [`char_errors`]).
    pub reference_words: usize,
    /// Number of hypothesis tokens.
    pub hypothesis_words: usize,
}

impl WordErrors {
    /// `substitutions + deletions + insertions` (the Levenshtein distance).
    pub fn errors(&self) -> usize {
        self.substitutions + self.deletions + self.insertions
    }

    /// Word error rate `(S + D + I) / (H + S + D)`.
    ///
    /// With no reference token at all this is jiwer's edge case: the number of insertions
    /// (`0.0` when the hypothesis is empty too), so it is not bounded by 1 then.
    pub fn wer(&self) -> f64 {
        if self.reference_words == 0 {
            return self.insertions as f64;
        }
        self.errors() as f64 / (self.hits + self.substitutions + self.deletions) as f64
    }

    /// Match error rate `(S + D + I) / (H + S + D + I)`; with no reference token, `1.0`
    /// if the hypothesis has tokens and `0.0` otherwise (jiwer).
    pub fn mer(&self) -> f64 {
        if self.reference_words == 0 {
            return if self.hypothesis_words == 0 { 0.0 } else { 1.0 };
        }
        self.errors() as f64 / (self.hits + self.errors()) as f64
    }

    /// Word information preserved `(H / N_ref) · (H / N_hyp)`; `1.0` when both sides are
    /// empty, `0.0` when only one is (jiwer).
    pub fn wip(&self) -> f64 {
        if self.reference_words == 0 {
            return if self.hypothesis_words == 0 { 1.0 } else { 0.0 };
        }
        if self.hypothesis_words == 0 {
            return 0.0;
        }
        (self.hits as f64 / self.reference_words as f64)
            * (self.hits as f64 / self.hypothesis_words as f64)
    }

    /// Word information lost `1 − WIP`.
    pub fn wil(&self) -> f64 {
        1.0 - self.wip()
    }
}

impl AddAssign for WordErrors {
    fn add_assign(&mut self, o: Self) {
        self.substitutions += o.substitutions;
        self.deletions += o.deletions;
        self.insertions += o.insertions;
        self.hits += o.hits;
        self.reference_words += o.reference_words;
        self.hypothesis_words += o.hypothesis_words;
    }
}

impl Add for WordErrors {
    type Output = Self;
    fn add(mut self, o: Self) -> Self {
        self += o;
        self
    }
}

impl Sum for WordErrors {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), Add::add)
    }
}

/// The kind of an [`AlignmentChunk`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EditOp {
    /// Identical tokens on both sides.
    Equal,
    /// Reference tokens replaced by as many hypothesis tokens.
    Substitute,
    /// Hypothesis tokens absent from the reference.
    Insert,
    /// Reference tokens absent from the hypothesis.
    Delete,
}

impl EditOp {
    /// jiwer's name: `"equal"`, `"substitute"`, `"insert"` or `"delete"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EditOp::Equal => "equal",
            EditOp::Substitute => "substitute",
            EditOp::Insert => "insert",
            EditOp::Delete => "delete",
        }
    }
}

/// One block of an alignment (jiwer `AlignmentChunk`, rapidfuzz opcode): reference tokens
/// `ref_start..ref_end` correspond to hypothesis tokens `hyp_start..hyp_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AlignmentChunk {
    /// What happens to the tokens.
    pub op: EditOp,
    /// First reference token.
    pub ref_start: usize,
    /// One past the last reference token.
    pub ref_end: usize,
    /// First hypothesis token.
    pub hyp_start: usize,
    /// One past the last hypothesis token.
    pub hyp_end: usize,
}

/// A tokenised reference / hypothesis pair with its alignment and counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alignment {
    /// Reference tokens.
    pub reference: Vec<String>,
    /// Hypothesis tokens.
    pub hypothesis: Vec<String>,
    /// The alignment, covering both token lists in order.
    pub chunks: Vec<AlignmentChunk>,
    /// Edit counts.
    pub counts: WordErrors,
}

impl Alignment {
    /// The three-line text view jiwer's `visualize_alignment` draws for one sentence
    /// (without its `=== SENTENCE n ===` header): `REF:` / `HYP:` rows with the tokens
    /// right-aligned in columns, `*`s facing deleted / inserted tokens, and a marker row
    /// (`S`, `D`, `I`). (jiwer leaves error-free sentences out by default, `skip_correct`;
    /// this always draws.)
    ///
    /// ```
    /// use ser_metrics::asr::align_words;
    /// let a = align_words("Kids are talking by the door", "Kids talking by a door now");
    /// let ref_ = "REF: Kids are talking by the door ***\n";
    /// let hyp = "HYP: Kids *** talking by   a door now\n";
    /// let ops = "            D              S        I\n";
    /// assert_eq!(a.to_text(), format!("{ref_}{hyp}{ops}"));
    /// ```
    pub fn to_text(&self) -> String {
        let (mut r, mut h, mut m) = (
            String::from("REF: "),
            String::from("HYP: "),
            String::from("     "),
        );
        let len = |s: &str| s.chars().count();
        let mut cell = |a: &str, b: &str, mark: char| {
            let w = len(a).max(len(b)).max(1);
            let (a, b) = if a == "*" {
                ("*".repeat(w), b.to_string())
            } else if b == "*" {
                (a.to_string(), "*".repeat(w))
            } else {
                (a.to_string(), b.to_string())
            };
            r.push_str(&format!("{a:>w$} "));
            h.push_str(&format!("{b:>w$} "));
            m.push_str(&format!("{mark:>w$} "));
        };
        for c in &self.chunks {
            let refs = &self.reference[c.ref_start..c.ref_end];
            let hyps = &self.hypothesis[c.hyp_start..c.hyp_end];
            match c.op {
                EditOp::Equal | EditOp::Substitute => {
                    let mark = if c.op == EditOp::Equal { ' ' } else { 'S' };
                    for (a, b) in refs.iter().zip(hyps) {
                        cell(a, b, mark);
                    }
                }
                EditOp::Delete => refs.iter().for_each(|a| cell(a, "*", 'D')),
                EditOp::Insert => hyps.iter().for_each(|b| cell("*", b, 'I')),
            }
        }
        for line in [&mut r, &mut h, &mut m] {
            line.pop(); // jiwer drops the last separator
        }
        format!("{r}\n{h}\n{m}\n")
    }
}

/// Splits a sentence into words exactly as jiwer's default transform `wer_default`
/// (`RemoveMultipleSpaces` → `Strip` → `ReduceToListOfListOfWords`) does: leading and
/// trailing whitespace is dropped, any run of two or more whitespace characters and any
/// single space separate words. A *single* tab, newline or other non-space whitespace
/// character between two words does not (jiwer keeps `"a\tb"` as one word).
///
/// ```
/// use ser_metrics::asr::words;
/// assert_eq!(words("  Kids are  talking\n\nby the door "), ["Kids", "are", "talking", "by", "the", "door"]);
/// assert_eq!(words("a\tb c"), ["a\tb", "c"]);
/// assert!(words(" \t ").is_empty());
/// ```
pub fn words(sentence: &str) -> Vec<&str> {
    let s = sentence.trim_matches(is_space);
    let mut out = Vec::new();
    let mut start = 0usize; // start of the current word (byte)
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if !is_space(c) {
            continue;
        }
        // a whitespace run starting at i
        let mut end = i + c.len_utf8();
        let mut run = 1;
        while let Some(&(j, d)) = it.peek() {
            if !is_space(d) {
                break;
            }
            end = j + d.len_utf8();
            run += 1;
            it.next();
        }
        if run >= 2 || c == ' ' {
            if i > start {
                out.push(&s[start..i]);
            }
            start = end;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Characters of a sentence as jiwer's `cer_default` (`Strip` → characters, spaces
/// included) gives them.
pub fn characters(sentence: &str) -> Vec<char> {
    sentence.trim_matches(is_space).chars().collect()
}

/// Levenshtein edit operations `(op, ref_pos, hyp_pos)` with rapidfuzz's tie-breaking:
/// common prefix and suffix removed, then a backtrace from the end preferring deletion,
/// then insertion, then the diagonal. Ops are in order; positions as in rapidfuzz editops.
fn editops<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(EditOp, usize, usize)> {
    let mut p = 0;
    while p < a.len() && p < b.len() && a[p] == b[p] {
        p += 1;
    }
    let mut s = 0;
    while s < a.len() - p && s < b.len() - p && a[a.len() - 1 - s] == b[b.len() - 1 - s] {
        s += 1;
    }
    let s1 = &a[p..a.len() - s];
    let s2 = &b[p..b.len() - s];
    let (n, m) = (s1.len(), s2.len());
    let w = m + 1;
    // d[i * w + j] = distance(s1[..i], s2[..j])
    let mut d = vec![0usize; (n + 1) * w];
    for (j, v) in d.iter_mut().take(w).enumerate() {
        *v = j;
    }
    for i in 1..=n {
        d[i * w] = i;
        for j in 1..=m {
            let sub = d[(i - 1) * w + j - 1] + usize::from(s1[i - 1] != s2[j - 1]);
            let del = d[(i - 1) * w + j] + 1;
            let ins = d[i * w + j - 1] + 1;
            d[i * w + j] = sub.min(del).min(ins);
        }
    }
    let at = |i: usize, j: usize| d[i * w + j];
    let mut ops = Vec::with_capacity(at(n, m));
    let (mut col, mut row) = (n, m);
    while row > 0 && col > 0 {
        if at(col, row) == at(col - 1, row) + 1 {
            col -= 1;
            ops.push((EditOp::Delete, col + p, row + p));
        } else {
            row -= 1;
            if row > 0 && at(col, row) + 1 == at(col - 1, row) {
                ops.push((EditOp::Insert, col + p, row + p));
            } else {
                col -= 1;
                if s1[col] != s2[row] {
                    ops.push((EditOp::Substitute, col + p, row + p));
                }
            }
        }
    }
    while col > 0 {
        col -= 1;
        ops.push((EditOp::Delete, col + p, row + p));
    }
    while row > 0 {
        row -= 1;
        ops.push((EditOp::Insert, col + p, row + p));
    }
    ops.reverse();
    ops
}

/// The Levenshtein alignment of two token sequences as rapidfuzz's
/// `Levenshtein.opcodes(reference, hypothesis)` gives it (the alignment jiwer reports):
/// among the optimal alignments, the one rapidfuzz's backtrace picks, so the split of the
/// edits into substitutions, deletions and insertions matches jiwer's.
///
/// ```
/// use ser_metrics::asr::{align_tokens, EditOp};
/// let chunks = align_tokens(&["a", "b", "c"], &["a", "x", "c", "d"]);
/// let ops: Vec<EditOp> = chunks.iter().map(|c| c.op).collect();
/// assert_eq!(ops, [EditOp::Equal, EditOp::Substitute, EditOp::Equal, EditOp::Insert]);
/// ```
pub fn align_tokens<T: PartialEq>(reference: &[T], hypothesis: &[T]) -> Vec<AlignmentChunk> {
    let ops = editops(reference, hypothesis);
    let mut out = Vec::new();
    let (mut sp, mut dp) = (0usize, 0usize);
    let mut i = 0;
    while i < ops.len() {
        let (op, s, d) = ops[i];
        if sp < s || dp < d {
            out.push(AlignmentChunk {
                op: EditOp::Equal,
                ref_start: sp,
                ref_end: s,
                hyp_start: dp,
                hyp_end: d,
            });
            sp = s;
            dp = d;
        }
        let (sb, db) = (sp, dp);
        loop {
            match op {
                EditOp::Substitute => {
                    sp += 1;
                    dp += 1;
                }
                EditOp::Insert => dp += 1,
                EditOp::Delete => sp += 1,
                EditOp::Equal => {}
            }
            i += 1;
            if !(i < ops.len() && ops[i].0 == op && ops[i].1 == sp && ops[i].2 == dp) {
                break;
            }
        }
        out.push(AlignmentChunk {
            op,
            ref_start: sb,
            ref_end: sp,
            hyp_start: db,
            hyp_end: dp,
        });
    }
    if sp < reference.len() || dp < hypothesis.len() {
        out.push(AlignmentChunk {
            op: EditOp::Equal,
            ref_start: sp,
            ref_end: reference.len(),
            hyp_start: dp,
            hyp_end: hypothesis.len(),
        });
    }
    out
}

/// Edit counts of two token sequences (see [`align_tokens`]).
pub fn token_errors<T: PartialEq>(reference: &[T], hypothesis: &[T]) -> WordErrors {
    counts(
        &align_tokens(reference, hypothesis),
        reference.len(),
        hypothesis.len(),
    )
}

fn counts(chunks: &[AlignmentChunk], n_ref: usize, n_hyp: usize) -> WordErrors {
    let mut e = WordErrors {
        reference_words: n_ref,
        hypothesis_words: n_hyp,
        ..WordErrors::default()
    };
    for c in chunks {
        let n = c.ref_end - c.ref_start;
        match c.op {
            EditOp::Equal => e.hits += n,
            EditOp::Substitute => e.substitutions += n,
            EditOp::Delete => e.deletions += n,
            EditOp::Insert => e.insertions += c.hyp_end - c.hyp_start,
        }
    }
    e
}

/// Word-level alignment of one pair (jiwer `process_words(reference, hypothesis)` with the
/// default transform; see [`words`]).
///
/// ```
/// use ser_metrics::asr::align_words;
/// let a = align_words("Kids are talking by the door", "Kids talking by a door");
/// assert_eq!((a.counts.substitutions, a.counts.deletions, a.counts.insertions), (1, 1, 0));
/// print!("{}", a.to_text());
/// ```
pub fn align_words(reference: &str, hypothesis: &str) -> Alignment {
    let r = words(reference);
    let h = words(hypothesis);
    let chunks = align_tokens(&r, &h);
    let counts = counts(&chunks, r.len(), h.len());
    Alignment {
        reference: r.into_iter().map(str::to_string).collect(),
        hypothesis: h.into_iter().map(str::to_string).collect(),
        chunks,
        counts,
    }
}

/// Word edit counts of one pair (jiwer `process_words` hits / substitutions / deletions /
/// insertions).
pub fn word_errors(reference: &str, hypothesis: &str) -> WordErrors {
    token_errors(&words(reference), &words(hypothesis))
}

/// Character edit counts of one pair (jiwer `process_characters`; spaces are characters,
/// leading / trailing whitespace is stripped).
pub fn char_errors(reference: &str, hypothesis: &str) -> WordErrors {
    token_errors(&characters(reference), &characters(hypothesis))
}

/// Word error rate of one pair, as `jiwer.wer(reference, hypothesis)`: `(S + D + I) / N`.
/// An empty reference gives the number of inserted words (jiwer 4.x), not an error.
///
/// ```
/// use ser_metrics::asr::wer;
/// assert_eq!(wer("Kids are talking by the door", "Kids are walking by the door"), 1.0 / 6.0);
/// assert_eq!(wer("", ""), 0.0);
/// assert_eq!(wer("", "two words"), 2.0); // jiwer's empty-reference rule
/// ```
pub fn wer(reference: &str, hypothesis: &str) -> f64 {
    word_errors(reference, hypothesis).wer()
}

/// Character error rate of one pair, as `jiwer.cer(reference, hypothesis)`.
///
/// ```
/// use ser_metrics::asr::cer;
/// assert_eq!(cer("door", "floor"), 0.5);
/// ```
pub fn cer(reference: &str, hypothesis: &str) -> f64 {
    char_errors(reference, hypothesis).wer()
}

/// Pooled word edit counts of a corpus of `(reference, hypothesis)` pairs, as jiwer's
/// `process_words(references, hypotheses)`: counts are summed over sentences, so the corpus
/// WER is total edits / total reference words (not a mean of sentence WERs).
pub fn word_errors_corpus<R: AsRef<str>, H: AsRef<str>>(pairs: &[(R, H)]) -> WordErrors {
    pairs
        .iter()
        .map(|(r, h)| word_errors(r.as_ref(), h.as_ref()))
        .sum()
}

/// Corpus word error rate, pooled as jiwer does (total edits / total reference words).
/// If no reference has a word it is the number of inserted words; an empty corpus gives 0.
///
/// ```
/// use ser_metrics::asr::wer_corpus;
/// let pairs = [
///     ("Kids are talking by the door", "Kids are talking by the door"),
///     ("Dogs are sitting by the door", "Dogs sitting by the floor"),
/// ];
/// assert_eq!(wer_corpus(&pairs), 2.0 / 12.0);
/// ```
pub fn wer_corpus<R: AsRef<str>, H: AsRef<str>>(pairs: &[(R, H)]) -> f64 {
    word_errors_corpus(pairs).wer()
}

/// Pooled character edit counts of a corpus (jiwer `process_characters` on lists).
pub fn char_errors_corpus<R: AsRef<str>, H: AsRef<str>>(pairs: &[(R, H)]) -> WordErrors {
    pairs
        .iter()
        .map(|(r, h)| char_errors(r.as_ref(), h.as_ref()))
        .sum()
}

/// Corpus character error rate, pooled as jiwer does.
pub fn cer_corpus<R: AsRef<str>, H: AsRef<str>>(pairs: &[(R, H)]) -> f64 {
    char_errors_corpus(pairs).wer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_jiwer_default_transform() {
        assert_eq!(words("a  b"), ["a", "b"]);
        assert_eq!(words("a\u{a0}b"), ["a\u{a0}b"]);
        assert_eq!(words("a\u{a0}\u{a0}b"), ["a", "b"]);
        assert_eq!(words("\u{1c}a\u{1d}"), ["a"]);
        assert_eq!(words("a \tb"), ["a", "b"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn rapidfuzz_tie_breaking() {
        // "a b" -> "b c": two substitutions or delete + insert, both cost 2
        let e = token_errors(&["a", "b"], &["b", "c"]);
        assert_eq!(e.errors(), 2);
        assert_eq!(
            e.substitutions + e.deletions + e.hits,
            2,
            "counts identity: {e:?}"
        );
    }

    #[test]
    fn empty_reference_follows_jiwer() {
        let e = word_errors("", "a b c");
        assert_eq!(e.wer(), 3.0);
        assert_eq!(e.mer(), 1.0);
        assert_eq!(e.wip(), 0.0);
        assert_eq!(e.wil(), 1.0);
        let z = word_errors(" ", "");
        assert_eq!((z.wer(), z.mer(), z.wip(), z.wil()), (0.0, 0.0, 1.0, 0.0));
        let none: [(&str, &str); 0] = [];
        assert_eq!(wer_corpus(&none), 0.0);
    }

    #[test]
    fn alignment_text() {
        let a = align_words("a b c", "a x c d");
        assert_eq!(a.to_text(), "REF: a b c *\nHYP: a x c d\n       S   I\n");
        assert_eq!(align_words("", "").to_text(), "REF:\nHYP:\n    \n");
    }
}
