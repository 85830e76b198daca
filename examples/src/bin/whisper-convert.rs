//! Converts a Whisper checkpoint (CTranslate2 `model.bin`, e.g. from
//! `scripts/fetch_whisper.sh`) into an encoder-only `model.safetensors` + `config.json`
//! directory that `ser-whisper` loads — the form shipped in `models/whisper-base-encoder`.
//!
//! ```text
//! cargo run --release -p ser-examples --bin whisper-convert -- models/whisper-base models/whisper-base-encoder --dtype f16
//! ```
// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Parser;
use ser_whisper::WhisperWeights;

#[derive(Parser, Debug)]
#[command(about = "Whisper checkpoint -> encoder-only safetensors directory")]
struct Args {
    /// Input: a model directory or a `model.bin`.
    input: PathBuf,
    /// Output directory.
    output: PathBuf,
    /// Stored precision: f32, f16 or bf16.
    #[arg(long, default_value = "f16")]
    dtype: String,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let dtype = match a.dtype.as_str() {
        "f32" => ser_whisper::DType::F32,
        "f16" => ser_whisper::DType::F16,
        "bf16" => ser_whisper::DType::BF16,
        other => bail!("--dtype {other}: f32, f16 or bf16"),
    };
    let w = WhisperWeights::load(&a.input)?;
    let source = serde_json::json!({
        "converted_from": a.input.file_name().map(|s| s.to_string_lossy().to_string()),
        "dtype": a.dtype,
        "tool": "ser-examples whisper-convert",
    });
    w.save_encoder(&a.output, dtype, source)?;
    let n: usize = w
        .config
        .encoder_shapes()
        .iter()
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    println!(
        "{} -> {}: encoder of {:?}, {n} parameters, {}",
        a.input.display(),
        a.output.display(),
        (w.config.n_audio_layer, w.config.n_audio_state),
        a.dtype
    );
    Ok(())
}
