//! Architectures and their serde configs.
//!
//! Every model maps a padded [`Batch`] `(B, T, F)` + mask to logits `(B, n_classes)` and is
//! built by `new(cfg, vb)`; parameter names follow the module tree (`blocks.0.conv.weight`,
//! `lstm.weight_ih_l0_reverse`, `head.bias`, ...). Every model starts with per-feature input
//! standardisation buffers (`input_norm.mean`, `input_norm.inv_std`) that the trainer fits on
//! the training data, so a saved model directory is self-contained.

use crate::layers::{linear, Linear};
use candle_core::{Module, Tensor};
use candle_nn::VarBuilder;

use crate::layers::{layer_norm, softmax_last, LayerNorm};
use serde::{Deserialize, Serialize};

use crate::batch::{mask_from_lengths, Batch};
use crate::layers::{
    masked_max, masked_mean, masked_mean_std, positional_encoding, stack_frames,
    AttentiveStatsPool, BiLstm, ConvBlock, Dropout, EncoderLayer, InputNorm,
    MultiHeadSelfAttention,
};
use crate::params::DropoutRng;
use crate::{Error, Result};

fn check(cond: bool, msg: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(Error::InvalidConfig(msg()))
    }
}

fn check_common(n_features: usize, n_classes: usize, dropout: f32) -> Result<()> {
    check(n_features > 0, || "n_features must be > 0".into())?;
    check(n_classes >= 2, || {
        format!("n_classes must be >= 2, got {n_classes}")
    })?;
    check((0.0..1.0).contains(&dropout), || {
        format!("dropout must be in [0, 1), got {dropout}")
    })
}

/// CNN on log-mel spectrograms: 2-D conv blocks (3×3 conv, batch norm, ReLU, 2×2 max-pool,
/// dropout), frequency average (or, with `flatten_freq`, channels × remaining bands per
/// frame), masked mean ‖ max over time, linear head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CnnConfig {
    /// Input features per frame (mel bands). Default: 64.
    pub n_features: usize,
    /// Number of classes. Default: 7 (EmoDB).
    pub n_classes: usize,
    /// Output channels of each conv block; each block halves frequency and time.
    /// Default: `[16, 32, 64]`.
    pub channels: Vec<usize>,
    /// Dropout probability after each block and before the head. Default: 0.3.
    pub dropout: f32,
    /// Keep where in frequency the last block's activations are: each frame becomes the
    /// `channels × bands` values (as the CNN-LSTM's front end) instead of the average over
    /// bands, so the head sees spectral position (e.g. of F0 and formants) as well as
    /// pattern. Default: `false` (average).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flatten_freq: bool,
}

impl Default for CnnConfig {
    fn default() -> Self {
        Self {
            n_features: 64,
            n_classes: 7,
            channels: vec![16, 32, 64],
            dropout: 0.3,
            flatten_freq: false,
        }
    }
}
ser_dsp::setters!(CnnConfig { n_features: usize, n_classes: usize, channels: Vec<usize>, dropout: f32, flatten_freq: bool });

/// BiLSTM on frame features (MFCC + Δ): optional frame stacking, one bidirectional LSTM
/// layer, masked mean ‖ std pooling, linear head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LstmConfig {
    /// Input features per frame. Default: 40 (20 MFCC + 20 Δ).
    pub n_features: usize,
    /// Number of classes. Default: 7.
    pub n_classes: usize,
    /// Hidden units per direction. Default: 64.
    pub hidden: usize,
    /// Consecutive frames stacked into one LSTM step (shortens the sequence). Default: 2.
    pub frame_stack: usize,
    /// Dropout before the head. Default: 0.3.
    pub dropout: f32,
}

impl Default for LstmConfig {
    fn default() -> Self {
        Self {
            n_features: 40,
            n_classes: 7,
            hidden: 64,
            frame_stack: 2,
            dropout: 0.3,
        }
    }
}
ser_dsp::setters!(LstmConfig {
    n_features: usize,
    n_classes: usize,
    hidden: usize,
    frame_stack: usize,
    dropout: f32
});

/// Hybrid CNN-LSTM on log-mel: conv blocks, frequency × channel flattened per frame,
/// BiLSTM, attentive statistics pooling, linear head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CnnLstmConfig {
    /// Input features per frame (mel bands). Default: 64.
    pub n_features: usize,
    /// Number of classes. Default: 7.
    pub n_classes: usize,
    /// Conv block channels; each block halves frequency and time. Default: `[16, 32]`.
    pub channels: Vec<usize>,
    /// BiLSTM hidden units per direction. Default: 64.
    pub hidden: usize,
    /// Attention units of the pooling layer. Default: 64.
    pub att_hidden: usize,
    /// Dropout. Default: 0.3.
    pub dropout: f32,
}

impl Default for CnnLstmConfig {
    fn default() -> Self {
        Self {
            n_features: 64,
            n_classes: 7,
            channels: vec![16, 32],
            hidden: 64,
            att_hidden: 64,
            dropout: 0.3,
        }
    }
}
ser_dsp::setters!(CnnLstmConfig { n_features: usize, n_classes: usize, channels: Vec<usize>, hidden: usize, att_hidden: usize, dropout: f32 });

