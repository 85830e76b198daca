//! Whisper's audio encoder: two GELU convolutions (the second with stride 2), sinusoidal
//! positions, pre-LN Transformer blocks and a final LayerNorm.
//!
//! Unlike openai-whisper, the encoder runs on the clip's real length: the positional
//! embedding is sliced to the number of frames instead of padding the input to 30 s, which
//! is what makes a 3 s clip about ten times cheaper. [`AudioEncoder::forward`] returns
//! every layer's hidden states.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Conv1d, Conv1dConfig, LayerNorm, Linear, VarBuilder};

use crate::config::{WhisperConfig, WhisperWeights};
use crate::{Error, Result};

const LN_EPS: f64 = 1e-5;

fn linear(in_dim: usize, out_dim: usize, vb: VarBuilder<'_>) -> Result<Linear> {
    let w = vb.get((out_dim, in_dim), "weight")?;
    let b = vb.get(out_dim, "bias")?;
    Ok(Linear::new(w, Some(b)))
}

fn layer_norm(d: usize, vb: VarBuilder<'_>) -> Result<LayerNorm> {
    let w = vb.get(d, "weight")?;
    let b = vb.get(d, "bias")?;
    Ok(LayerNorm::new(w, b, LN_EPS))
}

/// `x · Wᵀ + b` on the last dimension of a `(B, T, D)` tensor as one 2-D product.
fn apply_linear(l: &Linear, x: &Tensor) -> Result<Tensor> {
    let (b, t, d) = x.dims3()?;
    let y = l.forward(&x.reshape((b * t, d))?)?;
    let o = y.dim(1)?;
    Ok(y.reshape((b, t, o))?)
}

/// Multi-head self-attention with fused query / key / value.
#[derive(Debug, Clone)]
struct SelfAttention {
    qkv: Linear,
    out: Linear,
    n_head: usize,
}

