//! Streaming recognition: feed audio chunks of any size, get one emotion estimate per
//! sliding window.
//!
//! A [`StreamingRecognizer`] buffers mono samples, cuts windows of
//! [`StreamConfig::window_secs`] every [`StreamConfig::hop_secs`] (defaults 2 s / 0.5 s),
//! gates each window with an energy voice-activity detector ([`VadConfig`]) so silence is
//! not classified, and classifies the voiced windows with a [`Recognizer`]. Every estimate
//! is exactly what the batch path ([`Recognizer::predict_samples`]) returns for the same
//! samples (tested with random chunk sizes); windows that become complete in one
//! [`push`](StreamingRecognizer::push) are classified together in one padded batch.
//!
//! Latency: an estimate for audio ending at time `t` is available once `t` has been pushed,
//! i.e. at most `hop_secs` after the window end, plus the compute time (a few ms per window
//! for the models of this crate on one CPU core).
//!
//! ```
//! use ser_models::streaming::{StreamConfig, StreamingRecognizer};
//! use ser_models::{train, Arch, FeatureSpec, Labeled, LogMelSpec, ModelCard, Recognizer};
//! # fn main() -> ser_models::Result<()> {
//! # let dir = tempfile::tempdir().map_err(|e| ser_models::Error::InvalidArgument(e.to_string()))?;
//! // An (untrained) model on 16 kHz log-mel frames, saved and loaded as a directory.
//! let spec = FeatureSpec::LogMel(LogMelSpec::default());
//! let cfg = Arch::Mlp.default_config(spec.n_features(), 2);
//! let (_, params) = ser_models::init_model(&cfg, 0)?;
//! let card = ModelCard::new(cfg, spec, vec!["calm".into(), "angry".into()]);
//! ser_models::save_model_dir(dir.path(), &card, &params)?;
//! let rec = Recognizer::load(dir.path())?;
//!
//! // 3 s of a loud tone after 1 s of silence, fed in 100 ms chunks.
//! let sr = 16000;
//! let audio: Vec<f32> = (0..4 * sr)
//!     .map(|i| if i < sr { 0.0 } else { 0.3 * (i as f32 * 0.05).sin() })
//!     .collect();
//! let mut stream = StreamingRecognizer::new(&rec, sr as u32, StreamConfig::default())?;
//! let mut timeline = Vec::new();
//! for chunk in audio.chunks(1600) {
//!     timeline.extend(stream.push(chunk)?);
//! }
//! timeline.extend(stream.finish()?);
//! // Windows start every 0.5 s; the first one is half silence, all are voiced enough.
//! assert_eq!(timeline.len(), 5);
//! assert_eq!((timeline[0].start, timeline[0].end), (0.0, 2.0));
//! for w in &timeline {
//!     let p = w.prediction.as_ref().expect("voiced window");
//!     println!("{:.1}-{:.1} s {} {:.2}", w.start, w.end, p.label, p.probabilities[p.index].1);
//! }
//! # Ok(())
//! # }
//! ```

use std::borrow::Borrow;

use serde::{Deserialize, Serialize};

use crate::batch::Sequence;
use crate::infer::{Prediction, Recognizer};
use crate::pipeline::ModelInput;
use crate::{Error, Result};

/// Energy voice-activity detection applied to each window before classification.
///
/// The window is cut into frames of `frame_secs` every `hop_secs`; a frame is speech when
/// its RMS level `10·log10(Σx²/frame_length)` is at least `threshold_db` dBFS; the window is
/// classified when the fraction of speech frames is at least `min_speech_ratio`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VadConfig {
    /// Gate windows at all; `false` classifies every window. Default: `true`.
    pub enabled: bool,
    /// Analysis frame length in seconds. Default: 0.025 (25 ms).
    pub frame_secs: f32,
    /// Analysis hop in seconds. Default: 0.010 (10 ms).
    pub hop_secs: f32,
    /// Frame level (dBFS, RMS) at or above which a frame counts as speech. Default: -40.0.
    pub threshold_db: f32,
    /// Minimum fraction of speech frames for a window to be classified. Default: 0.2.
    pub min_speech_ratio: f32,
}