/// Attention model: frame projection, one multi-head self-attention block over time
/// (residual, pre-LN), attentive statistics pooling, linear head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AttentionConfig {
    /// Input features per frame. Default: 40.
    pub n_features: usize,
    /// Number of classes. Default: 7.
    pub n_classes: usize,
    /// Model width. Default: 64.
    pub d_model: usize,
    /// Attention heads (must divide `d_model`). Default: 4.
    pub n_heads: usize,
    /// Frames stacked per step. Default: 2.
    pub frame_stack: usize,
    /// Attention units of the pooling layer. Default: 64.
    pub att_hidden: usize,
    /// Dropout. Default: 0.2.
    pub dropout: f32,
}

impl Default for AttentionConfig {
    fn default() -> Self {
        Self {
            n_features: 40,
            n_classes: 7,
            d_model: 64,
            n_heads: 4,
            frame_stack: 2,
            att_hidden: 64,
            dropout: 0.2,
        }
    }
}
ser_dsp::setters!(AttentionConfig {
    n_features: usize,
    n_classes: usize,
    d_model: usize,
    n_heads: usize,
    frame_stack: usize,
    att_hidden: usize,
    dropout: f32
});

/// Transformer encoder: frame stacking, linear projection + sinusoidal positions, pre-LN
/// encoder layers with key-padding masks, final layer norm, masked mean (‖ std) pooling, head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TransformerConfig {
    /// Input features per frame. Default: 40.
    pub n_features: usize,
    /// Number of classes. Default: 7.
    pub n_classes: usize,
    /// Model width. Default: 64.
    pub d_model: usize,
    /// Attention heads. Default: 4.
    pub n_heads: usize,
    /// Encoder layers. Default: 2.
    pub n_layers: usize,
    /// Feed-forward width. Default: 128.
    pub ff_dim: usize,
    /// Frames stacked per step. Default: 4.
    pub frame_stack: usize,
    /// Dropout. Default: 0.1.
    pub dropout: f32,
    /// Pool with masked mean ‖ standard deviation over time (head input `2·d_model`) instead
    /// of the mean alone. Default: false (also when absent from a `config.json`).
    #[serde(default)]
    pub stats_pooling: bool,
}

impl Default for TransformerConfig {
    fn default() -> Self {
        Self {
            n_features: 40,
            n_classes: 7,
            d_model: 64,
            n_heads: 4,
            n_layers: 2,
            ff_dim: 128,
            frame_stack: 4,
            dropout: 0.1,
            stats_pooling: false,
        }
    }
}
ser_dsp::setters!(TransformerConfig {
    n_features: usize,
    n_classes: usize,
    d_model: usize,
    n_heads: usize,
    n_layers: usize,
    ff_dim: usize,
    frame_stack: usize,
    dropout: f32,
    stats_pooling: bool
});

/// MLP on utterance functionals (one "frame" per utterance; longer inputs are mean-pooled
/// over valid frames first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MlpConfig {
    /// Input features. Default: 88 (eGeMAPS size).
    pub n_features: usize,
    /// Number of classes. Default: 7.
    pub n_classes: usize,
    /// Hidden layer widths. Default: `[128, 64]`.
    pub hidden: Vec<usize>,
    /// Dropout on the input and after each hidden layer. Default: 0.3.
    pub dropout: f32,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self {
            n_features: 88,
            n_classes: 7,
            hidden: vec![128, 64],
            dropout: 0.3,
        }
    }
}
ser_dsp::setters!(MlpConfig { n_features: usize, n_classes: usize, hidden: Vec<usize>, dropout: f32 });

/// Architecture names as used on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Arch {
    /// [`Cnn`] on log-mel.
    Cnn,
    /// [`Lstm`] (BiLSTM) on MFCC + Δ.
    Lstm,
    /// [`CnnLstm`] on log-mel.
    CnnLstm,
    /// [`AttentionNet`] on MFCC + Δ.
    Attention,
    /// [`Transformer`] on MFCC + Δ.
    Transformer,
    /// [`Mlp`] on utterance functionals.
    Mlp,
}

impl Arch {
    /// All architectures, in Table II order.
    pub const ALL: [Arch; 6] = [
        Arch::Mlp,
        Arch::Cnn,
        Arch::Lstm,
        Arch::CnnLstm,
        Arch::Attention,
        Arch::Transformer,
    ];

