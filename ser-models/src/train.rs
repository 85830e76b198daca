//! Seeded trainer: AdamW, linear warm-up + cosine decay, class-weighted cross entropy with
//! label smoothing, optional mixup, gradient-norm clipping, early stopping on validation
//! unweighted accuracy (UA) with the best weights restored, and on-the-fly augmentation.

use candle_core::{DType, Device, Tensor};
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::batch::{Batch, Sequence};
use crate::engine::{self, BatchLoss, Objective, Validation};
use crate::models::{Model, ModelConfig};
use crate::params::ParamStore;
use crate::{Error, Result};

/// Trainer settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TrainConfig {
    /// Maximum number of epochs. Default: 60.
    pub epochs: usize,
    /// Mini-batch size. Default: 32.
    pub batch_size: usize,
    /// Peak learning rate of AdamW. Default: 1e-3.
    pub lr: f64,
    /// Decoupled weight decay. Default: 1e-2 (PyTorch's AdamW default).
    pub weight_decay: f64,
    /// Linear warm-up length in epochs. Default: 3.
    pub warmup_epochs: usize,
    /// Final learning rate of the cosine decay as a fraction of `lr`. Default: 0.05.
    pub min_lr_ratio: f64,
    /// Label smoothing ε (targets `(1-ε)·onehot + ε/C`). Default: 0.1.
    pub label_smoothing: f64,
    /// Weight classes by `N / (C · n_c)` (sklearn "balanced"). Default: true.
    pub class_weighted: bool,
    /// Mixup Beta(α, α) parameter; 0 disables mixup. Default: 0.
    pub mixup_alpha: f64,
    /// Clip the global gradient L2 norm to this value; 0 disables. Default: 5.0.
    pub grad_clip: f64,
    /// Stop when validation UA has not improved for this many epochs. Default: 15.
    pub patience: usize,
    /// Seed for initialisation, shuffling, dropout, augmentation and mixup. Default: 0.
    pub seed: u64,
    /// Coupled L2 penalty strength `λ`: `λ / (2 n) · Σ‖W‖²` over the weight matrices and
    /// kernels (tensors of rank ≥ 2; biases and normalisation parameters are exempt) is added
    /// to the mean loss, `n` being the number of training examples. That is scikit-learn's
    /// `LogisticRegression` objective with `C = 1 / λ`. Unlike AdamW's decoupled
    /// `weight_decay` it is part of the objective, so a convex model (an [`crate::MlpConfig`]
    /// with no hidden layer) converges to the regularised optimum. Default: 0 (off).
    #[serde(default)]
    pub l2: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 60,
            batch_size: 32,
            lr: 1e-3,
            weight_decay: 1e-2,
            warmup_epochs: 3,
            min_lr_ratio: 0.05,
            label_smoothing: 0.1,
            class_weighted: true,
            mixup_alpha: 0.0,
            grad_clip: 5.0,
            patience: 15,
            seed: 0,
            l2: 0.0,
        }
    }
}

ser_dsp::setters!(TrainConfig {
    epochs: usize,
    batch_size: usize,
    lr: f64,
    weight_decay: f64,
    warmup_epochs: usize,
    min_lr_ratio: f64,
    label_smoothing: f64,
    class_weighted: bool,
    mixup_alpha: f64,
    grad_clip: f64,
    patience: usize,
    seed: u64,
    l2: f64
});

impl TrainConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidConfig(m.to_string()));
        if self.epochs == 0 || self.batch_size == 0 {
            return bad("epochs and batch_size must be > 0");
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad("lr must be positive");
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return bad("label_smoothing must be in [0, 1)");
        }
        if !(0.0..=1.0).contains(&self.min_lr_ratio) {
            return bad("min_lr_ratio must be in [0, 1]");
        }
        if !(self.mixup_alpha >= 0.0
            && self.grad_clip >= 0.0
            && self.weight_decay >= 0.0
            && self.l2 >= 0.0
            && self.l2.is_finite())
        {
            return bad("mixup_alpha, grad_clip, weight_decay and l2 must be finite and >= 0");
        }
        Ok(())
    }

    /// Learning rate at optimiser step `step` of `total` (warm-up then cosine).
    pub fn lr_at(&self, step: usize, steps_per_epoch: usize, total: usize) -> f64 {
        let warm = self.warmup_epochs * steps_per_epoch;
        if step < warm {
            return self.lr * (step + 1) as f64 / warm as f64;
        }
        let span = total.saturating_sub(warm).max(1);
        let p = ((step - warm) as f64 / span as f64).min(1.0);
        let min = self.lr * self.min_lr_ratio;
        min + 0.5 * (self.lr - min) * (1.0 + (std::f64::consts::PI * p).cos())
    }
}

