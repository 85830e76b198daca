//! Fused CPU ops with their own backward pass, where a chain of small Candle ops made training
//! slow: the 3×3 im2col of [`crate::layers::Conv3x3`] (9 narrows of a padded copy and a
//! stack, forward and backward) and the max-pool of [`crate::layers::ConvBlock`] (a reshape
//! and two `max` reductions whose backward compares against broadcast copies).
//!
//! Each op is one pass over memory, parallel over `(batch, channel)` planes with rayon (the
//! pool Candle's kernels use, sized by `RAYON_NUM_THREADS`) when the tensor is large. Gradients are checked against
//! Candle's autograd of the op chain they replace and against finite differences in the
//! tests below. [`lstm_sequence`] runs a whole LSTM direction (a matmul, a slice and 12
//! element-wise ops per step, and their backward ops, before) as one op whose backward is
//! back-propagation through time on the same GEMM kernels Candle uses.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! let x = Tensor::arange(0f32, 16.0, &Device::Cpu)?.reshape((1, 1, 4, 4))?;
//! let cols = ser_models::ops::im2col3x3(&x)?; // (B, C·9, F·T)
//! assert_eq!(cols.dims(), &[1, 9, 16]);
//! let pooled = ser_models::ops::max_pool2d(&x, 2, 2)?;
//! assert_eq!(pooled.flatten_all()?.to_vec1::<f32>()?, vec![5.0, 7.0, 13.0, 15.0]);
//! # Ok::<(), candle_core::Error>(())
//! ```

use candle_core::{CpuStorage, CustomOp1, CustomOp2, CustomOp3, Layout, Result, Shape, Tensor};
use rayon::prelude::*;

/// The `f32` values of a contiguous CPU tensor's storage.
fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(v) = s else {
        candle_core::bail!("{op}: expects f32 values");
    };
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&v[a..b]),
        None => candle_core::bail!("{op}: expects a contiguous tensor"),
    }
}

/// Outputs below this many values are filled on the calling thread: handing a few kB to the
/// rayon pool costs more than the work (one-clip inference).
const PAR_MIN_VALUES: usize = 1 << 16;

/// Whether work over `values` values goes to the rayon pool: it is large enough and the pool
/// has more than one thread.
fn parallel(values: usize) -> bool {
    values >= PAR_MIN_VALUES && rayon::current_num_threads() > 1
}

/// Element-wise sum of per-task partial vectors (parameter gradients); `None` when there are
/// none.
fn sum_parts(parts: impl IntoIterator<Item = Vec<f32>>) -> Option<Vec<f32>> {
    parts.into_iter().reduce(|mut total, p| {
        total.iter_mut().zip(&p).for_each(|(a, v)| *a += v);
        total
    })
}

/// Splits a backward op's flat output `[grad 1 | grad 2 | …]` into tensors of `shapes`.
fn unpack(
    flat: &Tensor,
    shapes: [&Shape; 3],
) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
    let mut at = 0;
    let mut next = |shape: &Shape| -> Result<Option<Tensor>> {
        let n = shape.elem_count();
        let t = flat.narrow(0, at, n)?.reshape(shape)?;
        at += n;
        Ok(Some(t))
    };
    Ok((next(shapes[0])?, next(shapes[1])?, next(shapes[2])?))
}

/// Calls `f(p, chunk)` for every `chunk`-sized piece `p` of `out`, in parallel when `out` is
/// large and the pool has more than one thread.
fn for_planes(out: &mut [f32], chunk: usize, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    let chunk = chunk.max(1);
    if !parallel(out.len()) {
        out.chunks_mut(chunk).enumerate().for_each(|(p, o)| f(p, o));
    } else {
        out.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(p, o)| f(p, o));
    }
}

fn dims4(l: &Layout, op: &str) -> Result<(usize, usize, usize, usize)> {
    match l.shape().dims() {
        &[b, c, f, t] => Ok((b, c, f, t)),
        d => candle_core::bail!("{op}: expects (B, C, F, T), got {d:?}"),
    }
}

/// `(B, C, F, T)` → `(B, C·9, F·T)`: for each input channel the 9 taps `(di, dj)` of a 3×3
/// window with zero padding 1, row `c·9 + di·3 + dj`, column `f·T + t` — the column matrix of
/// a "same" 3×3 convolution, whose weight `(C_out, C, 3, 3)` reshapes to `(C_out, C·9)`.
pub fn im2col3x3(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Im2col3x3)
}

/// `(B, C, F, T)` → `(B, C, F/pf, T/pt)`: the maximum of each `pf × pt` window (remainder rows
/// and frames dropped). The gradient goes to the first maximum of each window (row-major).
pub fn max_pool2d(x: &Tensor, pf: usize, pt: usize) -> Result<Tensor> {
    if pf == 0 || pt == 0 {
        candle_core::bail!("max_pool2d: window {pf}×{pt} must be non-empty");
    }
    x.contiguous()?.apply_op1(MaxPool2d { pf, pt })
}

struct Im2col3x3;