    /// The command-line name (`cnn`, `lstm`, `cnn-lstm`, `attention`, `transformer`, `mlp`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::Cnn => "cnn",
            Arch::Lstm => "lstm",
            Arch::CnnLstm => "cnn-lstm",
            Arch::Attention => "attention",
            Arch::Transformer => "transformer",
            Arch::Mlp => "mlp",
        }
    }

    /// Default config of this architecture for `n_features` inputs and `n_classes` outputs.
    pub fn default_config(self, n_features: usize, n_classes: usize) -> ModelConfig {
        match self {
            Arch::Cnn => ModelConfig::Cnn(
                CnnConfig::default()
                    .n_features(n_features)
                    .n_classes(n_classes),
            ),
            Arch::Lstm => ModelConfig::Lstm(
                LstmConfig::default()
                    .n_features(n_features)
                    .n_classes(n_classes),
            ),
            Arch::CnnLstm => ModelConfig::CnnLstm(
                CnnLstmConfig::default()
                    .n_features(n_features)
                    .n_classes(n_classes),
            ),
            Arch::Attention => ModelConfig::Attention(
                AttentionConfig::default()
                    .n_features(n_features)
                    .n_classes(n_classes),
            ),
            Arch::Transformer => ModelConfig::Transformer(
                TransformerConfig::default()
                    .n_features(n_features)
                    .n_classes(n_classes),
            ),
            Arch::Mlp => ModelConfig::Mlp(
                MlpConfig::default()
                    .n_features(n_features)
                    .n_classes(n_classes),
            ),
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Arch {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Arch::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| Error::UnknownName {
                what: "architecture",
                name: s.to_string(),
                expected: "cnn, lstm, cnn-lstm, attention, transformer or mlp",
            })
    }
}

/// Configuration of any architecture; serialised with an `"arch"` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "arch", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ModelConfig {
    /// CNN on log-mel.
    Cnn(CnnConfig),
    /// BiLSTM.
    Lstm(LstmConfig),
    /// CNN-LSTM.
    CnnLstm(CnnLstmConfig),
    /// Self-attention + attentive statistics pooling.
    Attention(AttentionConfig),
    /// Transformer encoder.
    Transformer(TransformerConfig),
    /// MLP on functionals.
    Mlp(MlpConfig),
}

impl ModelConfig {
    /// The architecture of this config.
    pub fn arch(&self) -> Arch {
        match self {
            ModelConfig::Cnn(_) => Arch::Cnn,
            ModelConfig::Lstm(_) => Arch::Lstm,
            ModelConfig::CnnLstm(_) => Arch::CnnLstm,
            ModelConfig::Attention(_) => Arch::Attention,
            ModelConfig::Transformer(_) => Arch::Transformer,
            ModelConfig::Mlp(_) => Arch::Mlp,
        }
    }

    /// Input features per frame.
    pub fn n_features(&self) -> usize {
        match self {
            ModelConfig::Cnn(c) => c.n_features,
            ModelConfig::Lstm(c) => c.n_features,
            ModelConfig::CnnLstm(c) => c.n_features,
            ModelConfig::Attention(c) => c.n_features,
            ModelConfig::Transformer(c) => c.n_features,
            ModelConfig::Mlp(c) => c.n_features,
        }
    }

    /// Sets the input features per frame (chaining), e.g. after the feature spec changed.
    pub fn with_n_features(mut self, n: usize) -> Self {
        match &mut self {
            ModelConfig::Cnn(c) => c.n_features = n,
            ModelConfig::Lstm(c) => c.n_features = n,
            ModelConfig::CnnLstm(c) => c.n_features = n,
            ModelConfig::Attention(c) => c.n_features = n,
            ModelConfig::Transformer(c) => c.n_features = n,
            ModelConfig::Mlp(c) => c.n_features = n,
        }
        self
    }

    /// Number of output classes.
    pub fn n_classes(&self) -> usize {
        match self {
            ModelConfig::Cnn(c) => c.n_classes,
            ModelConfig::Lstm(c) => c.n_classes,
            ModelConfig::CnnLstm(c) => c.n_classes,
            ModelConfig::Attention(c) => c.n_classes,
            ModelConfig::Transformer(c) => c.n_classes,
            ModelConfig::Mlp(c) => c.n_classes,
        }
    }

    /// Checks sizes and probabilities; every constructor calls it.
    pub fn validate(&self) -> Result<()> {
        match self {
            ModelConfig::Cnn(c) => {
                check_common(c.n_features, c.n_classes, c.dropout)?;
                check_conv(&c.channels, c.n_features)
            }
            ModelConfig::Lstm(c) => {
                check_common(c.n_features, c.n_classes, c.dropout)?;
                check(c.hidden > 0 && c.frame_stack > 0, || {
                    "hidden and frame_stack must be > 0".into()
                })
            }
            ModelConfig::CnnLstm(c) => {
                check_common(c.n_features, c.n_classes, c.dropout)?;
                check_conv(&c.channels, c.n_features)?;
                check(c.hidden > 0 && c.att_hidden > 0, || {
                    "hidden and att_hidden must be > 0".into()
                })
            }
            ModelConfig::Attention(c) => {
                check_common(c.n_features, c.n_classes, c.dropout)?;
                check_heads(c.d_model, c.n_heads)?;
                check(c.frame_stack > 0 && c.att_hidden > 0, || {
                    "frame_stack and att_hidden must be > 0".into()
                })
            }
            ModelConfig::Transformer(c) => {
                check_common(c.n_features, c.n_classes, c.dropout)?;
                check_heads(c.d_model, c.n_heads)?;
                check(c.n_layers > 0 && c.ff_dim > 0 && c.frame_stack > 0, || {
                    "n_layers, ff_dim and frame_stack must be > 0".into()
                })
            }
            ModelConfig::Mlp(c) => {
                check_common(c.n_features, c.n_classes, c.dropout)?;
                check(c.hidden.iter().all(|&h| h > 0), || {
                    "hidden widths must be > 0".into()
                })
            }
        }
    }
}

