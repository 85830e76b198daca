//! `models-speed`: inference and training speed of every `ser-models` architecture on CPU.
//!
//! For each architecture the Table II recipe ([`Recipe::default_for`], 7 EmoDB classes, the
//! same configs, batch size and trainer settings that `evaluate` uses) is built with a fixed
//! seed and measured on synthetic standard-normal inputs of the shape a 3 s clip gives:
//!
//! * the frame count `T` and width `F` come from running the recipe's [`FeaturePipeline`] on the
//!   first 3 s of `assets/speech.wav` (log-mel 40 × hop 20 ms → 151 × 40, MFCC + Δ hop 10 ms →
//!   301 × 40, functionals → 1 × 928);
//! * **inference**: [`ser_models::Model::predict_proba`] (forward pass in evaluation mode + softmax) on one
//!   `(1, T, F)` batch, median over `--runs` after `--warmup` runs;
//! * **features + inference** (the [`ser_models::Recognizer`] path): feature extraction of the
//!   3 s clip + the same forward pass, median over `--e2e-runs`;
//! * **step breakdown**: train-mode forward + loss, then `backward()`, on one batch of the
//!   recipe's batch size (median of `--runs / 5`), and the trainable tensors that get no
//!   gradient from that loss (`no_grad_params`: a cut backward path, e.g. an op without a
//!   backward pass);
//! * **training**: [`ser_models::train()`] (the real trainer: AdamW, warm-up + cosine schedule,
//!   class-weighted label-smoothed cross entropy, the recipe's mixup, gradient clipping) for
//!   `--epochs` epochs over `--n-train` synthetic `(T, F)` examples (428 = 4/5 of EmoDB's 535),
//!   no validation set and no SpecAugment (model time only); the median epoch is reported.
//!
//! Threads: Candle's CPU matmul (gemm) and conv kernels use `RAYON_NUM_THREADS` threads (all
//! cores when unset); set the variable to pin the count. `scripts/models_vs_pytorch.py` runs
//! this binary next to a PyTorch re-implementation at the same thread counts.
//!
//! ```text
//! cargo build --release -p ser-examples --bin models-speed
//! RAYON_NUM_THREADS=1 target/release/models-speed [--archs cnn,lstm] [--runs 50] \
//!     [--epochs 3] [--json out.json]
//! ```
//!
//! `--dump DIR` also writes each untrained model directory with its timed input and output
//! so the script can check that the PyTorch re-implementation computes the same function.
//!
//! One line per architecture on stdout, `key=value` pairs (machine-readable); `--json` also
//! records the exact model and trainer configs, which the PyTorch script mirrors.
#![allow(clippy::unwrap_used)]

// Links the example binaries' allocator (mimalloc, see the ser_examples crate docs).
use ser_examples as _;

use ser_models::ModelInput;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use clap::Parser;
use ndarray::{Array1, Array2};
use ndarray_npy::write_npy;
use ser_models::params::is_buffer;
use ser_models::{
    init_model, train, Arch, Batch, FeaturePipeline, Labeled, ModelCard, ModelConfig, Recipe,
    Sequence, TrainConfig,
};
use serde::Serialize;

/// Time inference and training of the ser-models architectures on synthetic 3 s inputs.
#[derive(Debug, Parser)]
struct Args {
    /// Comma-separated architectures (mlp, cnn, lstm, cnn-lstm, attention, transformer).
    #[arg(long, default_value = "mlp,cnn,lstm,cnn-lstm,attention,transformer")]
    archs: String,
    /// Clip length in seconds.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Timed forward passes (median reported).
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Untimed forward passes before timing.
    #[arg(long, default_value_t = 5)]
    warmup: usize,
    /// Timed feature extraction + forward runs (median reported); 0 skips them.
    #[arg(long, default_value_t = 5)]
    e2e_runs: usize,
    /// Training epochs (median epoch reported); 0 skips training.
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// Synthetic training examples per epoch (4/5 of EmoDB's 535).
    #[arg(long, default_value_t = 428)]
    n_train: usize,
    /// Number of classes (EmoDB: 7).
    #[arg(long, default_value_t = 7)]
    n_classes: usize,
    /// Seed for weights, inputs, shuffling and dropout.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write all results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// For a parity check: write `<dir>/<arch>/` with the untrained model directory
    /// (`model.safetensors`, `config.json`), the timed input `input.npy` `(T, F)` and its
    /// class probabilities `proba.npy` `(n_classes,)`.
    #[arg(long)]
    dump: Option<PathBuf>,
}