impl CustomOp1 for Im2col3x3 {
    fn name(&self) -> &'static str {
        "im2col3x3"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c, f, t) = dims4(l, self.name())?;
        let x = f32_slice(s, l, self.name())?;
        let plane = f * t;
        let mut out = vec![0f32; b * c * 9 * plane];
        // One (b, c) input plane fills 9 output rows.
        for_planes(&mut out, 9 * plane, |p, rows| {
            let xp = &x[p * plane..(p + 1) * plane];
            for di in 0..3 {
                for dj in 0..3 {
                    let row = &mut rows[(di * 3 + dj) * plane..(di * 3 + dj + 1) * plane];
                    for fo in 0..f {
                        let fi = fo + di;
                        if fi < 1 || fi > f {
                            continue;
                        }
                        let src = &xp[(fi - 1) * t..fi * t];
                        let dst = &mut row[fo * t..(fo + 1) * t];
                        // dst[to] = src[to + dj - 1] where in range.
                        match dj {
                            0 => dst[1..].copy_from_slice(&src[..t.saturating_sub(1)]),
                            1 => dst.copy_from_slice(src),
                            _ => dst[..t.saturating_sub(1)].copy_from_slice(&src[1..]),
                        }
                    }
                }
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((b, c * 9, plane))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let g = grad_res.contiguous()?;
        Ok(Some(g.apply_op2_no_bwd(arg, &Col2im3x3)?))
    }
}

/// Adjoint of [`Im2col3x3`]: `(B, C·9, F·T)` column gradients → `(B, C, F, T)`; the second
/// argument only supplies the shape.
struct Col2im3x3;

impl CustomOp2 for Col2im3x3 {
    fn name(&self) -> &'static str {
        "col2im3x3"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        _s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (b, c, f, t) = dims4(l2, self.name())?;
        let g = f32_slice(s1, l1, self.name())?;
        let plane = f * t;
        if g.len() != b * c * 9 * plane {
            candle_core::bail!("col2im3x3: {} values for {b}×{c}×9×{plane}", g.len());
        }
        let mut out = vec![0f32; b * c * plane];
        for_planes(&mut out, plane, |p, xp| {
            let rows = &g[p * 9 * plane..(p + 1) * 9 * plane];
            for di in 0..3 {
                for dj in 0..3 {
                    let row = &rows[(di * 3 + dj) * plane..(di * 3 + dj + 1) * plane];
                    for fo in 0..f {
                        let fi = fo + di;
                        if fi < 1 || fi > f {
                            continue;
                        }
                        let dst = &mut xp[(fi - 1) * t..fi * t];
                        let src = &row[fo * t..(fo + 1) * t];
                        let n = t.saturating_sub(1);
                        match dj {
                            0 => dst[..n]
                                .iter_mut()
                                .zip(&src[1..])
                                .for_each(|(d, s)| *d += s),
                            1 => dst.iter_mut().zip(src).for_each(|(d, s)| *d += s),
                            _ => dst[1..]
                                .iter_mut()
                                .zip(&src[..n])
                                .for_each(|(d, s)| *d += s),
                        }
                    }
                }
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((b, c, f, t))))
    }
}

struct MaxPool2d {
    pf: usize,
    pt: usize,
}

impl MaxPool2d {
    /// Index within the `(f, t)` plane of the first maximum of output cell `(fo, to)`.
    fn argmax(&self, xp: &[f32], t: usize, fo: usize, to: usize) -> usize {
        let mut best = fo * self.pf * t + to * self.pt;
        for a in 0..self.pf {
            let r = (fo * self.pf + a) * t + to * self.pt;
            for i in r..r + self.pt {
                if xp[i] > xp[best] {
                    best = i;
                }
            }
        }
        best
    }
}

impl CustomOp1 for MaxPool2d {
    fn name(&self) -> &'static str {
        "max_pool2d"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (b, c, f, t) = dims4(l, self.name())?;
        let x = f32_slice(s, l, self.name())?;
        let (f2, t2) = (f / self.pf, t / self.pt);
        let mut out = vec![0f32; b * c * f2 * t2];
        for_planes(&mut out, f2 * t2, |p, yp| {
            let xp = &x[p * f * t..(p + 1) * f * t];
            for fo in 0..f2 {
                for to in 0..t2 {
                    yp[fo * t2 + to] = xp[self.argmax(xp, t, fo, to)];
                }
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((b, c, f2, t2))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let g = grad_res.contiguous()?;
        let op = MaxPool2dBackward {
            pf: self.pf,
            pt: self.pt,
        };
        Ok(Some(arg.apply_op2_no_bwd(&g, &op)?))
    }
}

/// `(input, grad of the pooled output)` → grad of the input: each window's gradient goes to
/// its first maximum.
struct MaxPool2dBackward {
    pf: usize,
    pt: usize,
}

impl CustomOp2 for MaxPool2dBackward {
    fn name(&self) -> &'static str {
        "max_pool2d_backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (b, c, f, t) = dims4(l1, self.name())?;
        let x = f32_slice(s1, l1, self.name())?;
        let g = f32_slice(s2, l2, self.name())?;
        let (f2, t2) = (f / self.pf, t / self.pt);
        if g.len() != b * c * f2 * t2 {
            candle_core::bail!("max_pool2d_backward: gradient of {} values", g.len());
        }
        let fwd = MaxPool2d {
            pf: self.pf,
            pt: self.pt,
        };
        let mut out = vec![0f32; b * c * f * t];
        for_planes(&mut out, f * t, |p, dp| {
            let xp = &x[p * f * t..(p + 1) * f * t];
            let gp = &g[p * f2 * t2..(p + 1) * f2 * t2];
            for fo in 0..f2 {
                for to in 0..t2 {
                    dp[fwd.argmax(xp, t, fo, to)] += gp[fo * t2 + to];
                }
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((b, c, f, t))))
    }
}

/// What a fused op's forward pass keeps for its backward pass (a custom op is one value in
/// Candle's graph, shared by both passes); clones share the slot, so the caller can read it
/// too.
struct Saved<T>(std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<T>>>>);

impl<T> Clone for Saved<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Default for Saved<T> {
    fn default() -> Self {
        Self(std::sync::Arc::new(std::sync::Mutex::new(None)))
    }
}

impl<T> Saved<T> {
    fn put(&self, v: T) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(std::sync::Arc::new(v));
        }
    }

    /// The saved values, or an error naming `op` when its forward pass did not run.
    fn get(&self, op: &str) -> Result<std::sync::Arc<T>> {
        match self.0.lock().ok().and_then(|s| s.clone()) {
            Some(v) => Ok(v),
            None => candle_core::bail!("{op}: backward without a forward pass"),
        }
    }
}

/// Per-channel sums over the `(B, F, T)` planes of a `(B, C, F, T)` tensor: `f(c, plane of
/// item b, b)` accumulated for each channel `c` (parallel over channels).
fn per_channel<const N: usize>(
    x: &[f32],
    (b, c, plane): (usize, usize, usize),
    f: impl Fn(usize, &[f32], usize) -> [f64; N] + Sync + Send,
) -> Vec<[f64; N]> {
    let one = |ch: usize| {
        (0..b).fold([0f64; N], |mut acc, item| {
            let p = (item * c + ch) * plane;
            let v = f(ch, &x[p..p + plane], item);
            acc.iter_mut().zip(v).for_each(|(a, v)| *a += v);
            acc
        })
    };
    if !parallel(x.len()) {
        (0..c).map(one).collect()
    } else {
        (0..c).into_par_iter().map(one).collect()
    }
}

/// Batch normalisation of `(B, C, F, T)` maps followed by ReLU and a time mask, as one op with
/// its own backward (Candle's `BatchNorm` in training mode is ten ops — a transposed copy,
/// means, squares, broadcasts — each with its backward):
/// `y = max(0, γ_c·(x − μ_c)/√(σ²_c + ε) + β_c)` at frames `t < lengths[b]`, 0 after.
/// With `running = None` the statistics are the batch's (over `B·F·T`, padded frames
/// included, as PyTorch's `BatchNorm2d` in training mode), and the call returns them
/// (mean, biased variance) so the caller can update its running averages; with
/// `Some((mean, var))` those are used and the gradient is the evaluation-mode one.
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// // (B, C, F, T) = (1, 2, 1, 3); channel 0 = [1, 2, 3], channel 1 = [0, 0, 6].
/// let x = Tensor::new(&[[[[1f32, 2.0, 3.0]], [[0.0, 0.0, 6.0]]]], &Device::Cpu)?;
/// let gamma = Tensor::ones(2, DType::F32, &Device::Cpu)?;
/// let beta = Tensor::ones(2, DType::F32, &Device::Cpu)?;
/// let (y, stats) = ser_models::ops::batch_norm_relu(&x, (&gamma, &beta), &[2], None, 0.0)?;
/// let y = y.flatten_all()?.to_vec1::<f32>()?;
/// // Channel 0: mean 2, variance 2/3 → [1 − 1.22 → 0 (ReLU), 1, masked]; channel 1: mean 2,
/// // variance 8 → [1 − 2/√8, 1 − 2/√8, masked].
/// let want = [0.0, 1.0, 0.0, 0.292_893_2, 0.292_893_2, 0.0];
/// assert!(y.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6));
/// let (mean, var) = stats.expect("batch statistics");
/// assert_eq!(mean.to_vec1::<f32>()?, vec![2.0, 2.0]);
/// assert_eq!(var.to_vec1::<f32>()?[1], 8.0);
/// # Ok::<(), candle_core::Error>(())
/// ```
pub fn batch_norm_relu(
    x: &Tensor,
    (gamma, beta): (&Tensor, &Tensor),
    lengths: &[usize],
    running: Option<(&Tensor, &Tensor)>,
    eps: f64,
) -> Result<(Tensor, Option<(Tensor, Tensor)>)> {
    let fixed = match running {
        Some((m, v)) => Some((m.to_vec1::<f32>()?, v.to_vec1::<f32>()?)),
        None => None,
    };
    let slot = Saved::default();
    let batch_stats = fixed.is_none();
    let op = BatchNormRelu {
        lengths: lengths.to_vec(),
        eps,
        fixed,
        saved: slot.clone(),
    };
    let y = x
        .contiguous()?
        .apply_op3(&gamma.contiguous()?, &beta.contiguous()?, op)?;
    let stats = match slot.get("batch_norm_relu") {
        Ok(s) if batch_stats => {
            let (c, dev) = (s.mean.len(), x.device());
            Some((
                Tensor::from_slice(&s.mean, c, dev)?,
                Tensor::from_slice(&s.var, c, dev)?,
            ))
        }
        _ => None,
    };
    Ok((y, stats))
}

/// What [`BatchNormRelu`]'s backward needs: the statistics and γ used.
struct BnSaved {
    mean: Vec<f32>,
    var: Vec<f32>,
    inv_std: Vec<f32>,
    gamma: Vec<f32>,
}

struct BatchNormRelu {
    lengths: Vec<usize>,
    eps: f64,
    fixed: Option<(Vec<f32>, Vec<f32>)>,
    /// Filled by the forward pass; shared with [`batch_norm_relu`], which returns the batch
    /// statistics from it.
    saved: Saved<BnSaved>,
}

impl BatchNormRelu {
    /// Frames of item `b` that are inside its length.
    fn valid(&self, b: usize, t: usize) -> usize {
        self.lengths.get(b).map_or(t, |&l| l.min(t))
    }
}

impl CustomOp3 for BatchNormRelu {
    fn name(&self) -> &'static str {
        "batch_norm_relu"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (b, c, f, t) = dims4(l1, self.name())?;
        let x = f32_slice(s1, l1, self.name())?;
        let gamma = f32_slice(s2, l2, self.name())?;
        let beta = f32_slice(s3, l3, self.name())?;
        if gamma.len() != c || beta.len() != c || self.lengths.len() != b {
            candle_core::bail!(
                "{}: {c} channels and {b} items, got γ {}, β {}, {} lengths",
                self.name(),
                gamma.len(),
                beta.len(),
                self.lengths.len()
            );
        }
        let plane = f * t;
        let (mean, var) = match &self.fixed {
            Some((m, v)) if m.len() == c && v.len() == c => (m.clone(), v.clone()),
            Some(_) => candle_core::bail!("{}: running statistics are not {c} long", self.name()),
            None => {
                let n = (b * plane).max(1) as f64;
                let sums = per_channel(x, (b, c, plane), |_, xp, _| {
                    [xp.iter().map(|&v| f64::from(v)).sum::<f64>()]
                });
                let mean: Vec<f32> = sums.iter().map(|s| (s[0] / n) as f32).collect();
                let sq = per_channel(x, (b, c, plane), |ch, xp, _| {
                    let m = f64::from(mean[ch]);
                    [xp.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>()]
                });
                (mean, sq.iter().map(|s| (s[0] / n) as f32).collect())
            }
        };
        let inv_std: Vec<f32> = var
            .iter()
            .map(|&v| (1.0 / (f64::from(v) + self.eps).sqrt()) as f32)
            .collect();
        let mut out = vec![0f32; x.len()];
        for_planes(&mut out, plane, |p, yp| {
            let (item, ch) = (p / c, p % c);
            let valid = self.valid(item, t);
            let (m, k, bb) = (mean[ch], inv_std[ch] * gamma[ch], beta[ch]);
            let xp = &x[p * plane..(p + 1) * plane];
            for (yr, xr) in yp.chunks_exact_mut(t).zip(xp.chunks_exact(t)) {
                for (y, &v) in yr[..valid].iter_mut().zip(&xr[..valid]) {
                    *y = ((v - m) * k + bb).max(0.0);
                }
            }
        });
        self.saved.put(BnSaved {
            mean,
            var,
            inv_std,
            gamma: gamma.to_vec(),
        });
        Ok((CpuStorage::F32(out), Shape::from((b, c, f, t))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        res: &Tensor,
        grad_res: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let saved = self.saved.get(self.name())?;
        let op = BatchNormReluBackward {
            saved,
            batch_stats: self.fixed.is_none(),
        };
        let d = grad_res.contiguous()?.apply_op3_no_bwd(x, res, &op)?;
        unpack(&d, [x.shape(), gamma.shape(), beta.shape()])
    }
}

/// `(grad of y, x, y)` → `[grad x | grad γ | grad β]`, flat. The ReLU and the mask pass the
/// gradient where `y > 0`; with batch statistics the gradient also flows through μ and σ².
struct BatchNormReluBackward {
    saved: std::sync::Arc<BnSaved>,
    batch_stats: bool,
}

impl CustomOp3 for BatchNormReluBackward {
    fn name(&self) -> &'static str {
        "batch_norm_relu_backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (b, c, f, t) = dims4(l1, self.name())?;
        let dy = f32_slice(s1, l1, self.name())?;
        let x = f32_slice(s2, l2, self.name())?;
        let y = f32_slice(s3, l3, self.name())?;
        let sv = &self.saved;
        if x.len() != dy.len() || y.len() != dy.len() || sv.mean.len() != c {
            candle_core::bail!("{}: inputs do not match the forward pass", self.name());
        }
        let plane = f * t;
        let n = (b * plane).max(1) as f32;
        // Σ g and Σ g·x̂ per channel, g = dy where y > 0 (0 at masked frames, where y = 0).
        let sums = per_channel(dy, (b, c, plane), |ch, gp, item| {
            let p = (item * c + ch) * plane;
            let (xp, yp) = (&x[p..p + plane], &y[p..p + plane]);
            let (m, k) = (sv.mean[ch], sv.inv_std[ch]);
            let (mut sg, mut sgx) = (0f64, 0f64);
            for ((&g, &v), &o) in gp.iter().zip(xp).zip(yp) {
                if o > 0.0 {
                    sg += f64::from(g);
                    sgx += f64::from(g * (v - m) * k);
                }
            }
            [sg, sgx]
        });
        let mut out = vec![0f32; dy.len() + 2 * c];
        let (dx, dgb) = out.split_at_mut(dy.len());
        for (ch, s) in sums.iter().enumerate() {
            dgb[ch] = s[1] as f32;
            dgb[c + ch] = s[0] as f32;
        }
        for_planes(dx, plane, |p, dp| {
            let ch = p % c;
            let (m, k) = (sv.mean[ch], sv.inv_std[ch]);
            let scale = sv.gamma[ch] * k;
            let (mg, mgx) = if self.batch_stats {
                (sums[ch][0] as f32 / n, sums[ch][1] as f32 / n)
            } else {
                (0.0, 0.0)
            };
            let range = p * plane..(p + 1) * plane;
            for ((d, &g), (&v, &o)) in dp
                .iter_mut()
                .zip(&dy[range.clone()])
                .zip(x[range.clone()].iter().zip(&y[range]))
            {
                let g = if o > 0.0 { g } else { 0.0 };
                *d = scale * (g - mg - (v - m) * k * mgx);
            }
        });
        let len = out.len();
        Ok((CpuStorage::F32(out), Shape::from(len)))
    }
}

/// Rows per rayon task for the row-wise ops below.
const ROW_BLOCK: usize = 64;

/// The row width `d` (last dimension) and the values of a row-wise op's inputs: contiguous
/// f32 tensors of one size, the first one's shape giving the rows.
fn row_inputs<'a>(
    op: &str,
    inputs: &[(&'a CpuStorage, &Layout)],
) -> Result<(usize, Vec<&'a [f32]>)> {
    let Some((_, l0)) = inputs.first() else {
        candle_core::bail!("{op}: no inputs");
    };
    let d = match l0.shape().dims().last() {
        Some(&d) if d > 0 => d,
        _ => candle_core::bail!("{op}: expects a non-empty last dimension"),
    };
    let values = inputs
        .iter()
        .map(|(s, l)| f32_slice(s, l, op))
        .collect::<Result<Vec<_>>>()?;
    if values.iter().any(|v| v.len() != values[0].len()) {
        candle_core::bail!("{op}: inputs of different sizes");
    }
    Ok((d, values))
}

/// Calls `f(rows of out, rows of each input)` on blocks of [`ROW_BLOCK`] rows of width `d`
/// (inputs of one size; `out` is as large), in parallel when the tensor is large. Returns
/// `out` and the sum of the per-block vectors `f` returns (parameter gradients; empty when
/// there are none).
fn row_blocks(
    inputs: &[&[f32]],
    d: usize,
    f: impl Fn(&mut [f32], &[&[f32]]) -> Vec<f32> + Sync + Send,
) -> (Vec<f32>, Vec<f32>) {
    let mut out = vec![0f32; inputs.first().map_or(0, |x| x.len())];
    let n = ROW_BLOCK * d;
    let run = |(k, o): (usize, &mut [f32])| {
        let ins: Vec<&[f32]> = inputs
            .iter()
            .map(|x| &x[k * n..(k * n + o.len()).min(x.len())])
            .collect();
        ser_dsp::lanes::wide(|| f(o, &ins))
    };
    let parts: Vec<Vec<f32>> = if parallel(out.len()) {
        out.par_chunks_mut(n).enumerate().map(run).collect()
    } else {
        out.chunks_mut(n).enumerate().map(run).collect()
    };
    (out, sum_parts(parts).unwrap_or_default())
}

/// `x + b` over the last dimension (`b` of its width), with a backward pass that sums the
/// gradient's rows for `b` in one pass (Candle's broadcast-add backward reduces over the
/// leading dimensions with a strided loop). Used for every bias of [`crate::layers::Linear`].
pub fn bias_add(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op2(&b.contiguous()?, BiasAdd)
}

struct BiasAdd;

impl CustomOp2 for BiasAdd {
    fn name(&self) -> &'static str {
        "bias_add"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (d, x) = row_inputs(self.name(), &[(s1, l1)])?;
        let b = f32_slice(s2, l2, self.name())?;
        if b.len() != d {
            candle_core::bail!("bias_add: bias of {} for rows of {d}", b.len());
        }
        let (out, _) = row_blocks(&x, d, |o, ins| {
            for (or, xr) in o.chunks_exact_mut(d).zip(ins[0].chunks_exact(d)) {
                or.iter_mut()
                    .zip(xr.iter().zip(b))
                    .for_each(|(o, (x, b))| *o = x + b);
            }
            Vec::new()
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let db = grad.contiguous()?.apply_op1_no_bwd(&SumRows)?;
        Ok((Some(grad.clone()), Some(db.reshape(b.shape())?)))
    }
}

/// Sum of the rows of a tensor's last dimension: `(…, d)` → `(d)`.
struct SumRows;

impl CustomOp1 for SumRows {
    fn name(&self) -> &'static str {
        "sum_rows"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (d, g) = row_inputs(self.name(), &[(s, l)])?;
        let g = g[0];
        let block = |rows: &[f32]| {
            let mut acc = vec![0f32; d];
            for gr in rows.chunks_exact(d) {
                acc.iter_mut().zip(gr).for_each(|(a, g)| *a += g);
            }
            acc
        };
        let n = ROW_BLOCK * d;
        let parts: Vec<Vec<f32>> = if parallel(g.len()) {
            g.par_chunks(n).map(block).collect()
        } else {
            g.chunks(n).map(block).collect()
        };
        let sum = sum_parts(parts).unwrap_or_else(|| vec![0f32; d]);
        Ok((CpuStorage::F32(sum), Shape::from(d)))
    }
}

/// Layer normalisation over the last dimension, `(x − μ)/√(σ² + ε)·w + b` per row, as one op
/// with its own backward (the chain of primitives it replaces is nine ops and their
/// backward ops, each a pass over memory).
pub fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor, eps: f64) -> Result<Tensor> {
    x.contiguous()?
        .apply_op3(&w.contiguous()?, &b.contiguous()?, LayerNormOp { eps })
}

struct LayerNormOp {
    eps: f64,
}

/// Mean and `1/√(σ² + ε)` of one row (two passes, f32 like the op chain it replaces).
#[inline(always)]
fn row_stats(x: &[f32], eps: f64) -> (f32, f32) {
    let d = x.len() as f32;
    let mean = x.iter().sum::<f32>() / d;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / d;
    (mean, 1.0 / (var + eps as f32).sqrt())
}

impl CustomOp3 for LayerNormOp {
    fn name(&self) -> &'static str {
        "layer_norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (d, x) = row_inputs(self.name(), &[(s1, l1)])?;
        let w = f32_slice(s2, l2, self.name())?;
        let b = f32_slice(s3, l3, self.name())?;
        if w.len() != d || b.len() != d {
            candle_core::bail!(
                "layer_norm: weight {} / bias {} for rows of {d}",
                w.len(),
                b.len()
            );
        }
        let (out, _) = row_blocks(&x, d, |o, ins| {
            for (or, xr) in o.chunks_exact_mut(d).zip(ins[0].chunks_exact(d)) {
                let (m, k) = row_stats(xr, self.eps);
                for (o, (x, (w, b))) in or.iter_mut().zip(xr.iter().zip(w.iter().zip(b))) {
                    *o = (x - m) * k * w + b;
                }
            }
            Vec::new()
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _b: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let op = LayerNormBackward { eps: self.eps };
        let g = grad.contiguous()?.apply_op3_no_bwd(x, w, &op)?;
        unpack(&g, [x.shape(), w.shape(), w.shape()])
    }
}

/// `(grad of y, x, w)` → `[grad x | grad w | grad b]`, flat.
struct LayerNormBackward {
    eps: f64,
}

impl CustomOp3 for LayerNormBackward {
    fn name(&self) -> &'static str {
        "layer_norm_backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (d, dy_x) = row_inputs(self.name(), &[(s1, l1), (s2, l2)])?;
        let w = f32_slice(s3, l3, self.name())?;
        if w.len() != d {
            candle_core::bail!("layer_norm_backward: inputs do not match the forward pass");
        }
        let (mut dx, dwb) = row_blocks(&dy_x, d, |o, ins| {
            let mut acc = vec![0f32; 2 * d];
            let (aw, ab) = acc.split_at_mut(d);
            let rows = o
                .chunks_exact_mut(d)
                .zip(ins[0].chunks_exact(d).zip(ins[1].chunks_exact(d)));
            for (or, (gr, xr)) in rows {
                let (m, k) = row_stats(xr, self.eps);
                // g = dy·w; dx = k·(g − mean(g) − x̂·mean(g·x̂)).
                let (mut sg, mut sgx) = (0f32, 0f32);
                for ((&g, &x), &w) in gr.iter().zip(xr).zip(w) {
                    let xh = (x - m) * k;
                    sg += g * w;
                    sgx += g * w * xh;
                }
                let (mg, mgx) = (sg / d as f32, sgx / d as f32);
                for (j, (o, (&g, &x))) in or.iter_mut().zip(gr.iter().zip(xr)).enumerate() {
                    let xh = (x - m) * k;
                    *o = k * (g * w[j] - mg - xh * mgx);
                    aw[j] += g * xh;
                    ab[j] += g;
                }
            }
            acc
        });
        let dwb = if dwb.is_empty() {
            vec![0f32; 2 * d]
        } else {
            dwb
        };
        dx.extend_from_slice(&dwb);
        let len = dx.len();
        Ok((CpuStorage::F32(dx), Shape::from(len)))
    }
}

/// Softmax over the last dimension with its own backward (`dx = y·(dy − Σ dy·y)`), the
/// exponentials from [`ser_dsp::lanes::exp`] (vectorised; within ~3e-7 of libm's).
pub fn softmax_last(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(SoftmaxLast)
}

struct SoftmaxLast;

impl CustomOp1 for SoftmaxLast {
    fn name(&self) -> &'static str {
        "softmax_last"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (d, x) = row_inputs(self.name(), &[(s, l)])?;
        let (out, _) = row_blocks(&x, d, |o, ins| {
            for (or, xr) in o.chunks_exact_mut(d).zip(ins[0].chunks_exact(d)) {
                let m = xr.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
                let mut sum = 0f32;
                for (o, &x) in or.iter_mut().zip(xr) {
                    *o = ser_dsp::lanes::exp(x - m);
                    sum += *o;
                }
                let inv = 1.0 / sum;
                or.iter_mut().for_each(|o| *o *= inv);
            }
            Vec::new()
        });
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(&self, _x: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(
            grad.contiguous()?.apply_op2_no_bwd(res, &SoftmaxBackward)?,
        ))
    }
}

