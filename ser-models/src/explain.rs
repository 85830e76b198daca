//! Explanations: which inputs drive a prediction, with checks that they are faithful.
//!
//! * [`saliency`]: gradient × input over the input features of any model (time-frequency
//!   for log-mel CNNs, frames × coefficients for MFCC models, one row of named functionals
//!   for the MLP). The gradient of the class logit is taken with Candle's backprop
//!   w.r.t. an input [`Var`]; "input" is measured from the model's standardisation mean
//!   (`x − mean`), so a cell at the training average contributes nothing.
//! * [`attention_over_time`]: the frame weights the attention models actually use,
//!   recomputed from the stored weights: attentive-statistics pooling weights for
//!   [`AttentionNet`](crate::AttentionNet) and [`CnnLstm`](crate::CnnLstm), attention
//!   rollout (Abnar & Zuidema 2020) of the encoder layers for
//!   [`Transformer`](crate::Transformer). The recomputation is checked against the model's
//!   own logits and fails loudly if the architecture and this module disagree.
//! * [`permutation_importance`]: drop in unweighted average recall (UA) and in per-class
//!   recall when one feature (or a named group of features) is shuffled across held-out
//!   utterances, averaged over repeats (Breiman 2001; Fisher et al. 2019).
//! * [`deletion_check`]: faithfulness — masking the cells an explanation ranks highest
//!   (set to the standardisation mean) must lower the predicted class's probability more
//!   than masking as many random cells.
//!
//! ```
//! use ser_models::explain::{deletion_check, saliency};
//! use ser_models::{init_model, Arch, Sequence};
//! # fn main() -> ser_models::Result<()> {
//! let cfg = Arch::Cnn.default_config(16, 3);
//! let (model, params) = init_model(&cfg, 0)?;
//! let x = Sequence::new((0..20 * 16).map(|i| (i % 7) as f32).collect(), 20, 16)?;
//! let s = saliency(&model, &params, &x, None)?;
//! assert_eq!((s.n_frames, s.n_features), (20, 16));
//! let d = deletion_check(&model, &params, &[x], &[s.values], 0.1, 3, 0)?;
//! assert_eq!(d.n, 1);
//! # Ok(())
//! # }
//! ```

use candle_core::{DType, Device, IndexOp, Tensor, Var};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use ser_metrics::argmax;
use serde::Serialize;

use crate::batch::{mask_from_lengths, Batch, Sequence};
use crate::layers::softmax_last;
use crate::models::Model;
use crate::params::ParamStore;
use crate::train::predict_proba;
use crate::{Error, Result};

/// Gradient × input of one class over one input sequence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saliency {
    /// Frames of the input.
    pub n_frames: usize,
    /// Features per frame (mel bands, coefficients, functionals).
    pub n_features: usize,
    /// Row-major `(n_frames, n_features)`: `∂ logit_class / ∂x · (x − mean)`. Positive
    /// values push the class up; the sum approximates `logit(x) − logit(mean)` to first
    /// order.
    pub values: Vec<f32>,
    /// The explained class.
    pub class: usize,
    /// Class probabilities of the unmasked input.
    pub probabilities: Vec<f32>,
}

impl Saliency {
    /// Per-frame sum of the positive part: how much each frame supports the class.
    pub fn frame_profile(&self) -> Vec<f32> {
        self.values
            .chunks(self.n_features)
            .map(|r| r.iter().map(|v| v.max(0.0)).sum())
            .collect()
    }

    /// Per-feature sum of the positive part over frames (e.g. per mel band).
    pub fn feature_profile(&self) -> Vec<f32> {
        let mut out = vec![0f32; self.n_features];
        for r in self.values.chunks(self.n_features) {
            for (o, v) in out.iter_mut().zip(r) {
                *o += v.max(0.0);
            }
        }
        out
    }
}

/// The standardisation buffers `(mean, inv_std)` of a model's `input_norm`.
pub fn input_stats(params: &ParamStore) -> Result<(Vec<f32>, Vec<f32>)> {
    let snap = params.snapshot()?;
    let get = |k: &str| -> Result<Vec<f32>> {
        snap.get(k)
            .ok_or_else(|| Error::MissingTensor { name: k.into() })?
            .to_vec1::<f32>()
            .map_err(Error::from)
    };
    Ok((get("input_norm.mean")?, get("input_norm.inv_std")?))
}

