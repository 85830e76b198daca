//! eGeMAPS-like features and pYIN over a directory of WAV files: writes a CSV of the 88
//! values per file and prints timings (audio loading excluded): single-thread loops for
//! eGeMAPS and pYIN, and eGeMAPS with the files processed in parallel (rayon, `--threads`).
//!
//! ```text
//! cargo run --release -p ser-examples --bin prosody-speed -- --dir wav16k --csv ours.csv
//! ```
//! Used by `scripts/features_prosody_egemaps_corr.py` and `scripts/features_prosody_speed.py`.
#![allow(clippy::unwrap_used)]

// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use rayon::prelude::*;
use ser_features::egemaps::{Egemaps, EgemapsConfig, F0Method};
use ser_features::prosody::formants::FormantRoots;
use ser_features::prosody::{Pyin, PyinConfig};

#[derive(Parser, Debug)]
#[command(about = "eGeMAPS-like features + pYIN timing over a directory of WAV files")]
struct Args {
    /// Directory of .wav files (all processed, sorted by name).
    #[arg(long)]
    dir: PathBuf,
    /// Sampling rate to load at (resampled if the files differ).
    #[arg(long, default_value_t = 16_000)]
    sr: u32,
    /// Write the 88 eGeMAPS values per file here (`file,<88 names>`).
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Repetitions of the timed loops (the minimum is reported).
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// pYIN fmin (Hz) for the pYIN timing (librosa.pyin with the same settings is the reference).
    #[arg(long, default_value_t = 65.406_391_325_149_66)]
    pyin_fmin: f64,
    /// pYIN fmax (Hz).
    #[arg(long, default_value_t = 2_093.004_522_404_789)]
    pyin_fmax: f64,
    /// pYIN frame length.
    #[arg(long, default_value_t = 2048)]
    pyin_frame_length: usize,
    /// pYIN hop length.
    #[arg(long, default_value_t = 512)]
    pyin_hop_length: usize,
    /// Skip the pYIN timing (e.g. when profiling the eGeMAPS loop).
    #[arg(long)]
    skip_pyin: bool,
    /// Threads for the parallel eGeMAPS timing (0 = all cores; 1 skips it).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Formant roots of the eGeMAPS set: `opensmile` (default, as eGeMAPSv02) or `lpc`
    /// (the LPC model's resonances)
    #[arg(long, default_value = "opensmile")]
    formant_roots: String,
    /// F0 tracker of the eGeMAPS set: `shs` (default, openSMILE's) or `pyin`
    #[arg(long, default_value = "shs")]
    f0_method: String,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.dir)
        .with_context(|| format!("reading {}", args.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")))
        .collect();
    files.sort();
    let audio: Vec<Vec<f32>> = files
        .iter()
        .map(|p| ser_dsp::Audio::load(p, Some(args.sr)).map(|a| a.samples))
        .collect::<std::result::Result<_, _>>()?;
    let total_secs: f64 = audio.iter().map(|y| y.len() as f64 / args.sr as f64).sum();

    let roots = match args.formant_roots.as_str() {
        "opensmile" => FormantRoots::OpenSmile,
        "lpc" => FormantRoots::Lpc,
        other => anyhow::bail!("--formant-roots {other}: expected opensmile or lpc"),
    };
    let f0_method = match args.f0_method.as_str() {
        "shs" => F0Method::Shs,
        "pyin" => F0Method::Pyin,
        other => anyhow::bail!("--f0-method {other}: expected shs or pyin"),
    };
    let eg = Egemaps::new(
        &EgemapsConfig::default()
            .sr(args.sr)
            .formant_roots(roots)
            .f0_method(f0_method),
    )?;
    let mut best_eg = f64::INFINITY;
    let mut best_eg_cpu = f64::INFINITY;
    let mut rows = Vec::new();
    for _ in 0..args.repeat.max(1) {
        rows.clear();
        let (t, c) = (Instant::now(), cpu_seconds());
        let mut scratch = eg.make_scratch();
        for y in &audio {
            rows.push(eg.process_with_scratch(y, &mut scratch)?);
        }
        best_eg = best_eg.min(t.elapsed().as_secs_f64());
        if let (Some(c0), Some(c1)) = (c, cpu_seconds()) {
            best_eg_cpu = best_eg_cpu.min(c1 - c0);
        }
    }

    // The same work with files processed in parallel (one shared plan, `&self`).
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()?;
    let n_threads = pool.current_num_threads();
    let mut best_par = f64::INFINITY;
    if n_threads > 1 {
        for _ in 0..args.repeat.max(1) {
            let t = Instant::now();
            let par: Vec<_> = pool.install(|| {
                audio
                    .par_iter()
                    .map_init(|| eg.make_scratch(), |s, y| eg.process_with_scratch(y, s))
                    .collect::<std::result::Result<Vec<_>, _>>()
            })?;
            best_par = best_par.min(t.elapsed().as_secs_f64());
            assert_eq!(par.len(), rows.len());
        }
    }

    let pyin = Pyin::new(
        &PyinConfig::default()
            .sr(args.sr)
            .fmin(args.pyin_fmin)
            .fmax(args.pyin_fmax)
            .frame_length(args.pyin_frame_length)
            .hop_length(args.pyin_hop_length),
    )?;
    let mut best_py = f64::INFINITY;
    let mut voiced = 0usize;
    for _ in 0..if args.skip_pyin {
        0
    } else {
        args.repeat.max(1)
    } {
        let mut out = Default::default();
        let mut scratch = pyin.make_scratch();
        voiced = 0;
        let t = Instant::now();
        for y in &audio {
            pyin.process_into(y, &mut out, &mut scratch)?;
            voiced += out.voiced_flag.iter().filter(|&&v| v).count();
        }
        best_py = best_py.min(t.elapsed().as_secs_f64());
    }

    if let Some(path) = &args.csv {
        let mut w = csv::Writer::from_path(path)?;
        let mut header = vec!["file".to_string()];
        header.extend(eg.names().iter().map(|s| s.to_string()));
        w.write_record(&header)?;
        for (f, r) in files.iter().zip(&rows) {
            let mut rec = vec![f.file_name().unwrap().to_string_lossy().to_string()];
            rec.extend(r.values.iter().map(|v| format!("{v}")));
            w.write_record(&rec)?;
        }
        w.flush()?;
    }
    println!("files {} audio_seconds {:.2}", files.len(), total_secs);
    println!("egemaps_seconds {best_eg:.4}");
    if best_eg_cpu.is_finite() {
        println!("egemaps_cpu_seconds {best_eg_cpu:.4}");
    }
    if n_threads > 1 {
        println!("egemaps_parallel_seconds {best_par:.4} (threads {n_threads})");
    }
    println!("pyin_seconds {best_py:.4} (voiced frames {voiced})");
    Ok(())
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (Linux; `None`
/// elsewhere). Used next to wall time because the benchmark machine is shared.
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    let f: Vec<&str> = s.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
