//! Train one architecture on a corpus, speaker-independently cross-validated, then fit a final
//! model on all speakers and save it as a model directory.
//!
//! ```text
//! cargo run --release -p ser-examples --bin train -- \
//!     --corpus ../shared/datasets/emodb --corpus-kind emodb --model cnn \
//!     --protocol group-kfold:5 --out runs/cnn
//! ```
#![allow(clippy::unwrap_used)]

use ser_examples::cli::{label_mapping, protocol_folds, workspace, CorpusArgs};
use ser_examples::robust::{expand_augment, training_copies};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use ser_data::FeatureCache;
use ser_models::{
    cross_validate_with_copies, load_corpus_features_from, plot_history, pooled_scores,
    save_model_dir, train, with_copies, write_history_csv, CorpusData, FeaturePipeline, Labeled,
    ModelCard, Recipe,
};

#[derive(Parser, Debug)]
#[command(about = "Train a ser-models architecture with speaker-independent cross-validation")]
struct Args {
    /// The data: `--corpus-kind emodb` (or a comma-separated list such as `emodb,ravdess`
    /// to train on their union; speakers stay distinct, RAVDESS calm is merged into
    /// neutral), or your own `--manifest FILE` / `--folder DIR`.
    #[command(flatten)]
    data: CorpusArgs,
    /// Label set: native (all corpus classes) or four-class (anger/happiness/sadness/neutral).
    #[arg(long, default_value = "native")]
    labels: String,
    /// Recipe: whisper, whisper-norm, whisper-mlp, linear, mlp, cnn, lstm, cnn-lstm, attention,
    /// transformer, with optional `:key=value` overrides (`Recipe::parse`, e.g. `cnn:norm=cmvn`).
    #[arg(long, default_value = "mlp")]
    model: String,
    /// Protocol: loso, group-kfold:K, or none (no cross-validation).
    #[arg(long, default_value = "group-kfold:5")]
    protocol: String,
    /// Output model directory.
    #[arg(long)]
    out: PathBuf,
    /// Train a new head on top of an existing model directory (e.g. `models/default`): its
    /// features — and so its pretrained Whisper encoder — and its recipe are kept, the
    /// classes are your data's labels. Replaces `--model`.
    #[arg(long)]
    init: Option<PathBuf>,
    /// Override the recipe's maximum epochs.
    #[arg(long)]
    epochs: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Feature cache directory (default: WORKSPACE/target/ser-feature-cache).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Skip the final fit on all speakers (only cross-validate).
    #[arg(long)]
    no_final: bool,
    /// Standardise features per speaker (transductive; see `speaker_standardize`).
    #[arg(long)]
    speaker_norm: bool,
    /// Waveform augmentation: one augmented copy of every training utterance per spec
    /// (`ser-augment` pipeline steps plus `babble:snr=..,talkers=..,p=..`; repeat the flag
    /// for more copies). Copies join training only (never validation or test); their
    /// features are cached. Babble comes from other speakers of the same outer fold.
    /// `default` = `ser_examples::robust::DEFAULT_AUGMENT` (three copies).
    #[arg(long)]
    augment: Vec<String>,
}

fn bar(len: u64, prefix: String) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} ep {msg} ({elapsed})")
            .unwrap()
            .progress_chars("=> "),
    );
    pb.set_prefix(prefix);
    pb
}

