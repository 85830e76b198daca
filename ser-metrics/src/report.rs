//! `sklearn.metrics.classification_report`, as text (byte-identical) and as a serde struct.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::classification::{Average, IllDefined, PrfOptions, ZeroDivision};
use crate::confusion::ConfusionMatrix;
use crate::error::{Error, Result};

/// Options of [`ConfusionMatrix::classification_report`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReportOptions {
    /// Labels to report, in row order. Default: `None` = classes present in `y_true` or
    /// `y_pred` (sklearn).
    pub labels: Option<Vec<usize>>,
    /// Display names, one per reported label, in the same order (sklearn `target_names`).
    /// Default: `None` = the label indices. Unlike sklearn, a length mismatch is always an
    /// error (sklearn only warns when `labels` is given).
    pub target_names: Option<Vec<String>>,
    /// Decimal places in the text report. Default: 2.
    pub digits: usize,
    /// Zero-denominator policy. Default: [`ZeroDivision::Warn`].
    pub zero_division: ZeroDivision,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            labels: None,
            target_names: None,
            digits: 2,
            zero_division: ZeroDivision::Warn,
        }
    }
}

impl ReportOptions {
    /// Reports every class `0..names.len()` under the given names (the usual SER setup:
    /// a fixed emotion inventory, some classes possibly absent from a test fold).
    pub fn with_class_names<S: AsRef<str>>(mut self, names: &[S]) -> Self {
        self.labels = Some((0..names.len()).collect());
        self.target_names = Some(names.iter().map(|s| s.as_ref().to_string()).collect());
        self
    }
    /// Sets `labels`.
    pub fn labels(mut self, labels: Vec<usize>) -> Self {
        self.labels = Some(labels);
        self
    }
    /// Sets `target_names`.
    pub fn target_names(mut self, names: Vec<String>) -> Self {
        self.target_names = Some(names);
        self
    }
    /// Sets `digits`.
    pub fn digits(mut self, digits: usize) -> Self {
        self.digits = digits;
        self
    }
    /// Sets `zero_division`.
    pub fn zero_division(mut self, zd: ZeroDivision) -> Self {
        self.zero_division = zd;
        self
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    /// Class name or average name (`"macro avg"`, ...).
    pub name: String,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1 score.
    #[serde(rename = "f1-score")]
    pub f1_score: f64,
    /// Support (number of true samples).
    pub support: u64,
}

/// The data of `classification_report(output_dict=True)` plus what is needed to print it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationReport {
    /// One row per label.
    pub classes: Vec<ReportRow>,
    /// Accuracy, when micro-averaging equals accuracy (all present classes are reported).
    pub accuracy: Option<f64>,
    /// Micro average, when it is not the accuracy (a subset of labels was reported).
    pub micro_avg: Option<ReportRow>,
    /// Macro average.
    pub macro_avg: ReportRow,
    /// Support-weighted average.
    pub weighted_avg: ReportRow,
    /// Total support of the reported labels.
    pub support: u64,
    /// Decimal places used by the text form.
    pub digits: usize,
    /// Zero-denominator flags (sklearn would have warned).
    pub ill_defined: IllDefined,
    /// scikit-learn quirk, reproduced in the text form: when no sample at all is predicted
    /// correctly, sklearn's supports are floats and print as `"4.0"` instead of `"4"`.
    #[serde(default)]
    pub float_support: bool,
}

/// Python's `format(x, '.{d}f')` (NaN / inf spelled as Python does).
fn py_f(x: f64, d: usize) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format!("{x:.d$}")
    }
}

impl ClassificationReport {
    /// The text form, byte-identical to `sklearn.metrics.classification_report`.
    pub fn to_text(&self) -> String {
        let d = self.digits;
        let heading = "weighted avg";
        let name_w = self
            .classes
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(0);
        let w = name_w.max(heading.len()).max(d);
        let mut s = format!("{:>w$} ", "");
        for h in ["precision", "recall", "f1-score", "support"] {
            s.push_str(&format!(" {h:>9}"));
        }
        s.push_str("\n\n");
        let sup = |n: u64| {
            if self.float_support {
                format!("{n}.0")
            } else {
                n.to_string()
            }
        };
        let row = |s: &mut String, r: &ReportRow| {
            s.push_str(&format!(
                "{:>w$}  {:>9} {:>9} {:>9} {:>9}\n",
                r.name,
                py_f(r.precision, d),
                py_f(r.recall, d),
                py_f(r.f1_score, d),
                sup(r.support)
            ));
        };
        for r in &self.classes {
            row(&mut s, r);
        }
        s.push('\n');
        if let Some(acc) = self.accuracy {
            s.push_str(&format!(
                "{:>w$}  {:>9} {:>9} {:>9} {:>9}\n",
                "accuracy",
                "",
                "",
                py_f(acc, d),
                sup(self.support)
            ));
        }
        if let Some(m) = &self.micro_avg {
            row(&mut s, m);
        }
        row(&mut s, &self.macro_avg);
        row(&mut s, &self.weighted_avg);
        s
    }

