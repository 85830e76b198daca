//! `features-speed`: times ser-features extractors on a corpus that is already in memory.
//!
//! Used by `scripts/features_speed.py`, which loads every clip once with librosa (so both
//! sides see identical samples), writes them as 1-D float32 `.npy` files into a directory, and
//! then runs this binary:
//!
//! ```text
//! features-speed <dir-of-npy> --sr 16000 --feature mfcc [--repeat 3] [--dump out/]
//! ```
//!
//! All clips are loaded before timing. Reported (JSON on stdout): best-of-`repeat` wall time for
//! one thread (one plan, one scratch, `mfcc_into` per clip) and for a rayon pool (one plan
//! shared, one scratch per worker). `--dump` writes each clip's output as `.npy` for a parity
//! check. `--feature` selects the extractor; new arms (e.g. pYIN, eGeMAPS) can be added to
//! `run_one` by their owners.
#![allow(clippy::unwrap_used)]

// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use ser_features::compare::{CompareConfig, CompareSet};
use ser_features::{ExtractorScratch, FeatureConfig, FeatureExtractor, FeatureKind};

/// Time feature extraction over a directory of 1-D float32 .npy clips.
#[derive(Debug, Parser)]
struct Args {
    /// Directory of `.npy` clips (1-D float32), processed in name order.
    dir: PathBuf,
    /// Sample rate of the clips.
    #[arg(long, default_value_t = 16000)]
    sr: u32,
    /// mfcc | logmel | spectral | compare.
    #[arg(long, default_value = "mfcc")]
    feature: String,
    /// Timed repetitions (the best is reported).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Write each clip's output here as `<name>.npy`.
    #[arg(long)]
    dump: Option<PathBuf>,
}

enum Plan {
    Frames(FeatureExtractor, Vec<FeatureKind>),
    Mfcc(FeatureExtractor),
    Compare(Box<CompareSet>),
}

impl Plan {
    fn run_one(&self, y: &[f32], scratch: &mut ExtractorScratch) -> Result<Array2<f32>> {
        Ok(match self {
            Plan::Mfcc(p) => {
                let mut out = Array2::zeros((p.config().n_mfcc, p.n_frames(y.len())));
                p.mfcc_into(y, &mut out, scratch)?;
                out
            }
            Plan::Frames(p, kinds) => p.extract_with(y, kinds, scratch)?.stacked().0,
            Plan::Compare(s) => {
                let v = s.extract(y)?;
                Array2::from_shape_vec((1, v.len()), v.values)?
            }
        })
    }

    fn scratch(&self) -> ExtractorScratch {
        match self {
            Plan::Mfcc(p) | Plan::Frames(p, _) => p.make_scratch(),
            Plan::Compare(s) => s.extractor().make_scratch(),
        }
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.dir)
        .with_context(|| format!("reading {}", args.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "npy"))
        .collect();
    files.sort();
    let clips: Vec<Vec<f32>> = files
        .iter()
        .map(|f| {
            let a: Array1<f32> =
                ndarray_npy::read_npy(f).with_context(|| format!("reading {}", f.display()))?;
            Ok(a.to_vec())
        })
        .collect::<Result<_>>()?;
    let total_samples: usize = clips.iter().map(Vec::len).sum();
    let cfg = FeatureConfig::default().sr(args.sr);
    let plan = match args.feature.as_str() {
        "mfcc" => Plan::Mfcc(FeatureExtractor::new(&cfg)?),
        "logmel" => Plan::Frames(FeatureExtractor::new(&cfg)?, vec![FeatureKind::LogMel]),
        "spectral" => Plan::Frames(FeatureExtractor::new(&cfg)?, FeatureKind::SPECTRAL.to_vec()),
        "compare" => Plan::Compare(Box::new(CompareSet::new(
            &CompareConfig::default().features(cfg),
        )?)),
        other => anyhow::bail!("unknown --feature {other} (mfcc, logmel, spectral, compare)"),
    };

    // Single thread: one plan, one scratch.
    let mut best_single = f64::INFINITY;
    let mut outputs = Vec::new();
    for r in 0..args.repeat.max(1) {
        let mut scratch = plan.scratch();
        let t0 = Instant::now();
        let mut outs = Vec::with_capacity(clips.len());
        for y in &clips {
            outs.push(plan.run_one(y, &mut scratch)?);
        }
        best_single = best_single.min(t0.elapsed().as_secs_f64());
        if r == 0 {
            outputs = outs;
        }
    }
    // Rayon: plan shared by reference, one scratch per worker.
    let mut best_parallel = f64::INFINITY;
    for _ in 0..args.repeat.max(1) {
        let t0 = Instant::now();
        let n: usize = clips
            .par_iter()
            .map_init(
                || plan.scratch(),
                |s, y| plan.run_one(y, s).map(|o| o.len()),
            )
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .sum();
        best_parallel = best_parallel.min(t0.elapsed().as_secs_f64());
        assert!(n > 0);
    }
    if let Some(dir) = &args.dump {
        std::fs::create_dir_all(dir)?;
        for (f, o) in files.iter().zip(&outputs) {
            let name = f.file_name().context("file name")?;
            ndarray_npy::write_npy(dir.join(name), o)?;
        }
    }
    let report = serde_json::json!({
        "feature": args.feature,
        "n_files": clips.len(),
        "audio_seconds": total_samples as f64 / f64::from(args.sr),
        "seconds_single_thread": best_single,
        "seconds_rayon": best_parallel,
        "rayon_threads": rayon::current_num_threads(),
        "repeat": args.repeat,
    });
    println!("{report}");
    Ok(())
}