/// `(grad of y, y)` → grad of x.
struct SoftmaxBackward;

impl CustomOp2 for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "softmax_last_backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (d, dy_y) = row_inputs(self.name(), &[(s1, l1), (s2, l2)])?;
        let (out, _) = row_blocks(&dy_y, d, |o, ins| {
            let rows = o
                .chunks_exact_mut(d)
                .zip(ins[0].chunks_exact(d).zip(ins[1].chunks_exact(d)));
            for (or, (gr, yr)) in rows {
                let dot: f32 = gr.iter().zip(yr).map(|(g, y)| g * y).sum();
                for (o, (g, y)) in or.iter_mut().zip(gr.iter().zip(yr)) {
                    *o = y * (g - dot);
                }
            }
            Vec::new()
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// Exact-erf GELU (PyTorch's default `gelu`) with its own backward
/// (`Φ(x) + x·φ(x)`), `erf` from [`ser_dsp::lanes::erf`] (|error| < 1e-7, vectorised).
pub fn gelu(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1(Gelu)
}

struct Gelu;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "gelu"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let (d, x) = row_inputs(self.name(), &[(s, l)])?;
        let (out, _) = row_blocks(&x, d, |o, ins| {
            o.iter_mut()
                .zip(ins[0])
                .for_each(|(o, &x)| *o = ser_dsp::lanes::gelu(x));
            Vec::new()
        });
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad.contiguous()?.apply_op2_no_bwd(x, &GeluBackward)?))
    }
}

