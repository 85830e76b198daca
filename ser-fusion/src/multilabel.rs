//! Multi-label text-emotion head (e.g. GoEmotions' 28 labels): an MLP with one sigmoid per
//! label trained with binary cross entropy, per-label thresholds tuned on development data,
//! and multi-label macro-F1.
//!
//! The `ser-models` trainer is single-label (softmax cross entropy), so this module has its
//! own small loop with the same ingredients: seeded [`ParamStore`], AdamW with the
//! [`TrainConfig`] warm-up + cosine schedule, gradient clipping and early stopping (here on
//! development macro-F1 at threshold 0.5), best weights restored.

use std::path::Path;

use candle_core::{Device, Module, Tensor};
use candle_nn::{linear, Linear};
use rand_chacha::ChaCha8Rng;
use ser_models::engine::{self, BatchLoss, Objective, Validation};
use ser_models::layers::Dropout;
use ser_models::params::DropoutRng;
use ser_models::{ParamStore, TrainConfig};

use crate::data::Standardizer;
use crate::{Error, Result};

/// Development rows and their label sets, for early stopping.
pub type DevSet<'a> = (&'a [Vec<f32>], &'a [Vec<usize>]);

/// A trained multi-label head.
#[derive(Debug)]
pub struct MultiLabelModel {
    hidden: Option<Linear>,
    out: Linear,
    dropout: Dropout,
    norm: Standardizer,
    /// Its parameters.
    pub params: ParamStore,
    /// Number of labels.
    pub n_labels: usize,
    /// 1-based epoch whose weights were kept.
    pub best_epoch: usize,
    /// Development macro-F1 (threshold 0.5) of the kept weights.
    pub best_dev_f1: Option<f64>,
}

/// Multi-hot targets from label-index sets.
fn multi_hot(y: &[Vec<usize>], n_labels: usize) -> Result<Vec<f32>> {
    let mut t = vec![0f32; y.len() * n_labels];
    for (i, ls) in y.iter().enumerate() {
        for &l in ls {
            if l >= n_labels {
                return Err(Error::InvalidArgument(format!("label {l} >= {n_labels}")));
            }
            t[i * n_labels + l] = 1.0;
        }
    }
    Ok(t)
}

/// Mean binary cross entropy on logits, in the stable form
/// `max(x, 0) − x·y + ln(1 + e^{−|x|})` (Candle's `binary_cross_entropy_with_logit` takes
/// `ln(sigmoid(x))`, which overflows to `−∞` for saturated logits).
pub fn stable_bce_with_logits(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let soft = (x.abs()?.neg()?.exp()? + 1.0)?.log()?;
    Ok((x.relu()? - x.mul(y)?)?.add(&soft)?.mean_all()?)
}

/// Per-label binary F1 averaged over labels (sklearn `f1_score(average="macro")` on
/// multi-hot matrices; a label with no true and no predicted positive scores 0).
pub fn multilabel_macro_f1(y: &[Vec<usize>], pred: &[Vec<usize>], n_labels: usize) -> f64 {
    let mut tp = vec![0usize; n_labels];
    let mut fp = vec![0usize; n_labels];
    let mut fn_ = vec![0usize; n_labels];
    for (t, p) in y.iter().zip(pred) {
        for l in 0..n_labels {
            match (t.contains(&l), p.contains(&l)) {
                (true, true) => tp[l] += 1,
                (false, true) => fp[l] += 1,
                (true, false) => fn_[l] += 1,
                _ => {}
            }
        }
    }
    (0..n_labels)
        .map(|l| {
            let d = 2 * tp[l] + fp[l] + fn_[l];
            if d == 0 {
                0.0
            } else {
                2.0 * tp[l] as f64 / d as f64
            }
        })
        .sum::<f64>()
        / n_labels as f64
}

/// Labels whose probability reaches their threshold; when none does, the arg-max label
/// (every GoEmotions example has at least one label).
pub fn decide(proba: &[Vec<f32>], thresholds: &[f32]) -> Vec<Vec<usize>> {
    proba
        .iter()
        .map(|p| {
            let v: Vec<usize> = (0..p.len()).filter(|&l| p[l] >= thresholds[l]).collect();
            if v.is_empty() {
                vec![crate::argmax(p)]
            } else {
                v
            }
        })
        .collect()
}

