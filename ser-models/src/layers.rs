//! Building blocks shared by the architectures: dropout with a seeded mask source, input
//! standardisation buffers, mask-aware pooling, attentive statistics pooling, multi-head
//! self-attention with key-padding masks, a pre-LN Transformer encoder layer, a
//! bidirectional LSTM that respects sequence lengths, and 2-D conv blocks.

use candle_core::{Device, IndexOp, Module, Tensor};
use candle_nn::{Init, VarBuilder};

use crate::params::DropoutRng;

type CResult<T> = candle_core::Result<T>;

/// Large negative number added to attention scores of padded frames.
const MASK_NEG: f64 = -1e9;

/// Softmax over the last axis: [`crate::ops::softmax_last`], one op with its own backward.
///
/// candle-nn 0.9's fused `ops::softmax_last_dim` has no backward pass (its gradient is
/// silently dropped), so every layer trained through a softmax must use this one.
pub fn softmax_last(x: &Tensor) -> CResult<Tensor> {
    crate::ops::softmax_last(x)
}

/// A dense layer `x·Wᵀ + b` over the last axis, with PyTorch `Linear`'s keys (`weight`
/// `(out, in)`, `bias`) and candle-nn's `linear` initialisation; any leading dimensions are
/// flattened into one matmul and the bias is added by [`crate::ops::bias_add`], whose backward
/// sums rows in one pass.
#[derive(Debug, Clone)]
pub struct Linear(candle_nn::Linear);

/// A [`Linear`] from `in_dim` to `out_dim` features.
pub fn linear(in_dim: usize, out_dim: usize, vb: VarBuilder<'_>) -> CResult<Linear> {
    Ok(Linear(candle_nn::linear(in_dim, out_dim, vb)?))
}

impl Module for Linear {
    fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        let w = self.0.weight();
        let (&d, lead) = match x.dims().split_last() {
            Some(v) => v,
            None => candle_core::bail!("linear: expects at least one dimension"),
        };
        let rows: usize = lead.iter().product();
        let y = x.reshape((rows, d))?.matmul(&w.t()?)?;
        let y = match self.0.bias() {
            Some(b) => crate::ops::bias_add(&y, b)?,
            None => y,
        };
        let mut shape = lead.to_vec();
        shape.push(w.dim(0)?);
        y.reshape(shape)
    }
}

/// Layer normalisation over the last axis with a learnable gain (`weight`, initialised to 1)
/// and bias (`bias`, initialised to 0): [`crate::ops::layer_norm`], one op with its own
/// backward.
///
/// Same keys and numerics as `candle_nn::LayerNorm`, whose fused forward on contiguous
/// input has no backward pass in candle-nn 0.9 (gain, bias and everything before it would
/// receive no gradient).
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
}

impl LayerNorm {
    /// `(…, dim)` → `(…, dim)`.
    pub fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        crate::ops::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

/// A [`LayerNorm`] of width `dim`; keys `weight`, `bias`.
pub fn layer_norm(dim: usize, eps: f64, vb: VarBuilder<'_>) -> CResult<LayerNorm> {
    Ok(LayerNorm {
        weight: vb.get_with_hints(dim, "weight", Init::Const(1.0))?,
        bias: vb.get_with_hints(dim, "bias", Init::Const(0.0))?,
        eps,
    })
}

/// Inverted dropout drawing its masks from a shared seeded [`DropoutRng`].
#[derive(Debug, Clone)]
pub struct Dropout {
    p: f32,
    rng: DropoutRng,
}

impl Dropout {
    /// Dropout with drop probability `p` (0 disables it).
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_models::{layers::Dropout, params::DropoutRng};
    /// let drop = Dropout::new(0.5, DropoutRng::new(0));
    /// let x = Tensor::ones((2, 8), DType::F32, &Device::Cpu)?;
    /// let eval = drop.forward(&x, false)?; // identity outside training
    /// assert_eq!(eval.to_vec2::<f32>()?, x.to_vec2::<f32>()?);
    /// let y = drop.forward(&x, true)?.flatten_all()?.to_vec1::<f32>()?;
    /// assert!(y.iter().all(|&v| v == 0.0 || v == 2.0)); // kept values scaled by 1 / (1 - p)
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(p: f32, rng: DropoutRng) -> Self {
        Self { p, rng }
    }