/// One row of the training log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// 1-based epoch.
    pub epoch: usize,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Mean training loss (weighted, smoothed targets).
    pub train_loss: f64,
    /// Training accuracy on the (augmented) batches.
    pub train_acc: f64,
    /// Validation unweighted accuracy, if a validation set was given.
    pub val_ua: Option<f64>,
    /// Validation accuracy, if a validation set was given.
    pub val_acc: Option<f64>,
    /// Wall-clock seconds of the epoch (training + validation).
    pub secs: f64,
}

/// An in-place augmentation applied to a copy of each training sequence on the fly.
pub type Augment = dyn Fn(&mut Sequence, &mut ChaCha8Rng) + Sync;

/// A labelled data set: sequences and class indices of equal length.
#[derive(Debug, Clone, Copy)]
pub struct Labeled<'a> {
    /// Feature sequences.
    pub x: &'a [Sequence],
    /// Class index of each sequence.
    pub y: &'a [usize],
}

impl<'a> Labeled<'a> {
    /// Pairs `x` with `y`; errors on different lengths or an empty set.
    ///
    /// ```
    /// use ser_models::{Labeled, Sequence};
    /// let x = vec![Sequence::new(vec![0.0; 4], 2, 2)?, Sequence::new(vec![1.0; 2], 1, 2)?];
    /// let data = Labeled::new(&x, &[0, 1])?;
    /// assert_eq!((data.x.len(), data.y.len()), (2, 2));
    /// assert!(Labeled::new(&x, &[0]).is_err()); // one label for two sequences
    /// assert!(Labeled::new(&[], &[]).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(x: &'a [Sequence], y: &'a [usize]) -> Result<Self> {
        if x.len() != y.len() {
            return Err(Error::ShapeMismatch {
                what: "labels".into(),
                expected: x.len().to_string(),
                got: y.len().to_string(),
            });
        }
        if x.is_empty() {
            return Err(Error::InvalidArgument("empty data set".into()));
        }
        Ok(Self { x, y })
    }
}

/// The result of [`train`].
#[derive(Debug)]
pub struct Trained {
    /// The model with the best (or final) weights loaded.
    pub model: Model,
    /// Its parameters (for saving).
    pub params: ParamStore,
    /// Per-epoch log.
    pub history: Vec<EpochLog>,
    /// 1-based epoch whose weights were kept.
    pub best_epoch: usize,
    /// Validation UA of the kept weights, if a validation set was given.
    pub best_val_ua: Option<f64>,
    /// Mean training seconds per epoch (without validation).
    pub secs_per_epoch: f64,
}

/// Builds a fresh model for `cfg` with seeded initial weights.
pub fn init_model(cfg: &ModelConfig, seed: u64) -> Result<(Model, ParamStore)> {
    let params = ParamStore::new(seed);
    let model = Model::new(cfg, params.var_builder())?;
    model.set_dropout_seed(seed ^ 0x5eed);
    Ok((model, params))
}

