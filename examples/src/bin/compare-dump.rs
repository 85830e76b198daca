//! `compare-dump`: writes the ComParE-like functionals (optionally + eGeMAPS) of every WAV in a
//! directory to one CSV, and times the extraction.
//!
//! ```text
//! cargo run --release -p ser-examples --bin compare-dump -- \
//!     /work/shared/datasets/emodb/wav --preset large --egemaps --out target/compare_emodb.csv
//! ```
//!
//! Each clip is loaded with `ser_dsp::Audio::load(path, Some(sr))` (resampled to `--sr`) and
//! analysed with the framing ser-models uses (`n_fft` 512, hop 160, win 400, 40 mels). The CSV
//! has a header `file,<feature names...>`, one row per clip in file-name order. The time spent
//! in the ComParE set (one thread, clips already in memory) is printed per second of audio.
#![allow(clippy::unwrap_used)]

// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use rayon::prelude::*;
use ser_dsp::Audio;
use ser_features::compare::{CompareConfig, CompareSet};
use ser_features::egemaps::{Egemaps, EgemapsConfig};
use ser_features::FeatureConfig;

/// Dump ComParE-like functionals of a directory of WAV files to CSV.
#[derive(Debug, Parser)]
struct Args {
    /// Directory of `.wav` files.
    dir: PathBuf,
    /// `default` (840 values) or `large` (ComParE_2016-like, 3358 values).
    #[arg(long, default_value = "large")]
    preset: String,
    /// Also append the 88 eGeMAPS functionals (`EgemapsConfig::default()`).
    #[arg(long)]
    egemaps: bool,
    /// Analysis sample rate (clips are resampled to it).
    #[arg(long, default_value_t = 16000)]
    sr: u32,
    /// Delta width of the `_de` contours (odd, >= 3); default: the preset's (9 / large: 5).
    #[arg(long)]
    delta_width: Option<usize>,
    /// Framing of the Python prototype instead of ser-models': Hamming window, no centring.
    #[arg(long)]
    proto_framing: bool,
    /// Output CSV.
    #[arg(long, default_value = "compare.csv")]
    out: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let features = FeatureConfig::default()
        .sr(args.sr)
        .n_fft(512)
        .hop_length(160)
        .win_length(400)
        .n_mels(40);
    let features = if args.proto_framing {
        features.window(ser_dsp::Window::Hamming).center(false)
    } else {
        features
    };
    let cfg = match args.preset.as_str() {
        "default" => CompareConfig::default(),
        "large" => CompareConfig::large(),
        other => bail!("unknown preset `{other}` (default | large)"),
    }
    .features(features);
    let cfg = match args.delta_width {
        Some(w) => cfg.delta_width(Some(w)),
        None => cfg,
    };
    let set = CompareSet::new(&cfg)?;
    let egemaps = if args.egemaps {
        Some(Egemaps::new(&EgemapsConfig::default().sr(args.sr))?)
    } else {
        None
    };

    let mut paths: Vec<PathBuf> = std::fs::read_dir(&args.dir)
        .with_context(|| format!("reading {}", args.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!("no .wav files in {}", args.dir.display());
    }
    let clips: Vec<Vec<f32>> = paths
        .par_iter()
        .map(|p| {
            Audio::load(p, Some(args.sr))
                .map(|a| a.samples)
                .with_context(|| format!("loading {}", p.display()))
        })
        .collect::<Result<_>>()?;

    // Timed: the ComParE set alone, one thread, clips in memory.
    let t0 = Instant::now();
    let rows: Vec<_> = clips
        .iter()
        .map(|y| set.extract(y))
        .collect::<std::result::Result<_, _>>()?;
    let secs = t0.elapsed().as_secs_f64();
    let audio_secs = clips.iter().map(|y| y.len()).sum::<usize>() as f64 / f64::from(args.sr);

    let extra: Vec<Option<_>> = match &egemaps {
        Some(e) => clips
            .par_iter()
            .map(|y| e.process(y).map(Some))
            .collect::<std::result::Result<_, _>>()?,
        None => vec![None; clips.len()],
    };

    let mut w = std::io::BufWriter::new(std::fs::File::create(&args.out)?);
    let mut header = vec!["file".to_string()];
    header.extend(set.names());
    if let Some(Some(e)) = extra.first() {
        header.extend(e.names.iter().map(|n| format!("egemaps_{n}")));
    }
    writeln!(w, "{}", header.join(","))?;
    for ((p, row), e) in paths.iter().zip(&rows).zip(&extra) {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        write!(w, "{name},{}", row.csv_row())?;
        if let Some(e) = e {
            write!(w, ",{}", e.csv_row())?;
        }
        writeln!(w)?;
    }
    w.flush()?;
    println!(
        "{} clips, {:.1} s of audio, preset {} ({} values): {:.3} s on one thread = {:.2} ms per second of audio ({:.0}x real time); wrote {}",
        clips.len(),
        audio_secs,
        args.preset,
        set.len(),
        secs,
        1e3 * secs / audio_secs,
        audio_secs / secs,
        args.out.display()
    );
    Ok(())
}
