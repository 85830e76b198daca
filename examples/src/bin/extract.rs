//! `extract`: acoustic features of one audio file or a whole directory, librosa-style.
//!
//! ```text
//! extract assets/speech.wav --feature mfcc --output mfcc.npy
//! extract assets/speech.wav --sr native --feature spectral --n-fft 512 --hop-length 160 --output s.csv
//! extract corpus/ --feature functionals --output feats/     # one file per input, in parallel
//! ```
//!
//! Features: `mfcc`, `mfcc-delta` (MFCC + Δ + ΔΔ stacked), `logmel`, `melspectrogram`,
//! `spectral` (centroid, bandwidth, rolloff, flatness, contrast×7, zcr, rms, onset strength,
//! flux), `f0` (pYIN, or openSMILE's SHS tracker with `--f0-method shs`: f0, voiced_flag,
//! voiced_prob), `functionals` (ComParE-like named set), `egemaps` (88 eGeMAPS-like
//! functionals; 10 ms hop unless `--hop-length`; F0 by SHS unless `--f0-method pyin`).
//!
//! Outputs by extension: `.npy` float32 in librosa's shape `(features, n_frames)` (named sets:
//! a 1-D vector); `.csv` one row per frame with a header (named sets: header + one row);
//! `.json` `{name: value}` for named sets, `{"names", "shape", "data"}` for frame-level ones.
//! `--sr` defaults to 22050 like `librosa.load`; `--sr native` keeps the file's rate.
#![allow(clippy::unwrap_used)]

// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use ser_dsp::{Audio, PadMode};
use ser_features::compare::{CompareConfig, CompareSet};
use ser_features::egemaps::{Egemaps, EgemapsConfig, F0Method};
use ser_features::functionals::NamedFeatures;
use ser_features::prosody::shs::{Shs, ShsConfig};
use ser_features::prosody::{Pyin, PyinConfig};
use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Feature {
    Mfcc,
    MfccDelta,
    Logmel,
    Melspectrogram,
    Spectral,
    F0,
    Functionals,
    Egemaps,
}

/// F0 tracker of `--feature f0` and `--feature egemaps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum F0Tracker {
    /// librosa.pyin (`f0`'s default)
    Pyin,
    /// openSMILE's subharmonic-summation tracker (`egemaps`' default): 60 ms frames, 10 ms hop
    /// unless `--hop-length`, 55-1000 Hz unless `--fmin`/`--fmax`
    Shs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Npy,
    Csv,
    Json,
}

/// Extract librosa-compatible acoustic features from audio files.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Audio file (wav/flac/mp3/ogg) or a directory (searched recursively).
    input: PathBuf,
    /// Which feature to extract.
    #[arg(long, value_enum, default_value = "mfcc")]
    feature: Feature,
    /// Output file (.npy/.csv/.json); for a directory input, an output directory.
    #[arg(long, short)]
    output: PathBuf,
    /// Output format for directory input (default: npy, json for named sets).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Target sample rate, or `native` to keep the file's rate (librosa.load default 22050).
    #[arg(long, default_value = "22050")]
    sr: String,
    /// FFT size (also the RMS/ZCR and pYIN frame length).
    #[arg(long, default_value_t = 2048)]
    n_fft: usize,
    /// Hop length (default n_fft / 4 when win_length is unset).
    #[arg(long)]
    hop_length: Option<usize>,
    /// Window length (default n_fft).
    #[arg(long)]
    win_length: Option<usize>,
    /// Disable centre padding.
    #[arg(long)]
    no_center: bool,
    /// Padding mode when centring.
    #[arg(long, value_parser = ["constant", "reflect"], default_value = "constant")]
    pad_mode: String,
    /// Number of mel bands.
    #[arg(long, default_value_t = 128)]
    n_mels: usize,
    /// Number of MFCCs.
    #[arg(long, default_value_t = 20)]
    n_mfcc: usize,
    /// Lowest mel frequency (for `f0`: pYIN fmin, default 65.4 Hz = C2).
    #[arg(long)]
    fmin: Option<f32>,
    /// Highest mel frequency (for `f0`: pYIN fmax, default 2093 Hz = C7).
    #[arg(long)]
    fmax: Option<f32>,
    /// HTK mel formula.
    #[arg(long)]
    htk: bool,
    /// Cepstral lifter (0 = off).
    #[arg(long, default_value_t = 0.0)]
    lifter: f32,
    /// power_to_db top_db, or `none`.
    #[arg(long, default_value = "80")]
    top_db: String,
    /// F0 tracker (default: pyin for `f0`, shs for `egemaps`).
    #[arg(long, value_enum)]
    f0_method: Option<F0Tracker>,
    /// Worker threads for directory input (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
}