/// Per-feature mean and `1/std` over all frames of `seqs` (std floored at 1e-5).
pub fn fit_standardizer(seqs: &[Sequence]) -> Result<(Vec<f32>, Vec<f32>)> {
    let f = seqs
        .first()
        .ok_or_else(|| Error::InvalidArgument("no sequences to fit".into()))?
        .n_features();
    let mut sum = vec![0f64; f];
    let mut sq = vec![0f64; f];
    let mut n = 0f64;
    for s in seqs {
        if s.n_features() != f {
            return Err(Error::ShapeMismatch {
                what: "sequence features".into(),
                expected: f.to_string(),
                got: s.n_features().to_string(),
            });
        }
        for t in 0..s.n_frames() {
            for (j, &v) in s.frame(t).iter().enumerate() {
                sum[j] += v as f64;
                sq[j] += (v as f64) * (v as f64);
            }
            n += 1.0;
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
    let inv: Vec<f32> = sq
        .iter()
        .zip(&mean)
        .map(|(q, m)| 1.0 / ((q / n - m * m).max(0.0).sqrt().max(1e-5)) as f32)
        .collect();
    Ok((mean.iter().map(|&m| m as f32).collect(), inv))
}

/// Sets the model's input standardisation buffers.
pub fn set_standardizer(params: &ParamStore, mean: &[f32], inv_std: &[f32]) -> Result<()> {
    let dev = Device::Cpu;
    params.set("input_norm.mean", &Tensor::new(mean, &dev)?)?;
    params.set("input_norm.inv_std", &Tensor::new(inv_std, &dev)?)?;
    Ok(())
}

/// Per-class loss weights: all 1 when `balanced` is false, else sklearn's
/// `class_weight="balanced"` (`n_samples / (n_classes * count)`, 0 for an absent class).
pub fn class_weights(y: &[usize], n_classes: usize, balanced: bool) -> Vec<f32> {
    if !balanced {
        return vec![1.0; n_classes];
    }
    let mut counts = vec![0usize; n_classes];
    for &c in y {
        counts[c] += 1;
    }
    counts
        .iter()
        .map(|&n| {
            if n == 0 {
                0.0
            } else {
                y.len() as f32 / (n_classes as f32 * n as f32)
            }
        })
        .collect()
}

/// Weighted soft-target cross entropy: `Σ_i w_i · (−Σ_c q_ic log p_ic) / Σ_i w_i`.
pub fn soft_cross_entropy(logits: &Tensor, targets: &Tensor, weights: &Tensor) -> Result<Tensor> {
    let logp = candle_nn::ops::log_softmax(logits, 1)?;
    let per = (logp * targets)?.sum(1)?.neg()?;
    let num = (per * weights)?.sum_all()?;
    let den = weights.sum_all()?;
    Ok(num.broadcast_div(&den)?)
}

/// Unweighted accuracy via `ser_metrics::unweighted_accuracy` (0 on an empty input).
pub(crate) fn ua(y_true: &[usize], y_pred: &[usize], _n_classes: usize) -> f64 {
    ser_metrics::unweighted_accuracy(y_true, y_pred).unwrap_or(0.0)
}

use ser_metrics::argmax;

/// Class probabilities for every sequence, in batches of `batch_size` (evaluation mode).
pub fn predict_proba(model: &Model, seqs: &[Sequence], batch_size: usize) -> Result<Vec<Vec<f32>>> {
    let mut out = Vec::with_capacity(seqs.len());
    for chunk in seqs.chunks(batch_size.max(1)) {
        let refs: Vec<&Sequence> = chunk.iter().collect();
        let batch = Batch::from_sequences(&refs, 1)?;
        out.extend(model.predict_proba(&batch)?);
    }
    Ok(out)
}

/// Predicted class index for every sequence.
pub fn predict(model: &Model, seqs: &[Sequence], batch_size: usize) -> Result<Vec<usize>> {
    Ok(predict_proba(model, seqs, batch_size)?
        .iter()
        .map(|p| argmax(p))
        .collect())
}

fn sample_beta(rng: &mut ChaCha8Rng, alpha: f64) -> f64 {
    use rand_distr::{Beta, Distribution};
    match Beta::new(alpha, alpha) {
        Ok(b) => b.sample(rng),
        Err(_) => 1.0,
    }
}

/// The classification objective of [`train`]: class-weighted soft cross entropy with label
/// smoothing and optional mixup, on-the-fly augmentation, validation UA.
struct Classifier<'a> {
    model: &'a Model,
    train: Labeled<'a>,
    valid: Option<Labeled<'a>>,
    augment: Option<&'a Augment>,
    weights: Vec<f32>,
    n_classes: usize,
    label_smoothing: f64,
    mixup_alpha: f64,
}

impl Objective for Classifier<'_> {
    type Error = Error;

    fn batch_loss(&mut self, idx: &[usize], rng: &mut ChaCha8Rng) -> Result<BatchLoss> {
        let (n_classes, eps, dev) = (self.n_classes, self.label_smoothing, Device::Cpu);
        let mut seqs: Vec<Sequence> = idx.iter().map(|&i| self.train.x[i].clone()).collect();
        if let Some(aug) = self.augment {
            for s in &mut seqs {
                aug(s, rng);
            }
        }
        let b = seqs.len();
        let mut q = vec![0f32; b * n_classes];
        let mut w = vec![0f32; b];
        for (k, &i) in idx.iter().enumerate() {
            let c = self.train.y[i];
            for j in 0..n_classes {
                q[k * n_classes + j] = (eps / n_classes as f64) as f32;
            }
            q[k * n_classes + c] += (1.0 - eps) as f32;
            w[k] = self.weights[c];
        }
        let refs: Vec<&Sequence> = seqs.iter().collect();
        let mut batch = Batch::from_sequences(&refs, 1)?;
        if self.mixup_alpha > 0.0 && b > 1 {
            let lam = sample_beta(rng, self.mixup_alpha).clamp(0.0, 1.0);
            let lam = lam.max(1.0 - lam); // keep the first sample dominant
            let mut perm: Vec<usize> = (0..b).collect();
            perm.shuffle(rng);
            let perm_t = Tensor::from_vec(perm.iter().map(|&p| p as u32).collect(), b, &dev)?;
            let xp = batch.x.index_select(&perm_t, 0)?;
            let mp = batch.mask.index_select(&perm_t, 0)?;
            batch.x = ((&batch.x * lam)? + (xp * (1.0 - lam))?)?;
            batch.mask = batch.mask.maximum(&mp)?;
            batch.lengths = (0..b)
                .map(|k| batch.lengths[k].max(batch.lengths[perm[k]]))
                .collect();
            let q0 = q.clone();
            let w0 = w.clone();
            for k in 0..b {
                for j in 0..n_classes {
                    q[k * n_classes + j] = lam as f32 * q0[k * n_classes + j]
                        + (1.0 - lam) as f32 * q0[perm[k] * n_classes + j];
                }
                w[k] = lam as f32 * w0[k] + (1.0 - lam) as f32 * w0[perm[k]];
            }
        }
        let targets = Tensor::from_vec(q, (b, n_classes), &dev)?;
        let wt = Tensor::from_vec(w, b, &dev)?;
        let logits = self.model.forward_t(&batch, true)?;
        let loss = soft_cross_entropy(&logits, &targets, &wt)?;
        let preds = logits.argmax(1)?.to_dtype(DType::U32)?.to_vec1::<u32>()?;
        let correct = idx
            .iter()
            .zip(&preds)
            .filter(|(&i, &p)| self.train.y[i] == p as usize)
            .count();
        Ok(BatchLoss {
            loss,
            correct: Some(correct),
        })
    }

    fn validate(&mut self) -> Result<Option<Validation>> {
        let Some(v) = self.valid else {
            return Ok(None);
        };
        let pred = predict(self.model, v.x, 64)?;
        let acc = pred.iter().zip(v.y).filter(|(p, t)| p == t).count() as f64 / v.y.len() as f64;
        Ok(Some(Validation {
            score: ua(v.y, &pred, self.n_classes),
            accuracy: Some(acc),
        }))
    }
}

