//! Acoustic + linguistic emotion recognition from the audio alone: the shipped acoustic
//! recipe's posteriors fused with the text-emotion model's reading of Whisper's transcript.
//!
//! ```text
//! scripts/fetch_whisper.sh base && scripts/fetch_minilm.sh
//! python3 scripts/make_spoken_goemotions.py          # the synthetic set (needs espeak-ng)
//! cargo run --release -p ser-examples --bin fusion-asr -- --out results/fusion_asr
//! ```
//!
//! Per corpus (RAVDESS, EmoDB, and the synthetic spoken GoEmotions set):
//!
//! * **Transcripts**: `ser_whisper::Transcriber` (beam 5, as `recognize --transcribe`) on every
//!   clip, cached as JSONL under `target/ser-asr-cache/`; word error rate against the corpus's
//!   own text with openai-whisper's normalisers (`ser_metrics::asr`: English for English,
//!   basic for other languages), and the detected languages.
//! * **Acoustic posteriors**: for the acted corpora, speaker-independent out-of-fold
//!   probabilities of the `whisper` recipe (group k-fold over speakers, features from the
//!   feature cache); for the synthetic set, the shipped `models/default` as it is (it never
//!   saw these voices).
//! * **Text posteriors**: `models/text-emotion` on the transcript, its Ekman groups mapped to the
//!   corpus's classes (joy → happiness, neutral → neutral and calm); no text posterior when
//!   the transcript is empty or not in a language the text model supports.
//! * **Fusion** with one weight `w` (acoustic share), chosen on training folds only:
//!   `late`: `w·pa + (1−w)·pt`; `defer`: text can only add an emotion: its non-neutral mass
//!   `s = (1−w)·(1 − pt(neutral))` replaces that share of the acoustic posterior
//!   (`(1−s)·pa + s·pt(non-neutral, renormalised)`), so neutral words defer to the voice.
//!   Per corpus, `w` is picked on the other speaker folds; the *deployable* weight
//!   (`--shipped`) is picked leave-one-corpus-out: tested on each corpus with the weight that
//!   is best on the others.
#![allow(clippy::unwrap_used)]

use ser_metrics::argmax;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use ser_data::{load_corpus, CorpusKind, FeatureCache, LabelMapping};
use ser_examples::cli::{datasets, workspace};
use ser_fusion::text_model::{text_posterior, FusionRule, FusionWeight};
use ser_fusion::TextEmotionModel;
use ser_metrics::asr::{wer_corpus, BasicTextNormalizer, EnglishTextNormalizer};
use ser_metrics::protocol::group_k_fold;
use ser_metrics::BootstrapOptions;
use ser_models::{load_corpus_features, pooled_scores, CvConfig, PooledScores, Recipe, Recognizer};
use serde::{Deserialize, Serialize};

#[derive(Parser, Debug)]
#[command(about = "Acoustic + text (Whisper transcript) fusion, speaker-independent")]
struct Args {
    /// Corpora: ravdess, emodb, spoken-goemotions (the synthetic espeak-ng set).
    #[arg(
        long,
        default_value = "ravdess,emodb,spoken-goemotions",
        value_delimiter = ','
    )]
    corpora: Vec<String>,
    /// Whisper model directory with a decoder.
    #[arg(long, default_value = "models/whisper-base")]
    asr_model: PathBuf,
    /// Text-emotion model directory.
    #[arg(long, default_value = "models/text-emotion")]
    text_model: PathBuf,
    /// Acoustic model applied as-is to the synthetic set.
    #[arg(long, default_value = "models/default")]
    acoustic_model: PathBuf,
    /// Directory made by scripts/make_spoken_goemotions.py.
    #[arg(long, default_value = "target/spoken-goemotions")]
    spoken_dir: PathBuf,
    /// Beam size of the transcriber.
    #[arg(long, default_value_t = 5)]
    beam: usize,
    /// Speaker folds for the acted corpora (and voice folds for the synthetic set).
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Seed of the trainer and the bootstrap.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = 1000)]
    boot: usize,
    /// Acted corpora: transcribe and score at most this many clips per speaker (seeded
    /// choice, classes taken round-robin; 0 = all). The synthetic set is always scored whole. The acoustic out-of-fold posteriors still come from
    /// models trained on all clips of the training speakers.
    #[arg(long, default_value_t = 0)]
    per_speaker: usize,
    /// Output directory (fusion_asr.md, fusion_asr.json, per-clip CSVs).
    #[arg(long, default_value = "results/fusion_asr")]
    out: PathBuf,
}

