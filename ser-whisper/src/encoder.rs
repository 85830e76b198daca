//! Whisper's audio encoder: two GELU convolutions (the second with stride 2), sinusoidal
//! positions, pre-LN Transformer blocks and a final LayerNorm.
//!
//! Unlike openai-whisper, the encoder runs on the clip's real length: the positional
//! embedding is sliced to the number of frames instead of padding the input to 30 s, which
//! is what makes a 3 s clip about ten times cheaper. [`AudioEncoder::forward`] returns
//! every layer's hidden states.
//!
//! # CPU fast path
//!
//! The layers compute the same function as openai-whisper's, arranged for Candle's CPU
//! backend (parity to 5e-4 on the output, `tests/parity.rs`); matrix products are
//! Candle's (the `gemm` crate), everything between them is fused:
//!
//! * activations stay `(frames, width)` row-major from the first convolution on; both
//!   convolutions are an im2col over frames followed by one matrix product with the kernel
//!   reordered to `(out, k · in)` at load time (no transposes around them);
//! * every matrix product is followed by one in-place pass: bias, bias + GELU, bias +
//!   GELU + positions, or bias + residual, instead of separate broadcast ops that each
//!   allocate and sweep memory;
//! * GELU uses a rational approximation of `erf` (|error| < 1e-7) and the softmax an
//!   exp with a degree-5 polynomial, both written so the compiler vectorises them, instead
//!   of scalar `libm` calls (which took a fifth of the encoder's time);
//! * attention reads query, key and value as strided views of the fused projection (no
//!   per-head copies), one head at a time so its `(T, T)` weights stay in cache, and the
//!   `dh^-1/2` score scale is folded into the query weights at load time (exact for
//!   Whisper's `dh = 64`);
//! * the fused passes split large buffers over Candle's CPU thread count
//!   (`RAYON_NUM_THREADS`, all cores when unset), like its matrix products.
//!
//! What remains is ~80 % matrix products. Candle 0.9 builds `gemm` without its `x86-v4`
//! feature, so they run AVX2 + FMA kernels even on AVX-512 machines; see
//! `scripts/whisper_speed.py` for timings against CTranslate2 and PyTorch.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{LayerNorm, VarBuilder};

use crate::config::{WhisperConfig, WhisperWeights};
use crate::{Error, Result};

const LN_EPS: f64 = 1e-5;

pub(crate) fn layer_norm(d: usize, vb: VarBuilder<'_>) -> Result<LayerNorm> {
    let w = vb.get(d, "weight")?;
    let b = vb.get(d, "bias")?;
    Ok(LayerNorm::new(w, b, LN_EPS))
}

/// Element-wise kernels, fused into Candle tensors as in-place custom ops.
pub(crate) mod kernels {
    use candle_core::backend::BackendStorage;
    use candle_core::{
        bail, CpuStorage, CustomOp1, InplaceOp1, InplaceOp2, InplaceOp3, Layout, Result, Shape,
    };

    fn slice<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> Result<&'a [f32]> {
        match (s, l.contiguous_offsets()) {
            (CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
            (CpuStorage::F32(_), None) => bail!("{what}: not contiguous"),
            _ => bail!("{what}: expected f32, got {:?}", s.dtype()),
        }
    }