fn main() -> Result<()> {
    let mut args = Args::parse();
    args.augment = expand_augment(&args.augment);
    let (corpus, kinds) = args.data.load()?;
    let mapping = label_mapping(&args.labels, &kinds, &corpus)?;
    let init_card = match &args.init {
        Some(init) => {
            let card = ser_models::load_card(init)
                .with_context(|| format!("reading the model to start from, {}", init.display()))?;
            args.model = card
                .training
                .get("recipe")
                .and_then(|r| r.as_str())
                .with_context(|| format!("{} does not record its recipe", init.display()))?
                .to_string();
            eprintln!("--init {}: recipe {}", init.display(), args.model);
            Some((init, card))
        }
        None => None,
    };
    let mut recipe = Recipe::parse(&args.model, mapping.n_classes())?;
    if let Some((init, card)) = &init_card {
        recipe.features = card.features.resolved_against(init);
        if recipe.model.n_features() != recipe.features.n_features() {
            bail!(
                "{}: features ({}) do not fit recipe {}",
                init.display(),
                recipe.features,
                args.model
            );
        }
    }
    let arch = &args.model;
    if let Some(e) = args.epochs {
        recipe.train.epochs = e;
    }
    recipe.train.seed = args.seed;
    let cache = FeatureCache::new(
        args.cache
            .clone()
            .unwrap_or_else(|| workspace().join("target/ser-feature-cache")),
    )?;
    let t0 = Instant::now();
    let pipeline = FeaturePipeline::new(&recipe.features)?;
    let mut data: CorpusData = load_corpus_features_from(&corpus, &mapping, &pipeline, &cache)?;
    if args.speaker_norm {
        ser_models::speaker_standardize(&mut data.x, &data.groups)?;
    }
    eprintln!(
        "{}: {} utterances, {} speakers, classes {:?} {:?}; features {} ({}, {:.1} s)",
        corpus.name,
        data.len(),
        data.speakers().len(),
        data.labels,
        data.class_counts(),
        recipe.features.n_features(),
        if data.cache_hit { "cached" } else { "computed" },
        t0.elapsed().as_secs_f64()
    );
    let augment = recipe.spec_augment.map(|s| s.augmenter());
    std::fs::create_dir_all(&args.out)?;
    let (folds, speaker_dependent) = protocol_folds(
        &args.protocol,
        &mut data.groups,
        &data.y,
        &data.labels,
        corpus.has_speakers(),
    )?;
    if args.speaker_norm && !args.augment.is_empty() {
        bail!("--augment and --speaker-norm together are not supported");
    }
    let copies = training_copies(
        &corpus,
        &mapping,
        &pipeline,
        &cache,
        &data,
        folds.as_deref(),
        &args.protocol,
        &args.augment,
        args.seed,
    )?;

    let mut cv_json = serde_json::Value::Null;
    if let Some(folds) = folds {
        let n_folds = folds.len();
        let pb: std::cell::RefCell<Option<ProgressBar>> = std::cell::RefCell::new(None);
        let mut current = usize::MAX;
        let cv = cross_validate_with_copies(
            &recipe.model,
            &recipe.train,
            &recipe.cv_config(args.seed),
            &data.x,
            &copies,
            &data.y,
            &data.groups,
            &folds,
            augment.as_deref(),
            |k, log| {
                let mut pb = pb.borrow_mut();
                if k != current {
                    if let Some(p) = pb.take() {
                        p.finish();
                    }
                    *pb = Some(bar(
                        recipe.train.epochs as u64,
                        format!("fold {}/{}", k + 1, n_folds),
                    ));
                    current = k;
                }
                if let Some(p) = pb.as_ref() {
                    p.set_position(log.epoch as u64);
                    p.set_message(format!(
                        "loss {:.3} val UA {:.3} {:.1}s/ep",
                        log.train_loss,
                        log.val_ua.unwrap_or(f64::NAN),
                        log.secs
                    ));
                }
            },
            |r, _| {
                if let Some(p) = pb.borrow().as_ref() {
                    p.println(format!(
                        "fold {} test {:?}: UA {:.3} (best epoch {}, {:.2} s/epoch)",
                        r.fold + 1,
                        r.test_groups,
                        r.test_ua,
                        r.best_epoch,
                        r.secs_per_epoch
                    ));
                }
            },
        )?;
        if let Some(p) = pb.borrow_mut().take() {
            p.finish();
        }
        let scores = pooled_scores(&data.y, &cv.pred, data.labels.len(), 1000, 0)?;
        println!(
            "{} {}{} pooled: accuracy {:.3} [{:.3}, {:.3}], UA {:.3} [{:.3}, {:.3}], macro F1 {:.3}",
            arch,
            args.protocol,
            if speaker_dependent {
                " (SPEAKER-DEPENDENT: stratified over utterances)"
            } else {
                ""
            },
            scores.accuracy.estimate,
            scores.accuracy.lower,
            scores.accuracy.upper,
            scores.ua.estimate,
            scores.ua.lower,
            scores.ua.upper,
            scores.macro_f1.estimate
        );
        let cm = ser_metrics::ConfusionMatrix::from_predictions(
            &data.y,
            &cv.pred,
            Some(data.labels.len()),
        )?;
        ser_metrics::plot::confusion_matrix_png(
            &cm,
            Some(&data.labels),
            &ser_metrics::plot::HeatmapOptions::default(),
            args.out.join("cv_confusion.png"),
        )?;
        cv_json = serde_json::json!({
            "protocol": args.protocol,
            "speaker_dependent": speaker_dependent,
            "folds": cv.folds,
            "pooled": scores,
        });
        std::fs::write(
            args.out.join("cv.json"),
            serde_json::to_string_pretty(&cv_json)?,
        )?;
    }

    if args.no_final {
        return Ok(());
    }
    // Final model: all speakers; recipes with early stopping hold out 20 % of the speakers.
    let split = if recipe.inner_val_fraction > 0.0 {
        ser_metrics::protocol::group_train_test_split(
            &data.groups,
            recipe.inner_val_fraction,
            args.seed,
        )?
    } else {
        ser_metrics::protocol::Fold {
            train: (0..data.len()).collect(),
            test: Vec::new(),
        }
    };
    let (xtr, ytr) = with_copies(&data.x, &data.y, &copies, &split.train);
    let (xva, yva) = with_copies(&data.x, &data.y, &[], &split.test);
    let valid = if xva.is_empty() {
        None
    } else {
        Some(Labeled::new(&xva, &yva)?)
    };
    let pb = bar(recipe.train.epochs as u64, "final".into());
    let trained = train(
        &recipe.model,
        &recipe.train,
        Labeled::new(&xtr, &ytr)?,
        valid,
        augment.as_deref(),
        |log| {
            pb.set_position(log.epoch as u64);
            pb.set_message(format!(
                "loss {:.3} val UA {:.3}",
                log.train_loss,
                log.val_ua.unwrap_or(f64::NAN)
            ));
        },
    )?;
    pb.finish();
    write_history_csv(args.out.join("history.csv"), &trained.history)?;
    std::fs::write(
        args.out.join("history.json"),
        serde_json::to_string_pretty(&trained.history)?,
    )?;
    plot_history(
        args.out.join("curve.png"),
        &trained.history,
        &format!("{arch} on {}", corpus.name),
        (800, 500),
    )?;
    let val_speakers: Vec<String> = {
        let mut v: Vec<String> = split.test.iter().map(|&i| data.groups[i].clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    let card = ModelCard::new(
        recipe.model.clone(),
        recipe.features.clone(),
        data.labels.clone(),
    )
    .training(serde_json::json!({
        "recipe": args.model,
        "corpus": corpus.name,
        "n_utterances": data.len(),
        "speakers": data.speakers(),
        "class_counts": data.class_counts(),
        "label_set": args.labels,
        "train_utterances": split.train.len(),
        "augmentation": {
            "specs": args.augment,
            "copies_per_utterance": copies.len(),
            "train_items": xtr.len(),
        },
        "early_stopping_speakers": val_speakers,
        "best_epoch": trained.best_epoch,
        "epochs_run": trained.history.len(),
        "secs_per_epoch": trained.secs_per_epoch,
        "trainer": recipe.train,
        "spec_augment": recipe.spec_augment,
        "n_parameters": trained.params.n_trainable(),
    }))
    .scores(serde_json::json!({
        "cross_validation": cv_json,
        "early_stopping_val_ua": trained.best_val_ua,
    }));
    save_model_dir(&args.out, &card, &trained.params)?;
    println!(
        "saved {} ({} parameters, {})",
        args.out.display(),
        trained.params.n_trainable(),
        match trained.best_val_ua {
            Some(u) => format!("best epoch {}, validation UA {u:.3}", trained.best_epoch),
            None => format!("{} epochs, no early stopping", trained.history.len()),
        }
    );
    Ok(())
}
