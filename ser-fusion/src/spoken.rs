//! The linguistic branch from the audio alone: Whisper ([`ser_whisper::Transcriber`])
//! transcribes the clip, the text-emotion model ([`TextEmotionModel`]) reads the
//! transcript, and the fusion rule stored in the text model's card combines it with the
//! acoustic posterior.
//!
//! * [`TextBranch`]: Whisper + text model, loaded once; [`TextBranch::run`] on one clip.
//! * [`SpokenRecognizer`]: a [`ser_models::Recognizer`] with a text branch — audio in,
//!   acoustic, linguistic and fused answers out.
//! * [`UtteranceTracker`]: for live streams, groups the speech windows of a
//!   [`ser_models::StreamingRecognizer`] into utterances (cut at pauses or a length cap),
//!   keeping their audio so each closed utterance can be transcribed as a whole.
//!
//! Languages the text model was not built for (VADER and MiniLM are English) are reported
//! in [`Linguistic::text_skipped`] and the answer stays acoustic.

use std::path::Path;
use std::time::Instant;

use ser_models::streaming::WindowEstimate;
use ser_models::{Prediction, Recognizer};
use ser_whisper::{DecodeOptions, Transcriber};
use serde::Serialize;

use crate::text_model::{text_posterior, FusionWeight};
use crate::{argmax, Error, Result, TextEmotion, TextEmotionModel};

/// Sample rate Whisper reads.
pub const ASR_SAMPLE_RATE: u32 = 16_000;

/// The linguistic branch's answer for one clip.
#[derive(Debug, Clone, Serialize)]
pub struct Linguistic {
    /// Whisper's transcript (trimmed; empty when nothing was recognised).
    pub transcript: String,
    /// Detected (or given) language, ISO 639-1.
    pub language: String,
    /// Probability of that language.
    pub language_probability: f32,
    /// Largest no-speech probability of the decoded windows.
    pub no_speech_probability: Option<f32>,
    /// Why the text branch did not run, if it did not (empty transcript, unsupported language).
    pub text_skipped: Option<String>,
    /// What the text-emotion model read.
    pub text: Option<TextEmotion>,
    /// Acoustic + text, with the rule and weight stored in the text model's card.
    pub fused: Option<Fused>,
    /// Transcription time, milliseconds.
    pub asr_ms: f64,
}

/// The fused answer.
#[derive(Debug, Clone, Serialize)]
pub struct Fused {
    /// Winning class.
    pub label: String,
    /// `(class, probability)` in the acoustic model's order.
    pub probabilities: Vec<(String, f32)>,
    /// Share of the winning class's probability that came from the voice (1 = acoustic
    /// only): which modality this clip's answer trusted.
    pub acoustic_share: f32,
    /// Rule and acoustic weight used.
    pub rule: FusionWeight,
}

/// Whisper decoding options of the emotion tools (`recognize --transcribe`, `serve`,
/// `fusion-asr`): faster-whisper's defaults (beam search, temperature fallback, no-speech
/// skip) with `beam` beams (1 = greedy), and at most 16 + 8 tokens per second of window so
/// that a hallucinating fallback on a short clip or tail stays bounded.
pub fn asr_options(beam: usize) -> DecodeOptions {
    DecodeOptions::default()
        .with_beam_size(beam.max(1))
        .with_max_tokens_per_second(Some(8.0))
}

/// Whisper + text-emotion model, loaded once.
#[derive(Debug)]
pub struct TextBranch {
    asr: Transcriber,
    text: TextEmotionModel,
    options: DecodeOptions,
}

impl TextBranch {
    /// Wraps loaded models; decoding with [`asr_options`]`(5)`.
    ///
    /// ```no_run
    /// use ser_fusion::{TextBranch, TextEmotionModel};
    /// let asr = ser_whisper::Transcriber::load("models/whisper-base")?;
    /// let branch = TextBranch::new(asr, TextEmotionModel::load("models/text-emotion")?);
    /// assert_eq!(branch.options().beam_size, 5);
    /// # Ok::<(), ser_fusion::Error>(())
    /// ```
    pub fn new(asr: Transcriber, text: TextEmotionModel) -> Self {
        Self {
            asr,
            text,
            options: asr_options(5),
        }
    }

