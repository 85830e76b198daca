//! # ser-fusion
//!
//! Acoustic + linguistic fusion for speech emotion recognition, on Candle.
//!
//! * Inputs ([`Multimodal`]): one acoustic vector per utterance (e.g. `ser-features`'
//!   eGeMAPS / ComParE-like functionals) and an optional text vector (from
//!   [`text::text_vectors`]: `ser_features::linguistic` lexical features and/or BERT
//!   sentence embeddings). Each modality is standardised on training rows only.
//! * Networks ([`FusionNet`], Candle modules built from a seeded `ser_models::ParamStore`):
//!   acoustic-only, text-only, **early fusion** (concatenation → MLP) and a **gated
//!   multimodal unit** (GMU). **Late fusion** ([`LateFusion`]) averages the acoustic and
//!   text posteriors with a weight learned on validation data.
//! * Training ([`fit`]) reuses the `ser-models` recipe ([`ser_models::TrainConfig`], its
//!   soft cross entropy, seeded parameters and dropout, early stopping on validation UA)
//!   and adds modality dropout.
//! * **Missing modality**: an utterance without a transcript is predicted by the acoustic
//!   path alone — the GMU gate is forced to 1, early fusion sees the training-mean text
//!   block, late fusion returns the acoustic posterior ([`net`] docs).
//! * **Modality contribution**: ablation over the five methods ([`cv::cross_validate`]),
//!   per-utterance GMU gate values ([`FusionModel::gate_means`]) and the leave-text-out
//!   change in probability ([`text_contribution`]).
//!
//! * Text-emotion head ([`multilabel`]): a multi-label MLP / logistic regression over text
//!   vectors with per-label thresholds tuned on development data (GoEmotions).
//!
//! * Spoken text ([`spoken`]): Whisper transcribes the audio, the text-emotion model reads
//!   the transcript and the card's fusion rule combines it with the acoustic posterior —
//!   [`SpokenRecognizer`] for clips, [`UtteranceTracker`] to transcribe live streams by
//!   utterance.
//!
//! Layering: depends on `ser-features` (feature `linguistic`), `ser-models`, `ser-metrics`,
//! `ser-whisper` (speech recognition) and `ser-dsp`.
//! The `fusion` binary of `ser-examples` produces `results/fusion.md`.
//!
//! ## Example
//!
//! ```
//! use ser_fusion::{fit, text_contribution, FitConfig, FusionKind, Multimodal, NetConfig};
//! use ser_models::TrainConfig;
//!
//! // Six utterances: a 3-d acoustic vector and a 22-d lexical text vector each.
//! let texts = ["I love this!", "This is awful.", "I love it so much!", "Awful, just awful.",
//!              "What a great day!", "I hate this."];
//! let y = vec![0, 1, 0, 1, 0, 1];
//! let acoustic: Vec<Vec<f32>> = (0..6).map(|i| vec![i as f32 * 0.1, 1.0, (i % 2) as f32]).collect();
//! let t: Vec<Option<String>> = texts.iter().map(|s| Some(s.to_string())).collect();
//! let text = ser_fusion::text::text_vectors(&t, ser_fusion::text::TextRepr::Lexical, None)?;
//! let data = Multimodal::new(acoustic, text)?;
//!
//! let cfg = NetConfig::new(FusionKind::Gmu, data.acoustic_dim(), data.text_dim(), 2).hidden(8);
//! let fc = FitConfig::default().train(TrainConfig::default().epochs(30).batch_size(6));
//! let model = fit(&cfg, &fc, (&data, &y), None)?;
//!
//! let p = model.predict_proba(&data)?;               // both modalities
//! let p0 = model.predict_proba(&data.without_text())?; // no transcripts: acoustic path
//! assert_eq!((p.len(), p0[0].len()), (6, 2));
//! let gate = model.gate_means(&data)?.expect("GMU");   // acoustic share per utterance
//! assert!(gate.iter().all(|g| (0.0..=1.0).contains(g)));
//! let delta = text_contribution(&model, &data)?;       // p(ŷ) − p(ŷ | no text)
//! assert_eq!(delta.len(), 6);
//! # Ok::<(), ser_fusion::Error>(())
//! ```
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod cv;
pub mod data;
pub mod error;
pub mod late;
pub mod multilabel;
pub mod net;
pub mod spoken;
pub mod text;
pub mod text_model;
pub mod train;

pub use cv::{cross_validate, paired_difference, scores, CvConfig, CvOutcome, Scores, METHODS};
pub use data::{Multimodal, Standardizer};
pub use error::{Error, Result};
pub use late::LateFusion;
pub use net::{FusionKind, FusionNet, FusionOutput, NetConfig};
pub use ser_metrics::argmax;
pub use spoken::{Linguistic, SpokenPrediction, SpokenRecognizer, TextBranch, UtteranceTracker};
pub use text_model::{TextEmotion, TextEmotionModel, TextModelCard};
pub use train::{fit, text_contribution, FitConfig, FusionModel};

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
