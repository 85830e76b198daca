//! # ser-metrics
//!
//! Evaluation for speech emotion recognition that agrees with scikit-learn 1.9 (golden-tested
//! to 1e-12 against `sklearn` itself), plus the SER conventions and speaker-independent
//! evaluation protocols. It depends on no other `ser-*` crate.
//!
//! * Label metrics from a [`ConfusionMatrix`]: [`accuracy_score`] (= SER **WA**),
//!   [`balanced_accuracy_score`] (= SER **UA** / UAR), per-class and micro / macro /
//!   weighted precision, recall, F-beta ([`precision_recall_fscore_support`],
//!   [`ClassScores::average`]) with sklearn's [`ZeroDivision`] rules, Cohen's kappa
//!   ([`cohen_kappa_score`], linear / quadratic weights), a byte-identical
//!   [`classification_report`] (also as a serde struct).
//! * Score metrics: [`top_k_accuracy_score`], [`log_loss`] (sklearn 1.9 clipping rules).
//! * Dimensional emotion: [`concordance_correlation_coefficient`], [`pearson`],
//!   [`mean_absolute_error`], [`mean_squared_error`].
//! * Normalised confusion matrices ([`Normalize`]) as text ([`ConfusionMatrix::to_text`]) and
//!   PNG heat maps ([`plot::confusion_matrix_png`]).
//! * Percentile bootstrap CIs ([`bootstrap_ci`], [`bootstrap_confusion_ci`]).
//! * Speaker-independent splits ([`protocol`]): group k-fold, leave-one-speaker-out,
//!   stratified group k-fold, group train/test split.
//! * [`StreamingEvaluator`]: add batches, read every metric, constant memory.
//! * Speech recognition ([`asr`]): word / character error rates agreeing with jiwer 4.x
//!   ([`asr::wer`], [`asr::wer_corpus`], MER / WIL / WIP, alignments) and ports of
//!   openai-whisper's text normalisers ([`asr::EnglishTextNormalizer`],
//!   [`asr::BasicTextNormalizer`]).
//!
//! Class labels are class indices `0..n_classes` (`&[usize]`); use [`LabelEncoder`] /
//! [`encode_pair`] for string labels. As in sklearn, metrics use the classes *present* in
//! `y_true` or `y_pred` unless `labels` are given.
//!
//! ```
//! use ser_metrics::{
//!     accuracy_score, argmax, balanced_accuracy_score, classification_report, ConfusionMatrix,
//!     Normalize, ReportOptions,
//! };
//! let names = ["angry", "happy", "neutral", "sad"];
//! let y_true = [0, 0, 1, 1, 2, 2, 2, 2, 3, 3];
//! let y_pred = [0, 1, 1, 1, 2, 2, 3, 2, 3, 0];
//!
//! let wa = accuracy_score(&y_true, &y_pred)?; // weighted accuracy
//! let ua = balanced_accuracy_score(&y_true, &y_pred, false)?; // unweighted accuracy
//! assert_eq!(wa, 0.7);
//! assert_eq!(ua, (0.5 + 1.0 + 0.75 + 0.5) / 4.0);
//!
//! let report = classification_report(&y_true, &y_pred, &ReportOptions::default().with_class_names(&names))?;
//! println!("{report}"); // same text as sklearn.metrics.classification_report
//! assert_eq!(report.macro_avg.recall, ua);
//!
//! let cm = ConfusionMatrix::from_predictions(&y_true, &y_pred, Some(names.len()))?;
//! println!("{}", cm.to_text(Some(&names), Normalize::True, 2)?);
//! # Ok::<(), ser_metrics::Error>(())
//! ```
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

pub mod asr;
pub mod bootstrap;
pub mod classification;
pub mod confusion;
pub mod error;
pub mod labels;
pub mod plot;
pub mod probabilistic;
pub mod protocol;
pub mod regression;
pub mod report;
pub mod streaming;

pub use bootstrap::{bootstrap_ci, bootstrap_confusion_ci, BootstrapOptions, ConfidenceInterval};
pub use classification::{
    accuracy_score, argmax, balanced_accuracy_score, cohen_kappa_score, f1_score,
    precision_recall_fscore_support, precision_score, recall_score, unweighted_accuracy,
    weighted_accuracy, Average, AverageScores, ClassScores, IllDefined, KappaWeights, PrfOptions,
    ZeroDivision,
};
pub use confusion::{ConfusionMatrix, Normalize};
pub use error::{Error, Result};
pub use labels::{encode_pair, LabelEncoder};
pub use probabilistic::{log_loss, rows_sum_to_one, top_k_accuracy_score};
pub use regression::{
    concordance_correlation_coefficient, mean_absolute_error, mean_squared_error, pearson,
};
pub use report::{classification_report, ClassificationReport, ReportOptions, ReportRow};
pub use streaming::StreamingEvaluator;

/// Class display names: the given ones (must be `n` long) or the indices.
pub(crate) fn class_names<S: AsRef<str>>(names: Option<&[S]>, n: usize) -> Result<Vec<String>> {
    match names {
        Some(v) => {
            if v.len() != n {
                return Err(Error::LengthMismatch {
                    what: "class_names",
                    expected: n,
                    got: v.len(),
                });
            }
            Ok(v.iter().map(|s| s.as_ref().to_string()).collect())
        }
        None => Ok((0..n).map(|i| i.to_string()).collect()),
    }
}

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