    /// Loads a Whisper checkpoint with a decoder (`scripts/fetch_whisper.sh base`) and a
    /// text-emotion model directory (its sentence encoder from `scripts/fetch_minilm.sh`).
    ///
    /// ```no_run
    /// use ser_fusion::TextBranch;
    /// let branch = TextBranch::load("models/whisper-base", "models/text-emotion")?;
    /// assert!(branch.text_model().supports_language("en"));
    /// assert!(TextBranch::load("no/such/whisper", "models/text-emotion").is_err());
    /// # Ok::<(), ser_fusion::Error>(())
    /// ```
    pub fn load(asr_dir: impl AsRef<Path>, text_dir: impl AsRef<Path>) -> Result<Self> {
        let (asr_dir, text_dir) = (asr_dir.as_ref(), text_dir.as_ref());
        let asr = Transcriber::load(asr_dir).map_err(|e| {
            Error::InvalidArgument(format!(
                "loading the Whisper model {} (run scripts/fetch_whisper.sh base): {e}",
                asr_dir.display()
            ))
        })?;
        let text = TextEmotionModel::load(text_dir)?;
        Ok(Self::new(asr, text))
    }

    /// Sets the decoding options (chaining).
    ///
    /// ```no_run
    /// use ser_fusion::{spoken::asr_options, TextBranch};
    /// let branch = TextBranch::load("models/whisper-base", "models/text-emotion")?
    ///     .with_options(asr_options(1)); // greedy decoding
    /// assert_eq!(branch.options().beam_size, 1);
    /// # Ok::<(), ser_fusion::Error>(())
    /// ```
    pub fn with_options(mut self, options: DecodeOptions) -> Self {
        self.options = options;
        self
    }

    /// The decoding options.
    pub fn options(&self) -> &DecodeOptions {
        &self.options
    }

    /// The text-emotion model.
    pub fn text_model(&self) -> &TextEmotionModel {
        &self.text
    }

    /// Transcribes mono `samples` at `sr` (resampled to 16 kHz when needed) and reads the
    /// transcript; `acoustic` is the acoustic model's prediction on the same audio (for the
    /// fused answer).
    pub fn run(&self, samples: &[f32], sr: u32, acoustic: &Prediction) -> Result<Linguistic> {
        if sr == ASR_SAMPLE_RATE {
            return self.run_16k(samples, acoustic);
        }
        let a = ser_dsp::Audio::new(samples.to_vec(), sr)
            .and_then(|a| a.resample(ASR_SAMPLE_RATE))
            .map_err(|e| Error::InvalidArgument(format!("resampling for Whisper: {e}")))?;
        self.run_16k(&a.samples, acoustic)
    }

    fn run_16k(&self, samples: &[f32], acoustic: &Prediction) -> Result<Linguistic> {
        let t = Instant::now();
        let tr = self.asr.transcribe(samples, &self.options)?;
        let asr_ms = t.elapsed().as_secs_f64() * 1000.0;
        let transcript = tr.text.trim().to_string();
        let no_speech_probability = tr
            .segments
            .iter()
            .map(|s| s.no_speech_prob)
            .reduce(f32::max);
        let mut fused = None;
        let (text, text_skipped) = if transcript.is_empty() {
            (None, Some("empty transcript".to_string()))
        } else if !self.text.supports_language(&tr.language) {
            (
                None,
                Some(format!(
                    "no text model for language `{}` (the text features are for {}): acoustic only",
                    tr.language,
                    self.text.card().languages.join(", ")
                )),
            )
        } else {
            let te = self.text.predict(&transcript)?;
            if let Some(rule) = self.text.card().fusion {
                fused = Some(fuse(rule, acoustic, &te));
            }
            (Some(te), None)
        };
        Ok(Linguistic {
            transcript,
            language: tr.language,
            language_probability: tr.language_probability,
            no_speech_probability,
            text_skipped,
            text,
            fused,
            asr_ms,
        })
    }
}

/// The acoustic prediction fused with what the text model read, by `rule`.
pub fn fuse(rule: FusionWeight, acoustic: &Prediction, text: &TextEmotion) -> Fused {
    let (labels, pa): (Vec<String>, Vec<f32>) = acoustic.probabilities.iter().cloned().unzip();
    let pt = text_posterior(&labels, &text.groups);
    let (p, acoustic_share) = rule.fuse(&labels, &pa, Some(&pt));
    let top = argmax(&p);
    Fused {
        label: labels[top].clone(),
        probabilities: labels.into_iter().zip(p).collect(),
        acoustic_share,
        rule,
    }
}