fn one_item_batch(x: Tensor, n_frames: usize) -> Result<Batch> {
    let mask = mask_from_lengths(&[n_frames], n_frames, &Device::Cpu)?;
    Ok(Batch {
        x,
        mask,
        lengths: vec![n_frames],
    })
}

/// Gradient × input saliency of `class` (default: the predicted class) for `seq`.
///
/// Works for every architecture (evaluation mode: no dropout, batch-norm running
/// statistics). Errors if `class` is out of range or `seq` has the wrong width.
pub fn saliency(
    model: &Model,
    params: &ParamStore,
    seq: &Sequence,
    class: Option<usize>,
) -> Result<Saliency> {
    let (t, f) = (seq.n_frames(), seq.n_features());
    let (mean, _) = input_stats(params)?;
    if mean.len() != f {
        return Err(Error::ShapeMismatch {
            what: "saliency input features".into(),
            expected: mean.len().to_string(),
            got: f.to_string(),
        });
    }
    let x = Tensor::from_slice(seq.data(), (1, t, f), &Device::Cpu)?;
    let var = Var::from_tensor(&x)?;
    let batch = one_item_batch(var.as_tensor().clone(), t)?;
    let logits = model.forward_t(&batch, false)?;
    let probabilities: Vec<f32> = softmax_last(&logits)?.i(0)?.to_vec1()?;
    let n_classes = probabilities.len();
    let class = class.unwrap_or_else(|| argmax(&probabilities));
    if class >= n_classes {
        return Err(Error::ClassOutOfRange { class, n_classes });
    }
    let target = logits.i((0, class))?;
    let grads = target.backward()?;
    let g = match grads.get(var.as_tensor()) {
        Some(g) => g.flatten_all()?.to_vec1::<f32>()?,
        // The output does not depend on the input at all (e.g. all-zero weights).
        None => vec![0.0; t * f],
    };
    let values = g
        .iter()
        .zip(seq.data())
        .enumerate()
        .map(|(i, (g, x))| g * (x - mean[i % f]))
        .collect();
    Ok(Saliency {
        n_frames: t,
        n_features: f,
        values,
        class,
        probabilities,
    })
}

/// Frame weights of an attention model for one input, summing to 1 over the input frames.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeAttention {
    /// What the weights are: `"pooling"` (attentive statistics pooling) or `"rollout"`.
    pub kind: &'static str,
    /// One weight per input frame (steps of stacked or pooled frames are spread evenly
    /// over the frames they cover).
    pub weights: Vec<f32>,
    /// Class probabilities recomputed along the way (equal to the model's).
    pub probabilities: Vec<f32>,
}

/// Spreads per-step weights over the `k` input frames each step covers (first `n` frames).
fn spread(steps: &[f32], k: usize, n: usize) -> Vec<f32> {
    let mut w: Vec<f32> = (0..n)
        .map(|t| steps.get(t / k).copied().unwrap_or(0.0))
        .collect();
    let s: f32 = w.iter().sum();
    if s > 0.0 {
        w.iter_mut().for_each(|v| *v /= s);
    }
    w
}

/// The frame weights an attention model uses for `seq`, or `None` for architectures
/// without attention over time (CNN, BiLSTM, MLP: use [`saliency`]).
///
/// The weights come from the model's own layers in the same forward pass that gives the
/// probabilities (`forward_with_weights` of [`crate::AttentionNet`], [`crate::CnnLstm`] and
/// [`crate::Transformer`]): attentive-pooling weights, or for the Transformer the attention
/// rollout (Abnar & Zuidema 2020) of its head-averaged maps with the residual,
/// `R ← (½A + ½I) R` with rows renormalised, averaged over the valid query steps.
pub fn attention_over_time(model: &Model, seq: &Sequence) -> Result<Option<TimeAttention>> {
    let t = seq.n_frames();
    let batch = Batch::from_sequences(&[seq], 1)?;
    let probs =
        |logits: &Tensor| -> Result<Vec<f32>> { Ok(softmax_last(logits)?.i(0)?.to_vec1()?) };
    match model {
        Model::Attention(m) => {
            let (logits, alpha) = m.forward_with_weights(&batch, false)?;
            let steps: Vec<f32> = alpha.i(0)?.to_vec1()?;
            Ok(Some(TimeAttention {
                kind: "pooling",
                weights: spread(&steps, m.frame_stack(), t),
                probabilities: probs(&logits)?,
            }))
        }
        Model::CnnLstm(m) => {
            let (logits, alpha) = m.forward_with_weights(&batch, false)?;
            let steps: Vec<f32> = alpha.i(0)?.to_vec1()?;
            Ok(Some(TimeAttention {
                kind: "pooling",
                weights: spread(&steps, m.frames_per_step(), t),
                probabilities: probs(&logits)?,
            }))
        }
        Model::Transformer(m) => {
            let (logits, maps, lengths) = m.forward_with_weights(&batch, false)?;
            let ts = maps.first().map_or(Ok(0), |a| a.dim(2))?;
            let eye = Tensor::eye(ts, DType::F32, &Device::Cpu)?;
            let mut rollout = eye.clone();
            for a in &maps {
                let a = a.i(0)?.mean(0)?; // heads averaged: (steps, steps)
                let r = ((a * 0.5)? + (&eye * 0.5)?)?;
                let r = r.broadcast_div(&r.sum_keepdim(1)?)?;
                rollout = r.matmul(&rollout)?;
            }
            // Mean pooling over valid query steps, so average their rollout rows.
            let n = lengths[0].max(1).min(ts.max(1));
            let steps: Vec<f32> = if ts == 0 {
                Vec::new()
            } else {
                rollout.narrow(0, 0, n)?.mean(0)?.to_vec1()?
            };
            let steps: Vec<f32> = steps.iter().take(n).copied().collect();
            Ok(Some(TimeAttention {
                kind: "rollout",
                weights: spread(&steps, m.frame_stack(), t),
                probabilities: probs(&logits)?,
            }))
        }
        _ => Ok(None),
    }
}