/// Result of one file: a frame-level matrix with row names, or a named vector.
enum Output {
    Frames {
        data: Array2<f32>,
        names: Vec<String>,
        hop: usize,
        sr: u32,
    },
    Named(NamedFeatures),
}

struct Extractor {
    args: Args,
    /// Plans per input sample rate (one, unless `--sr native` meets mixed rates).
    plans: Mutex<HashMap<u32, Arc<Plan>>>,
}

/// `--feature f0` frames as librosa.pyin returns them: rows `f0`, `voiced_flag` (0 / 1),
/// `voiced_prob`.
fn f0_frames(f0: Vec<f32>, voiced: &[bool], prob: Vec<f32>, hop: usize, sr: u32) -> Output {
    let n = f0.len();
    let mut data = Array2::zeros((3, n));
    data.row_mut(0).assign(&Array1::from(f0));
    for (d, &v) in data.row_mut(1).iter_mut().zip(voiced) {
        *d = f32::from(u8::from(v));
    }
    data.row_mut(2).assign(&Array1::from(prob));
    Output::Frames {
        data,
        names: vec!["f0".into(), "voiced_flag".into(), "voiced_prob".into()],
        hop,
        sr,
    }
}

impl Extractor {
    fn target_sr(&self) -> Result<Option<u32>> {
        if self.args.sr == "native" {
            Ok(None)
        } else {
            Ok(Some(self.args.sr.parse().with_context(|| {
                format!(
                    "--sr must be a positive integer or `native`, got {}",
                    self.args.sr
                )
            })?))
        }
    }

    fn config(&self, sr: u32) -> Result<FeatureConfig> {
        let a = &self.args;
        let top_db = if a.top_db.eq_ignore_ascii_case("none") {
            None
        } else {
            Some(
                a.top_db
                    .parse()
                    .context("--top-db must be a number or `none`")?,
            )
        };
        let mut cfg = FeatureConfig::default()
            .sr(sr)
            .n_fft(a.n_fft)
            .center(!a.no_center)
            .pad_mode(if a.pad_mode == "reflect" {
                PadMode::Reflect
            } else {
                PadMode::Constant
            })
            .n_mels(a.n_mels)
            .n_mfcc(a.n_mfcc)
            .htk(a.htk)
            .lifter(a.lifter)
            .top_db(top_db);
        cfg.hop_length = a.hop_length;
        cfg.win_length = a.win_length;
        if a.feature != Feature::F0 {
            if let Some(f) = a.fmin {
                cfg = cfg.fmin(f);
            }
            cfg.fmax = a.fmax;
        }
        Ok(cfg)
    }

    /// The plan for audio at `sr`, built on first use and shared by every file at that rate
    /// (rayon workers included).
    fn plan(&self, sr: u32) -> Result<Arc<Plan>> {
        let mut plans = self
            .plans
            .lock()
            .map_err(|_| anyhow::anyhow!("plan cache poisoned"))?;
        if let Some(p) = plans.get(&sr) {
            return Ok(Arc::clone(p));
        }
        let p = Arc::new(self.build_plan(sr)?);
        plans.insert(sr, Arc::clone(&p));
        Ok(p)
    }