/// `(grad of y, x)` → grad of x.
struct GeluBackward;

impl CustomOp2 for GeluBackward {
    fn name(&self) -> &'static str {
        "gelu_backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (d, dy_x) = row_inputs(self.name(), &[(s1, l1), (s2, l2)])?;
        const INV_SQRT_2PI: f32 = 0.398_942_3;
        let (out, _) = row_blocks(&dy_x, d, |o, ins| {
            for (o, (&g, &x)) in o.iter_mut().zip(ins[0].iter().zip(ins[1])) {
                let cdf = 0.5 * (1.0 + ser_dsp::lanes::erf(x * std::f32::consts::FRAC_1_SQRT_2));
                let pdf = INV_SQRT_2PI * ser_dsp::lanes::exp(-0.5 * x * x);
                *o = g * (cdf + x * pdf);
            }
            Vec::new()
        });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// A strided matrix inside a slice: element `(i, j)` is at `off + i·rs + j·cs`.
#[derive(Debug, Clone, Copy)]
struct View {
    off: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl View {
    /// A row-major matrix whose rows are `rs` apart, starting at `off`.
    fn rows(off: usize, rows: usize, cols: usize, rs: usize) -> Self {
        Self {
            off,
            rows,
            cols,
            rs,
            cs: 1,
        }
    }

    /// The same elements read as the transposed matrix.
    fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
            ..self
        }
    }

    /// One past the last element, checked against `len`.
    fn check(&self, len: usize, what: &str) -> Result<()> {
        let end = if self.rows == 0 || self.cols == 0 {
            self.off
        } else {
            self.off + (self.rows - 1) * self.rs + (self.cols - 1) * self.cs + 1
        };
        if end > len {
            candle_core::bail!("gemm: {what} view ends at {end}, slice has {len}");
        }
        Ok(())
    }
}