impl SelfAttention {
    fn new(d: usize, n_head: usize, vb: VarBuilder<'_>) -> Result<Self> {
        Ok(Self {
            qkv: linear(d, 3 * d, vb.pp("qkv"))?,
            out: linear(d, d, vb.pp("out"))?,
            n_head,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (b, t, d) = x.dims3()?;
        let h = self.n_head;
        let dh = d / h;
        let qkv = apply_linear(&self.qkv, x)?; // (B, T, 3D)
        let qkv = qkv.reshape((b, t, 3, h, dh))?.permute((2, 0, 3, 1, 4))?; // (3, B, H, T, dh)
                                                                            // openai-whisper scales q and k by dh^-1/4 each; one dh^-1/2 on q is the same product.
        let scale = (dh as f64).powf(-0.5);
        let q = (qkv.get(0)?.contiguous()? * scale)?;
        let k = qkv.get(1)?.contiguous()?;
        let v = qkv.get(2)?.contiguous()?;
        let w = q.matmul(&k.t()?)?; // (B, H, T, T)
        let w = candle_nn::ops::softmax_last_dim(&w)?;
        let o = w.matmul(&v)?; // (B, H, T, dh)
        let o = o.transpose(1, 2)?.reshape((b, t, d))?;
        apply_linear(&self.out, &o)
    }
}

#[derive(Debug, Clone)]
struct Block {
    attn_ln: LayerNorm,
    attn: SelfAttention,
    mlp_ln: LayerNorm,
    fc1: Linear,
    fc2: Linear,
}

impl Block {
    fn new(d: usize, n_head: usize, vb: VarBuilder<'_>) -> Result<Self> {
        Ok(Self {
            attn_ln: layer_norm(d, vb.pp("attn_ln"))?,
            attn: SelfAttention::new(d, n_head, vb.pp("attn"))?,
            mlp_ln: layer_norm(d, vb.pp("mlp_ln"))?,
            fc1: linear(d, 4 * d, vb.pp("mlp.0"))?,
            fc2: linear(4 * d, d, vb.pp("mlp.2"))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = (x + self.attn.forward(&self.attn_ln.forward(x)?)?)?;
        let h = apply_linear(&self.fc1, &self.mlp_ln.forward(&x)?)?.gelu_erf()?;
        Ok((&x + apply_linear(&self.fc2, &h)?)?)
    }
}

/// Whisper's audio encoder.
#[derive(Debug, Clone)]
pub struct AudioEncoder {
    cfg: WhisperConfig,
    conv1: Conv1d,
    conv2: Conv1d,
    positional_embedding: Tensor,
    blocks: Vec<Block>,
    ln_post: LayerNorm,
}

/// Hidden states of one encoder pass.
#[derive(Debug, Clone)]
pub struct EncoderOutput {
    /// `n_audio_layer + 1` tensors of shape `(batch, frames, n_audio_state)`: index 0 is the
    /// input of the first block (convolutions + positions), index `i` the output of block
    /// `i`, and the last one has the final LayerNorm applied (it is the encoder output the
    /// decoder reads; Hugging Face's `hidden_states` convention).
    pub hidden_states: Vec<Tensor>,
}

impl EncoderOutput {
    /// The encoder output (last hidden state).
    pub fn last(&self) -> &Tensor {
        // Never empty: an encoder has at least one layer (validated).
        &self.hidden_states[self.hidden_states.len() - 1]
    }
}

impl AudioEncoder {
    /// Builds the encoder from `vb` (tensor names as in [`crate::config`]).
    pub fn new(cfg: &WhisperConfig, vb: VarBuilder<'_>) -> Result<Self> {
        cfg.validate()?;
        let d = cfg.n_audio_state;
        let vb = vb.pp("encoder");
        let c1 = Conv1dConfig {
            padding: 1,
            ..Default::default()
        };
        let c2 = Conv1dConfig {
            padding: 1,
            stride: 2,
            ..Default::default()
        };
        let conv = |name: &str, cin: usize, c: Conv1dConfig| -> Result<Conv1d> {
            let vb = vb.pp(name);
            let w = vb.get((d, cin, 3), "weight")?;
            let b = vb.get(d, "bias")?;
            Ok(Conv1d::new(w, Some(b), c))
        };
        let blocks = (0..cfg.n_audio_layer)
            .map(|i| Block::new(d, cfg.n_audio_head, vb.pp(format!("blocks.{i}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            cfg: cfg.clone(),
            conv1: conv("conv1", cfg.n_mels, c1)?,
            conv2: conv("conv2", d, c2)?,
            positional_embedding: vb.get((cfg.n_audio_ctx, d), "positional_embedding")?,
            blocks,
            ln_post: layer_norm(d, vb.pp("ln_post"))?,
        })
    }

    /// Builds the encoder from loaded weights (f32, CPU).
    pub fn from_weights(w: &WhisperWeights) -> Result<Self> {
        let vb = VarBuilder::from_tensors(w.tensors.clone(), DType::F32, &Device::Cpu);
        Self::new(&w.config, vb)
    }

    /// The model dimensions.
    pub fn config(&self) -> &WhisperConfig {
        &self.cfg
    }

    /// Encoder frames for `n_mel_frames` input frames (`ceil(n / 2)`).
    pub fn n_output_frames(n_mel_frames: usize) -> usize {
        n_mel_frames.div_ceil(2)
    }

    /// Runs the encoder on log-mel features `(batch, n_mels, frames)` with
    /// `2 <= frames <= 2 · n_audio_ctx` (30 s), returning every layer's hidden states.
    pub fn forward(&self, mel: &Tensor) -> Result<EncoderOutput> {
        let (_, n_mels, frames) = mel.dims3()?;
        if n_mels != self.cfg.n_mels {
            return Err(Error::InvalidInput(format!(
                "{n_mels} mel bands, the model takes {}",
                self.cfg.n_mels
            )));
        }
        let t = Self::n_output_frames(frames);
        if frames < 2 || t > self.cfg.n_audio_ctx {
            return Err(Error::InvalidInput(format!(
                "{frames} mel frames: the encoder takes 2..={} (30 s)",
                2 * self.cfg.n_audio_ctx
            )));
        }
        let x = self.conv1.forward(mel)?.gelu_erf()?;
        let x = self.conv2.forward(&x)?.gelu_erf()?; // (B, D, t)
        let x = x.transpose(1, 2)?; // (B, t, D)
        let pos = self.positional_embedding.narrow(0, 0, t)?;
        let mut x = x.broadcast_add(&pos)?.contiguous()?;
        let mut hidden_states = Vec::with_capacity(self.blocks.len() + 1);
        hidden_states.push(x.clone());
        for block in &self.blocks {
            x = block.forward(&x)?;
            hidden_states.push(x.clone());
        }
        let last = self.ln_post.forward(&x)?;
        if let Some(l) = hidden_states.last_mut() {
            *l = last;
        }
        Ok(EncoderOutput { hidden_states })
    }

    /// One layer of a batch-1 output as a row-major `(frames, width)` buffer.
    pub fn layer_matrix(out: &EncoderOutput, layer: usize) -> Result<(Vec<f32>, usize, usize)> {
        let h = out.hidden_states.get(layer).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "layer {layer} of {} hidden states",
                out.hidden_states.len()
            ))
        })?;
        let (b, t, d) = h.dims3()?;
        if b != 1 {
            return Err(Error::InvalidArgument(format!("batch of {b}, expected 1")));
        }
        let v = h.squeeze(0)?.flatten_all()?.to_vec1::<f32>()?;
        Ok((v, t, d))
    }
}
