//! Cross-corpus evaluation: train on all of one corpus, test on all of another, on the classes
//! they share (neutral, happiness, sadness, anger; RAVDESS calm merged into neutral).
//!
//! Rows are `ser-models` recipes (`whisper`, `linear`, …); a `+aug` suffix trains with three
//! augmented copies of every training clip (`ser_examples::robust::DEFAULT_AUGMENT`, the
//! shipped default's augmentation); a final `+adapt` suffix standardises the test corpus with
//! its own (unlabelled) feature statistics instead of the training corpus's — what
//! `Recognizer::adapt` / `recognize --adapt` do for a user's own recordings.
//! Writes `<out>/cross_corpus.md` and `<out>/cross_corpus.json`.
//!
//! ```text
//! cargo run --release -p ser-examples --bin cross-corpus -- --models whisper,whisper+adapt,linear,linear+adapt
//! ```
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use ser_data::{load_corpus, FeatureCache, LabelMapping};
use ser_examples::cli::{corpus_kind, datasets, pct, workspace};
use ser_examples::robust::{training_copies, DEFAULT_AUGMENT};
use ser_models::{
    fit_standardizer, load_corpus_features_from, pooled_scores, predict_proba, set_standardizer,
    train, with_copies, FeaturePipeline, Labeled, PooledScores, Recipe,
};
use serde::Serialize;