    /// Applies dropout when `train` is true; identity otherwise.
    pub fn forward(&self, x: &Tensor, train: bool) -> CResult<Tensor> {
        if !train || self.p <= 0.0 {
            return Ok(x.clone());
        }
        let m = self.rng.mask(x.shape(), self.p, x.device())?;
        x.mul(&m)
    }
}

/// Per-feature input standardisation `(x - mean) * inv_std` with buffers fit on training
/// data by the trainer (keys `input_norm.mean`, `input_norm.inv_std`; identity at init).
#[derive(Debug, Clone)]
pub struct InputNorm {
    mean: Tensor,
    inv_std: Tensor,
}

impl InputNorm {
    /// Creates the buffers for `n_features`.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_models::{layers::InputNorm, ParamStore};
    /// let params = ParamStore::new(0);
    /// let norm = InputNorm::new(3, params.var_builder().pp("input_norm"))?;
    /// assert_eq!(params.names(), ["input_norm.inv_std", "input_norm.mean"]);
    /// let x = Tensor::ones((1, 2, 3), DType::F32, &Device::Cpu)?;
    /// let mask = Tensor::new(&[[1f32, 0.0]], &Device::Cpu)?; // second frame is padding
    /// let y = norm.forward(&x, &mask)?.to_vec3::<f32>()?; // identity at init, padding zeroed
    /// assert_eq!(y[0], vec![vec![1.0; 3], vec![0.0; 3]]);
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(n_features: usize, vb: VarBuilder<'_>) -> CResult<Self> {
        let mean = vb.get_with_hints(n_features, "mean", candle_nn::Init::Const(0.0))?;
        let inv_std = vb.get_with_hints(n_features, "inv_std", candle_nn::Init::Const(1.0))?;
        Ok(Self { mean, inv_std })
    }

    /// Standardises the last dimension of `(…, n_features)` and zeroes padded frames
    /// (`mask` is `(batch, frames)`).
    pub fn forward(&self, x: &Tensor, mask: &Tensor) -> CResult<Tensor> {
        let y = x
            .broadcast_sub(&self.mean.detach())?
            .broadcast_mul(&self.inv_std.detach())?;
        y.broadcast_mul(&mask.unsqueeze(2)?)
    }
}

/// Mean over valid frames: `x (B, T, D)`, `mask (B, T)` → `(B, D)`.
pub fn masked_mean(x: &Tensor, mask: &Tensor) -> CResult<Tensor> {
    let m = mask.unsqueeze(2)?;
    let s = x.broadcast_mul(&m)?.sum(1)?;
    let n = mask.sum_keepdim(1)?.clamp(1.0, f64::INFINITY)?;
    s.broadcast_div(&n)
}

/// Max over valid frames: `x (B, T, D)`, `mask (B, T)` → `(B, D)`.
pub fn masked_max(x: &Tensor, mask: &Tensor) -> CResult<Tensor> {
    let m = mask.unsqueeze(2)?;
    // Padded frames get a very negative value so they never win.
    let neg = ((m.ones_like()? - &m)? * MASK_NEG)?;
    x.broadcast_add(&neg)?.max(1)
}

/// Mean and standard deviation over valid frames, concatenated: `(B, 2D)`.
pub fn masked_mean_std(x: &Tensor, mask: &Tensor) -> CResult<Tensor> {
    let mu = masked_mean(x, mask)?;
    let ex2 = masked_mean(&x.sqr()?, mask)?;
    let var = (ex2 - mu.sqr()?)?.clamp(1e-6, f64::INFINITY)?;
    Tensor::cat(&[&mu, &var.sqrt()?], 1)
}

/// Softmax over the last axis of `scores (B, T)` restricted to valid frames.
pub fn masked_softmax(scores: &Tensor, mask: &Tensor) -> CResult<Tensor> {
    let neg = ((mask.ones_like()? - mask)? * MASK_NEG)?;
    softmax_last(&(scores + neg)?)
}

/// Attentive statistics pooling (Okabe et al. 2018): frame weights
/// `softmax_t(vᵀ tanh(W h_t + b))` over valid frames, output `[Σ α h, sqrt(Σ α h² − μ²)]`,
/// `(B, T, D)` → `(B, 2D)`.
#[derive(Debug, Clone)]
pub struct AttentiveStatsPool {
    proj: Linear,
    score: Linear,
}

impl AttentiveStatsPool {
    /// `dim` input features, `hidden` attention units. Keys: `proj`, `score`.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_models::{layers::AttentiveStatsPool, ParamStore};
    /// let pool = AttentiveStatsPool::new(8, 16, ParamStore::new(0).var_builder())?;
    /// let x = Tensor::arange(0f32, 80.0, &Device::Cpu)?.reshape((2, 5, 8))?;
    /// let mask = Tensor::ones((2, 5), DType::F32, &Device::Cpu)?;
    /// let (y, alpha) = pool.forward_with_weights(&x, &mask)?;
    /// assert_eq!(y.dims(), &[2, 16]); // mean ‖ std: 2 x 8
    /// assert_eq!(alpha.dims(), &[2, 5]);
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(dim: usize, hidden: usize, vb: VarBuilder<'_>) -> CResult<Self> {
        Ok(Self {
            proj: linear(dim, hidden, vb.pp("proj"))?,
            score: linear(hidden, 1, vb.pp("score"))?,
        })
    }

