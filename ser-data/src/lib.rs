//! # ser-data
//!
//! Turns an emotional-speech corpus folder into a list of [`Utterance`]s — label, speaker,
//! gender, sentence id, transcript, intensity — so that every experiment can be
//! speaker-independent by construction.
//!
//! - **Loaders** keyed on each corpus's documented file naming, behind one entry point
//!   [`load_corpus`]`(dir, `[`CorpusKind`]`)` (or [`load_corpus_auto`]): EmoDB, RAVDESS
//!   (speech), CREMA-D, TESS, SAVEE. Names that break the scheme are *reported, never
//!   guessed*: listed in [`Corpus::rejected`] with the reason, or an
//!   [`Error::MalformedName`] in [strict](LoadOptions::strict) mode.
//! - **Manifests** (CSV or JSONL: `path,label,speaker,transcript[,gender][,split]…`) for any
//!   other corpus, with errors naming the line and field ([`read_manifest`]); the shared
//!   EmoDB `manifest.csv` layout is read as well.
//! - **A common label space** ([`EmotionLabel`]) and [`LabelMapping`]s (e.g. the 4-class
//!   anger/happiness/sadness/neutral task; RAVDESS calm merged or dropped; EmoDB boredom and
//!   disgust kept or dropped).
//! - **Speaker-independent splits** through `ser-metrics`' group protocols: LOSO, speaker
//!   k-fold, stratified speaker k-fold, and per-corpus [standard folds](split).
//! - **A feature cache** ([`FeatureCache`]): features computed once per corpus and config
//!   (in parallel), stored as safetensors + a JSON index, invalidated when the config or the
//!   files change.
//! - **Header metadata** ([`audio_info`]) for durations without decoding.
//!
//! ## What each loader provides
//!
//! | corpus | classes | speakers | gender | transcript | intensity |
//! |---|---|---|---|---|---|
//! | EmoDB | 7 (incl. boredom) | 10 | yes (+ age) | 10 German sentences | – |
//! | RAVDESS speech | 8 (incl. calm) | 24 | yes (odd male) | 2 statements | normal/strong |
//! | CREMA-D | 6 | 91 | only from `VideoDemographics.csv` if present, else unknown | 12 sentences | LO/MD/HI/XX |
//! | TESS | 7 (pleasant surprise → surprise) | 2 (OAF, YAF) | female (+ age) | "Say the word …" | – |
//! | SAVEE | 7 | 4 (DC, JE, JK, KL) | male | none (TIMIT sentences not built in) | – |
//!
//! ## Example
//!
//! ```
//! use ser_data::{load_corpus, CorpusKind, EmotionLabel, LabelMapping};
//!
//! // A tiny EmoDB-like folder (loaders only look at names; audio content is not read).
//! let dir = tempfile::tempdir()?;
//! for name in ["03a01Wa.wav", "03a02Ta.wav", "08a01Na.wav", "08b10La.wav", "09a05Fb.wav", "README.txt"] {
//!     std::fs::write(dir.path().join(name), b"")?;
//! }
//! std::fs::write(dir.path().join("03a01Xa.wav"), b"")?; // 'X' is no EmoDB emotion letter
//!
//! let corpus = load_corpus(dir.path(), CorpusKind::EmoDb)?;
//! assert_eq!(corpus.len(), 5);
//! assert_eq!(corpus.rejected.len(), 1); // reported, not guessed
//! let u = &corpus.utterances[0];
//! assert_eq!((u.speaker.as_str(), u.label.clone()), ("03", EmotionLabel::Anger));
//! assert_eq!(u.transcript.as_deref(), Some("Der Lappen liegt auf dem Eisschrank."));
//!
//! // 4-class task: boredom is dropped.
//! let four = corpus.map_labels(&LabelMapping::four_class());
//! assert_eq!(four.len(), 4);
//! let y = four.class_indices(&LabelMapping::four_class())?;
//! assert_eq!(y, vec![0, 2, 3, 1]); // anger, sadness, neutral, happiness
//!
//! // Leave-one-speaker-out: no speaker is ever on both sides.
//! let folds = four.loso()?;
//! assert_eq!(folds.len(), 3);
//! four.check_speaker_independent(&folds)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod audio;
pub mod cache;
mod corpora;
mod corpus;
mod error;
pub mod folder;
mod label;
pub mod manifest;
pub mod split;

pub use audio::{audio_info, AudioInfo};
pub use cache::{CacheStatus, CachedFeatures, FeatureCache, Fingerprint};
pub use corpus::{
    load_corpus, load_corpus_auto, load_corpus_with, walk_files, Corpus, CorpusKind, CorpusSummary,
    LoadOptions, Rejection, Utterance,
};
pub use error::{BadRow, Error, Result};
pub use folder::{read_label_folders, FolderOptions};
pub use label::{EmotionLabel, Gender, Intensity, LabelMapping, Split};
pub use manifest::{read_manifest, read_manifest_with, write_manifest, ManifestOptions};
pub use split::Fold;

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