/// A [`Recognizer`]'s answer with the linguistic branch beside it.
#[derive(Debug, Clone, Serialize)]
pub struct SpokenPrediction {
    /// The acoustic model's prediction.
    pub acoustic: Prediction,
    /// Transcript, text emotion and fused answer.
    pub linguistic: Linguistic,
}

impl SpokenPrediction {
    /// The final answer: the fused label when there is one, else the acoustic label.
    pub fn label(&self) -> &str {
        self.linguistic
            .fused
            .as_ref()
            .map_or(&self.acoustic.label, |f| &f.label)
    }
}

/// Audio in; acoustic, linguistic and fused emotion out.
///
/// ```no_run
/// use ser_fusion::spoken::{SpokenRecognizer, TextBranch};
/// let rec = SpokenRecognizer::new(
///     ser_models::Recognizer::load("models/default")?,
///     TextBranch::load("models/whisper-base", "models/text-emotion")?,
/// );
/// let p = rec.predict_file("assets/speech.wav")?;
/// println!("{:?} → {} (voice: {})", p.linguistic.transcript, p.label(), p.acoustic.label);
/// # Ok::<(), ser_fusion::Error>(())
/// ```
#[derive(Debug)]
pub struct SpokenRecognizer {
    acoustic: Recognizer,
    text: TextBranch,
}

impl SpokenRecognizer {
    /// An acoustic recogniser with a text branch.
    ///
    /// ```no_run
    /// use ser_fusion::{SpokenRecognizer, TextBranch};
    /// let rec = SpokenRecognizer::new(
    ///     ser_models::Recognizer::load("models/default")?,
    ///     TextBranch::load("models/whisper-base", "models/text-emotion")?,
    /// );
    /// assert_eq!(rec.acoustic().card().labels.len(), 8);
    /// # Ok::<(), ser_fusion::Error>(())
    /// ```
    pub fn new(acoustic: Recognizer, text: TextBranch) -> Self {
        Self { acoustic, text }
    }

    /// The acoustic recogniser.
    pub fn acoustic(&self) -> &Recognizer {
        &self.acoustic
    }

    /// The text branch.
    pub fn text_branch(&self) -> &TextBranch {
        &self.text
    }

    /// Classifies mono `samples` at `sr`: the acoustic model (behind its speech gate:
    /// non-speech gives [`ser_models::Error::NoSpeech`] and no transcript), then Whisper and
    /// the text model.
    pub fn predict_samples(&self, samples: &[f32], sr: u32) -> Result<SpokenPrediction> {
        let acoustic = self.acoustic.predict_samples(samples, sr)?;
        let linguistic = self.text.run(samples, sr, &acoustic)?;
        Ok(SpokenPrediction {
            acoustic,
            linguistic,
        })
    }

    /// [`SpokenRecognizer::predict_samples`] on an audio file (decoded and resampled to
    /// 16 kHz by `ser-dsp`).
    pub fn predict_file(&self, path: impl AsRef<Path>) -> Result<SpokenPrediction> {
        let path = path.as_ref();
        let audio = ser_dsp::Audio::load(path, Some(ASR_SAMPLE_RATE))
            .map_err(|e| Error::InvalidArgument(format!("{}: {e}", path.display())))?;
        self.predict_samples(&audio.samples, audio.sample_rate)
    }
}

/// One utterance of a live stream: consecutive speech windows, with its audio.
#[derive(Debug, Clone)]
pub struct Utterance {
    /// First sample (stream sample rate, from the start of the stream).
    pub start_sample: usize,
    /// One past the last sample.
    pub end_sample: usize,
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// Its samples at the stream's rate.
    pub samples: Vec<f32>,
    /// Mean of the windows' acoustic posteriors (label = their argmax).
    pub acoustic: Prediction,
    /// Number of speech windows averaged.
    pub windows: usize,
}

#[derive(Debug)]
struct Open {
    start: usize,
    end: usize,
    sum: Vec<f32>,
    labels: Vec<String>,
    n: usize,
}