impl Default for VadConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            frame_secs: 0.025,
            hop_secs: 0.010,
            threshold_db: -40.0,
            min_speech_ratio: 0.2,
        }
    }
}

impl VadConfig {
    /// Sets `enabled` (chaining).
    pub fn enabled(mut self, v: bool) -> Self {
        self.enabled = v;
        self
    }
    /// Sets `frame_secs` (chaining).
    pub fn frame_secs(mut self, v: f32) -> Self {
        self.frame_secs = v;
        self
    }
    /// Sets `hop_secs` (chaining).
    pub fn hop_secs(mut self, v: f32) -> Self {
        self.hop_secs = v;
        self
    }
    /// Sets `threshold_db` (chaining).
    pub fn threshold_db(mut self, v: f32) -> Self {
        self.threshold_db = v;
        self
    }
    /// Sets `min_speech_ratio` (chaining).
    pub fn min_speech_ratio(mut self, v: f32) -> Self {
        self.min_speech_ratio = v;
        self
    }

    /// Checks ranges: positive frame and hop, finite threshold, ratio in `[0, 1]`.
    pub fn validate(&self) -> Result<()> {
        if !(self.frame_secs > 0.0 && self.frame_secs.is_finite()) {
            return Err(Error::InvalidConfig(format!(
                "vad frame_secs must be > 0, got {}",
                self.frame_secs
            )));
        }
        if !(self.hop_secs > 0.0 && self.hop_secs.is_finite()) {
            return Err(Error::InvalidConfig(format!(
                "vad hop_secs must be > 0, got {}",
                self.hop_secs
            )));
        }
        if !self.threshold_db.is_finite() {
            return Err(Error::InvalidConfig(
                "vad threshold_db must be finite".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.min_speech_ratio) {
            return Err(Error::InvalidConfig(format!(
                "vad min_speech_ratio must be in [0, 1], got {}",
                self.min_speech_ratio
            )));
        }
        Ok(())
    }

    /// Fraction of frames of `samples` (at `sr`) whose level reaches `threshold_db`.
    /// A signal shorter than one frame is one frame. Empty input gives 0.
    ///
    /// ```
    /// use ser_models::streaming::VadConfig;
    /// let vad = VadConfig::default();
    /// assert_eq!(vad.speech_ratio(&[0.0; 16000], 16000), 0.0);
    /// assert_eq!(vad.speech_ratio(&[0.1; 16000], 16000), 1.0); // -20 dBFS
    /// ```
    pub fn speech_ratio(&self, samples: &[f32], sr: u32) -> f32 {
        if samples.is_empty() {
            return 0.0;
        }
        let frame = ((self.frame_secs * sr as f32).round() as usize).clamp(1, samples.len());
        let hop = ((self.hop_secs * sr as f32).round() as usize).max(1);
        let energies =
            match ser_dsp::frame_energy(samples, frame, hop, false, ser_dsp::PadMode::Constant) {
                Ok(e) => e,
                // Non-finite samples: treat the window as not speech (push rejects them anyway).
                Err(_) => return 0.0,
            };
        let min_energy = frame as f32 * 10f32.powf(self.threshold_db / 10.0);
        let voiced = energies.iter().filter(|&&e| e >= min_energy).count();
        voiced as f32 / energies.len().max(1) as f32
    }

    /// `true` when the window should be classified.
    pub fn is_speech(&self, samples: &[f32], sr: u32) -> bool {
        !self.enabled || self.speech_ratio(samples, sr) >= self.min_speech_ratio
    }
}

/// Sliding-window settings of a [`StreamingRecognizer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StreamConfig {
    /// Window length in seconds. Default: 2.0.
    pub window_secs: f32,
    /// Hop between window starts in seconds. Default: 0.5.
    pub hop_secs: f32,
    /// Voice-activity gate. Default: [`VadConfig::default`].
    pub vad: VadConfig,
    /// At [`finish`](StreamingRecognizer::finish), classify the end of the stream that no
    /// full window covered (the last `window_secs`, or the whole stream when shorter).
    /// Default: `true`.
    pub flush_tail: bool,
    /// Shortest audio (seconds) classified at all, e.g. a tail or a stream shorter than a
    /// window; shorter remainders are dropped. Default: 0.25.
    pub min_secs: f32,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            window_secs: 2.0,
            hop_secs: 0.5,
            vad: VadConfig::default(),
            flush_tail: true,
            min_secs: 0.25,
        }
    }
}

