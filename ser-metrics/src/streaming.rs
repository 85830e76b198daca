//! Streaming evaluation: add batches, read metrics, never hold the predictions.

use serde::{Deserialize, Serialize};

use crate::classification::{ClassScores, KappaWeights, PrfOptions};
use crate::confusion::{check_same_len, ConfusionMatrix};
use crate::error::{Error, Result};
use crate::probabilistic::{check_probabilities, check_scores, sample_log_loss, top_k_hit};
use crate::report::{ClassificationReport, ReportOptions};

/// Accumulates a confusion matrix and, when probabilities are supplied, log-loss and
/// top-k statistics; memory is `O(n_classes² + |ks|)` whatever the number of predictions.
///
/// All label metrics are read from the confusion matrix and are therefore identical to the
/// slice functions on the concatenated batches. The log loss is the running (compensated)
/// sum of per-sample losses divided by their count; it agrees with [`crate::log_loss`] to
/// rounding (≈1e-15 relative).
///
/// ```
/// use ser_metrics::StreamingEvaluator;
/// let mut ev = StreamingEvaluator::new(3).unwrap().with_top_k(vec![1, 2]);
/// ev.add_batch(&[0, 1], &[0, 2], Some(&[0.7, 0.2, 0.1, 0.1, 0.3, 0.6])).unwrap();
/// ev.add_batch(&[2], &[2], Some(&[0.1, 0.1, 0.8])).unwrap();
/// assert_eq!(ev.confusion_matrix().total(), 3);
/// assert!((ev.accuracy().unwrap() - 2.0 / 3.0).abs() < 1e-15);
/// assert_eq!(ev.top_k_accuracy(2).unwrap(), 1.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamingEvaluator {
    cm: ConfusionMatrix,
    ks: Vec<usize>,
    topk_hits: Vec<u64>,
    n_scored: u64,
    log_loss_sum: f64,
    log_loss_comp: f64,
}

impl StreamingEvaluator {
    /// An empty evaluator for `n_classes` classes.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `n_classes == 0`.
    pub fn new(n_classes: usize) -> Result<Self> {
        Ok(Self {
            cm: ConfusionMatrix::new(n_classes)?,
            ks: Vec::new(),
            topk_hits: Vec::new(),
            n_scored: 0,
            log_loss_sum: 0.0,
            log_loss_comp: 0.0,
        })
    }

    /// Tracks top-k accuracy for each `k` in `ks` (from the probabilities). Resets top-k counts.
    pub fn with_top_k(mut self, ks: Vec<usize>) -> Self {
        self.topk_hits = vec![0; ks.len()];
        self.ks = ks;
        self
    }

    /// Adds a batch of labels and predictions, and optionally the row-major class
    /// probabilities `(batch, n_classes)` used for log loss and top-k. The batch is validated
    /// before anything is added.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`], [`Error::UnknownLabel`], [`Error::NonFinite`],
    /// [`Error::InvalidParameter`] for probabilities outside `[0, 1]`.
    pub fn add_batch(
        &mut self,
        y_true: &[usize],
        y_pred: &[usize],
        proba: Option<&[f64]>,
    ) -> Result<()> {
        check_same_len(y_true.len(), y_pred.len(), "y_pred")?;
        let n = self.cm.n_classes();
        if let Some(p) = proba {
            if !y_true.is_empty() {
                check_scores(y_true, p, n)?;
                check_probabilities(p)?;
            } else {
                check_same_len(0, p.len(), "proba")?;
            }
        }
        self.cm.add_batch(y_true, y_pred)?;
        if let Some(p) = proba {
            for (&t, row) in y_true.iter().zip(p.chunks_exact(n)) {
                // Neumaier-compensated sum
                let x = sample_log_loss(row, t);
                let s = self.log_loss_sum + x;
                if self.log_loss_sum.abs() >= x.abs() {
                    self.log_loss_comp += (self.log_loss_sum - s) + x;
                } else {
                    self.log_loss_comp += (x - s) + self.log_loss_sum;
                }
                self.log_loss_sum = s;
                for (h, &k) in self.topk_hits.iter_mut().zip(&self.ks) {
                    if k > 0 && top_k_hit(row, t, k) {
                        *h += 1;
                    }
                }
            }
            self.n_scored += y_true.len() as u64;
        }
        Ok(())
    }

    /// Merges another evaluator (same classes and top-k list), e.g. from a parallel worker.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if the class count or top-k lists differ.
    pub fn merge(&mut self, other: &StreamingEvaluator) -> Result<()> {
        if self.ks != other.ks {
            return Err(Error::LengthMismatch {
                what: "top-k list",
                expected: self.ks.len(),
                got: other.ks.len(),
            });
        }
        self.cm.merge(&other.cm)?;
        for (a, b) in self.topk_hits.iter_mut().zip(&other.topk_hits) {
            *a += b;
        }
        self.n_scored += other.n_scored;
        self.log_loss_sum += other.log_loss_sum;
        self.log_loss_comp += other.log_loss_comp;
        Ok(())
    }

    /// The accumulated confusion matrix.
    pub fn confusion_matrix(&self) -> &ConfusionMatrix {
        &self.cm
    }

    /// Overall accuracy (WA).
    ///
    /// # Errors
    /// [`Error::Empty`] before any sample.
    pub fn accuracy(&self) -> Result<f64> {
        self.cm.accuracy()
    }

    /// Balanced accuracy (UA).
    ///
    /// # Errors
    /// [`Error::Empty`] before any sample.
    pub fn balanced_accuracy(&self, adjusted: bool) -> Result<f64> {
        self.cm.balanced_accuracy(adjusted)
    }

    /// Per-class precision / recall / F / support.
    ///
    /// # Errors
    /// As [`ConfusionMatrix::class_scores`].
    pub fn class_scores(&self, options: &PrfOptions) -> Result<ClassScores> {
        self.cm.class_scores(options)
    }

    /// Cohen's kappa.
    ///
    /// # Errors
    /// As [`ConfusionMatrix::cohen_kappa`].
    pub fn cohen_kappa(&self, labels: Option<&[usize]>, weights: KappaWeights) -> Result<f64> {
        self.cm.cohen_kappa(labels, weights)
    }

    /// The classification report.
    ///
    /// # Errors
    /// As [`ConfusionMatrix::classification_report`].
    pub fn classification_report(&self, options: &ReportOptions) -> Result<ClassificationReport> {
        self.cm.classification_report(options)
    }

    /// Mean log loss over the samples that came with probabilities.
    ///
    /// # Errors
    /// [`Error::Empty`] if no probabilities were added.
    pub fn log_loss(&self) -> Result<f64> {
        if self.n_scored == 0 {
            return Err(Error::Empty {
                what: "probabilities",
            });
        }
        Ok((self.log_loss_sum + self.log_loss_comp) / self.n_scored as f64)
    }

    /// Top-k accuracy for a `k` registered with [`StreamingEvaluator::with_top_k`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unregistered `k`, [`Error::Empty`] if no
    /// probabilities were added.
    pub fn top_k_accuracy(&self, k: usize) -> Result<f64> {
        let i = self
            .ks
            .iter()
            .position(|&x| x == k)
            .ok_or_else(|| Error::InvalidParameter {
                name: "k",
                reason: format!("k={k} was not registered with with_top_k"),
            })?;
        if k == 0 {
            return Err(Error::InvalidParameter {
                name: "k",
                reason: "must be at least 1".into(),
            });
        }
        if self.n_scored == 0 {
            return Err(Error::Empty {
                what: "probabilities",
            });
        }
        Ok(self.topk_hits[i] as f64 / self.n_scored as f64)
    }
}
