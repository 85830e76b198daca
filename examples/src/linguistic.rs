//! The linguistic branch from the audio alone, shared by `recognize --transcribe` and
//! `serve --transcribe`: Whisper transcribes the clip, the text-emotion model reads the
//! transcript (English only), and the fusion rule stored in the text model's card combines
//! it with the acoustic posterior.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use ser_fusion::text_model::{text_posterior, FusionWeight};
use ser_fusion::{TextEmotion, TextEmotionModel};
use ser_models::Prediction;
use ser_whisper::Transcriber;
use serde::Serialize;

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
    /// Share of the winning class's probability that came from the voice (1 = acoustic only).
    pub acoustic_share: f32,
    /// Rule and acoustic weight used.
    pub rule: FusionWeight,
}

/// Whisper + text-emotion model, loaded once.
#[derive(Debug)]
pub struct TextBranch {
    asr: Transcriber,
    text: TextEmotionModel,
    options: ser_whisper::DecodeOptions,
}

impl TextBranch {
    /// Loads a Whisper checkpoint with a decoder (`scripts/fetch_whisper.sh base`) and a
    /// text-emotion model directory (its sentence encoder from `scripts/fetch_minilm.sh`).
    pub fn load(asr_dir: &Path, text_dir: &Path, beam: usize) -> Result<Self> {
        let asr = Transcriber::load(asr_dir).with_context(|| {
            format!(
                "loading the Whisper model {} (run scripts/fetch_whisper.sh base)",
                asr_dir.display()
            )
        })?;
        let text = TextEmotionModel::load(text_dir).with_context(|| {
            format!(
                "loading the text-emotion model {} (run scripts/fetch_minilm.sh)",
                text_dir.display()
            )
        })?;
        Ok(Self {
            asr,
            text,
            options: crate::cli::asr_options(beam),
        })
    }

    /// Transcribes 16 kHz `samples` and reads the transcript; `acoustic` is the acoustic
    /// model's prediction on the same clip (for the fused answer).
    pub fn run(&self, samples: &[f32], acoustic: &Prediction) -> Result<Linguistic> {
        let t = Instant::now();
        let tr = self
            .asr
            .transcribe(samples, &self.options)
            .context("transcribing")?;
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
                let labels: Vec<String> = acoustic
                    .probabilities
                    .iter()
                    .map(|(l, _)| l.clone())
                    .collect();
                let pa: Vec<f32> = acoustic.probabilities.iter().map(|(_, p)| *p).collect();
                let pt = text_posterior(&labels, &te.groups);
                let (p, acoustic_share) = rule.fuse(&labels, &pa, Some(&pt));
                let top = (0..p.len())
                    .max_by(|&i, &j| p[i].total_cmp(&p[j]))
                    .unwrap_or(0);
                fused = Some(Fused {
                    label: labels[top].clone(),
                    probabilities: labels.into_iter().zip(p).collect(),
                    acoustic_share,
                    rule,
                });
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
