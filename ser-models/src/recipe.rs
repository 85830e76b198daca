//! Default recipes: the feature set, architecture size, trainer settings and augmentation used
//! for each architecture by the `train` and `evaluate` binaries (fixed a priori and on inner
//! validation speakers — never on test folds).

use ser_augment::{MaskValue, SpecAugment};
use serde::{Deserialize, Serialize};

use crate::batch::Sequence;
use crate::features::{FeatureSpec, FunctionalsSpec, LogMelSpec, MfccSpec, WhisperSpec};
use crate::models::{
    Arch, AttentionConfig, CnnConfig, CnnLstmConfig, LstmConfig, MlpConfig, ModelConfig,
    TransformerConfig,
};
use crate::pipeline::{matrix_to_sequence, sequence_to_matrix};
use crate::train::{Augment, TrainConfig};

/// SpecAugment on the feature matrix (frequency and time masks filled with the mean).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpecAugmentSpec {
    /// Frequency masks. Default: 2.
    pub n_freq_masks: usize,
    /// Maximum frequency-mask width (bins). Default: 8.
    pub freq_width: usize,
    /// Time masks. Default: 2.
    pub n_time_masks: usize,
    /// Maximum time-mask width (frames). Default: 20.
    pub time_width: usize,
    /// Probability of augmenting an utterance. Default: 0.8.
    pub p: f32,
}

impl Default for SpecAugmentSpec {
    fn default() -> Self {
        Self {
            n_freq_masks: 2,
            freq_width: 8,
            n_time_masks: 2,
            time_width: 20,
            p: 0.8,
        }
    }
}

impl SpecAugmentSpec {
    /// An [`Augment`] hook applying `ser-augment`'s [`SpecAugment`] to `(features, frames)`.
    pub fn augmenter(&self) -> Box<Augment> {
        let sa = SpecAugment::default()
            .time_warp(0)
            .freq_masks(self.n_freq_masks, self.freq_width)
            .time_masks(self.n_time_masks, self.time_width, 0.2)
            .mask_value(MaskValue::Mean)
            .p(self.p);
        Box::new(move |s: &mut Sequence, rng| {
            let mut m = sequence_to_matrix(s);
            // Masks never make a valid matrix invalid; on error the copy stays unaugmented.
            if sa.apply_inplace(m.view_mut(), rng).is_ok() {
                if let Ok(out) = matrix_to_sequence(&m) {
                    *s = out;
                }
            }
        })
    }
}

/// Everything needed to train one architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Recipe {
    /// Input features.
    pub features: FeatureSpec,
    /// Model.
    pub model: ModelConfig,
    /// Trainer.
    pub train: TrainConfig,
    /// On-the-fly SpecAugment, if any.
    pub spec_augment: Option<SpecAugmentSpec>,
    /// Retrain on all training speakers for the early-stopped epoch count (cheap models).
    pub refit: bool,
    /// Fraction of the training speakers held out for early stopping
    /// ([`crate::CvConfig::inner_val_fraction`]); 0 trains for the fixed number of epochs.
    /// Default: 0.2.
    #[serde(default = "default_inner_val_fraction")]
    pub inner_val_fraction: f64,
}

fn default_inner_val_fraction() -> f64 {
    0.2
}

/// Inverse L2 strength of the `whisper` recipe, chosen by nested speaker-independent
/// cross-validation on inner training speakers (`scripts/whisper_probe.py`).
pub const WHISPER_C: f64 = 0.1;

/// Recipe names accepted by [`Recipe::named`]: every [`Arch`] name plus `linear`, `whisper`,
/// `whisper-norm` (`whisper` on clips normalised to −25 dBFS RMS, [`WhisperSpec::rms_dbfs`]),
/// `whisper-loudest` (`whisper` pooling only the loudest half of the frames,
/// [`WhisperSpec::loudest_frames`]) and `whisper-mlp`.
pub const RECIPE_NAMES: [&str; 11] = [
    "linear",
    "whisper",
    "whisper-norm",
    "whisper-loudest",
    "whisper-mlp",
    "mlp",
    "cnn",
    "lstm",
    "cnn-lstm",
    "attention",
    "transformer",
];

impl Recipe {
    /// The cross-validation settings this recipe trains with (its `refit` and
    /// `inner_val_fraction`) under `seed`.
    pub fn cv_config(&self, seed: u64) -> crate::CvConfig {
        crate::CvConfig::default()
            .seed(seed)
            .refit(self.refit)
            .inner_val_fraction(self.inner_val_fraction)
    }