/// Groups a [`ser_models::StreamingRecognizer`]'s windows into utterances for
/// transcription.
///
/// Feed it every audio chunk and the windows the stream returned for that chunk
/// ([`UtteranceTracker::push`]). An utterance opens at the first speech window (one with a
/// prediction), grows with each overlapping or adjacent speech window, and closes at the
/// first non-speech window after it, when it reaches `max_secs`, or at
/// [`UtteranceTracker::finish`]. Only the audio an open or future utterance can need is
/// kept.
///
/// ```
/// use ser_fusion::spoken::UtteranceTracker;
/// use ser_models::streaming::WindowEstimate;
/// use ser_models::Prediction;
///
/// let sr = 100;
/// let win = |i: usize, speech: bool| WindowEstimate {
///     index: i, start_sample: i * 50, end_sample: i * 50 + 200,
///     start: i as f64 * 0.5, end: i as f64 * 0.5 + 2.0, speech_ratio: 0.0,
///     prediction: speech.then(|| Prediction {
///         label: "anger".into(), index: 1,
///         probabilities: vec![("neutral".into(), 0.2), ("anger".into(), 0.8)],
///     }),
/// };
/// let mut t = UtteranceTracker::new(sr, 20.0)?;
/// // 3.5 s of audio: windows 0..=3 are speech, window 4 is a pause.
/// let done = t.push(&vec![0.1; 350], &[win(0, true), win(1, true), win(2, true), win(3, true)]);
/// assert!(done.is_empty());
/// let done = t.push(&[], &[win(4, false)]);
/// assert_eq!(done.len(), 1);
/// assert_eq!((done[0].start_sample, done[0].end_sample, done[0].windows), (0, 350, 4));
/// assert_eq!(done[0].acoustic.label, "anger");
/// # Ok::<(), ser_fusion::Error>(())
/// ```
#[derive(Debug)]
pub struct UtteranceTracker {
    sr: u32,
    max_len: usize,
    /// Samples from absolute index `buf_start` on.
    buf: Vec<f32>,
    buf_start: usize,
    open: Option<Open>,
}

impl UtteranceTracker {
    /// A tracker for a stream at `sr` Hz; utterances are cut at `max_secs` (Whisper reads
    /// 30 s at a time; 15–20 s keeps the wait for a transcript short).
    ///
    /// ```
    /// use ser_fusion::UtteranceTracker;
    /// let tracker = UtteranceTracker::new(16_000, 20.0)?;
    /// assert_eq!(tracker.buffered(), 0);
    /// assert!(UtteranceTracker::new(16_000, 0.0).is_err()); // the length cap must be positive
    /// assert!(UtteranceTracker::new(0, 20.0).is_err());
    /// # Ok::<(), ser_fusion::Error>(())
    /// ```
    pub fn new(sr: u32, max_secs: f32) -> Result<Self> {
        if sr == 0 || !(max_secs > 0.0 && max_secs.is_finite()) {
            return Err(Error::InvalidArgument(format!(
                "utterance tracker needs sr > 0 and max_secs > 0, got {sr} Hz / {max_secs} s"
            )));
        }
        Ok(Self {
            sr,
            max_len: (max_secs as f64 * sr as f64).round().max(1.0) as usize,
            buf: Vec::new(),
            buf_start: 0,
            open: None,
        })
    }

    /// Samples kept (for tests and memory accounting).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Appends `chunk` and takes the `windows` the stream produced after it; returns the
    /// utterances they closed.
    pub fn push(&mut self, chunk: &[f32], windows: &[WindowEstimate]) -> Vec<Utterance> {
        self.buf.extend_from_slice(chunk);
        let mut done = Vec::new();
        for w in windows {
            match &w.prediction {
                Some(p) => {
                    if let Some(o) = &self.open {
                        if w.start_sample > o.end || w.end_sample - o.start > self.max_len {
                            done.extend(self.close());
                        }
                    }
                    let (labels, probs): (Vec<String>, Vec<f32>) =
                        p.probabilities.iter().cloned().unzip();
                    let o = self.open.get_or_insert_with(|| Open {
                        start: w.start_sample,
                        end: w.end_sample,
                        sum: vec![0.0; probs.len()],
                        labels,
                        n: 0,
                    });
                    o.end = o.end.max(w.end_sample);
                    if o.sum.len() == probs.len() {
                        o.sum.iter_mut().zip(&probs).for_each(|(s, v)| *s += v);
                        o.n += 1;
                    }
                }
                None => done.extend(self.close()),
            }
            if self.open.is_none() {
                // The next window starts at least one hop later; keep from this window's
                // end backwards by nothing more than what a later window can start at.
                self.trim_to(w.start_sample + 1);
            }
        }
        done
    }

    /// Ends the stream: closes the open utterance (if any) and forgets all audio.
    pub fn finish(&mut self, windows: &[WindowEstimate]) -> Vec<Utterance> {
        let mut done = self.push(&[], windows);
        done.extend(self.close());
        self.buf.clear();
        self.buf_start = 0;
        done
    }