/// Occlusion over time (Zeiler & Fergus 2014): the drop in the probability of `class`
/// (default: the predicted class) when each window of `window` frames is set to the
/// standardisation mean; every frame gets its window's drop. Model-agnostic and, unlike
/// gradients or attention weights, measured on the model's actual response to removal.
pub fn occlusion_over_time(
    model: &Model,
    params: &ParamStore,
    seq: &Sequence,
    window: usize,
    class: Option<usize>,
) -> Result<Vec<f32>> {
    if window == 0 {
        return Err(Error::InvalidArgument(
            "occlusion window must be > 0".into(),
        ));
    }
    let (mean, _) = input_stats(params)?;
    let (t, f) = (seq.n_frames(), seq.n_features());
    if mean.len() != f {
        return Err(Error::ShapeMismatch {
            what: "occlusion input features".into(),
            expected: mean.len().to_string(),
            got: f.to_string(),
        });
    }
    let p0 = predict_proba(model, std::slice::from_ref(seq), 1)?.remove(0);
    let c = class.unwrap_or_else(|| argmax(&p0));
    if c >= p0.len() {
        return Err(Error::ClassOutOfRange {
            class: c,
            n_classes: p0.len(),
        });
    }
    let starts: Vec<usize> = (0..t).step_by(window).collect();
    let masked = starts
        .iter()
        .map(|&s| {
            let cells: Vec<usize> = (s * f..(s + window).min(t) * f).collect();
            mask_cells(seq, &cells, &mean)
        })
        .collect::<Result<Vec<_>>>()?;
    let p = predict_proba(model, &masked, 64)?;
    let mut out = vec![0f32; t];
    for (&s, q) in starts.iter().zip(&p) {
        for v in &mut out[s..(s + window).min(t)] {
            *v = p0[c] - q[c];
        }
    }
    Ok(out)
}

/// A named set of input columns permuted together (e.g. every F0 functional).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureGroup {
    /// Display name.
    pub name: String,
    /// Column indices into the feature vector.
    pub columns: Vec<usize>,
}

impl FeatureGroup {
    /// One group per column, named by `names`.
    pub fn singletons(names: &[String]) -> Vec<FeatureGroup> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| FeatureGroup {
                name: n.clone(),
                columns: vec![i],
            })
            .collect()
    }
}

/// Result of [`permutation_importance`] on one evaluation set (or the mean over folds,
/// [`PermutationImportance::mean`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PermutationImportance {
    /// Group names, in input order.
    pub groups: Vec<String>,
    /// Recall per class on the unpermuted data (`NaN` for a class absent from the set).
    pub baseline_recall: Vec<f64>,
    /// Unweighted average recall on the unpermuted data (over classes present).
    pub baseline_ua: f64,
    /// Mean drop in UA per group (`baseline − permuted`; positive = the model needs it).
    pub ua_drop: Vec<f64>,
    /// Standard deviation of the UA drop over repeats.
    pub ua_drop_std: Vec<f64>,
    /// Mean drop in recall `[group][class]` (`NaN` for absent classes).
    pub recall_drop: Vec<Vec<f64>>,
    /// Permutation repeats per group.
    pub repeats: usize,
    /// Number of evaluation utterances.
    pub n: usize,
}