impl StreamConfig {
    /// Sets `window_secs` (chaining).
    pub fn window_secs(mut self, v: f32) -> Self {
        self.window_secs = v;
        self
    }
    /// Sets `hop_secs` (chaining).
    pub fn hop_secs(mut self, v: f32) -> Self {
        self.hop_secs = v;
        self
    }
    /// Sets `vad` (chaining).
    pub fn vad(mut self, v: VadConfig) -> Self {
        self.vad = v;
        self
    }
    /// Sets `flush_tail` (chaining).
    pub fn flush_tail(mut self, v: bool) -> Self {
        self.flush_tail = v;
        self
    }
    /// Sets `min_secs` (chaining).
    pub fn min_secs(mut self, v: f32) -> Self {
        self.min_secs = v;
        self
    }

    /// Checks the settings: positive window and hop, `hop <= window`, valid VAD.
    pub fn validate(&self) -> Result<()> {
        if !(self.window_secs > 0.0 && self.window_secs.is_finite()) {
            return Err(Error::InvalidConfig(format!(
                "window_secs must be > 0, got {}",
                self.window_secs
            )));
        }
        if !(self.hop_secs > 0.0 && self.hop_secs <= self.window_secs) {
            return Err(Error::InvalidConfig(format!(
                "hop_secs must be in (0, window_secs = {}], got {}",
                self.window_secs, self.hop_secs
            )));
        }
        if !(self.min_secs >= 0.0 && self.min_secs.is_finite()) {
            return Err(Error::InvalidConfig(format!(
                "min_secs must be >= 0, got {}",
                self.min_secs
            )));
        }
        self.vad.validate()
    }
}

/// One window of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowEstimate {
    /// Window number in the stream (0, 1, …; a flushed tail gets the next number).
    pub index: usize,
    /// First sample of the window (input sample rate, from the start of the stream).
    pub start_sample: usize,
    /// One past the last sample.
    pub end_sample: usize,
    /// Start time in seconds.
    pub start: f64,
    /// End time in seconds.
    pub end: f64,
    /// Fraction of VAD frames at or above the speech threshold.
    pub speech_ratio: f32,
    /// The estimate, `None` when the VAD gated the window as non-speech.
    pub prediction: Option<Prediction>,
}

/// Sliding-window recogniser over a stream of mono samples at a fixed input rate.
///
/// `R` is anything that borrows a [`Recognizer`]: `&Recognizer` for a local loop,
/// `Arc<Recognizer>` to move the stream into a task or thread. Windows are cut in input
/// samples; each window is resampled to the model rate exactly as
/// [`Recognizer::predict_samples`] does.
#[derive(Debug)]
pub struct StreamingRecognizer<R: Borrow<Recognizer>> {
    rec: R,
    sr: u32,
    cfg: StreamConfig,
    win: usize,
    hop: usize,
    min_len: usize,
    /// Samples from absolute index `buf_start` on.
    buf: Vec<f32>,
    buf_start: usize,
    /// Samples received so far.
    total: usize,
    /// Absolute start of the next full window.
    next_start: usize,
    /// End of the last emitted window (0 before the first).
    covered: usize,
    n_emitted: usize,
}

