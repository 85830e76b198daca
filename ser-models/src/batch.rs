//! Variable-length feature sequences and padded batches with masks.

use candle_core::{Device, Tensor};

use crate::{Error, Result};

/// One utterance as a feature sequence, row-major `(n_frames, n_features)`.
///
/// Frame-level inputs (log-mel, MFCC + deltas) have one row per analysis frame; utterance
/// functionals are a sequence of one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    data: Vec<f32>,
    n_frames: usize,
    n_features: usize,
}

impl Sequence {
    /// Wraps row-major `data` of shape `(n_frames, n_features)`.
    ///
    /// Errors on an empty sequence, a length that is not `n_frames * n_features`, or a
    /// non-finite value.
    ///
    /// ```
    /// use ser_models::Sequence;
    /// let s = Sequence::new(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 3, 2)?; // 3 frames x 2 features
    /// assert_eq!((s.n_frames(), s.n_features()), (3, 2));
    /// assert_eq!(s.frame(1), &[3.0, 4.0]);
    /// assert!(Sequence::new(vec![0.0; 5], 3, 2).is_err()); // 5 values are not 3 x 2
    /// assert!(Sequence::new(vec![f32::NAN; 2], 1, 2).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(data: Vec<f32>, n_frames: usize, n_features: usize) -> Result<Self> {
        if n_frames == 0 || n_features == 0 {
            return Err(Error::InvalidArgument(format!(
                "empty sequence ({n_frames} frames x {n_features} features)"
            )));
        }
        if data.len() != n_frames * n_features {
            return Err(Error::ShapeMismatch {
                what: "sequence data".into(),
                expected: format!("{n_frames} x {n_features} = {}", n_frames * n_features),
                got: data.len().to_string(),
            });
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(Error::NonFinite("sequence".into()));
        }
        Ok(Self {
            data,
            n_frames,
            n_features,
        })
    }

    /// Builds a sequence from feature-major data `(n_features, n_frames)` (librosa layout,
    /// as returned by `ser-features`), transposing it.
    ///
    /// ```
    /// use ser_models::Sequence;
    /// // 2 features x 3 frames, one row per feature (librosa layout).
    /// let s = Sequence::from_feature_major(&[1.0, 2.0, 3.0, 10.0, 20.0, 30.0], 2, 3)?;
    /// assert_eq!((s.n_frames(), s.n_features()), (3, 2));
    /// assert_eq!(s.frame(0), &[1.0, 10.0]);
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn from_feature_major(data: &[f32], n_features: usize, n_frames: usize) -> Result<Self> {
        if data.len() != n_frames * n_features {
            return Err(Error::ShapeMismatch {
                what: "feature-major data".into(),
                expected: format!("{n_features} x {n_frames}"),
                got: data.len().to_string(),
            });
        }
        let mut out = vec![0f32; data.len()];
        for f in 0..n_features {
            for t in 0..n_frames {
                out[t * n_features + f] = data[f * n_frames + t];
            }
        }
        Self::new(out, n_frames, n_features)
    }

    /// Row-major values `(n_frames, n_features)`.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Mutable row-major values (for augmentation in place).
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Number of frames.
    pub fn n_frames(&self) -> usize {
        self.n_frames
    }

    /// Number of features per frame.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Frame `t` as a slice of `n_features` values.
    pub fn frame(&self, t: usize) -> &[f32] {
        &self.data[t * self.n_features..(t + 1) * self.n_features]
    }
}

/// A zero-padded batch: `x` is `(batch, max_frames, n_features)`, `mask` is
/// `(batch, max_frames)` with 1 on real frames and 0 on padding.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Padded features `(batch, max_frames, n_features)`.
    pub x: Tensor,
    /// Frame mask `(batch, max_frames)`, 1.0 = real frame.
    pub mask: Tensor,
    /// Number of real frames per item.
    pub lengths: Vec<usize>,
}

