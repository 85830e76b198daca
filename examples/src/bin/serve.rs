//! `serve`: the web page and JSON API for speech emotion recognition.
//!
//! ```text
//! cargo run --release -p ser-examples --bin serve -- --model models/default --addr 127.0.0.1:8080
//! ```
//! Then open <http://127.0.0.1:8080/>. Ctrl-C or SIGTERM shut down gracefully (in-flight
//! requests finish). See `ser_examples::serve` for the routes and error codes.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use ser_examples::serve::{router, shutdown_signal, AppState, Limits};
use ser_models::{Recognizer, StreamConfig, VadConfig};

#[derive(Parser, Debug)]
#[command(about = "Serve the speech emotion recognition page and API")]
struct Args {
    /// Model directory (`model.safetensors` + `config.json`).
    #[arg(long, default_value = "models/default")]
    model: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Largest upload, MiB.
    #[arg(long, default_value_t = 10.0)]
    max_upload_mb: f64,
    /// Longest audio accepted by /api/predict, seconds.
    #[arg(long, default_value_t = 30.0)]
    max_duration: f64,
    /// Inference jobs at once (default: number of CPU cores).
    #[arg(long)]
    workers: Option<usize>,
    /// Live-mode window, seconds.
    #[arg(long, default_value_t = 2.0)]
    window: f32,
    /// Live-mode hop, seconds.
    #[arg(long, default_value_t = 0.5)]
    hop: f32,
    /// VAD threshold, dBFS (frames below are silence).
    #[arg(long, default_value_t = -40.0)]
    vad_db: f32,
    /// Load Whisper and the text-emotion model so that uploads can ask for
    /// `?transcribe=true` (transcript, text emotion, fused answer).
    #[arg(long)]
    transcribe: bool,
    /// With `--transcribe`: Whisper checkpoint with a decoder.
    #[arg(long, default_value = "models/whisper-base")]
    asr_model: std::path::PathBuf,
    /// With `--transcribe`: text-emotion model directory.
    #[arg(long, default_value = "models/text-emotion")]
    text_model: std::path::PathBuf,
    /// With `--transcribe`: beam size.
    #[arg(long, default_value_t = 5)]
    beam: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let rec = Recognizer::load(&args.model)
        .with_context(|| format!("loading model directory {}", args.model.display()))?;
    let name = args
        .model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let mut limits = Limits::default()
        .max_body_bytes((args.max_upload_mb * 1024.0 * 1024.0) as usize)
        .max_duration_secs(args.max_duration);
    if let Some(w) = args.workers {
        limits = limits.max_concurrent(w);
    }
    let stream = StreamConfig::default()
        .window_secs(args.window)
        .hop_secs(args.hop)
        .vad(VadConfig::default().threshold_db(args.vad_db));
    stream.validate()?;
    let mut state = AppState::new(rec, name, limits).with_stream(stream);
    if args.transcribe {
        state = state.with_text_branch(
            ser_fusion::TextBranch::load(&args.asr_model, &args.text_model)?
                .with_options(ser_fusion::spoken::asr_options(args.beam)),
        );
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    eprintln!(
        "serving model {} on http://{} (ctrl-c to stop)",
        args.model.display(),
        listener.local_addr()?
    );
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    eprintln!("shut down");
    Ok(())
}
