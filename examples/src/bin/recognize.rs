//! Recognise the emotion of an audio file with a saved model directory.
//!
//! ```text
//! cargo run --release -p ser-examples --bin recognize -- assets/speech.wav
//! cargo run --release -p ser-examples --bin recognize -- clip.flac --model runs/cnn --json
//! cargo run --release -p ser-examples --bin recognize -- my_clips/ more.wav --output preds.csv
//! ```
//! Several files, a folder (searched recursively) or `--output` recognise a batch with one
//! model load, in parallel on all cores, with a progress bar; `--output` gets one row per
//! file in input order (`.csv` or `.jsonl`, [`ser_examples::batch`]) and a summary is
//! printed. A file that fails is reported in its row and does not stop the others.
//! Without `--model`, the shipped default model is used: `$SER_MODEL_DIR/default`,
//! `models/default` beside the binary, `$XDG_DATA_HOME/ser/models/default`, or the source
//! tree's `models/default` ([`ser_examples::cli::model_dir`]).
//!
//! `--transcribe` adds the linguistic branch from the audio alone: Whisper (`ser-whisper`,
//! `scripts/fetch_whisper.sh base`) transcribes the clip and detects its language, and the
//! text-emotion model (`models/text-emotion`, whose sentence encoder comes from
//! `scripts/fetch_minilm.sh`) gives VADER polarity and GoEmotions / Ekman probabilities of the
//! transcript. Languages the text model has no features for (VADER and MiniLM are English)
//! are reported and the answer stays acoustic.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use ser_fusion::TextBranch;
use ser_models::Recognizer;

#[derive(Parser, Debug)]
#[command(about = "Print the emotion label and class probabilities of an audio file")]
struct Args {
    /// Audio files or folders (WAV, FLAC, MP3, OGG); mixed to mono and resampled as the
    /// model needs.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Batch mode: write one row per file to this `.csv` or `.jsonl` file.
    #[arg(long)]
    output: Option<PathBuf>,
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
    /// Adapt to the speaker or domain first: standardise features with the statistics of
    /// the unlabelled audio files in this folder (e.g. other recordings of the same speaker
    /// or microphone; ≥ 20 clips recommended) instead of the training data's.
    #[arg(long)]
    adapt: Option<PathBuf>,
    /// Transcribe the clip with Whisper and run the text branch on the transcript.
    #[arg(long)]
    transcribe: bool,
    /// With `--transcribe`: Whisper model directory with a decoder (CTranslate2 `model.bin`,
    /// `tokenizer.json`; default models/whisper-base from `scripts/fetch_whisper.sh base`).
    #[arg(long)]
    asr_model: Option<PathBuf>,
    /// With `--transcribe`: text-emotion model directory (default models/text-emotion).
    #[arg(long)]
    text_model: Option<PathBuf>,
    /// With `--transcribe`: beam size (1 = greedy).
    #[arg(long, default_value_t = 5)]
    beam: usize,
}