    /// The recipe called `name`: an [`Arch`] name (see [`Recipe::default_for`]) or `linear`,
    /// a multinomial logistic regression on the eGeMAPS-like + ComParE_2016-like large
    /// functionals ([`crate::EGEMAPS_COMPARE_LARGE_SET`], 3446 values; an
    /// [`MlpConfig`] with no hidden layer, no dropout) trained to the L2-regularised optimum
    /// (`l2 = 1 / C` with `C = 0.01`, see [`TrainConfig::l2`]; balanced class
    /// weights, no label smoothing, no early stopping), i.e. scikit-learn's
    /// `LogisticRegression(C=0.01, class_weight="balanced")` on standardised features.
    ///
    /// ```
    /// let r = ser_models::Recipe::named("linear", 7)?;
    /// assert_eq!(r.train.l2, 100.0);
    /// assert!(ser_models::Recipe::named("gru", 7).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn named(name: &str, n_classes: usize) -> crate::Result<Self> {
        match name {
            "linear" => {
                let f = FeatureSpec::Functionals(FunctionalsSpec::named(
                    crate::pipeline::EGEMAPS_COMPARE_LARGE_SET,
                )?);
                return Ok(Self::linear_on(f, n_classes, 0.01));
            }
            "whisper" => {
                let f = FeatureSpec::Whisper(WhisperSpec::default());
                return Ok(Self::linear_on(f, n_classes, WHISPER_C));
            }
            "whisper-norm" => {
                let f = FeatureSpec::Whisper(WhisperSpec::default().rms_dbfs(Some(-25.0)));
                return Ok(Self::linear_on(f, n_classes, WHISPER_C));
            }
            "whisper-loudest" => {
                let f = FeatureSpec::Whisper(WhisperSpec::default().loudest_frames(Some(0.5)));
                return Ok(Self::linear_on(f, n_classes, WHISPER_C));
            }
            "whisper-mlp" => {
                let mut r = Self::default_for(Arch::Mlp, n_classes);
                r.features = FeatureSpec::Whisper(WhisperSpec::default());
                let n = r.features.n_features();
                r.model = ModelConfig::Mlp(
                    MlpConfig::default()
                        .n_features(n)
                        .n_classes(n_classes)
                        .hidden(vec![256])
                        .dropout(0.5),
                );
                return Ok(r);
            }
            _ => {}
        }
        Ok(Self::default_for(name.parse()?, n_classes))
    }

    /// A multinomial logistic regression (an [`MlpConfig`] without hidden layer or dropout)
    /// on `features`, trained to the optimum of class-balanced cross entropy + L2 with
    /// scikit-learn's inverse strength `c` (`l2 = 1 / c`): Adam, 300 epochs, batch 32,
    /// lr 1e-2 with cosine decay to 1e-4, no label smoothing, mixup or early stopping.
    pub fn linear_on(features: FeatureSpec, n_classes: usize, c: f64) -> Self {
        let n = features.n_features();
        Self {
            features,
            model: ModelConfig::Mlp(
                MlpConfig::default()
                    .n_features(n)
                    .n_classes(n_classes)
                    .hidden(vec![])
                    .dropout(0.0),
            ),
            train: TrainConfig::default()
                .epochs(300)
                .batch_size(32)
                .lr(1e-2)
                .warmup_epochs(0)
                .min_lr_ratio(0.01)
                .weight_decay(0.0)
                .label_smoothing(0.0)
                .mixup_alpha(0.0)
                .grad_clip(0.0)
                .l2(1.0 / c),
            spec_augment: None,
            refit: false,
            inner_val_fraction: 0.0,
        }
    }

    /// The default recipe of `arch` for `n_classes` classes.
    ///
    /// ```
    /// use ser_models::{Arch, Recipe};
    /// let r = Recipe::default_for(Arch::Cnn, 4);
    /// assert_eq!((r.model.arch(), r.model.n_classes()), (Arch::Cnn, 4));
    /// assert_eq!(r.model.n_features(), r.features.n_features()); // its features feed its model
    /// assert!(r.spec_augment.is_some());
    /// ```
    pub fn default_for(arch: Arch, n_classes: usize) -> Self {
        let logmel = FeatureSpec::LogMel(LogMelSpec::compact());
        let mfcc = FeatureSpec::Mfcc(MfccSpec::default());
        let base = TrainConfig::default()
            .epochs(40)
            .batch_size(32)
            .lr(2e-3)
            .warmup_epochs(2)
            .patience(12)
            .label_smoothing(0.1);
        match arch {
            Arch::Mlp => {
                let f = FeatureSpec::Functionals(
                    FunctionalsSpec::named(crate::pipeline::EGEMAPS_COMPARE_SET)
                        .unwrap_or_else(|_| FunctionalsSpec::mfcc_spectral()),
                );
                let n = f.n_features();
                Self {
                    features: f,
                    model: ModelConfig::Mlp(
                        MlpConfig::default()
                            .n_features(n)
                            .n_classes(n_classes)
                            .hidden(vec![128])
                            .dropout(0.5),
                    ),
                    train: base
                        .epochs(150)
                        .lr(1e-3)
                        .weight_decay(5e-2)
                        .patience(40)
                        .mixup_alpha(0.2),
                    spec_augment: None,
                    refit: true,
                    inner_val_fraction: 0.2,
                }
            }
            Arch::Cnn => Self {
                model: ModelConfig::Cnn(
                    CnnConfig::default()
                        .n_features(logmel.n_features())
                        .n_classes(n_classes)
                        .channels(vec![8, 16, 32])
                        .dropout(0.3),
                ),
                features: logmel,
                train: base.mixup_alpha(0.2),
                spec_augment: Some(SpecAugmentSpec {
                    freq_width: 6,
                    time_width: 10,
                    ..Default::default()
                }),
                refit: false,
                inner_val_fraction: 0.2,
            },
            Arch::Lstm => Self {
                model: ModelConfig::Lstm(
                    LstmConfig::default()
                        .n_features(mfcc.n_features())
                        .n_classes(n_classes)
                        .hidden(64)
                        .frame_stack(4),
                ),
                features: mfcc,
                train: base,
                spec_augment: Some(SpecAugmentSpec {
                    freq_width: 4,
                    ..Default::default()
                }),
                refit: false,
                inner_val_fraction: 0.2,
            },
            Arch::CnnLstm => Self {
                model: ModelConfig::CnnLstm(
                    CnnLstmConfig::default()
                        .n_features(logmel.n_features())
                        .n_classes(n_classes)
                        .channels(vec![8, 16])
                        .hidden(48),
                ),
                features: logmel,
                train: base.mixup_alpha(0.2),
                spec_augment: Some(SpecAugmentSpec {
                    freq_width: 6,
                    time_width: 10,
                    ..Default::default()
                }),
                refit: false,
                inner_val_fraction: 0.2,
            },
            Arch::Attention => Self {
                model: ModelConfig::Attention(
                    AttentionConfig::default()
                        .n_features(mfcc.n_features())
                        .n_classes(n_classes)
                        .d_model(64)
                        .n_heads(4)
                        .frame_stack(2),
                ),
                features: mfcc,
                train: base,
                spec_augment: Some(SpecAugmentSpec {
                    freq_width: 4,
                    ..Default::default()
                }),
                refit: false,
                inner_val_fraction: 0.2,
            },
            Arch::Transformer => Self {
                model: ModelConfig::Transformer(
                    TransformerConfig::default()
                        .n_features(mfcc.n_features())
                        .n_classes(n_classes)
                        .d_model(64)
                        .n_heads(4)
                        .n_layers(2)
                        .ff_dim(128)
                        .frame_stack(4)
                        .stats_pooling(true),
                ),
                features: mfcc,
                train: base.lr(1e-3),
                spec_augment: Some(SpecAugmentSpec {
                    freq_width: 4,
                    ..Default::default()
                }),
                refit: false,
                inner_val_fraction: 0.2,
            },
        }
    }
}