impl PermutationImportance {
    /// Group indices sorted by decreasing UA drop.
    pub fn ranking(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.groups.len()).collect();
        idx.sort_by(|&a, &b| self.ua_drop[b].total_cmp(&self.ua_drop[a]));
        idx
    }

    /// Average of several results over the same groups (e.g. one per held-out fold);
    /// per-class means skip folds where the class is absent; `ua_drop_std` becomes the
    /// standard deviation of the fold means.
    pub fn mean(parts: &[PermutationImportance]) -> Result<PermutationImportance> {
        let first = parts
            .first()
            .ok_or_else(|| Error::InvalidArgument("no importance results to average".into()))?;
        if parts.iter().any(|p| p.groups != first.groups) {
            return Err(Error::InvalidArgument(
                "importance results over different groups".into(),
            ));
        }
        let nanmean = |v: &mut dyn Iterator<Item = f64>| {
            let (s, n) = v
                .filter(|x| x.is_finite())
                .fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
            if n == 0 {
                f64::NAN
            } else {
                s / n as f64
            }
        };
        let g = first.groups.len();
        let k = first.baseline_recall.len();
        let ua_drop: Vec<f64> = (0..g)
            .map(|i| nanmean(&mut parts.iter().map(|p| p.ua_drop[i])))
            .collect();
        let ua_drop_std = (0..g)
            .map(|i| {
                let m = ua_drop[i];
                let v = nanmean(&mut parts.iter().map(|p| (p.ua_drop[i] - m).powi(2)));
                v.sqrt()
            })
            .collect();
        Ok(PermutationImportance {
            groups: first.groups.clone(),
            baseline_recall: (0..k)
                .map(|c| nanmean(&mut parts.iter().map(|p| p.baseline_recall[c])))
                .collect(),
            baseline_ua: nanmean(&mut parts.iter().map(|p| p.baseline_ua)),
            ua_drop,
            ua_drop_std,
            recall_drop: (0..g)
                .map(|i| {
                    (0..k)
                        .map(|c| nanmean(&mut parts.iter().map(|p| p.recall_drop[i][c])))
                        .collect()
                })
                .collect(),
            repeats: first.repeats,
            n: parts.iter().map(|p| p.n).sum(),
        })
    }
}

/// Recall per class (`NaN` where absent) and their mean over present classes.
fn recalls(y: &[usize], pred: &[usize], n_classes: usize) -> (Vec<f64>, f64) {
    let mut hit = vec![0usize; n_classes];
    let mut tot = vec![0usize; n_classes];
    for (&t, &p) in y.iter().zip(pred) {
        tot[t] += 1;
        hit[t] += usize::from(t == p);
    }
    let r: Vec<f64> = hit
        .iter()
        .zip(&tot)
        .map(|(&h, &n)| {
            if n == 0 {
                f64::NAN
            } else {
                h as f64 / n as f64
            }
        })
        .collect();
    let present: Vec<f64> = r.iter().copied().filter(|v| v.is_finite()).collect();
    let ua = present.iter().sum::<f64>() / present.len().max(1) as f64;
    (r, ua)
}

