//! Speech recognition: Whisper decoding as faster-whisper 1.x / openai-whisper do it.
//!
//! [`Transcriber::transcribe`] follows faster-whisper's `WhisperModel.transcribe` with
//! `vad_filter=False`:
//!
//! * the log-mel of the whole clip (plus 160 zero samples, as faster-whisper) is cut into
//!   30 s windows starting at `seek`; each window is encoded (by default padded with zeros to
//!   3000 frames as faster-whisper; [`EncoderInput::RealLength`] encodes only the real
//!   frames, which is much faster on short clips);
//! * language detection (multilingual checkpoints, `language: None`): softmax over the
//!   language tokens of the logits after `<|startoftranscript|>` on the first window;
//! * per window, decoding at each temperature of [`DecodeOptions::temperatures`] until the
//!   result is acceptable: greedy (`beam_size == 1`) or beam search at temperature 0,
//!   sampling `best_of` candidates above it; a result needs a fallback when its gzip
//!   [`compression_ratio`] exceeds 2.4 or its average log-probability is below −1, unless
//!   the window is silence (`no_speech_prob > 0.6` with a low log-probability);
//! * windows with `no_speech_prob > 0.6` and average log-probability < −1 are skipped;
//! * logit rules ([`LogitRules`]): `suppress_ids` always, `suppress_ids_begin` at the first
//!   step, and openai-whisper's timestamp rules (timestamps in pairs, non-decreasing, the
//!   first one at most `max_initial_timestamp` = 1 s, a timestamp forced when their summed
//!   probability beats every text token);
//! * segments are cut at consecutive timestamp tokens and `seek` advances to the last
//!   complete timestamp (or the whole window when the text ends with a single timestamp).
//!
//! Differences: language detection reuses the first window's encoder output (faster-whisper
//! encodes that window a second time with one more frame), and beam search is
//! openai-whisper's (faster-whisper's CTranslate2 beam search differs in tie-breaking
//! details).
//!
//! ```
//! use ser_whisper::{
//!     DecodeOptions, EncoderInput, Tokenizer, Transcriber, WhisperConfig, WhisperWeights,
//! };
//! # fn main() -> ser_whisper::Result<()> {
//! // A random tiny model with a byte-only vocabulary (real ones: `Transcriber::load(dir)`).
//! let tok = Tokenizer::bytes_only(&["en", "de"], true);
//! let cfg = WhisperConfig::encoder(80, 1500, 64, 2, 1)
//!     .with_decoder(tok.vocab_size(), 64, 64, 2, 1);
//! let t = Transcriber::from_weights(&WhisperWeights::random(&cfg, 0)?, tok, Default::default())?;
//! let x: Vec<f32> = (0..16000).map(|i| 0.1 * (i as f32 * 0.05).sin()).collect();
//! let opts = DecodeOptions::default()
//!     .with_beam_size(1)
//!     .with_max_new_tokens(Some(8))
//!     .with_encoder_input(EncoderInput::RealLength { min_frames: 0 });
//! let out = t.transcribe(&x, &opts)?;
//! assert!((out.duration - 1.0).abs() < 1e-6);
//! assert!(out.language == "en" || out.language == "de");
//! # Ok(())
//! # }
//! ```

use std::io::Write;
use std::path::Path;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::audio::{LogMel, HOP_LENGTH, SAMPLE_RATE};
use crate::config::WhisperWeights;
use crate::decoder::{CrossKv, KvCache, TextDecoder};
use crate::encoder::AudioEncoder;
use crate::tokenizer::{Tokenizer, TIME_PRECISION, TOKENIZER_FILE};
use crate::{Error, Result};

/// Transcribe in the spoken language or translate to English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// `<|transcribe|>`. Default.
    #[default]
    Transcribe,
    /// `<|translate|>` (to English).
    Translate,
}

/// What the encoder sees of each 30 s window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EncoderInput {
    /// The window's log-mel padded with zeros to 3000 frames (30 s), as faster-whisper and
    /// openai-whisper. Default.
    #[default]
    Padded,
    /// Only the window's real frames, padded with zeros to at least `min_frames` (at most
    /// 3000): less encoder work on short clips, but Whisper was trained on 30 s inputs and
    /// transcribes differently. Greedy transcripts equal to faster-whisper's
    /// (`scripts/whisper_asr_compare.py`): with `min_frames` 1000 (10 s) 90 % of RAVDESS
    /// clips (base and tiny.en) and 73 % of EmoDB (base); with 0 the decoder loops on
    /// repeated text for most 2–5 s clips (10 % / 0 % agree). The padded default agrees on
    /// 100 % of 120 RAVDESS (base, tiny.en) and 90 EmoDB (base) clips.
    RealLength {
        /// Minimum mel frames (100 per second).
        min_frames: usize,
    },
}

/// Decoding options, faster-whisper's names and defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// Language code (`"en"`, `"de"`, …); `None` detects it (English for English-only
    /// checkpoints). Default: `None`.
    pub language: Option<String>,
    /// Default: [`Task::Transcribe`].
    pub task: Task,
    /// Beams at temperature 0; 1 is greedy decoding. Default: 5.
    pub beam_size: usize,
    /// Candidates sampled at temperatures above 0. Default: 5.
    pub best_of: usize,
    /// Beam search stops after `round(beam_size · patience)` finished hypotheses. Default: 1.
    pub patience: f32,
    /// Ranking of finished hypotheses: `sum logprob / length^length_penalty`
    /// (CTranslate2's; 0 ranks by the sum). Default: 1.
    pub length_penalty: f32,
    /// Temperatures tried in order until a result passes the thresholds.
    /// Default: 0.0, 0.2, 0.4, 0.6, 0.8, 1.0.
    pub temperatures: Vec<f32>,
    /// Fall back when the text's gzip compression ratio is above this. Default: 2.4.
    pub compression_ratio_threshold: Option<f32>,
    /// Fall back when the average log-probability is below this. Default: −1.
    pub log_prob_threshold: Option<f32>,
    /// A window is silence when `no_speech_prob` is above this and the average
    /// log-probability below `log_prob_threshold`. Default: 0.6.
    pub no_speech_threshold: Option<f32>,
    /// Prompt each window with the previous windows' text. Default: true.
    pub condition_on_previous_text: bool,
    /// Reset that prompt after a window decoded above this temperature. Default: 0.5.
    pub prompt_reset_on_temperature: f32,
    /// Text prompted before the first window. Default: `None`.
    pub initial_prompt: Option<String>,
    /// Decode without timestamp tokens (one segment per window). Default: false.
    pub without_timestamps: bool,
    /// Latest first timestamp, in seconds. Default: 1.0.
    pub max_initial_timestamp: f32,
    /// Suppress the model's `suppress_ids_begin` (blank, end of text) at the first step.
    /// Default: true.
    pub suppress_blank: bool,
    /// Tokens never generated; `None`: the model's `suppress_ids` (non-speech symbols)
    /// plus the task / start / no-speech tokens. Default: `None`.
    pub suppress_tokens: Option<Vec<u32>>,
    /// Maximum tokens generated per window; `None`: up to the decoder's 448 positions
    /// including the prompt. Default: `None`.
    pub max_new_tokens: Option<usize>,
    /// Caps the tokens generated per window at `16 + rate × window seconds` (speech runs at
    /// about 3–6 tokens per second). Keeps a hallucinating or high-temperature fallback on a
    /// short clip or tail from sampling hundreds of tokens per candidate; `None` (faster-whisper's
    /// behaviour): no cap beyond `max_new_tokens`. Default: `None`.
    pub max_tokens_per_second: Option<f32>,
    /// Default: [`EncoderInput::Padded`].
    pub encoder_input: EncoderInput,
    /// Seed of the sampling at temperatures above 0. Default: 0.
    pub seed: u64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            language: None,
            task: Task::Transcribe,
            beam_size: 5,
            best_of: 5,
            patience: 1.0,
            length_penalty: 1.0,
            temperatures: vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
            compression_ratio_threshold: Some(2.4),
            log_prob_threshold: Some(-1.0),
            no_speech_threshold: Some(0.6),
            condition_on_previous_text: true,
            prompt_reset_on_temperature: 0.5,
            initial_prompt: None,
            without_timestamps: false,
            max_initial_timestamp: 1.0,
            suppress_blank: true,
            suppress_tokens: None,
            max_new_tokens: None,
            max_tokens_per_second: None,
            encoder_input: EncoderInput::Padded,
            seed: 0,
        }
    }
}