/// One cached transcription.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Asr {
    path: PathBuf,
    text: String,
    language: String,
    language_probability: f32,
    no_speech_prob: f32,
    secs: f64,
    duration: f32,
}

/// Transcribes `paths`, reusing and extending the JSONL cache `file`.
fn transcribe_all(
    asr: &ser_whisper::Transcriber,
    beam: usize,
    paths: &[PathBuf],
    file: &Path,
) -> Result<HashMap<PathBuf, Asr>> {
    let mut done: HashMap<PathBuf, Asr> = HashMap::new();
    if let Ok(text) = std::fs::read_to_string(file) {
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let a: Asr = serde_json::from_str(line)
                .with_context(|| format!("{}: bad cache line", file.display()))?;
            done.insert(a.path.clone(), a);
        }
    }
    if let Some(p) = file.parent() {
        std::fs::create_dir_all(p)?;
    }
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    let opts = ser_fusion::spoken::asr_options(beam);
    let todo: Vec<&PathBuf> = paths.iter().filter(|p| !done.contains_key(*p)).collect();
    let t_all = Instant::now();
    for (i, p) in todo.iter().enumerate() {
        let audio = ser_dsp::Audio::load(p, Some(16_000))
            .with_context(|| format!("reading {}", p.display()))?;
        let t = Instant::now();
        let tr = asr
            .transcribe(&audio.samples, &opts)
            .with_context(|| format!("transcribing {}", p.display()))?;
        let a = Asr {
            path: (*p).clone(),
            text: tr.text.trim().to_string(),
            language: tr.language.clone(),
            language_probability: tr.language_probability,
            no_speech_prob: tr
                .segments
                .iter()
                .map(|s| s.no_speech_prob)
                .fold(0.0, f32::max),
            secs: t.elapsed().as_secs_f64(),
            duration: tr.duration,
        };
        writeln!(out, "{}", serde_json::to_string(&a)?)?;
        out.flush()?;
        if (i + 1) % 25 == 0 || i + 1 == todo.len() {
            eprintln!(
                "  transcribed {}/{} ({:.2} s per clip)",
                i + 1,
                todo.len(),
                t_all.elapsed().as_secs_f64() / (i + 1) as f64
            );
        }
        done.insert((*p).clone(), a);
    }
    Ok(done)
}

/// Fused posterior with acoustic weight `w` (the library's rule; `None` text → acoustic).
fn fuse(rule: FusionRule, w: f32, labels: &[String], pa: &[f32], pt: Option<&[f32]>) -> Vec<f32> {
    FusionWeight {
        rule,
        acoustic_weight: w,
    }
    .fuse(labels, pa, pt)
    .0
}

fn ua(y: &[usize], pred: &[usize]) -> f64 {
    ser_metrics::unweighted_accuracy(y, pred).unwrap_or(0.0)
}

const GRID: usize = 20;

/// The grid weight in {0, 1/GRID, …, 1} with the best `score` (ties → the larger acoustic
/// weight).
fn best_grid_w(score: impl Fn(f32) -> f64) -> f32 {
    let mut best = (f64::NEG_INFINITY, 1.0);
    for i in (0..=GRID).rev() {
        let w = i as f32 / GRID as f32;
        let u = score(w);
        if u > best.0 + 1e-12 {
            best = (u, w);
        }
    }
    best.1
}