/// Permutation importance of `groups` of columns for a model on one-frame sequences
/// (utterance functionals), evaluated on held-out `x`, `y` (class indices `< n_classes`).
///
/// For every group and repeat, the group's columns are shuffled jointly across the
/// utterances (one permutation per repeat, seeded by `seed`), the model predicts again,
/// and the drops in UA and per-class recall are recorded.
pub fn permutation_importance(
    model: &Model,
    x: &[Sequence],
    y: &[usize],
    n_classes: usize,
    groups: &[FeatureGroup],
    repeats: usize,
    seed: u64,
) -> Result<PermutationImportance> {
    if x.len() != y.len() || x.len() < 2 {
        return Err(Error::InvalidArgument(format!(
            "need at least 2 labelled utterances, got {} inputs and {} labels",
            x.len(),
            y.len()
        )));
    }
    if repeats == 0 {
        return Err(Error::InvalidArgument("repeats must be > 0".into()));
    }
    let f = x[0].n_features();
    if let Some(s) = x.iter().find(|s| s.n_frames() != 1 || s.n_features() != f) {
        return Err(Error::ShapeMismatch {
            what: "permutation importance inputs (one frame of functionals each)".into(),
            expected: format!("1 x {f}"),
            got: format!("{} x {}", s.n_frames(), s.n_features()),
        });
    }
    if let Some(&bad) = y.iter().find(|&&c| c >= n_classes) {
        return Err(Error::ClassOutOfRange {
            class: bad,
            n_classes,
        });
    }
    if let Some(g) = groups.iter().find(|g| g.columns.iter().any(|&c| c >= f)) {
        return Err(Error::InvalidArgument(format!(
            "group `{}` has a column outside 0..{f}",
            g.name
        )));
    }
    let predict = |xs: &[Sequence]| -> Result<Vec<usize>> {
        Ok(predict_proba(model, xs, 256)?
            .iter()
            .map(|p| argmax(p))
            .collect())
    };
    let (baseline_recall, baseline_ua) = recalls(y, &predict(x)?, n_classes);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = x.len();
    let mut ua_drop = Vec::with_capacity(groups.len());
    let mut ua_drop_std = Vec::with_capacity(groups.len());
    let mut recall_drop = Vec::with_capacity(groups.len());
    for g in groups {
        let mut uas = Vec::with_capacity(repeats);
        let mut rec = vec![0f64; n_classes];
        for _ in 0..repeats {
            let mut perm: Vec<usize> = (0..n).collect();
            perm.shuffle(&mut rng);
            let xp = x
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut d = s.data().to_vec();
                    for &c in &g.columns {
                        d[c] = x[perm[i]].data()[c];
                    }
                    Sequence::new(d, 1, f)
                })
                .collect::<Result<Vec<_>>>()?;
            let (r, ua) = recalls(y, &predict(&xp)?, n_classes);
            uas.push(baseline_ua - ua);
            for (acc, (b, v)) in rec.iter_mut().zip(baseline_recall.iter().zip(&r)) {
                *acc += (b - v) / repeats as f64;
            }
        }
        let m = uas.iter().sum::<f64>() / repeats as f64;
        let var = uas.iter().map(|u| (u - m).powi(2)).sum::<f64>() / repeats as f64;
        ua_drop.push(m);
        ua_drop_std.push(var.sqrt());
        recall_drop.push(rec);
    }
    Ok(PermutationImportance {
        groups: groups.iter().map(|g| g.name.clone()).collect(),
        baseline_recall,
        baseline_ua,
        ua_drop,
        ua_drop_std,
        recall_drop,
        repeats,
        n,
    })
}

/// Outcome of [`deletion_check`], averaged over the inputs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeletionResult {
    /// Mean drop of the predicted class's probability when the top-ranked cells are masked.
    pub salient_drop: f64,
    /// Mean drop when as many random cells are masked (averaged over the random draws).
    pub random_drop: f64,
    /// Fraction of inputs where the salient mask hurt more than the random one.
    pub win_rate: f64,
    /// Number of inputs.
    pub n: usize,
    /// Masked fraction of cells.
    pub fraction: f32,
}

/// Replaces `cells` of `seq` by the standardisation mean of their column.
pub fn mask_cells(seq: &Sequence, cells: &[usize], mean: &[f32]) -> Result<Sequence> {
    let f = seq.n_features();
    let mut d = seq.data().to_vec();
    for &c in cells {
        if c >= d.len() {
            return Err(Error::InvalidArgument(format!(
                "cell {c} outside a {} x {f} input",
                seq.n_frames()
            )));
        }
        d[c] = mean[c % f];
    }
    Sequence::new(d, seq.n_frames(), f)
}

