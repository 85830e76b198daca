//! Summarise an emotional-speech corpus: counts per class, speaker and gender, total
//! duration (from audio headers, no decoding), rejected file names, and optionally
//! duplicated recordings.
//!
//! ```text
//! cargo run --release -p ser-examples --bin corpus-stats -- /work/shared/datasets/emodb --corpus emodb
//! cargo run --release -p ser-examples --bin corpus-stats -- /work/shared/datasets/ravdess --duplicates
//! cargo run --release -p ser-examples --bin corpus-stats -- my_corpus/manifest.csv
//! ```
#![allow(clippy::unwrap_used)]

// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use rayon::prelude::*;
use ser_data::{audio_info, load_corpus_auto, load_corpus_with, CorpusKind, Gender, LoadOptions};

#[derive(Parser, Debug)]
#[command(about = "Counts per class, speaker and gender, and total duration of a corpus")]
struct Args {
    /// Corpus folder, or a manifest file (.csv / .jsonl).
    dir: PathBuf,
    /// Corpus kind: emodb, ravdess, crema-d, tess, savee, manifest, or auto (detect from names).
    #[arg(long, default_value = "auto")]
    corpus: String,
    /// Fail on the first malformed file name instead of listing rejections.
    #[arg(long)]
    strict: bool,
    /// DIR holds one subfolder of audio per label (`DIR/<label>/*.wav`), as `train
    /// --folder`; the speaker comes from `--speaker-regex` on the file name.
    #[arg(long)]
    label_folders: bool,
    /// With `--label-folders`: regex whose first capture group in the file name is the speaker.
    #[arg(long, requires = "label_folders")]
    speaker_regex: Option<String>,
    /// Also look for duplicated recordings (byte-identical, then decoded audio within 1e-3).
    #[arg(long)]
    duplicates: bool,
    /// Print the summary as JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let corpus = if args.dir.is_file() {
        // Every bad row is listed (and left out) rather than stopping at the first.
        let opts = ser_data::ManifestOptions::default()
            .probe_audio(true)
            .skip_bad(true);
        ser_data::read_manifest_with(&args.dir, &opts)?
    } else if args.label_folders {
        let mut opts = ser_data::FolderOptions::default()
            .probe_audio(true)
            .skip_bad(true);
        if let Some(re) = &args.speaker_regex {
            opts = opts.speaker_regex(re)?;
        }
        ser_data::read_label_folders(&args.dir, &opts)?
    } else if args.corpus.eq_ignore_ascii_case("auto") {
        load_corpus_auto(&args.dir)?
    } else {
        let kind: CorpusKind = args.corpus.parse()?;
        load_corpus_with(&args.dir, kind, &LoadOptions::default().strict(args.strict))?
    };

    // Durations from headers, in parallel.
    let infos: Vec<_> = corpus
        .utterances
        .par_iter()
        .map(|u| audio_info(&u.path))
        .collect();
    let mut header_errors = Vec::new();
    let mut durations = Vec::with_capacity(infos.len());
    let mut rates: BTreeMap<u32, usize> = BTreeMap::new();
    let mut per_speaker_secs: BTreeMap<String, f64> = BTreeMap::new();
    for (u, info) in corpus.utterances.iter().zip(&infos) {
        match info {
            Ok(i) => {
                durations.push(i.duration_secs());
                *rates.entry(i.sample_rate).or_default() += 1;
                *per_speaker_secs.entry(u.speaker_key()).or_default() += i.duration_secs();
            }
            Err(e) => header_errors.push(e.to_string()),
        }
    }
    let total: f64 = durations.iter().sum();
    let min = durations.iter().copied().fold(f64::INFINITY, f64::min);
    let max = durations.iter().copied().fold(0.0, f64::max);
    let summary = corpus.summary();

    let (exact, near) = if args.duplicates {
        let exact = corpus.duplicate_files()?;
        let near = corpus
            .near_duplicate_pairs(1e-3, |p| ser_dsp::Audio::load(p, None).map(|a| a.samples))
            .context("decoding for the duplicate check")?;
        (Some(exact), Some(near))
    } else {
        (None, None)
    };

    if args.json {
        let v = serde_json::json!({
            "corpus": corpus.name,
            "root": corpus.root,
            "summary": summary,
            "total_duration_secs": total,
            "min_duration_secs": if durations.is_empty() { None } else { Some(min) },
            "max_duration_secs": if durations.is_empty() { None } else { Some(max) },
            "sample_rates": rates,
            "header_errors": header_errors,
            "rejected": corpus.rejected,
            "duplicate_files": exact,
            "near_duplicate_pairs": near,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }

    let n = summary.n_utterances;
    let pct = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
    let g = |gender: Gender| {
        summary
            .speakers_per_gender
            .get(&gender)
            .copied()
            .unwrap_or(0)
    };
    println!("corpus      {} ({})", corpus.name, corpus.root.display());
    println!(
        "utterances  {n} (rejected file names: {})",
        corpus.rejected.len()
    );
    println!(
        "speakers    {} (male {}, female {}, unknown {})",
        summary.per_speaker.len(),
        g(Gender::Male),
        g(Gender::Female),
        g(Gender::Unknown)
    );
    println!("sentences   {}", summary.n_sentences);
    if !durations.is_empty() {
        println!(
            "duration    {:.1} s = {:.2} h (mean {:.2} s, min {:.2} s, max {:.2} s)",
            total,
            total / 3600.0,
            total / durations.len() as f64,
            min,
            max
        );
        let rates: Vec<String> = rates.iter().map(|(r, k)| format!("{r} Hz × {k}")).collect();
        println!("rates       {}", rates.join(", "));
    }
    if !header_errors.is_empty() {
        println!("unreadable headers: {}", header_errors.len());
        for e in header_errors.iter().take(5) {
            println!("  {e}");
        }
    }

    println!("\nper class");
    let mut classes: Vec<_> = summary.per_label.iter().collect();
    classes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (label, k) in classes {
        println!("  {:<12} {:>5}  {:>5.1}%", label.to_string(), k, pct(*k));
    }

    println!("\nper gender (utterances)");
    for (gender, k) in &summary.per_gender {
        println!("  {:<12} {:>5}  {:>5.1}%", gender.to_string(), k, pct(*k));
    }

    println!("\nper speaker");
    for (speaker, k) in &summary.per_speaker {
        let u = corpus
            .utterances
            .iter()
            .find(|u| &u.speaker_key() == speaker)
            .unwrap();
        let age = u
            .age
            .map(|a| format!("{a:>3}"))
            .unwrap_or_else(|| "  -".into());
        println!(
            "  {:<16} {:<8} age {}  {:>5}  {:>7.1} s",
            speaker,
            u.gender.to_string(),
            age,
            k,
            per_speaker_secs.get(speaker).copied().unwrap_or(0.0)
        );
    }

    if !corpus.rejected.is_empty() {
        println!(
            "\nrejected file names (first 10 of {})",
            corpus.rejected.len()
        );
        for r in corpus.rejected.iter().take(10) {
            println!("  {}: {}", r.path.display(), r.reason);
        }
    }
    if let (Some(exact), Some(near)) = (exact, near) {
        println!("\nbyte-identical groups: {}", exact.len());
        for g in &exact {
            let names: Vec<String> = g.iter().map(|p| p.display().to_string()).collect();
            println!("  {}", names.join(" = "));
        }
        println!(
            "decoded-identical pairs (max |diff| <= 1e-3): {}",
            near.len()
        );
        for (a, b) in &near {
            println!("  {} ~ {}", a.display(), b.display());
        }
    }
    Ok(())
}
