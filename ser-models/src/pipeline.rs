//! Audio → model input. The computation lives in `ser-features`
//! ([`ser_features::pipeline::FeaturePipeline`], re-exported here); this module turns its
//! librosa-layout matrices into [`Sequence`]s, through the [`ModelInput`] trait.
//!
//! ```
//! use ser_models::{FeaturePipeline, FeatureSpec, LogMelSpec, ModelInput};
//! let pipe = FeaturePipeline::new(&FeatureSpec::LogMel(LogMelSpec::default()))?;
//! let y: Vec<f32> = (0..8_000).map(|i| 0.1 * (i as f32 * 0.05).sin()).collect();
//! let seq = pipe.sequence(&y, 8_000)?; // resampled to 16 kHz first
//! assert_eq!((seq.n_frames(), seq.n_features()), (101, 64));
//! # Ok::<(), ser_models::Error>(())
//! ```

use std::path::Path;

use ndarray::Array2;

use crate::batch::Sequence;
use crate::Result;

pub use ser_features::pipeline::{loudest_frames, normalize_rms, FeaturePipeline};
pub use ser_features::sets::{
    COMPARE_LARGE_SET, COMPARE_SET, EGEMAPS_COMPARE_LARGE_SET, EGEMAPS_COMPARE_SET, EGEMAPS_SET,
    MFCC_SPECTRAL_SET,
};

/// Model input from a [`FeaturePipeline`]: its matrices as [`Sequence`]s.
pub trait ModelInput {
    /// Model input for `samples` at `sr` (resampled to the pipeline's rate when needed).
    fn sequence(&self, samples: &[f32], sr: u32) -> Result<Sequence>;

    /// Model input for an audio file (any format `ser-dsp` decodes; mixed to mono,
    /// resampled).
    fn sequence_from_file(&self, path: &Path) -> Result<Sequence>;
}

impl ModelInput for FeaturePipeline {
    fn sequence(&self, samples: &[f32], sr: u32) -> Result<Sequence> {
        matrix_to_sequence(&self.matrix_at(samples, sr)?)
    }

    fn sequence_from_file(&self, path: &Path) -> Result<Sequence> {
        matrix_to_sequence(&self.matrix_from_file(path)?)
    }
}

/// Converts a librosa-layout `(n_features, n_frames)` matrix to a [`Sequence`].
pub fn matrix_to_sequence(m: &Array2<f32>) -> Result<Sequence> {
    let (f, t) = m.dim();
    let data: Vec<f32> = m.t().iter().copied().collect();
    Sequence::new(data, t, f)
}

/// Converts a [`Sequence`] back to librosa layout `(n_features, n_frames)`.
pub fn sequence_to_matrix(s: &Sequence) -> Array2<f32> {
    let (t, f) = (s.n_frames(), s.n_features());
    Array2::from_shape_fn((f, t), |(j, i)| s.data()[i * f + j])
}