    fn slice_mut<'a>(s: &'a mut CpuStorage, l: &Layout, what: &str) -> Result<&'a mut [f32]> {
        let dtype = s.dtype();
        match (s, l.contiguous_offsets()) {
            (CpuStorage::F32(v), Some((a, b))) => Ok(&mut v[a..b]),
            (CpuStorage::F32(_), None) => bail!("{what}: not contiguous"),
            _ => bail!("{what}: expected f32, got {dtype:?}"),
        }
    }

    /// Buffers smaller than this run on the calling thread only (spawning a thread costs
    /// about as much as 20k elements of GELU). Small in unit tests, so they cover the
    /// multi-threaded path.
    const PAR_MIN_LEN: usize = if cfg!(test) { 1 << 10 } else { 1 << 17 };

    /// Calls `f(first_row, rows)` on consecutive blocks of whole rows (length `n`) of `x`:
    /// one block per thread of Candle's CPU backend (`RAYON_NUM_THREADS`, see
    /// `candle_core::utils::get_num_threads`) on scoped threads, or all of `x` on the
    /// calling thread when it is small or one thread is configured.
    fn par_rows(x: &mut [f32], n: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
        let rows = x.len() / n.max(1);
        let threads = if x.len() >= PAR_MIN_LEN {
            candle_core::utils::get_num_threads().min(rows)
        } else {
            1
        };
        if threads <= 1 {
            return f(0, x);
        }
        let per = rows.div_ceil(threads);
        std::thread::scope(|s| {
            let mut blocks = x.chunks_mut(per * n).enumerate();
            let first = blocks.next();
            for (i, b) in blocks {
                let f = &f;
                s.spawn(move || f(i * per, b));
            }
            if let Some((_, b)) = first {
                f(0, b);
            }
        });
    }

    /// Rows of the last dimension, checked against a row vector of length `n`.
    fn check_rows(len: usize, n: usize, what: &str) -> Result<()> {
        if n == 0 || len % n != 0 {
            bail!("{what}: {len} elements are not rows of {n}")
        }
        Ok(())
    }

    pub(crate) use ser_dsp::lanes::{exp, gelu};

    /// Lane-parallel sum (8 partial sums, so it vectorises).
    #[inline(always)]
    fn sum(v: &[f32]) -> f32 {
        let mut acc = [0f32; 8];
        let chunks = v.chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            for (a, x) in acc.iter_mut().zip(c) {
                *a += x;
            }
        }
        acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
    }

    /// Lane-parallel maximum.
    #[inline(always)]
    fn max(v: &[f32]) -> f32 {
        let mut acc = [f32::NEG_INFINITY; 8];
        let chunks = v.chunks_exact(8);
        let rest = chunks.remainder();
        for c in chunks {
            for (a, &x) in acc.iter_mut().zip(c) {
                *a = if x > *a { x } else { *a };
            }
        }
        acc.iter()
            .chain(rest)
            .fold(f32::NEG_INFINITY, |m, &x| m.max(x))
    }

    /// What to do after adding the bias.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Epilogue {
        /// `y + b`.
        Bias,
        /// `gelu(y + b)`.
        BiasGelu,
    }

    impl InplaceOp2 for Epilogue {
        fn name(&self) -> &'static str {
            match self {
                Self::Bias => "whisper-bias",
                Self::BiasGelu => "whisper-bias-gelu",
            }
        }

        /// `s1`: `(rows, n)` matrix product, `s2`: bias `(n,)`.
        fn cpu_fwd(
            &self,
            s1: &mut CpuStorage,
            l1: &Layout,
            s2: &CpuStorage,
            l2: &Layout,
        ) -> Result<()> {
            let bias = slice(s2, l2, "bias")?;
            let y = slice_mut(s1, l1, "product")?;
            check_rows(y.len(), bias.len(), "bias")?;
            let op = *self;
            par_rows(y, bias.len(), |_, y| {
                for row in y.chunks_exact_mut(bias.len()) {
                    match op {
                        Self::Bias => row.iter_mut().zip(bias).for_each(|(y, b)| *y += b),
                        Self::BiasGelu => row
                            .iter_mut()
                            .zip(bias)
                            .for_each(|(y, b)| *y = gelu(*y + b)),
                    }
                }
            });
            Ok(())
        }
    }

    /// `y + b + r` (`r` a residual of `y`'s shape), or with [`Self::GeluPositions`]
    /// `gelu(y + b) + pos[frame]` (`r` the `(frames, n)` positions, `y` rows
    /// `(batch · frames, n)`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Epilogue3 {
        /// `y + b + residual`.
        BiasResidual,
        /// `gelu(y + b) + positions` (the second convolution).
        GeluPositions,
    }

    impl InplaceOp3 for Epilogue3 {
        fn name(&self) -> &'static str {
            match self {
                Self::BiasResidual => "whisper-bias-residual",
                Self::GeluPositions => "whisper-bias-gelu-positions",
            }
        }

        fn cpu_fwd(
            &self,
            s1: &mut CpuStorage,
            l1: &Layout,
            s2: &CpuStorage,
            l2: &Layout,
            s3: &CpuStorage,
            l3: &Layout,
        ) -> Result<()> {
            let bias = slice(s2, l2, "bias")?;
            let r = slice(s3, l3, "residual")?;
            let y = slice_mut(s1, l1, "product")?;
            let n = bias.len();
            check_rows(y.len(), n, "bias")?;
            check_rows(r.len(), n, "residual")?;
            match self {
                Self::BiasResidual => {
                    if r.len() != y.len() {
                        bail!("residual: {} elements, product {}", r.len(), y.len())
                    }
                    par_rows(y, n, |row0, y| {
                        let r = &r[row0 * n..];
                        for (yr, rr) in y.chunks_exact_mut(n).zip(r.chunks_exact(n)) {
                            for ((y, b), r) in yr.iter_mut().zip(bias).zip(rr) {
                                *y += b + r;
                            }
                        }
                    });
                }
                Self::GeluPositions => {
                    if y.len() % r.len() != 0 {
                        bail!("positions: {} elements, product {}", r.len(), y.len())
                    }
                    let frames = r.len() / n;
                    par_rows(y, n, |row0, y| {
                        let pos = r.chunks_exact(n).cycle().skip(row0 % frames);
                        for (yr, pr) in y.chunks_exact_mut(n).zip(pos) {
                            for ((y, b), p) in yr.iter_mut().zip(bias).zip(pr) {
                                *y = gelu(*y + b) + p;
                            }
                        }
                    });
                }
            }
            Ok(())
        }
    }

    /// Softmax over the last dimension, in place.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Softmax;

    impl InplaceOp1 for Softmax {
        fn name(&self) -> &'static str {
            "whisper-softmax"
        }

        fn cpu_fwd(&self, s: &mut CpuStorage, l: &Layout) -> Result<()> {
            let n = l.dims().last().copied().unwrap_or(0);
            let x = slice_mut(s, l, "scores")?;
            check_rows(x.len(), n, "softmax")?;
            par_rows(x, n, |_, x| {
                for row in x.chunks_exact_mut(n) {
                    let m = max(row);
                    row.iter_mut().for_each(|v| *v = exp(*v - m));
                    let inv = 1.0 / sum(row);
                    row.iter_mut().for_each(|v| *v *= inv);
                }
            });
            Ok(())
        }
    }

    /// im2col for a width-3 convolution with padding 1 on a channels-last `(B, L, C)`
    /// input: `(B, L_out, 3 · C)` with row `t` = input rows `s·t - 1`, `s·t`, `s·t + 1`
    /// (zeros outside), `L_out = (L - 1) / s + 1`.
    #[derive(Debug, Clone, Copy)]
    pub(crate) struct Im2Col3 {
        pub(crate) stride: usize,
    }

    impl Im2Col3 {
        pub(crate) fn out_len(&self, l: usize) -> usize {
            (l.max(1) - 1) / self.stride + 1
        }
    }

    impl CustomOp1 for Im2Col3 {
        fn name(&self) -> &'static str {
            "whisper-im2col3"
        }

        fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
            let x = slice(s, l, "im2col input")?;
            let (b, len, c) = l.shape().dims3()?;
            let lo = self.out_len(len);
            let mut out = vec![0f32; b * lo * 3 * c];
            for (xb, ob) in x
                .chunks_exact(len * c)
                .zip(out.chunks_exact_mut(lo * 3 * c))
            {
                for (t, orow) in ob.chunks_exact_mut(3 * c).enumerate() {
                    for (k, dst) in orow.chunks_exact_mut(c).enumerate() {
                        // input row s·t + k - 1
                        let i = self.stride * t + k;
                        if i >= 1 && i <= len {
                            dst.copy_from_slice(&xb[(i - 1) * c..i * c]);
                        }
                    }
                }
            }
            Ok((CpuStorage::F32(out), Shape::from((b, lo, 3 * c))))
        }
    }
}