impl<R: Borrow<Recognizer>> StreamingRecognizer<R> {
    /// A stream of samples at `sr` Hz classified by `rec`.
    ///
    /// Errors on an invalid config, `sr == 0`, a window shorter than one sample, or a model
    /// that takes precomputed features (nothing to compute from audio).
    ///
    /// ```
    /// use ser_models::{Recognizer, StreamConfig, StreamingRecognizer};
    /// let rec = Recognizer::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/linear"))?;
    /// let stream = StreamingRecognizer::new(&rec, 8_000, StreamConfig::default())?;
    /// assert_eq!((stream.window_len(), stream.hop_len()), (16_000, 4_000)); // 2 s every 0.5 s
    /// assert!(StreamingRecognizer::new(&rec, 0, StreamConfig::default()).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(rec: R, sr: u32, cfg: StreamConfig) -> Result<Self> {
        cfg.validate()?;
        if sr == 0 || sr > ser_dsp::MAX_SAMPLE_RATE {
            return Err(Error::InvalidArgument(format!(
                "sample rate must be in 1..={}, got {sr}",
                ser_dsp::MAX_SAMPLE_RATE
            )));
        }
        if rec.borrow().feature_pipeline().is_none() {
            return Err(Error::InvalidArgument(
                "this model takes precomputed features; it cannot stream audio".into(),
            ));
        }
        let win = (cfg.window_secs as f64 * sr as f64).round() as usize;
        let hop = (cfg.hop_secs as f64 * sr as f64).round() as usize;
        if win == 0 || hop == 0 {
            return Err(Error::InvalidConfig(format!(
                "window ({win}) and hop ({hop}) must be at least one sample at {sr} Hz"
            )));
        }
        let min_len = ((cfg.min_secs as f64 * sr as f64).round() as usize).max(1);
        Ok(Self {
            rec,
            sr,
            cfg,
            win,
            hop,
            min_len,
            buf: Vec::new(),
            buf_start: 0,
            total: 0,
            next_start: 0,
            covered: 0,
            n_emitted: 0,
        })
    }

    /// The recogniser.
    pub fn recognizer(&self) -> &Recognizer {
        self.rec.borrow()
    }

    /// The settings.
    pub fn config(&self) -> &StreamConfig {
        &self.cfg
    }

    /// Input sample rate.
    pub fn sample_rate(&self) -> u32 {
        self.sr
    }

    /// Window length in input samples.
    pub fn window_len(&self) -> usize {
        self.win
    }

    /// Hop in input samples.
    pub fn hop_len(&self) -> usize {
        self.hop
    }

    /// Samples pushed since creation or the last [`reset`](Self::reset).
    pub fn samples_seen(&self) -> usize {
        self.total
    }

    /// Samples that must still arrive before the next window is complete.
    pub fn samples_until_next(&self) -> usize {
        (self.next_start + self.win).saturating_sub(self.total)
    }

    /// Forgets all buffered audio; the next sample is time 0 again.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.buf_start = 0;
        self.total = 0;
        self.next_start = 0;
        self.covered = 0;
        self.n_emitted = 0;
    }

    /// Appends `chunk` (any length, including 0) and returns the estimates of every window
    /// it completes, in time order.
    ///
    /// Errors on a non-finite sample (the chunk is then not appended) or a feature/model
    /// failure.
    pub fn push(&mut self, chunk: &[f32]) -> Result<Vec<WindowEstimate>> {
        if let Some(i) = chunk.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite(format!(
                "audio chunk sample {i} (stream sample {})",
                self.total + i
            )));
        }
        self.buf.extend_from_slice(chunk);
        self.total += chunk.len();
        let mut spans = Vec::new();
        while self.next_start + self.win <= self.total {
            spans.push((self.next_start, self.next_start + self.win));
            self.next_start += self.hop;
        }
        let out = self.classify(&spans)?;
        // Keep what the next window and a possible tail window still need.
        let keep_from = self.next_start.min(self.total.saturating_sub(self.win));
        if keep_from > self.buf_start {
            self.buf.drain(..keep_from - self.buf_start);
            self.buf_start = keep_from;
        }
        Ok(out)
    }

    /// Ends the stream: with [`StreamConfig::flush_tail`], classifies the last
    /// `window_secs` (or the whole stream when shorter) if part of it was not covered by
    /// a window yet and the stream is at least `min_secs` long; then [`reset`](Self::reset)s.
    pub fn finish(&mut self) -> Result<Vec<WindowEstimate>> {
        let mut out = Vec::new();
        if self.cfg.flush_tail && self.total > self.covered && self.total >= self.min_len {
            let start = self.total.saturating_sub(self.win);
            // A tail that only adds a few samples to the last window is not worth a window.
            if self.n_emitted == 0 || self.total - self.covered >= self.min_len {
                out = self.classify(&[(start, self.total)])?;
            }
        }
        self.reset();
        Ok(out)
    }

    /// Runs VAD and the model on absolute sample spans still in the buffer.
    fn classify(&mut self, spans: &[(usize, usize)]) -> Result<Vec<WindowEstimate>> {
        if spans.is_empty() {
            return Ok(Vec::new());
        }
        let rec = self.rec.borrow();
        let pipeline = rec.feature_pipeline().ok_or_else(|| {
            Error::InvalidArgument("this model takes precomputed features".into())
        })?;
        let mut out = Vec::with_capacity(spans.len());
        let mut seqs: Vec<Sequence> = Vec::new();
        let mut which = Vec::new();
        for &(s, e) in spans {
            let w = &self.buf[s - self.buf_start..e - self.buf_start];
            let ratio = self.cfg.vad.speech_ratio(w, self.sr);
            if !self.cfg.vad.enabled || ratio >= self.cfg.vad.min_speech_ratio {
                seqs.push(pipeline.sequence(w, self.sr)?);
                which.push(out.len());
            }
            out.push(WindowEstimate {
                index: self.n_emitted,
                start_sample: s,
                end_sample: e,
                start: s as f64 / self.sr as f64,
                end: e as f64 / self.sr as f64,
                speech_ratio: ratio,
                prediction: None,
            });
            self.n_emitted += 1;
            self.covered = self.covered.max(e);
        }
        if !seqs.is_empty() {
            let preds = rec.predict_sequences(&seqs)?;
            for (i, p) in which.into_iter().zip(preds) {
                out[i].prediction = Some(p);
            }
        }
        Ok(out)
    }
}

