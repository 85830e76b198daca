//! Training and inference of a [`FusionNet`].
//!
//! Fusion networks train on `ser-models`' one training engine ([`ser_models::engine`]:
//! AdamW, warm-up + cosine [`TrainConfig::lr_at`], gradient clipping, early stopping on
//! validation UA with the best weights restored) with the classifiers' loss
//! (`ser_models::train::soft_cross_entropy`, label smoothing, balanced class weights), a
//! seeded [`ParamStore`] and seeded dropout. On top of that the text of a random
//! `modality_dropout` fraction of training utterances is masked in every epoch, which
//! trains the acoustic-only path used when a transcript is missing.

use candle_core::{Device, Tensor};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use ser_metrics::argmax;
use ser_models::engine::{self, BatchLoss, Objective, Validation};
use ser_models::train::{class_weights, soft_cross_entropy};
use ser_models::{ParamStore, TrainConfig};
use serde::{Deserialize, Serialize};

use crate::data::{Multimodal, Standardizer};
use crate::net::{FusionKind, FusionNet, NetConfig};
use crate::{Error, Result};

/// Settings of [`fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FitConfig {
    /// The `ser-models` trainer settings. Default: `TrainConfig::default()` with
    /// `epochs = 80`, `patience = 20`, `batch_size = 32`, `lr = 1e-3`.
    pub train: TrainConfig,
    /// Probability of masking the transcript of a training utterance in each epoch
    /// (early fusion and GMU only). Default: 0.2.
    pub modality_dropout: f64,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            train: TrainConfig::default().epochs(80).patience(20),
            modality_dropout: 0.2,
        }
    }
}

impl FitConfig {
    /// Sets `train` (chaining).
    pub fn train(mut self, v: TrainConfig) -> Self {
        self.train = v;
        self
    }

    /// Sets `modality_dropout` (chaining).
    pub fn modality_dropout(mut self, v: f64) -> Self {
        self.modality_dropout = v;
        self
    }
}

/// A trained fusion network with its input standardisers.
#[derive(Debug)]
pub struct FusionModel {
    /// The network (best validation weights loaded).
    pub net: FusionNet,
    /// Its parameters.
    pub params: ParamStore,
    /// Acoustic standardiser (fit on the training rows).
    pub acoustic_norm: Standardizer,
    /// Text standardiser (fit on the training rows that have a transcript), if any.
    pub text_norm: Option<Standardizer>,
    /// 1-based epoch whose weights were kept.
    pub best_epoch: usize,
    /// Validation UA of the kept weights.
    pub best_val_ua: Option<f64>,
    /// Epochs run.
    pub epochs_run: usize,
}

struct Tensors {
    a: Tensor,
    t: Tensor,
    m: Tensor,
}

fn to_tensors(
    data: &Multimodal,
    an: &Standardizer,
    tn: Option<&Standardizer>,
    text_dim: usize,
    force_no_text: bool,
) -> Result<Tensors> {
    let n = data.len();
    let dev = Device::Cpu;
    let da = an.mean.len();
    let mut a = Vec::with_capacity(n * da);
    for r in &data.acoustic {
        if r.len() != da {
            return Err(Error::ShapeMismatch {
                what: "acoustic dim".into(),
                expected: da,
                got: r.len(),
            });
        }
        a.extend(an.transform(r));
    }
    let dt = text_dim.max(1);
    let mut t = vec![0f32; n * dt];
    let mut m = vec![0f32; n];
    if let Some(tn) = tn {
        if !force_no_text {
            for (i, row) in data.text.iter().enumerate() {
                if let Some(row) = row {
                    if row.len() != text_dim {
                        return Err(Error::ShapeMismatch {
                            what: "text dim".into(),
                            expected: text_dim,
                            got: row.len(),
                        });
                    }
                    t[i * dt..(i + 1) * dt].copy_from_slice(&tn.transform(row));
                    m[i] = 1.0;
                }
            }
        }
    }
    Ok(Tensors {
        a: Tensor::from_vec(a, (n, da), &dev)?,
        t: Tensor::from_vec(t, (n, dt), &dev)?,
        m: Tensor::from_vec(m, (n, 1), &dev)?,
    })
}

fn check_labels(y: &[usize], n: usize, c: usize) -> Result<()> {
    if y.len() != n {
        return Err(Error::ShapeMismatch {
            what: "labels".into(),
            expected: n,
            got: y.len(),
        });
    }
    if let Some(&bad) = y.iter().find(|&&k| k >= c) {
        return Err(Error::InvalidArgument(format!(
            "label {bad} out of range for {c} classes"
        )));
    }
    Ok(())
}

