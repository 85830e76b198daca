//! The confusion matrix every classification metric in this crate is computed from.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How to normalise a confusion matrix (scikit-learn's `normalize` argument of
/// `confusion_matrix`). Empty rows/columns give 0, not NaN (sklearn's `nan_to_num`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Normalize {
    /// Raw counts (sklearn `normalize=None`). Default.
    #[default]
    None,
    /// Divide each row by its sum: rows are the recall per true class (`'true'`).
    True,
    /// Divide each column by its sum: columns are the precision per predicted class (`'pred'`).
    Pred,
    /// Divide by the total count (`'all'`).
    All,
}

/// Confusion matrix `C[t][p]` = number of samples of true class `t` predicted as class `p`,
/// shape `(n_classes, n_classes)`, stored row-major. Rows are true classes, columns are
/// predictions, exactly as `sklearn.metrics.confusion_matrix(y_true, y_pred,
/// labels=range(n_classes))`.
///
/// It can be filled incrementally ([`ConfusionMatrix::add_batch`], [`ConfusionMatrix::merge`]),
/// so evaluations over millions of predictions never need to hold them.
///
/// ```
/// use ser_metrics::ConfusionMatrix;
/// let cm = ConfusionMatrix::from_predictions(&[0, 1, 2, 2], &[0, 2, 2, 2], None).unwrap();
/// assert_eq!(cm.get(1, 2), 1);
/// assert_eq!(cm.accuracy().unwrap(), 0.75);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    n_classes: usize,
    counts: Vec<u64>,
}

pub(crate) fn check_same_len(a: usize, b: usize, what: &'static str) -> Result<()> {
    if a != b {
        return Err(Error::LengthMismatch {
            what,
            expected: a,
            got: b,
        });
    }
    Ok(())
}