fn check_conv(channels: &[usize], n_features: usize) -> Result<()> {
    check(
        !channels.is_empty() && channels.iter().all(|&c| c > 0),
        || "channels must be non-empty and > 0".into(),
    )?;
    let need = 1usize << channels.len();
    check(n_features >= need, || {
        format!(
            "{} conv blocks halve the frequency axis {} times: need n_features >= {need}, got {n_features}",
            channels.len(),
            channels.len()
        )
    })
}

fn check_heads(d_model: usize, n_heads: usize) -> Result<()> {
    check(d_model > 0 && n_heads > 0 && d_model % n_heads == 0, || {
        format!("d_model {d_model} must be a positive multiple of n_heads {n_heads}")
    })
}

fn check_input(batch: &Batch, n_features: usize) -> Result<()> {
    let (_, _, f) = batch.x.dims3()?;
    if f != n_features {
        return Err(Error::ShapeMismatch {
            what: "input features".into(),
            expected: n_features.to_string(),
            got: f.to_string(),
        });
    }
    Ok(())
}

/// Runs conv blocks on `(B, T, F)` features, padding time to a multiple of the total time
/// pooling so that padded and unpadded inputs see identical valid frames.
fn conv_front(
    blocks: &[ConvBlock],
    x: &Tensor,
    lengths: &[usize],
    train: bool,
) -> candle_core::Result<(Tensor, Vec<usize>)> {
    let (_, t, _) = x.dims3()?;
    let total: usize = blocks.iter().map(|b| b.pool_t()).product();
    let t_pad = t.div_ceil(total) * total;
    let x = x.pad_with_zeros(1, 0, t_pad - t)?;
    let mut h = x.transpose(1, 2)?.unsqueeze(1)?.contiguous()?; // (B, 1, F, T)
    let mut lengths = lengths.to_vec();
    for b in blocks {
        let (y, l) = b.forward(&h, &lengths, train)?;
        h = y;
        lengths = l;
    }
    Ok((h, lengths))
}

/// CNN on log-mel; see [`CnnConfig`].
#[derive(Debug, Clone)]
pub struct Cnn {
    cfg: CnnConfig,
    input_norm: InputNorm,
    blocks: Vec<ConvBlock>,
    drop: Dropout,
    head: Linear,
    rng: DropoutRng,
}

/// The 2-D conv blocks shared by [`Cnn`] and [`CnnLstm`]: one input channel, then
/// `channels[i]` outputs each, 2×2 pooling; checkpoint keys `blocks.{i}.*`.
fn conv_stack(
    channels: &[usize],
    dropout: f32,
    rng: &DropoutRng,
    vb: &VarBuilder<'_>,
) -> Result<Vec<ConvBlock>> {
    let mut blocks = Vec::with_capacity(channels.len());
    let mut c_in = 1;
    for (i, &c) in channels.iter().enumerate() {
        blocks.push(ConvBlock::new(
            c_in,
            c,
            2,
            2,
            dropout,
            rng.clone(),
            vb.pp("blocks").pp(i),
        )?);
        c_in = c;
    }
    Ok(blocks)
}

impl Cnn {
    /// Builds the model; keys `input_norm.*`, `blocks.{i}.{conv,bn}.*`, `head.*`.
    ///
    /// ```
    /// use ser_models::{Batch, Cnn, CnnConfig, ParamStore, Sequence};
    /// let cfg = CnnConfig::default().n_features(16).n_classes(4).channels(vec![4, 8]);
    /// let cnn = Cnn::new(&cfg, ParamStore::new(0).var_builder())?;
    /// let x = Sequence::new(vec![0.5; 10 * 16], 10, 16)?; // 10 frames of 16 mel bands
    /// let logits = cnn.forward_t(&Batch::from_sequences(&[&x], 1)?, false)?;
    /// assert_eq!(logits.dims(), &[1, 4]);
    /// let too_narrow = cfg.n_features(2); // two blocks halve 2 bands twice
    /// assert!(Cnn::new(&too_narrow, ParamStore::new(0).var_builder()).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(cfg: &CnnConfig, vb: VarBuilder<'_>) -> Result<Self> {
        ModelConfig::Cnn(cfg.clone()).validate()?;
        let rng = DropoutRng::new(0);
        let blocks = conv_stack(&cfg.channels, cfg.dropout * 0.5, &rng, &vb)?;
        let c_in = cfg.channels.last().copied().unwrap_or(1);
        let per_frame = if cfg.flatten_freq {
            c_in * (cfg.n_features >> cfg.channels.len())
        } else {
            c_in
        };
        Ok(Self {
            cfg: cfg.clone(),
            input_norm: InputNorm::new(cfg.n_features, vb.pp("input_norm"))?,
            blocks,
            drop: Dropout::new(cfg.dropout, rng.clone()),
            head: linear(2 * per_frame, cfg.n_classes, vb.pp("head"))?,
            rng,
        })
    }

    /// Logits `(B, n_classes)`.
    pub fn forward_t(&self, batch: &Batch, train: bool) -> Result<Tensor> {
        check_input(batch, self.cfg.n_features)?;
        let x = self.input_norm.forward(&batch.x, &batch.mask)?;
        let (h, lengths) = conv_front(&self.blocks, &x, &batch.lengths, train)?;
        let h = if self.cfg.flatten_freq {
            let (b, c, f, t) = h.dims4()?;
            h.permute((0, 3, 1, 2))?.reshape((b, t, c * f))? // (B, T', C·F')
        } else {
            h.mean(2)?.transpose(1, 2)? // (B, T', C)
        };
        let mask = mask_from_lengths(&lengths, h.dim(1)?, h.device())?;
        let pooled = Tensor::cat(&[&masked_mean(&h, &mask)?, &masked_max(&h, &mask)?], 1)?;
        Ok(self.head.forward(&self.drop.forward(&pooled, train)?)?)
    }
}