pub(crate) use kernels::{Epilogue, Epilogue3, Im2Col3, Softmax};

/// A dense layer `x · Wᵀ + b` on `(rows, in)` matrices, with the epilogue fused in place.
#[derive(Debug, Clone)]
pub(crate) struct Dense {
    /// `(out, in)`, row-major (the checkpoint's layout; Candle's gemm reads it transposed
    /// without a copy).
    pub(crate) w: Tensor,
    pub(crate) b: Tensor,
}

impl Dense {
    pub(crate) fn new(w: Tensor, b: Tensor) -> Self {
        Self { w, b }
    }

    pub(crate) fn load(in_dim: usize, out_dim: usize, vb: VarBuilder<'_>) -> Result<Self> {
        Ok(Self::new(
            vb.get((out_dim, in_dim), "weight")?,
            vb.get(out_dim, "bias")?,
        ))
    }

    /// `x · Wᵀ`, a fresh contiguous `(rows, out)` tensor.
    pub(crate) fn product(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.matmul(&self.w.t()?)?)
    }

    /// `x · Wᵀ + b`, then `op` in place.
    pub(crate) fn forward(&self, x: &Tensor, op: Epilogue) -> Result<Tensor> {
        let y = self.product(x)?;
        y.inplace_op2(&self.b, &op)?;
        Ok(y)
    }

    /// `x · Wᵀ + b + r`, or with [`Epilogue3::GeluPositions`] `gelu(x · Wᵀ + b) + r`.
    pub(crate) fn forward3(&self, x: &Tensor, r: &Tensor, op: Epilogue3) -> Result<Tensor> {
        let y = self.product(x)?;
        y.inplace_op3(&self.b, r, &op)?;
        Ok(y)
    }
}