impl DecodeOptions {
    /// Greedy decoding at temperature 0 only, without conditioning on previous text: the
    /// setting of the agreement measurements against faster-whisper.
    pub fn greedy() -> Self {
        Self {
            beam_size: 1,
            temperatures: vec![0.0],
            condition_on_previous_text: false,
            ..Self::default()
        }
    }

    /// Sets [`language`](Self::language).
    pub fn with_language(mut self, language: Option<&str>) -> Self {
        self.language = language.map(str::to_string);
        self
    }

    /// Sets [`task`](Self::task).
    pub fn with_task(mut self, task: Task) -> Self {
        self.task = task;
        self
    }

    /// Sets [`beam_size`](Self::beam_size).
    pub fn with_beam_size(mut self, beam_size: usize) -> Self {
        self.beam_size = beam_size;
        self
    }

    /// Sets [`temperatures`](Self::temperatures).
    pub fn with_temperatures(mut self, temperatures: Vec<f32>) -> Self {
        self.temperatures = temperatures;
        self
    }

    /// Sets [`without_timestamps`](Self::without_timestamps).
    pub fn with_without_timestamps(mut self, without_timestamps: bool) -> Self {
        self.without_timestamps = without_timestamps;
        self
    }

    /// Sets [`initial_prompt`](Self::initial_prompt).
    pub fn with_initial_prompt(mut self, prompt: Option<&str>) -> Self {
        self.initial_prompt = prompt.map(str::to_string);
        self
    }

    /// Sets [`condition_on_previous_text`](Self::condition_on_previous_text).
    pub fn with_condition_on_previous_text(mut self, on: bool) -> Self {
        self.condition_on_previous_text = on;
        self
    }

    /// Sets [`max_new_tokens`](Self::max_new_tokens).
    pub fn with_max_new_tokens(mut self, n: Option<usize>) -> Self {
        self.max_new_tokens = n;
        self
    }

    /// Sets [`max_tokens_per_second`](Self::max_tokens_per_second).
    pub fn with_max_tokens_per_second(mut self, rate: Option<f32>) -> Self {
        self.max_tokens_per_second = rate;
        self
    }

    /// Sets [`encoder_input`](Self::encoder_input).
    pub fn with_encoder_input(mut self, input: EncoderInput) -> Self {
        self.encoder_input = input;
        self
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidArgument(m));
        if self.beam_size == 0 || self.best_of == 0 {
            return bad(format!(
                "beam_size {} / best_of {}: at least 1",
                self.beam_size, self.best_of
            ));
        }
        if self.temperatures.is_empty()
            || self.temperatures.iter().any(|t| !t.is_finite() || *t < 0.0)
        {
            return bad(format!(
                "temperatures {:?}: one or more finite values >= 0",
                self.temperatures
            ));
        }
        let finite = self.patience.is_finite()
            && self.patience > 0.0
            && self.length_penalty.is_finite()
            && self.max_initial_timestamp.is_finite();
        if !finite {
            return bad(
                "patience, length_penalty and max_initial_timestamp must be finite (patience > 0)"
                    .into(),
            );
        }
        if self.max_new_tokens == Some(0) {
            return bad("max_new_tokens 0".into());
        }
        if self
            .max_tokens_per_second
            .is_some_and(|r| !(r.is_finite() && r > 0.0))
        {
            return bad(format!(
                "max_tokens_per_second {:?}: finite and > 0",
                self.max_tokens_per_second
            ));
        }
        Ok(())
    }
}

/// One segment of a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Segment {
    /// Start, in seconds from the beginning of the audio.
    pub start: f32,
    /// End, in seconds.
    pub end: f32,
    /// Text (with its leading space, as Whisper writes it).
    pub text: String,
    /// Token ids, timestamps included.
    pub tokens: Vec<u32>,
    /// Average log-probability of the window's tokens (`sum / (len + 1)`).
    pub avg_logprob: f32,
    /// Probability of the no-speech token after `<|startoftranscript|>`.
    pub no_speech_prob: f32,
    /// Gzip compression ratio of the window's text.
    pub compression_ratio: f32,
    /// Temperature the window was decoded at.
    pub temperature: f32,
}

/// A transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Transcript {
    /// Language code (given, detected, or `en` for English-only checkpoints).
    pub language: String,
    /// Its probability (1 when given).
    pub language_probability: f32,
    /// The segments' text, concatenated and trimmed.
    pub text: String,
    /// Segments in time order.
    pub segments: Vec<Segment>,
    /// Audio duration in seconds.
    pub duration: f32,
}

/// Decoding settings stored with a CTranslate2 checkpoint (its `config.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenerationConfig {
    /// Tokens never generated (non-speech symbols and special tokens).
    #[serde(default)]
    pub suppress_ids: Vec<u32>,
    /// Tokens not generated at the first step (the space and `<|endoftext|>`).
    #[serde(default)]
    pub suppress_ids_begin: Vec<u32>,
    /// Language token ids.
    #[serde(default)]
    pub lang_ids: Vec<u32>,
    /// Cross-attention heads used for word alignment, `(layer, head)`.
    #[serde(default)]
    pub alignment_heads: Vec<(usize, usize)>,
}

impl GenerationConfig {
    /// Reads a CTranslate2 `config.json`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::BadModel(format!("{}: {e}", path.display())))
    }
}