/// Per-label thresholds maximising each label's F1 on development data (grid 0.05 … 0.95
/// step 0.05; ties → the threshold closest to 0.5).
pub fn tune_thresholds(proba: &[Vec<f32>], y: &[Vec<usize>], n_labels: usize) -> Vec<f32> {
    (0..n_labels)
        .map(|l| {
            let mut best = (f64::NEG_INFINITY, 0.5f32);
            for k in 1..20 {
                let th = k as f32 * 0.05;
                let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
                for (p, t) in proba.iter().zip(y) {
                    match (t.contains(&l), p[l] >= th) {
                        (true, true) => tp += 1,
                        (false, true) => fp += 1,
                        (true, false) => fn_ += 1,
                        _ => {}
                    }
                }
                let d = 2 * tp + fp + fn_;
                let f = if d == 0 {
                    0.0
                } else {
                    2.0 * tp as f64 / d as f64
                };
                let closer = (th - 0.5).abs() < (best.1 - 0.5).abs();
                if f > best.0 + 1e-12 || ((f - best.0).abs() <= 1e-12 && closer) {
                    best = (f, th);
                }
            }
            best.1
        })
        .collect()
}

/// The objective of [`MultiLabelModel::fit`]: binary cross entropy over the label set,
/// early stopping on development macro-F1 at threshold 0.5.
struct MultiLabelObjective<'a> {
    model: &'a MultiLabelModel,
    x: &'a Tensor,
    y: &'a Tensor,
    dev: Option<DevSet<'a>>,
    n_labels: usize,
}

impl Objective for MultiLabelObjective<'_> {
    type Error = Error;

    fn batch_loss(&mut self, idx: &[usize], _rng: &mut ChaCha8Rng) -> Result<BatchLoss> {
        let it = Tensor::from_vec(
            idx.iter().map(|&i| i as u32).collect::<Vec<_>>(),
            idx.len(),
            &Device::Cpu,
        )?;
        let logits = self.model.logits(&self.x.index_select(&it, 0)?, true)?;
        Ok(BatchLoss {
            loss: stable_bce_with_logits(&logits, &self.y.index_select(&it, 0)?)?,
            correct: None,
        })
    }

    fn validate(&mut self) -> Result<Option<Validation>> {
        let Some((dx, dy)) = self.dev else {
            return Ok(None);
        };
        let p = self.model.predict_proba(dx)?;
        let f1 = multilabel_macro_f1(dy, &decide(&p, &vec![0.5; self.n_labels]), self.n_labels);
        Ok(Some(Validation {
            score: f1,
            accuracy: None,
        }))
    }
}

impl MultiLabelModel {
    /// Trains on rows `x` with label sets `y`; `hidden = 0` gives logistic regression.
    /// Early stopping on `dev` macro-F1 when given.
    pub fn fit(
        x: &[Vec<f32>],
        y: &[Vec<usize>],
        n_labels: usize,
        hidden: usize,
        dropout: f32,
        tc: &TrainConfig,
        dev: Option<DevSet<'_>>,
    ) -> Result<Self> {
        tc.validate()?;
        if x.is_empty() || x.len() != y.len() || n_labels == 0 {
            return Err(Error::ShapeMismatch {
                what: "multi-label rows".into(),
                expected: x.len(),
                got: y.len(),
            });
        }
        let d = x[0].len();
        if x.iter()
            .any(|r| r.len() != d || r.iter().any(|v| !v.is_finite()))
        {
            return Err(Error::InvalidArgument(
                "rows must be finite and of equal length".into(),
            ));
        }
        let norm = Standardizer::fit(x.iter().map(Vec::as_slice))?;
        let params = ParamStore::new(tc.seed);
        let vb = params.var_builder();
        let rng = DropoutRng::new(tc.seed ^ 0x5eed);
        let (hidden_l, out) = if hidden > 0 {
            (
                Some(linear(d, hidden, vb.pp("hidden"))?),
                linear(hidden, n_labels, vb.pp("out"))?,
            )
        } else {
            (None, linear(d, n_labels, vb.pp("out"))?)
        };
        let mut model = Self {
            hidden: hidden_l,
            out,
            dropout: Dropout::new(dropout, rng),
            norm,
            params,
            n_labels,
            best_epoch: 0,
            best_dev_f1: None,
        };
        let dev_t = Device::Cpu;
        let n = x.len();
        let xs: Vec<f32> = x.iter().flat_map(|r| model.norm.transform(r)).collect();
        let xt = Tensor::from_vec(xs, (n, d), &dev_t)?;
        let yt = Tensor::from_vec(multi_hot(y, n_labels)?, (n, n_labels), &dev_t)?;
        // The head's training never clipped gradients; kept so the shipped checkpoint
        // (models/text-emotion) reproduces.
        let tc = tc.clone().grad_clip(0.0);
        let mut objective = MultiLabelObjective {
            model: &model,
            x: &xt,
            y: &yt,
            dev,
            n_labels,
        };
        let fit = engine::run(&model.params, &tc, n, &mut objective, |_| {})?;
        model.best_epoch = fit.best_epoch;
        model.best_dev_f1 = fit.best_score;
        Ok(model)
    }