/// Trains `cfg` on `train`, early-stopping on `valid` UA when given.
///
/// Fits the input standardisation on `train` only, then runs the [`crate::engine`] (mini-batch
/// AdamW with the schedule of [`TrainConfig`]) on class-weighted soft cross entropy. `augment`
/// is applied to a fresh copy of every training sequence in every epoch. `on_epoch` sees each
/// [`EpochLog`] as it is produced (progress bars, CSV logs). With a validation set the weights
/// of the best-UA epoch are restored.
pub fn train(
    cfg: &ModelConfig,
    tcfg: &TrainConfig,
    train: Labeled<'_>,
    valid: Option<Labeled<'_>>,
    augment: Option<&Augment>,
    on_epoch: impl FnMut(&EpochLog),
) -> Result<Trained> {
    cfg.validate()?;
    tcfg.validate()?;
    let n_classes = cfg.n_classes();
    if let Some(&bad) = train
        .y
        .iter()
        .chain(valid.iter().flat_map(|v| v.y))
        .find(|&&c| c >= n_classes)
    {
        return Err(Error::ClassOutOfRange {
            class: bad,
            n_classes,
        });
    }
    let (model, params) = init_model(cfg, tcfg.seed)?;
    let (mean, inv) = fit_standardizer(train.x)?;
    set_standardizer(&params, &mean, &inv)?;
    let mut objective = Classifier {
        model: &model,
        train,
        valid,
        augment,
        weights: class_weights(train.y, n_classes, tcfg.class_weighted),
        n_classes,
        label_smoothing: tcfg.label_smoothing,
        mixup_alpha: tcfg.mixup_alpha,
    };
    let fit = engine::run(&params, tcfg, train.x.len(), &mut objective, on_epoch)?;
    Ok(Trained {
        model,
        params,
        history: fit.history,
        best_epoch: fit.best_epoch,
        best_val_ua: fit.best_score,
        secs_per_epoch: fit.secs_per_epoch,
    })
}

/// Writes the history as CSV (`epoch,lr,train_loss,train_acc,val_ua,val_acc,secs`).
pub fn write_history_csv(path: impl AsRef<std::path::Path>, history: &[EpochLog]) -> Result<()> {
    let path = path.as_ref();
    let mut s = String::from("epoch,lr,train_loss,train_acc,val_ua,val_acc,secs\n");
    for h in history {
        let opt = |v: Option<f64>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
        s.push_str(&format!(
            "{},{:.8},{:.6},{:.6},{},{},{:.3}\n",
            h.epoch,
            h.lr,
            h.train_loss,
            h.train_acc,
            opt(h.val_ua),
            opt(h.val_acc),
            h.secs
        ));
    }
    std::fs::write(path, s).map_err(|e| Error::io(path, e))
}
