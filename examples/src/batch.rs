//! Recognising many files with one loaded model: `recognize DIR_OR_FILES... --output F`.
//!
//! Inputs are expanded in the order given (a folder becomes its audio files, recursively,
//! sorted), decoded and recognised in parallel on all cores, and reported in input order —
//! one [`FileResult`] per file, a failing file never stopping the others. [`write_results`]
//! writes them as CSV or JSONL; [`Summary`] counts labels, non-speech and failures.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use ser_models::{Error as ModelError, Recognizer};
use serde::Serialize;

/// What became of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileResult {
    /// The file, as found.
    pub path: PathBuf,
    /// Winning label; `None` for non-speech or a failure.
    pub label: Option<String>,
    /// Whether speech was detected (`false` for non-speech; `None` when the file failed
    /// before the decision).
    pub speech: Option<bool>,
    /// Class probabilities in model order (empty without a label).
    pub probabilities: Vec<(String, f32)>,
    /// Duration in seconds (when the file decoded).
    pub duration_s: Option<f64>,
    /// Why the file has no label: the non-speech reason or the error.
    pub note: Option<String>,
    /// Whether the file failed (unreadable, not audio, …) rather than being non-speech.
    pub failed: bool,
}

/// The files of `inputs` in the order given: a file is kept as is (whatever its extension,
/// so a bad file is reported rather than skipped), a folder becomes its audio files
/// (`ser_dsp::audio::AUDIO_EXTENSIONS`, recursively, sorted). A path that does not exist
/// is an error; so is an input list that yields no file.
pub fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let files = ser_data::walk_files(p, &ser_dsp::audio::has_audio_extension)
                .with_context(|| format!("listing {}", p.display()))?;
            if files.is_empty() {
                eprintln!(
                    "warning: {} has no audio files ({})",
                    p.display(),
                    ser_dsp::audio::AUDIO_EXTENSIONS.join(", ")
                );
            }
            out.extend(files);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            bail!("{} does not exist", p.display());
        }
    }
    if out.is_empty() {
        bail!("no audio files in the inputs");
    }
    Ok(out)
}

/// Recognises one file.
pub fn recognize_file(rec: &Recognizer, path: &Path) -> FileResult {
    let mut r = FileResult {
        path: path.to_path_buf(),
        label: None,
        speech: None,
        probabilities: Vec::new(),
        duration_s: None,
        note: None,
        failed: false,
    };
    let sr = rec
        .feature_pipeline()
        .map_or(16_000, ser_models::FeaturePipeline::sample_rate);
    let audio = match ser_dsp::Audio::load(path, Some(sr)) {
        Ok(a) => a,
        Err(e) => {
            r.note = Some(e.to_string());
            r.failed = true;
            return r;
        }
    };
    r.duration_s = Some(audio.samples.len() as f64 / audio.sample_rate.max(1) as f64);
    match rec.predict_samples(&audio.samples, audio.sample_rate) {
        Ok(p) => {
            r.speech = Some(true);
            r.label = Some(p.label);
            r.probabilities = p.probabilities;
        }
        Err(ModelError::NoSpeech(d)) => {
            r.speech = Some(false);
            r.note = Some(ser_models::describe_no_speech(&d));
        }
        Err(e) => {
            r.note = Some(e.to_string());
            r.failed = true;
        }
    }
    r
}

/// Recognises `files` in parallel (rayon's global pool), calling `on_done` once per finished
/// file (from worker threads, in completion order — for a progress bar); the results are
/// in input order.
pub fn recognize_all(
    rec: &Recognizer,
    files: &[PathBuf],
    on_done: &(dyn Fn(&FileResult) + Sync),
) -> Vec<FileResult> {
    files
        .par_iter()
        .map(|f| {
            let r = recognize_file(rec, f);
            on_done(&r);
            r
        })
        .collect()
}

/// Output layout, from the file extension: `.jsonl` / `.ndjson` is JSON lines, anything
/// else CSV.
fn is_jsonl(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"))
}

/// Writes `results` to `path` as CSV (`path,label,speech,duration_s,p_<class>...,note`;
/// `label` is `no speech` for non-speech and empty for a failure) or, for `.jsonl`, one JSON
/// object per file; `labels` are the model's classes (the probability columns).
pub fn write_results(path: &Path, results: &[FileResult], labels: &[String]) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    if is_jsonl(path) {
        for r in results {
            let mut v = serde_json::to_value(r)?;
            v["probabilities"] = serde_json::Value::Object(
                r.probabilities
                    .iter()
                    .map(|(l, p)| (l.clone(), serde_json::json!(p)))
                    .collect(),
            );
            writeln!(w, "{}", serde_json::to_string(&v)?)?;
        }
        w.flush()?;
        return Ok(());
    }
    let mut c = csv::Writer::from_writer(w);
    let mut header = vec![
        "path".to_string(),
        "label".into(),
        "speech".into(),
        "duration_s".into(),
    ];
    header.extend(labels.iter().map(|l| format!("p_{l}")));
    header.push("note".into());
    c.write_record(&header)?;
    for r in results {
        let mut row = vec![
            r.path.display().to_string(),
            match (&r.label, r.speech) {
                (Some(l), _) => l.clone(),
                (None, Some(false)) => "no speech".into(),
                _ => String::new(),
            },
            r.speech.map_or(String::new(), |s| s.to_string()),
            r.duration_s.map_or(String::new(), |d| format!("{d:.3}")),
        ];
        for l in labels {
            let p = r
                .probabilities
                .iter()
                .find(|(k, _)| k == l)
                .map(|(_, p)| *p);
            row.push(p.map_or(String::new(), |p| format!("{p:.6}")));
        }
        row.push(r.note.clone().unwrap_or_default());
        c.write_record(&row)?;
    }
    c.flush()?;
    Ok(())
}

