//! Late fusion: a weighted average of per-modality posteriors, the weight learned on
//! validation data.
//!
//! `p = w · p_acoustic + (1 − w) · p_text`, with `w` chosen on a grid of step 0.05 in
//! `[0, 1]` to minimise the validation negative log-likelihood (ties: the larger acoustic
//! weight). Without a transcript, `p = p_acoustic`.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};
use ser_metrics::argmax;

/// A learned late-fusion weight.
///
/// ```
/// use ser_fusion::LateFusion;
/// // Acoustic posteriors are right, text posteriors are uninformative.
/// let pa = vec![vec![0.8, 0.2], vec![0.3, 0.7]];
/// let pt = vec![vec![0.5, 0.5], vec![0.5, 0.5]];
/// let late = LateFusion::fit(&pa, &pt, &[0, 1])?;
/// assert_eq!(late.acoustic_weight, 1.0);
/// assert_eq!(late.combine(&pa[0], None), pa[0]);
/// # Ok::<(), ser_fusion::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LateFusion {
    /// Weight `w` of the acoustic posterior, in `[0, 1]`.
    pub acoustic_weight: f64,
    /// Validation NLL at `w`.
    pub val_nll: f64,
}

fn check(pa: &[Vec<f32>], pt: &[Vec<f32>], y: &[usize]) -> Result<()> {
    if pa.len() != pt.len() || pa.len() != y.len() {
        return Err(Error::ShapeMismatch {
            what: "late fusion rows".into(),
            expected: pa.len(),
            got: pt.len().min(y.len()),
        });
    }
    if pa.is_empty() {
        return Err(Error::InvalidArgument("no validation rows".into()));
    }
    for ((a, t), &k) in pa.iter().zip(pt).zip(y) {
        if a.len() != t.len() || k >= a.len() {
            return Err(Error::InvalidArgument(
                "class count mismatch in posteriors".into(),
            ));
        }
    }
    Ok(())
}

impl LateFusion {
    /// Fits `w` on validation posteriors `pa`, `pt` (rows of class probabilities) and
    /// labels `y`.
    pub fn fit(pa: &[Vec<f32>], pt: &[Vec<f32>], y: &[usize]) -> Result<Self> {
        check(pa, pt, y)?;
        let mut best = Self {
            acoustic_weight: 1.0,
            val_nll: f64::INFINITY,
        };
        for step in (0..=20).rev() {
            let w = step as f64 / 20.0;
            let nll = pa
                .iter()
                .zip(pt)
                .zip(y)
                .map(|((a, t), &k)| {
                    let p = w * a[k] as f64 + (1.0 - w) * t[k] as f64;
                    -(p.max(1e-12)).ln()
                })
                .sum::<f64>()
                / y.len() as f64;
            if nll < best.val_nll - 1e-12 {
                best = Self {
                    acoustic_weight: w,
                    val_nll: nll,
                };
            }
        }
        Ok(best)
    }

    /// Fused posterior of one utterance; `pt = None` (no transcript) returns `pa`.
    pub fn combine(&self, pa: &[f32], pt: Option<&[f32]>) -> Vec<f32> {
        match pt {
            Some(pt) if pt.len() == pa.len() => {
                let w = self.acoustic_weight as f32;
                pa.iter()
                    .zip(pt)
                    .map(|(a, t)| w * a + (1.0 - w) * t)
                    .collect()
            }
            _ => pa.to_vec(),
        }
    }

    /// Fused predicted classes for many utterances.
    pub fn predict(&self, pa: &[Vec<f32>], pt: &[Option<Vec<f32>>]) -> Vec<usize> {
        pa.iter()
            .zip(pt)
            .map(|(a, t)| argmax(&self.combine(a, t.as_deref())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_informative_modality() {
        let pa = vec![vec![0.5, 0.5]; 4];
        let pt = vec![
            vec![0.9, 0.1],
            vec![0.1, 0.9],
            vec![0.9, 0.1],
            vec![0.1, 0.9],
        ];
        let l = LateFusion::fit(&pa, &pt, &[0, 1, 0, 1]).expect("fit");
        assert_eq!(l.acoustic_weight, 0.0);
        assert_eq!(
            l.predict(&pa, &pt.iter().cloned().map(Some).collect::<Vec<_>>()),
            [0, 1, 0, 1]
        );
    }

    #[test]
    fn mixes_when_both_help() {
        let pa = vec![vec![0.6, 0.4], vec![0.6, 0.4]];
        let pt = vec![vec![0.6, 0.4], vec![0.4, 0.6]];
        let l = LateFusion::fit(&pa, &pt, &[0, 1]).expect("fit");
        assert!(l.acoustic_weight < 1.0);
        let c = l.combine(&pa[0], Some(&pt[0]));
        assert!((c.iter().sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn bad_shapes() {
        assert!(LateFusion::fit(&[], &[], &[]).is_err());
        assert!(LateFusion::fit(&[vec![1.0]], &[vec![1.0, 0.0]], &[0]).is_err());
        assert!(LateFusion::fit(&[vec![1.0, 0.0]], &[vec![1.0, 0.0]], &[2]).is_err());
    }
}