    fn build_plan(&self, sr: u32) -> Result<Plan> {
        let a = &self.args;
        let cfg = self.config(sr)?;
        Ok(match a.feature {
            Feature::Mfcc => Plan::Frames(FeatureExtractor::new(&cfg)?, &[FeatureKind::Mfcc]),
            Feature::MfccDelta => Plan::Frames(
                FeatureExtractor::new(&cfg)?,
                &[
                    FeatureKind::Mfcc,
                    FeatureKind::MfccDelta,
                    FeatureKind::MfccDelta2,
                ],
            ),
            Feature::Logmel => Plan::Frames(FeatureExtractor::new(&cfg)?, &[FeatureKind::LogMel]),
            Feature::Melspectrogram => {
                Plan::Frames(FeatureExtractor::new(&cfg)?, &[FeatureKind::MelSpectrogram])
            }
            Feature::Spectral => Plan::Frames(FeatureExtractor::new(&cfg)?, &FeatureKind::SPECTRAL),
            Feature::Functionals => {
                Plan::Compare(CompareSet::new(&CompareConfig::default().features(cfg))?)
            }
            Feature::F0 if a.f0_method == Some(F0Tracker::Shs) => {
                let mut sc = ShsConfig::default().sr(sr);
                if let Some(h) = a.hop_length {
                    sc = sc.hop_length(h);
                }
                if let Some(f) = a.fmin {
                    sc = sc.fmin(f64::from(f));
                }
                if let Some(f) = a.fmax {
                    sc = sc.fmax(f64::from(f));
                }
                Plan::Shs(Shs::new(&sc)?)
            }
            Feature::F0 => {
                let mut pc = PyinConfig::default()
                    .sr(sr)
                    .frame_length(a.n_fft)
                    .center(!a.no_center);
                if let Some(h) = a.hop_length {
                    pc = pc.hop_length(h);
                }
                if let Some(f) = a.fmin {
                    pc = pc.fmin(f64::from(f));
                }
                if let Some(f) = a.fmax {
                    pc = pc.fmax(f64::from(f));
                }
                let hop = pc.effective_hop_length();
                Plan::Pyin(Pyin::new(&pc)?, hop)
            }
            Feature::Egemaps => {
                let method = match a.f0_method {
                    Some(F0Tracker::Pyin) => F0Method::Pyin,
                    _ => F0Method::Shs,
                };
                let mut ec = EgemapsConfig::default().sr(sr).f0_method(method);
                if let Some(h) = a.hop_length {
                    ec = ec.hop_length(h);
                }
                Plan::Egemaps(Egemaps::new(&ec)?)
            }
        })
    }

    fn run(&self, path: &Path) -> Result<Output> {
        let audio = Audio::load(path, self.target_sr()?)
            .with_context(|| format!("loading {}", path.display()))?;
        let sr = audio.sample_rate;
        let y = &audio.samples;
        let plan = self.plan(sr)?;
        match plan.as_ref() {
            Plan::Frames(p, kinds) => {
                let (data, names) = p.extract(y, kinds)?.stacked();
                Ok(Output::Frames {
                    data,
                    names,
                    hop: p.hop_length(),
                    sr,
                })
            }
            Plan::Compare(set) => Ok(Output::Named(set.extract(y)?)),
            Plan::Shs(shs) => {
                let out = shs.process(y)?;
                // librosa's convention: NaN where unvoiced
                let f0 = out
                    .f0
                    .iter()
                    .map(|&f| if f > 0.0 { f } else { f32::NAN })
                    .collect();
                Ok(f0_frames(
                    f0,
                    &out.voiced(),
                    out.voicing,
                    shs.hop_length(),
                    sr,
                ))
            }
            Plan::Pyin(pyin, hop) => {
                let out = pyin.process(y)?;
                Ok(f0_frames(
                    out.f0,
                    &out.voiced_flag,
                    out.voiced_prob,
                    *hop,
                    sr,
                ))
            }
            Plan::Egemaps(e) => Ok(Output::Named(e.process(y)?)),
        }
    }
}