/// Counts over a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Files per winning label.
    pub labels: BTreeMap<String, usize>,
    /// Files judged non-speech.
    pub no_speech: usize,
    /// Files that failed, with the reason.
    pub failures: Vec<(PathBuf, String)>,
    /// Audio seconds recognised (decoded files).
    pub audio_s: f64,
}

impl Summary {
    /// The counts of `results`.
    pub fn of(results: &[FileResult]) -> Self {
        let mut s = Summary::default();
        for r in results {
            s.audio_s += r.duration_s.unwrap_or(0.0);
            if let Some(l) = &r.label {
                *s.labels.entry(l.clone()).or_default() += 1;
            } else if r.failed {
                s.failures
                    .push((r.path.clone(), r.note.clone().unwrap_or_default()));
            } else {
                s.no_speech += 1;
            }
        }
        s
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: usize = self.labels.values().sum::<usize>() + self.no_speech + self.failures.len();
        writeln!(
            f,
            "{n} files, {:.1} s of audio: {} labelled, {} no speech, {} failed",
            self.audio_s,
            n - self.no_speech - self.failures.len(),
            self.no_speech,
            self.failures.len()
        )?;
        for (l, c) in &self.labels {
            writeln!(f, "  {l:<12} {c:>6}")?;
        }
        for (p, why) in self.failures.iter().take(20) {
            writeln!(f, "  failed: {}: {why}", p.display())?;
        }
        if self.failures.len() > 20 {
            writeln!(f, "  … and {} more failures", self.failures.len() - 20)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(label: Option<&str>, speech: Option<bool>, failed: bool) -> FileResult {
        FileResult {
            path: PathBuf::from(format!("{label:?}{speech:?}{failed}.wav")),
            label: label.map(str::to_string),
            speech,
            probabilities: label
                .map(|l| vec![(l.to_string(), 0.75), ("other".to_string(), 0.25)])
                .unwrap_or_default(),
            duration_s: (!failed).then_some(2.0),
            note: (label.is_none()).then(|| "why".to_string()),
            failed,
        }
    }

    #[test]
    fn summary_and_both_output_layouts() {
        let rs = vec![
            result(Some("angry"), Some(true), false),
            result(Some("angry"), Some(true), false),
            result(None, Some(false), false),
            result(None, None, true),
        ];
        let s = Summary::of(&rs);
        assert_eq!(s.labels["angry"], 2);
        assert_eq!((s.no_speech, s.failures.len()), (1, 1));
        assert!((s.audio_s - 6.0).abs() < 1e-9);
        assert!(s
            .to_string()
            .starts_with("4 files, 6.0 s of audio: 2 labelled"));

        let dir = std::env::temp_dir().join(format!("ser-batch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let labels = vec!["angry".to_string(), "other".to_string()];
        let csv_path = dir.join("p.csv");
        write_results(&csv_path, &rs, &labels).unwrap();
        let text = std::fs::read_to_string(&csv_path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "path,label,speech,duration_s,p_angry,p_other,note"
        );
        assert_eq!(lines.len(), 5);
        assert!(lines[1].contains(",angry,true,2.000,0.750000,0.250000,"));
        assert!(lines[3].contains(",no speech,false,"));
        assert!(lines[4].ends_with(",,,,,,why"), "{}", lines[4]);
        let jl = dir.join("p.jsonl");
        write_results(&jl, &rs, &labels).unwrap();
        let rows: Vec<serde_json::Value> = std::fs::read_to_string(&jl)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0]["probabilities"]["angry"], serde_json::json!(0.75));
        assert_eq!(rows[3]["failed"], serde_json::json!(true));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn inputs_expand_in_order_and_missing_paths_are_errors() {
        let dir = std::env::temp_dir().join(format!("ser-batch-in-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("b/c")).unwrap();
        for f in ["b/2.wav", "b/c/1.WAV", "b/readme.txt", "a.bin"] {
            std::fs::write(dir.join(f), b"").unwrap();
        }
        let files = expand_inputs(&[dir.join("a.bin"), dir.join("b")]).unwrap();
        assert_eq!(
            files,
            vec![
                dir.join("a.bin"),
                dir.join("b/2.wav"),
                dir.join("b/c/1.WAV")
            ]
        );
        assert!(expand_inputs(&[dir.join("nope.wav")]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
