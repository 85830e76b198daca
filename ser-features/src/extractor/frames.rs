//! [`FrameFeatures`]: the frame-level output of one clip.

use super::*;

/// Frame-level features of one clip: `(kind, array)` pairs in request order, each array in
/// librosa layout `(rows, n_frames)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameFeatures {
    pub(super) n_frames: usize,
    pub(super) items: Vec<(FeatureKind, Array2<f32>)>,
}

impl FrameFeatures {
    /// Number of frames.
    pub fn n_frames(&self) -> usize {
        self.n_frames
    }

    /// The array of `kind`, if it was requested.
    pub fn get(&self, kind: FeatureKind) -> Option<&Array2<f32>> {
        self.items.iter().find(|(k, _)| *k == kind).map(|(_, a)| a)
    }

    /// Iterates over `(kind, array)` in request order.
    pub fn iter(&self) -> impl Iterator<Item = (FeatureKind, &Array2<f32>)> + '_ {
        self.items.iter().map(|(k, a)| (*k, a))
    }

    /// Consumes `self` into the `(kind, array)` list.
    pub fn into_items(self) -> Vec<(FeatureKind, Array2<f32>)> {
        self.items
    }

    /// All features stacked along the feature axis, `(total_rows, n_frames)`, with one name per
    /// row: the kind name for single-row kinds, `{name}{i}` (0-based) otherwise, e.g. `mfcc0`,
    /// `spectral_contrast6`.
    pub fn stacked(&self) -> (Array2<f32>, Vec<String>) {
        let rows: usize = self.items.iter().map(|(_, a)| a.nrows()).sum();
        let mut out = Array2::zeros((rows, self.n_frames));
        let mut names = Vec::with_capacity(rows);
        let mut r = 0;
        for (k, a) in &self.items {
            for (i, row) in a.rows().into_iter().enumerate() {
                out.row_mut(r).assign(&row);
                r += 1;
                names.push(if a.nrows() == 1 {
                    k.name().to_string()
                } else {
                    format!("{}{i}", k.name())
                });
            }
        }
        (out, names)
    }

    /// Appends the frames of `other` (same kinds, same order) after those of `self` — how
    /// streaming outputs are concatenated. An empty `self` simply takes `other`.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] if the kinds or row counts differ.
    pub fn append(&mut self, other: FrameFeatures) -> Result<()> {
        if self.items.is_empty() {
            *self = other;
            return Ok(());
        }
        if other.items.len() != self.items.len()
            || other
                .items
                .iter()
                .zip(&self.items)
                .any(|((k1, a1), (k2, a2))| k1 != k2 || a1.nrows() != a2.nrows())
        {
            return Err(Error::ShapeMismatch {
                what: "appended frame features",
                expected: self.items.iter().map(|(_, a)| a.nrows()).collect(),
                got: other.items.iter().map(|(_, a)| a.nrows()).collect(),
            });
        }
        for ((_, a), (_, b)) in self.items.iter_mut().zip(other.items) {
            *a = ndarray::concatenate(ndarray::Axis(1), &[a.view(), b.view()]).map_err(|e| {
                Error::ShapeMismatch {
                    what: "appended frame features",
                    expected: vec![a.nrows()],
                    got: vec![b.nrows(), e.kind() as usize],
                }
            })?;
        }
        self.n_frames += other.n_frames;
        Ok(())
    }
}
