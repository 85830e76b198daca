//! Eight-lane reductions over `f32` slices: independent partial sums that the compiler
//! vectorises, in a fixed order (deterministic results; not latency-bound like a sequential
//! `iter().sum()`), and [`wide`] (from `ser_dsp::lanes`), which runs a hot loop compiled for
//! AVX2 when the CPU has it.

pub(crate) use ser_dsp::lanes::wide;

/// `Σ a[i] b[i]` over the common length.
#[inline]
pub(crate) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let mut acc = [0.0_f32; 8];
    let (ca, cb) = (a[..n].chunks_exact(8), b[..n].chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// `Σ a[i] b[i]` over the common length in double precision, four partial sums combined as
/// `(s0 + s1) + (s2 + s3)`, then the tail.
#[inline]
pub(crate) fn dot_f64(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let mut acc = [0.0_f64; 4];
    let (ca, cb) = (a[..n].chunks_exact(4), b[..n].chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `Σ a[i]`.
#[inline]
pub(crate) fn sum_f32(a: &[f32]) -> f32 {
    let mut acc = [0.0_f32; 8];
    let ca = a.chunks_exact(8);
    let ra = ca.remainder();
    for x in ca {
        for i in 0..8 {
            acc[i] += x[i];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for x in ra {
        s += x;
    }
    s
}

/// `max(init, max_i a[i])` (NaN elements are skipped, as `f32::max` does).
#[inline]
pub(crate) fn max_f32(a: &[f32], init: f32) -> f32 {
    let mut acc = [init; 8];
    let ca = a.chunks_exact(8);
    let ra = ca.remainder();
    for x in ca {
        for i in 0..8 {
            acc[i] = acc[i].max(x[i]);
        }
    }
    acc.iter().chain(ra).fold(init, |m, &v| m.max(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_match_sequential_ones() {
        for n in [0usize, 1, 7, 8, 9, 31, 64, 257] {
            let a: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0)
                .collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 11 % 13) as f32) / 3.0).collect();
            let d: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!(
                (dot_f32(&a, &b) - d).abs() <= 1e-4 * (1.0 + d.abs()),
                "n {n}"
            );
            let s: f32 = a.iter().sum();
            assert!((sum_f32(&a) - s).abs() <= 1e-4 * (1.0 + s.abs()), "n {n}");
            let m = a.iter().cloned().fold(-5.0f32, f32::max);
            assert_eq!(max_f32(&a, -5.0), m, "n {n}");
        }
        assert_eq!(max_f32(&[f32::NAN, 1.0], 0.0), 1.0);
        assert_eq!(dot_f32(&[1.0, 2.0, 3.0], &[1.0]), 1.0);
    }
}