/// Trains `cfg` on `train` (`(data, labels)`), early-stopping on `valid` UA when given.
///
/// Standardisers are fit on the training rows only. Errors on mismatched sizes, labels out
/// of range, a text network without any training transcript, or a non-finite loss.
pub fn fit(
    cfg: &NetConfig,
    fcfg: &FitConfig,
    train: (&Multimodal, &[usize]),
    valid: Option<(&Multimodal, &[usize])>,
) -> Result<FusionModel> {
    cfg.validate()?;
    fcfg.train.validate()?;
    let (data, y) = train;
    check_labels(y, data.len(), cfg.n_classes)?;
    if let Some((v, vy)) = valid {
        check_labels(vy, v.len(), cfg.n_classes)?;
    }
    if data.acoustic_dim() != cfg.acoustic_dim {
        return Err(Error::ShapeMismatch {
            what: "acoustic dim".into(),
            expected: cfg.acoustic_dim,
            got: data.acoustic_dim(),
        });
    }
    if cfg.kind.uses_text() && data.text_dim() != cfg.text_dim {
        return Err(Error::ShapeMismatch {
            what: "text dim".into(),
            expected: cfg.text_dim,
            got: data.text_dim(),
        });
    }
    let acoustic_norm = Standardizer::fit(data.acoustic.iter().map(Vec::as_slice))?;
    let text_norm = if cfg.kind.uses_text() {
        let rows: Vec<&[f32]> = data.text.iter().flatten().map(Vec::as_slice).collect();
        if rows.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "{} network needs training transcripts",
                cfg.kind.name()
            )));
        }
        Some(Standardizer::fit(rows)?)
    } else {
        None
    };
    let tr = to_tensors(
        data,
        &acoustic_norm,
        text_norm.as_ref(),
        cfg.text_dim,
        false,
    )?;
    let va = match valid {
        Some((v, vy)) => Some((
            to_tensors(v, &acoustic_norm, text_norm.as_ref(), cfg.text_dim, false)?,
            vy,
        )),
        None => None,
    };

    let tc = &fcfg.train;
    let params = ParamStore::new(tc.seed);
    let net = FusionNet::new(cfg, params.var_builder())?;
    net.set_dropout_seed(tc.seed ^ 0x5eed);
    let mut objective = FusionObjective {
        net: &net,
        train: &tr,
        y,
        weights: class_weights(y, cfg.n_classes, tc.class_weighted),
        n_classes: cfg.n_classes,
        label_smoothing: tc.label_smoothing,
        modality_dropout: if matches!(cfg.kind, FusionKind::Early | FusionKind::Gmu) {
            fcfg.modality_dropout
        } else {
            0.0
        },
        valid: va.as_ref().map(|(v, vy)| (v, *vy)),
    };
    let fit = engine::run(&params, tc, data.len(), &mut objective, |_| {})?;
    Ok(FusionModel {
        net,
        params,
        acoustic_norm,
        text_norm,
        best_epoch: fit.best_epoch,
        best_val_ua: fit.best_score,
        epochs_run: fit.history.len(),
    })
}

/// The objective of [`fit`]: class-weighted soft cross entropy with label smoothing and
/// modality dropout (the text of a random fraction of each batch masked), validation UA.
struct FusionObjective<'a> {
    net: &'a FusionNet,
    train: &'a Tensors,
    y: &'a [usize],
    weights: Vec<f32>,
    n_classes: usize,
    label_smoothing: f64,
    modality_dropout: f64,
    valid: Option<(&'a Tensors, &'a [usize])>,
}