/// BiLSTM; see [`LstmConfig`].
#[derive(Debug, Clone)]
pub struct Lstm {
    cfg: LstmConfig,
    input_norm: InputNorm,
    lstm: BiLstm,
    drop: Dropout,
    head: Linear,
    rng: DropoutRng,
}

impl Lstm {
    /// Builds the model; keys `input_norm.*`, `lstm.*` (PyTorch names), `head.*`.
    ///
    /// ```
    /// use ser_models::{Batch, Lstm, LstmConfig, ParamStore, Sequence};
    /// let cfg = LstmConfig::default().n_features(6).n_classes(3).hidden(8);
    /// let lstm = Lstm::new(&cfg, ParamStore::new(0).var_builder())?;
    /// let x = Sequence::new(vec![0.1; 7 * 6], 7, 6)?;
    /// assert_eq!(lstm.forward_t(&Batch::from_sequences(&[&x], 1)?, false)?.dims(), &[1, 3]);
    /// let wrong = Sequence::new(vec![0.1; 7 * 5], 7, 5)?; // 5 features, model expects 6
    /// assert!(lstm.forward_t(&Batch::from_sequences(&[&wrong], 1)?, false).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(cfg: &LstmConfig, vb: VarBuilder<'_>) -> Result<Self> {
        ModelConfig::Lstm(cfg.clone()).validate()?;
        let rng = DropoutRng::new(0);
        Ok(Self {
            cfg: cfg.clone(),
            input_norm: InputNorm::new(cfg.n_features, vb.pp("input_norm"))?,
            lstm: BiLstm::new(cfg.n_features * cfg.frame_stack, cfg.hidden, vb.pp("lstm"))?,
            drop: Dropout::new(cfg.dropout, rng.clone()),
            head: linear(4 * cfg.hidden, cfg.n_classes, vb.pp("head"))?,
            rng,
        })
    }

    /// Logits `(B, n_classes)`.
    pub fn forward_t(&self, batch: &Batch, train: bool) -> Result<Tensor> {
        check_input(batch, self.cfg.n_features)?;
        let x = self.input_norm.forward(&batch.x, &batch.mask)?;
        let (x, lengths) = stack_frames(&x, &batch.lengths, self.cfg.frame_stack)?;
        let h = self.lstm.forward(&x, &lengths)?;
        let mask = mask_from_lengths(&lengths, h.dim(1)?, h.device())?;
        let pooled = masked_mean_std(&h, &mask)?;
        Ok(self.head.forward(&self.drop.forward(&pooled, train)?)?)
    }
}

/// CNN-LSTM; see [`CnnLstmConfig`].
#[derive(Debug, Clone)]
pub struct CnnLstm {
    cfg: CnnLstmConfig,
    input_norm: InputNorm,
    blocks: Vec<ConvBlock>,
    lstm: BiLstm,
    pool: AttentiveStatsPool,
    drop: Dropout,
    head: Linear,
    rng: DropoutRng,
}

impl CnnLstm {
    /// Builds the model; keys `input_norm.*`, `blocks.{i}.*`, `lstm.*`, `pool.*`, `head.*`.
    ///
    /// ```
    /// use ser_models::{Batch, CnnLstm, CnnLstmConfig, ParamStore, Sequence};
    /// let cfg = CnnLstmConfig::default().n_features(16).n_classes(4);
    /// let cfg = cfg.channels(vec![4, 8]).hidden(8);
    /// let net = CnnLstm::new(&cfg, ParamStore::new(0).var_builder())?;
    /// let x = Sequence::new(vec![0.5; 12 * 16], 12, 16)?;
    /// let (logits, alpha) = net.forward_with_weights(&Batch::from_sequences(&[&x], 1)?, false)?;
    /// assert_eq!(logits.dims(), &[1, 4]);
    /// assert_eq!(alpha.dims(), &[1, 12 / net.frames_per_step()]); // one weight per LSTM step
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(cfg: &CnnLstmConfig, vb: VarBuilder<'_>) -> Result<Self> {
        ModelConfig::CnnLstm(cfg.clone()).validate()?;
        let rng = DropoutRng::new(0);
        let blocks = conv_stack(&cfg.channels, cfg.dropout * 0.5, &rng, &vb)?;
        let c_in = cfg.channels.last().copied().unwrap_or(1);
        let f_out = cfg.n_features >> cfg.channels.len();
        Ok(Self {
            cfg: cfg.clone(),
            input_norm: InputNorm::new(cfg.n_features, vb.pp("input_norm"))?,
            blocks,
            lstm: BiLstm::new(c_in * f_out, cfg.hidden, vb.pp("lstm"))?,
            pool: AttentiveStatsPool::new(2 * cfg.hidden, cfg.att_hidden, vb.pp("pool"))?,
            drop: Dropout::new(cfg.dropout, rng.clone()),
            head: linear(4 * cfg.hidden, cfg.n_classes, vb.pp("head"))?,
            rng,
        })
    }