/// `len(text) / len(zlib.compress(text))` on the UTF-8 bytes (openai-whisper's repetition
/// measure) with flate2's zlib-rs backend at the default level 6, whose output can be a
/// byte longer or shorter than zlib's (miniz_oxide's was up to 8 % longer). 0 for empty
/// text.
pub fn compression_ratio(text: &str) -> f32 {
    if text.is_empty() {
        return 0.0;
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let compressed = z
        .write_all(text.as_bytes())
        .and_then(|_| z.finish())
        .map(|v| v.len())
        .unwrap_or(text.len());
    text.len() as f32 / compressed.max(1) as f32
}

fn log_softmax(x: &[f32]) -> Vec<f32> {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !m.is_finite() {
        return vec![f32::NEG_INFINITY; x.len()];
    }
    let s: f64 = x.iter().map(|&v| ((v - m) as f64).exp()).sum();
    let l = m + s.ln() as f32;
    x.iter().map(|&v| v - l).collect()
}

fn logsumexp(x: &[f32]) -> f32 {
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !m.is_finite() {
        return m;
    }
    m + x.iter().map(|&v| ((v - m) as f64).exp()).sum::<f64>().ln() as f32
}

/// The logit rules applied before every choice of a token (openai-whisper's
/// `SuppressBlank`, `SuppressTokens` and `ApplyTimestampRules`, in that order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogitRules {
    /// `<|endoftext|>`.
    pub eot: u32,
    /// `<|notimestamps|>`.
    pub no_timestamps: u32,
    /// `<|0.00|>`, or `None` to decode without timestamp rules.
    pub timestamp_begin: Option<u32>,
    /// Always suppressed.
    pub suppress: Vec<u32>,
    /// Suppressed at the first step.
    pub suppress_begin: Vec<u32>,
    /// Index of the latest allowed first timestamp (`max_initial_timestamp / 0.02`).
    pub max_initial_timestamp_index: Option<u32>,
}

impl LogitRules {
    /// Applies the rules to `logits` (length `n_vocab`) of a sequence whose generated
    /// tokens (after the prompt) are `sampled`.
    pub fn apply(&self, logits: &mut [f32], sampled: &[u32]) {
        let n = logits.len();
        let kill = |range: std::ops::Range<usize>, l: &mut [f32]| {
            let r = range.start.min(n)..range.end.min(n);
            l[r].iter_mut().for_each(|v| *v = f32::NEG_INFINITY);
        };
        if sampled.is_empty() {
            for &t in &self.suppress_begin {
                kill(t as usize..t as usize + 1, logits);
            }
        }
        for &t in &self.suppress {
            kill(t as usize..t as usize + 1, logits);
        }
        let Some(tb) = self.timestamp_begin else {
            return;
        };
        let (tb, eot) = (tb as usize, self.eot as usize);
        kill(
            self.no_timestamps as usize..self.no_timestamps as usize + 1,
            logits,
        );
        let is_ts = |t: u32| t as usize >= tb;
        let last = sampled.last().is_some_and(|&t| is_ts(t));
        let penultimate = sampled.len() < 2 || is_ts(sampled[sampled.len() - 2]);
        if last {
            if penultimate {
                kill(tb..n, logits); // a pair is closed: text or end next
            } else {
                kill(0..eot, logits); // an open pair: a timestamp or the end next
            }
        }
        if let Some(&ts_last) = sampled.iter().rev().find(|&&t| is_ts(t)) {
            // Non-decreasing timestamps, and a segment of nonzero length.
            let upto = if last && !penultimate {
                ts_last as usize
            } else {
                ts_last as usize + 1
            };
            kill(tb..upto, logits);
        }
        if sampled.is_empty() {
            kill(0..tb, logits);
            if let Some(m) = self.max_initial_timestamp_index {
                kill(tb + m as usize + 1..n, logits);
            }
        }
        if tb < n {
            let lp = log_softmax(logits);
            let ts = logsumexp(&lp[tb..]);
            let text = lp[..tb].iter().copied().fold(f32::NEG_INFINITY, f32::max);
            if ts > text {
                kill(0..tb, logits);
            }
        }
    }
}

/// A model fed token by token (the decoder with its caches, or a fake in tests).
pub(crate) trait Stepper {
    /// Feeds the prompt; returns the logits at its last position and at `sot_index`.
    fn start(&mut self, prompt: &[u32], sot_index: usize) -> Result<(Vec<f32>, Vec<f32>)>;
    /// Keeps sequences `sources` (indices into the current batch) and feeds `tokens`, one
    /// per kept sequence; returns each sequence's logits.
    fn step(&mut self, sources: &[usize], tokens: &[u32]) -> Result<Vec<Vec<f32>>>;
}

struct DecoderStepper<'a> {
    decoder: &'a TextDecoder,
    cross: &'a CrossKv,
    cache: KvCache,
}

impl Stepper for DecoderStepper<'_> {
    fn start(&mut self, prompt: &[u32], sot_index: usize) -> Result<(Vec<f32>, Vec<f32>)> {
        self.cache = self.decoder.new_cache();
        let last = prompt.len().saturating_sub(1);
        let l = self
            .decoder
            .forward_rows(prompt, 1, &mut self.cache, self.cross, &[last, sot_index])?
            .squeeze(0)?
            .to_vec2::<f32>()?;
        let mut it = l.into_iter();
        match (it.next(), it.next()) {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(Error::InvalidInput("empty prompt".into())),
        }
    }

    fn step(&mut self, sources: &[usize], tokens: &[u32]) -> Result<Vec<Vec<f32>>> {
        self.cache.reorder(sources)?;
        let l = self
            .decoder
            .forward(tokens, tokens.len(), &mut self.cache, self.cross)?;
        Ok(l.to_vec2::<f32>()?)
    }
}

/// A decoded sequence (without `<|endoftext|>`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hypothesis {
    pub tokens: Vec<u32>,
    /// Sum of the tokens' log-probabilities, the end token's included when it ended.
    pub sum_logprob: f32,
}

fn score(h: &Hypothesis, length_penalty: f32) -> f32 {
    let len = h.tokens.len().max(1) as f32;
    h.sum_logprob / len.powf(length_penalty)
}

/// xorshift64* for sampling.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] {
            best = i;
        }
    }
    best
}

