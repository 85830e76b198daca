//! DCT-II with orthonormal scaling (`scipy.fftpack.dct(x, type=2, norm="ortho")`, as used by
//! `librosa.feature.mfcc`).

use crate::error::{invalid, Error, Result};
use ndarray::{Array2, ArrayView2};
use std::f64::consts::PI;

/// A DCT-II plan of size `n` (`norm="ortho"`): `X[k] = s_k Σ x[i] cos(πk(2i+1)/(2n))` with
/// `s_0 = √(1/n)`, `s_k = √(2/n)`. The basis is precomputed in `f64` and stored as `f32`;
/// evaluation is a dense matrix–vector product (n is a few dozen to a few hundred bands).
///
/// ```
/// use ser_dsp::Dct2;
/// let dct = Dct2::new(4).unwrap();
/// let mut out = [0.0f32; 4];
/// dct.process(&[1.0, 1.0, 1.0, 1.0], &mut out).unwrap();
/// assert!((out[0] - 2.0).abs() < 1e-6 && out[1..].iter().all(|v| v.abs() < 1e-6));
/// ```
#[derive(Debug, Clone)]
pub struct Dct2 {
    n: usize,
    /// Row-major `(n, n)`: row `k` is basis vector `k`.
    basis: Vec<f32>,
}

impl Dct2 {
    /// Builds the plan; errors if `n == 0`.
    pub fn new(n: usize) -> Result<Dct2> {
        if n == 0 {
            return Err(invalid("n", "DCT size must be > 0"));
        }
        let nf = n as f64;
        let mut basis = Vec::with_capacity(n * n);
        for k in 0..n {
            let s = if k == 0 {
                (1.0 / nf).sqrt()
            } else {
                (2.0 / nf).sqrt()
            };
            for i in 0..n {
                basis.push((s * (PI * k as f64 * (2 * i + 1) as f64 / (2.0 * nf)).cos()) as f32);
            }
        }
        Ok(Dct2 { n, basis })
    }

    /// Transform size.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always `false` (size 0 is rejected by [`Dct2::new`]).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Writes the first `out.len()` coefficients of the DCT of `input`.
    /// Errors if `input.len() != n` or `out.len() > n`.
    pub fn process(&self, input: &[f32], out: &mut [f32]) -> Result<()> {
        if input.len() != self.n {
            return Err(Error::ShapeMismatch {
                what: "dct input length",
                expected: self.n.to_string(),
                got: input.len().to_string(),
            });
        }
        if out.len() > self.n {
            return Err(Error::ShapeMismatch {
                what: "dct output length",
                expected: format!("<= {}", self.n),
                got: out.len().to_string(),
            });
        }
        for (k, o) in out.iter_mut().enumerate() {
            let row = &self.basis[k * self.n..(k + 1) * self.n];
            *o = row.iter().zip(input).map(|(a, b)| a * b).sum();
        }
        Ok(())
    }

    /// The first `n_out` basis rows as an `(n_out, n)` matrix (for batched products).
    pub fn basis(&self, n_out: usize) -> Result<Array2<f32>> {
        if n_out > self.n {
            return Err(invalid("n_out", format!("must be <= {}", self.n)));
        }
        Array2::from_shape_vec((n_out, self.n), self.basis[..n_out * self.n].to_vec()).map_err(
            |e| Error::ShapeMismatch {
                what: "dct basis",
                expected: format!("({n_out}, {})", self.n),
                got: e.to_string(),
            },
        )
    }
}

/// Orthonormal DCT-II along axis 0 keeping `n_out` coefficients: `(n_in, T) → (n_out, T)`
/// (`scipy.fftpack.dct(x, type=2, axis=0, norm="ortho")[:n_out]`).
///
/// ```
/// let x = ndarray::Array2::<f32>::ones((8, 3));
/// let y = ser_dsp::dct2_ortho(x.view(), 4).unwrap();
/// assert_eq!(y.dim(), (4, 3));
/// assert!((y[[0, 0]] - 8f32.sqrt()).abs() < 1e-5);
/// ```
pub fn dct2_ortho(x: ArrayView2<'_, f32>, n_out: usize) -> Result<Array2<f32>> {
    let dct = Dct2::new(x.nrows())?;
    Ok(dct.basis(n_out)?.dot(&x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthonormal_basis() {
        let d = Dct2::new(13).expect("dct");
        let b = d.basis(13).expect("basis");
        let g = b.dot(&b.t());
        for i in 0..13 {
            for j in 0..13 {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((g[[i, j]] - e).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn errors() {
        assert!(Dct2::new(0).is_err());
        let d = Dct2::new(4).expect("dct");
        assert!(d.process(&[1.0; 3], &mut [0.0; 2]).is_err());
        assert!(d.process(&[1.0; 4], &mut [0.0; 5]).is_err());
        assert!(d.basis(5).is_err());
    }
}