/// Faithfulness check of per-cell scores (row-major `(n_frames, n_features)`, higher = more
/// important for the predicted class, e.g. [`Saliency::values`] or frame weights broadcast
/// with [`frames_to_cells`]): masks the `fraction` of cells with the highest scores, and
/// `random_repeats` random sets of the same size, and compares the drops in the probability
/// of the class predicted on the unmasked input.
pub fn deletion_check(
    model: &Model,
    params: &ParamStore,
    seqs: &[Sequence],
    scores: &[Vec<f32>],
    fraction: f32,
    random_repeats: usize,
    seed: u64,
) -> Result<DeletionResult> {
    if seqs.len() != scores.len() || seqs.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{} inputs and {} score maps",
            seqs.len(),
            scores.len()
        )));
    }
    if !(fraction > 0.0 && fraction <= 1.0) || random_repeats == 0 {
        return Err(Error::InvalidArgument(format!(
            "fraction must be in (0, 1] and random_repeats > 0, got {fraction} and {random_repeats}"
        )));
    }
    let (mean, _) = input_stats(params)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut sal, mut rnd, mut wins) = (0f64, 0f64, 0usize);
    for (seq, score) in seqs.iter().zip(scores) {
        let n = seq.data().len();
        if score.len() != n {
            return Err(Error::ShapeMismatch {
                what: "deletion scores".into(),
                expected: n.to_string(),
                got: score.len().to_string(),
            });
        }
        let k = ((fraction * n as f32).ceil() as usize).clamp(1, n);
        let p0 = predict_proba(model, std::slice::from_ref(seq), 1)?.remove(0);
        let c = argmax(&p0);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
        let top = mask_cells(seq, &order[..k], &mean)?;
        let mut masked = vec![top];
        for _ in 0..random_repeats {
            order.shuffle(&mut rng);
            masked.push(mask_cells(seq, &order[..k], &mean)?);
        }
        let p = predict_proba(model, &masked, 64)?;
        let d_sal = f64::from(p0[c] - p[0][c]);
        let d_rnd =
            p[1..].iter().map(|q| f64::from(p0[c] - q[c])).sum::<f64>() / random_repeats as f64;
        sal += d_sal;
        rnd += d_rnd;
        wins += usize::from(d_sal > d_rnd);
    }
    let m = seqs.len() as f64;
    Ok(DeletionResult {
        salient_drop: sal / m,
        random_drop: rnd / m,
        win_rate: wins as f64 / m,
        n: seqs.len(),
        fraction,
    })
}