    fn trim_to(&mut self, from: usize) {
        if from > self.buf_start {
            let n = (from - self.buf_start).min(self.buf.len());
            self.buf.drain(..n);
            self.buf_start += n;
        }
    }

    fn close(&mut self) -> Option<Utterance> {
        let o = self.open.take()?;
        let end_in_buf = self.buf_start + self.buf.len();
        let (s, e) = (o.start.max(self.buf_start), o.end.min(end_in_buf));
        let samples = self.buf[s - self.buf_start..e.max(s) - self.buf_start].to_vec();
        self.trim_to(e);
        let n = o.n.max(1) as f32;
        let probs: Vec<f32> = o.sum.iter().map(|v| v / n).collect();
        let index = argmax(&probs);
        let sr = self.sr as f64;
        Some(Utterance {
            start_sample: s,
            end_sample: e,
            start: s as f64 / sr,
            end: e as f64 / sr,
            samples,
            acoustic: Prediction {
                label: o.labels.get(index).cloned().unwrap_or_default(),
                index,
                probabilities: o.labels.into_iter().zip(probs).collect(),
            },
            windows: o.n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(i: usize, hop: usize, win: usize, p: Option<[f32; 2]>) -> WindowEstimate {
        WindowEstimate {
            index: i,
            start_sample: i * hop,
            end_sample: i * hop + win,
            start: 0.0,
            end: 0.0,
            speech_ratio: 0.0,
            prediction: p.map(|p| Prediction {
                label: String::new(),
                index: 0,
                probabilities: vec![("neutral".into(), p[0]), ("anger".into(), p[1])],
            }),
        }
    }

    /// Feeds a signal whose sample values are their own indices, hop by hop, as a stream
    /// with 4-sample windows and 2-sample hops would.
    fn run(speech: &[bool], max_secs: f32) -> (Vec<Utterance>, usize) {
        let (hop, win) = (2, 4);
        let mut t = UtteranceTracker::new(1, max_secs).unwrap();
        let n = speech.len() * hop + win - hop;
        let signal: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let mut out = Vec::new();
        let mut fed = 0;
        let mut max_buf = 0;
        for (i, &s) in speech.iter().enumerate() {
            let end = i * hop + win;
            let w = window(i, hop, win, s.then_some([0.3, 0.7]));
            out.extend(t.push(&signal[fed..end], &[w]));
            fed = end;
            max_buf = max_buf.max(t.buffered());
        }
        out.extend(t.finish(&[]));
        (out, max_buf)
    }

    #[test]
    fn utterances_cut_at_pauses_with_their_audio() {
        let (u, _) = run(&[false, true, true, false, false, true, true, true], 100.0);
        assert_eq!(u.len(), 2);
        assert_eq!(
            (u[0].start_sample, u[0].end_sample, u[0].windows),
            (2, 8, 2)
        );
        assert_eq!(u[0].samples, (2..8).map(|v| v as f32).collect::<Vec<_>>());
        assert_eq!(
            (u[1].start_sample, u[1].end_sample, u[1].windows),
            (10, 18, 3)
        );
        assert_eq!(u[1].samples, (10..18).map(|v| v as f32).collect::<Vec<_>>());
        assert_eq!(u[1].acoustic.label, "anger");
        assert!((u[1].acoustic.probabilities[1].1 - 0.7).abs() < 1e-6);
    }

    #[test]
    fn long_speech_is_cut_at_max_and_memory_stays_bounded() {
        let (u, max_buf) = run(&[true; 40], 10.0);
        assert!(u.len() >= 8, "{} utterances", u.len());
        for w in u.windows(2) {
            assert!(w[0].end_sample - w[0].start_sample <= 10);
            assert!(w[1].start_sample >= w[0].start_sample);
        }
        assert_eq!(u.last().unwrap().end_sample, 40 * 2 + 2);
        assert!(max_buf <= 16, "kept {max_buf} samples");
        let (_, silent_buf) = run(&[false; 40], 10.0);
        assert!(silent_buf <= 4, "kept {silent_buf} samples of silence");
    }

    #[test]
    fn bad_settings_are_errors() {
        assert!(UtteranceTracker::new(0, 1.0).is_err());
        assert!(UtteranceTracker::new(16_000, f32::NAN).is_err());
        assert!(UtteranceTracker::new(16_000, 0.0).is_err());
    }
}
