//! `transcribe`: Whisper speech recognition with ser-whisper (faster-whisper's decoding).
//!
//! ```text
//! cargo run --release -p ser-examples --bin transcribe -- [--model models/whisper-base] \
//!     [--beam 5] [--language xx] [--task transcribe|translate] [--greedy] \
//!     [--no-timestamps] [--no-condition] [--prompt TEXT] [--real-length [MIN_FRAMES]] \
//!     [--json] FILES...
//! ```
//!
//! Files are read with `ser-dsp` (WAV, FLAC, MP3, OGG) and resampled to 16 kHz. For each
//! file it prints the text, language, segments and the real-time factor (transcription
//! time / audio duration, model loading excluded); `--json` prints one JSON object per file
//! instead. `RAYON_NUM_THREADS` sets the thread count. `--greedy` is beam 1 at temperature 0
//! only without conditioning on previous text (the setting compared with faster-whisper in
//! `scripts/whisper_asr_compare.py`).

// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use ser_whisper::{DecodeOptions, EncoderInput, Task, Transcriber, Transcript};
use serde::Serialize;

/// Transcribe audio files with Whisper.
#[derive(Debug, Parser)]
struct Args {
    /// CTranslate2 / faster-whisper model directory (model.bin, tokenizer.json, config.json).
    #[arg(long, default_value = "models/whisper-base")]
    model: PathBuf,
    /// Beam size (1: greedy).
    #[arg(long, default_value_t = 5)]
    beam: usize,
    /// Language code; detected when omitted.
    #[arg(long)]
    language: Option<String>,
    /// transcribe or translate.
    #[arg(long, default_value = "transcribe")]
    task: String,
    /// Greedy, temperature 0 only, no conditioning on previous text.
    #[arg(long)]
    greedy: bool,
    /// Decode without timestamps.
    #[arg(long)]
    no_timestamps: bool,
    /// Do not prompt windows with the previous text.
    #[arg(long)]
    no_condition: bool,
    /// Initial prompt.
    #[arg(long)]
    prompt: Option<String>,
    /// Encode only the real frames (padded to at least MIN_FRAMES) instead of 30 s.
    #[arg(long, num_args = 0..=1, default_missing_value = "0")]
    real_length: Option<usize>,
    /// One JSON object per file.
    #[arg(long)]
    json: bool,
    /// Audio files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Serialize)]
struct Out<'a> {
    path: String,
    #[serde(flatten)]
    transcript: &'a Transcript,
    seconds: f64,
    rtf: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let t = Transcriber::load(&args.model)
        .with_context(|| format!("loading {}", args.model.display()))?;
    let mut opts = if args.greedy {
        DecodeOptions::greedy()
    } else {
        DecodeOptions::default().with_beam_size(args.beam)
    };
    opts = opts
        .with_language(args.language.as_deref())
        .with_task(match args.task.as_str() {
            "transcribe" => Task::Transcribe,
            "translate" => Task::Translate,
            other => anyhow::bail!("--task {other}: transcribe or translate"),
        })
        .with_without_timestamps(args.no_timestamps)
        .with_initial_prompt(args.prompt.as_deref());
    if args.no_condition {
        opts = opts.with_condition_on_previous_text(false);
    }
    if let Some(min_frames) = args.real_length {
        opts = opts.with_encoder_input(EncoderInput::RealLength { min_frames });
    }
    for f in &args.files {
        let audio = ser_dsp::Audio::load(f, Some(16000))
            .with_context(|| format!("reading {}", f.display()))?;
        let t0 = Instant::now();
        let tr = t
            .transcribe(&audio.samples, &opts)
            .with_context(|| format!("transcribing {}", f.display()))?;
        let seconds = t0.elapsed().as_secs_f64();
        let rtf = seconds / (tr.duration as f64).max(1e-9);
        if args.json {
            let o = Out {
                path: f.display().to_string(),
                transcript: &tr,
                seconds,
                rtf,
            };
            println!("{}", serde_json::to_string(&o)?);
        } else {
            println!("{}", f.display());
            println!(
                "  language {} ({:.2}), {:.2} s of audio in {:.2} s (RTF {:.3})",
                tr.language, tr.language_probability, tr.duration, seconds, rtf
            );
            for s in &tr.segments {
                println!(
                    "  [{:7.2} -> {:7.2}] {}  (avg logprob {:.2}, no speech {:.2}, T {:.1})",
                    s.start,
                    s.end,
                    s.text.trim(),
                    s.avg_logprob,
                    s.no_speech_prob,
                    s.temperature
                );
            }
            println!("  text: {}", tr.text);
        }
    }
    Ok(())
}
