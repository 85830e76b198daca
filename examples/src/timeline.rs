//! Streaming timelines of audio files for `recognize --stream` / `recognize-stream`: feed a
//! (long) signal through a [`StreamingRecognizer`] chunk by chunk as a live source would,
//! collect one estimate per window, print it, write it as CSV or JSON, and measure the
//! real-time factor.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use ser_dsp::Audio;
use ser_models::streaming::WindowEstimate;
use ser_models::{Recognizer, StreamConfig, StreamingRecognizer};
use serde::Serialize;

/// A timeline and how long it took.
#[derive(Debug, Clone, Serialize)]
pub struct StreamRun {
    /// One entry per window, time order.
    pub windows: Vec<WindowEstimate>,
    /// Seconds of audio streamed.
    pub audio_secs: f64,
    /// Wall-clock seconds spent in `push` / `finish` (features, VAD, model).
    pub compute_secs: f64,
    /// Chunk size used, seconds.
    pub chunk_secs: f64,
    /// Sample rate of the stream.
    pub sample_rate: u32,
}

impl StreamRun {
    /// Compute time / audio time: below 1 keeps up with real time (0.01 = 100× faster).
    pub fn real_time_factor(&self) -> f64 {
        self.compute_secs / self.audio_secs.max(f64::MIN_POSITIVE)
    }

    /// Mean compute time per window, milliseconds.
    pub fn ms_per_window(&self) -> f64 {
        1e3 * self.compute_secs / self.windows.len().max(1) as f64
    }
}

/// Loads `paths` at the model's sample rate (mono) and concatenates them, `repeat` times.
pub fn load_concatenated(
    rec: &Recognizer,
    paths: &[impl AsRef<Path>],
    repeat: usize,
) -> Result<Audio> {
    let sr = rec
        .card()
        .features
        .sample_rate()
        .context("the model takes precomputed features; it cannot stream audio")?;
    let mut samples = Vec::new();
    for p in paths {
        let a = Audio::load(p.as_ref(), Some(sr))
            .with_context(|| format!("loading {}", p.as_ref().display()))?;
        samples.extend(a.samples);
    }
    let one = samples.clone();
    for _ in 1..repeat.max(1) {
        samples.extend_from_slice(&one);
    }
    Ok(Audio::new(samples, sr)?)
}

/// Streams `audio` through a new [`StreamingRecognizer`] in chunks of `chunk_secs`.
pub fn stream_audio(
    rec: &Recognizer,
    audio: &Audio,
    cfg: &StreamConfig,
    chunk_secs: f64,
) -> Result<StreamRun> {
    let sr = audio.sample_rate;
    let chunk = ((chunk_secs * sr as f64).round() as usize).max(1);
    let mut s = StreamingRecognizer::new(rec, sr, cfg.clone())?;
    let t0 = Instant::now();
    let mut windows = Vec::new();
    for c in audio.samples.chunks(chunk) {
        windows.extend(s.push(c)?);
    }
    windows.extend(s.finish()?);
    Ok(StreamRun {
        windows,
        audio_secs: audio.duration_secs(),
        compute_secs: t0.elapsed().as_secs_f64(),
        chunk_secs,
        sample_rate: sr,
    })
}

/// Writes the timeline as CSV: `index,start,end,speech_ratio,label,p_<class>…` (empty
/// label and probabilities for windows gated as silence).
pub fn write_csv(w: impl Write, labels: &[String], windows: &[WindowEstimate]) -> Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut header = vec![
        "index".to_string(),
        "start".into(),
        "end".into(),
        "speech_ratio".into(),
        "label".into(),
    ];
    header.extend(labels.iter().map(|l| format!("p_{l}")));
    out.write_record(&header)?;
    for win in windows {
        let mut row = vec![
            win.index.to_string(),
            format!("{:.3}", win.start),
            format!("{:.3}", win.end),
            format!("{:.3}", win.speech_ratio),
        ];
        match &win.prediction {
            Some(p) => {
                row.push(p.label.clone());
                row.extend(p.probabilities.iter().map(|(_, v)| format!("{v:.5}")));
            }
            None => row.extend(std::iter::repeat_n(String::new(), 1 + labels.len())),
        }
        out.write_record(&row)?;
    }
    out.flush()?;
    Ok(())
}

/// Writes the run (windows, durations, real-time factor) as pretty JSON.
pub fn write_json(w: impl Write, run: &StreamRun) -> Result<()> {
    #[derive(Serialize)]
    struct Doc<'a> {
        audio_secs: f64,
        compute_secs: f64,
        real_time_factor: f64,
        chunk_secs: f64,
        sample_rate: u32,
        windows: &'a [WindowEstimate],
    }
    serde_json::to_writer_pretty(
        w,
        &Doc {
            audio_secs: run.audio_secs,
            compute_secs: run.compute_secs,
            real_time_factor: run.real_time_factor(),
            chunk_secs: run.chunk_secs,
            sample_rate: run.sample_rate,
            windows: &run.windows,
        },
    )?;
    Ok(())
}

/// Prints the timeline as a table: start, end, label (or `-` for silence), probabilities.
pub fn print_timeline(
    mut w: impl Write,
    labels: &[String],
    windows: &[WindowEstimate],
) -> Result<()> {
    write!(w, "{:>8} {:>8} {:<12}", "start", "end", "label")?;
    for l in labels {
        write!(w, " {:>9}", truncate(l, 9))?;
    }
    writeln!(w)?;
    for win in windows {
        match &win.prediction {
            Some(p) => {
                write!(
                    w,
                    "{:>8.2} {:>8.2} {:<12}",
                    win.start,
                    win.end,
                    truncate(&p.label, 12)
                )?;
                for (_, v) in &p.probabilities {
                    write!(w, " {v:>9.3}")?;
                }
            }
            None => write!(
                w,
                "{:>8.2} {:>8.2} {:<12} (speech {:.0}%)",
                win.start,
                win.end,
                "-",
                100.0 * win.speech_ratio
            )?,
        }
        writeln!(w)?;
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// `recognize --stream`: streams `path` in 100 ms chunks with the default [`StreamConfig`]
/// (2 s windows, 0.5 s hop, energy VAD), prints the timeline (a table, or JSON with
/// `json`), optionally writes it as CSV, and reports the real-time factor on stderr.
pub fn run_cli(rec: &Recognizer, path: &Path, json: bool, csv_out: Option<&Path>) -> Result<()> {
    let audio = load_concatenated(rec, &[path], 1)?;
    let run = stream_audio(rec, &audio, &StreamConfig::default(), 0.1)?;
    let labels = &rec.card().labels;
    if json {
        write_json(std::io::stdout().lock(), &run)?;
        println!();
    } else {
        print_timeline(std::io::stdout().lock(), labels, &run.windows)?;
    }
    if let Some(p) = csv_out {
        let f = std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?;
        write_csv(f, labels, &run.windows)?;
    }
    eprintln!(
        "{:.1} s of audio, {} windows, {:.3} s compute: real-time factor {:.4}",
        run.audio_secs,
        run.windows.len(),
        run.compute_secs,
        run.real_time_factor()
    );
    Ok(())
}