impl ConfusionMatrix {
    /// An all-zero matrix for `n_classes` classes.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] if `n_classes == 0`.
    pub fn new(n_classes: usize) -> Result<Self> {
        if n_classes == 0 {
            return Err(Error::InvalidParameter {
                name: "n_classes",
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            n_classes,
            counts: vec![0; n_classes * n_classes],
        })
    }

    /// Builds the matrix from class indices. `n_classes: None` uses `max(label) + 1`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`], [`Error::Empty`] when there are no samples and no
    /// `n_classes`, [`Error::UnknownLabel`] if a label is `>= n_classes`.
    pub fn from_predictions(
        y_true: &[usize],
        y_pred: &[usize],
        n_classes: Option<usize>,
    ) -> Result<Self> {
        check_same_len(y_true.len(), y_pred.len(), "y_pred")?;
        let n = match n_classes {
            Some(n) => n,
            None => {
                let m = y_true
                    .iter()
                    .chain(y_pred)
                    .copied()
                    .max()
                    .ok_or(Error::Empty { what: "y_true" })?;
                m + 1
            }
        };
        let mut cm = Self::new(n)?;
        cm.add_batch(y_true, y_pred)?;
        Ok(cm)
    }

    /// Builds a matrix from row-major counts `(n_classes, n_classes)`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `counts.len() != n_classes²`.
    pub fn from_counts(n_classes: usize, counts: Vec<u64>) -> Result<Self> {
        let mut cm = Self::new(n_classes)?;
        check_same_len(n_classes * n_classes, counts.len(), "counts")?;
        cm.counts = counts;
        Ok(cm)
    }

    /// Adds one prediction.
    ///
    /// # Errors
    /// [`Error::UnknownLabel`] if either index is `>= n_classes`.
    pub fn add(&mut self, y_true: usize, y_pred: usize) -> Result<()> {
        self.check_label(y_true)?;
        self.check_label(y_pred)?;
        self.counts[y_true * self.n_classes + y_pred] += 1;
        Ok(())
    }

    /// Adds a batch of predictions. The batch is validated first: on error nothing is added.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`], [`Error::UnknownLabel`].
    pub fn add_batch(&mut self, y_true: &[usize], y_pred: &[usize]) -> Result<()> {
        check_same_len(y_true.len(), y_pred.len(), "y_pred")?;
        let n = self.n_classes;
        if let Some(&bad) = y_true.iter().chain(y_pred).find(|&&l| l >= n) {
            return Err(Error::UnknownLabel {
                label: bad,
                n_classes: n,
            });
        }
        for (&t, &p) in y_true.iter().zip(y_pred) {
            self.counts[t * n + p] += 1;
        }
        Ok(())
    }

    /// Adds the counts of another matrix of the same size (e.g. from another worker).
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if the class counts differ.
    pub fn merge(&mut self, other: &ConfusionMatrix) -> Result<()> {
        check_same_len(self.n_classes, other.n_classes, "n_classes")?;
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        Ok(())
    }

    /// Resets all counts to zero.
    pub fn reset(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
    }

    fn check_label(&self, l: usize) -> Result<()> {
        if l >= self.n_classes {
            return Err(Error::UnknownLabel {
                label: l,
                n_classes: self.n_classes,
            });
        }
        Ok(())
    }

    pub(crate) fn counts_mut(&mut self) -> &mut [u64] {
        &mut self.counts
    }

    /// Number of classes (the matrix is `n_classes × n_classes`).
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Row-major counts, shape `(n_classes, n_classes)`, rows = true class.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Count of samples of true class `t` predicted as `p`.
    ///
    /// # Panics
    /// If `t` or `p` is `>= n_classes` (a contract violation, not data-dependent).
    pub fn get(&self, t: usize, p: usize) -> u64 {
        assert!(
            t < self.n_classes && p < self.n_classes,
            "class index out of range"
        );
        self.counts[t * self.n_classes + p]
    }

    /// Total number of samples.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Samples per true class (row sums, the "support").
    pub fn true_counts(&self) -> Vec<u64> {
        self.counts
            .chunks(self.n_classes)
            .map(|r| r.iter().sum())
            .collect()
    }

    /// Samples per predicted class (column sums).
    pub fn pred_counts(&self) -> Vec<u64> {
        let mut c = vec![0u64; self.n_classes];
        for row in self.counts.chunks(self.n_classes) {
            for (a, &b) in c.iter_mut().zip(row) {
                *a += b;
            }
        }
        c
    }

    /// Correct predictions per class (the diagonal).
    pub fn diagonal(&self) -> Vec<u64> {
        (0..self.n_classes)
            .map(|i| self.counts[i * self.n_classes + i])
            .collect()
    }

    /// Classes that occur in `y_true` or `y_pred`, ascending (sklearn's `unique_labels`, the
    /// default label set of every metric here).
    pub fn present_labels(&self) -> Vec<usize> {
        let t = self.true_counts();
        let p = self.pred_counts();
        (0..self.n_classes).filter(|&i| t[i] + p[i] > 0).collect()
    }

    /// The matrix restricted to `labels` (in that order), dropping samples whose true or
    /// predicted class is not in `labels` (sklearn `confusion_matrix(labels=...)`).
    ///
    /// # Errors
    /// [`Error::UnknownLabel`], [`Error::Empty`] for an empty `labels`.
    pub fn restricted(&self, labels: &[usize]) -> Result<ConfusionMatrix> {
        if labels.is_empty() {
            return Err(Error::Empty { what: "labels" });
        }
        for &l in labels {
            self.check_label(l)?;
        }
        let k = labels.len();
        let mut counts = vec![0u64; k * k];
        for (i, &a) in labels.iter().enumerate() {
            for (j, &b) in labels.iter().enumerate() {
                counts[i * k + j] = self.counts[a * self.n_classes + b];
            }
        }
        ConfusionMatrix::from_counts(k, counts)
    }

    /// The matrix as `f64`, normalised as requested, row-major `(n_classes, n_classes)`.
    /// Zero rows / columns / totals give zeros (as sklearn).
    pub fn normalized(&self, normalize: Normalize) -> Vec<f64> {
        let n = self.n_classes;
        let c: Vec<f64> = self.counts.iter().map(|&x| x as f64).collect();
        let fix = |v: f64| if v.is_nan() { 0.0 } else { v };
        match normalize {
            Normalize::None => c,
            Normalize::True => {
                let rs = self.true_counts();
                (0..n * n).map(|i| fix(c[i] / rs[i / n] as f64)).collect()
            }
            Normalize::Pred => {
                let cs = self.pred_counts();
                (0..n * n).map(|i| fix(c[i] / cs[i % n] as f64)).collect()
            }
            Normalize::All => {
                let t = self.total() as f64;
                c.iter().map(|&v| fix(v / t)).collect()
            }
        }
    }

    /// Renders the matrix as an aligned text table (rows = true, columns = predicted).
    /// `class_names` (one per class, by index) label the rows/columns; `None` uses indices.
    /// Normalised values are printed with `digits` decimals.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `class_names` does not have `n_classes` entries.
    pub fn to_text<S: AsRef<str>>(
        &self,
        class_names: Option<&[S]>,
        normalize: Normalize,
        digits: usize,
    ) -> Result<String> {
        let names = crate::class_names(class_names, self.n_classes)?;
        let vals = self.normalized(normalize);
        let cells: Vec<String> = vals
            .iter()
            .zip(&self.counts)
            .map(|(&v, &c)| match normalize {
                Normalize::None => c.to_string(),
                _ => format!("{v:.digits$}"),
            })
            .collect();
        let n = self.n_classes;
        let name_w = names
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max("true\\pred".len());
        let cell_w = cells
            .iter()
            .map(|s| s.len())
            .chain(names.iter().map(|s| s.chars().count()))
            .max()
            .unwrap_or(1);
        let mut out = format!("{:>name_w$}", "true\\pred");
        for name in &names {
            out.push_str(&format!(" {name:>cell_w$}"));
        }
        out.push('\n');
        for (t, name) in names.iter().enumerate() {
            out.push_str(&format!("{name:>name_w$}"));
            for cell in &cells[t * n..(t + 1) * n] {
                out.push_str(&format!(" {cell:>cell_w$}"));
            }
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rendering() {
        let cm = ConfusionMatrix::from_predictions(&[0, 0, 1, 2], &[0, 1, 1, 2], Some(3)).unwrap();
        let t = cm
            .to_text(Some(&["ang", "hap", "sad"]), Normalize::None, 2)
            .unwrap();
        assert_eq!(t, "true\\pred ang hap sad\n      ang   1   1   0\n      hap   0   1   0\n      sad   0   0   1\n");
        let t = cm.to_text(None::<&[&str]>, Normalize::True, 2).unwrap();
        assert!(t.lines().nth(1).unwrap().ends_with("0.50 0.50 0.00"));
        assert!(cm.to_text(Some(&["a"]), Normalize::None, 2).is_err());
    }

    #[test]
    fn restricted_and_merge() {
        let mut cm = ConfusionMatrix::from_predictions(&[0, 1, 2, 2], &[2, 1, 0, 2], None).unwrap();
        let r = cm.restricted(&[2, 0]).unwrap();
        assert_eq!(r.counts(), &[1, 1, 1, 0]);
        let other = cm.clone();
        cm.merge(&other).unwrap();
        assert_eq!(cm.total(), 8);
        assert_eq!(cm.present_labels(), vec![0, 1, 2]);
    }
}