impl Objective for FusionObjective<'_> {
    type Error = Error;

    fn batch_loss(&mut self, idx: &[usize], rng: &mut ChaCha8Rng) -> Result<BatchLoss> {
        let (b, c, eps, dev) = (idx.len(), self.n_classes, self.label_smoothing, Device::Cpu);
        let it = Tensor::from_vec(idx.iter().map(|&i| i as u32).collect::<Vec<_>>(), b, &dev)?;
        let a = self.train.a.index_select(&it, 0)?;
        let t = self.train.t.index_select(&it, 0)?;
        let mut m = self.train.m.index_select(&it, 0)?;
        if self.modality_dropout > 0.0 {
            let keep: Vec<f32> = (0..b)
                .map(|_| {
                    if rng.gen::<f64>() < self.modality_dropout {
                        0.0
                    } else {
                        1.0
                    }
                })
                .collect();
            m = m.mul(&Tensor::from_vec(keep, (b, 1), &dev)?)?;
        }
        let mut q = vec![(eps / c as f64) as f32; b * c];
        let mut wt = vec![0f32; b];
        for (k, &i) in idx.iter().enumerate() {
            q[k * c + self.y[i]] += (1.0 - eps) as f32;
            wt[k] = self.weights[self.y[i]];
        }
        let q = Tensor::from_vec(q, (b, c), &dev)?;
        let wt = Tensor::from_vec(wt, b, &dev)?;
        let out = self.net.forward_t(&a, &t, &m, true)?;
        Ok(BatchLoss {
            loss: soft_cross_entropy(&out.logits, &q, &wt)?,
            correct: None,
        })
    }

    fn validate(&mut self) -> Result<Option<Validation>> {
        let Some((v, vy)) = self.valid else {
            return Ok(None);
        };
        let p = proba_from(self.net, v)?;
        let pred: Vec<usize> = p.iter().map(|r| argmax(r)).collect();
        Ok(Some(Validation {
            score: ser_metrics::unweighted_accuracy(vy, &pred).unwrap_or(0.0),
            accuracy: None,
        }))
    }
}

fn proba_from(net: &FusionNet, x: &Tensors) -> Result<Vec<Vec<f32>>> {
    let out = net.forward_t(&x.a, &x.t, &x.m, false)?;
    Ok(candle_nn::ops::softmax_last_dim(&out.logits)?.to_vec2::<f32>()?)
}

impl FusionModel {
    fn tensors(&self, data: &Multimodal, no_text: bool) -> Result<Tensors> {
        to_tensors(
            data,
            &self.acoustic_norm,
            self.text_norm.as_ref(),
            self.net.config().text_dim,
            no_text,
        )
    }

    /// Class probabilities `(n, C)`. Utterances without a transcript use the acoustic path
    /// alone ([`crate::net`]); for a text-only network they get the prediction of an
    /// all-zero (training-mean) text vector.
    pub fn predict_proba(&self, data: &Multimodal) -> Result<Vec<Vec<f32>>> {
        proba_from(&self.net, &self.tensors(data, false)?)
    }

    /// Probabilities with every transcript removed (the missing-modality path).
    pub fn predict_proba_without_text(&self, data: &Multimodal) -> Result<Vec<Vec<f32>>> {
        proba_from(&self.net, &self.tensors(data, true)?)
    }

    /// Predicted classes.
    pub fn predict(&self, data: &Multimodal) -> Result<Vec<usize>> {
        Ok(self
            .predict_proba(data)?
            .iter()
            .map(|p| argmax(p))
            .collect())
    }

    /// Per-utterance GMU gate averaged over hidden units, in `[0, 1]`: the acoustic share
    /// of the fused representation (1 = acoustic only). `None` for other networks.
    pub fn gate_means(&self, data: &Multimodal) -> Result<Option<Vec<f32>>> {
        let x = self.tensors(data, false)?;
        let out = self.net.forward_t(&x.a, &x.t, &x.m, false)?;
        match out.gate {
            Some(g) => Ok(Some(g.mean(1)?.to_vec1::<f32>()?)),
            None => Ok(None),
        }
    }
}