/// `dst ← (dst if accumulate) + lhs · rhs` on the `gemm` crate's kernels (the ones Candle's
/// CPU matmul uses), on slices: the per-step products of a recurrence, which would otherwise
/// be one Candle op (and one backward op) per time step. Multi-threaded over the rayon pool
/// when `parallel` and the pool has more than one thread.
#[allow(unsafe_code)]
fn gemm_into(
    dst: &mut [f32],
    d: View,
    accumulate: bool,
    (lhs, l): (&[f32], View),
    (rhs, r): (&[f32], View),
    parallel: bool,
) -> Result<()> {
    if l.rows != d.rows || r.cols != d.cols || l.cols != r.rows {
        candle_core::bail!(
            "gemm: {}×{} · {}×{} into {}×{}",
            l.rows,
            l.cols,
            r.rows,
            r.cols,
            d.rows,
            d.cols
        );
    }
    // The destination must not overlap itself: row-major, rows at least a row apart.
    if d.cs != 1 || (d.rows > 1 && d.rs < d.cols) {
        candle_core::bail!("gemm: destination rows overlap");
    }
    d.check(dst.len(), "destination")?;
    l.check(lhs.len(), "left")?;
    r.check(rhs.len(), "right")?;
    if d.rows == 0 || d.cols == 0 {
        return Ok(());
    }
    let threads = rayon::current_num_threads();
    let parallelism = if parallel && threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    let at = |v: View| [v.off, v.rs, v.cs].map(|x| x as isize);
    let ([d_off, d_rs, d_cs], [l_off, l_rs, l_cs], [r_off, r_rs, r_cs]) = (at(d), at(l), at(r));
    // SAFETY: every element the kernel reads or writes lies inside its slice (checked just
    // above from the views' extents); `dst` is a unique borrow, so it aliases neither operand,
    // and its rows do not overlap (checked), so parallel writes touch distinct elements.
    unsafe {
        gemm::gemm(
            d.rows,
            d.cols,
            l.cols,
            dst.as_mut_ptr().offset(d_off),
            d_cs,
            d_rs,
            accumulate,
            lhs.as_ptr().offset(l_off),
            l_cs,
            l_rs,
            rhs.as_ptr().offset(r_off),
            r_cs,
            r_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
    Ok(())
}

/// The recurrence of one LSTM direction over a whole sequence, PyTorch's gate order
/// (i, f, g, o), zero initial state: input projections `xp (B, T, 4H)` (`x·W_ihᵀ`), the
/// recurrent weight `w_hh (4H, H)` and the summed bias `b (4H)` (`b_ih + b_hh`) → hidden
/// states `(B, T, H)`, with `gates_t = xp_t + b + h_{t−1}·W_hhᵀ`,
/// `c_t = σ(f)·c_{t−1} + σ(i)·tanh(g)`, `h_t = σ(o)·tanh(c_t)`.
///
/// One op with its own backward (back-propagation through time, one GEMM per step on the
/// kernels Candle's matmul uses) instead of a matmul, a slice and a dozen element-wise ops per
/// step and their backward ops. The gate non-linearities use [`ser_dsp::lanes::exp`], so
/// their loops vectorise (σ and tanh agree with libm's to ~3e-7). Sequences of a batch are
/// independent, so groups of them run on separate rayon threads.
///
/// ```
/// use candle_core::{DType, Device, Tensor};
/// let (b, t, h) = (2, 5, 3);
/// let xp = Tensor::zeros((b, t, 4 * h), DType::F32, &Device::Cpu)?;
/// let w_hh = Tensor::ones((4 * h, h), DType::F32, &Device::Cpu)?;
/// let bias = Tensor::zeros(4 * h, DType::F32, &Device::Cpu)?;
/// let hs = ser_models::ops::lstm_sequence(&xp, &w_hh, &bias)?;
/// assert_eq!(hs.dims(), &[b, t, h]);
/// // Zero input and state: c = σ(0)·tanh(0) = 0, so h = 0 at the first step.
/// assert_eq!(hs.get(0)?.get(0)?.to_vec1::<f32>()?, vec![0.0; 3]);
/// # Ok::<(), candle_core::Error>(())
/// ```
pub fn lstm_sequence(xp: &Tensor, w_hh: &Tensor, bias: &Tensor) -> Result<Tensor> {
    xp.contiguous()?.apply_op3(
        &w_hh.contiguous()?,
        &bias.contiguous()?,
        LstmSequence::default(),
    )
}

/// `1 / (1 + e^−v)`, vectorisable.
#[inline(always)]
fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + ser_dsp::lanes::exp(-v))
}

/// `1 − 2 / (1 + e^2v)`, vectorisable (absolute error ~3e-7).
#[inline(always)]
fn tanh(v: f32) -> f32 {
    1.0 - 2.0 / (1.0 + ser_dsp::lanes::exp(2.0 * v))
}

fn dims2(l: &Layout, op: &str) -> Result<(usize, usize)> {
    match l.shape().dims() {
        &[b, n] => Ok((b, n)),
        d => candle_core::bail!("{op}: expects a matrix, got {d:?}"),
    }
}

/// `(B, T, H)` of an LSTM sequence from `xp (B, T, 4H)`, `w_hh (4H, H)` and `b (4H)`.
fn sequence_dims(lx: &Layout, lw: &Layout, lb: &Layout, op: &str) -> Result<(usize, usize, usize)> {
    let (b, t, h4) = match lx.shape().dims() {
        &[b, t, n] => (b, t, n),
        d => candle_core::bail!("{op}: expects projections (B, T, 4H), got {d:?}"),
    };
    let (wr, h) = dims2(lw, op)?;
    if wr != h4 || h4 != 4 * h || lb.shape().dims() != [h4] {
        candle_core::bail!(
            "{op}: projections of width {h4} do not fit w_hh {wr}×{h} and bias {:?}",
            lb.shape().dims()
        );
    }
    Ok((b, t, h))
}

/// Sequences per rayon task: the batch split into one group per thread.
fn group_size(b: usize) -> usize {
    b.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// Values kept per frame for the backward pass: the cell state and the activated gates,
/// `[c | σ(i) | σ(f) | tanh(g) | σ(o)]` (5H).
const SAVED: usize = 5;

/// Splits a row of `4H` (or `5H`) values into its `H`-wide parts.
fn parts<const N: usize>(row: &[f32], h: usize) -> [&[f32]; N] {
    std::array::from_fn(|k| &row[k * h..(k + 1) * h])
}

/// One step of one sequence: gate pre-activations `g (4H)` and the previous cell → the saved
/// frame `sv = [c | i | f | g | o]` and the hidden state `out (H)`.
#[inline(always)]
fn cell_forward(g: &[f32], c_prev: &[f32], sv: &mut [f32], out: &mut [f32]) {
    let h = out.len();
    let [gi, gf, gg, go] = parts::<4>(g, h);
    let (c, rest) = sv.split_at_mut(h);
    let (si, rest) = rest.split_at_mut(h);
    let (sf, rest) = rest.split_at_mut(h);
    let (sg, so) = rest.split_at_mut(h);
    let c_prev = &c_prev[..h];
    for j in 0..h {
        let (i, f, g, o) = (sigmoid(gi[j]), sigmoid(gf[j]), tanh(gg[j]), sigmoid(go[j]));
        let cn = f * c_prev[j] + i * g;
        c[j] = cn;
        si[j] = i;
        sf[j] = f;
        sg[j] = g;
        so[j] = o;
        out[j] = o * tanh(cn);
    }
}

/// One step of back-propagation through one sequence: the saved frame, the previous cell,
/// the incoming `dh` (gradient of the output plus the recurrent one) and `dc` (carried from
/// the next step, updated in place) → gate pre-activation gradients `d (4H)`.
#[inline(always)]
fn cell_backward(sv: &[f32], c_prev: &[f32], dh: &[f32], dc_next: &mut [f32], d: &mut [f32]) {
    let h = dh.len();
    let [c, i, f, g, o] = parts::<5>(sv, h);
    let (di, rest) = d.split_at_mut(h);
    let (df, rest) = rest.split_at_mut(h);
    let (dg, d_o) = rest.split_at_mut(h);
    let (c_prev, dc_next) = (&c_prev[..h], &mut dc_next[..h]);
    for j in 0..h {
        let tc = tanh(c[j]);
        let dc = dc_next[j] + dh[j] * o[j] * (1.0 - tc * tc);
        di[j] = dc * g[j] * i[j] * (1.0 - i[j]);
        df[j] = dc * c_prev[j] * f[j] * (1.0 - f[j]);
        dg[j] = dc * i[j] * (1.0 - g[j] * g[j]);
        d_o[j] = dh[j] * tc * o[j] * (1.0 - o[j]);
        dc_next[j] = dc * f[j];
    }
}

/// Forward of [`lstm_sequence`]; keeps what its backward needs.
#[derive(Default)]
struct LstmSequence {
    saved: Saved<Vec<f32>>,
}

impl LstmSequence {
    /// The recurrence for one group of sequences: `xp (nb, T, 4H)` → `out (nb, T, H)`,
    /// `saved (nb, T, 5H)`.
    fn group(
        xp: &[f32],
        (w, bias): (&[f32], &[f32]),
        out: &mut [f32],
        saved: &mut [f32],
        t: usize,
        h: usize,
    ) -> Result<()> {
        let nb = out.len() / (t * h).max(1);
        let (h4, h5) = (4 * h, SAVED * h);
        let mut gates = vec![0f32; nb * h4];
        let zeros = vec![0f32; h];
        for s in 0..t {
            for (r, g) in gates.chunks_exact_mut(h4).enumerate() {
                let x = &xp[(r * t + s) * h4..(r * t + s + 1) * h4];
                g.iter_mut()
                    .zip(x.iter().zip(bias))
                    .for_each(|(g, (x, b))| *g = x + b);
            }
            if s > 0 {
                // gates += h_{s−1} · W_hhᵀ.
                let prev = View::rows((s - 1) * h, nb, h, t * h);
                let wt = View::rows(0, h4, h, h).t();
                let dst = View::rows(0, nb, h4, h4);
                gemm_into(&mut gates, dst, true, (out, prev), (w, wt), false)?;
            }
            ser_dsp::lanes::wide(|| {
                for (r, g) in gates.chunks_exact(h4).enumerate() {
                    let at = r * t + s;
                    let (before, here) = saved.split_at_mut(at * h5);
                    let c_prev = if s > 0 {
                        &before[(at - 1) * h5..]
                    } else {
                        &zeros
                    };
                    cell_forward(g, c_prev, &mut here[..h5], &mut out[at * h..(at + 1) * h]);
                }
            });
        }
        Ok(())
    }
}

impl CustomOp3 for LstmSequence {
    fn name(&self) -> &'static str {
        "lstm_sequence"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (b, t, h) = sequence_dims(l1, l2, l3, self.name())?;
        let xp = f32_slice(s1, l1, self.name())?;
        let w = f32_slice(s2, l2, self.name())?;
        let bias = f32_slice(s3, l3, self.name())?;
        let mut out = vec![0f32; b * t * h];
        let mut saved = vec![0f32; b * t * SAVED * h];
        let nb = group_size(b);
        if t * h > 0 {
            out.par_chunks_mut(nb * t * h)
                .zip(saved.par_chunks_mut(nb * t * SAVED * h))
                .zip(xp.par_chunks(nb * t * 4 * h))
                .try_for_each(|((o, sv), x)| Self::group(x, (w, bias), o, sv, t, h))?;
        }
        self.saved.put(saved);
        Ok((CpuStorage::F32(out), Shape::from((b, t, h))))
    }

    fn bwd(
        &self,
        xp: &Tensor,
        w_hh: &Tensor,
        bias: &Tensor,
        res: &Tensor,
        grad_res: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let saved = self.saved.get(self.name())?;
        let d =
            grad_res
                .contiguous()?
                .apply_op3_no_bwd(res, w_hh, &LstmSequenceBackward { saved })?;
        unpack(&d, [xp.shape(), w_hh.shape(), bias.shape()])
    }
}