/// Everything one corpus contributes.
struct CorpusRun {
    name: String,
    labels: Vec<String>,
    y: Vec<usize>,
    groups: Vec<String>,
    pa: Vec<Vec<f32>>,
    pt: Vec<Option<Vec<f32>>>,
    pt_reference: Vec<Option<Vec<f32>>>,
    asr: Vec<Asr>,
    reference: Vec<Option<String>>,
    acoustic_source: String,
    folds: Vec<ser_metrics::protocol::Fold>,
}

impl CorpusRun {
    fn predict(&self, rule: FusionRule, w: f32, idx: &[usize]) -> Vec<usize> {
        idx.iter()
            .map(|&i| {
                argmax(&fuse(
                    rule,
                    w,
                    &self.labels,
                    &self.pa[i],
                    self.pt[i].as_deref(),
                ))
            })
            .collect()
    }

    /// UA of `rule` with weight `w` on the clips `idx`.
    fn ua_at(&self, rule: FusionRule, w: f32, idx: &[usize]) -> f64 {
        let y: Vec<usize> = idx.iter().map(|&i| self.y[i]).collect();
        ua(&y, &self.predict(rule, w, idx))
    }

    /// Best grid weight on `idx` (ties → the larger acoustic weight).
    fn best_w(&self, rule: FusionRule, idx: &[usize]) -> f32 {
        best_grid_w(|w| self.ua_at(rule, w, idx))
    }

    /// Out-of-fold predictions with `w` picked on each fold's training part; the weights.
    fn nested(&self, rule: FusionRule) -> (Vec<usize>, Vec<f32>) {
        let mut pred = vec![0; self.y.len()];
        let mut ws = Vec::new();
        for f in &self.folds {
            let w = self.best_w(rule, &f.train);
            ws.push(w);
            for (&i, p) in f.test.iter().zip(self.predict(rule, w, &f.test)) {
                pred[i] = p;
            }
        }
        (pred, ws)
    }
}

#[derive(Serialize)]
struct MethodRow {
    method: String,
    weights: Vec<f32>,
    scores: PooledScores,
    delta_ua_vs_acoustic: Option<ser_metrics::ConfidenceInterval>,
}

#[derive(Serialize)]
struct CorpusReport {
    corpus: String,
    n: usize,
    labels: Vec<String>,
    acoustic: String,
    wer: f64,
    wer_normaliser: String,
    languages: Vec<(String, usize)>,
    with_text: usize,
    asr_secs_per_clip: f64,
    rows: Vec<MethodRow>,
}

fn ci(m: &ser_models::MetricCi) -> String {
    format!(
        "{:.1} [{:.1}, {:.1}]",
        100.0 * m.estimate,
        100.0 * m.lower,
        100.0 * m.upper
    )
}