    /// Pools `x (B, T, D)` with `mask (B, T)` to `(B, 2D)`.
    pub fn forward(&self, x: &Tensor, mask: &Tensor) -> CResult<Tensor> {
        Ok(self.forward_with_weights(x, mask)?.0)
    }

    /// [`AttentiveStatsPool::forward`] and the frame weights `α (B, T)` it pooled with
    /// (zero on padded frames, each row summing to 1).
    pub fn forward_with_weights(&self, x: &Tensor, mask: &Tensor) -> CResult<(Tensor, Tensor)> {
        let e = self
            .score
            .forward(&self.proj.forward(x)?.tanh()?)?
            .squeeze(2)?;
        let alpha = masked_softmax(&e, mask)?;
        let a = alpha.unsqueeze(2)?;
        let mu = x.broadcast_mul(&a)?.sum(1)?;
        let ex2 = x.sqr()?.broadcast_mul(&a)?.sum(1)?;
        let sd = (ex2 - mu.sqr()?)?.clamp(1e-6, f64::INFINITY)?.sqrt()?;
        Ok((Tensor::cat(&[&mu, &sd], 1)?, alpha))
    }
}

/// Multi-head self-attention over time with a key-padding mask.
#[derive(Debug, Clone)]
pub struct MultiHeadSelfAttention {
    qkv: Linear,
    out: Linear,
    n_heads: usize,
    dim: usize,
    drop: Dropout,
}

impl MultiHeadSelfAttention {
    /// `dim` model width (divisible by `n_heads`). Keys: `qkv`, `out`.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_models::{layers::MultiHeadSelfAttention, params::DropoutRng, ParamStore};
    /// let vb = ParamStore::new(0).var_builder();
    /// let attn = MultiHeadSelfAttention::new(16, 4, 0.0, DropoutRng::new(0), vb.pp("attn"))?;
    /// let x = Tensor::ones((2, 3, 16), DType::F32, &Device::Cpu)?;
    /// let mask = Tensor::ones((2, 3), DType::F32, &Device::Cpu)?;
    /// let (y, maps) = attn.forward_with_weights(&x, &mask, false)?;
    /// assert_eq!((y.dims(), maps.dims()), (&[2, 3, 16][..], &[2, 4, 3, 3][..]));
    /// // 10 is not divisible by 4 heads.
    /// assert!(MultiHeadSelfAttention::new(10, 4, 0.0, DropoutRng::new(0), vb).is_err());
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(
        dim: usize,
        n_heads: usize,
        dropout: f32,
        rng: DropoutRng,
        vb: VarBuilder<'_>,
    ) -> CResult<Self> {
        if n_heads == 0 || dim % n_heads != 0 {
            candle_core::bail!("dim {dim} is not divisible by n_heads {n_heads}");
        }
        Ok(Self {
            qkv: linear(dim, 3 * dim, vb.pp("qkv"))?,
            out: linear(dim, dim, vb.pp("out"))?,
            n_heads,
            dim,
            drop: Dropout::new(dropout, rng),
        })
    }