/// Greedy decoding (`temperature == 0`, one sequence) or sampling of `n` independent
/// sequences; returns the best by [`score`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn sample_decode(
    model: &mut dyn Stepper,
    prompt: &[u32],
    sot_index: usize,
    rules: &LogitRules,
    temperature: f32,
    n: usize,
    max_new: usize,
    length_penalty: f32,
    rng_seed: u64,
) -> Result<(Hypothesis, Vec<f32>)> {
    let n = if temperature > 0.0 { n.max(1) } else { 1 };
    let (first, at_sot) = model.start(prompt, sot_index)?;
    let mut rng = Rng::new(rng_seed);
    let mut hyps = vec![
        Hypothesis {
            tokens: Vec::new(),
            sum_logprob: 0.0
        };
        n
    ];
    let mut live: Vec<usize> = (0..n).collect();
    let mut logits = vec![first; 1];
    let mut rows: Vec<usize> = vec![0; n]; // live sequence -> row of `logits`
    for _ in 0..max_new {
        let mut next_live = Vec::with_capacity(live.len());
        let mut sources = Vec::with_capacity(live.len());
        let mut tokens = Vec::with_capacity(live.len());
        for (j, &k) in live.iter().enumerate() {
            let mut l = logits[rows[j]].clone();
            rules.apply(&mut l, &hyps[k].tokens);
            let lp = log_softmax(&l);
            let tok = if temperature > 0.0 {
                // The maximum once (not per element: that was O(vocabulary²) per token).
                let top = argmax(&l);
                let max = l[top];
                let p: Vec<f64> = l
                    .iter()
                    .map(|&v| ((v - max) as f64 / temperature as f64).exp())
                    .collect();
                let total: f64 = p.iter().sum();
                let mut u = rng.uniform() * total;
                let mut t = top;
                for (i, &pi) in p.iter().enumerate() {
                    if pi > 0.0 {
                        if u < pi {
                            t = i;
                            break;
                        }
                        u -= pi;
                    }
                }
                t
            } else {
                argmax(&l)
            };
            if !lp[tok].is_finite() {
                continue; // every token suppressed: stop this sequence
            }
            hyps[k].sum_logprob += lp[tok];
            if tok as u32 == rules.eot {
                continue;
            }
            hyps[k].tokens.push(tok as u32);
            next_live.push(k);
            sources.push(rows[j]);
            tokens.push(tok as u32);
        }
        if next_live.is_empty() {
            break;
        }
        live = next_live;
        if hyps[live[0]].tokens.len() >= max_new {
            break;
        }
        logits = model.step(&sources, &tokens)?;
        rows = (0..live.len()).collect();
    }
    let best = hyps
        .into_iter()
        .max_by(|a, b| score(a, length_penalty).total_cmp(&score(b, length_penalty)))
        .unwrap_or(Hypothesis {
            tokens: Vec::new(),
            sum_logprob: 0.0,
        });
    Ok((best, at_sot))
}

/// openai-whisper's beam search at temperature 0: each live beam proposes its
/// `beam_size + 1` most likely tokens, the `beam_size` best unfinished candidates stay
/// live, finished ones are collected until `round(beam_size · patience)` are found; the
/// best finished hypothesis by [`score`] wins (live ones if none finished).
#[allow(clippy::too_many_arguments)]
pub(crate) fn beam_decode(
    model: &mut dyn Stepper,
    prompt: &[u32],
    sot_index: usize,
    rules: &LogitRules,
    beam_size: usize,
    patience: f32,
    max_new: usize,
    length_penalty: f32,
) -> Result<(Hypothesis, Vec<f32>)> {
    let max_candidates = ((beam_size as f32 * patience).round() as usize).max(1);
    let (first, at_sot) = model.start(prompt, sot_index)?;
    let mut live = vec![Hypothesis {
        tokens: Vec::new(),
        sum_logprob: 0.0,
    }];
    let mut logits = vec![first];
    let mut finished: Vec<Hypothesis> = Vec::new();
    for _ in 0..max_new {
        // (score, beam, token)
        let mut cands: Vec<(f32, usize, u32)> = Vec::new();
        for (i, h) in live.iter().enumerate() {
            let mut l = logits[i].clone();
            rules.apply(&mut l, &h.tokens);
            let lp = log_softmax(&l);
            let mut idx: Vec<usize> = (0..lp.len()).filter(|&t| lp[t].is_finite()).collect();
            let k = (beam_size + 1).min(idx.len());
            if k == 0 {
                continue;
            }
            idx.select_nth_unstable_by(k - 1, |&a, &b| lp[b].total_cmp(&lp[a]).then(a.cmp(&b)));
            for &t in &idx[..k] {
                cands.push((h.sum_logprob + lp[t], i, t as u32));
            }
        }
        if cands.is_empty() {
            break;
        }
        cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut next: Vec<Hypothesis> = Vec::with_capacity(beam_size);
        let mut sources = Vec::with_capacity(beam_size);
        let mut ended: Vec<Hypothesis> = Vec::new();
        for &(s, i, t) in &cands {
            if t == rules.eot {
                ended.push(Hypothesis {
                    tokens: live[i].tokens.clone(),
                    sum_logprob: s,
                });
            } else {
                let mut tokens = live[i].tokens.clone();
                tokens.push(t);
                next.push(Hypothesis {
                    tokens,
                    sum_logprob: s,
                });
                sources.push(i);
                if next.len() == beam_size {
                    break;
                }
            }
        }
        for h in ended {
            if finished.len() >= max_candidates {
                break;
            }
            finished.push(h);
        }
        if finished.len() >= max_candidates || next.is_empty() {
            live = next;
            break;
        }
        let tokens: Vec<u32> = next
            .iter()
            .map(|h| *h.tokens.last().unwrap_or(&0))
            .collect();
        live = next;
        if live[0].tokens.len() >= max_new {
            break;
        }
        logits = model.step(&sources, &tokens)?;
    }
    let pool = if finished.is_empty() { live } else { finished };
    let best = pool
        .into_iter()
        .max_by(|a, b| {
            score(a, length_penalty)
                .total_cmp(&score(b, length_penalty))
                // ties: the earlier (max_by keeps the last maximum, so reverse)
                .then(std::cmp::Ordering::Greater)
        })
        .unwrap_or(Hypothesis {
            tokens: Vec::new(),
            sum_logprob: 0.0,
        });
    Ok((best, at_sot))
}

/// Result of decoding one window at one temperature.
#[derive(Debug, Clone)]
struct WindowResult {
    tokens: Vec<u32>,
    avg_logprob: f32,
    no_speech_prob: f32,
    temperature: f32,
    compression_ratio: f32,
}

/// Whisper speech recognition (see the module docs).
#[derive(Debug, Clone)]
pub struct Transcriber {
    logmel: LogMel,
    encoder: AudioEncoder,
    decoder: TextDecoder,
    tokenizer: Tokenizer,
    generation: GenerationConfig,
}

