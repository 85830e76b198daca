//! `quantize`: write an int8 / f16 / bf16 copy of a model directory and compare it with the
//! f32 original: file size, load time, model time and UA on a corpus.
//!
//! ```text
//! cargo run --release -p ser-examples --bin quantize -- \
//!     --model models/default --out models/default-int8 --scheme int8 --eval-corpus emodb
//! ```
//! Caveat: evaluating on the corpus the model was trained on measures how much the
//! quantisation changes the model's decisions (agreement, UA difference), not generalisation.
//! `--oof-folds K` adds the out-of-fold comparison: K speaker-independent folds, each trained
//! in f32 with the model's own architecture and features, quantised, and both versions scored
//! on the held-out speakers.

use ser_examples::cli::{corpus_kind, datasets, workspace};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use ser_data::{load_corpus, FeatureCache, LabelMapping};
use ser_models::quant::{quantize_model_dir, QuantScheme};
use ser_models::{
    load_corpus_features, save_model_dir, train, CorpusData, Labeled, Recognizer, Sequence,
    TrainConfig,
};

#[derive(Parser, Debug)]
#[command(about = "Quantise a model directory and compare it with the f32 model")]
struct Args {
    /// f32 model directory.
    #[arg(long, default_value = "models/default")]
    model: PathBuf,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// int8, f16 or bf16.
    #[arg(long, default_value = "int8")]
    scheme: String,
    /// Evaluate both models on this corpus kind (emodb or ravdess) with native labels.
    #[arg(long)]
    eval_corpus: Option<String>,
    /// Corpus folder (default: `$SER_DATASETS/<kind>` or `<workspace>/../shared/datasets/<kind>`).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Timing repetitions of the model pass.
    #[arg(long, default_value_t = 5)]
    reps: usize,
    /// Also compare f32 and quantised models out of fold: K speaker-independent folds.
    #[arg(long)]
    oof_folds: Option<usize>,
    /// Training epochs per fold for `--oof-folds`.
    #[arg(long, default_value_t = 30)]
    oof_epochs: usize,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let scheme: QuantScheme = a.scheme.parse()?;
    let rep = quantize_model_dir(&a.model, &a.out, scheme)?;
    println!(
        "{:?}: {} -> {} bytes ({:.2}x smaller), {} tensors quantised, {} kept f32, max |w - w_q| = {:.2e}",
        rep.scheme,
        rep.original_bytes,
        rep.quantized_bytes,
        rep.original_bytes as f64 / rep.quantized_bytes as f64,
        rep.n_quantized,
        rep.n_kept,
        rep.max_abs_error
    );
    let t = Instant::now();
    let f32_rec = Recognizer::load(&a.model)?;
    let t_f32 = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let q_rec = Recognizer::load(&a.out)?;
    let t_q = t.elapsed().as_secs_f64();
    println!(
        "load: f32 {:.1} ms, {:?} {:.1} ms",
        1e3 * t_f32,
        scheme,
        1e3 * t_q
    );