/// Back-propagation through time for [`lstm_sequence`]: `(grad of h (B, T, H), h, w_hh)` →
/// `[grad xp (B·T·4H) | grad w_hh (4H·H) | grad bias (4H)]`, flat.
struct LstmSequenceBackward {
    saved: std::sync::Arc<Vec<f32>>,
}

impl LstmSequenceBackward {
    /// One group of sequences: fills `dxp (nb, T, 4H)` and returns its `[grad w_hh | grad b]`.
    fn group(
        (gh, hs, saved): (&[f32], &[f32], &[f32]),
        w: &[f32],
        dxp: &mut [f32],
        t: usize,
        h: usize,
    ) -> Result<Vec<f32>> {
        let nb = gh.len() / (t * h).max(1);
        let (h4, h5) = (4 * h, SAVED * h);
        let mut dh = vec![0f32; nb * h];
        let mut dc_next = vec![0f32; nb * h];
        let zeros = vec![0f32; h];
        for s in (0..t).rev() {
            ser_dsp::lanes::wide(|| {
                for (r, (dh, dc)) in dh
                    .chunks_exact_mut(h)
                    .zip(dc_next.chunks_exact_mut(h))
                    .enumerate()
                {
                    let at = r * t + s;
                    // dh holds dgates_{s+1}·W_hh here; add the output's own gradient.
                    dh.iter_mut()
                        .zip(&gh[at * h..(at + 1) * h])
                        .for_each(|(d, g)| *d += g);
                    let c_prev = if s > 0 {
                        &saved[(at - 1) * h5..]
                    } else {
                        &zeros
                    };
                    let sv = &saved[at * h5..(at + 1) * h5];
                    cell_backward(sv, c_prev, dh, dc, &mut dxp[at * h4..(at + 1) * h4]);
                }
            });
            if s > 0 {
                // dh_{s−1} = dgates_s · W_hh.
                let dg = View::rows(s * h4, nb, h4, t * h4);
                let dst = View::rows(0, nb, h, h);
                gemm_into(
                    &mut dh,
                    dst,
                    false,
                    (dxp, dg),
                    (w, View::rows(0, h4, h, h)),
                    false,
                )?;
            }
        }
        // grad W_hh = Σ_s dgates_sᵀ · h_{s−1}, one product per sequence; grad b = Σ dgates.
        let mut dwb = vec![0f32; h4 * h + h4];
        let (dw, db) = dwb.split_at_mut(h4 * h);
        if t > 1 {
            for r in 0..nb {
                let dg = View::rows((r * t + 1) * h4, t - 1, h4, h4).t();
                let prev = View::rows(r * t * h, t - 1, h, h);
                gemm_into(
                    dw,
                    View::rows(0, h4, h, h),
                    true,
                    (dxp, dg),
                    (hs, prev),
                    false,
                )?;
            }
        }
        for row in dxp.chunks_exact(h4) {
            db.iter_mut().zip(row).for_each(|(a, v)| *a += v);
        }
        Ok(dwb)
    }
}

