//! Robustness benchmark: UA under noise, reverberation, a telephone channel, level changes and
//! clipping, for models trained without and with waveform augmentation.
//!
//! Speaker-independent folds (`--protocol`, default 5-fold GroupKFold over the speakers of
//! EmoDB + RAVDESS). Every corruption is applied, seeded per clip, to the held-out fold only;
//! babble is made of 4 talkers from the training folds (never the test speaker). With
//! augmentation, every `--augment` spec adds one augmented copy of each training utterance
//! (its babble from other speakers of the same outer fold, so a copy never contains a
//! speaker it is tested against); validation and test utterances stay original. Training is
//! `ser_models::cross_validate_with_copies` (the one trainer); corruptions are `ser-augment`
//! transforms. `+adapt` rows standardise each corrupted test fold with its own unlabelled
//! feature statistics (what `recognize --adapt DIR` does).
//!
//! Writes `<out>/robustness.md`, `<out>/robustness.png` and `<out>/robustness.json`.
//!
//! ```text
//! cargo run --release -p ser-examples --bin robustness -- --models whisper,linear
//! ```
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use plotters::prelude::*;
use ser_data::FeatureCache;
use ser_examples::cli::{label_mapping, load_corpora, pct, speaker_folds, workspace};
use ser_examples::robust::{
    augmented_copies, corrupted_features, expand_augment, fold_blocks, load_bank, Corruption,
    CorruptionContext, TalkerPool,
};
use ser_fusion::{argmax, cv::paired_difference};
use ser_metrics::BootstrapOptions;
use ser_models::{
    cross_validate_with_copies, fit_standardizer, load_corpus_features_from, pooled_scores,
    predict_proba, set_standardizer, FeaturePipeline, MetricCi, Recipe, Sequence,
};
use serde::Serialize;

/// The corruptions tested by default.
const CONDITIONS: &str = "clean,white@20,white@10,white@5,white@0,pink@20,pink@10,pink@5,pink@0,\
babble@20,babble@10,babble@5,babble@0,reverb@0.3,reverb@0.6,reverb@1.0,telephone,level@-20,clipping@10";

