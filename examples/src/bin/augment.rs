//! Apply an augmentation pipeline to a sound file so a person can listen to it.
//!
//! ```text
//! augment assets/speech.wav --pipeline "noise:snr=10..20,p=0.5;pitch:semitones=-2..2;speed:0.9..1.1" \
//!     --seed 7 --output /tmp/out.wav
//! ```
//!
//! The pipeline grammar is documented in `ser_augment::spec`. `--timing N` runs the
//! pipeline N times (fresh RNG per run, after one warm-up) and prints the median
//! wall time as JSON instead of writing a file (used by
//! `scripts/augment_vs_audiomentations.py`).
#![allow(clippy::unwrap_used)]

// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use ser_augment::{parse_pipeline_with_sr, rng_from_seed, Transform};
use ser_dsp::Audio;

#[derive(Parser, Debug)]
#[command(about = "Apply a seeded ser-augment pipeline to a sound file")]
struct Args {
    /// Input audio (WAV/FLAC/MP3/OGG; mixed down to mono).
    input: PathBuf,
    /// Pipeline spec, e.g. "noise:snr=10..20;pitch:-2..2;telephone".
    #[arg(long, short)]
    pipeline: String,
    /// RNG seed (same seed, same output bits).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output WAV (16-bit PCM; use --float for 32-bit float).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Resample the input to this rate first (default: keep the file's rate).
    #[arg(long)]
    sr: Option<u32>,
    /// Write 32-bit float WAV instead of 16-bit PCM.
    #[arg(long)]
    float: bool,
    /// Timing mode: run N times and print the median time as JSON.
    #[arg(long)]
    timing: Option<usize>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let audio = Audio::load(&args.input, args.sr)
        .with_context(|| format!("loading {}", args.input.display()))?;
    let pipeline = parse_pipeline_with_sr(&args.pipeline, Some(audio.sample_rate))
        .context("parsing --pipeline")?;

    if let Some(n) = args.timing {
        if n == 0 {
            bail!("--timing needs N >= 1");
        }
        pipeline.apply(
            &audio.samples,
            audio.sample_rate,
            &mut rng_from_seed(args.seed),
        )?;
        let mut times: Vec<f64> = (0..n)
            .map(|i| {
                let t0 = Instant::now();
                let y = pipeline.apply(
                    &audio.samples,
                    audio.sample_rate,
                    &mut rng_from_seed(args.seed + i as u64),
                );
                let dt = t0.elapsed().as_secs_f64();
                y.map(|_| dt)
            })
            .collect::<std::result::Result<_, _>>()?;
        times.sort_by(f64::total_cmp);
        println!(
            "{{\"pipeline\": {:?}, \"n\": {n}, \"audio_secs\": {:.3}, \"median_ms\": {:.3}, \"min_ms\": {:.3}}}",
            args.pipeline,
            audio.duration_secs(),
            times[n / 2] * 1e3,
            times[0] * 1e3
        );
        return Ok(());
    }

    let Some(output) = args.output else {
        bail!("--output is required (or use --timing N)");
    };
    let t0 = Instant::now();
    let out = pipeline.apply_audio(&audio, &mut rng_from_seed(args.seed))?;
    let dt = t0.elapsed();
    let peak = out.samples.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if args.float {
        out.write_wav_f32(&output)?;
    } else {
        out.write_wav(&output)?;
    }
    eprintln!(
        "{}: {:.3} s @ {} Hz -> {}: {:.3} s @ {} Hz, peak {:.3}{} ({} steps, {:.1} ms)",
        args.input.display(),
        audio.duration_secs(),
        audio.sample_rate,
        output.display(),
        out.duration_secs(),
        out.sample_rate,
        peak,
        if peak > 1.0 && !args.float {
            " (clipped in 16-bit output)"
        } else {
            ""
        },
        pipeline.len(),
        dt.as_secs_f64() * 1e3
    );
    Ok(())
}