impl Transcriber {
    /// Loads a CTranslate2 / faster-whisper model directory (`model.bin`, `tokenizer.json`,
    /// `config.json`). An encoder-only directory gives [`Error::NoDecoder`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let weights = WhisperWeights::load(dir)?;
        if !weights.config.has_decoder() {
            return Err(Error::NoDecoder {
                path: weights.source,
            });
        }
        let dir = if dir.is_file() {
            dir.parent().unwrap_or(Path::new("."))
        } else {
            dir
        };
        let tokenizer = Tokenizer::from_file(dir.join(TOKENIZER_FILE))?;
        let cfg = dir.join("config.json");
        let generation = if cfg.is_file() {
            GenerationConfig::from_file(cfg)?
        } else {
            GenerationConfig::default()
        };
        Self::from_weights(&weights, tokenizer, generation)
    }

    /// Builds a transcriber from loaded weights, their tokenizer and generation settings.
    pub fn from_weights(
        w: &WhisperWeights,
        tokenizer: Tokenizer,
        generation: GenerationConfig,
    ) -> Result<Self> {
        let decoder = TextDecoder::from_weights(w)?;
        tokenizer.special()?;
        if tokenizer.vocab_size() != w.config.n_vocab {
            return Err(Error::BadModel(format!(
                "the tokenizer has {} tokens with timestamps, the decoder {}",
                tokenizer.vocab_size(),
                w.config.n_vocab
            )));
        }
        if w.config.n_text_state != w.config.n_audio_state {
            return Err(Error::BadModel(format!(
                "decoder width {} != encoder width {}",
                w.config.n_text_state, w.config.n_audio_state
            )));
        }
        Ok(Self {
            logmel: LogMel::new(w.config.n_mels)?,
            encoder: AudioEncoder::from_weights(w)?,
            decoder,
            tokenizer,
            generation,
        })
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The decoder.
    pub fn decoder(&self) -> &TextDecoder {
        &self.decoder
    }

    /// The encoder.
    pub fn encoder(&self) -> &AudioEncoder {
        &self.encoder
    }

    /// True for multilingual checkpoints (language detection and `language` apply).
    pub fn is_multilingual(&self) -> bool {
        self.tokenizer.is_multilingual()
    }

    /// Log-mel of the samples as faster-whisper computes it (160 zero samples appended);
    /// returns it with the number of content frames (all but the last).
    fn features(&self, samples: &[f32]) -> Result<(ndarray::Array2<f32>, usize)> {
        if samples.len() < HOP_LENGTH {
            return Err(Error::InvalidInput(format!(
                "{} samples: transcription needs at least {HOP_LENGTH} (one 10 ms frame at 16 kHz)",
                samples.len()
            )));
        }
        if let Some(i) = samples.iter().position(|x| !x.is_finite()) {
            return Err(Error::InvalidInput(format!("sample {i} is not finite")));
        }
        let mut padded = Vec::with_capacity(samples.len() + HOP_LENGTH);
        padded.extend_from_slice(samples);
        padded.resize(samples.len() + HOP_LENGTH, 0.0);
        let mel = self.logmel.compute(&padded)?;
        let content = mel.ncols().saturating_sub(1);
        Ok((mel, content))
    }

    /// Encodes mel frames `seek..seek + size` as `input` says; returns the decoder's
    /// cross-attention keys and values.
    fn encode_window(
        &self,
        mel: &ndarray::Array2<f32>,
        seek: usize,
        size: usize,
        input: EncoderInput,
    ) -> Result<CrossKv> {
        let max = 2 * self.encoder.config().n_audio_ctx;
        let frames = match input {
            EncoderInput::Padded => max,
            EncoderInput::RealLength { min_frames } => size.max(min_frames).max(2).min(max),
        };
        let n_mels = mel.nrows();
        let mut buf = vec![0f32; n_mels * frames];
        let take = size.min(frames);
        for (m, row) in mel.rows().into_iter().enumerate() {
            for (j, &v) in row.iter().skip(seek).take(take).enumerate() {
                buf[m * frames + j] = v;
            }
        }
        let t = Tensor::from_vec(buf, (1, n_mels, frames), &Device::Cpu)?;
        let out = self.encoder.forward(&t)?;
        self.decoder.cross_kv(out.last())
    }

    /// Language probabilities (best first) from the logits after `<|startoftranscript|>`.
    fn language_probs(&self, cross: &CrossKv) -> Result<Vec<(String, f32)>> {
        let sp = self.tokenizer.special()?;
        let mut cache = self.decoder.new_cache();
        let logits = self
            .decoder
            .forward(&[sp.sot], 1, &mut cache, cross)?
            .squeeze(0)?
            .to_vec1::<f32>()?;
        let langs: Vec<f32> = sp
            .languages
            .iter()
            .map(|(_, id)| {
                logits
                    .get(*id as usize)
                    .copied()
                    .unwrap_or(f32::NEG_INFINITY)
            })
            .collect();
        let lp = log_softmax(&langs);
        let mut out: Vec<(String, f32)> = sp
            .languages
            .iter()
            .zip(lp)
            .map(|((c, _), l)| (c.clone(), l.exp()))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(out)
    }

    /// Language probabilities (best first) of the first 30 s of 16 kHz `samples`;
    /// `[("en", 1.0)]` for English-only checkpoints.
    pub fn detect_language(
        &self,
        samples: &[f32],
        input: EncoderInput,
    ) -> Result<Vec<(String, f32)>> {
        let (mel, content) = self.features(samples)?;
        if !self.is_multilingual() {
            return Ok(vec![("en".into(), 1.0)]);
        }
        let size = content.min(2 * self.encoder.config().n_audio_ctx);
        let cross = self.encode_window(&mel, 0, size.max(1), input)?;
        self.language_probs(&cross)
    }

    fn rules(&self, opts: &DecodeOptions) -> Result<LogitRules> {
        let sp = self.tokenizer.special()?;
        let mut suppress = match &opts.suppress_tokens {
            Some(v) => v.clone(),
            None => self.generation.suppress_ids.clone(),
        };
        suppress.extend([
            sp.transcribe,
            sp.translate,
            sp.sot,
            sp.sot_prev,
            sp.sot_lm,
            sp.no_speech,
        ]);
        suppress.sort_unstable();
        suppress.dedup();
        let suppress_begin = if !opts.suppress_blank {
            Vec::new()
        } else if self.generation.suppress_ids_begin.is_empty() {
            let mut b = self.tokenizer.encode(" ")?;
            b.push(sp.eot);
            b
        } else {
            self.generation.suppress_ids_begin.clone()
        };
        Ok(LogitRules {
            eot: sp.eot,
            no_timestamps: sp.no_timestamps,
            timestamp_begin: (!opts.without_timestamps).then_some(sp.timestamp_begin),
            suppress,
            suppress_begin,
            max_initial_timestamp_index: Some(
                (opts.max_initial_timestamp / TIME_PRECISION).round() as u32,
            ),
        })
    }

    /// Decodes one window with temperature fallback (faster-whisper's
    /// `generate_with_fallback`).
    fn generate_with_fallback(
        &self,
        cross: &CrossKv,
        prompt: &[u32],
        sot_index: usize,
        rules: &LogitRules,
        opts: &DecodeOptions,
        window: usize,
    ) -> Result<WindowResult> {
        let ctx = self.decoder.config().n_text_ctx;
        let room = ctx.saturating_sub(prompt.len());
        if room == 0 {
            return Err(Error::InvalidArgument(format!(
                "prompt of {} tokens leaves no room in {ctx} positions",
                prompt.len()
            )));
        }
        let max_new = opts.max_new_tokens.unwrap_or(room).min(room);
        let no_speech_id = self.tokenizer.special()?.no_speech as usize;
        let mut all: Vec<WindowResult> = Vec::new();
        let mut below_cr: Vec<WindowResult> = Vec::new();
        for (ti, &t) in opts.temperatures.iter().enumerate() {
            let mut model = DecoderStepper {
                decoder: &self.decoder,
                cross,
                cache: self.decoder.new_cache(),
            };
            let (hyp, at_sot) = if t > 0.0 || opts.beam_size == 1 {
                let seed = opts.seed ^ ((window as u64) << 20) ^ ti as u64;
                sample_decode(
                    &mut model,
                    prompt,
                    sot_index,
                    rules,
                    t,
                    opts.best_of,
                    max_new,
                    opts.length_penalty,
                    seed,
                )?
            } else {
                beam_decode(
                    &mut model,
                    prompt,
                    sot_index,
                    rules,
                    opts.beam_size,
                    opts.patience,
                    max_new,
                    opts.length_penalty,
                )?
            };
            let no_speech_prob = log_softmax(&at_sot)
                .get(no_speech_id)
                .map_or(0.0, |l| l.exp());
            let text = self.tokenizer.decode(&text_tokens(&hyp.tokens, rules.eot));
            let r = WindowResult {
                avg_logprob: hyp.sum_logprob / (hyp.tokens.len() + 1) as f32,
                compression_ratio: compression_ratio(text.trim()),
                tokens: hyp.tokens,
                no_speech_prob,
                temperature: t,
            };
            let mut fallback = false;
            if let Some(th) = opts.compression_ratio_threshold {
                if r.compression_ratio > th {
                    fallback = true;
                } else {
                    below_cr.push(r.clone());
                }
            }
            if let Some(th) = opts.log_prob_threshold {
                if r.avg_logprob < th {
                    fallback = true;
                }
            }
            if let (Some(ns), Some(lp)) = (opts.no_speech_threshold, opts.log_prob_threshold) {
                if r.no_speech_prob > ns && r.avg_logprob < lp {
                    fallback = false; // silence
                }
            }
            all.push(r.clone());
            if !fallback {
                return Ok(r);
            }
        }
        let last_t = *opts.temperatures.last().unwrap_or(&0.0);
        let pool = if below_cr.is_empty() { all } else { below_cr };
        let mut best = pool
            .into_iter()
            .reduce(|a, b| if b.avg_logprob > a.avg_logprob { b } else { a })
            .ok_or_else(|| Error::InvalidArgument("no temperatures".into()))?;
        best.temperature = last_t;
        Ok(best)
    }

    /// Transcribes 16 kHz mono `samples` (at least 160, any length; windows of 30 s).
    ///
    /// Errors: [`Error::InvalidInput`] for fewer than 160 samples or non-finite ones,
    /// [`Error::InvalidArgument`] for bad options, [`Error::UnknownLanguage`] for a
    /// language the checkpoint lacks.
    pub fn transcribe(&self, samples: &[f32], opts: &DecodeOptions) -> Result<Transcript> {
        opts.validate()?;
        let sp = self.tokenizer.special()?.clone();
        let (mel, content_frames) = self.features(samples)?;
        let duration = samples.len() as f32 / SAMPLE_RATE as f32;
        let n_window = 2 * self.encoder.config().n_audio_ctx;
        let frames_per_second = SAMPLE_RATE as f32 / HOP_LENGTH as f32;
        let multilingual = self.is_multilingual();
        let mut first_cross: Option<CrossKv> = None;
        let (language, language_probability) = match (&opts.language, multilingual) {
            (_, false) => {
                if let Some(l) = &opts.language {
                    if l != "en" {
                        return Err(Error::UnknownLanguage(format!(
                            "{l} (English-only checkpoint)"
                        )));
                    }
                }
                ("en".to_string(), 1.0)
            }
            (Some(l), true) => {
                self.tokenizer.language_token(l)?;
                (l.clone(), 1.0)
            }
            (None, true) => {
                let size = content_frames.min(n_window).max(1);
                let cross = self.encode_window(&mel, 0, size, opts.encoder_input)?;
                let probs = self.language_probs(&cross)?;
                first_cross = Some(cross);
                probs
                    .into_iter()
                    .next()
                    .ok_or_else(|| Error::BadModel("no language tokens".into()))?
            }
        };
        let mut sot_sequence = vec![sp.sot];
        if multilingual {
            sot_sequence.push(self.tokenizer.language_token(&language)?);
            sot_sequence.push(match opts.task {
                Task::Transcribe => sp.transcribe,
                Task::Translate => sp.translate,
            });
        }
        let rules = self.rules(opts)?;
        let half_ctx = self.decoder.config().n_text_ctx / 2;
        let mut all_tokens: Vec<u32> = Vec::new();
        if let Some(p) = &opts.initial_prompt {
            all_tokens.extend(self.tokenizer.encode(&format!(" {}", p.trim()))?);
        }
        let mut prompt_reset_since = 0;
        let mut segments = Vec::new();
        let mut seek = 0usize;
        let mut window = 0usize;
        while seek < content_frames {
            let time_offset = seek as f32 / frames_per_second;
            let segment_size = n_window.min(content_frames - seek);
            let segment_duration = segment_size as f32 / frames_per_second;
            let cross = match first_cross.take() {
                Some(c) if seek == 0 => c,
                _ => self.encode_window(&mel, seek, segment_size, opts.encoder_input)?,
            };
            let previous = &all_tokens[prompt_reset_since..];
            let mut prompt = Vec::new();
            if !previous.is_empty() {
                prompt.push(sp.sot_prev);
                let keep = previous.len().min(half_ctx.saturating_sub(1));
                prompt.extend_from_slice(&previous[previous.len() - keep..]);
            }
            let sot_index = prompt.len();
            prompt.extend_from_slice(&sot_sequence);
            if opts.without_timestamps {
                prompt.push(sp.no_timestamps);
            }
            let capped;
            let window_opts = match opts.max_tokens_per_second {
                Some(rate) => {
                    let cap = 16 + (rate * segment_duration).ceil() as usize;
                    capped = DecodeOptions {
                        max_new_tokens: Some(opts.max_new_tokens.map_or(cap, |m| m.min(cap))),
                        ..opts.clone()
                    };
                    &capped
                }
                None => opts,
            };
            let r = self.generate_with_fallback(
                &cross,
                &prompt,
                sot_index,
                &rules,
                window_opts,
                window,
            )?;
            window += 1;
            if let Some(ns) = opts.no_speech_threshold {
                let mut skip = r.no_speech_prob > ns;
                if let Some(lp) = opts.log_prob_threshold {
                    if r.avg_logprob > lp {
                        skip = false;
                    }
                }
                if skip {
                    seek += segment_size;
                    continue;
                }
            }
            let (pieces, new_seek) = split_by_timestamps(
                &r.tokens,
                sp.timestamp_begin,
                time_offset,
                segment_size,
                segment_duration,
                seek,
            );
            for (start, end, tokens) in pieces {
                let text = self.tokenizer.decode(&text_tokens(&tokens, sp.eot));
                if start == end || text.trim().is_empty() {
                    continue;
                }
                all_tokens.extend_from_slice(&tokens);
                // The model may place the last timestamp past the clip's end (its window
                // is padded to 30 s); a segment never ends after the audio does.
                segments.push(Segment {
                    start: start.min(duration),
                    end: end.min(duration),
                    text,
                    tokens,
                    avg_logprob: r.avg_logprob,
                    no_speech_prob: r.no_speech_prob,
                    compression_ratio: r.compression_ratio,
                    temperature: r.temperature,
                });
            }
            // Always advance, even on a degenerate result.
            seek = new_seek.max(seek + 1);
            if !opts.condition_on_previous_text || r.temperature > opts.prompt_reset_on_temperature
            {
                prompt_reset_since = all_tokens.len();
            }
        }
        let text = segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<String>()
            .trim()
            .to_string();
        Ok(Transcript {
            language,
            language_probability,
            text,
            segments,
            duration,
        })
    }
}