/// Broadcasts per-frame weights to per-cell scores `(n_frames, n_features)` for
/// [`deletion_check`]: every feature of a frame gets the frame's weight (the stable sort
/// there then masks whole frames, in weight order).
pub fn frames_to_cells(weights: &[f32], n_features: usize) -> Vec<f32> {
    weights
        .iter()
        .flat_map(|&w| std::iter::repeat_n(w, n_features))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelConfig;
    use crate::train::init_model;
    use crate::Arch;

    fn seq(t: usize, f: usize, seed: u64) -> Sequence {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let d = (0..t * f)
            .map(|_| rand::Rng::gen_range(&mut rng, -2.0..2.0))
            .collect();
        Sequence::new(d, t, f).unwrap()
    }

    #[test]
    fn attention_weights_come_with_the_models_own_probabilities() {
        let stats = ModelConfig::Transformer(
            crate::TransformerConfig::default()
                .n_features(16)
                .n_classes(3)
                .stats_pooling(true),
        );
        let cfgs = [Arch::Attention, Arch::Transformer, Arch::CnnLstm]
            .map(|a| a.default_config(16, 3))
            .into_iter()
            .chain([stats]);
        for cfg in cfgs {
            let arch = cfg.arch();
            let (model, _) = init_model(&cfg, 1).unwrap();
            for t in [1, 7, 33] {
                let s = seq(t, 16, t as u64);
                let a = attention_over_time(&model, &s).unwrap().unwrap();
                assert_eq!(a.weights.len(), t, "{arch}");
                let p = predict_proba(&model, std::slice::from_ref(&s), 1).unwrap();
                for (x, y) in a.probabilities.iter().zip(&p[0]) {
                    assert!((x - y).abs() < 1e-6, "{arch} t={t}");
                }
                let sum: f32 = a.weights.iter().sum();
                assert!((sum - 1.0).abs() < 1e-4, "{arch} t={t}: {sum}");
                assert!(a.weights.iter().all(|w| *w >= 0.0));
            }
        }
        let cfg = Arch::Cnn.default_config(16, 3);
        let (model, _) = init_model(&cfg, 1).unwrap();
        assert!(attention_over_time(&model, &seq(5, 16, 0))
            .unwrap()
            .is_none());
    }

    #[test]
    fn saliency_is_first_order_logit_change_for_a_linear_model() {
        // An MLP without hidden layers is linear in its input: gradient × (x − mean) sums
        // exactly to logit(x) − logit(mean).
        let cfg = ModelConfig::Mlp(
            crate::MlpConfig::default()
                .n_features(6)
                .n_classes(3)
                .hidden(vec![]),
        );
        let (model, params) = init_model(&cfg, 4).unwrap();
        let x = seq(1, 6, 9);
        let s = saliency(&model, &params, &x, Some(2)).unwrap();
        let logit = |q: &Sequence| -> f32 {
            let b = Batch::from_sequences(&[q], 1).unwrap();
            model
                .forward_t(&b, false)
                .unwrap()
                .i((0, 2))
                .unwrap()
                .to_scalar()
                .unwrap()
        };
        let (mean, _) = input_stats(&params).unwrap();
        let base = Sequence::new(mean.clone(), 1, 6).unwrap();
        let total: f32 = s.values.iter().sum();
        assert!((total - (logit(&x) - logit(&base))).abs() < 1e-4);
        assert!(saliency(&model, &params, &x, Some(3)).is_err());
        assert!(saliency(&model, &params, &seq(1, 5, 0), None).is_err());
    }

    #[test]
    fn recalls_skip_absent_classes() {
        let (r, ua) = recalls(&[0, 0, 1, 1], &[0, 1, 1, 1], 3);
        assert_eq!(r[0], 0.5);
        assert_eq!(r[1], 1.0);
        assert!(r[2].is_nan());
        assert!((ua - 0.75).abs() < 1e-12);
    }

    #[test]
    fn spread_and_frames_to_cells() {
        let w = spread(&[0.75, 0.25], 2, 3);
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(w[0] == w[1] && w[1] > w[2]);
        let c = frames_to_cells(&[0.1, 0.9], 2);
        assert_eq!(c, vec![0.1, 0.1, 0.9, 0.9]);
    }

    /// Synthetic "log-mel" task: noise plus a bright blob whose frequency band says the
    /// class and whose time position is random.
    fn blobs(n: usize, seed: u64) -> (Vec<Sequence>, Vec<usize>) {
        use rand::Rng;
        let (t, f) = (24, 16);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for i in 0..n {
            let c = i % 2;
            let mut d: Vec<f32> = (0..t * f).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let t0 = rng.gen_range(0..t - 6);
            let f0 = if c == 0 { 3 } else { 10 };
            for tt in t0..t0 + 6 {
                for ff in f0..f0 + 3 {
                    d[tt * f + ff] += 4.0;
                }
            }
            xs.push(Sequence::new(d, t, f).unwrap());
            ys.push(c);
        }
        (xs, ys)
    }

    fn fit(cfg: &ModelConfig, x: &[Sequence], y: &[usize], epochs: usize) -> crate::Trained {
        let tcfg = crate::TrainConfig::default()
            .epochs(epochs)
            .batch_size(16)
            .warmup_epochs(1)
            .lr(3e-3)
            .seed(5);
        crate::train(
            cfg,
            &tcfg,
            crate::Labeled::new(x, y).unwrap(),
            None,
            None,
            |_| {},
        )
        .unwrap()
    }

    /// Faithfulness of saliency on a task whose evidence is known: masking the 10 % most
    /// salient cells lowers the predicted probability more than masking 10 % random cells.
    #[test]
    fn cnn_saliency_passes_the_deletion_check() {
        let cfg = ModelConfig::Cnn(
            crate::CnnConfig::default()
                .n_features(16)
                .n_classes(2)
                .channels(vec![8, 16]),
        );
        let (x, y) = blobs(128, 1);
        let tr = fit(&cfg, &x, &y, 20);
        let (xt, yt) = blobs(24, 2);
        let pred = crate::predict(&tr.model, &xt, 32).unwrap();
        let acc = pred.iter().zip(&yt).filter(|(p, t)| p == t).count() as f64 / yt.len() as f64;
        assert!(acc > 0.8, "synthetic task not learnt: accuracy {acc}");
        let maps: Vec<Vec<f32>> = xt
            .iter()
            .map(|s| saliency(&tr.model, &tr.params, s, None).unwrap().values)
            .collect();
        let d = deletion_check(&tr.model, &tr.params, &xt, &maps, 0.1, 4, 3).unwrap();
        eprintln!("cell deletion, CNN saliency: {d:?}");
        assert!(d.salient_drop > d.random_drop + 0.1, "{d:?}");
        assert!(d.win_rate > 0.7, "{d:?}");
        // And the saliency sits on the blob's band.
        let s = saliency(&tr.model, &tr.params, &xt[1], Some(1)).unwrap();
        let bands = s.feature_profile();
        let top = (0..16)
            .max_by(|&a, &b| bands[a].total_cmp(&bands[b]))
            .unwrap();
        assert!((10..13).contains(&top), "top band {top}: {bands:?}");
    }

    /// On an attention model, occlusion over time passes the frame deletion check. The
    /// model's own attention weights and the saliency frame profile are computed for the
    /// same inputs and reported, not asserted: on this task the self-attention layer moves
    /// the blob's evidence onto other frames before pooling, so pooling weights and input
    /// gradients point at background frames and masking their top frames hurts *less*
    /// than random frames ("attention is not explanation", Jain & Wallace 2019).
    #[test]
    fn attention_model_occlusion_passes_the_deletion_check() {
        let cfg = ModelConfig::Attention(
            crate::AttentionConfig::default()
                .n_features(16)
                .n_classes(2)
                .d_model(16)
                .n_heads(2)
                .att_hidden(16)
                .frame_stack(1),
        );
        let (x, y) = blobs(128, 4);
        let tr = fit(&cfg, &x, &y, 20);
        let (xt, yt) = blobs(24, 5);
        let pred = crate::predict(&tr.model, &xt, 32).unwrap();
        let acc = pred.iter().zip(&yt).filter(|(p, t)| p == t).count() as f64 / yt.len() as f64;
        assert!(acc > 0.8, "synthetic task not learnt: accuracy {acc}");
        let by_saliency: Vec<Vec<f32>> = xt
            .iter()
            .map(|s| {
                let sal = saliency(&tr.model, &tr.params, s, None).unwrap();
                frames_to_cells(&sal.frame_profile(), 16)
            })
            .collect();
        let by_attention: Vec<Vec<f32>> = xt
            .iter()
            .map(|s| {
                let a = attention_over_time(&tr.model, s).unwrap().unwrap();
                frames_to_cells(&a.weights, 16)
            })
            .collect();
        let by_occlusion: Vec<Vec<f32>> = xt
            .iter()
            .map(|s| {
                let o = occlusion_over_time(&tr.model, &tr.params, s, 3, None).unwrap();
                frames_to_cells(&o, 16)
            })
            .collect();
        let ds = deletion_check(&tr.model, &tr.params, &xt, &by_saliency, 0.25, 4, 6).unwrap();
        let da = deletion_check(&tr.model, &tr.params, &xt, &by_attention, 0.25, 4, 6).unwrap();
        let d_occ = deletion_check(&tr.model, &tr.params, &xt, &by_occlusion, 0.25, 4, 6).unwrap();
        eprintln!("frame deletion, saliency: {ds:?}");
        eprintln!("frame deletion, attention weights: {da:?}");
        eprintln!("frame deletion, occlusion: {d_occ:?}");
        assert!(d_occ.salient_drop > d_occ.random_drop + 0.05, "{d_occ:?}");
        assert!(ds.salient_drop.is_finite() && da.salient_drop.is_finite());
    }

    /// Permutation importance finds the two informative columns among six.
    #[test]
    fn permutation_importance_ranks_informative_features_first() {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..240 {
            let c = i % 3;
            let mut d: Vec<f32> = (0..6).map(|_| rng.gen_range(-1.0..1.0)).collect();
            d[0] += [-2.0, 0.0, 2.0][c];
            d[3] += [0.0, 2.0, 0.0][c];
            x.push(Sequence::new(d, 1, 6).unwrap());
            y.push(c);
        }
        let cfg = ModelConfig::Mlp(
            crate::MlpConfig::default()
                .n_features(6)
                .n_classes(3)
                .hidden(vec![16]),
        );
        let tr = fit(&cfg, &x[..160], &y[..160], 30);
        let names: Vec<String> = (0..6).map(|i| format!("f{i}")).collect();
        let groups = FeatureGroup::singletons(&names);
        let imp =
            permutation_importance(&tr.model, &x[160..], &y[160..], 3, &groups, 5, 1).unwrap();
        assert!(imp.baseline_ua > 0.8, "{imp:?}");
        let rank = imp.ranking();
        let mut top2 = [rank[0], rank[1]];
        top2.sort();
        assert_eq!(top2, [0, 3], "{imp:?}");
        // f3 separates class 1 only: its recall drop concentrates there.
        let r3 = &imp.recall_drop[3];
        assert!(r3[1] > r3[0] && r3[1] > r3[2], "{r3:?}");
        for g in [1, 2, 4, 5] {
            assert!(
                imp.ua_drop[g].abs() < 0.05,
                "noise column {g}: {}",
                imp.ua_drop[g]
            );
        }
        let m = PermutationImportance::mean(&[imp.clone(), imp.clone()]).unwrap();
        assert_eq!(m.ua_drop, imp.ua_drop);
        assert!(permutation_importance(&tr.model, &x[..1], &y[..1], 3, &groups, 5, 1).is_err());
    }
}