/// Runs a whole signal through a [`StreamingRecognizer`] in one push plus
/// [`finish`](StreamingRecognizer::finish): the timeline of a file.
pub fn timeline(
    rec: &Recognizer,
    samples: &[f32],
    sr: u32,
    cfg: &StreamConfig,
) -> Result<Vec<WindowEstimate>> {
    let mut s = StreamingRecognizer::new(rec, sr, cfg.clone())?;
    let mut out = s.push(samples)?;
    out.extend(s.finish()?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vad_levels() {
        let vad = VadConfig::default();
        // -46 dBFS sine (amplitude 0.007) is below -40 dBFS, 0.05 (-29 dBFS) above.
        let sine = |a: f32| -> Vec<f32> { (0..8000).map(|i| a * (i as f32 * 0.1).sin()).collect() };
        assert_eq!(vad.speech_ratio(&sine(0.007), 16000), 0.0);
        assert_eq!(vad.speech_ratio(&sine(0.05), 16000), 1.0);
        let mut half = vec![0.0; 8000];
        half.extend(sine(0.05));
        let r = vad.speech_ratio(&half, 16000);
        assert!((r - 0.5).abs() < 0.03, "{r}");
        assert!(!vad.is_speech(&[0.0; 100], 16000));
        assert!(vad.clone().enabled(false).is_speech(&[0.0; 100], 16000));
        assert_eq!(vad.speech_ratio(&[], 16000), 0.0);
    }

    #[test]
    fn config_validation() {
        assert!(StreamConfig::default().validate().is_ok());
        assert!(StreamConfig::default().hop_secs(3.0).validate().is_err());
        assert!(StreamConfig::default().window_secs(0.0).validate().is_err());
        assert!(StreamConfig::default()
            .window_secs(f32::NAN)
            .validate()
            .is_err());
        assert!(StreamConfig::default().min_secs(-1.0).validate().is_err());
        let bad_vad = VadConfig::default().min_speech_ratio(2.0);
        assert!(StreamConfig::default().vad(bad_vad).validate().is_err());
        assert!(VadConfig::default().frame_secs(0.0).validate().is_err());
        assert!(VadConfig::default()
            .threshold_db(f32::INFINITY)
            .validate()
            .is_err());
    }
}
