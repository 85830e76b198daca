//! `whisper-speed`: time ser-whisper's Candle audio encoder on CPU, clip by clip.
//!
//! For each `--wav` (16 kHz mono) the binary computes Whisper's log-mel once, then runs
//! [`AudioEncoder::forward`] on the real length (no padding to 30 s; every hidden state is
//! returned) `--warmup` times untimed and `--runs` times timed, and reports the median and
//! minimum in milliseconds. The log-mel front end is timed separately (`logmel_ms_median`).
//!
//! Threads: Candle's CPU matmul (the `gemm` crate) runs on `RAYON_NUM_THREADS` threads
//! (`candle_core::utils::get_num_threads`: all cores when unset, single-threaded gemm when 1)
//! and its other parallel kernels on rayon's global pool, which reads the same variable;
//! ser-whisper's fused element-wise passes split large buffers over the same count.
//! Set it to pin the count; `scripts/whisper_speed.py` runs this binary next to CTranslate2
//! and openai-whisper at the same thread counts.
//!
//! ```text
//! cargo build --release -p ser-examples --bin whisper-speed
//! RAYON_NUM_THREADS=1 target/release/whisper-speed --model models/whisper-base-encoder \
//!     --wav clip_3s.wav --wav clip_10s.wav [--runs 20] [--warmup 3] [--dump DIR]
//! ```
//!
//! One JSON object per clip on stdout (one line each). `--dump DIR` writes each clip's final
//! encoder output `(frames, width)` as `DIR/<wav stem>.npy`, so the script can check that all
//! engines computed the same function.

// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use ndarray::Array2;
use ndarray_npy::write_npy;
use ser_whisper::{AudioEncoder, LogMel, Whisper};
use serde::Serialize;

/// Time ser-whisper's encoder on real-length clips.
#[derive(Debug, Parser)]
struct Args {
    /// Model directory (`model.safetensors` + `config.json`, or CTranslate2 `model.bin`).
    #[arg(long, default_value = "models/whisper-base-encoder")]
    model: PathBuf,
    /// 16 kHz mono clips to time (repeat the flag).
    #[arg(long, required = true)]
    wav: Vec<PathBuf>,
    /// Timed encoder passes per clip (median reported).
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Untimed encoder passes per clip before timing.
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Write each clip's final encoder output here as `<wav stem>.npy`.
    #[arg(long)]
    dump: Option<PathBuf>,
}

/// One clip's measurements.
#[derive(Debug, Serialize)]
struct Row {
    engine: String,
    model: String,
    clip: String,
    seconds: f64,
    mel_frames: usize,
    encoder_frames: usize,
    threads: usize,
    runs: usize,
    logmel_ms_median: f64,
    encoder_ms_median: f64,
    encoder_ms_min: f64,
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() -> Result<()> {
    let args = Args::parse();
    let whisper =
        Whisper::load(&args.model).with_context(|| format!("loading {}", args.model.display()))?;
    // candle_core::utils::get_num_threads: RAYON_NUM_THREADS, else all cores.
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let lm: &LogMel = whisper.log_mel();
    for wav in &args.wav {
        let audio = ser_dsp::Audio::load(wav, Some(16000))
            .with_context(|| format!("reading {}", wav.display()))?;
        let x = &audio.samples;
        // Log-mel, timed on its own.
        let mut mel_times = Vec::new();
        let mut mel = lm.compute(x)?;
        for _ in 0..args.runs.clamp(1, 10) {
            let t = Instant::now();
            mel = lm.compute(x)?;
            mel_times.push(ms(t));
        }
        let frames = mel.ncols();
        let enc = whisper.encoder();
        for _ in 0..args.warmup {
            enc.forward_mel(mel.view())?;
        }
        let mut times = Vec::with_capacity(args.runs);
        let mut out = None;
        for _ in 0..args.runs.max(1) {
            let t = Instant::now();
            let o = enc.forward_mel(mel.view())?;
            times.push(ms(t));
            out = Some(o);
        }
        let out = out.context("no run")?;
        let layer = out.hidden_states.len() - 1;
        let (v, t, d) = AudioEncoder::layer_matrix(&out, layer)?;
        if let Some(dir) = &args.dump {
            std::fs::create_dir_all(dir)?;
            let stem = wav.file_stem().context("wav name")?.to_string_lossy();
            write_npy(
                dir.join(format!("{stem}.npy")),
                &Array2::from_shape_vec((t, d), v)?,
            )?;
        }
        let row = Row {
            engine: "ser-whisper (candle)".into(),
            model: args.model.display().to_string(),
            clip: wav.display().to_string(),
            seconds: x.len() as f64 / 16000.0,
            mel_frames: frames,
            encoder_frames: t,
            threads,
            runs: times.len(),
            logmel_ms_median: median(&mel_times),
            encoder_ms_median: median(&times),
            encoder_ms_min: times.iter().copied().fold(f64::INFINITY, f64::min),
        };
        println!("{}", serde_json::to_string(&row)?);
    }
    Ok(())
}