/// What `--feature` needs, planned for one sample rate.
#[allow(clippy::large_enum_variant)] // built once per sample rate and kept behind an Arc
enum Plan {
    /// A frame-level plan and the kinds `--feature` stacks.
    Frames(FeatureExtractor, &'static [FeatureKind]),
    Compare(CompareSet),
    Shs(Shs),
    Pyin(Pyin, usize),
    Egemaps(Egemaps),
}

fn write_output(out: &Output, path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match (ext.as_str(), out) {
        ("npy", Output::Frames { data, .. }) => ndarray_npy::write_npy(path, data)?,
        ("npy", Output::Named(nf)) => {
            ndarray_npy::write_npy(path, &Array1::from(nf.values.clone()))?
        }
        ("json", Output::Named(nf)) => std::fs::write(path, nf.to_json())?,
        ("json", Output::Frames { data, names, .. }) => {
            let rows: Vec<Vec<f32>> = data.rows().into_iter().map(|r| r.to_vec()).collect();
            let v = serde_json::json!({ "names": names, "shape": data.shape(), "data": rows });
            std::fs::write(path, serde_json::to_string(&v)?)?;
        }
        ("csv", Output::Named(nf)) => std::fs::write(path, nf.to_csv())?,
        (
            "csv",
            Output::Frames {
                data,
                names,
                hop,
                sr,
            },
        ) => {
            let mut w = csv::Writer::from_path(path)?;
            let mut header = vec!["frame".to_string(), "time".to_string()];
            header.extend(names.iter().cloned());
            w.write_record(&header)?;
            for (t, col) in data.columns().into_iter().enumerate() {
                let mut rec = vec![
                    t.to_string(),
                    format!("{:.6}", (t * hop) as f64 / f64::from(*sr)),
                ];
                rec.extend(col.iter().map(|v| v.to_string()));
                w.write_record(&rec)?;
            }
            w.flush()?;
        }
        _ => bail!(
            "unsupported output extension {:?} (use .npy, .csv or .json)",
            path.display()
        ),
    }
    Ok(())
}

fn collect_audio(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = entry?.path();
        if p.is_dir() {
            collect_audio(&p, out)?;
        } else if ser_dsp::audio::has_audio_extension(&p) {
            out.push(p);
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    let named = matches!(args.feature, Feature::Functionals | Feature::Egemaps);
    let ex = Extractor {
        args,
        plans: Mutex::new(HashMap::new()),
    };
    let input = ex.args.input.clone();
    if !input.is_dir() {
        let out = ex.run(&input)?;
        write_output(&out, &ex.args.output)?;
        if let Output::Frames { data, .. } = &out {
            eprintln!(
                "{}: {:?} -> {}",
                input.display(),
                data.shape(),
                ex.args.output.display()
            );
        } else {
            eprintln!("{} -> {}", input.display(), ex.args.output.display());
        }
        return Ok(());
    }
    let mut files = Vec::new();
    collect_audio(&input, &mut files)?;
    files.sort();
    if files.is_empty() {
        bail!(
            "no audio files (wav/flac/mp3/ogg) under {}",
            input.display()
        );
    }
    let ext = match ex.args.format {
        Some(Format::Npy) => "npy",
        Some(Format::Csv) => "csv",
        Some(Format::Json) => "json",
        None if named => "json",
        None => "npy",
    };
    std::fs::create_dir_all(&ex.args.output)?;
    if let Some(j) = ex.args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(j)
            .build_global()?;
    }
    let pb = ProgressBar::new(files.len() as u64);
    pb.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} files [{elapsed_precise} < {eta}] {msg}",
    )?);
    let failures = AtomicUsize::new(0);
    files.par_iter().for_each(|f| {
        let rel = f.strip_prefix(&input).unwrap_or(f);
        let dst = ex.args.output.join(rel).with_extension(ext);
        if let Err(e) = ex.run(f).and_then(|o| write_output(&o, &dst)) {
            failures.fetch_add(1, Ordering::Relaxed);
            pb.println(format!("error: {}: {e:#}", f.display()));
        }
        pb.inc(1);
    });
    pb.finish_with_message("done");
    let failed = failures.load(Ordering::Relaxed);
    eprintln!(
        "{} files -> {} ({} failed)",
        files.len(),
        ex.args.output.display(),
        failed
    );
    if failed > 0 {
        bail!("{failed} of {} files failed", files.len());
    }
    Ok(())
}
