//! Whisper's audio front end: openai-whisper's `log_mel_spectrogram`.
//!
//! 16 kHz mono, a 400-point STFT (periodic Hann, hop 160, centred with reflect padding),
//! power spectrum with the last frame dropped, librosa's Slaney mel filterbank
//! (`librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)`, from `ser-dsp`, bit-exact),
//! then `log10(max(x, 1e-10))`, floored at 8 below the maximum and mapped by
//! `(x + 4) / 4`. No padding to 30 s: a clip of `n` samples gives `n / 160` frames.

use ndarray::Array2;
use ser_dsp::{MelSpectrogram, MelSpectrogramConfig, PadMode};

use crate::{Error, Result};

/// Whisper's sample rate.
pub const SAMPLE_RATE: u32 = 16000;
/// STFT size.
pub const N_FFT: usize = 400;
/// Hop between frames (10 ms).
pub const HOP_LENGTH: usize = 160;
/// Mel frames in one 30 s window.
pub const N_FRAMES: usize = 3000;
/// Samples in one 30 s window.
pub const N_SAMPLES: usize = 480_000;

/// The log-mel plan (filterbank and STFT built once; `Send + Sync`).
#[derive(Debug, Clone)]
pub struct LogMel {
    plan: MelSpectrogram,
}

impl LogMel {
    /// A plan for `n_mels` bands (80, or 128 for large-v3).
    ///
    /// ```
    /// let lm = ser_whisper::LogMel::new(80)?;
    /// let x: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.1).sin() * 0.1).collect();
    /// let m = lm.compute(&x)?;
    /// assert_eq!(m.dim(), (80, 100)); // n_mels × n_samples / 160
    /// # Ok::<(), ser_whisper::Error>(())
    /// ```
    pub fn new(n_mels: usize) -> Result<Self> {
        if n_mels == 0 {
            return Err(Error::InvalidArgument("n_mels must be > 0".into()));
        }
        let cfg = MelSpectrogramConfig::default()
            .sr(SAMPLE_RATE)
            .n_fft(N_FFT)
            .hop_length(HOP_LENGTH)
            .pad_mode(PadMode::Reflect)
            .n_mels(n_mels);
        Ok(Self {
            plan: MelSpectrogram::new(&cfg)?,
        })
    }

    /// Mel bands.
    pub fn n_mels(&self) -> usize {
        self.plan.n_mels()
    }

    /// Frames for `n_samples` samples (`n_samples / 160`).
    pub fn n_frames(n_samples: usize) -> usize {
        n_samples / HOP_LENGTH
    }

    /// Log-mel of 16 kHz mono `samples`, shape `(n_mels, n_samples / 160)`.
    ///
    /// Errors for fewer than 320 samples (two frames) or non-finite samples.
    pub fn compute(&self, samples: &[f32]) -> Result<Array2<f32>> {
        let n_frames = Self::n_frames(samples.len());
        if n_frames < 2 {
            return Err(Error::InvalidInput(format!(
                "{} samples: Whisper needs at least {} (20 ms at 16 kHz)",
                samples.len(),
                2 * HOP_LENGTH
            )));
        }
        if let Some(i) = samples.iter().position(|x| !x.is_finite()) {
            return Err(Error::InvalidInput(format!("sample {i} is not finite")));
        }
        let mel = self.plan.process(samples)?; // (n_mels, n_frames + 1)
        let mut out = Array2::<f32>::zeros((self.n_mels(), n_frames));
        let mut max = f32::NEG_INFINITY;
        for (o, m) in out.iter_mut().zip(
            mel.rows()
                .into_iter()
                .flat_map(|r| r.into_iter().take(n_frames)),
        ) {
            *o = m.max(1e-10).log10();
            max = max.max(*o);
        }
        let floor = max - 8.0;
        out.mapv_inplace(|v| (v.max(floor) + 4.0) / 4.0);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_range_and_errors() {
        let lm = LogMel::new(80).unwrap();
        let x: Vec<f32> = (0..4000).map(|i| (i as f32 * 0.05).sin()).collect();
        let m = lm.compute(&x).unwrap();
        assert_eq!(m.dim(), (80, 25));
        let max = m.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let min = m.iter().cloned().fold(f32::INFINITY, f32::min);
        assert!(max - min <= 2.0 + 1e-6, "dynamic range is 8 decades / 4");
        assert!(lm.compute(&x[..300]).is_err());
        let mut y = x.clone();
        y[7] = f32::NAN;
        assert!(matches!(lm.compute(&y), Err(Error::InvalidInput(_))));
        // Digital silence: every value is log10(1e-10) mapped.
        let s = lm.compute(&[0.0; 1600]).unwrap();
        assert!(s.iter().all(|&v| (v - (-10.0 + 4.0) / 4.0).abs() < 1e-6));
    }
}
