//! Text vectors for the linguistic branch: lexical features and/or sentence embeddings
//! from `ser_features::linguistic`.

use std::collections::HashMap;

use ser_features::linguistic::{lexical_features, SentenceEncoder, LEXICAL_FEATURE_NAMES};

use crate::Result;

/// Which text representation to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum TextRepr {
    /// The 22 lexical features (VADER, valence buckets, punctuation, pronouns …).
    Lexical,
    /// The sentence embedding only.
    Embedding,
    /// Lexical features followed by the sentence embedding.
    Both,
}

/// Text vectors for transcripts (`None` stays `None`: a missing transcript).
///
/// An `encoder` is required for [`TextRepr::Embedding`] / [`TextRepr::Both`]; without one
/// those fall back to the lexical features (so a missing model degrades, never fails).
///
/// ```
/// use ser_fusion::text::{text_vectors, TextRepr};
/// let t = vec![Some("I love it!".to_string()), None];
/// let v = text_vectors(&t, TextRepr::Lexical, None)?;
/// assert_eq!(v[0].as_ref().map(Vec::len), Some(22));
/// assert!(v[1].is_none());
/// # Ok::<(), ser_fusion::Error>(())
/// ```
pub fn text_vectors(
    transcripts: &[Option<String>],
    repr: TextRepr,
    encoder: Option<&SentenceEncoder>,
) -> Result<Vec<Option<Vec<f32>>>> {
    // Each distinct transcript is embedded once (acted corpora repeat a few sentences).
    let mut unique: Vec<&str> = transcripts.iter().flatten().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    let emb: Option<HashMap<&str, Vec<f32>>> = match (repr, encoder) {
        (TextRepr::Embedding | TextRepr::Both, Some(enc)) => {
            let e = enc.embed(&unique)?;
            Some(unique.iter().copied().zip(e).collect())
        }
        _ => None,
    };
    Ok(transcripts
        .iter()
        .map(|t| {
            t.as_ref().map(|t| {
                let e = emb.as_ref().and_then(|m| m.get(t.as_str()).cloned());
                match (repr, e) {
                    (TextRepr::Embedding, Some(e)) => e,
                    (TextRepr::Both, Some(e)) => {
                        let mut v = lexical_features(t);
                        v.extend(e);
                        v
                    }
                    _ => lexical_features(t),
                }
            })
        })
        .collect())
}

/// Feature names of [`TextRepr::Lexical`].
pub fn lexical_names() -> &'static [&'static str] {
    &LEXICAL_FEATURE_NAMES
}