    /// `x (B, T, D)`, `mask (B, T)` → `(B, T, D)`. Padded keys get zero attention weight;
    /// outputs at padded query positions are meaningless and must be masked downstream.
    pub fn forward(&self, x: &Tensor, mask: &Tensor, train: bool) -> CResult<Tensor> {
        Ok(self.forward_with_weights(x, mask, train)?.0)
    }

    /// [`MultiHeadSelfAttention::forward`] and its attention maps `(B, heads, T, T)` (rows:
    /// queries, before dropout; padded keys get weight 0).
    pub fn forward_with_weights(
        &self,
        x: &Tensor,
        mask: &Tensor,
        train: bool,
    ) -> CResult<(Tensor, Tensor)> {
        let (b, t, _) = x.dims3()?;
        let h = self.n_heads;
        let hd = self.dim / h;
        let qkv = self
            .qkv
            .forward(x)?
            .reshape((b, t, 3, h, hd))?
            .permute((2, 0, 3, 1, 4))?; // (3, B, h, T, hd)
        let q = qkv.i(0)?.contiguous()?;
        let k = qkv.i(1)?.contiguous()?;
        let v = qkv.i(2)?.contiguous()?;
        let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?; // (B, h, T, T)
        let neg = ((mask.ones_like()? - mask)? * MASK_NEG)?.reshape((b, 1, 1, t))?;
        let maps = softmax_last(&scores.broadcast_add(&neg)?)?;
        let att = self.drop.forward(&maps, train)?;
        let y = att.matmul(&v)?.transpose(1, 2)?.reshape((b, t, self.dim))?;
        Ok((self.out.forward(&y)?, maps))
    }
}

/// Pre-LN Transformer encoder layer: `x + MHSA(LN(x))`, then `x + FFN(LN(x))` (GELU).
#[derive(Debug, Clone)]
pub struct EncoderLayer {
    ln1: LayerNorm,
    attn: MultiHeadSelfAttention,
    ln2: LayerNorm,
    ff1: Linear,
    ff2: Linear,
    drop: Dropout,
}

impl EncoderLayer {
    /// Keys: `ln1`, `attn`, `ln2`, `ff1`, `ff2`.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_models::{layers::EncoderLayer, params::DropoutRng, ParamStore};
    /// let params = ParamStore::new(0);
    /// let layer = EncoderLayer::new(16, 4, 32, 0.1, DropoutRng::new(0), params.var_builder())?;
    /// assert!(params.names().contains(&"attn.qkv.weight".to_string()));
    /// let x = Tensor::ones((2, 3, 16), DType::F32, &Device::Cpu)?;
    /// let mask = Tensor::ones((2, 3), DType::F32, &Device::Cpu)?;
    /// assert_eq!(layer.forward(&x, &mask, false)?.dims(), &[2, 3, 16]);
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(
        dim: usize,
        n_heads: usize,
        ff_dim: usize,
        dropout: f32,
        rng: DropoutRng,
        vb: VarBuilder<'_>,
    ) -> CResult<Self> {
        Ok(Self {
            ln1: layer_norm(dim, 1e-5, vb.pp("ln1"))?,
            attn: MultiHeadSelfAttention::new(dim, n_heads, dropout, rng.clone(), vb.pp("attn"))?,
            ln2: layer_norm(dim, 1e-5, vb.pp("ln2"))?,
            ff1: linear(dim, ff_dim, vb.pp("ff1"))?,
            ff2: linear(ff_dim, dim, vb.pp("ff2"))?,
            drop: Dropout::new(dropout, rng),
        })
    }

    /// `x (B, T, D)`, `mask (B, T)` → `(B, T, D)`.
    pub fn forward(&self, x: &Tensor, mask: &Tensor, train: bool) -> CResult<Tensor> {
        Ok(self.forward_with_weights(x, mask, train)?.0)
    }

