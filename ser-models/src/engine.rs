//! The training engine: the one loop every head in the workspace trains with.
//!
//! [`run`] owns what does not depend on the model: AdamW over a [`ParamStore`]'s trainable
//! variables, the warm-up + cosine learning-rate schedule ([`TrainConfig::lr_at`]), the
//! coupled L2 penalty ([`TrainConfig::l2`]), global gradient-norm clipping, the seeded
//! shuffle, the non-finite-loss check, per-epoch logs, and early stopping on a validation
//! score with the best weights restored. What a model adds is an [`Objective`]: the loss of a
//! mini-batch (given the example indices and the engine's random generator, from which
//! augmentation, mixup or modality dropout draw in order) and a validation score.
//!
//! Users: [`crate::train()`] (sequence classifiers), `ser_fusion::fit` (fusion networks) and
//! `ser_fusion::multilabel` (the text-emotion head).
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use ser_models::engine::{run, BatchLoss, Objective, Validation};
//! use ser_models::{ParamStore, TrainConfig};
//!
//! // Least squares for y = 2x: one weight, its loss, and −MSE as the validation score.
//! struct Line { w: candle_core::Var, x: Vec<f32> }
//! impl Line {
//!     fn mse(&self, idx: &[usize]) -> ser_models::Result<Tensor> {
//!         let x: Vec<f32> = idx.iter().map(|&i| self.x[i]).collect();
//!         let x = Tensor::new(x.as_slice(), &Device::Cpu)?;
//!         let err = (x.broadcast_mul(self.w.as_tensor())? - (&x * 2.0)?)?;
//!         Ok(err.sqr()?.mean_all()?)
//!     }
//! }
//! impl Objective for Line {
//!     type Error = ser_models::Error;
//!     fn batch_loss(&mut self, idx: &[usize], _: &mut rand_chacha::ChaCha8Rng)
//!         -> ser_models::Result<BatchLoss> {
//!         Ok(BatchLoss { loss: self.mse(idx)?, correct: None })
//!     }
//!     fn validate(&mut self) -> ser_models::Result<Option<Validation>> {
//!         let all: Vec<usize> = (0..self.x.len()).collect();
//!         let mse = self.mse(&all)?.to_scalar::<f32>()? as f64;
//!         Ok(Some(Validation { score: -mse, accuracy: None }))
//!     }
//! }
//! let params = ParamStore::new(0);
//! let w = params.var_builder().get_with_hints(1, "w", candle_nn::Init::Const(0.0))?;
//! let w = params.trainable_vars().into_iter().next().unwrap();
//! let mut obj = Line { w, x: (0..16).map(|i| i as f32 / 16.0).collect() };
//! let cfg = TrainConfig::default().epochs(200).lr(0.05).weight_decay(0.0).batch_size(4);
//! let fit = run(&params, &cfg, 16, &mut obj, |_| {})?;
//! assert!(fit.best_score.unwrap() > -1e-3, "{:?}", fit.best_score);
//! # Ok::<(), ser_models::Error>(())
//! ```

use std::collections::HashMap;
use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::params::ParamStore;
use crate::train::{EpochLog, TrainConfig};
use crate::Error;

/// The loss of one training mini-batch.
#[derive(Debug)]
pub struct BatchLoss {
    /// Scalar loss tensor (mean over the batch) to differentiate.
    pub loss: Tensor,
    /// Correctly classified examples in the batch, for the training accuracy of the log
    /// (`None` when accuracy means nothing for the objective, e.g. multi-label).
    pub correct: Option<usize>,
}

/// A validation result: `score` drives early stopping (higher is better).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Validation {
    /// The score (unweighted accuracy for classifiers, macro-F1 for multi-label heads).
    pub score: f64,
    /// Plain accuracy, when meaningful.
    pub accuracy: Option<f64>,
}

/// What a model contributes to training: a mini-batch loss and a validation score.
pub trait Objective {
    /// The caller's error type; engine errors (Candle, non-finite loss) convert into it.
    type Error: From<Error>;

    /// The loss of the training examples `idx` in training mode (dropout on). `rng` is the
    /// engine's seeded generator; draw augmentation / mixup / dropout masks from it.
    fn batch_loss(
        &mut self,
        idx: &[usize],
        rng: &mut ChaCha8Rng,
    ) -> std::result::Result<BatchLoss, Self::Error>;

    /// The validation score after an epoch, or `None` without a validation set (then the
    /// last epoch's weights are kept).
    fn validate(&mut self) -> std::result::Result<Option<Validation>, Self::Error>;
}

/// What [`run`] did.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// Per-epoch log (`val_ua` holds the validation score).
    pub history: Vec<EpochLog>,
    /// 1-based epoch whose weights were kept (the best validation score, else the last).
    pub best_epoch: usize,
    /// Validation score of the kept weights.
    pub best_score: Option<f64>,
    /// Mean training seconds per epoch (without validation).
    pub secs_per_epoch: f64,
}