/// Batch mode: every file of `args.inputs`, recognised in parallel, written to `--output`.
fn run_batch(rec: &Recognizer, args: &Args) -> Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    use ser_examples::batch::{expand_inputs, recognize_all, write_results, Summary};
    if args.stream || args.transcribe {
        anyhow::bail!("--stream and --transcribe take a single file");
    }
    let files = expand_inputs(&args.inputs)?;
    let pb = ProgressBar::new(files.len() as u64);
    pb.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} files, {per_sec}, ETA {eta} {msg}")?
            .progress_chars("=> "),
    );
    let t = std::time::Instant::now();
    let results = recognize_all(rec, &files, &|_| pb.inc(1));
    pb.finish_and_clear();
    let secs = t.elapsed().as_secs_f64();
    if let Some(out) = &args.output {
        write_results(out, &results, &rec.card().labels)?;
    }
    let summary = Summary::of(&results);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "summary": summary,
                "seconds": secs,
                "files_per_second": files.len() as f64 / secs.max(1e-9),
                "output": args.output,
            }))?
        );
    } else {
        if args.output.is_none() {
            for r in &results {
                let what = r.label.as_deref().or(r.note.as_deref()).unwrap_or("");
                println!("{}: {what}", r.path.display());
            }
        }
        print!("{summary}");
        println!(
            "{:.1} s, {:.1} files/s{}",
            secs,
            files.len() as f64 / secs.max(1e-9),
            args.output
                .as_ref()
                .map_or(String::new(), |o| format!("; rows in {}", o.display()))
        );
    }
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dir = args
        .model
        .clone()
        .unwrap_or_else(|| ser_examples::cli::model_dir("default"));
    let mut rec =
        Recognizer::load(&dir).with_context(|| format!("loading model {}", dir.display()))?;
    let mut adapted = None;
    if let Some(adir) = &args.adapt {
        let files = ser_data::walk_files(adir, &ser_dsp::audio::has_audio_extension)
            .with_context(|| format!("listing {}", adir.display()))?;
        let n = rec
            .adapt_files(&files)
            .with_context(|| format!("adapting to {}", adir.display()))?;
        adapted = Some(n);
    }
    if args.inputs.len() > 1 || args.inputs[0].is_dir() || args.output.is_some() {
        return run_batch(&rec, &args);
    }
    let audio_path = &args.inputs[0];
    if args.stream {
        return ser_examples::timeline::run_cli(&rec, audio_path, args.json, args.csv.as_deref());
    }
    let t = std::time::Instant::now();
    let audio = ser_dsp::Audio::load(audio_path, Some(16_000))
        .with_context(|| format!("reading {}", audio_path.display()))?;
    let p = match rec.predict_samples(&audio.samples, audio.sample_rate) {
        Ok(p) => p,
        Err(ser_models::Error::NoSpeech(d)) => {
            // Not an error of the program: the answer is that there is no speech.
            if args.json {
                let out = serde_json::json!({
                    "file": audio_path,
                    "model": dir,
                    "speech": false,
                    "label": serde_json::Value::Null,
                    "no_speech": d,
                    "ms": t.elapsed().as_secs_f64() * 1000.0,
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!(
                    "{}: no speech — {}",
                    audio_path.display(),
                    ser_models::describe_no_speech(&d)
                );
            }
            return Ok(());
        }
        Err(e) => return Err(e).with_context(|| format!("recognising {}", audio_path.display())),
    };
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let ling = if args.transcribe {
        let asr_dir = args
            .asr_model
            .clone()
            .unwrap_or_else(|| ser_examples::cli::model_dir("whisper-base"));
        let text_dir = args
            .text_model
            .clone()
            .unwrap_or_else(|| ser_examples::cli::model_dir("text-emotion"));
        let branch = TextBranch::load(&asr_dir, &text_dir)?
            .with_options(ser_fusion::spoken::asr_options(args.beam));
        Some(branch.run(&audio.samples, audio.sample_rate, &p)?)
    } else {
        None
    };
    if args.json {
        let out = serde_json::json!({
            "file": audio_path,
            "model": dir,
            "encoder": rec.card().features.encoder_name(),
            "adapted_on_clips": adapted,
            "speech": true,
            "label": p.label,
            "probabilities": p.probabilities.iter().map(|(l, v)| (l.clone(), serde_json::json!(v))).collect::<serde_json::Map<String, serde_json::Value>>(),
            "ms": ms,
        });
        let mut out = out;
        if let Some(l) = &ling {
            out["linguistic"] = serde_json::to_value(l)?;
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}: {}", audio_path.display(), p.label);
        let mut probs = p.probabilities.clone();
        probs.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (label, v) in probs {
            println!(
                "  {label:<10} {:>5.1} %  {}",
                100.0 * v,
                "#".repeat((v * 40.0).round() as usize)
            );
        }
        if let Some(l) = &ling {
            println!(
                "transcript ({}, p {:.2}): \"{}\"",
                l.language, l.language_probability, l.transcript
            );
            match (&l.text, &l.text_skipped) {
                (Some(te), _) => {
                    println!(
                        "text: VADER compound {:+.3}; labels {}; Ekman {}",
                        te.vader_compound,
                        te.active.join(", "),
                        te.top_group
                    );
                    let mut g = te.groups.clone();
                    g.sort_by(|a, b| b.1.total_cmp(&a.1));
                    for (label, v) in g.iter().take(3) {
                        println!("  {label:<10} {:>5.1} %", 100.0 * v);
                    }
                }
                (None, Some(why)) => println!("text: {why}"),
                (None, None) => {}
            }
            if let Some(f) = &l.fused {
                println!(
                    "fused ({:?}, acoustic weight {:.2}): {} ({:.0} % of it from the voice)",
                    f.rule.rule,
                    f.rule.acoustic_weight,
                    f.label,
                    100.0 * f.acoustic_share
                );
            }
        }
    }
    Ok(())
}