    /// [`EncoderLayer::forward`] and the self-attention maps `(B, heads, T, T)`.
    pub fn forward_with_weights(
        &self,
        x: &Tensor,
        mask: &Tensor,
        train: bool,
    ) -> CResult<(Tensor, Tensor)> {
        let (a, maps) = self
            .attn
            .forward_with_weights(&self.ln1.forward(x)?, mask, train)?;
        let x = (x + self.drop.forward(&a, train)?)?;
        let f = self.ff2.forward(&crate::ops::gelu(
            &self.ff1.forward(&self.ln2.forward(&x)?)?,
        )?)?;
        Ok(((&x + self.drop.forward(&f, train)?)?, maps))
    }
}

/// Sinusoidal positional encoding `(t, dim)` (Vaswani et al. 2017).
pub fn positional_encoding(t: usize, dim: usize, dev: &Device) -> CResult<Tensor> {
    let mut pe = vec![0f32; t * dim];
    for pos in 0..t {
        for i in 0..dim {
            let k = (i / 2) as f64;
            let angle = pos as f64 / 10000f64.powf(2.0 * k / dim as f64);
            pe[pos * dim + i] = if i % 2 == 0 { angle.sin() } else { angle.cos() } as f32;
        }
    }
    Tensor::from_vec(pe, (t, dim), dev)
}

/// Stacks `k` consecutive frames into one (`(B, T, F)` → `(B, ceil(T/k), k·F)`), zero-padding
/// the tail; returns the new lengths. `k = 1` is the identity.
pub fn stack_frames(x: &Tensor, lengths: &[usize], k: usize) -> CResult<(Tensor, Vec<usize>)> {
    if k <= 1 {
        return Ok((x.clone(), lengths.to_vec()));
    }
    let (b, t, f) = x.dims3()?;
    let t2 = t.div_ceil(k);
    let x = x.pad_with_zeros(1, 0, t2 * k - t)?;
    let x = x.reshape((b, t2, k * f))?;
    Ok((x, lengths.iter().map(|l| l.div_ceil(k)).collect()))
}

/// One direction of an LSTM with PyTorch weight names and gate order (i, f, g, o).
#[derive(Debug, Clone)]
struct LstmDir {
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor,
    b_hh: Tensor,
}

impl LstmDir {
    fn new(input: usize, hidden: usize, suffix: &str, vb: &VarBuilder<'_>) -> CResult<Self> {
        let bound = 1.0 / (hidden as f64).sqrt();
        let init = candle_nn::Init::Uniform {
            lo: -bound,
            up: bound,
        };
        let w_ih =
            vb.get_with_hints((4 * hidden, input), &format!("weight_ih_l0{suffix}"), init)?;
        let w_hh =
            vb.get_with_hints((4 * hidden, hidden), &format!("weight_hh_l0{suffix}"), init)?;
        let b_ih = vb.get_with_hints(4 * hidden, &format!("bias_ih_l0{suffix}"), init)?;
        let b_hh = vb.get_with_hints(4 * hidden, &format!("bias_hh_l0{suffix}"), init)?;
        Ok(Self {
            w_ih,
            w_hh,
            b_ih,
            b_hh,
        })
    }

    /// `x (B, T, F)` → hidden states `(B, T, H)`.
    fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        // Input projection for all frames at once, one 2-D matmul: (B, T, 4H).
        let (b, t, f) = x.dims3()?;
        let xp = x
            .reshape((b * t, f))?
            .matmul(&self.w_ih.t()?)?
            .reshape((b, t, ()))?;
        crate::ops::lstm_sequence(&xp, &self.w_hh, &(&self.b_ih + &self.b_hh)?)
    }
}

/// Reverses each row of `x (B, T, D)` within its first `lengths[i]` frames (padding stays at
/// the end). Applying it twice is the identity.
pub fn reverse_within_lengths(x: &Tensor, lengths: &[usize]) -> CResult<Tensor> {
    let (b, t, d) = x.dims3()?;
    let mut idx = Vec::with_capacity(b * t);
    for &l in lengths {
        let l = l.min(t);
        for s in 0..t {
            idx.push(if s < l { (l - 1 - s) as u32 } else { s as u32 });
        }
    }
    let idx = Tensor::from_vec(idx, (b, t, 1), x.device())?
        .broadcast_as((b, t, d))?
        .contiguous()?;
    x.contiguous()?.gather(&idx, 1)
}

/// Single-layer bidirectional LSTM whose backward direction starts at each sequence's last
/// real frame, so padding never leaks into real outputs. Keys follow PyTorch
/// (`weight_ih_l0`, `weight_ih_l0_reverse`, ...).
#[derive(Debug, Clone)]
pub struct BiLstm {
    fwd: LstmDir,
    bwd: LstmDir,
}