/// Tokens below `<|endoftext|>` (text only).
fn text_tokens(tokens: &[u32], eot: u32) -> Vec<u32> {
    tokens.iter().copied().filter(|&t| t < eot).collect()
}

/// A window's tokens cut into `(start, end, tokens)` segments at consecutive timestamps,
/// and the next `seek` (faster-whisper's `_split_segments_by_timestamps`).
pub fn split_by_timestamps(
    tokens: &[u32],
    timestamp_begin: u32,
    time_offset: f32,
    segment_size: usize,
    segment_duration: f32,
    seek: usize,
) -> (Vec<(f32, f32, Vec<u32>)>, usize) {
    const INPUT_STRIDE: usize = 2;
    let is_ts = |t: u32| t >= timestamp_begin;
    let n = tokens.len();
    let single_ending = n >= 2 && !is_ts(tokens[n - 2]) && is_ts(tokens[n - 1]);
    let consecutive: Vec<usize> = (1..n)
        .filter(|&i| is_ts(tokens[i]) && is_ts(tokens[i - 1]))
        .collect();
    let time = |t: u32| time_offset + (t - timestamp_begin) as f32 * TIME_PRECISION;
    let mut out = Vec::new();
    if !consecutive.is_empty() {
        let mut slices = consecutive;
        if single_ending {
            slices.push(n);
        }
        let mut last = 0;
        for &cur in &slices {
            let s = &tokens[last..cur];
            out.push((time(s[0]), time(s[s.len() - 1]), s.to_vec()));
            last = cur;
        }
        let seek = if single_ending {
            seek + segment_size
        } else {
            seek + (tokens[last - 1] - timestamp_begin) as usize * INPUT_STRIDE
        };
        (out, seek)
    } else {
        let mut duration = segment_duration;
        if let Some(&l) = tokens.iter().rev().find(|&&t| is_ts(t)) {
            if l != timestamp_begin {
                duration = (l - timestamp_begin) as f32 * TIME_PRECISION;
            }
        }
        out.push((time_offset, time_offset + duration, tokens.to_vec()));
        (out, seek + segment_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WhisperConfig;

    const NEG: f32 = f32::NEG_INFINITY;

    /// Vocabulary of the rule tests: text 0..10, eot 10, notimestamps 11, timestamps 12..20.
    fn rules() -> LogitRules {
        LogitRules {
            eot: 10,
            no_timestamps: 11,
            timestamp_begin: Some(12),
            suppress: vec![3],
            suppress_begin: vec![1, 10],
            max_initial_timestamp_index: Some(2),
        }
    }

    fn allowed(l: &[f32]) -> Vec<usize> {
        (0..l.len()).filter(|&i| l[i] > NEG).collect()
    }

    #[test]
    fn compression_ratio_matches_zlib() {
        // Python: len(b) / len(zlib.compress(b)).
        for (text, want) in [
            ("Hello world", 11.0 / 19.0),
            (
                "I can't believe you did that again. This is wonderful news.",
                59.0 / 65.0,
            ),
            ("Der Lappen liegt auf dem Eisschrank.", 36.0 / 44.0),
        ] {
            let got = compression_ratio(text);
            // zlib-rs (zlib-ng's algorithm) may differ from zlib by a byte.
            assert!((got - want).abs() < 0.02, "{text}: {got} vs {want}");
        }
        let rep = "na ".repeat(100);
        assert!(compression_ratio(&rep) > 2.4 * 5.0);
        assert_eq!(compression_ratio(""), 0.0);
    }

    #[test]
    fn first_step_needs_an_early_timestamp() {
        let mut l = vec![0.0; 20];
        rules().apply(&mut l, &[]);
        // Text, eot, notimestamps suppressed; timestamps 0.00..=0.04 only.
        assert_eq!(allowed(&l), vec![12, 13, 14]);
    }

    #[test]
    fn suppression_without_timestamps() {
        let mut r = rules();
        r.timestamp_begin = None;
        let mut l = vec![0.0; 20];
        r.apply(&mut l, &[]);
        assert!(l[1] == NEG && l[10] == NEG && l[3] == NEG && l[0] == 0.0);
        let mut l = vec![0.0; 20];
        r.apply(&mut l, &[0]);
        assert!(l[1] == 0.0 && l[10] == 0.0 && l[3] == NEG);
    }

    #[test]
    fn timestamps_come_in_pairs_and_never_decrease() {
        let r = rules();
        // Text likelier than timestamps, so the summed-probability rule stays out of the way.
        let logits = || {
            let mut l = vec![0.0f32; 20];
            l[..10].iter_mut().for_each(|v| *v = 3.0);
            l
        };
        // After <|0.04|> text: text or a timestamp >= 0.04 or eot.
        let mut l = logits();
        r.apply(&mut l, &[14, 5]);
        assert!(l[5] == 3.0 && l[10] == 0.0 && l[12] == NEG && l[13] == NEG);
        assert!(l[14] == NEG, "a segment needs nonzero length: last + 1");
        assert!(l[15] == 0.0);
        // An open pair <|0.04|> text <|0.10|>: no text next (timestamp or eot).
        let mut l = logits();
        r.apply(&mut l, &[14, 5, 17]);
        // (eot is allowed too, but the three timestamps' summed mass beats it here.)
        assert_eq!(
            allowed(&l),
            vec![17, 18, 19],
            "the closing pair may repeat the last timestamp"
        );
        let mut l = logits();
        l[10] = 3.0;
        r.apply(&mut l, &[14, 5, 17]);
        assert_eq!(allowed(&l), vec![10, 17, 18, 19]);
        // A closed pair <|0.10|><|0.10|>: text next, no timestamp.
        let mut l = logits();
        r.apply(&mut l, &[14, 5, 17, 17]);
        assert!(allowed(&l).iter().all(|&i| i < 12));
    }

    #[test]
    fn timestamp_forced_when_their_mass_beats_text() {
        let r = rules();
        // Every timestamp at 1.0, best text at 2.0: the 8 timestamps' log-sum (1 + ln 8 =
        // 3.08) beats 2.0, so text is suppressed.
        let mut l = vec![1.0; 20];
        l[5] = 2.0;
        r.apply(&mut l, &[14, 5]);
        assert!(allowed(&l).iter().all(|&i| i >= 10), "{:?}", allowed(&l));
        let mut l = vec![1.0; 20];
        l[5] = 4.0;
        r.apply(&mut l, &[14, 5]);
        assert!(l[5] == 4.0);
    }

    #[test]
    fn segments_split_at_consecutive_timestamps() {
        let tb = 100;
        // <|0.00|> a b <|1.00|><|1.00|> c <|2.00|>  (single ending: seek the whole window)
        let t = [100, 1, 2, 150, 150, 3, 200];
        let (s, seek) = split_by_timestamps(&t, tb, 10.0, 3000, 30.0, 1000);
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].0, s[0].1, s[0].2.clone()),
            (10.0, 11.0, vec![100, 1, 2, 150])
        );
        assert_eq!((s[1].0, s[1].1), (11.0, 12.0));
        assert_eq!(seek, 4000);
        // Unfinished last segment: seek to the last complete timestamp (1.00 s = 100 frames).
        let t = [100, 1, 150, 150, 3];
        let (s, seek) = split_by_timestamps(&t, tb, 0.0, 3000, 30.0, 0);
        assert_eq!(s.len(), 1);
        assert_eq!(seek, 100);
        // No pair: one segment up to the last timestamp.
        let t = [100, 1, 2, 160];
        let (s, seek) = split_by_timestamps(&t, tb, 0.0, 500, 5.0, 0);
        assert_eq!(s.len(), 1);
        assert!((s[0].1 - 1.2).abs() < 1e-6);
        assert_eq!(seek, 500);
    }

    /// A fake model whose next-token distribution depends on the last token only:
    /// after the prompt (last token 9) `0` is likelier than `1`, but after `0` every
    /// continuation is poor while `1` is followed by a sure end.
    struct Fake {
        batch: Vec<u32>,
    }

    fn fake_logits(last: u32) -> Vec<f32> {
        let mut p = [1e-6f32; 5]; // tokens 0..3 text, 4 = eot
        match last {
            9 => {
                p[0] = 0.55;
                p[1] = 0.45;
            }
            0 => {
                p[0] = 0.25;
                p[1] = 0.25;
                p[2] = 0.25;
                p[4] = 0.25;
            }
            _ => p[4] = 0.999,
        }
        p.iter().map(|v| v.ln()).collect()
    }

    impl Stepper for Fake {
        fn start(&mut self, prompt: &[u32], _sot: usize) -> Result<(Vec<f32>, Vec<f32>)> {
            let last = *prompt.last().unwrap_or(&9);
            self.batch = vec![last];
            Ok((fake_logits(last), fake_logits(last)))
        }

        fn step(&mut self, sources: &[usize], tokens: &[u32]) -> Result<Vec<Vec<f32>>> {
            assert_eq!(sources.len(), tokens.len());
            assert!(sources.iter().all(|&s| s < self.batch.len()));
            self.batch = tokens.to_vec();
            Ok(tokens.iter().map(|&t| fake_logits(t)).collect())
        }
    }

    fn fake_rules() -> LogitRules {
        LogitRules {
            eot: 4,
            no_timestamps: 5,
            timestamp_begin: None,
            suppress: vec![],
            suppress_begin: vec![],
            max_initial_timestamp_index: None,
        }
    }

    #[test]
    fn beam_search_finds_what_greedy_misses() {
        let r = fake_rules();
        let (g, _) =
            sample_decode(&mut Fake { batch: vec![] }, &[9], 0, &r, 0.0, 1, 10, 1.0, 0).unwrap();
        assert_eq!(g.tokens[0], 0, "greedy takes the locally best token");
        let (b, _) =
            beam_decode(&mut Fake { batch: vec![] }, &[9], 0, &r, 3, 1.0, 10, 1.0).unwrap();
        assert_eq!(b.tokens, vec![1]);
        // log-softmax renormalises the fake's probabilities (they sum to 1 + 3e-6).
        let want = 0.45f32.ln() + 0.999f32.ln();
        assert!((b.sum_logprob - want).abs() < 2e-3, "{}", b.sum_logprob);
        assert!(b.sum_logprob > g.sum_logprob);
        // Sampling is seeded and reproducible.
        let s = |seed| {
            sample_decode(
                &mut Fake { batch: vec![] },
                &[9],
                0,
                &r,
                1.0,
                4,
                10,
                1.0,
                seed,
            )
            .unwrap()
            .0
        };
        assert_eq!(s(7), s(7));
    }

    #[test]
    fn max_new_tokens_bounds_the_search() {
        let r = fake_rules();
        let mut f = Fake { batch: vec![] };
        // From token 0 the fake never ends with more than 0.25; cap at 2 tokens.
        let (h, _) = sample_decode(&mut f, &[0], 0, &r, 0.0, 1, 2, 1.0, 0).unwrap();
        assert!(h.tokens.len() <= 2);
        let (h, _) = beam_decode(&mut f, &[0], 0, &r, 2, 1.0, 2, 1.0).unwrap();
        assert!(h.tokens.len() <= 2);
    }

    fn tiny() -> Transcriber {
        let tok = Tokenizer::bytes_only(&["en", "de"], true);
        let cfg =
            WhisperConfig::encoder(80, 1500, 64, 2, 1).with_decoder(tok.vocab_size(), 64, 64, 2, 1);
        let w = WhisperWeights::random(&cfg, 1).unwrap();
        Transcriber::from_weights(&w, tok, GenerationConfig::default()).unwrap()
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let t = tiny();
        let o = DecodeOptions::greedy()
            .with_max_new_tokens(Some(4))
            .with_encoder_input(EncoderInput::RealLength { min_frames: 0 });
        assert!(matches!(t.transcribe(&[], &o), Err(Error::InvalidInput(_))));
        assert!(matches!(
            t.transcribe(&[0.1; 100], &o),
            Err(Error::InvalidInput(_))
        ));
        let mut x = vec![0.1f32; 8000];
        x[17] = f32::NAN;
        assert!(matches!(t.transcribe(&x, &o), Err(Error::InvalidInput(_))));
        x[17] = f32::INFINITY;
        assert!(t.transcribe(&x, &o).is_err());
        let x = vec![0.0f32; 8000];
        assert!(matches!(
            t.transcribe(&x, &o.clone().with_language(Some("xx"))),
            Err(Error::UnknownLanguage(_))
        ));
        assert!(t.transcribe(&x, &o.clone().with_beam_size(0)).is_err());
        assert!(t
            .transcribe(&x, &o.clone().with_temperatures(vec![]))
            .is_err());
        assert!(t
            .transcribe(&x, &o.clone().with_temperatures(vec![f32::NAN]))
            .is_err());
        // Valid input runs through every path of the loop on random weights.
        for o in [
            o.clone(),
            o.clone()
                .with_beam_size(2)
                .with_temperatures(vec![0.0, 0.5]),
            o.clone()
                .with_without_timestamps(true)
                .with_initial_prompt(Some("hi")),
        ] {
            let r = t.transcribe(&x, &o).unwrap();
            assert!((r.duration - 0.5).abs() < 1e-6);
            assert!(r
                .segments
                .iter()
                .all(|s| s.start <= s.end && s.end <= r.duration));
        }
        // Random weights do not fit a real tokenizer.
        let cfg = WhisperConfig::encoder(80, 1500, 64, 2, 1).with_decoder(300, 64, 64, 2, 1);
        let w = WhisperWeights::random(&cfg, 1).unwrap();
        assert!(Transcriber::from_weights(
            &w,
            Tokenizer::bytes_only(&["en"], false),
            GenerationConfig::default()
        )
        .is_err());
        let enc = WhisperWeights::random(&cfg.encoder_only(), 1).unwrap();
        assert!(matches!(
            Transcriber::from_weights(
                &enc,
                Tokenizer::bytes_only(&["en"], false),
                GenerationConfig::default()
            ),
            Err(Error::NoDecoder { .. })
        ));
    }
}