    /// Logits `(B, n_classes)`.
    pub fn forward_t(&self, batch: &Batch, train: bool) -> Result<Tensor> {
        Ok(self.forward_with_weights(batch, train)?.0)
    }

    /// Logits and the attentive-pooling weights over the LSTM's time steps `(B, steps)`.
    pub fn forward_with_weights(&self, batch: &Batch, train: bool) -> Result<(Tensor, Tensor)> {
        check_input(batch, self.cfg.n_features)?;
        let x = self.input_norm.forward(&batch.x, &batch.mask)?;
        let (h, lengths) = conv_front(&self.blocks, &x, &batch.lengths, train)?;
        let (b, c, f, t) = h.dims4()?;
        let h = h.permute((0, 3, 1, 2))?.reshape((b, t, c * f))?;
        let h = self.lstm.forward(&h, &lengths)?;
        let mask = mask_from_lengths(&lengths, t, h.device())?;
        let (pooled, alpha) = self.pool.forward_with_weights(&h, &mask)?;
        Ok((
            self.head.forward(&self.drop.forward(&pooled, train)?)?,
            alpha,
        ))
    }

    /// Input frames per LSTM step (the product of the blocks' time pooling).
    pub fn frames_per_step(&self) -> usize {
        self.blocks.iter().map(|b| b.pool_t()).product()
    }
}

/// Self-attention + attentive statistics pooling; see [`AttentionConfig`].
#[derive(Debug, Clone)]
pub struct AttentionNet {
    cfg: AttentionConfig,
    input_norm: InputNorm,
    proj: Linear,
    ln: LayerNorm,
    attn: MultiHeadSelfAttention,
    pool: AttentiveStatsPool,
    drop: Dropout,
    head: Linear,
    rng: DropoutRng,
}

impl AttentionNet {
    /// Builds the model; keys `input_norm.*`, `proj`, `ln`, `attn.{qkv,out}`, `pool`, `head`.
    ///
    /// ```
    /// use ser_models::{AttentionConfig, AttentionNet, Batch, ParamStore, Sequence};
    /// let cfg = AttentionConfig::default().n_features(6).n_classes(3).d_model(16).n_heads(4);
    /// let net = AttentionNet::new(&cfg, ParamStore::new(0).var_builder())?;
    /// let x = Sequence::new(vec![0.1; 8 * 6], 8, 6)?;
    /// assert_eq!(net.forward_t(&Batch::from_sequences(&[&x], 1)?, false)?.dims(), &[1, 3]);
    /// let bad = cfg.n_heads(3); // 16 is not a multiple of 3
    /// assert!(AttentionNet::new(&bad, ParamStore::new(0).var_builder()).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(cfg: &AttentionConfig, vb: VarBuilder<'_>) -> Result<Self> {
        ModelConfig::Attention(cfg.clone()).validate()?;
        let rng = DropoutRng::new(0);
        Ok(Self {
            cfg: cfg.clone(),
            input_norm: InputNorm::new(cfg.n_features, vb.pp("input_norm"))?,
            proj: linear(cfg.n_features * cfg.frame_stack, cfg.d_model, vb.pp("proj"))?,
            ln: layer_norm(cfg.d_model, 1e-5, vb.pp("ln"))?,
            attn: MultiHeadSelfAttention::new(
                cfg.d_model,
                cfg.n_heads,
                cfg.dropout,
                rng.clone(),
                vb.pp("attn"),
            )?,
            pool: AttentiveStatsPool::new(cfg.d_model, cfg.att_hidden, vb.pp("pool"))?,
            drop: Dropout::new(cfg.dropout, rng.clone()),
            head: linear(2 * cfg.d_model, cfg.n_classes, vb.pp("head"))?,
            rng,
        })
    }

    /// Logits `(B, n_classes)`.
    pub fn forward_t(&self, batch: &Batch, train: bool) -> Result<Tensor> {
        Ok(self.forward_with_weights(batch, train)?.0)
    }

    /// Input frames per step (`frame_stack`).
    pub fn frame_stack(&self) -> usize {
        self.cfg.frame_stack
    }

    /// Logits and the attentive-pooling weights over the stacked steps `(B, steps)` (each
    /// step covers `frame_stack` input frames).
    pub fn forward_with_weights(&self, batch: &Batch, train: bool) -> Result<(Tensor, Tensor)> {
        check_input(batch, self.cfg.n_features)?;
        let x = self.input_norm.forward(&batch.x, &batch.mask)?;
        let (x, lengths) = stack_frames(&x, &batch.lengths, self.cfg.frame_stack)?;
        let mask = mask_from_lengths(&lengths, x.dim(1)?, x.device())?;
        let h = self.proj.forward(&x)?.relu()?;
        let a = self.attn.forward(&self.ln.forward(&h)?, &mask, train)?;
        let h = (h + self.drop.forward(&a, train)?)?;
        let (pooled, alpha) = self.pool.forward_with_weights(&h, &mask)?;
        Ok((
            self.head.forward(&self.drop.forward(&pooled, train)?)?,
            alpha,
        ))
    }
}

