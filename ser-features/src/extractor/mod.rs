//! [`FeatureExtractor`]: plan once, extract frame-level features from many clips; and
//! [`StreamingExtractor`]: the same numbers from audio arriving in chunks.
//!
//! One STFT pass feeds every spectral feature; the plan precomputes the FFT, window, mel
//! filterbank (stored sparsely), DCT basis, lifter, contrast bands and delta weights, is
//! `Send + Sync` and takes `&self`, so one plan can serve a rayon pool.
//!
//! # Streaming and centre padding
//! With `center = true` librosa pads `n_fft / 2` samples on both sides (`pad_mode` for the
//! STFT and RMS, numpy `edge` for the zero-crossing rate). [`StreamingExtractor::push`] returns
//! every frame whose samples — including the left padding, which only needs the first samples —
//! are known: frame `t` is complete once `t·hop − n_fft/2 + n_fft < n_received` (one sample of
//! look-ahead, so that reflect padding at the start is exact). The right padding depends on the
//! end of the signal, so [`StreamingExtractor::finish`] pads the tail exactly as the batch path
//! does and flushes the remaining frames. Deltas need `width / 2` future frames (and the first
//! `width` frames for the `interp` edge fit), so they add that much latency; the flush computes
//! the edge frames with the final frame count. Concatenating every `push` output and the
//! `finish` output along the frame axis gives exactly the batch result.
//!
//! librosa's `top_db` clipping (log-mel, MFCC, onset strength, contrast) is relative to the
//! maximum over the **whole** clip, which a stream cannot know: streaming requires
//! `top_db: None` for those features and returns [`Error::Unsupported`] otherwise.

use ndarray::{Array2, ArrayViewMut1};
use ser_dsp::{
    Audio, Complex32, DbConfig, DbRef, MelConfig, MelNorm, MelSpectrogram, MelSpectrogramConfig,
    PadMode, Stft, StftConfig, StftScratch, Window,
};
use serde::{Deserialize, Serialize};

use crate::delta::{check_delta_params, savgol_derivative_weights};
use crate::error::{check_audio, Error, Result};
use crate::lanes::dot_f32;
use crate::spectral::{
    centroid_bandwidth_frame, check_roll_percent, contrast_from_peaks, fill_time_frame,
    flatness_frame, flux_l2_frame, onset_frame, onset_shift, reflect, rms_frame, rolloff_frame,
    zcr_frame, ContrastBands, FLATNESS_AMIN, ZCR_THRESHOLD,
};

mod batch;
mod config;
mod frames;
mod kind;
mod streaming;

use batch::{delta_frame, write_fm, FrameScratch};
pub use batch::{ExtractorScratch, FeatureExtractor};
pub use config::FeatureConfig;
pub use frames::FrameFeatures;
pub use kind::FeatureKind;
use kind::Want;
pub use streaming::StreamingExtractor;