impl BiLstm {
    /// `input` features, `hidden` units per direction; output width `2 * hidden`.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_models::{layers::BiLstm, ParamStore};
    /// let params = ParamStore::new(0);
    /// let lstm = BiLstm::new(4, 8, params.var_builder())?;
    /// assert!(params.names().contains(&"weight_ih_l0_reverse".to_string())); // PyTorch names
    /// let x = Tensor::ones((2, 5, 4), DType::F32, &Device::Cpu)?;
    /// assert_eq!(lstm.forward(&x, &[5, 3])?.dims(), &[2, 5, 16]); // 2 x hidden
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(input: usize, hidden: usize, vb: VarBuilder<'_>) -> CResult<Self> {
        Ok(Self {
            fwd: LstmDir::new(input, hidden, "", &vb)?,
            bwd: LstmDir::new(input, hidden, "_reverse", &vb)?,
        })
    }

    /// `x (B, T, F)` with per-item `lengths` → `(B, T, 2H)`; values at padded frames are
    /// unspecified.
    pub fn forward(&self, x: &Tensor, lengths: &[usize]) -> CResult<Tensor> {
        let yf = self.fwd.forward(x)?;
        let xr = reverse_within_lengths(x, lengths)?;
        let yb = reverse_within_lengths(&self.bwd.forward(&xr)?, lengths)?;
        Tensor::cat(&[&yf, &yb], 2)
    }
}

/// 3×3 "same" convolution computed as im2col ([`crate::ops::im2col3x3`], one fused op with its
/// own backward) + one matmul, so that both passes run on Candle's fast GEMM (Candle's CPU
/// `conv2d` backward is much slower).
/// Keys `weight` `(c_out, c_in, 3, 3)` and `bias` `(c_out)`, as PyTorch's `Conv2d`.
#[derive(Debug, Clone)]
pub struct Conv3x3 {
    weight: Tensor,
    bias: Tensor,
    c_in: usize,
    c_out: usize,
}

impl Conv3x3 {
    /// Kaiming-uniform initialised weights (PyTorch's default bounds).
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_models::{layers::Conv3x3, ParamStore};
    /// let conv = Conv3x3::new(1, 4, ParamStore::new(0).var_builder())?;
    /// let x = Tensor::ones((2, 1, 8, 10), DType::F32, &Device::Cpu)?;
    /// assert_eq!(conv.forward(&x)?.dims(), &[2, 4, 8, 10]); // "same" padding
    /// let rgb = Tensor::ones((2, 3, 8, 10), DType::F32, &Device::Cpu)?;
    /// assert!(conv.forward(&rgb).is_err()); // 3 input channels, 1 expected
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(c_in: usize, c_out: usize, vb: VarBuilder<'_>) -> CResult<Self> {
        let weight = vb.get_with_hints(
            (c_out, c_in, 3, 3),
            "weight",
            candle_nn::init::DEFAULT_KAIMING_UNIFORM,
        )?;
        let bound = 1.0 / ((c_in * 9) as f64).sqrt();
        let bias = vb.get_with_hints(
            c_out,
            "bias",
            candle_nn::Init::Uniform {
                lo: -bound,
                up: bound,
            },
        )?;
        Ok(Self {
            weight,
            bias,
            c_in,
            c_out,
        })
    }

    /// `x (B, C_in, F, T)` → `(B, C_out, F, T)` with zero padding 1.
    pub fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        let (b, c, f, t) = x.dims4()?;
        if c != self.c_in {
            candle_core::bail!("conv expects {} channels, got {c}", self.c_in);
        }
        // (B, C·9, F·T); row order (c, di, dj) matches the weight layout.
        let cols = crate::ops::im2col3x3(x)?;
        let w = self.weight.reshape((self.c_out, c * 9))?;
        let y = w.broadcast_matmul(&cols)?;
        y.broadcast_add(&self.bias.reshape((1, self.c_out, 1))?)?
            .reshape((b, self.c_out, f, t))
    }
}

/// Batch normalisation of `(B, C, F, T)` maps followed by ReLU and a time mask, PyTorch
/// `BatchNorm2d` semantics (ε 1e-5, momentum 0.1, running variance updated with the unbiased
/// batch variance) and keys (`weight`, `bias`, `running_mean`, `running_var`); computed by the
/// fused [`crate::ops::batch_norm_relu`].
#[derive(Debug, Clone)]
pub struct BatchNormRelu {
    weight: Tensor,
    bias: Tensor,
    running_mean: candle_core::Var,
    running_var: candle_core::Var,
}