#[derive(Parser, Debug)]
#[command(about = "Train on one corpus, test on another (4 shared classes)")]
struct Args {
    /// Comma-separated `train:test` corpus pairs.
    #[arg(long, default_value = "emodb:ravdess,ravdess:emodb")]
    pairs: String,
    /// Comma-separated recipes; `+aug` trains with the default augmentation, `+adapt`
    /// standardises the test corpus with its own statistics (order: `whisper+aug+adapt`).
    #[arg(long, default_value = "whisper,whisper+adapt,linear,linear+adapt")]
    models: String,
    /// Output directory.
    #[arg(long, default_value = "results/encoder")]
    out: PathBuf,
    /// Bootstrap resamples for the confidence intervals.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Debug, Serialize)]
struct Row {
    train: String,
    test: String,
    row: String,
    labels: Vec<String>,
    n_train: usize,
    n_test: usize,
    pooled: PooledScores,
    wall_secs: f64,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let out = if a.out.is_relative() {
        workspace().join(&a.out)
    } else {
        a.out.clone()
    };
    std::fs::create_dir_all(&out)?;
    let mapping = LabelMapping::four_class().calm_as_neutral();
    let cache = FeatureCache::new(workspace().join("target/ser-feature-cache"))?;
    let mut rows = Vec::new();
    for pair in a.pairs.split(',') {
        let (tr, te) = pair.split_once(':').context("pairs are train:test")?;
        for row in a.models.split(',') {
            let (name, adapt) = match row.strip_suffix("+adapt") {
                Some(n) => (n, true),
                None => (row, false),
            };
            let (name, aug) = match name.strip_suffix("+aug") {
                Some(n) => (n, true),
                None => (name, false),
            };
            let t0 = Instant::now();
            let mut recipe = Recipe::parse(name, mapping.n_classes())?;
            recipe.train.seed = a.seed;
            let pipeline = FeaturePipeline::new(&recipe.features)?;
            let load = |kind: &str| -> Result<_> {
                let k = corpus_kind(kind)?;
                let c = load_corpus(datasets().join(k.name()), k)?;
                let d = load_corpus_features_from(&c, &mapping, &pipeline, &cache)?;
                Ok((c, d))
            };
            let (ctr, dtr) = load(tr)?;
            let (_, dte) = load(te)?;
            // `+aug`: three augmented copies of every training clip (the default model's
            // augmentation; babble from other speakers of the training corpus).
            let specs: Vec<String> = if aug {
                DEFAULT_AUGMENT.iter().map(|s| s.to_string()).collect()
            } else {
                Vec::new()
            };
            let copies = training_copies(
                &ctr, &mapping, &pipeline, &cache, &dtr, None, "none", &specs, a.seed,
            )?;
            // Early-stopping recipes hold out training speakers; convex ones train to the end.
            let (train_idx, val_idx) = if recipe.inner_val_fraction > 0.0 {
                let split = ser_metrics::protocol::group_train_test_split(
                    &dtr.groups,
                    recipe.inner_val_fraction,
                    a.seed,
                )?;
                (split.train, split.test)
            } else {
                ((0..dtr.len()).collect(), Vec::new())
            };
            let (xt, yt) = with_copies(&dtr.x, &dtr.y, &copies, &train_idx);
            let (xv, yv) = with_copies(&dtr.x, &dtr.y, &[], &val_idx);
            let valid = if xv.is_empty() {
                None
            } else {
                Some(Labeled::new(&xv, &yv)?)
            };
            let augment = recipe.spec_augment.map(|s| s.augmenter());
            let trained = train(
                &recipe.model,
                &recipe.train,
                Labeled::new(&xt, &yt)?,
                valid,
                augment.as_deref(),
                |_| {},
            )?;
            if adapt {
                let (mean, inv) = fit_standardizer(&dte.x)?;
                set_standardizer(&trained.params, &mean, &inv)?;
            }
            let proba = predict_proba(&trained.model, &dte.x, 64)?;
            let pred: Vec<usize> = proba.iter().map(|p| ser_metrics::argmax(p)).collect();
            let pooled = pooled_scores(&dte.y, &pred, mapping.n_classes(), a.bootstrap, a.seed)?;
            eprintln!(
                "{tr} -> {te} {row}: UA {:.3} accuracy {:.3} ({:.0} s)",
                pooled.ua.estimate,
                pooled.accuracy.estimate,
                t0.elapsed().as_secs_f64()
            );
            rows.push(Row {
                train: tr.into(),
                test: te.into(),
                row: row.into(),
                labels: dtr.labels.clone(),
                n_train: xt.len(),
                n_test: dte.len(),
                pooled,
                wall_secs: t0.elapsed().as_secs_f64(),
            });
        }
    }
    let mut md = String::from("# Cross-corpus: train on one corpus, test on the other\n\n");
    md.push_str(&format!(
        "Classes: {} (RAVDESS calm merged into neutral; other classes dropped). Every file of the \
         training corpus trains the model (early-stopping recipes hold out 20 % of its speakers); every \
         file of the other corpus is tested. `+aug`: three augmented copies of every training file \
         join training (the shipped default's `--augment default`; the train count includes them). \
         `+adapt`: the test corpus is standardised with its own \
         unlabelled feature statistics instead of the training corpus's (no labels used). Brackets: \
         95 % bootstrap CIs ({} resamples, seed {}).\n\n",
        rows.first().map(|r| r.labels.join(", ")).unwrap_or_default(),
        a.bootstrap,
        a.seed
    ));
    md.push_str("| train → test | model | UA % | accuracy % | macro F1 % | train / test files |\n|---|---|---|---|---|---|\n");
    for r in &rows {
        md.push_str(&format!(
            "| {} → {} | {} | {} | {} | {} | {} / {} |\n",
            r.train,
            r.test,
            r.row,
            pct(&r.pooled.ua),
            pct(&r.pooled.accuracy),
            pct(&r.pooled.macro_f1),
            r.n_train,
            r.n_test
        ));
    }
    md.push_str(&format!(
        "\nMade by `cargo run --release -p ser-examples --bin cross-corpus -- --pairs {} --models {} --out {}`.\n",
        a.pairs,
        a.models,
        a.out.display()
    ));
    std::fs::write(out.join("cross_corpus.md"), &md)?;
    std::fs::write(
        out.join("cross_corpus.json"),
        serde_json::to_string_pretty(&rows)?,
    )?;
    println!("{md}");
    Ok(())
}
