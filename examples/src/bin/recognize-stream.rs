//! `recognize-stream`: sliding-window emotion timeline of a (long) recording, computed the
//! way a live stream is (chunks pushed into `ser_models::StreamingRecognizer`), with the
//! real-time factor.
//!
//! ```text
//! cargo run --release -p ser-examples --bin recognize-stream -- \
//!     --model models/default assets/speech.wav --repeat 14 --csv timeline.csv --json timeline.json
//! ```
//! Several files are concatenated in order (e.g. a minute of EmoDB utterances).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use ser_examples::timeline::{
    load_concatenated, print_timeline, stream_audio, write_csv, write_json,
};
use ser_models::{Recognizer, StreamConfig, VadConfig};

#[derive(Parser, Debug)]
#[command(about = "Emotion timeline of a long recording with a streaming recogniser")]
struct Args {
    /// Model directory.
    #[arg(long, default_value = "models/default")]
    model: PathBuf,
    /// Audio file(s), concatenated in order.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Repeat the concatenation this many times (to make a long test signal).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Window length, seconds.
    #[arg(long, default_value_t = 2.0)]
    window: f32,
    /// Hop, seconds.
    #[arg(long, default_value_t = 0.5)]
    hop: f32,
    /// VAD threshold, dBFS.
    #[arg(long, default_value_t = -40.0)]
    vad_db: f32,
    /// Disable the VAD (classify every window).
    #[arg(long)]
    no_vad: bool,
    /// Chunk size pushed at a time, milliseconds (a live source delivers ~100 ms).
    #[arg(long, default_value_t = 100.0)]
    chunk_ms: f64,
    /// Write the timeline as CSV.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Write the timeline (and timing) as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Do not print the table.
    #[arg(long)]
    quiet: bool,
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    run(&a)
}

fn run(a: &Args) -> anyhow::Result<()> {
    let rec = Recognizer::load(&a.model)
        .with_context(|| format!("loading model directory {}", a.model.display()))?;
    let cfg = StreamConfig::default()
        .window_secs(a.window)
        .hop_secs(a.hop)
        .vad(
            VadConfig::default()
                .threshold_db(a.vad_db)
                .enabled(!a.no_vad),
        );
    let audio = load_concatenated(&rec, &a.inputs, a.repeat)?;
    let run = stream_audio(&rec, &audio, &cfg, a.chunk_ms / 1e3)?;
    let labels = &rec.card().labels;
    if !a.quiet {
        print_timeline(std::io::stdout().lock(), labels, &run.windows)?;
    }
    if let Some(p) = &a.csv {
        let f = std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?;
        write_csv(f, labels, &run.windows)?;
    }
    if let Some(p) = &a.json {
        let f = std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?;
        write_json(std::io::BufWriter::new(f), &run)?;
    }
    let voiced = run
        .windows
        .iter()
        .filter(|w| w.prediction.is_some())
        .count();
    eprintln!(
        "{:.1} s of audio, {} windows ({} voiced, {} silent), {:.3} s compute: real-time factor {:.4} ({:.0}x faster than real time), {:.1} ms/window",
        run.audio_secs,
        run.windows.len(),
        voiced,
        run.windows.len() - voiced,
        run.compute_secs,
        run.real_time_factor(),
        1.0 / run.real_time_factor(),
        run.ms_per_window()
    );
    Ok(())
}
