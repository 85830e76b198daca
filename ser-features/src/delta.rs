//! Delta features (`librosa.feature.delta`, Savitzky–Golay derivative, `mode='interp'`).
//!
//! `delta(data, width, order)` equals
//! `librosa.feature.delta(data, width=width, order=order, axis=-1, mode='interp')`, i.e.
//! `scipy.signal.savgol_filter(data, width, deriv=order, polyorder=order, mode='interp')`:
//! each output frame is the `order`-th derivative of the least-squares polynomial of degree
//! `order` fitted to the `width` frames around it. With `mode='interp'` the first and last
//! `width / 2` frames use the fit of the first / last full window; because the `order`-th
//! derivative of a degree-`order` polynomial is constant, they equal the value of the nearest
//! full window (frame `width / 2`, resp. `n_frames - 1 - width / 2`). Arithmetic is `f64`.
//!
//! ```
//! use ndarray::Array2;
//! use ser_features::delta::delta;
//! // A linear ramp 0, 2, 4, ... has a first derivative of 2 everywhere (edges included).
//! let ramp = Array2::from_shape_fn((1, 20), |(_, t)| 2.0 * t as f32);
//! let d = delta(ramp.view(), 9, 1).unwrap();
//! assert!(d.iter().all(|v| (v - 2.0).abs() < 1e-5));
//! ```

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};

/// Validates `(width, order)` like librosa/scipy: `width` odd and `>= 3`, `1 <= order < width`.
pub(crate) fn check_delta_params(width: usize, order: usize) -> Result<()> {
    if width < 3 || width % 2 != 1 {
        return Err(Error::InvalidParameter {
            name: "width",
            reason: format!("must be an odd integer >= 3, got {width}"),
        });
    }
    if order == 0 || order >= width {
        return Err(Error::InvalidParameter {
            name: "order",
            reason: format!("must satisfy 1 <= order < width ({width}), got {order}"),
        });
    }
    Ok(())
}

/// Savitzky–Golay weights `w[j]`, `j = 0..width`, such that
/// `d^order/dt^order x(t) ≈ Σ_j w[j] · x[t + j - width/2]` (least-squares polynomial of degree
/// `order`, unit frame spacing).
///
/// For `width = 9, order = 1` this is `[-4, -3, ..., 4] / 60`.
///
/// # Errors
/// [`Error::InvalidParameter`] for an even/too small `width` or `order` outside `1..width`.
pub fn savgol_derivative_weights(width: usize, order: usize) -> Result<Vec<f64>> {
    check_delta_params(width, order)?;
    let h = (width / 2) as f64;
    let p = order + 1;
    // Normal equations G a = A^T x with G = A^T A, A[j][i] = pos_j^i. The weights for the
    // leading coefficient a_order are row `order` of G^{-1} A^T.
    let pos: Vec<f64> = (0..width).map(|j| j as f64 - h).collect();
    let mut g = vec![vec![0.0_f64; p]; p];
    for (r, row) in g.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = pos.iter().map(|&x| x.powi((r + c) as i32)).sum();
        }
    }
    // Solve G z = e_order (G is symmetric, so z = row `order` of G^{-1}).
    let mut rhs = vec![0.0_f64; p];
    rhs[order] = 1.0;
    let z = solve(g, rhs).ok_or_else(|| Error::InvalidParameter {
        name: "width",
        reason: "singular Savitzky-Golay system".into(),
    })?;
    let factorial: f64 = (1..=order).map(|k| k as f64).product();
    Ok(pos
        .iter()
        .map(|&x| factorial * (0..p).map(|i| z[i] * x.powi(i as i32)).sum::<f64>())
        .collect())
}

