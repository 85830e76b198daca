//! Framing and centre padding (`librosa.util.frame`, `stft(center=True)`).

use crate::error::{invalid, Error, Result};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// How the signal is extended when `center = true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PadMode {
    /// Zeros (`pad_mode="constant"`, librosa's default for `stft` since 0.10).
    #[default]
    Constant,
    /// Mirror without repeating the edge sample (`numpy.pad(mode="reflect")`).
    Reflect,
}

/// Maps a (possibly out-of-range) index onto `0..n` by numpy `reflect` padding
/// (repeated reflection for pads longer than the signal). `n` must be `> 0`.
#[inline]
pub(crate) fn reflect_index(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as isize - 1);
    let m = i.rem_euclid(period);
    if m >= n as isize {
        (period - m) as usize
    } else {
        m as usize
    }
}

/// Value of the virtually padded signal at index `j` (relative to the unpadded signal).
#[inline]
pub(crate) fn padded_sample(x: &[f32], j: isize, pad_mode: PadMode) -> f32 {
    if j >= 0 && (j as usize) < x.len() {
        x[j as usize]
    } else {
        match pad_mode {
            PadMode::Constant => 0.0,
            PadMode::Reflect => {
                if x.is_empty() {
                    0.0
                } else {
                    x[reflect_index(j, x.len())]
                }
            }
        }
    }
}

/// Pads `x` with `n_fft / 2` samples on each side, as `librosa.stft(center=True)` does.
///
/// Reflect padding of an empty signal yields zeros.
///
/// ```
/// use ser_dsp::{pad_center_signal, PadMode};
/// assert_eq!(pad_center_signal(&[1.0, 2.0, 3.0], 4, PadMode::Reflect), vec![3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]);
/// assert_eq!(pad_center_signal(&[1.0], 2, PadMode::Constant), vec![0.0, 1.0, 0.0]);
/// ```
pub fn pad_center_signal(x: &[f32], n_fft: usize, pad_mode: PadMode) -> Vec<f32> {
    let pad = (n_fft / 2) as isize;
    (-pad..x.len() as isize + pad)
        .map(|j| padded_sample(x, j, pad_mode))
        .collect()
}

/// Number of frames produced for `n_samples` samples.
///
/// With `center = true` the signal is first padded by `frame_length / 2` on both sides
/// (for even `frame_length` this is `1 + n_samples / hop_length`); without centring it is
/// `1 + (n_samples - frame_length) / hop_length`, or 0 when the signal is shorter than a frame.
/// Returns 0 when `hop_length == 0`.
///
/// ```
/// assert_eq!(ser_dsp::n_frames(16000, 512, 160, true), 101);
/// assert_eq!(ser_dsp::n_frames(16000, 512, 160, false), 97);
/// ```
pub fn n_frames(n_samples: usize, frame_length: usize, hop_length: usize, center: bool) -> usize {
    if hop_length == 0 {
        return 0;
    }
    let len = if center {
        n_samples + 2 * (frame_length / 2)
    } else {
        n_samples
    };
    if len < frame_length {
        0
    } else {
        1 + (len - frame_length) / hop_length
    }
}

/// Slices `x` into overlapping frames without padding, like `librosa.util.frame(x,
/// frame_length=..., hop_length=..., axis=-1)`.
///
/// Output shape `(frame_length, n_frames)` with `n_frames = 1 + (len - frame_length) / hop_length`.
/// Errors if `frame_length` or `hop_length` is 0 or `x` is shorter than one frame.
///
/// ```
/// let f = ser_dsp::frame(&[0.0, 1.0, 2.0, 3.0, 4.0], 3, 2).unwrap();
/// assert_eq!(f.shape(), &[3, 2]);
/// assert_eq!(f[[0, 1]], 2.0);
/// ```
pub fn frame(x: &[f32], frame_length: usize, hop_length: usize) -> Result<Array2<f32>> {
    if frame_length == 0 {
        return Err(invalid("frame_length", "must be > 0"));
    }
    if hop_length == 0 {
        return Err(invalid("hop_length", "must be > 0"));
    }
    if x.len() < frame_length {
        return Err(Error::TooShort {
            what: "frame",
            expected: frame_length,
            got: x.len(),
        });
    }
    let n = n_frames(x.len(), frame_length, hop_length, false);
    Ok(Array2::from_shape_fn((frame_length, n), |(k, t)| {
        x[t * hop_length + k]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_matches_numpy() {
        // np.pad([1,2,3], 5, mode="reflect") = [2,1,2,3,2,1, 2,3, 2,1,2,3,2]
        let x = [1.0, 2.0, 3.0];
        let got: Vec<f32> = (-5..8)
            .map(|j| padded_sample(&x, j, PadMode::Reflect))
            .collect();
        assert_eq!(
            got,
            vec![2.0, 1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0, 2.0]
        );
    }

    #[test]
    fn n_frames_matches_librosa() {
        // librosa.stft(np.zeros(1000), n_fft=400, hop_length=160).shape[1] == 7
        assert_eq!(n_frames(1000, 400, 160, true), 7);
        assert_eq!(n_frames(1000, 400, 160, false), 4);
        assert_eq!(n_frames(10, 400, 160, false), 0);
        assert_eq!(n_frames(0, 512, 128, true), 1);
        assert_eq!(n_frames(5, 5, 0, true), 0);
    }

    #[test]
    fn frame_errors() {
        assert!(frame(&[1.0; 3], 4, 1).is_err());
        assert!(frame(&[1.0; 3], 0, 1).is_err());
        assert!(frame(&[1.0; 3], 2, 0).is_err());
    }
}