#[derive(Parser, Debug)]
#[command(
    about = "UA under noise, reverb, telephone, level and clipping, with and without augmentation"
)]
struct Args {
    /// Corpus kinds (their union; RAVDESS calm merged into neutral).
    #[arg(long, default_value = "emodb,ravdess")]
    corpus_kind: String,
    /// Label set: native or four-class.
    #[arg(long, default_value = "native")]
    labels: String,
    /// Comma-separated `ser-models` recipes.
    #[arg(long, default_value = "whisper,linear")]
    models: String,
    /// Comma-separated training variants: `none` (clean training data), `aug` (plus the
    /// augmented copies); a `+adapt` suffix also scores test-fold standardisation.
    #[arg(long, default_value = "none,none+adapt,aug,aug+adapt")]
    variants: String,
    /// Speaker protocol.
    #[arg(long, default_value = "group-kfold:5")]
    protocol: String,
    /// Comma-separated conditions `family@level` (white/pink/babble@SNR dB, reverb@RT60 s,
    /// level@dB, clipping@percent) or `clean` / `telephone`.
    #[arg(long, default_value = CONDITIONS)]
    conditions: String,
    /// Augmentation spec of one training copy (repeat for more copies); `ser-augment`
    /// pipeline steps plus `babble:snr=..,talkers=..,p=..`; `default` = the three specs of
    /// `ser_examples::robust::DEFAULT_AUGMENT`.
    #[arg(long = "augment", default_value = "default")]
    augment: Vec<String>,
    /// Output directory (robustness.md / .png / .json).
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Bootstrap resamples for the CIs.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Seed of the corruptions, augmentation, folds' inner splits and training.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Debug, Clone, Serialize)]
struct Condition {
    name: String,
    family: String,
    level: Option<f32>,
    spec: String,
}

fn condition(name: &str) -> Result<Condition> {
    let (family, level) = match name.split_once('@') {
        Some((f, l)) => (
            f,
            Some(
                l.parse::<f32>()
                    .with_context(|| format!("level of {name}"))?,
            ),
        ),
        None => (name, None),
    };
    let spec = match (family, level) {
        ("clean", None) => String::new(),
        ("white" | "pink", Some(s)) => format!("noise:snr={s},color={family}"),
        ("babble", Some(s)) => format!("babble:snr={s},talkers=4"),
        ("reverb", Some(r)) => format!("reverb:rt60={r},wet=1"),
        ("telephone", None) => "telephone; resample:8000; mulaw:8".into(),
        ("level", Some(db)) => format!("gain:{db}"),
        ("clipping", Some(p)) => format!("clip:{p}"),
        _ => bail!("unknown condition {name} (clean, white@dB, pink@dB, babble@dB, reverb@s, telephone, level@dB, clipping@%)"),
    };
    Ok(Condition {
        name: name.to_string(),
        family: family.to_string(),
        level,
        spec,
    })
}

#[derive(Debug, Serialize)]
struct Row {
    model: String,
    variant: String,
    /// UA with CI per condition name.
    ua: BTreeMap<String, MetricCi>,
    /// Mean training seconds per epoch over the folds.
    secs_per_epoch: f64,
    /// Training utterances per fold (mean), originals + copies.
    n_train: f64,
}

#[derive(Debug, Serialize)]
struct Gain {
    model: String,
    condition: String,
    /// UA(aug) − UA(none), paired bootstrap.
    delta: MetricCi,
}

fn main() -> Result<()> {
    let mut a = Args::parse();
    a.augment = expand_augment(&a.augment);
    let out = if a.out.is_relative() {
        workspace().join(&a.out)
    } else {
        a.out.clone()
    };
    std::fs::create_dir_all(&out)?;
    let conditions = a
        .conditions
        .split(',')
        .map(|c| condition(c.trim()))
        .collect::<Result<Vec<_>>>()?;
    let corruptions = conditions
        .iter()
        .map(|c| Corruption::parse(&c.spec))
        .collect::<Result<Vec<_>>>()?;
    let augments = a
        .augment
        .iter()
        .map(|s| Corruption::parse(s))
        .collect::<Result<Vec<_>>>()?;
    let (corpus, kinds) = load_corpora(&a.corpus_kind, None)?;
    let mapping = label_mapping(&a.labels, &kinds, &corpus)?;
    let cache = FeatureCache::new(workspace().join("target/ser-feature-cache"))?;
    let boot = BootstrapOptions::default()
        .n_resamples(a.bootstrap)
        .seed(a.seed);

    let mut rows: Vec<Row> = Vec::new();
    let mut gains: Vec<Gain> = Vec::new();
    let mut timings: Vec<(String, String, f64)> = Vec::new();
    let mut bank: Option<(u32, Vec<Vec<f32>>)> = None;
    let mut labels = Vec::new();
    let mut n_utts = 0;
    for model in a.models.split(',') {
        let mut recipe = Recipe::parse(model, mapping.n_classes())?;
        recipe.train.seed = a.seed;
        let pipeline = FeaturePipeline::new(&recipe.features)?;
        let t0 = Instant::now();
        let clean = load_corpus_features_from(&corpus, &mapping, &pipeline, &cache)?;
        timings.push((model.into(), "clean".into(), t0.elapsed().as_secs_f64()));
        labels = clean.labels.clone();
        n_utts = clean.len();
        let folds = speaker_folds(&a.protocol, &clean.groups)?
            .context("the benchmark needs speaker folds (not `none`)")?;
        let block = fold_blocks(Some(&folds), clean.len());
        let sr = pipeline.sample_rate();
        if bank.as_ref().map(|b| b.0) != Some(sr) {
            eprintln!("loading {} clips at {sr} Hz", clean.len());
            bank = Some((sr, load_bank(&clean.paths, sr)?));
        }
        let audio = &bank.as_ref().unwrap().1;
        let ctx = CorruptionContext {
            corpus: &corpus,
            mapping: &mapping,
            pipeline: &pipeline,
            cache: &cache,
            bank: audio,
            groups: &clean.groups,
            block: &block,
            protocol: &a.protocol,
            seed: a.seed,
        };
        let mut cond_x: Vec<Vec<Sequence>> = Vec::new();
        for (c, cor) in conditions.iter().zip(&corruptions) {
            let t = Instant::now();
            cond_x.push(if c.spec.is_empty() {
                clean.x.clone()
            } else {
                let d = corrupted_features(&ctx, cor, TalkerPool::OtherBlocks, "test")?;
                eprintln!(
                    "{model} {}: {} ({:.1} s)",
                    c.name,
                    if d.cache_hit { "cached" } else { "computed" },
                    t.elapsed().as_secs_f64()
                );
                d.x
            });
            timings.push((model.into(), c.name.clone(), t.elapsed().as_secs_f64()));
        }
        let t = Instant::now();
        let copies = augmented_copies(&ctx, &augments)?;
        timings.push((
            model.into(),
            format!("{} augmented copies", copies.len()),
            t.elapsed().as_secs_f64(),
        ));

        let variants: Vec<&str> = a.variants.split(',').map(str::trim).collect();
        // Each training variant once, in first-mention order (`aug+adapt` trains `aug`).
        let mut trained_variants: Vec<&str> = Vec::new();
        for v in &variants {
            let tv = v.strip_suffix("+adapt").unwrap_or(v);
            if !trained_variants.contains(&tv) {
                trained_variants.push(tv);
            }
        }
        let mut preds: BTreeMap<String, Vec<Vec<usize>>> = BTreeMap::new();
        for tv in trained_variants {
            let use_copies: &[Vec<Sequence>] = match tv {
                "none" => &[],
                "aug" => &copies,
                other => bail!("unknown variant {other} (none, aug, none+adapt, aug+adapt)"),
            };
            let adapt = variants.contains(&format!("{tv}+adapt").as_str());
            let mut plain = vec![vec![usize::MAX; clean.len()]; conditions.len()];
            let mut adapted = plain.clone();
            let mut fold_err: Option<anyhow::Error> = None;
            let t = Instant::now();
            let cv = cross_validate_with_copies(
                &recipe.model,
                &recipe.train,
                &recipe.cv_config(a.seed),
                &clean.x,
                use_copies,
                &clean.y,
                &clean.groups,
                &folds,
                None,
                |_, _| {},
                |r, trained| {
                    let test = &folds[r.fold].test;
                    let mut run = || -> Result<()> {
                        let saved = trained.params.snapshot()?;
                        for (c, xs) in cond_x.iter().enumerate() {
                            let xt: Vec<Sequence> = test.iter().map(|&i| xs[i].clone()).collect();
                            for (&i, p) in test.iter().zip(predict_proba(&trained.model, &xt, 64)?)
                            {
                                plain[c][i] = argmax(&p);
                            }
                            if adapt {
                                let (mean, inv) = fit_standardizer(&xt)?;
                                set_standardizer(&trained.params, &mean, &inv)?;
                                for (&i, p) in
                                    test.iter().zip(predict_proba(&trained.model, &xt, 64)?)
                                {
                                    adapted[c][i] = argmax(&p);
                                }
                                trained.params.restore(&saved)?;
                            }
                        }
                        Ok(())
                    };
                    if let Err(e) = run() {
                        fold_err.get_or_insert(e);
                    }
                    eprintln!(
                        "{model} {tv} fold {}: clean UA {:.3}, {:.2} s/epoch",
                        r.fold + 1,
                        r.test_ua,
                        r.secs_per_epoch
                    );
                },
            )?;
            if let Some(e) = fold_err {
                return Err(e);
            }
            timings.push((
                model.into(),
                format!("train {tv}"),
                t.elapsed().as_secs_f64(),
            ));
            let nf = cv.folds.len() as f64;
            let secs = cv.folds.iter().map(|f| f.secs_per_epoch).sum::<f64>() / nf;
            let n_train = cv.folds.iter().map(|f| f.n_train as f64).sum::<f64>() / nf
                * (1 + use_copies.len()) as f64;
            let mut sets = vec![(tv.to_string(), plain)];
            if adapt {
                sets.push((format!("{tv}+adapt"), adapted));
            }
            for (name, pred) in sets {
                if !variants.contains(&name.as_str()) {
                    continue;
                }
                let mut ua = BTreeMap::new();
                for (c, p) in conditions.iter().zip(&pred) {
                    let s = pooled_scores(&clean.y, p, labels.len(), a.bootstrap, a.seed)?;
                    ua.insert(c.name.clone(), s.ua);
                }
                rows.push(Row {
                    model: model.into(),
                    variant: name.clone(),
                    ua,
                    secs_per_epoch: secs,
                    n_train,
                });
                preds.insert(name, pred);
            }
        }
        if let (Some(n), Some(g)) = (preds.get("none"), preds.get("aug")) {
            for (c, cond) in conditions.iter().enumerate() {
                let ci = paired_difference(&clean.y, &n[c], &g[c], &boot)?;
                gains.push(Gain {
                    model: model.into(),
                    condition: cond.name.clone(),
                    delta: MetricCi {
                        estimate: ci.estimate,
                        lower: ci.lower,
                        upper: ci.upper,
                    },
                });
            }
        }
        for r in rows.iter().filter(|r| r.model == model) {
            eprintln!(
                "{model} {}: {}",
                r.variant,
                conditions
                    .iter()
                    .map(|c| format!("{} {:.3}", c.name, r.ua[&c.name].estimate))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }

    let md = report(&a, &conditions, &rows, &gains, &timings, &labels, n_utts);
    std::fs::write(out.join("robustness.md"), &md)?;
    std::fs::write(
        out.join("robustness.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "conditions": conditions,
            "augment": a.augment,
            "protocol": a.protocol,
            "labels": labels,
            "rows": rows,
            "gains": gains,
            "timings_secs": timings,
        }))?,
    )?;
    plot(&out.join("robustness.png"), &conditions, &rows)?;
    println!("{md}");
    Ok(())
}

fn report(
    a: &Args,
    conditions: &[Condition],
    rows: &[Row],
    gains: &[Gain],
    timings: &[(String, String, f64)],
    labels: &[String],
    n: usize,
) -> String {
    let mut md =
        String::from("# Robustness: UA under noise, reverberation and channel corruptions\n\n");
    md.push_str(&format!(
        "{} utterances of {} ({} classes: {}), protocol `{}` (speaker-independent; pooled \
         out-of-fold predictions). Each corruption is applied to the held-out fold only, seeded \
         per clip; babble = 4 talkers of the training folds. UA in %, brackets: 95 % bootstrap \
         CI ({} resamples). Variants: `none` = trained on clean audio; `aug` = plus one \
         augmented copy of every training utterance per spec below; `+adapt` = each corrupted \
         test fold standardised with its own unlabelled feature statistics.\n\n",
        n,
        a.corpus_kind,
        labels.len(),
        labels.join(", "),
        a.protocol,
        a.bootstrap
    ));
    md.push_str("Augmentation specs (one copy each):\n\n");
    for s in &a.augment {
        md.push_str(&format!("* `{s}`\n"));
    }
    md.push_str("\n## Headline\n\n| model | variant | clean | white 10 dB | white 0 dB | babble 10 dB | babble 0 dB | reverb 0.6 s | telephone |\n|---|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let get = |k: &str| r.ua.get(k).map(pct).unwrap_or_else(|| "–".into());
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.model,
            r.variant,
            get("clean"),
            get("white@10"),
            get("white@0"),
            get("babble@10"),
            get("babble@0"),
            get("reverb@0.6"),
            get("telephone")
        ));
    }
    md.push_str("\n## Loss relative to clean (UA points; target for the default: ≤ 5 at 10 dB, ≤ 10 at 0 dB)\n\n| model | variant |");
    for c in conditions.iter().filter(|c| c.name != "clean") {
        md.push_str(&format!(" {} |", c.name));
    }
    md.push_str("\n|---|---|");
    for _ in conditions.iter().filter(|c| c.name != "clean") {
        md.push_str("---|");
    }
    md.push('\n');
    for r in rows {
        let clean = r.ua.get("clean").map(|m| m.estimate).unwrap_or(f64::NAN);
        md.push_str(&format!("| {} | {} |", r.model, r.variant));
        for c in conditions.iter().filter(|c| c.name != "clean") {
            md.push_str(&format!(
                " {:.1} |",
                100.0 * (clean - r.ua[&c.name].estimate)
            ));
        }
        md.push('\n');
    }
    md.push_str("\n## All conditions (UA %, 95 % CI)\n\n| condition | spec |");
    for r in rows {
        md.push_str(&format!(" {} {} |", r.model, r.variant));
    }
    md.push_str("\n|---|---|");
    for _ in rows {
        md.push_str("---|");
    }
    md.push('\n');
    for c in conditions {
        md.push_str(&format!("| {} | `{}` |", c.name, c.spec));
        for r in rows {
            md.push_str(&format!(" {} |", pct(&r.ua[&c.name])));
        }
        md.push('\n');
    }
    if !gains.is_empty() {
        md.push_str("\n## Robustness gain of augmentation (UA(aug) − UA(none), points, paired bootstrap 95 % CI)\n\n| condition |");
        let models: Vec<&str> = {
            let mut m: Vec<&str> = gains.iter().map(|g| g.model.as_str()).collect();
            m.dedup();
            m
        };
        for m in &models {
            md.push_str(&format!(" {m} |"));
        }
        md.push_str("\n|---|");
        for _ in &models {
            md.push_str("---|");
        }
        md.push('\n');
        for c in conditions {
            md.push_str(&format!("| {} |", c.name));
            for m in &models {
                match gains
                    .iter()
                    .find(|g| &g.model == m && g.condition == c.name)
                {
                    Some(g) => md.push_str(&format!(
                        " {:+.1} [{:+.1}, {:+.1}] |",
                        100.0 * g.delta.estimate,
                        100.0 * g.delta.lower,
                        100.0 * g.delta.upper
                    )),
                    None => md.push_str(" – |"),
                }
            }
            md.push('\n');
        }
    }
    md.push_str("\n## Cost\n\n| model | variant | training s / epoch (mean over folds) | training utterances per fold |\n|---|---|---|---|\n");
    for r in rows.iter().filter(|r| !r.variant.ends_with("+adapt")) {
        md.push_str(&format!(
            "| {} | {} | {:.2} | {:.0} |\n",
            r.model, r.variant, r.secs_per_epoch, r.n_train
        ));
    }
    md.push_str("\nFeature computation (wall seconds on this machine, 0 when cached):\n\n| model | step | s |\n|---|---|---|\n");
    for (m, s, t) in timings {
        md.push_str(&format!("| {m} | {s} | {t:.1} |\n"));
    }
    md.push_str(&format!(
        "\nMade by `cargo run --release -p ser-examples --bin robustness -- --models {} --variants {} --out {}`.\n",
        a.models,
        a.variants,
        a.out.display()
    ));
    md
}