/// Transformer encoder; see [`TransformerConfig`].
#[derive(Debug, Clone)]
pub struct Transformer {
    cfg: TransformerConfig,
    input_norm: InputNorm,
    proj: Linear,
    layers: Vec<EncoderLayer>,
    ln_f: LayerNorm,
    drop: Dropout,
    head: Linear,
    rng: DropoutRng,
}

impl Transformer {
    /// Builds the model; keys `input_norm.*`, `proj`, `layers.{i}.*`, `ln_f`, `head`.
    ///
    /// ```
    /// use ser_models::{Batch, ParamStore, Sequence, Transformer, TransformerConfig};
    /// let cfg = TransformerConfig::default().n_features(6).n_classes(3).d_model(16).ff_dim(32);
    /// let params = ParamStore::new(0);
    /// let net = Transformer::new(&cfg, params.var_builder())?;
    /// assert!(params.names().contains(&"layers.1.attn.qkv.weight".to_string())); // 2 layers
    /// let x = Sequence::new(vec![0.1; 9 * 6], 9, 6)?;
    /// assert_eq!(net.forward_t(&Batch::from_sequences(&[&x], 1)?, false)?.dims(), &[1, 3]);
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(cfg: &TransformerConfig, vb: VarBuilder<'_>) -> Result<Self> {
        ModelConfig::Transformer(cfg.clone()).validate()?;
        let rng = DropoutRng::new(0);
        let layers = (0..cfg.n_layers)
            .map(|i| {
                EncoderLayer::new(
                    cfg.d_model,
                    cfg.n_heads,
                    cfg.ff_dim,
                    cfg.dropout,
                    rng.clone(),
                    vb.pp("layers").pp(i),
                )
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self {
            cfg: cfg.clone(),
            input_norm: InputNorm::new(cfg.n_features, vb.pp("input_norm"))?,
            proj: linear(cfg.n_features * cfg.frame_stack, cfg.d_model, vb.pp("proj"))?,
            layers,
            ln_f: layer_norm(cfg.d_model, 1e-5, vb.pp("ln_f"))?,
            drop: Dropout::new(cfg.dropout, rng.clone()),
            head: linear(
                if cfg.stats_pooling { 2 } else { 1 } * cfg.d_model,
                cfg.n_classes,
                vb.pp("head"),
            )?,
            rng,
        })
    }

    /// Logits `(B, n_classes)`.
    pub fn forward_t(&self, batch: &Batch, train: bool) -> Result<Tensor> {
        Ok(self.forward_with_weights(batch, train)?.0)
    }

    /// Input frames per step (`frame_stack`).
    pub fn frame_stack(&self) -> usize {
        self.cfg.frame_stack
    }

    /// Logits, each layer's self-attention maps `(B, heads, steps, steps)` and the valid
    /// step count of each batch row (a step covers `frame_stack` input frames).
    pub fn forward_with_weights(
        &self,
        batch: &Batch,
        train: bool,
    ) -> Result<(Tensor, Vec<Tensor>, Vec<usize>)> {
        check_input(batch, self.cfg.n_features)?;
        let x = self.input_norm.forward(&batch.x, &batch.mask)?;
        let (x, lengths) = stack_frames(&x, &batch.lengths, self.cfg.frame_stack)?;
        let t = x.dim(1)?;
        let mask = mask_from_lengths(&lengths, t, x.device())?;
        let pe = positional_encoding(t, self.cfg.d_model, x.device())?;
        let mut h = self.proj.forward(&x)?.broadcast_add(&pe)?;
        h = self.drop.forward(&h, train)?;
        let mut maps = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (y, m) = layer.forward_with_weights(&h, &mask, train)?;
            h = y;
            maps.push(m);
        }
        let h = self.ln_f.forward(&h)?;
        let pooled = if self.cfg.stats_pooling {
            masked_mean_std(&h, &mask)?
        } else {
            masked_mean(&h, &mask)?
        };
        Ok((
            self.head.forward(&self.drop.forward(&pooled, train)?)?,
            maps,
            lengths,
        ))
    }
}

/// MLP on functionals; see [`MlpConfig`].
#[derive(Debug, Clone)]
pub struct Mlp {
    cfg: MlpConfig,
    input_norm: InputNorm,
    layers: Vec<Linear>,
    drop: Dropout,
    head: Linear,
    rng: DropoutRng,
}