impl BatchNormRelu {
    const EPS: f64 = 1e-5;
    const MOMENTUM: f64 = 0.1;

    /// `channels` features; γ = 1, β = 0, running mean 0 and variance 1 when new.
    pub fn new(channels: usize, vb: VarBuilder<'_>) -> CResult<Self> {
        let get = |name: &str, v: f64| vb.get_with_hints(channels, name, Init::Const(v));
        Ok(Self {
            weight: get("weight", 1.0)?,
            bias: get("bias", 0.0)?,
            // Shares the parameter store's storage, so updates are saved with the model.
            running_mean: candle_core::Var::from_tensor(&get("running_mean", 0.0)?)?,
            running_var: candle_core::Var::from_tensor(&get("running_var", 1.0)?)?,
        })
    }

    /// `x (B, C, F, T)` → `max(0, BN(x))`, zero at frames `t >= lengths[b]`. Training mode
    /// normalises with the batch's statistics and updates the running ones.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_models::{layers::BatchNormRelu, ParamStore};
    /// let bn = BatchNormRelu::new(2, ParamStore::new(0).var_builder())?;
    /// let x = Tensor::ones((3, 2, 4, 5), DType::F32, &Device::Cpu)?;
    /// // Evaluation mode, fresh running statistics (0, 1): ReLU(x / √(1 + ε)).
    /// let y = bn.forward(&x, &[5, 5, 2], false)?;
    /// assert!((y.max_all()?.to_scalar::<f32>()? - 1.0).abs() < 1e-4);
    /// assert_eq!(y.get(2)?.get(0)?.get(0)?.to_vec1::<f32>()?[2..], [0.0, 0.0, 0.0]);
    /// # Ok::<(), candle_core::Error>(())
    /// ```
    pub fn forward(&self, x: &Tensor, lengths: &[usize], train: bool) -> CResult<Tensor> {
        let affine = (&self.weight, &self.bias);
        if !train {
            let running = (self.running_mean.as_tensor(), self.running_var.as_tensor());
            return Ok(
                crate::ops::batch_norm_relu(x, affine, lengths, Some(running), Self::EPS)?.0,
            );
        }
        let (y, stats) = crate::ops::batch_norm_relu(x, affine, lengths, None, Self::EPS)?;
        if let Some((mean, var)) = stats {
            let n = (x.elem_count() / x.dim(1)?.max(1)) as f64;
            let m = Self::MOMENTUM;
            let unbiased = if n > 1.0 { n / (n - 1.0) } else { 1.0 };
            let rm = ((self.running_mean.as_tensor() * (1.0 - m))? + (mean * m)?)?;
            let rv = ((self.running_var.as_tensor() * (1.0 - m))? + (var * (m * unbiased))?)?;
            self.running_mean.set(&rm)?;
            self.running_var.set(&rv)?;
        }
        Ok(y)
    }
}

/// Conv 3×3 → BatchNorm → ReLU → mask → max-pool → dropout on `(B, C, F, T)` maps.
#[derive(Debug, Clone)]
pub struct ConvBlock {
    conv: Conv3x3,
    bn: BatchNormRelu,
    pool_f: usize,
    pool_t: usize,
    drop: Dropout,
}

impl ConvBlock {
    /// Keys: `conv`, `bn`. Pools by `pool_f` along frequency and `pool_t` along time.
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_models::{layers::ConvBlock, params::DropoutRng, ParamStore};
    /// let vb = ParamStore::new(0).var_builder();
    /// let block = ConvBlock::new(1, 4, 2, 2, 0.0, DropoutRng::new(0), vb)?;
    /// let x = Tensor::ones((2, 1, 8, 10), DType::F32, &Device::Cpu)?;
    /// let (y, lengths) = block.forward(&x, &[10, 5], false)?;
    /// assert_eq!(y.dims(), &[2, 4, 4, 5]); // frequency and time halved
    /// assert_eq!(lengths, vec![5, 3]);
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(
        c_in: usize,
        c_out: usize,
        pool_f: usize,
        pool_t: usize,
        dropout: f32,
        rng: DropoutRng,
        vb: VarBuilder<'_>,
    ) -> CResult<Self> {
        Ok(Self {
            conv: Conv3x3::new(c_in, c_out, vb.pp("conv"))?,
            bn: BatchNormRelu::new(c_out, vb.pp("bn"))?,
            pool_f: pool_f.max(1),
            pool_t: pool_t.max(1),
            drop: Dropout::new(dropout, rng),
        })
    }

