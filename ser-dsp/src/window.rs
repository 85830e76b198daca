//! Analysis windows (`scipy.signal.get_window` / librosa conventions).

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Window functions. Values are computed in `f64` and rounded to `f32`.
///
/// "Periodic" windows (`fftbins=True` in scipy, the librosa default for spectral analysis) are
/// the first `n` points of an `n + 1`-point symmetric window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Window {
    /// Periodic Hann, `0.5 - 0.5 cos(2πk/n)`: librosa's default `window="hann"`.
    #[default]
    Hann,
    /// Symmetric Hann, `0.5 - 0.5 cos(2πk/(n-1))` (`scipy.signal.windows.hann(n, sym=True)`).
    HannSymmetric,
    /// Periodic Hamming, `0.54 - 0.46 cos(2πk/n)` (librosa `window="hamming"`).
    Hamming,
    /// Symmetric Hamming, `0.54 - 0.46 cos(2πk/(n-1))`.
    HammingSymmetric,
    /// Kaldi's Povey window, `(0.5 - 0.5 cos(2πk/(n-1)))^0.85`.
    Povey,
    /// All ones (`window="boxcar"`).
    Rectangular,
}

/// Returns `n` samples of `window` (empty for `n == 0`; `[1.0]` for `n == 1`).
///
/// ```
/// use ser_dsp::{get_window, Window};
/// let w = get_window(Window::Hann, 4);
/// assert_eq!(w, vec![0.0, 0.5, 1.0, 0.5]);
/// ```
pub fn get_window(window: Window, n: usize) -> Vec<f32> {
    if n == 0 {
        return Vec::new();
    }
    if n == 1 {
        return vec![1.0];
    }
    let periodic_den = n as f64;
    let sym_den = (n - 1) as f64;
    let cos_term = |k: usize, den: f64| (2.0 * PI * k as f64 / den).cos();
    (0..n)
        .map(|k| {
            let v = match window {
                Window::Hann => 0.5 - 0.5 * cos_term(k, periodic_den),
                Window::HannSymmetric => 0.5 - 0.5 * cos_term(k, sym_den),
                Window::Hamming => 0.54 - 0.46 * cos_term(k, periodic_den),
                Window::HammingSymmetric => 0.54 - 0.46 * cos_term(k, sym_den),
                Window::Povey => (0.5 - 0.5 * cos_term(k, sym_den)).max(0.0).powf(0.85),
                Window::Rectangular => 1.0,
            };
            v as f32
        })
        .collect()
}

/// `window` of length `win_length` zero-padded on both sides to `n_fft`
/// (`librosa.util.pad_center`; the left pad is `(n_fft - win_length) / 2`).
pub(crate) fn padded_window(window: Window, win_length: usize, n_fft: usize) -> Vec<f32> {
    let w = get_window(window, win_length);
    let mut out = vec![0.0f32; n_fft];
    let lpad = (n_fft - win_length) / 2;
    out[lpad..lpad + win_length].copy_from_slice(&w);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_periodic_matches_definition() {
        let w = get_window(Window::Hann, 8);
        assert!((w[0] - 0.0).abs() < 1e-7);
        assert!((w[4] - 1.0).abs() < 1e-7);
        assert!((w[2] - 0.5).abs() < 1e-7);
        // periodic: symmetric around n/2, w[k] == w[n-k]
        for k in 1..8 {
            assert!((w[k] - w[8 - k]).abs() < 1e-6);
        }
    }

    #[test]
    fn symmetric_windows_are_symmetric_and_end_at_edges() {
        for win in [
            Window::HannSymmetric,
            Window::HammingSymmetric,
            Window::Povey,
        ] {
            let w = get_window(win, 11);
            for k in 0..11 {
                assert!((w[k] - w[10 - k]).abs() < 1e-6, "{win:?}");
            }
            assert!((w[5] - 1.0).abs() < 1e-6, "{win:?} peak");
        }
        assert!((get_window(Window::HammingSymmetric, 11)[0] - 0.08).abs() < 1e-6);
        assert_eq!(get_window(Window::Povey, 11)[0], 0.0);
    }

    #[test]
    fn degenerate_lengths() {
        assert!(get_window(Window::Hann, 0).is_empty());
        assert_eq!(get_window(Window::HannSymmetric, 1), vec![1.0]);
        assert_eq!(get_window(Window::Rectangular, 3), vec![1.0; 3]);
    }

    #[test]
    fn padded_window_is_centred() {
        let w = padded_window(Window::Rectangular, 3, 8);
        assert_eq!(w, vec![0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]);
    }
}