/// UA against SNR, one panel per noise type, one curve per model × variant; clean at the
/// right edge.
fn plot(path: &Path, conditions: &[Condition], rows: &[Row]) -> Result<()> {
    let text = ser_metrics::plot::register_embedded_font().is_ok();
    let font = ser_metrics::plot::FONT_FAMILY;
    let families = ["white", "pink", "babble"];
    let root = BitMapBackend::new(path, (1500, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, families.len()));
    const CLEAN_X: f64 = 30.0;
    for (panel, fam) in panels.iter().zip(families) {
        let mut b = ChartBuilder::on(panel);
        b.margin(12);
        if text {
            b.caption(format!("{fam} noise"), (font, 20))
                .x_label_area_size(40)
                .y_label_area_size(45);
        }
        let mut chart = b.build_cartesian_2d(-2f64..32f64, 0f64..100f64)?;
        if text {
            chart
                .configure_mesh()
                .label_style((font, 12))
                .axis_desc_style((font, 14))
                .x_desc("SNR dB (right: clean)")
                .y_desc("UA %")
                .x_label_formatter(&|v| {
                    if (*v - CLEAN_X).abs() < 1e-6 {
                        "clean".into()
                    } else {
                        format!("{v:.0}")
                    }
                })
                .draw()?;
        }
        for (k, r) in rows.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let mut pts: Vec<(f64, f64)> = conditions
                .iter()
                .filter(|c| c.family == fam)
                .filter_map(|c| Some((f64::from(c.level?), 100.0 * r.ua.get(&c.name)?.estimate)))
                .collect();
            if let Some(c) = r.ua.get("clean") {
                pts.push((CLEAN_X, 100.0 * c.estimate));
            }
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            let s = chart.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?;
            if text {
                s.label(format!("{} {}", r.model, r.variant))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                    });
            }
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
        if text {
            chart
                .configure_series_labels()
                .label_font((font, 12))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .draw()?;
        }
    }
    root.present()?;
    Ok(())
}