    fn logits(&self, x: &Tensor, train: bool) -> Result<Tensor> {
        let h = match &self.hidden {
            Some(l) => self.dropout.forward(&l.forward(x)?.relu()?, train)?,
            None => x.clone(),
        };
        Ok(self.out.forward(&h)?)
    }

    /// Width of the hidden layer (0 = logistic regression).
    pub fn hidden_size(&self) -> usize {
        self.hidden
            .as_ref()
            .map_or(0, |l| l.weight().dim(0).unwrap_or(0))
    }

    /// Input width the head expects.
    pub fn input_dim(&self) -> usize {
        self.norm.mean.len()
    }

    /// Writes the weights and the input standardisation to one safetensors file
    /// (`hidden.*` / `out.*` as trained, plus `norm.mean` / `norm.inv_std`).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let mut t = self.params.snapshot()?;
        let d = self.norm.mean.len();
        t.insert(
            "norm.mean".into(),
            Tensor::from_vec(self.norm.mean.clone(), d, &Device::Cpu)?,
        );
        t.insert(
            "norm.inv_std".into(),
            Tensor::from_vec(self.norm.inv_std.clone(), d, &Device::Cpu)?,
        );
        candle_core::safetensors::save(&t, path.as_ref())?;
        Ok(())
    }

    /// Reads a head written by [`MultiLabelModel::save`]; the architecture (hidden width,
    /// number of labels) comes from the tensor shapes, which are checked against each other.
    ///
    /// ```
    /// use ser_fusion::multilabel::MultiLabelModel;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/text-emotion/head.safetensors");
    /// let head = MultiLabelModel::load(path)?;
    /// assert_eq!((head.n_labels, head.hidden_size()), (28, 256)); // GoEmotions labels, MLP head
    /// let p = head.predict_proba(&[vec![0.0; head.input_dim()]])?;
    /// assert!(p[0].len() == 28 && p[0].iter().all(|v| (0.0..=1.0).contains(v)));
    /// assert!(MultiLabelModel::load("no/such/head.safetensors").is_err());
    /// # Ok::<(), ser_fusion::Error>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let t = candle_core::safetensors::load(path, &Device::Cpu)?;
        let get = |name: &str| {
            t.get(name).ok_or_else(|| {
                Error::InvalidArgument(format!("{}: no tensor `{name}`", path.display()))
            })
        };
        let vec1 = |name: &str| -> Result<Vec<f32>> { Ok(get(name)?.to_vec1::<f32>()?) };
        let norm = Standardizer {
            mean: vec1("norm.mean")?,
            inv_std: vec1("norm.inv_std")?,
        };
        let d = norm.mean.len();
        if d == 0 || norm.inv_std.len() != d {
            return Err(Error::ShapeMismatch {
                what: format!("{}: norm.inv_std", path.display()),
                expected: d,
                got: norm.inv_std.len(),
            });
        }
        let (n_labels, out_in) = get("out.weight")?.dims2()?;
        let hidden = match t.get("hidden.weight") {
            Some(w) => {
                let (h, h_in) = w.dims2()?;
                if h_in != d || out_in != h {
                    return Err(Error::ShapeMismatch {
                        what: format!("{}: hidden.weight", path.display()),
                        expected: d,
                        got: h_in,
                    });
                }
                h
            }
            None => 0,
        };
        if hidden == 0 && out_in != d {
            return Err(Error::ShapeMismatch {
                what: format!("{}: out.weight", path.display()),
                expected: d,
                got: out_in,
            });
        }
        let params = ParamStore::new(0);
        let vb = params.var_builder();
        let (hidden_l, out) = if hidden > 0 {
            (
                Some(linear(d, hidden, vb.pp("hidden"))?),
                linear(hidden, n_labels, vb.pp("out"))?,
            )
        } else {
            (None, linear(d, n_labels, vb.pp("out"))?)
        };
        let weights: std::collections::HashMap<String, Tensor> = t
            .into_iter()
            .filter(|(k, _)| !k.starts_with("norm."))
            .collect();
        for name in params.names() {
            let Some(w) = weights.get(&name) else {
                return Err(Error::InvalidArgument(format!(
                    "{}: no tensor `{name}`",
                    path.display()
                )));
            };
            params.set(&name, w)?;
        }
        Ok(Self {
            hidden: hidden_l,
            out,
            dropout: Dropout::new(0.0, DropoutRng::new(0)),
            norm,
            params,
            n_labels,
            best_epoch: 0,
            best_dev_f1: None,
        })
    }

    /// Per-label probabilities `(n, n_labels)`.
    pub fn predict_proba(&self, x: &[Vec<f32>]) -> Result<Vec<Vec<f32>>> {
        let d = self.norm.mean.len();
        let mut out = Vec::with_capacity(x.len());
        for chunk in x.chunks(512) {
            if chunk.iter().any(|r| r.len() != d) {
                return Err(Error::InvalidArgument(
                    "row length differs from training".into(),
                ));
            }
            let xs: Vec<f32> = chunk.iter().flat_map(|r| self.norm.transform(r)).collect();
            let t = Tensor::from_vec(xs, (chunk.len(), d), &Device::Cpu)?;
            let p = candle_nn::ops::sigmoid(&self.logits(&t, false)?)?;
            out.extend(p.to_vec2::<f32>()?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_round_trip_gives_the_same_probabilities() {
        let x: Vec<Vec<f32>> = (0..40)
            .map(|i| {
                (0..5)
                    .map(|j| ((i * 7 + j * 3) % 11) as f32 - 5.0)
                    .collect()
            })
            .collect();
        let y: Vec<Vec<usize>> = (0..40).map(|i| vec![i % 3]).collect();
        let tc = TrainConfig::default().epochs(3).batch_size(8).seed(1);
        let dir = tempfile::tempdir().expect("tmp");
        for hidden in [0, 4] {
            let m = MultiLabelModel::fit(&x, &y, 3, hidden, 0.0, &tc, None).expect("fit");
            let f = dir.path().join(format!("h{hidden}.safetensors"));
            m.save(&f).expect("save");
            let l = MultiLabelModel::load(&f).expect("load");
            assert_eq!((l.hidden_size(), l.input_dim(), l.n_labels), (hidden, 5, 3));
            let (a, b) = (
                m.predict_proba(&x).expect("p"),
                l.predict_proba(&x).expect("p"),
            );
            assert_eq!(a, b);
        }
        // Not a head: a clear error, no panic.
        let bad = dir.path().join("bad.safetensors");
        std::fs::write(&bad, b"not safetensors").expect("write");
        assert!(MultiLabelModel::load(&bad).is_err());
    }

    #[test]
    fn stable_bce_matches_definition_and_stays_finite() {
        let dev = Device::Cpu;
        let x = Tensor::new(&[[-200f32, -1.0, 0.0, 2.0, 300.0]], &dev).expect("x");
        let y = Tensor::new(&[[0f32, 1.0, 1.0, 0.0, 1.0]], &dev).expect("y");
        let l = stable_bce_with_logits(&x, &y)
            .expect("bce")
            .to_scalar::<f32>()
            .expect("s");
        let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
        // The two saturated, correctly classified entries contribute ~0.
        let want = [(-1.0f64, 1.0f64), (0.0, 1.0), (2.0, 0.0)]
            .iter()
            .map(|&(v, t)| -(t * sig(v).ln() + (1.0 - t) * (1.0 - sig(v)).ln()))
            .sum::<f64>()
            / 5.0;
        assert!(
            l.is_finite() && (l as f64 - want).abs() < 1e-5,
            "{l} vs {want}"
        );
    }

    #[test]
    fn macro_f1_matches_hand_count() {
        let y = vec![vec![0], vec![1], vec![0, 1]];
        let p = vec![vec![0], vec![0], vec![1]];
        // label 0: tp1 fp1 fn1 → 0.5; label 1: tp1 fp0 fn1 → 2/3; label 2: 0.
        let f = multilabel_macro_f1(&y, &p, 3);
        assert!((f - (0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn learns_a_separable_multilabel_problem() {
        let x: Vec<Vec<f32>> = (0..200)
            .map(|i| vec![(i % 2) as f32, ((i / 2) % 2) as f32, 0.1 * (i % 7) as f32])
            .collect();
        let y: Vec<Vec<usize>> = x
            .iter()
            .map(|r| {
                let mut v = Vec::new();
                if r[0] > 0.5 {
                    v.push(0)
                }
                if r[1] > 0.5 {
                    v.push(1)
                }
                if v.is_empty() {
                    v.push(2)
                }
                v
            })
            .collect();
        let tc = TrainConfig::default().epochs(200).lr(3e-2).batch_size(32);
        let m = MultiLabelModel::fit(&x, &y, 3, 0, 0.0, &tc, None).expect("fit");
        let p = m.predict_proba(&x).expect("p");
        let th = tune_thresholds(&p, &y, 3);
        let f = multilabel_macro_f1(&y, &decide(&p, &th), 3);
        assert!(
            f > 0.95,
            "{f} epoch {} dev {:?} th {th:?}",
            m.best_epoch,
            m.best_dev_f1
        );
        assert!(MultiLabelModel::fit(&x, &y[..3], 3, 0, 0.0, &tc, None).is_err());
    }
}