    let Some(kind) = a.eval_corpus.as_deref() else {
        return Ok(());
    };
    let kind = corpus_kind(kind)?;
    let dir = a
        .corpus
        .clone()
        .unwrap_or_else(|| datasets().join(kind.name()));
    let corpus = load_corpus(&dir, kind).with_context(|| format!("loading {}", dir.display()))?;
    let mapping = LabelMapping::native(kind)?;
    let cache = FeatureCache::new(workspace().join("target/ser-feature-cache"))?;
    let data = load_corpus_features(&corpus, &mapping, &f32_rec.card().features, &cache)?;
    if data.labels != f32_rec.card().labels {
        bail!(
            "corpus labels {:?} differ from the model's {:?}",
            data.labels,
            f32_rec.card().labels
        );
    }
    let mut results = Vec::new();
    for (name, rec) in [("f32", &f32_rec), ("quantised", &q_rec)] {
        let mut best = f64::INFINITY;
        let mut preds = Vec::new();
        for _ in 0..a.reps.max(1) {
            let t = Instant::now();
            preds = rec.predict_sequences(&data.x)?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        let y: Vec<usize> = preds.iter().map(|p| p.index).collect();
        let ua = ser_metrics::unweighted_accuracy(&data.y, &y)?;
        println!(
            "{name:>9}: UA {:.4} on {} utterances; model pass {:.1} ms ({:.3} ms/utterance, best of {})",
            ua,
            data.len(),
            1e3 * best,
            1e3 * best / data.len() as f64,
            a.reps.max(1)
        );
        results.push(preds);
    }
    let agree = results[0]
        .iter()
        .zip(&results[1])
        .filter(|(a, b)| a.index == b.index)
        .count();
    let max_dp = results[0]
        .iter()
        .zip(&results[1])
        .flat_map(|(a, b)| {
            a.probabilities
                .iter()
                .zip(&b.probabilities)
                .map(|((_, x), (_, y))| (x - y).abs())
        })
        .fold(0f32, f32::max);
    println!(
        "agreement {}/{} ({:.2}%), max |p_f32 - p_q| = {:.2e}",
        agree,
        data.len(),
        100.0 * agree as f64 / data.len() as f64,
        max_dp
    );
    if let Some(k) = a.oof_folds {
        out_of_fold(&f32_rec, &data, scheme, k, a.oof_epochs)?;
    }
    Ok(())
}

/// Speaker-independent K-fold: train f32 on K-1 folds, quantise, score both on the held-out
/// fold; pooled UA of the out-of-fold predictions.
fn out_of_fold(
    base: &Recognizer,
    data: &CorpusData,
    scheme: QuantScheme,
    k: usize,
    epochs: usize,
) -> Result<()> {
    let folds = ser_metrics::protocol::group_k_fold(&data.groups, k)?;
    let tmp = std::env::temp_dir().join(format!("ser-quant-oof-{}", std::process::id()));
    let mut pred_f = vec![0usize; data.len()];
    let mut pred_q = vec![0usize; data.len()];
    let tcfg = TrainConfig::default().epochs(epochs);
    let card = base.card();
    for (i, fold) in folds.iter().enumerate() {
        let pick = |idx: &[usize]| -> (Vec<Sequence>, Vec<usize>) {
            (
                idx.iter().map(|&j| data.x[j].clone()).collect(),
                idx.iter().map(|&j| data.y[j]).collect(),
            )
        };
        let (xt, yt) = pick(&fold.train);
        let (xv, _) = pick(&fold.test);
        let trained = train(
            &card.model,
            &tcfg,
            Labeled::new(&xt, &yt)?,
            None,
            None,
            |_| {},
        )?;
        let fdir = tmp.join(format!("fold{i}"));
        let qdir = tmp.join(format!("fold{i}-q"));
        save_model_dir(&fdir, card, &trained.params)?;
        quantize_model_dir(&fdir, &qdir, scheme)?;
        let rf = Recognizer::load(&fdir)?;
        let rq = Recognizer::load(&qdir)?;
        for ((&j, pf), pq) in fold
            .test
            .iter()
            .zip(rf.predict_sequences(&xv)?)
            .zip(rq.predict_sequences(&xv)?)
        {
            pred_f[j] = pf.index;
            pred_q[j] = pq.index;
        }
        eprintln!(
            "fold {}/{} done ({} test utterances)",
            i + 1,
            folds.len(),
            fold.test.len()
        );
    }
    std::fs::remove_dir_all(&tmp).ok();
    let ua_f = ser_metrics::unweighted_accuracy(&data.y, &pred_f)?;
    let ua_q = ser_metrics::unweighted_accuracy(&data.y, &pred_q)?;
    let agree = pred_f.iter().zip(&pred_q).filter(|(a, b)| a == b).count();
    println!(
        "out-of-fold ({k} speaker folds, {epochs} epochs): UA f32 {ua_f:.4}, {scheme:?} {ua_q:.4} \
         (diff {:+.4}); agreement {agree}/{} ({:.2}%)",
        ua_q - ua_f,
        data.len(),
        100.0 * agree as f64 / data.len() as f64
    );
    Ok(())
}
