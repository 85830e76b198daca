//! Mixup (Zhang et al., 2018): convex combination of two examples and their
//! label vectors with `λ ~ Beta(α, α)`.

use ndarray::{Array2, ArrayView2};
use rand::RngCore;
use rand_distr::{Beta, Distribution};

use crate::error::{Error, Result};

/// A mixed example.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixed<T> {
    /// `λ·a + (1-λ)·b`.
    pub input: T,
    /// `λ·label_a + (1-λ)·label_b`.
    pub labels: Vec<f32>,
    /// The drawn `λ`.
    pub lambda: f32,
}

/// Mixup with `λ ~ Beta(α, α)`.
///
/// Default `α = 0.2` (the paper used 0.1–0.4 on ImageNet / speech).
///
/// ```
/// use ser_augment::{rng_from_seed, Mixup};
/// let m = Mixup::new(0.4);
/// let out = m.mix(&[1.0, 1.0], &[1.0, 0.0], &[0.0, 0.0], &[0.0, 1.0], &mut rng_from_seed(2)).unwrap();
/// assert!((out.input[0] - out.lambda).abs() < 1e-6);
/// assert!((out.labels[0] + out.labels[1] - 1.0).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Mixup {
    /// `α > 0` of the Beta distribution. Default: 0.2.
    pub alpha: f32,
}

impl Default for Mixup {
    fn default() -> Self {
        Self { alpha: 0.2 }
    }
}

fn check(name: &'static str, x: &[f32]) -> Result<()> {
    if x.is_empty() {
        return Err(Error::EmptyInput { what: name });
    }
    if let Some(index) = x.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite { what: name, index });
    }
    Ok(())
}

fn lerp(a: &[f32], b: &[f32], lambda: f64) -> Vec<f32> {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (lambda * f64::from(x) + (1.0 - lambda) * f64::from(y)) as f32)
        .collect()
}

impl Mixup {
    /// Mixup with the given `α`.
    pub fn new(alpha: f32) -> Self {
        Self { alpha }
    }

    /// Draws `λ ~ Beta(α, α)`.
    pub fn sample_lambda(&self, rng: &mut dyn RngCore) -> Result<f32> {
        let beta = Beta::new(f64::from(self.alpha), f64::from(self.alpha)).map_err(|_| {
            Error::InvalidParameter {
                name: "alpha",
                value: self.alpha.to_string(),
                expected: "alpha > 0 and finite",
            }
        })?;
        let l: f64 = beta.sample(&mut *rng);
        Ok(if l.is_finite() {
            l.clamp(0.0, 1.0) as f32
        } else {
            0.5
        })
    }

    /// Mixes two equal-length waveforms (or flattened features) and their
    /// equal-length label vectors.
    pub fn mix(
        &self,
        a: &[f32],
        labels_a: &[f32],
        b: &[f32],
        labels_b: &[f32],
        rng: &mut dyn RngCore,
    ) -> Result<Mixed<Vec<f32>>> {
        for (n, x) in [
            ("a", a),
            ("labels_a", labels_a),
            ("b", b),
            ("labels_b", labels_b),
        ] {
            check(n, x)?;
        }
        if a.len() != b.len() {
            return Err(Error::ShapeMismatch {
                expected: vec![a.len()],
                got: vec![b.len()],
            });
        }
        if labels_a.len() != labels_b.len() {
            return Err(Error::ShapeMismatch {
                expected: vec![labels_a.len()],
                got: vec![labels_b.len()],
            });
        }
        let lambda = self.sample_lambda(rng)?;
        let l = f64::from(lambda);
        Ok(Mixed {
            input: lerp(a, b, l),
            labels: lerp(labels_a, labels_b, l),
            lambda,
        })
    }

    /// Mixes two feature matrices of equal shape (`(n_features, n_frames)`).
    pub fn mix_features(
        &self,
        a: ArrayView2<'_, f32>,
        labels_a: &[f32],
        b: ArrayView2<'_, f32>,
        labels_b: &[f32],
        rng: &mut dyn RngCore,
    ) -> Result<Mixed<Array2<f32>>> {
        if a.dim() != b.dim() {
            return Err(Error::ShapeMismatch {
                expected: vec![a.nrows(), a.ncols()],
                got: vec![b.nrows(), b.ncols()],
            });
        }
        let av: Vec<f32> = a.iter().copied().collect();
        let bv: Vec<f32> = b.iter().copied().collect();
        let m = self.mix(&av, labels_a, &bv, labels_b, rng)?;
        let input = Array2::from_shape_vec(a.dim(), m.input).map_err(|_| Error::ShapeMismatch {
            expected: vec![a.nrows(), a.ncols()],
            got: vec![av.len()],
        })?;
        Ok(Mixed {
            input,
            labels: m.labels,
            lambda: m.lambda,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transform::rng_from_seed;

    #[test]
    fn lambda_moments_match_beta() {
        let m = Mixup::new(0.4);
        let mut r = rng_from_seed(1);
        let n = 20000;
        let xs: Vec<f64> = (0..n)
            .map(|_| f64::from(m.sample_lambda(&mut r).unwrap()))
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)).
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        assert!((var - 1.0 / (4.0 * 1.8)).abs() < 0.005, "{var}");
    }

    #[test]
    fn shapes_are_checked() {
        let m = Mixup::default();
        let mut r = rng_from_seed(0);
        assert!(m.mix(&[1.0], &[1.0], &[1.0, 2.0], &[0.0], &mut r).is_err());
        assert!(m.mix(&[1.0], &[1.0], &[1.0], &[0.0, 1.0], &mut r).is_err());
        assert!(Mixup::new(0.0)
            .mix(&[1.0], &[1.0], &[1.0], &[0.0], &mut r)
            .is_err());
        let a = Array2::<f32>::ones((2, 3));
        let b = Array2::<f32>::zeros((2, 3));
        let out = m
            .mix_features(a.view(), &[1.0], b.view(), &[0.0], &mut r)
            .unwrap();
        assert!((out.input[[1, 2]] - out.labels[0]).abs() < 1e-6);
    }
}