impl Mlp {
    /// Builds the model; keys `input_norm.*`, `layers.{i}`, `head`.
    ///
    /// ```
    /// use ser_models::{Batch, Mlp, MlpConfig, ParamStore, Sequence};
    /// let cfg = MlpConfig::default().n_features(88).n_classes(4).hidden(vec![32]);
    /// let mlp = Mlp::new(&cfg, ParamStore::new(0).var_builder())?;
    /// let x = Sequence::new(vec![0.0; 88], 1, 88)?; // one vector of functionals
    /// assert_eq!(mlp.forward_t(&Batch::from_sequences(&[&x], 1)?, false)?.dims(), &[1, 4]);
    /// assert!(Mlp::new(&cfg.n_classes(1), ParamStore::new(0).var_builder()).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(cfg: &MlpConfig, vb: VarBuilder<'_>) -> Result<Self> {
        ModelConfig::Mlp(cfg.clone()).validate()?;
        let rng = DropoutRng::new(0);
        let mut layers = Vec::new();
        let mut d = cfg.n_features;
        for (i, &h) in cfg.hidden.iter().enumerate() {
            layers.push(linear(d, h, vb.pp("layers").pp(i))?);
            d = h;
        }
        Ok(Self {
            cfg: cfg.clone(),
            input_norm: InputNorm::new(cfg.n_features, vb.pp("input_norm"))?,
            layers,
            drop: Dropout::new(cfg.dropout, rng.clone()),
            head: linear(d, cfg.n_classes, vb.pp("head"))?,
            rng,
        })
    }

    /// Logits `(B, n_classes)`.
    pub fn forward_t(&self, batch: &Batch, train: bool) -> Result<Tensor> {
        check_input(batch, self.cfg.n_features)?;
        let x = self.input_norm.forward(&batch.x, &batch.mask)?;
        let mut h = self.drop.forward(&masked_mean(&x, &batch.mask)?, train)?;
        for l in &self.layers {
            h = self.drop.forward(&l.forward(&h)?.relu()?, train)?;
        }
        Ok(self.head.forward(&h)?)
    }
}

/// Any architecture behind one interface.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Model {
    /// See [`Cnn`].
    Cnn(Cnn),
    /// See [`Lstm`].
    Lstm(Lstm),
    /// See [`CnnLstm`].
    CnnLstm(CnnLstm),
    /// See [`AttentionNet`].
    Attention(AttentionNet),
    /// See [`Transformer`].
    Transformer(Transformer),
    /// See [`Mlp`].
    Mlp(Mlp),
}

impl Model {
    /// Builds the architecture named by `cfg` from `vb`.
    ///
    /// ```
    /// use ser_models::{Arch, Batch, Model, ParamStore, Sequence};
    /// let cfg = Arch::Lstm.default_config(6, 3);
    /// let model = Model::new(&cfg, ParamStore::new(0).var_builder())?;
    /// assert!(matches!(model, Model::Lstm(_)));
    /// let x = Sequence::new(vec![0.1; 8 * 6], 8, 6)?;
    /// let p = model.predict_proba(&Batch::from_sequences(&[&x], 1)?)?;
    /// assert!((p[0].iter().sum::<f32>() - 1.0).abs() < 1e-5);
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(cfg: &ModelConfig, vb: VarBuilder<'_>) -> Result<Self> {
        Ok(match cfg {
            ModelConfig::Cnn(c) => Model::Cnn(Cnn::new(c, vb)?),
            ModelConfig::Lstm(c) => Model::Lstm(Lstm::new(c, vb)?),
            ModelConfig::CnnLstm(c) => Model::CnnLstm(CnnLstm::new(c, vb)?),
            ModelConfig::Attention(c) => Model::Attention(AttentionNet::new(c, vb)?),
            ModelConfig::Transformer(c) => Model::Transformer(Transformer::new(c, vb)?),
            ModelConfig::Mlp(c) => Model::Mlp(Mlp::new(c, vb)?),
        })
    }

    /// Logits `(B, n_classes)`; `train` enables dropout and batch statistics.
    pub fn forward_t(&self, batch: &Batch, train: bool) -> Result<Tensor> {
        match self {
            Model::Cnn(m) => m.forward_t(batch, train),
            Model::Lstm(m) => m.forward_t(batch, train),
            Model::CnnLstm(m) => m.forward_t(batch, train),
            Model::Attention(m) => m.forward_t(batch, train),
            Model::Transformer(m) => m.forward_t(batch, train),
            Model::Mlp(m) => m.forward_t(batch, train),
        }
    }

    /// Class probabilities `(B, n_classes)` in evaluation mode.
    pub fn predict_proba(&self, batch: &Batch) -> Result<Vec<Vec<f32>>> {
        let logits = self.forward_t(batch, false)?;
        Ok(softmax_last(&logits)?.to_vec2()?)
    }

    /// Re-seeds the dropout mask source shared by all layers.
    pub fn set_dropout_seed(&self, seed: u64) {
        let rng = match self {
            Model::Cnn(m) => &m.rng,
            Model::Lstm(m) => &m.rng,
            Model::CnnLstm(m) => &m.rng,
            Model::Attention(m) => &m.rng,
            Model::Transformer(m) => &m.rng,
            Model::Mlp(m) => &m.rng,
        };
        rng.reseed(seed);
    }
}