impl Batch {
    /// Pads `seqs` to the longest one (at least `min_frames`) and builds the mask.
    ///
    /// Errors if `seqs` is empty or the feature dimensions differ.
    ///
    /// ```
    /// use ser_models::{Batch, Sequence};
    /// let short = Sequence::new(vec![1.0; 2 * 4], 2, 4)?;
    /// let long = Sequence::new(vec![1.0; 5 * 4], 5, 4)?;
    /// let batch = Batch::from_sequences(&[&short, &long], 1)?;
    /// assert_eq!(batch.x.dims(), &[2, 5, 4]); // padded to the longest
    /// assert_eq!(batch.lengths, vec![2, 5]);
    /// assert_eq!(batch.mask.to_vec2::<f32>()?[0], vec![1.0, 1.0, 0.0, 0.0, 0.0]);
    /// assert!(Batch::from_sequences(&[], 1).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn from_sequences(seqs: &[&Sequence], min_frames: usize) -> Result<Self> {
        let first = seqs.first().ok_or(Error::Empty("batch"))?;
        let f = first.n_features;
        let t_max = seqs
            .iter()
            .map(|s| s.n_frames)
            .max()
            .unwrap_or(1)
            .max(min_frames);
        let b = seqs.len();
        let mut x = vec![0f32; b * t_max * f];
        let mut lengths = Vec::with_capacity(b);
        for (i, s) in seqs.iter().enumerate() {
            if s.n_features != f {
                return Err(Error::ShapeMismatch {
                    what: format!("batch item {i} features"),
                    expected: f.to_string(),
                    got: s.n_features.to_string(),
                });
            }
            x[i * t_max * f..i * t_max * f + s.data.len()].copy_from_slice(&s.data);
            lengths.push(s.n_frames);
        }
        let dev = Device::Cpu;
        let x = Tensor::from_vec(x, (b, t_max, f), &dev)?;
        let mask = mask_from_lengths(&lengths, t_max, &dev)?;
        Ok(Self { x, mask, lengths })
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// `true` if the batch holds no item.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }
}

/// `(batch, t)` mask with 1.0 on the first `lengths[i]` frames of row `i`.
pub fn mask_from_lengths(lengths: &[usize], t: usize, dev: &Device) -> candle_core::Result<Tensor> {
    let mut m = vec![0f32; lengths.len() * t];
    for (i, &l) in lengths.iter().enumerate() {
        for v in &mut m[i * t..i * t + l.min(t)] {
            *v = 1.0;
        }
    }
    Tensor::from_vec(m, (lengths.len(), t), dev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_validates() {
        assert!(Sequence::new(vec![], 0, 3).is_err());
        assert!(Sequence::new(vec![1.0; 5], 2, 3).is_err());
        assert!(Sequence::new(vec![f32::NAN; 6], 2, 3).is_err());
        let s = Sequence::from_feature_major(&[1., 2., 3., 4., 5., 6.], 2, 3).unwrap();
        assert_eq!(s.data(), &[1., 4., 2., 5., 3., 6.]);
        assert_eq!(s.frame(1), &[2., 5.]);
    }

    #[test]
    fn batch_pads_and_masks() {
        let a = Sequence::new(vec![1.0; 6], 3, 2).unwrap();
        let b = Sequence::new(vec![2.0; 2], 1, 2).unwrap();
        let batch = Batch::from_sequences(&[&a, &b], 0).unwrap();
        assert_eq!(batch.x.dims(), &[2, 3, 2]);
        let m: Vec<Vec<f32>> = batch.mask.to_vec2().unwrap();
        assert_eq!(m, vec![vec![1., 1., 1.], vec![1., 0., 0.]]);
        let x: Vec<Vec<Vec<f32>>> = batch.x.to_vec3().unwrap();
        assert_eq!(x[1][1], vec![0., 0.]);
        let c = Sequence::new(vec![2.0; 3], 1, 3).unwrap();
        assert!(Batch::from_sequences(&[&a, &c], 0).is_err());
        assert!(Batch::from_sequences(&[], 0).is_err());
    }
}