/// Multi-head self-attention with fused query / key / value.
#[derive(Debug, Clone)]
struct SelfAttention {
    /// Query rows pre-scaled by `dh^-1/2`.
    qkv: Dense,
    out: Dense,
    n_head: usize,
}

impl SelfAttention {
    fn new(d: usize, n_head: usize, vb: VarBuilder<'_>) -> Result<Self> {
        let qkv = Dense::load(d, 3 * d, vb.pp("qkv"))?;
        // openai-whisper scales q and k by dh^-1/4 each; one dh^-1/2 on the query
        // projection is the same product (and exact when dh is a power of 4, as 64).
        let scale = ((d / n_head) as f64).powf(-0.5);
        let (w, b) = (&qkv.w, &qkv.b);
        let w = Tensor::cat(&[(w.narrow(0, 0, d)? * scale)?, w.narrow(0, d, 2 * d)?], 0)?;
        let b = Tensor::cat(&[(b.narrow(0, 0, d)? * scale)?, b.narrow(0, d, 2 * d)?], 0)?;
        Ok(Self {
            qkv: Dense::new(w, b),
            out: Dense::load(d, d, vb.pp("out"))?,
            n_head,
        })
    }

    /// `res + attention(x)` for `x`, `res` of shape `(B·T, D)` (`B` clips of `t` frames).
    fn forward(&self, x: &Tensor, res: &Tensor, t: usize) -> Result<Tensor> {
        let (bt, d) = x.dims2()?;
        let h = self.n_head;
        let dh = d / h;
        let qkv = self.qkv.forward(x, Epilogue::Bias)?; // (B·T, 3D)
        let mut clips = Vec::with_capacity(bt / t);
        for i in 0..bt / t {
            // (3, H, T, dh) views of the projection: no copies.
            let m = qkv
                .narrow(0, i * t, t)?
                .reshape((t, 3, h, dh))?
                .permute((1, 2, 0, 3))?;
            let (q, k, v) = (m.get(0)?, m.get(1)?, m.get(2)?);
            // One head at a time: its (T, T) weights stay in cache between the two
            // products and the softmax (all heads at once are 8 MB at 10 s).
            let heads = (0..h)
                .map(|j| {
                    let w = q.get(j)?.matmul(&k.get(j)?.t()?)?; // (T, T)
                    w.inplace_op1(&Softmax)?;
                    w.matmul(&v.get(j)?) // (T, dh)
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            clips.push(Tensor::cat(&heads, 1)?); // (T, D)
        }
        let o = if clips.len() == 1 {
            clips.swap_remove(0)
        } else {
            Tensor::cat(&clips, 0)?
        };
        self.out.forward3(&o, res, Epilogue3::BiasResidual)
    }
}

#[derive(Debug, Clone)]
struct Block {
    attn_ln: LayerNorm,
    attn: SelfAttention,
    mlp_ln: LayerNorm,
    fc1: Dense,
    fc2: Dense,
}

impl Block {
    fn new(d: usize, n_head: usize, vb: VarBuilder<'_>) -> Result<Self> {
        Ok(Self {
            attn_ln: layer_norm(d, vb.pp("attn_ln"))?,
            attn: SelfAttention::new(d, n_head, vb.pp("attn"))?,
            mlp_ln: layer_norm(d, vb.pp("mlp_ln"))?,
            fc1: Dense::load(d, 4 * d, vb.pp("mlp.0"))?,
            fc2: Dense::load(4 * d, d, vb.pp("mlp.2"))?,
        })
    }

    /// One block on `(B·T, D)` rows.
    fn forward(&self, x: &Tensor, t: usize) -> Result<Tensor> {
        let x = self.attn.forward(&self.attn_ln.forward(x)?, x, t)?;
        let h = self
            .fc1
            .forward(&self.mlp_ln.forward(&x)?, Epilogue::BiasGelu)?;
        self.fc2.forward3(&h, &x, Epilogue3::BiasResidual)
    }
}

/// Whisper's audio encoder.
#[derive(Debug, Clone)]
pub struct AudioEncoder {
    cfg: WhisperConfig,
    /// Kernels reordered to `(D, 3 · C_in)` for im2col rows `[x[t-1], x[t], x[t+1]]`.
    conv1: Dense,
    conv2: Dense,
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
        // (D, C_in, 3) -> (D, 3, C_in) -> (D, 3·C_in): the im2col row order.
        let conv = |name: &str, cin: usize| -> Result<Dense> {
            let vb = vb.pp(name);
            let w = vb.get((d, cin, 3), "weight")?;
            let w = w.permute((0, 2, 1))?.contiguous()?.reshape((d, 3 * cin))?;
            Ok(Dense::new(w, vb.get(d, "bias")?))
        };
        let blocks = (0..cfg.n_audio_layer)
            .map(|i| Block::new(d, cfg.n_audio_head, vb.pp(format!("blocks.{i}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            cfg: cfg.clone(),
            conv1: conv("conv1", cfg.n_mels)?,
            conv2: conv("conv2", d)?,
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
        self.forward_states(mel, self.blocks.len() + 1)
    }

    /// [`forward`](Self::forward) stopped after the first `n_states` hidden states
    /// (`1..=n_audio_layer + 1`): only the blocks they need run, so a probe on an early layer
    /// costs a fraction of the full encoder. The states are the same values `forward`
    /// returns (the final layer norm applies only when every block runs).
    pub fn forward_states(&self, mel: &Tensor, n_states: usize) -> Result<EncoderOutput> {
        if n_states == 0 || n_states > self.blocks.len() + 1 {
            return Err(Error::InvalidArgument(format!(
                "{n_states} hidden states requested, the encoder has 1..={}",
                self.blocks.len() + 1
            )));
        }
        let (b, n_mels, frames) = mel.dims3()?;
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
        let d = self.cfg.n_audio_state;
        let mel = mel.to_dtype(DType::F32)?.transpose(1, 2)?.contiguous()?; // (B, L, n_mels)
        let cols = mel.apply_op1_no_bwd(&Im2Col3 { stride: 1 })?; // (B, L, 3·n_mels)
        let x = self
            .conv1
            .forward(&cols.reshape((b * frames, 3 * n_mels))?, Epilogue::BiasGelu)?;
        let cols = x
            .reshape((b, frames, d))?
            .apply_op1_no_bwd(&Im2Col3 { stride: 2 })?; // (B, T, 3·D)
        let pos = self.positional_embedding.narrow(0, 0, t)?;
        let mut x = self.conv2.forward3(
            &cols.reshape((b * t, 3 * d))?,
            &pos,
            Epilogue3::GeluPositions,
        )?; // (B·T, D)
        let mut hidden_states = Vec::with_capacity(n_states);
        hidden_states.push(x.reshape((b, t, d))?);
        for block in self.blocks.iter().take(n_states - 1) {
            x = block.forward(&x, t)?;
            hidden_states.push(x.reshape((b, t, d))?);
        }
        if n_states == self.blocks.len() + 1 {
            let last = self.ln_post.forward(&x)?.reshape((b, t, d))?;
            if let Some(l) = hidden_states.last_mut() {
                *l = last;
            }
        }
        Ok(EncoderOutput { hidden_states })
    }

    /// [`forward`](Self::forward) on one clip's log-mel `(n_mels, frames)` (e.g. from
    /// [`crate::LogMel::compute`]), as a batch of one.
    pub fn forward_mel(&self, mel: ndarray::ArrayView2<'_, f32>) -> Result<EncoderOutput> {
        let (n_mels, frames) = mel.dim();
        let data: Vec<f32> = mel.iter().copied().collect();
        let t = Tensor::from_vec(data, (1, n_mels, frames), &Device::Cpu)?;
        self.forward(&t)
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

#[cfg(test)]
mod tests {
    use super::kernels;
    use super::*;

    #[test]
    fn fast_erf_and_gelu_match_libm() {
        let xs: Vec<f32> = (-12_000..=12_000).map(|i| i as f32 * 1e-3).collect();
        let t = Tensor::from_vec(xs.clone(), xs.len(), &Device::Cpu).unwrap();
        let want = t.gelu_erf().unwrap().to_vec1::<f32>().unwrap();
        for (&x, &w) in xs.iter().zip(&want) {
            let g = kernels::gelu(x);
            assert!(
                (g - w).abs() <= 2e-6 * x.abs().max(1.0),
                "gelu({x}) = {g}, libm {w}"
            );
        }
        let erf = ser_dsp::lanes::erf;
        assert!(erf(100.0) > 0.999_999 && erf(-100.0) < -0.999_999);
    }

    /// The fused encoder equals a plain Candle transcription of openai-whisper's layers.
    #[test]
    fn fused_layers_match_plain_candle() {
        let cfg = WhisperConfig::encoder(80, 1500, 64, 4, 2);
        let w = WhisperWeights::random(&cfg, 3).unwrap();
        let enc = AudioEncoder::from_weights(&w).unwrap();
        let g = |n: &str| w.tensors[&format!("encoder.{n}")].clone();
        // Odd: the stride-2 convolution's last window is padded.
        let frames = 37;
        let mel: Vec<f32> = (0..2 * 80 * frames)
            .map(|i| (i as f32 * 0.37).sin() + 0.3 * (i as f32 * 0.011).cos())
            .collect();
        let mel = Tensor::from_vec(mel, (2, 80, frames), &Device::Cpu).unwrap();
        let got = enc.forward(&mel).unwrap();

        let ln = |x: &Tensor, n: &str| {
            LayerNorm::new(g(&format!("{n}.weight")), g(&format!("{n}.bias")), LN_EPS)
                .forward(x)
                .unwrap()
        };
        let lin = |x: &Tensor, n: &str| {
            x.broadcast_matmul(&g(&format!("{n}.weight")).t().unwrap())
                .unwrap()
                .broadcast_add(&g(&format!("{n}.bias")))
                .unwrap()
        };
        let conv = |x: &Tensor, n: &str, stride| {
            x.conv1d(&g(&format!("{n}.weight")), 1, stride, 1, 1)
                .unwrap()
                .broadcast_add(&g(&format!("{n}.bias")).reshape((1, (), 1)).unwrap())
                .unwrap()
                .gelu_erf()
                .unwrap()
        };
        let x = conv(&conv(&mel, "conv1", 1), "conv2", 2);
        let t = AudioEncoder::n_output_frames(frames);
        let pos = g("positional_embedding").narrow(0, 0, t).unwrap();
        let mut x = x.transpose(1, 2).unwrap().broadcast_add(&pos).unwrap();
        let mut want = vec![x.clone()];
        let (d, h) = (64, 4);
        for i in 0..2 {
            let p = format!("blocks.{i}");
            let qkv = lin(&ln(&x, &format!("{p}.attn_ln")), &format!("{p}.attn.qkv"));
            let split = |j: usize| {
                qkv.narrow(2, j * d, d)
                    .unwrap()
                    .reshape((2, t, h, d / h))
                    .unwrap()
                    .transpose(1, 2)
                    .unwrap()
                    .contiguous()
                    .unwrap()
            };
            let s = ((d / h) as f64).powf(-0.25);
            let (q, k, v) = ((split(0) * s).unwrap(), (split(1) * s).unwrap(), split(2));
            let a = candle_nn::ops::softmax_last_dim(&q.matmul(&k.t().unwrap()).unwrap()).unwrap();
            let o = a
                .matmul(&v)
                .unwrap()
                .transpose(1, 2)
                .unwrap()
                .reshape((2, t, d))
                .unwrap();
            x = (x + lin(&o, &format!("{p}.attn.out"))).unwrap();
            let m = lin(&ln(&x, &format!("{p}.mlp_ln")), &format!("{p}.mlp.0"))
                .gelu_erf()
                .unwrap();
            x = (&x + lin(&m, &format!("{p}.mlp.2"))).unwrap();
            want.push(x.clone());
        }
        *want.last_mut().unwrap() = ln(&x, "ln_post");
        assert_eq!(got.hidden_states.len(), want.len());
        for (l, (a, b)) in got.hidden_states.iter().zip(&want).enumerate() {
            assert_eq!(a.dims(), b.dims());
            let e = (a - b)
                .unwrap()
                .abs()
                .unwrap()
                .flatten_all()
                .unwrap()
                .max(0)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            println!("hidden state {l}: max |diff| {e:.2e}");
            assert!(e < 1e-4, "hidden state {l}: max |diff| {e}");
        }
        // Stopping early returns the same first states, bit for bit; bad counts are errors.
        for n in 1..=2 {
            let part = enc.forward_states(&mel, n).unwrap();
            assert_eq!(part.hidden_states.len(), n);
            for (a, b) in part.hidden_states.iter().zip(&got.hidden_states) {
                let (a, b) = (
                    a.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                    b.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                );
                assert_eq!(a, b);
            }
        }
        assert!(enc.forward_states(&mel, 0).is_err());
        assert!(enc.forward_states(&mel, 4).is_err());
    }
}
