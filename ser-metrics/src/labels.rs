//! String labels ↔ class indices (sklearn `LabelEncoder`: classes sorted).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Maps class names to indices `0..n_classes`.
///
/// ```
/// use ser_metrics::LabelEncoder;
/// let enc = LabelEncoder::fit(&["sad", "angry", "sad", "happy"]);
/// assert_eq!(enc.classes(), &["angry", "happy", "sad"]);
/// assert_eq!(enc.transform(&["happy", "sad"]).unwrap(), vec![1, 2]);
/// assert!(enc.transform(&["bored"]).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelEncoder {
    classes: Vec<String>,
}

impl LabelEncoder {
    /// Learns the sorted unique labels (sklearn `LabelEncoder().fit`).
    pub fn fit<S: AsRef<str>>(labels: &[S]) -> Self {
        let set: BTreeSet<&str> = labels.iter().map(|s| s.as_ref()).collect();
        Self {
            classes: set.into_iter().map(str::to_string).collect(),
        }
    }

    /// Uses the given class inventory in the given order (index = position).
    ///
    /// # Errors
    /// [`Error::Empty`] for no classes, [`Error::InvalidParameter`] for duplicates.
    pub fn from_classes<S: AsRef<str>>(classes: &[S]) -> Result<Self> {
        if classes.is_empty() {
            return Err(Error::Empty { what: "classes" });
        }
        let set: BTreeSet<&str> = classes.iter().map(|s| s.as_ref()).collect();
        if set.len() != classes.len() {
            return Err(Error::InvalidParameter {
                name: "classes",
                reason: "duplicate class name".into(),
            });
        }
        Ok(Self {
            classes: classes.iter().map(|s| s.as_ref().to_string()).collect(),
        })
    }

    /// The class names, by index.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// Index of one label.
    ///
    /// # Errors
    /// [`Error::UnknownLabelName`].
    pub fn index(&self, label: &str) -> Result<usize> {
        self.classes
            .iter()
            .position(|c| c == label)
            .ok_or_else(|| Error::UnknownLabelName {
                label: label.to_string(),
            })
    }

    /// Indices of many labels.
    ///
    /// # Errors
    /// [`Error::UnknownLabelName`] for a label not in the inventory.
    pub fn transform<S: AsRef<str>>(&self, labels: &[S]) -> Result<Vec<usize>> {
        labels.iter().map(|l| self.index(l.as_ref())).collect()
    }

    /// Names of class indices.
    ///
    /// # Errors
    /// [`Error::UnknownLabel`] for an index `>= n_classes`.
    pub fn inverse_transform(&self, idx: &[usize]) -> Result<Vec<&str>> {
        idx.iter()
            .map(|&i| {
                self.classes
                    .get(i)
                    .map(String::as_str)
                    .ok_or(Error::UnknownLabel {
                        label: i,
                        n_classes: self.classes.len(),
                    })
            })
            .collect()
    }
}

/// Encodes string `y_true` / `y_pred` together (classes = sorted union, as sklearn's
/// `unique_labels`), returning the encoder and both index vectors.
///
/// # Errors
/// [`Error::LengthMismatch`].
pub fn encode_pair<S: AsRef<str>>(
    y_true: &[S],
    y_pred: &[S],
) -> Result<(LabelEncoder, Vec<usize>, Vec<usize>)> {
    crate::confusion::check_same_len(y_true.len(), y_pred.len(), "y_pred")?;
    let all: Vec<&str> = y_true.iter().chain(y_pred).map(|s| s.as_ref()).collect();
    let enc = LabelEncoder::fit(&all);
    let t = enc.transform(y_true)?;
    let p = enc.transform(y_pred)?;
    Ok((enc, t, p))
}
