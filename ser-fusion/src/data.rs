//! Multimodal data sets and per-modality standardisation.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Utterance-level inputs of two modalities: an acoustic vector for every utterance and an
/// optional text vector (`None` = no transcript).
#[derive(Debug, Clone, PartialEq)]
pub struct Multimodal {
    /// Acoustic vectors, all of length `acoustic_dim`.
    pub acoustic: Vec<Vec<f32>>,
    /// Text vectors (all of length `text_dim`) or `None` when the transcript is missing.
    pub text: Vec<Option<Vec<f32>>>,
}

impl Multimodal {
    /// Checks that both modalities have the same number of rows, consistent dimensions
    /// and finite values.
    ///
    /// ```
    /// use ser_fusion::Multimodal;
    /// let acoustic = vec![vec![0.1, 0.2], vec![0.3, 0.4]];
    /// let data = Multimodal::new(acoustic, vec![Some(vec![1.0; 3]), None])?; // 2nd: no transcript
    /// assert_eq!((data.len(), data.acoustic_dim(), data.text_dim()), (2, 2, 3));
    /// // Both modalities need one row per utterance.
    /// assert!(Multimodal::new(vec![vec![0.1], vec![0.2]], vec![None]).is_err());
    /// # Ok::<(), ser_fusion::Error>(())
    /// ```
    pub fn new(acoustic: Vec<Vec<f32>>, text: Vec<Option<Vec<f32>>>) -> Result<Self> {
        if acoustic.len() != text.len() {
            return Err(Error::ShapeMismatch {
                what: "text rows".into(),
                expected: acoustic.len(),
                got: text.len(),
            });
        }
        let da = acoustic.first().map_or(0, Vec::len);
        if acoustic.is_empty() || da == 0 {
            return Err(Error::InvalidArgument("no acoustic data".into()));
        }
        let dt = text.iter().flatten().map(Vec::len).next().unwrap_or(0);
        for (i, a) in acoustic.iter().enumerate() {
            if a.len() != da {
                return Err(Error::ShapeMismatch {
                    what: format!("acoustic row {i}"),
                    expected: da,
                    got: a.len(),
                });
            }
            if a.iter().any(|v| !v.is_finite()) {
                return Err(Error::NonFinite(format!("acoustic row {i}")));
            }
        }
        for (i, t) in text.iter().enumerate() {
            if let Some(t) = t {
                if t.len() != dt || dt == 0 {
                    return Err(Error::ShapeMismatch {
                        what: format!("text row {i}"),
                        expected: dt,
                        got: t.len(),
                    });
                }
                if t.iter().any(|v| !v.is_finite()) {
                    return Err(Error::NonFinite(format!("text row {i}")));
                }
            }
        }
        Ok(Self { acoustic, text })
    }

    /// Number of utterances.
    pub fn len(&self) -> usize {
        self.acoustic.len()
    }

    /// `true` when there is no utterance (never for a value built by [`Multimodal::new`]).
    pub fn is_empty(&self) -> bool {
        self.acoustic.is_empty()
    }

    /// Acoustic dimension.
    pub fn acoustic_dim(&self) -> usize {
        self.acoustic.first().map_or(0, Vec::len)
    }

    /// Text dimension (0 when no row has a transcript).
    pub fn text_dim(&self) -> usize {
        self.text.iter().flatten().map(Vec::len).next().unwrap_or(0)
    }

    /// The rows at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Self {
        Self {
            acoustic: idx.iter().map(|&i| self.acoustic[i].clone()).collect(),
            text: idx.iter().map(|&i| self.text[i].clone()).collect(),
        }
    }

    /// The same rows with every transcript removed.
    pub fn without_text(&self) -> Self {
        Self {
            acoustic: self.acoustic.clone(),
            text: vec![None; self.len()],
        }
    }
}

/// Per-feature standardisation `(x - mean) / std`, fit on training rows only
/// (population std, floored at 1e-5 like `ser_models::fit_standardizer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Per-feature mean.
    pub mean: Vec<f32>,
    /// Per-feature `1 / std`.
    pub inv_std: Vec<f32>,
}

impl Standardizer {
    /// Fits on `rows` (all of equal length); errors on no rows.
    pub fn fit<'a>(rows: impl IntoIterator<Item = &'a [f32]>) -> Result<Self> {
        let mut sum: Vec<f64> = Vec::new();
        let mut sq: Vec<f64> = Vec::new();
        let mut n = 0f64;
        for r in rows {
            if sum.is_empty() {
                sum = vec![0.0; r.len()];
                sq = vec![0.0; r.len()];
            }
            if r.len() != sum.len() {
                return Err(Error::ShapeMismatch {
                    what: "standardizer row".into(),
                    expected: sum.len(),
                    got: r.len(),
                });
            }
            for (j, &v) in r.iter().enumerate() {
                sum[j] += v as f64;
                sq[j] += v as f64 * v as f64;
            }
            n += 1.0;
        }
        if n == 0.0 || sum.is_empty() {
            return Err(Error::InvalidArgument(
                "no rows to fit a standardizer".into(),
            ));
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let inv_std = sq
            .iter()
            .zip(&mean)
            .map(|(q, m)| (1.0 / (q / n - m * m).max(0.0).sqrt().max(1e-5)) as f32)
            .collect();
        Ok(Self {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            inv_std,
        })
    }

    /// Standardises one row.
    pub fn transform(&self, row: &[f32]) -> Vec<f32> {
        row.iter()
            .zip(self.mean.iter().zip(&self.inv_std))
            .map(|(v, (m, s))| (v - m) * s)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardizer_zero_mean_unit_std() {
        let rows = [vec![1.0f32, 10.0], vec![3.0, 10.0], vec![5.0, 10.0]];
        let s = Standardizer::fit(rows.iter().map(|r| r.as_slice())).expect("fit");
        let t: Vec<Vec<f32>> = rows.iter().map(|r| s.transform(r)).collect();
        let m: f32 = t.iter().map(|r| r[0]).sum::<f32>() / 3.0;
        let v: f32 = t.iter().map(|r| r[0] * r[0]).sum::<f32>() / 3.0;
        assert!(m.abs() < 1e-6 && (v - 1.0).abs() < 1e-5);
        assert!(t.iter().all(|r| r[1] == 0.0)); // constant feature → 0, no NaN
    }

    #[test]
    fn multimodal_validation() {
        assert!(Multimodal::new(vec![vec![1.0]], vec![]).is_err());
        assert!(Multimodal::new(vec![vec![1.0], vec![1.0, 2.0]], vec![None, None]).is_err());
        assert!(Multimodal::new(vec![vec![f32::NAN]], vec![None]).is_err());
        assert!(Multimodal::new(
            vec![vec![1.0], vec![2.0]],
            vec![Some(vec![1.0]), Some(vec![])]
        )
        .is_err());
        let m = Multimodal::new(vec![vec![1.0], vec![2.0]], vec![Some(vec![1.0, 0.0]), None])
            .expect("ok");
        assert_eq!((m.acoustic_dim(), m.text_dim(), m.len()), (1, 2, 2));
        assert!(m.without_text().text.iter().all(Option::is_none));
    }
}
