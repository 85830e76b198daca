//! Whisper encoder embeddings of a corpus: per file and per hidden state, the mean ‖ std over
//! the clip's frames (`ser_whisper::Whisper::layer_stats`), for analysis outside Rust.
//!
//! Writes `<out>/<name>.npy` (float32, `(files, layers + 1, 2 · width)`) and
//! `<out>/<name>.csv` (`path,corpus,speaker,label` in the same order).
//!
//! ```text
//! cargo run --release -p ser-examples --bin embed -- --corpus-kind emodb \
//!     --model models/whisper-base --out target/embeddings
//! ```
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use ndarray::Array3;
use ser_data::load_corpus;
use ser_examples::cli::{corpus_kind, datasets, workspace};
use ser_whisper::Whisper;

#[derive(Parser, Debug)]
#[command(about = "Per-layer Whisper encoder statistics of every file of a corpus")]
struct Args {
    /// Corpus folder (default: $SER_DATASETS/KIND or WORKSPACE/../shared/datasets/KIND).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Corpus kind: emodb, ravdess, crema-d, tess, savee.
    #[arg(long, default_value = "emodb")]
    corpus_kind: String,
    /// Whisper model directory (model.safetensors + config.json, or CTranslate2 model.bin).
    #[arg(long, default_value = "models/whisper-base")]
    model: PathBuf,
    /// Output folder.
    #[arg(long, default_value = "target/embeddings")]
    out: PathBuf,
    /// File stem of the outputs (default: `<corpus>_<model dir name>`).
    #[arg(long)]
    name: Option<String>,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let kind = corpus_kind(&a.corpus_kind)?;
    let dir = a
        .corpus
        .clone()
        .unwrap_or_else(|| datasets().join(kind.name()));
    let corpus = load_corpus(&dir, kind)?;
    let model = if a.model.is_relative() && !a.model.exists() {
        workspace().join(&a.model)
    } else {
        a.model.clone()
    };
    let whisper = Whisper::load(&model).with_context(|| model.display().to_string())?;
    let cfg = whisper.config().clone();
    let n = corpus.utterances.len();
    let (l, d) = (cfg.n_audio_layer + 1, 2 * cfg.n_audio_state);
    let mut out = Array3::<f32>::zeros((n, l, d));
    let t0 = Instant::now();
    let mut audio_secs = 0.0;
    for (i, u) in corpus.utterances.iter().enumerate() {
        let audio = ser_dsp::Audio::load(&u.path, Some(16000))?;
        audio_secs += audio.samples.len() as f64 / 16000.0;
        let s = whisper
            .layer_stats(&audio.samples)
            .with_context(|| u.path.display().to_string())?;
        out.slice_mut(ndarray::s![i, .., ..]).assign(&s);
        if (i + 1) % 100 == 0 {
            eprintln!(
                "{}/{n} files, {:.1} ms per second of audio",
                i + 1,
                1000.0 * t0.elapsed().as_secs_f64() / audio_secs
            );
        }
    }
    let name = a.name.clone().unwrap_or_else(|| {
        format!(
            "{}_{}",
            corpus.name,
            model
                .file_name()
                .map_or("whisper".into(), |s| s.to_string_lossy().to_string())
        )
    });
    std::fs::create_dir_all(&a.out)?;
    ndarray_npy::write_npy(a.out.join(format!("{name}.npy")), &out)?;
    let mut w = csv::Writer::from_path(a.out.join(format!("{name}.csv")))?;
    w.write_record(["path", "corpus", "speaker", "label"])?;
    for u in &corpus.utterances {
        w.write_record([
            u.path.display().to_string(),
            u.corpus.clone(),
            u.speaker.clone(),
            u.label.as_str().to_string(),
        ])?;
    }
    w.flush()?;
    eprintln!(
        "{n} files ({audio_secs:.0} s of audio) in {:.1} s: {:.1} ms per second of audio -> {}",
        t0.elapsed().as_secs_f64(),
        1000.0 * t0.elapsed().as_secs_f64() / audio_secs,
        a.out.join(format!("{name}.npy")).display()
    );
    Ok(())
}