/// Gaussian elimination with partial pivoting (tiny systems only).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let pivot_row = a[col].clone();
        for r in col + 1..n {
            let f = a[r][col] / pivot_row[col];
            for (x, p) in a[r].iter_mut().zip(&pivot_row).skip(col) {
                *x -= f * p;
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

/// Delta features along the frame axis: `(n_features, n_frames) -> (n_features, n_frames)`.
///
/// Equals `librosa.feature.delta(data, width=width, order=order)` (`mode='interp'`); librosa's
/// defaults are `width = 9`, `order = 1`.
///
/// # Errors
/// [`Error::InvalidParameter`] for bad `width`/`order`; [`Error::TooShort`] when
/// `n_frames < width` (librosa raises the same error for `mode='interp'`).
pub fn delta(data: ArrayView2<'_, f32>, width: usize, order: usize) -> Result<Array2<f32>> {
    let mut out = Array2::zeros(data.dim());
    delta_into(data, width, order, &mut out)?;
    Ok(out)
}

/// Like [`delta`], writing into `out` (same shape as `data`).
pub fn delta_into(
    data: ArrayView2<'_, f32>,
    width: usize,
    order: usize,
    out: &mut Array2<f32>,
) -> Result<()> {
    let w = savgol_derivative_weights(width, order)?;
    if out.dim() != data.dim() {
        return Err(Error::ShapeMismatch {
            what: "delta output",
            expected: vec![data.nrows(), data.ncols()],
            got: vec![out.nrows(), out.ncols()],
        });
    }
    let n = data.ncols();
    if n < width {
        return Err(Error::TooShort {
            what: "delta (mode='interp'): frames",
            expected: width,
            got: n,
        });
    }
    let h = width / 2;
    let mut row_buf = Vec::with_capacity(n);
    for (src, mut dst) in data.rows().into_iter().zip(out.rows_mut()) {
        row_buf.clear();
        row_buf.extend(src.iter().copied());
        for (t, o) in dst.iter_mut().enumerate() {
            *o = delta_at(&row_buf, &w, t.clamp(h, n - 1 - h));
        }
    }
    Ok(())
}

/// Weighted sum of the window centred at `c` (which must have a full window).
#[inline]
pub(crate) fn delta_at(x: &[f32], w: &[f64], c: usize) -> f32 {
    let h = w.len() / 2;
    x[c - h..=c + h]
        .iter()
        .zip(w)
        .map(|(&v, &wj)| f64::from(v) * wj)
        .sum::<f64>() as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    #[test]
    fn weights_match_closed_forms() {
        let w = savgol_derivative_weights(9, 1).expect("valid");
        for (j, v) in w.iter().enumerate() {
            assert_abs_diff_eq!(*v, (j as f64 - 4.0) / 60.0, epsilon = 1e-12);
        }
        // Second derivative of the quadratic fit: 2 (k^2 - 20/3) / 308.
        let w2 = savgol_derivative_weights(9, 2).expect("valid");
        for (j, v) in w2.iter().enumerate() {
            let k = j as f64 - 4.0;
            assert_abs_diff_eq!(*v, 2.0 * (k * k - 20.0 / 3.0) / 308.0, epsilon = 1e-12);
        }
    }

    #[test]
    fn parameter_validation() {
        let x = Array2::<f32>::zeros((2, 20));
        assert!(delta(x.view(), 8, 1).is_err());
        assert!(delta(x.view(), 1, 1).is_err());
        assert!(delta(x.view(), 9, 0).is_err());
        assert!(delta(x.view(), 3, 3).is_err());
        assert!(matches!(
            delta(Array2::<f32>::zeros((2, 8)).view(), 9, 1),
            Err(Error::TooShort { .. })
        ));
    }

    #[test]
    fn quadratic_has_constant_second_derivative() {
        let x = Array2::from_shape_fn((1, 30), |(_, t)| 0.5 * (t as f32).powi(2) - 3.0);
        let d2 = delta(x.view(), 9, 2).expect("valid");
        assert!(d2.iter().all(|v| (v - 1.0).abs() < 1e-4), "{d2:?}");
        let d1 = delta(x.view(), 5, 1).expect("valid");
        // interior: derivative t; edges replicate the nearest full window
        assert_abs_diff_eq!(d1[[0, 10]], 10.0, epsilon = 1e-4);
        assert_abs_diff_eq!(d1[[0, 0]], d1[[0, 2]], epsilon = 1e-6);
        assert_abs_diff_eq!(d1[[0, 29]], d1[[0, 27]], epsilon = 1e-6);
    }

    proptest! {
        #[test]
        fn delta_of_linear_ramp_is_its_slope(
            a in -50.0_f32..50.0, b in -100.0_f32..100.0,
            n in 9_usize..80, half in 1_usize..5,
        ) {
            let width = 2 * half + 1;
            prop_assume!(n >= width);
            let x = Array2::from_shape_fn((2, n), |(r, t)| a * t as f32 + b * r as f32);
            let d = delta(x.view(), width, 1).expect("valid");
            for v in d.iter() {
                prop_assert!((v - a).abs() <= 1e-3 * (1.0 + a.abs()));
            }
            if width > 3 {
                let d2 = delta(x.view(), width, 2).expect("valid");
                for v in d2.iter() {
                    prop_assert!(v.abs() <= 1e-3 * (1.0 + a.abs() + b.abs()));
                }
            }
        }
    }
}