    /// `x (B, C, F, T)` (T divisible by the time pool) with per-item `lengths` →
    /// `(B, C', F/pf, T/pt)` and the pooled lengths (frequency remainder rows are dropped).
    pub fn forward(
        &self,
        x: &Tensor,
        lengths: &[usize],
        train: bool,
    ) -> CResult<(Tensor, Vec<usize>)> {
        let y = self.bn.forward(&self.conv.forward(x)?, lengths, train)?;
        let y = if self.pool_f > 1 || self.pool_t > 1 {
            crate::ops::max_pool2d(&y, self.pool_f, self.pool_t)?
        } else {
            y
        };
        let lengths = lengths.iter().map(|l| l.div_ceil(self.pool_t)).collect();
        Ok((self.drop.forward(&y, train)?, lengths))
    }

    /// Time pooling factor.
    pub fn pool_t(&self) -> usize {
        self.pool_t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamStore;

    #[test]
    fn reverse_within_lengths_is_involution() {
        let x = Tensor::arange(0f32, 12.0, &Device::Cpu)
            .unwrap()
            .reshape((2, 3, 2))
            .unwrap();
        let r = reverse_within_lengths(&x, &[3, 2]).unwrap();
        let v: Vec<Vec<Vec<f32>>> = r.to_vec3().unwrap();
        assert_eq!(v[0], vec![vec![4., 5.], vec![2., 3.], vec![0., 1.]]);
        assert_eq!(v[1], vec![vec![8., 9.], vec![6., 7.], vec![10., 11.]]);
        let rr = reverse_within_lengths(&r, &[3, 2]).unwrap();
        assert_eq!(rr.to_vec3::<f32>().unwrap(), x.to_vec3::<f32>().unwrap());
    }

    #[test]
    fn im2col_conv_matches_candle_conv2d() {
        let ps = ParamStore::new(3);
        let conv = Conv3x3::new(2, 3, ps.var_builder().pp("c")).unwrap();
        let x = Tensor::randn(0f32, 1.0, (2, 2, 5, 7), &Device::Cpu).unwrap();
        let ours = conv.forward(&x).unwrap();
        let cfg = candle_nn::Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        let reference = candle_nn::Conv2d::new(conv.weight.clone(), Some(conv.bias.clone()), cfg)
            .forward(&x)
            .unwrap();
        let d = crate::tests::tensor_max_abs_diff(&ours, &reference);
        assert!(d < 1e-5, "{d}");
    }

    #[test]
    fn masked_pooling_ignores_padding() {
        let x = Tensor::new(&[[[1f32], [3.], [100.]]], &Device::Cpu).unwrap();
        let m = Tensor::new(&[[1f32, 1., 0.]], &Device::Cpu).unwrap();
        assert_eq!(
            masked_mean(&x, &m).unwrap().to_vec2::<f32>().unwrap(),
            [[2.0]]
        );
        assert_eq!(
            masked_max(&x, &m).unwrap().to_vec2::<f32>().unwrap(),
            [[3.0]]
        );
        let ms = masked_mean_std(&x, &m).unwrap().to_vec2::<f32>().unwrap();
        assert!((ms[0][1] - 1.0).abs() < 1e-3);
    }

    #[test]
    fn attentive_pool_shape_and_mask() {
        let ps = ParamStore::new(1);
        let pool = AttentiveStatsPool::new(4, 3, ps.var_builder()).unwrap();
        let x = Tensor::ones((2, 5, 4), candle_core::DType::F32, &Device::Cpu).unwrap();
        let m = Tensor::new(
            &[[1f32, 1., 1., 0., 0.], [1., 1., 1., 1., 1.]],
            &Device::Cpu,
        )
        .unwrap();
        let y = pool.forward(&x, &m).unwrap();
        assert_eq!(y.dims(), &[2, 8]);
        let v = y.to_vec2::<f32>().unwrap();
        assert!((v[0][0] - 1.0).abs() < 1e-5);
    }
}