impl CustomOp3 for LstmSequenceBackward {
    fn name(&self) -> &'static str {
        "lstm_sequence_backward"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (b, t, h) = match l1.shape().dims() {
            &[b, t, h] => (b, t, h),
            d => candle_core::bail!("{}: expects (B, T, H), got {d:?}", self.name()),
        };
        let gh = f32_slice(s1, l1, self.name())?;
        let hs = f32_slice(s2, l2, self.name())?;
        let w = f32_slice(s3, l3, self.name())?;
        if hs.len() != gh.len() || w.len() != 4 * h * h || self.saved.len() != b * t * SAVED * h {
            candle_core::bail!("{}: inputs do not match the forward pass", self.name());
        }
        let n = b * t * 4 * h;
        let mut out = vec![0f32; n + 4 * h * h + 4 * h];
        let (dxp, dwb) = out.split_at_mut(n);
        let nb = group_size(b);
        if t * h > 0 {
            let partial: Vec<Vec<f32>> = dxp
                .par_chunks_mut(nb * t * 4 * h)
                .zip(gh.par_chunks(nb * t * h))
                .zip(hs.par_chunks(nb * t * h))
                .zip(self.saved.par_chunks(nb * t * SAVED * h))
                .map(|(((d, g), hh), sv)| Self::group((g, hh, sv), w, d, t, h))
                .collect::<Result<_>>()?;
            if let Some(total) = sum_parts(partial) {
                dwb.copy_from_slice(&total);
            }
        }
        let len = out.len();
        Ok((CpuStorage::F32(out), Shape::from(len)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::tensor_max_abs_diff as max_abs;
    use candle_core::{Device, Var};

    fn randn(shape: (usize, usize, usize, usize), seed: u64) -> Tensor {
        use rand::{Rng, SeedableRng};
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = shape.0 * shape.1 * shape.2 * shape.3;
        let v: Vec<f32> = (0..n).map(|_| r.gen_range(-1.0f32..1.0)).collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    /// The op chain `Conv3x3` used before: pad, 9 narrows, stack.
    fn im2col_reference(x: &Tensor) -> Tensor {
        let (b, c, f, t) = x.dims4().unwrap();
        let xp = x
            .pad_with_zeros(2, 1, 1)
            .unwrap()
            .pad_with_zeros(3, 1, 1)
            .unwrap();
        let mut taps = Vec::new();
        for di in 0..3 {
            for dj in 0..3 {
                taps.push(xp.narrow(2, di, f).unwrap().narrow(3, dj, t).unwrap());
            }
        }
        Tensor::stack(&taps, 2)
            .unwrap()
            .reshape((b, c * 9, f * t))
            .unwrap()
    }

    /// Gradient of `sum(op(x) · w)` for a fixed random `w`.
    fn grad_of(x: &Tensor, op: impl Fn(&Tensor) -> Tensor, seed: u64) -> (Tensor, Tensor) {
        let v = Var::from_tensor(x).unwrap();
        let y = op(v.as_tensor());
        let w = randn((y.elem_count(), 1, 1, 1), seed)
            .reshape(y.shape())
            .unwrap();
        let loss = (&y * &w).unwrap().sum_all().unwrap();
        let g = loss.backward().unwrap();
        (y, g.get(v.as_tensor()).unwrap().clone())
    }

    #[test]
    fn im2col_matches_the_op_chain_forward_and_backward() {
        for &(b, c, f, t) in &[(2, 3, 5, 7), (1, 1, 1, 1), (1, 2, 4, 1), (3, 1, 2, 9)] {
            let x = randn((b, c, f, t), 1);
            let (y, g) = grad_of(&x, |x| im2col3x3(x).unwrap(), 2);
            let (y_ref, g_ref) = grad_of(&x, im2col_reference, 2);
            assert_eq!(max_abs(&y, &y_ref), 0.0, "forward {b}x{c}x{f}x{t}");
            assert!(max_abs(&g, &g_ref) < 1e-6, "backward {b}x{c}x{f}x{t}");
        }
    }

    #[test]
    fn max_pool_matches_candle_max_forward_and_backward() {
        let reference = |x: &Tensor, pf: usize, pt: usize| {
            let (b, c, f, t) = x.dims4().unwrap();
            let (f2, t2) = (f / pf, t / pt);
            x.narrow(2, 0, f2 * pf)
                .unwrap()
                .narrow(3, 0, t2 * pt)
                .unwrap()
                .reshape((b, c, f2, pf, t2, pt))
                .unwrap()
                .max(5)
                .unwrap()
                .max(3)
                .unwrap()
        };
        // Random values have no ties, so Candle's "every maximum" rule equals ours.
        for &(pf, pt) in &[(2, 2), (2, 1), (1, 3), (3, 2)] {
            let x = randn((2, 3, 7, 8), 3);
            let (y, g) = grad_of(&x, |x| max_pool2d(x, pf, pt).unwrap(), 4);
            let (y_ref, g_ref) = grad_of(&x, |x| reference(x, pf, pt), 4);
            assert_eq!(max_abs(&y, &y_ref), 0.0, "forward {pf}x{pt}");
            assert!(max_abs(&g, &g_ref) < 1e-6, "backward {pf}x{pt}");
        }
        assert!(max_pool2d(&randn((1, 1, 2, 2), 0), 0, 1).is_err());
    }

    /// The per-step Candle chain `LstmDir` used before: matmul, narrows, sigmoid / tanh,
    /// products.
    fn lstm_reference(xp: &Tensor, w_hh: &Tensor, bias: &Tensor) -> Tensor {
        let (b, t, h4) = xp.dims3().unwrap();
        let h = h4 / 4;
        let s = |t: Tensor| candle_nn::ops::sigmoid(&t).unwrap();
        let mut hs = Tensor::zeros((b, h), candle_core::DType::F32, &Device::Cpu).unwrap();
        let mut c = hs.clone();
        let mut outs = Vec::new();
        for step in 0..t {
            let g = (xp.narrow(1, step, 1).unwrap().squeeze(1).unwrap()
                + hs.matmul(&w_hh.t().unwrap()).unwrap())
            .unwrap()
            .broadcast_add(bias)
            .unwrap();
            let i = s(g.narrow(1, 0, h).unwrap());
            let f = s(g.narrow(1, h, h).unwrap());
            let gg = g.narrow(1, 2 * h, h).unwrap().tanh().unwrap();
            let o = s(g.narrow(1, 3 * h, h).unwrap());
            c = ((f * &c).unwrap() + (i * gg).unwrap()).unwrap();
            hs = (o * c.tanh().unwrap()).unwrap();
            outs.push(hs.clone());
        }
        Tensor::stack(&outs, 1).unwrap()
    }

    fn randn3(shape: (usize, usize, usize), scale: f64, seed: u64) -> Tensor {
        (randn((shape.0, shape.1, shape.2, 1), seed)
            .reshape(shape)
            .unwrap()
            * scale)
            .unwrap()
    }

    /// Forward values and the gradients of `sum(op(inputs) · v)` for every input.
    fn grads_of(
        op: &dyn Fn(&[Tensor]) -> Tensor,
        inputs: &[Tensor],
        v: &Tensor,
    ) -> (Tensor, Vec<Tensor>) {
        let vars: Vec<Var> = inputs
            .iter()
            .map(|x| Var::from_tensor(x).unwrap())
            .collect();
        let ts: Vec<Tensor> = vars.iter().map(|x| x.as_tensor().clone()).collect();
        let y = op(&ts);
        let grads = (&y * v).unwrap().sum_all().unwrap().backward().unwrap();
        (
            y,
            ts.iter().map(|t| grads.get(t).unwrap().clone()).collect(),
        )
    }

    /// Central finite differences (f64 on the loss, f32 ops, step 1e-3) of
    /// `sum(op(inputs) · v)` against `grads`, to `tol`.
    fn check_finite_differences(
        name: &str,
        op: &dyn Fn(&[Tensor]) -> Tensor,
        inputs: &[Tensor],
        v: &Tensor,
        grads: &[Tensor],
        tol: f64,
    ) {
        let loss = |a: &[Tensor]| -> f64 {
            let y: Vec<f32> = (op(a) * v)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            y.iter().map(|&e| f64::from(e)).sum()
        };
        let eps = 1e-3f32;
        for (which, grad) in grads.iter().enumerate() {
            let xs: Vec<f32> = inputs[which].flatten_all().unwrap().to_vec1().unwrap();
            let gs: Vec<f32> = grad.flatten_all().unwrap().to_vec1().unwrap();
            for k in 0..xs.len() {
                let bumped = |delta: f32| {
                    let mut p = xs.clone();
                    p[k] += delta;
                    let mut a = inputs.to_vec();
                    a[which] = Tensor::from_vec(p, inputs[which].shape(), &Device::Cpu).unwrap();
                    loss(&a)
                };
                let fd = (bumped(eps) - bumped(-eps)) / (2.0 * f64::from(eps));
                assert!(
                    (fd - f64::from(gs[k])).abs() < tol,
                    "{name} input {which} [{k}]: autograd {} vs finite difference {fd}",
                    gs[k]
                );
            }
        }
    }

    fn lstm_op(a: &[Tensor]) -> Tensor {
        lstm_sequence(&a[0], &a[1], &a[2]).unwrap()
    }

    /// Random `(xp (B, T, 4H), w_hh (4H, H), b (4H))` and output weights `(B, T, H)`.
    fn lstm_inputs(b: usize, t: usize, h: usize, seed: u64) -> ([Tensor; 3], Tensor) {
        let xp = randn3((b, t, 4 * h), 2.0, seed);
        let w = randn3((4 * h, h, 1), 0.6, seed + 1)
            .reshape((4 * h, h))
            .unwrap();
        let bias = randn3((4 * h, 1, 1), 0.5, seed + 2).flatten_all().unwrap();
        ([xp, w, bias], randn3((b, t, h), 1.0, seed + 3))
    }

    #[test]
    fn lstm_sequence_matches_the_per_step_chain_forward_and_backward() {
        // Several batch sizes, so that groups of sequences split across threads differently;
        // a single-frame sequence; a batch of one.
        for &(b, t, h) in &[(3, 7, 5), (8, 20, 16), (1, 1, 4), (5, 2, 3)] {
            let (inputs, v) = lstm_inputs(b, t, h, 7);
            let (y, d) = grads_of(&lstm_op, &inputs, &v);
            let reference = |a: &[Tensor]| lstm_reference(&a[0], &a[1], &a[2]);
            let (y_ref, d_ref) = grads_of(&reference, &inputs, &v);
            // The fused op's σ / tanh are within ~3e-7 of libm's.
            assert!(max_abs(&y, &y_ref) < 1e-5, "forward {b}x{t}x{h}");
            for (name, (g, g_ref)) in ["xp", "w_hh", "bias"].iter().zip(d.iter().zip(&d_ref)) {
                let scale = g_ref
                    .abs()
                    .unwrap()
                    .max_all()
                    .unwrap()
                    .to_scalar::<f32>()
                    .unwrap();
                let tol = 1e-5 * (1.0 + scale);
                assert!(max_abs(g, g_ref) < tol, "grad {name} {b}x{t}x{h}");
            }
        }
    }

    #[test]
    fn lstm_sequence_gradients_match_finite_differences() {
        let (inputs, v) = lstm_inputs(2, 4, 3, 11);
        let (_, d) = grads_of(&lstm_op, &inputs, &v);
        check_finite_differences("lstm_sequence", &lstm_op, &inputs, &v, &d, 5e-3);
        // Shapes that do not fit are errors, not panics.
        let [xp, w, bias] = &inputs;
        assert!(lstm_sequence(xp, &w.t().unwrap(), bias).is_err());
        assert!(lstm_sequence(&v, w, bias).is_err());
        assert!(lstm_sequence(xp, w, &bias.narrow(0, 0, 4).unwrap()).is_err());
        assert!(lstm_sequence(w, w, bias).is_err());
    }

    /// The Candle chain `ConvBlock` used before: `candle_nn::BatchNorm`, ReLU, mask.
    fn bn_reference(
        x: &Tensor,
        gamma: &Tensor,
        beta: &Tensor,
        lengths: &[usize],
        train: bool,
    ) -> Tensor {
        let (b, c, _, t) = x.dims4().unwrap();
        let (rm, rv) = (
            Tensor::new(&[0.3f32, -0.2, 0.1][..c], &Device::Cpu).unwrap(),
            Tensor::new(&[1.5f32, 0.5, 2.0][..c], &Device::Cpu).unwrap(),
        );
        let bn = candle_nn::BatchNorm::new(c, rm, rv, gamma.clone(), beta.clone(), 1e-5).unwrap();
        let y = candle_nn::ModuleT::forward_t(&bn, x, train)
            .unwrap()
            .relu()
            .unwrap();
        let m = crate::batch::mask_from_lengths(lengths, t, &Device::Cpu)
            .unwrap()
            .reshape((b, 1, 1, t))
            .unwrap();
        y.broadcast_mul(&m).unwrap()
    }

    #[test]
    fn batch_norm_relu_matches_the_candle_chain_forward_and_backward() {
        let (b, c, f, t) = (3, 3, 4, 6);
        let x = (randn((b, c, f, t), 21) * 2.0).unwrap();
        let gamma = Tensor::new(&[1.2f32, 0.7, -0.5], &Device::Cpu).unwrap();
        let beta = Tensor::new(&[0.1f32, -0.3, 0.4], &Device::Cpu).unwrap();
        let lengths = [6, 4, 1];
        let v = randn((b, c, f, t), 22);
        for train in [true, false] {
            let inputs = [x.clone(), gamma.clone(), beta.clone()];
            let run = |op: &dyn Fn(&Tensor, &Tensor, &Tensor) -> Tensor| {
                grads_of(&|a: &[Tensor]| op(&a[0], &a[1], &a[2]), &inputs, &v)
            };
            let running = (
                Tensor::new(&[0.3f32, -0.2, 0.1], &Device::Cpu).unwrap(),
                Tensor::new(&[1.5f32, 0.5, 2.0], &Device::Cpu).unwrap(),
            );
            let (y, d) = run(&|x, g, bt| {
                let stats = (!train).then_some((&running.0, &running.1));
                batch_norm_relu(x, (g, bt), &lengths, stats, 1e-5)
                    .unwrap()
                    .0
            });
            let (y_ref, d_ref) = run(&|x, g, bt| bn_reference(x, g, bt, &lengths, train));
            assert!(max_abs(&y, &y_ref) < 1e-5, "forward, train {train}");
            for (name, (g, g_ref)) in ["x", "gamma", "beta"].iter().zip(d.iter().zip(&d_ref)) {
                assert!(max_abs(g, g_ref) < 1e-4, "grad {name}, train {train}");
            }
        }
        // The returned statistics are the batch's mean and biased variance.
        let (_, stats) = batch_norm_relu(&x, (&gamma, &beta), &lengths, None, 1e-5).unwrap();
        let (mean, var) = stats.unwrap();
        let xt = x.transpose(0, 1).unwrap().flatten_from(1).unwrap();
        let want_mean = xt.mean(1).unwrap();
        let want_var = xt
            .broadcast_sub(&want_mean.unsqueeze(1).unwrap())
            .unwrap()
            .sqr()
            .unwrap()
            .mean(1)
            .unwrap();
        assert!(max_abs(&mean, &want_mean) < 1e-6 && max_abs(&var, &want_var) < 1e-5);
        // Mismatched γ, β or lengths are errors.
        assert!(batch_norm_relu(
            &x,
            (&beta.narrow(0, 0, 2).unwrap(), &beta),
            &lengths,
            None,
            1e-5
        )
        .is_err());
        assert!(batch_norm_relu(&x, (&gamma, &beta), &[6, 4], None, 1e-5).is_err());
    }

    #[test]
    fn batch_norm_relu_gradients_match_finite_differences() {
        let x = (randn((2, 2, 3, 4), 31) * 1.5).unwrap();
        let gamma = Tensor::new(&[0.9f32, -1.1], &Device::Cpu).unwrap();
        let beta = Tensor::new(&[0.2f32, 0.3], &Device::Cpu).unwrap();
        let v = randn((2, 2, 3, 4), 32);
        let lengths = [4, 3];
        let inputs = [x, gamma, beta];
        let f = |a: &[Tensor]| {
            batch_norm_relu(&a[0], (&a[1], &a[2]), &lengths, None, 1e-5)
                .unwrap()
                .0
        };
        let (_, d) = grads_of(&f, &inputs, &v);
        // Looser than the smooth ops: a ReLU kink within ±1e-3 of an input bends the difference.
        check_finite_differences("batch_norm_relu", &f, &inputs, &v, &d, 1e-2);
    }

    type RowOp = Box<dyn Fn(&[Tensor]) -> Tensor>;

    /// The row-wise ops and the Candle chains they replace, on `(B, T, D)` inputs.
    fn row_ops() -> Vec<(&'static str, RowOp, RowOp, usize)> {
        let d = candle_core::D::Minus1;
        vec![
            (
                "bias_add",
                Box::new(|a: &[Tensor]| bias_add(&a[0], &a[1]).unwrap()),
                Box::new(|a: &[Tensor]| a[0].broadcast_add(&a[1]).unwrap()),
                2,
            ),
            (
                "layer_norm",
                Box::new(|a: &[Tensor]| layer_norm(&a[0], &a[1], &a[2], 1e-5).unwrap()),
                Box::new(move |a: &[Tensor]| {
                    let n = a[0].dim(d).unwrap() as f64;
                    let mean = (a[0].sum_keepdim(d).unwrap() / n).unwrap();
                    let xc = a[0].broadcast_sub(&mean).unwrap();
                    let var = (xc.sqr().unwrap().sum_keepdim(d).unwrap() / n).unwrap();
                    let k = (var + 1e-5).unwrap().sqrt().unwrap();
                    let xh = xc.broadcast_div(&k).unwrap();
                    xh.broadcast_mul(&a[1])
                        .unwrap()
                        .broadcast_add(&a[2])
                        .unwrap()
                }),
                3,
            ),
            (
                "softmax_last",
                Box::new(|a: &[Tensor]| softmax_last(&a[0]).unwrap()),
                Box::new(move |a: &[Tensor]| candle_nn::ops::softmax(&a[0], d).unwrap()),
                1,
            ),
            (
                "gelu",
                Box::new(|a: &[Tensor]| gelu(&a[0]).unwrap()),
                Box::new(|a: &[Tensor]| a[0].gelu_erf().unwrap()),
                1,
            ),
        ]
    }

    /// `(x (B, T, D), w (D), b (D))` and output weights, random.
    fn row_inputs(b: usize, t: usize, d: usize, seed: u64) -> (Vec<Tensor>, Tensor) {
        let x = randn3((b, t, d), 2.0, seed);
        let w = (randn3((d, 1, 1), 0.5, seed + 1).flatten_all().unwrap() + 1.0).unwrap();
        let bias = randn3((d, 1, 1), 0.5, seed + 2).flatten_all().unwrap();
        (vec![x, w, bias], randn3((b, t, d), 1.0, seed + 3))
    }

    #[test]
    fn row_ops_match_the_candle_chains_forward_and_backward() {
        // Small and large (parallel, several row blocks) inputs.
        for &(b, t, d) in &[(2, 3, 5), (8, 300, 32), (1, 1, 1)] {
            let (inputs, v) = row_inputs(b, t, d, 41);
            for (name, op, reference, n) in row_ops() {
                let (y, g) = grads_of(&*op, &inputs[..n], &v);
                let (y_ref, g_ref) = grads_of(&*reference, &inputs[..n], &v);
                assert!(max_abs(&y, &y_ref) < 2e-6, "{name} forward {b}x{t}x{d}");
                for (k, (g, g_ref)) in g.iter().zip(&g_ref).enumerate() {
                    let scale = g_ref
                        .abs()
                        .unwrap()
                        .max_all()
                        .unwrap()
                        .to_scalar::<f32>()
                        .unwrap();
                    let err = max_abs(g, g_ref);
                    assert!(
                        err < 1e-5 * (1.0 + scale),
                        "{name} grad {k} {b}x{t}x{d}: {err}"
                    );
                }
            }
        }
    }

    #[test]
    fn row_op_gradients_match_finite_differences() {
        let (inputs, v) = row_inputs(2, 3, 4, 51);
        for (name, op, _, n) in row_ops() {
            let (_, g) = grads_of(&*op, &inputs[..n], &v);
            check_finite_differences(name, &*op, &inputs[..n], &v, &g, 5e-3);
        }
        // Mismatched parameter widths are errors.
        let [x, w, _] = [&inputs[0], &inputs[1], &inputs[2]];
        let short = w.narrow(0, 0, 2).unwrap();
        assert!(bias_add(x, &short).is_err());
        assert!(layer_norm(x, &short, w, 1e-5).is_err());
    }

    /// Finite differences against the backward of the piecewise-linear ops.
    #[test]
    fn gradients_match_finite_differences() {
        let x = randn((1, 2, 4, 5), 5);
        type Op = Box<dyn Fn(&[Tensor]) -> Tensor>;
        let ops: [(&str, Op); 2] = [
            (
                "im2col3x3",
                Box::new(|a: &[Tensor]| im2col3x3(&a[0]).unwrap()),
            ),
            (
                "max_pool2d",
                Box::new(|a: &[Tensor]| max_pool2d(&a[0], 2, 2).unwrap()),
            ),
        ];
        for (name, op) in ops {
            let inputs = [x.clone()];
            let y = op(&inputs);
            let v = randn((y.elem_count(), 1, 1, 1), 6)
                .reshape(y.shape())
                .unwrap();
            let (_, g) = grads_of(&*op, &inputs, &v);
            check_finite_differences(name, &*op, &inputs, &v, &g, 5e-3);
        }
    }
}