fn load_run(
    args: &Args,
    name: &str,
    asr: &ser_whisper::Transcriber,
    text: &TextEmotionModel,
    cache: &FeatureCache,
) -> Result<CorpusRun> {
    let (corpus, acted) = match name {
        "ravdess" | "emodb" => {
            let k = ser_examples::cli::corpus_kind(name)?;
            (load_corpus(datasets().join(k.name()), k)?, true)
        }
        "spoken-goemotions" => {
            let dir = workspace().join(&args.spoken_dir);
            if !dir.join("manifest.csv").is_file() {
                bail!(
                    "{} has no manifest.csv: run python3 scripts/make_spoken_goemotions.py",
                    dir.display()
                );
            }
            (load_corpus(&dir, CorpusKind::Manifest)?, false)
        }
        other => bail!("unknown corpus {other}"),
    };
    let mapping = if acted {
        LabelMapping::native(ser_examples::cli::corpus_kind(name)?)?
    } else {
        LabelMapping::from_corpus(&corpus)?
    };
    let t0 = Instant::now();
    let recipe = Recipe::named("whisper", mapping.n_classes())?;
    let cd = load_corpus_features(&corpus, &mapping, &recipe.features, cache)?;
    eprintln!(
        "{name}: {} clips, Whisper features in {:.0} s",
        cd.len(),
        t0.elapsed().as_secs_f64()
    );
    let folds = group_k_fold(&cd.groups, args.folds.min(count_groups(&cd.groups)))?;
    // Acoustic posteriors.
    let (pa, acoustic_source) = if acted {
        let mut r = recipe.clone();
        r.train.seed = args.seed;
        // The CV engine, training on every training speaker for the recipe's epochs.
        let pa = ser_models::cross_validate(
            &r.model,
            &r.train,
            &CvConfig::default().inner_val_fraction(0.0),
            &cd.x,
            &cd.y,
            &cd.groups,
            &folds,
            None,
            |_, _| {},
            |_, _| {},
        )?
        .proba;
        (
            pa,
            format!(
                "`whisper` recipe, out-of-fold over {} speaker folds",
                folds.len()
            ),
        )
    } else {
        let model = workspace().join(&args.acoustic_model);
        let rec = Recognizer::load(&model)?.speech_gate(None)?;
        let names: Vec<String> = rec.card().labels.clone();
        let mut pa = Vec::new();
        for p in &cd.paths {
            let pr = rec.predict_file(p)?;
            let mut v: Vec<f32> = cd
                .labels
                .iter()
                .map(|l| {
                    names
                        .iter()
                        .position(|n| n == l)
                        .map_or(0.0, |j| pr.probabilities[j].1)
                })
                .collect();
            let s: f32 = v.iter().sum::<f32>().max(1e-12);
            v.iter_mut().for_each(|x| *x /= s);
            pa.push(v);
        }
        (
            pa,
            format!(
                "`{}` as shipped (trained on EmoDB + RAVDESS), restricted to these classes",
                args.acoustic_model.display()
            ),
        )
    };
    // The clips scored: all, or `per_speaker` per speaker (seeded shuffle, then the first).
    let keep: Vec<usize> = if args.per_speaker == 0 || !acted {
        (0..cd.len()).collect()
    } else {
        let mut order: Vec<usize> = (0..cd.len()).collect();
        let mut state = args.seed ^ 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        for i in (1..order.len()).rev() {
            order.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        // Per speaker and class, clips in shuffled order; then classes round-robin.
        let mut per: HashMap<&str, Vec<Vec<usize>>> = HashMap::new();
        for &i in &order {
            per.entry(cd.groups[i].as_str())
                .or_insert_with(|| vec![Vec::new(); cd.labels.len()])[cd.y[i]]
                .push(i);
        }
        let mut keep = Vec::new();
        for by_class in per.values() {
            let mut taken = 0;
            let mut round = 0;
            while taken < args.per_speaker && by_class.iter().any(|c| round < c.len()) {
                for c in by_class {
                    if taken < args.per_speaker && round < c.len() {
                        keep.push(c[round]);
                        taken += 1;
                    }
                }
                round += 1;
            }
        }
        keep.sort_unstable();
        keep
    };
    let cd = ser_models::CorpusData {
        x: keep.iter().map(|&i| cd.x[i].clone()).collect(),
        y: keep.iter().map(|&i| cd.y[i]).collect(),
        groups: keep.iter().map(|&i| cd.groups[i].clone()).collect(),
        labels: cd.labels.clone(),
        paths: keep.iter().map(|&i| cd.paths[i].clone()).collect(),
        cache_hit: cd.cache_hit,
    };
    let pa: Vec<Vec<f32>> = keep.iter().map(|&i| pa[i].clone()).collect();
    // Folds of the scored clips (weights are chosen on the scored clips of training speakers).
    let folds = group_k_fold(&cd.groups, folds.len().min(count_groups(&cd.groups)))?;
    // Transcripts and text posteriors.
    let tag = format!(
        "{name}-{}-beam{}.jsonl",
        args.asr_model
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        args.beam
    );
    let asr_map = transcribe_all(
        asr,
        args.beam,
        &cd.paths,
        &workspace().join("target/ser-asr-cache").join(tag),
    )?;
    let asr_rows: Vec<Asr> = cd.paths.iter().map(|p| asr_map[p].clone()).collect();
    let by_path: HashMap<&Path, Option<String>> = corpus
        .utterances
        .iter()
        .map(|u| (u.path.as_path(), u.transcript.clone()))
        .collect();
    let reference: Vec<Option<String>> = cd
        .paths
        .iter()
        .map(|p| by_path.get(p.as_path()).cloned().flatten())
        .collect();
    let read = |texts: Vec<Option<&str>>| -> Result<Vec<Option<Vec<f32>>>> {
        let idx: Vec<usize> = (0..texts.len()).filter(|&i| texts[i].is_some()).collect();
        let sel: Vec<&str> = idx.iter().map(|&i| texts[i].unwrap()).collect();
        let te = text.predict_many(&sel)?;
        let mut out = vec![None; texts.len()];
        for (i, t) in idx.into_iter().zip(te) {
            out[i] = Some(text_posterior(&cd.labels, &t.groups));
        }
        Ok(out)
    };
    let pt = read(
        asr_rows
            .iter()
            .map(|a| {
                (!a.text.is_empty() && text.supports_language(&a.language))
                    .then_some(a.text.as_str())
            })
            .collect(),
    )?;
    let corpus_lang_supported = asr_rows
        .iter()
        .filter(|a| text.supports_language(&a.language))
        .count()
        * 2
        > asr_rows.len();
    let pt_reference = read(
        reference
            .iter()
            .map(|r| {
                r.as_deref()
                    .filter(|t| corpus_lang_supported && !t.trim().is_empty())
            })
            .collect(),
    )?;
    Ok(CorpusRun {
        name: name.to_string(),
        labels: cd.labels.clone(),
        y: cd.y.clone(),
        groups: cd.groups.clone(),
        pa,
        pt,
        pt_reference,
        asr: asr_rows,
        reference,
        acoustic_source,
        folds,
    })
}

fn count_groups(g: &[String]) -> usize {
    let mut v: Vec<&String> = g.iter().collect();
    v.sort();
    v.dedup();
    v.len()
}

fn main() -> Result<()> {
    let args = Args::parse();
    let out_dir = workspace().join(&args.out);
    std::fs::create_dir_all(&out_dir)?;
    let asr_dir = workspace().join(&args.asr_model);
    let asr = ser_whisper::Transcriber::load(&asr_dir).with_context(|| {
        format!(
            "loading {} (scripts/fetch_whisper.sh base)",
            asr_dir.display()
        )
    })?;
    let text = TextEmotionModel::load(workspace().join(&args.text_model))
        .context("loading the text model (scripts/fetch_minilm.sh)")?;
    let cache = FeatureCache::new(workspace().join("target/ser-feature-cache"))?;
    let runs: Vec<CorpusRun> = args
        .corpora
        .iter()
        .map(|c| load_run(&args, c, &asr, &text, &cache))
        .collect::<Result<_>>()?;

    // Deployable weight per rule: leave one corpus out, and on all corpora for shipping.
    let mean_ua = |rule: FusionRule, w: f32, skip: Option<usize>| -> f64 {
        let v: Vec<f64> = runs
            .iter()
            .enumerate()
            .filter(|(k, _)| Some(*k) != skip)
            .map(|(_, r)| r.ua_at(rule, w, &(0..r.y.len()).collect::<Vec<_>>()))
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let best_global =
        |rule: FusionRule, skip: Option<usize>| best_grid_w(|w| mean_ua(rule, w, skip));
    let shipped: Vec<(FusionRule, f32)> = [FusionRule::Late, FusionRule::Defer]
        .iter()
        .map(|&r| (r, best_global(r, None)))
        .collect();

    let boot = BootstrapOptions::default()
        .n_resamples(args.boot)
        .seed(args.seed);
    let mut reports = Vec::new();
    for (k, r) in runs.iter().enumerate() {
        let n = r.y.len();
        let all: Vec<usize> = (0..n).collect();
        let nl = r.labels.len();
        let score = |pred: &[usize]| pooled_scores(&r.y, pred, nl, args.boot, args.seed);
        let acoustic = r.predict(FusionRule::Late, 1.0, &all);
        let mut rows = Vec::new();
        let mut push = |method: String, weights: Vec<f32>, pred: Vec<usize>| -> Result<()> {
            let delta = if method == "acoustic" {
                None
            } else {
                Some(ser_fusion::paired_difference(
                    &r.y, &acoustic, &pred, &boot,
                )?)
            };
            rows.push(MethodRow {
                method,
                weights,
                scores: score(&pred)?,
                delta_ua_vs_acoustic: delta,
            });
            Ok(())
        };
        push("acoustic".into(), vec![1.0], acoustic.clone())?;
        let with_text: Vec<usize> = (0..n).filter(|&i| r.pt[i].is_some()).collect();
        if !with_text.is_empty() {
            let text_only: Vec<usize> = (0..n)
                .map(|i| r.pt[i].as_deref().map_or(acoustic[i], argmax))
                .collect();
            push(
                "text (ASR transcript; acoustic where there is none)".into(),
                vec![],
                text_only,
            )?;
            if r.pt_reference.iter().any(Option::is_some) {
                let text_ref: Vec<usize> = (0..n)
                    .map(|i| r.pt_reference[i].as_deref().map_or(acoustic[i], argmax))
                    .collect();
                push("text (reference transcript)".into(), vec![], text_ref)?;
            }
            for rule in [FusionRule::Late, FusionRule::Defer] {
                let (pred, ws) = r.nested(rule);
                push(
                    format!("{rule:?} fusion, w chosen on training folds").to_lowercase(),
                    ws,
                    pred,
                )?;
                let w_loco = best_global(rule, Some(k));
                push(
                    format!("{rule:?} fusion, w chosen on the other corpora").to_lowercase(),
                    vec![w_loco],
                    r.predict(rule, w_loco, &all),
                )?;
            }
        }
        // ASR summary.
        let en = EnglishTextNormalizer::new();
        let basic = BasicTextNormalizer::default();
        let english = r.asr.iter().filter(|a| a.language == "en").count() * 2 > n;
        let norm = |s: &str| {
            if english {
                en.normalize(s)
            } else {
                basic.normalize(s)
            }
        };
        let pairs: Vec<(String, String)> = r
            .reference
            .iter()
            .zip(&r.asr)
            .filter_map(|(rf, a)| rf.as_ref().map(|rf| (norm(rf), norm(&a.text))))
            .collect();
        let mut langs: HashMap<String, usize> = HashMap::new();
        for a in &r.asr {
            *langs.entry(a.language.clone()).or_default() += 1;
        }
        let mut languages: Vec<(String, usize)> = langs.into_iter().collect();
        languages.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        reports.push(CorpusReport {
            corpus: r.name.clone(),
            n,
            labels: r.labels.clone(),
            acoustic: r.acoustic_source.clone(),
            wer: wer_corpus(&pairs),
            wer_normaliser: if english { "English" } else { "basic" }.into(),
            languages,
            with_text: with_text.len(),
            asr_secs_per_clip: r.asr.iter().map(|a| a.secs).sum::<f64>() / n.max(1) as f64,
            rows,
        });
        // Per-clip CSV: which modality the shipped defer rule trusted.
        let (_, w) = shipped[1];
        let shipped_rule = FusionWeight {
            rule: FusionRule::Defer,
            acoustic_weight: w,
        };
        let mut csv =
            String::from("path,group,label,acoustic,text,fused,acoustic_share,transcript\n");
        for i in 0..n {
            let (f, share) = shipped_rule.fuse(&r.labels, &r.pa[i], r.pt[i].as_deref());
            let top = argmax(&f);
            writeln!(
                csv,
                "{},{},{},{},{},{},{:.3},\"{}\"",
                r.asr[i].path.display(),
                r.groups[i],
                r.labels[r.y[i]],
                r.labels[argmax(&r.pa[i])],
                r.pt[i]
                    .as_deref()
                    .map_or("", |p| r.labels[argmax(p)].as_str()),
                r.labels[top],
                share,
                r.asr[i].text.replace('"', "'")
            )?;
        }
        std::fs::write(out_dir.join(format!("clips_{}.csv", r.name)), csv)?;
    }

    let mut md = String::from("# Acoustic + linguistic fusion from the audio alone\n\n");
    writeln!(
        md,
        "Made by `cargo run --release -p ser-examples --bin fusion-asr -- --corpora {} --asr-model {} --beam {} --folds {} --seed {} --per-speaker {}` \
         (after `scripts/fetch_whisper.sh base`, `scripts/fetch_minilm.sh` and `python3 scripts/make_spoken_goemotions.py`).\n",
        args.corpora.join(","),
        args.asr_model.display(),
        args.beam,
        args.folds,
        args.seed,
        args.per_speaker
    )?;
    md.push_str(
        "Transcripts: Whisper (`ser-whisper`) on every clip. Text: `models/text-emotion` (GoEmotions head on MiniLM + \
         lexical features, English only) on the transcript; its Ekman groups are mapped to the corpus's classes \
         (joy → happiness, neutral → neutral / calm). `late`: `w·pa + (1−w)·pt`. `defer`: the text's non-neutral \
         mass `s = (1−w)·(1 − pt(neutral))` replaces that share of the acoustic posterior, so neutral words defer to \
         the voice. Weights come from a grid of 21 values, chosen on the training folds of the corpus (per fold, \
         listed) or on the other corpora (leave-one-corpus-out, the way a shipped weight meets a new domain). \
         UA / accuracy / macro-F1 in % with 95 % bootstrap CIs; ΔUA is a paired bootstrap CI of (method − acoustic).\n\n",
    );
    for (rule, w) in &shipped {
        writeln!(
            md,
            "Weight chosen on all corpora together: {rule:?} w = {w:.2} (the defer weight is the one `models/text-emotion`'s card carries for `recognize --transcribe`).",
        )?;
    }
    md.push('\n');
    for rep in &reports {
        writeln!(
            md,
            "## {}{}\n",
            rep.corpus,
            if rep.corpus == "spoken-goemotions" {
                " (SYNTHETIC: GoEmotions test comments spoken by espeak-ng, the words carry the emotion)"
            } else {
                ""
            }
        )?;
        writeln!(
            md,
            "{} clips, classes {}; acoustic: {}. Whisper: WER {:.1} % ({} normaliser, against the corpus's own text), \
             languages {}, {:.2} s per clip; text posterior on {} clips.\n",
            rep.n,
            rep.labels.join(", "),
            rep.acoustic,
            100.0 * rep.wer,
            rep.wer_normaliser,
            rep.languages
                .iter()
                .map(|(l, c)| format!("{l} {c}"))
                .collect::<Vec<_>>()
                .join(", "),
            rep.asr_secs_per_clip,
            rep.with_text
        )?;
        md.push_str("| method | UA % | accuracy % | macro F1 % | ΔUA vs acoustic | w (acoustic share) |\n|---|---|---|---|---|---|\n");
        for row in &rep.rows {
            writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                row.method,
                ci(&row.scores.ua),
                ci(&row.scores.accuracy),
                ci(&row.scores.macro_f1),
                row.delta_ua_vs_acoustic
                    .as_ref()
                    .map_or("—".into(), |d| format!(
                        "{:+.1} [{:+.1}, {:+.1}]",
                        100.0 * d.estimate,
                        100.0 * d.lower,
                        100.0 * d.upper
                    )),
                if row.weights.is_empty() {
                    "—".into()
                } else {
                    row.weights
                        .iter()
                        .map(|w| format!("{w:.2}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )?;
        }
        md.push('\n');
    }
    md.push_str("Per clip (`clips_<corpus>.csv`): acoustic, text and fused labels and the acoustic share of the fused decision under the shipped defer weight.\n");
    std::fs::write(out_dir.join("fusion_asr.md"), &md)?;
    std::fs::write(
        out_dir.join("fusion_asr.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "shipped": shipped.iter().map(|(r, w)| serde_json::json!({"rule": r, "acoustic_weight": w})).collect::<Vec<_>>(),
            "corpora": reports,
        }))?,
    )?;
    println!("{md}");
    Ok(())
}