/// One architecture's measurements.
#[derive(Debug, Serialize)]
struct Row {
    arch: String,
    features: String,
    frames: usize,
    n_features: usize,
    params: usize,
    threads: usize,
    batch_size: usize,
    n_train: usize,
    infer_ms_median: f64,
    infer_ms_min: f64,
    infer_runs: usize,
    feat_infer_ms_median: Option<f64>,
    /// Train-mode forward + loss on one full batch (ms, median of `--runs / 5`).
    batch_fwd_ms_median: f64,
    /// `loss.backward()` on that batch (ms, median).
    batch_bwd_ms_median: f64,
    /// Trainable tensors that receive no gradient (a broken backward path).
    no_grad_params: Vec<String>,
    train_s_per_epoch_median: Option<f64>,
    train_s_per_epoch_all: Vec<f64>,
    /// The exact model config (so a re-implementation can mirror it).
    model_config: ModelConfig,
    /// The exact trainer config used for the timed epochs.
    train_config: TrainConfig,
}

/// SplitMix64 + Box–Muller: seeded standard-normal values without extra dependencies.
struct Normal {
    state: u64,
    spare: Option<f32>,
}

impl Normal {
    fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
            spare: None,
        }
    }

    fn uniform(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn sample(&mut self) -> f32 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        let (u1, u2) = (self.uniform(), self.uniform());
        let r = (-2.0 * u1.ln()).sqrt();
        let a = 2.0 * std::f64::consts::PI * u2;
        self.spare = Some((r * a.sin()) as f32);
        (r * a.cos()) as f32
    }

    fn sequence(&mut self, t: usize, f: usize) -> Result<Sequence> {
        Ok(Sequence::new(
            (0..t * f).map(|_| self.sample()).collect(),
            t,
            f,
        )?)
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Threads Candle's CPU kernels use: `RAYON_NUM_THREADS` if set and > 0, else all cores
/// (as `candle_core::utils::get_num_threads`).
fn candle_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

fn run_arch(args: &Args, arch: Arch, clip: &[f32]) -> Result<Row> {
    let mut recipe = Recipe::default_for(arch, args.n_classes);
    let pipe = FeaturePipeline::new(&recipe.features)?;
    // The real feature shape of a clip of this length.
    let real = pipe.sequence(clip, 16000)?;
    let (t, f) = (real.n_frames(), real.n_features());
    ensure!(
        f == recipe.model.n_features(),
        "recipe for {arch}: features give {f} values per frame, model expects {}",
        recipe.model.n_features()
    );
    let arch_id = arch
        .name()
        .bytes()
        .fold(17u64, |h, b| h.wrapping_mul(31) ^ b as u64);
    let mut gen = Normal::new(args.seed.wrapping_add(arch_id));

    // (a) Inference: forward pass (eval mode) + softmax on one (1, T, F) input.
    let (model, params) = init_model(&recipe.model, args.seed)?;
    let n_params = params.n_trainable();
    let x = gen.sequence(t, f)?;
    let batch = Batch::from_sequences(&[&x], 1)?;
    for _ in 0..args.warmup {
        std::hint::black_box(model.predict_proba(&batch)?);
    }
    let mut times = Vec::with_capacity(args.runs);
    for _ in 0..args.runs.max(1) {
        let t0 = Instant::now();
        std::hint::black_box(model.predict_proba(&batch)?);
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    let infer_min = times.iter().copied().fold(f64::INFINITY, f64::min);
    if let Some(root) = &args.dump {
        let dir = root.join(arch.name());
        let labels = (0..args.n_classes).map(|c| format!("c{c}")).collect();
        let card = ModelCard::new(recipe.model.clone(), recipe.features.clone(), labels);
        ser_models::save_model_dir(&dir, &card, &params)?;
        write_npy(
            dir.join("input.npy"),
            &Array2::from_shape_vec((t, f), x.data().to_vec())?,
        )?;
        let p = model.predict_proba(&batch)?.remove(0);
        write_npy(dir.join("proba.npy"), &Array1::from_vec(p))?;
    }

    // Features + forward, as the Recognizer does for a 3 s clip of audio.
    let feat_infer = if args.e2e_runs > 0 {
        let mut e2e = Vec::with_capacity(args.e2e_runs);
        for _ in 0..args.e2e_runs {
            let t0 = Instant::now();
            let seq = pipe.sequence(clip, 16000)?;
            let b = Batch::from_sequences(&[&seq], 1)?;
            std::hint::black_box(model.predict_proba(&b)?);
            e2e.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        Some(median(&e2e))
    } else {
        None
    };

    // Where a training step goes: train-mode forward + loss, then backward, on one batch.
    let bs = recipe.train.batch_size.min(args.n_train.max(1));
    let bx = (0..bs)
        .map(|_| gen.sequence(t, f))
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&Sequence> = bx.iter().collect();
    let tb = Batch::from_sequences(&refs, 1)?;
    let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
    let mut no_grad = Vec::new();
    for i in 0..(2 + args.runs / 5).max(3) {
        let t0 = Instant::now();
        let logits = model.forward_t(&tb, true)?;
        let q = (logits.ones_like()? / args.n_classes as f64)?;
        let w = logits.narrow(1, 0, 1)?.squeeze(1)?.ones_like()?;
        let loss = ser_models::train::soft_cross_entropy(&logits, &q, &w)?;
        std::hint::black_box(loss.to_scalar::<f32>()?);
        let t1 = Instant::now();
        let grads = loss.backward()?;
        let t2 = Instant::now();
        if i == 0 {
            // Trainable tensors that get no (or an all-zero) gradient from this loss.
            let names = params.names().into_iter().filter(|n| !is_buffer(n));
            for (name, var) in names.zip(params.trainable_vars()) {
                let zero = match grads.get(var.as_tensor()) {
                    None => true,
                    Some(g) => g.abs()?.sum_all()?.to_scalar::<f32>()? == 0.0,
                };
                if zero {
                    no_grad.push(name);
                }
            }
        }
        if i >= 2 {
            fwd.push((t1 - t0).as_secs_f64() * 1e3);
            bwd.push((t2 - t1).as_secs_f64() * 1e3);
        }
    }

    // (b) Training: the real trainer over n_train synthetic examples of the same shape.
    let mut epochs = Vec::new();
    if args.epochs > 0 {
        let xs = (0..args.n_train)
            .map(|_| gen.sequence(t, f))
            .collect::<Result<Vec<_>>>()?;
        let ys: Vec<usize> = (0..args.n_train).map(|i| i % args.n_classes).collect();
        recipe.train = recipe
            .train
            .clone()
            .epochs(args.epochs)
            .patience(args.epochs + 1)
            .seed(args.seed);
        let trained = train(
            &recipe.model,
            &recipe.train,
            Labeled::new(&xs, &ys)?,
            None,
            None,
            |_| {},
        )?;
        epochs = trained.history.iter().map(|h| h.secs).collect();
    }

    Ok(Row {
        arch: arch.name().into(),
        features: recipe.features.to_string(),
        frames: t,
        n_features: f,
        params: n_params,
        threads: candle_threads(),
        batch_size: recipe.train.batch_size,
        n_train: args.n_train,
        infer_ms_median: median(&times),
        infer_ms_min: infer_min,
        infer_runs: times.len(),
        feat_infer_ms_median: feat_infer,
        batch_fwd_ms_median: median(&fwd),
        batch_bwd_ms_median: median(&bwd),
        no_grad_params: no_grad,
        train_s_per_epoch_median: (!epochs.is_empty()).then(|| median(&epochs)),
        train_s_per_epoch_all: epochs,
        model_config: recipe.model,
        train_config: recipe.train,
    })
}

fn main() -> Result<()> {
    let args = Args::parse();
    let archs = args
        .archs
        .split(',')
        .map(|s| s.trim().parse::<Arch>())
        .collect::<ser_models::Result<Vec<_>>>()?;
    let wav = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav"));
    let audio = ser_dsp::Audio::load(&wav, Some(16000))
        .with_context(|| format!("loading {}", wav.display()))?;
    let n = (args.seconds * 16000.0).round() as usize;
    ensure!(n > 0, "--seconds must be > 0");
    // Loop the shipped clip if a longer one is requested.
    let clip: Vec<f32> = audio.samples.iter().copied().cycle().take(n).collect();

    let mut rows = Vec::new();
    for arch in archs {
        let r = run_arch(&args, arch, &clip).with_context(|| format!("architecture {arch}"))?;
        let opt = |v: Option<f64>, p: usize| v.map_or("na".to_string(), |x| format!("{x:.p$}"));
        println!(
            "arch={} frames={} n_features={} params={} threads={} batch_size={} infer_ms={:.3} \
             infer_ms_min={:.3} feat_infer_ms={} batch_fwd_ms={:.2} batch_bwd_ms={:.2} \
             no_grad_params={} train_s_per_epoch={} features=\"{}\"",
            r.arch,
            r.frames,
            r.n_features,
            r.params,
            r.threads,
            r.batch_size,
            r.infer_ms_median,
            r.infer_ms_min,
            opt(r.feat_infer_ms_median, 3),
            r.batch_fwd_ms_median,
            r.batch_bwd_ms_median,
            r.no_grad_params.len(),
            opt(r.train_s_per_epoch_median, 4),
            r.features
        );
        rows.push(r);
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&rows)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