/// Keys [`Recipe::set`] accepts.
pub const RECIPE_KEYS: &str =
    "norm, prosody, flatten, epochs, patience, lr, batch, mixup, smoothing, \
     weight-decay, dropout, width, specaug, val";

impl Recipe {
    /// A named recipe ([`Recipe::named`]) with `:key=value` overrides applied in order
    /// ([`Recipe::set`]), e.g. `cnn:norm=cmvn:width=2:epochs=80` — the syntax `evaluate
    /// --models` and `train --model` take, so a variant is one reproducible string.
    ///
    /// ```
    /// use ser_models::{Recipe, UtteranceNorm};
    /// let r = Recipe::parse("lstm:norm=cmvn:epochs=80:width=2", 7)?;
    /// assert_eq!(r.train.epochs, 80);
    /// assert_eq!(r.model.n_features(), r.features.n_features());
    /// assert!(r.features.to_string().ends_with("CMVN"));
    /// assert!(Recipe::parse("lstm:colour=blue", 7).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn parse(spec: &str, n_classes: usize) -> crate::Result<Self> {
        let mut parts = spec.split(':');
        let name = parts.next().unwrap_or_default().trim();
        let mut r = Self::named(name, n_classes)?;
        for kv in parts {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                crate::Error::InvalidArgument(format!("recipe override {kv:?} is not key=value"))
            })?;
            r.set(k.trim(), v.trim())?;
        }
        Ok(r)
    }

    /// Overrides one setting of the recipe:
    ///
    /// * `norm` = `none` | `cmn` | `cmvn`: per-utterance normalisation of frame features
    ///   ([`crate::UtteranceNorm`]; log-mel and MFCC inputs only);
    /// * `prosody` = `on` | `off`: frame-level eGeMAPS prosody appended to MFCC inputs
    ///   ([`crate::MfccSpec::prosody`]);
    /// * `flatten` = `on` | `off`: the CNN keeps frequency position
    ///   ([`CnnConfig::flatten_freq`](crate::CnnConfig));
    /// * `epochs`, `patience`, `batch` (integers), `lr`, `mixup` (Beta α), `smoothing`,
    ///   `weight-decay` (numbers): the [`TrainConfig`] fields;
    /// * `dropout`: the model's dropout;
    /// * `width` (a number): multiplies the model's widths — CNN channels, LSTM hidden units,
    ///   attention / Transformer `d_model` and feed-forward size (rounded to a multiple of the
    ///   head count), MLP hidden layers;
    /// * `specaug` = `off` | `on`: on-the-fly SpecAugment (`on` restores the default masks);
    /// * `val` (fraction): inner validation speakers for early stopping.
    pub fn set(&mut self, key: &str, value: &str) -> crate::Result<()> {
        let bad = || {
            crate::Error::InvalidArgument(format!("recipe override {key}={value:?} is not valid"))
        };
        let num = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(bad)
        };
        let int = || value.parse::<usize>().map_err(|_| bad());
        match key {
            "norm" => {
                let n: crate::UtteranceNorm = value.parse()?;
                match &mut self.features {
                    FeatureSpec::LogMel(m) => m.norm = n,
                    FeatureSpec::Mfcc(m) => m.norm = n,
                    _ => {
                        return Err(crate::Error::InvalidArgument(format!(
                            "norm applies to log-mel and MFCC inputs, not {}",
                            self.features
                        )))
                    }
                }
            }
            "prosody" => match (&mut self.features, value) {
                (FeatureSpec::Mfcc(m), "on" | "true") => m.prosody = true,
                (FeatureSpec::Mfcc(m), "off" | "false") => m.prosody = false,
                (FeatureSpec::Mfcc(_), _) => return Err(bad()),
                _ => {
                    return Err(crate::Error::InvalidArgument(format!(
                        "prosody applies to MFCC inputs, not {}",
                        self.features
                    )))
                }
            },
            "flatten" => match (&mut self.model, value) {
                (ModelConfig::Cnn(c), "on" | "true") => c.flatten_freq = true,
                (ModelConfig::Cnn(c), "off" | "false") => c.flatten_freq = false,
                _ => return Err(bad()),
            },
            "epochs" => self.train.epochs = int()?,
            "patience" => self.train.patience = int()?,
            "batch" => self.train.batch_size = int()?,
            "lr" => self.train.lr = num()?,
            "mixup" => self.train.mixup_alpha = num()?,
            "smoothing" => self.train.label_smoothing = num()?,
            "weight-decay" => self.train.weight_decay = num()?,
            "dropout" => {
                let d = num()? as f32;
                match &mut self.model {
                    ModelConfig::Mlp(c) => c.dropout = d,
                    ModelConfig::Cnn(c) => c.dropout = d,
                    ModelConfig::Lstm(c) => c.dropout = d,
                    ModelConfig::CnnLstm(c) => c.dropout = d,
                    ModelConfig::Attention(c) => c.dropout = d,
                    ModelConfig::Transformer(c) => c.dropout = d,
                }
            }
            "width" => {
                let w = num()?;
                let scale = |n: usize| ((n as f64 * w).round() as usize).max(1);
                let heads = |n: usize, h: usize| (scale(n) / h.max(1)).max(1) * h.max(1);
                match &mut self.model {
                    ModelConfig::Mlp(c) => c.hidden.iter_mut().for_each(|h| *h = scale(*h)),
                    ModelConfig::Cnn(c) => c.channels.iter_mut().for_each(|h| *h = scale(*h)),
                    ModelConfig::Lstm(c) => c.hidden = scale(c.hidden),
                    ModelConfig::CnnLstm(c) => {
                        c.channels.iter_mut().for_each(|h| *h = scale(*h));
                        c.hidden = scale(c.hidden);
                    }
                    ModelConfig::Attention(c) => c.d_model = heads(c.d_model, c.n_heads),
                    ModelConfig::Transformer(c) => {
                        c.d_model = heads(c.d_model, c.n_heads);
                        c.ff_dim = scale(c.ff_dim);
                    }
                }
            }
            "specaug" => {
                self.spec_augment = match value {
                    "off" | "none" => None,
                    "on" => Some(self.spec_augment.unwrap_or_default()),
                    _ => return Err(bad()),
                }
            }
            "val" => {
                let v = num()?;
                if v >= 1.0 {
                    return Err(bad());
                }
                self.inner_val_fraction = v;
            }
            _ => {
                return Err(crate::Error::UnknownName {
                    what: "recipe key",
                    name: key.to_string(),
                    expected: RECIPE_KEYS,
                })
            }
        }
        let n = self.features.n_features();
        self.model = self.model.clone().with_n_features(n);
        Ok(())
    }
}