/// Leave-one-modality-out contribution of the text: for every utterance,
/// `p_fused(ŷ) − p_without_text(ŷ)` where `ŷ` is the fused prediction. Positive values mean
/// the transcript raised the confidence in the final decision.
pub fn text_contribution(model: &FusionModel, data: &Multimodal) -> Result<Vec<f32>> {
    let full = model.predict_proba(data)?;
    let none = model.predict_proba_without_text(data)?;
    Ok(full
        .iter()
        .zip(&none)
        .map(|(f, n)| {
            let k = argmax(f);
            f[k] - n[k]
        })
        .collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    /// Class signal split across modalities: acoustic separates {0,1} vs {2,3}, text
    /// separates {0,2} vs {1,3}; only fusion can reach high accuracy.
    pub(crate) fn toy(n: usize, seed: u64) -> (Multimodal, Vec<usize>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let noise = Normal::new(0.0f32, 0.5).expect("normal");
        let mut a = Vec::new();
        let mut t = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let c = i % 4;
            let sa = if c < 2 { -1.0 } else { 1.0 };
            let st = if c % 2 == 0 { -1.0 } else { 1.0 };
            a.push((0..4).map(|_| sa + noise.sample(&mut rng)).collect());
            t.push(Some((0..3).map(|_| st + noise.sample(&mut rng)).collect()));
            y.push(c);
        }
        (Multimodal::new(a, t).expect("data"), y)
    }

    fn acc(p: &[usize], y: &[usize]) -> f64 {
        p.iter().zip(y).filter(|(a, b)| a == b).count() as f64 / y.len() as f64
    }

    #[test]
    fn fusion_beats_each_modality_on_complementary_data() {
        let (tr, ytr) = toy(240, 1);
        let (te, yte) = toy(120, 2);
        let fc = FitConfig::default().train(TrainConfig::default().epochs(80).lr(3e-3));
        let mut accs = std::collections::HashMap::new();
        for kind in [
            FusionKind::Acoustic,
            FusionKind::Text,
            FusionKind::Early,
            FusionKind::Gmu,
        ] {
            let m = fit(
                &NetConfig::new(kind, 4, 3, 4).hidden(16),
                &fc,
                (&tr, &ytr),
                None,
            )
            .expect("fit");
            accs.insert(kind, acc(&m.predict(&te).expect("pred"), &yte));
        }
        assert!(
            accs[&FusionKind::Acoustic] < 0.6 && accs[&FusionKind::Text] < 0.6,
            "{accs:?}"
        );
        assert!(accs[&FusionKind::Early] > 0.85, "{accs:?}");
        assert!(accs[&FusionKind::Gmu] > 0.85, "{accs:?}");
    }

    #[test]
    fn missing_text_falls_back_to_acoustic_half() {
        let (tr, ytr) = toy(240, 3);
        let (te, yte) = toy(120, 4);
        let fc = FitConfig::default()
            .train(TrainConfig::default().epochs(40).patience(40))
            .modality_dropout(0.3);
        let m = fit(
            &NetConfig::new(FusionKind::Gmu, 4, 3, 4).hidden(16),
            &fc,
            (&tr, &ytr),
            None,
        )
        .expect("fit");
        let p = m.predict(&te.without_text()).expect("pred");
        // Acoustic alone tells {0,1} from {2,3}: the predicted half must be right.
        let half = p
            .iter()
            .zip(&yte)
            .filter(|(p, y)| (**p < 2) == (**y < 2))
            .count() as f64
            / yte.len() as f64;
        assert!(half > 0.9, "{half}");
        let g = m
            .gate_means(&te.without_text())
            .expect("gate")
            .expect("gmu");
        assert!(g.iter().all(|&v| v == 1.0));
        let g = m.gate_means(&te).expect("gate").expect("gmu");
        assert!(g.iter().all(|&v| (0.0..=1.0).contains(&v)) && g.iter().any(|&v| v < 0.99));
        let c = text_contribution(&m, &te).expect("contrib");
        assert_eq!(c.len(), te.len());
        assert!(c.iter().sum::<f32>() / (c.len() as f32) > 0.0);
    }

    #[test]
    fn seeded_training_is_deterministic() {
        let (tr, ytr) = toy(64, 5);
        let fc = FitConfig::default().train(TrainConfig::default().epochs(3));
        let cfg = NetConfig::new(FusionKind::Early, 4, 3, 4).hidden(8);
        let a = fit(&cfg, &fc, (&tr, &ytr), None)
            .expect("a")
            .predict_proba(&tr)
            .expect("p");
        let b = fit(&cfg, &fc, (&tr, &ytr), None)
            .expect("b")
            .predict_proba(&tr)
            .expect("p");
        assert_eq!(a, b);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (tr, ytr) = toy(16, 6);
        let fc = FitConfig::default().train(TrainConfig::default().epochs(1));
        let cfg = NetConfig::new(FusionKind::Early, 4, 3, 4);
        assert!(fit(&cfg, &fc, (&tr, &ytr[..3]), None).is_err());
        let bad_y: Vec<usize> = ytr.iter().map(|_| 9).collect();
        assert!(fit(&cfg, &fc, (&tr, &bad_y), None).is_err());
        assert!(fit(&cfg, &fc, (&tr.without_text(), &ytr), None).is_err());
        let wrong_dim = NetConfig::new(FusionKind::Early, 5, 3, 4);
        assert!(fit(&wrong_dim, &fc, (&tr, &ytr), None).is_err());
    }
}