/// Clips gradients in place to a global L2 norm of at most `max` (as
/// `torch.nn.utils.clip_grad_norm_`); a non-finite norm leaves them unchanged.
pub fn global_clip(
    grads: &mut candle_core::backprop::GradStore,
    vars: &[candle_core::Var],
    max: f64,
) -> crate::Result<()> {
    let mut total = 0f64;
    for v in vars {
        if let Some(g) = grads.get(v.as_tensor()) {
            total += g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
        }
    }
    let norm = total.sqrt();
    if norm > max && norm.is_finite() {
        let s = max / (norm + 1e-6);
        for v in vars {
            if let Some(g) = grads.remove(v.as_tensor()) {
                grads.insert(v.as_tensor(), (g * s)?);
            }
        }
    }
    Ok(())
}

/// `Σ‖W‖²` over `tensors` (a scalar tensor).
fn l2_penalty(tensors: &[Tensor]) -> crate::Result<Tensor> {
    let mut acc = Tensor::zeros((), DType::F32, &Device::Cpu)?;
    for t in tensors {
        acc = (acc + t.sqr()?.sum_all()?)?;
    }
    Ok(acc)
}

/// Trains `params` on `n` examples with `obj` under `cfg` (see the module docs);
/// `on_epoch` sees each log row as it is produced. Validates `cfg` first.
pub fn run<O: Objective>(
    params: &ParamStore,
    cfg: &TrainConfig,
    n: usize,
    obj: &mut O,
    mut on_epoch: impl FnMut(&EpochLog),
) -> std::result::Result<Fitted, O::Error> {
    cfg.validate()?;
    if n == 0 {
        return Err(Error::Empty("training set").into());
    }
    let e = |x: candle_core::Error| O::Error::from(Error::from(x));
    let vars = params.trainable_vars();
    let penalised: Vec<Tensor> = vars
        .iter()
        .filter(|v| v.rank() >= 2)
        .map(|v| v.as_tensor().clone())
        .collect();
    let mut opt = AdamW::new(
        vars.clone(),
        ParamsAdamW {
            lr: cfg.lr,
            weight_decay: cfg.weight_decay,
            ..Default::default()
        },
    )
    .map_err(e)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add(1));
    let steps_per_epoch = n.div_ceil(cfg.batch_size);
    let total_steps = steps_per_epoch * cfg.epochs;
    let mut history = Vec::new();
    let mut best: Option<(f64, usize, HashMap<String, Tensor>)> = None;
    let mut step = 0usize;
    let mut train_secs = 0f64;
    let mut order: Vec<usize> = (0..n).collect();
    for epoch in 1..=cfg.epochs {
        let t0 = Instant::now();
        order.shuffle(&mut rng);
        let mut loss_sum = 0f64;
        let mut correct = Some(0usize);
        for idx in order.chunks(cfg.batch_size) {
            let b = obj.batch_loss(idx, &mut rng)?;
            let mut loss = b.loss;
            if cfg.l2 > 0.0 {
                let pen = (l2_penalty(&penalised)? * (cfg.l2 / (2.0 * n as f64))).map_err(e)?;
                loss = (loss + pen).map_err(e)?;
            }
            let lv = loss.to_scalar::<f32>().map_err(e)? as f64;
            if !lv.is_finite() {
                return Err(Error::NonFinite(format!("training loss at epoch {epoch}")).into());
            }
            loss_sum += lv * idx.len() as f64;
            correct = correct.zip(b.correct).map(|(a, c)| a + c);
            let mut grads = loss.backward().map_err(e)?;
            if cfg.grad_clip > 0.0 {
                global_clip(&mut grads, &vars, cfg.grad_clip)?;
            }
            opt.set_learning_rate(cfg.lr_at(step, steps_per_epoch, total_steps));
            opt.step(&grads).map_err(e)?;
            step += 1;
        }
        train_secs += t0.elapsed().as_secs_f64();
        let val = obj.validate()?;
        let log = EpochLog {
            epoch,
            lr: opt.learning_rate(),
            train_loss: loss_sum / n as f64,
            train_acc: correct.map_or(f64::NAN, |c| c as f64 / n as f64),
            val_ua: val.map(|v| v.score),
            val_acc: val.and_then(|v| v.accuracy),
            secs: t0.elapsed().as_secs_f64(),
        };
        on_epoch(&log);
        history.push(log);
        if let Some(v) = val {
            if best.as_ref().is_none_or(|(b, _, _)| v.score > *b) {
                best = Some((v.score, epoch, params.snapshot().map_err(e)?));
            } else if best
                .as_ref()
                .is_some_and(|(_, be, _)| epoch - be >= cfg.patience)
            {
                break;
            }
        }
    }
    let epochs_run = history.len().max(1);
    let (best_epoch, best_score) = match best {
        Some((s, ep, snap)) => {
            params.restore(&snap).map_err(e)?;
            (ep, Some(s))
        }
        None => (history.len(), None),
    };
    Ok(Fitted {
        history,
        best_epoch,
        best_score,
        secs_per_epoch: train_secs / epochs_run as f64,
    })
}