    /// The same JSON object as sklearn's `classification_report(output_dict=True)`
    /// (class names as keys, `"accuracy"` a number, supports as numbers).
    pub fn to_sklearn_dict(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        let row = |r: &ReportRow| {
            serde_json::json!({
                "precision": r.precision,
                "recall": r.recall,
                "f1-score": r.f1_score,
                "support": r.support as f64,
            })
        };
        for r in &self.classes {
            m.insert(r.name.clone(), row(r));
        }
        if let Some(a) = self.accuracy {
            m.insert("accuracy".into(), serde_json::json!(a));
        }
        for r in self
            .micro_avg
            .iter()
            .chain([&self.macro_avg, &self.weighted_avg])
        {
            m.insert(r.name.clone(), row(r));
        }
        serde_json::Value::Object(m)
    }

    /// This struct as pretty JSON.
    ///
    /// # Errors
    /// Never in practice (serialisation of plain data); NaN scores serialise as `null`.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::InvalidParameter {
            name: "report",
            reason: e.to_string(),
        })
    }
}

impl fmt::Display for ClassificationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl ConfusionMatrix {
    /// sklearn `classification_report(y_true, y_pred, labels, target_names, digits,
    /// zero_division)` computed from this matrix.
    ///
    /// # Errors
    /// [`Error::Empty`], [`Error::UnknownLabel`], [`Error::LengthMismatch`] when
    /// `target_names` and the labels differ in length.
    pub fn classification_report(&self, options: &ReportOptions) -> Result<ClassificationReport> {
        let prf = PrfOptions {
            labels: options.labels.clone(),
            zero_division: options.zero_division,
            beta: 1.0,
        };
        let cs = self.class_scores(&prf)?;
        let names: Vec<String> = match &options.target_names {
            Some(n) => {
                if n.len() != cs.labels.len() {
                    return Err(Error::LengthMismatch {
                        what: "target_names",
                        expected: cs.labels.len(),
                        got: n.len(),
                    });
                }
                n.clone()
            }
            None => cs.labels.iter().map(|l| l.to_string()).collect(),
        };
        let present = self.present_labels();
        let micro_is_accuracy =
            options.labels.is_none() || present.iter().all(|p| cs.labels.contains(p));
        let support: u64 = cs.support.iter().sum();
        let classes = (0..cs.labels.len())
            .map(|i| ReportRow {
                name: names[i].clone(),
                precision: cs.precision[i],
                recall: cs.recall[i],
                f1_score: cs.f_score[i],
                support: cs.support[i],
            })
            .collect();
        let avg_row = |name: &str, a: Average| {
            let s = cs.average(a);
            ReportRow {
                name: name.into(),
                precision: s.precision,
                recall: s.recall,
                f1_score: s.f_score,
                support,
            }
        };
        let micro = cs.average(Average::Micro);
        let mut ill = cs.ill_defined;
        ill.precision |= micro.ill_defined.precision;
        ill.recall |= micro.ill_defined.recall;
        ill.f_score |= micro.ill_defined.f_score;
        Ok(ClassificationReport {
            classes,
            accuracy: micro_is_accuracy.then_some(micro.f_score),
            micro_avg: (!micro_is_accuracy).then(|| avg_row("micro avg", Average::Micro)),
            macro_avg: avg_row("macro avg", Average::Macro),
            weighted_avg: avg_row("weighted avg", Average::Weighted),
            support,
            digits: options.digits,
            ill_defined: ill,
            float_support: self.diagonal().iter().all(|&c| c == 0),
        })
    }
}

/// sklearn `classification_report` over class-index slices.
///
/// ```
/// use ser_metrics::{classification_report, ReportOptions};
/// let r = classification_report(&[0, 1, 2, 2], &[0, 1, 1, 2], &ReportOptions::default()).unwrap();
/// assert!(r.to_text().contains("    accuracy                           0.75         4"));
/// ```
///
/// # Errors
/// As [`ConfusionMatrix::classification_report`], plus [`Error::LengthMismatch`] for
/// `y_true` / `y_pred`.
pub fn classification_report(
    y_true: &[usize],
    y_pred: &[usize],
    options: &ReportOptions,
) -> Result<ClassificationReport> {
    crate::confusion::check_same_len(y_true.len(), y_pred.len(), "y_pred")?;
    if y_true.is_empty() {
        return Err(Error::Empty { what: "y_true" });
    }
    let max_data = y_true.iter().chain(y_pred).copied().max().unwrap_or(0);
    let max_lab = options
        .labels
        .as_ref()
        .and_then(|l| l.iter().copied().max())
        .unwrap_or(0);
    ConfusionMatrix::from_predictions(y_true, y_pred, Some(max_data.max(max_lab) + 1))?
        .classification_report(options)
}
