//! Recognise the emotion of an audio file with a saved model directory.
//!
//! ```text
//! cargo run --release -p ser-examples --bin recognize -- assets/speech.wav
//! cargo run --release -p ser-examples --bin recognize -- clip.flac --model runs/cnn --json
//! ```
//! Without `--model`, the shipped default model (`models/default` in the workspace) is used.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use ser_models::Recognizer;

#[derive(Parser, Debug)]
#[command(about = "Print the emotion label and class probabilities of an audio file")]
struct Args {
    /// Audio file (WAV, FLAC, MP3, OGG); mixed to mono and resampled as the model needs.
    audio: PathBuf,
    /// Model directory (default: the shipped models/default).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Treat the file as a stream: print a timeline of 2 s windows every 0.5 s (silence
    /// gated by a VAD) with the real-time factor (`ser_examples::timeline`).
    #[arg(long)]
    stream: bool,
    /// With `--stream`: also write the timeline as CSV to this file.
    #[arg(long)]
    csv: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dir = args.model.clone().unwrap_or_else(|| {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/default"))
    });
    let rec = Recognizer::load(&dir).with_context(|| format!("loading model {}", dir.display()))?;
    if args.stream {
        return ser_examples::timeline::run_cli(&rec, &args.audio, args.json, args.csv.as_deref());
    }
    let t = std::time::Instant::now();
    let p = rec
        .predict_file(&args.audio)
        .with_context(|| format!("recognising {}", args.audio.display()))?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if args.json {
        let out = serde_json::json!({
            "file": args.audio,
            "model": dir,
            "label": p.label,
            "probabilities": p.probabilities.iter().map(|(l, v)| (l.clone(), serde_json::json!(v))).collect::<serde_json::Map<String, serde_json::Value>>(),
            "ms": ms,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}: {}", args.audio.display(), p.label);
        let mut probs = p.probabilities.clone();
        probs.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (label, v) in probs {
            println!(
                "  {label:<10} {:>5.1} %  {}",
                100.0 * v,
                "#".repeat((v * 40.0).round() as usize)
            );
        }
    }
    Ok(())
}
