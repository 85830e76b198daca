//! Fused CPU ops with their own backward pass, where a chain of small Candle ops made training
//! slow: the 3×3 im2col of [`crate::layers::Conv3x3`] (9 narrows of a padded copy and a
//! stack, forward and backward) and the max-pool of [`crate::layers::ConvBlock`] (a reshape
//! and two `max` reductions whose backward compares against broadcast copies).
//!
//! Each op is one pass over memory, parallel over `(batch, channel)` planes with rayon (the
//! pool Candle's kernels use, sized by `RAYON_NUM_THREADS`) when the tensor is large. Gradients are checked against
//! Candle's autograd of the op chain they replace and against finite differences in the
//! tests below. [`lstm_cell`] fuses the gate non-linearities and state update of one LSTM
//! step (12 Candle ops and their 12 backward ops per step become one each).
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

/// Calls `f(p, chunk)` for every `chunk`-sized piece `p` of `out`, in parallel when `out` is
/// large and the pool has more than one thread.
fn for_planes(out: &mut [f32], chunk: usize, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
    let chunk = chunk.max(1);
    if out.len() < PAR_MIN_VALUES || rayon::current_num_threads() < 2 {
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

/// One LSTM step with PyTorch's gate order (i, f, g, o): gate pre-activations `g (B, 4H)` and
/// the previous cell `c (B, H)` → `(B, 2H)` = `[h' | c']` with
/// `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')` — the values Candle's
/// `sigmoid`/`tanh`/`mul`/`add` chain gives, bit for bit, in one op with its own backward.
pub fn lstm_cell(gates: &Tensor, c: &Tensor) -> Result<Tensor> {
    gates.contiguous()?.apply_op2(&c.contiguous()?, LstmCell)
}

/// Candle's CPU sigmoid, `1 / (exp(-v) + 1)`.
fn sigmoid(v: f32) -> f32 {
    ((-v).exp() + 1.0).recip()
}

/// Activated gates `(σ(i), σ(f), tanh(g), σ(o))` of unit `j` from one row of pre-activations
/// `(4H)`.
fn activated(gr: &[f32], h: usize, j: usize) -> (f32, f32, f32, f32) {
    (
        sigmoid(gr[j]),
        sigmoid(gr[h + j]),
        gr[2 * h + j].tanh(),
        sigmoid(gr[3 * h + j]),
    )
}

fn dims2(l: &Layout, op: &str) -> Result<(usize, usize)> {
    match l.shape().dims() {
        &[b, n] => Ok((b, n)),
        d => candle_core::bail!("{op}: expects a matrix, got {d:?}"),
    }
}

/// Shapes of an LSTM step: `(B, 4H)` gates and `(B, H)` cell → `(B, H)`.
fn cell_dims(lg: &Layout, lc: &Layout, op: &str) -> Result<(usize, usize)> {
    let (b, h4) = dims2(lg, op)?;
    let (bc, h) = dims2(lc, op)?;
    if bc != b || h4 != 4 * h {
        candle_core::bail!("{op}: gates {b}×{h4} do not fit cell {bc}×{h}");
    }
    Ok((b, h))
}

struct LstmCell;

impl CustomOp2 for LstmCell {
    fn name(&self) -> &'static str {
        "lstm_cell"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (b, h) = cell_dims(l1, l2, self.name())?;
        let g = f32_slice(s1, l1, self.name())?;
        let c = f32_slice(s2, l2, self.name())?;
        let mut out = vec![0f32; b * 2 * h];
        for r in 0..b {
            let gr = &g[r * 4 * h..(r + 1) * 4 * h];
            let (hr, cr) = out[r * 2 * h..(r + 1) * 2 * h].split_at_mut(h);
            for j in 0..h {
                let (i, f, gg, o) = activated(gr, h, j);
                let cn = f * c[r * h + j] + i * gg;
                cr[j] = cn;
                hr[j] = o * cn.tanh();
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((b, 2 * h))))
    }

    fn bwd(
        &self,
        gates: &Tensor,
        c: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let h = c.dim(1)?;
        let d = gates.apply_op3_no_bwd(c, &grad_res.contiguous()?, &LstmCellBackward)?;
        Ok((Some(d.narrow(1, 0, 4 * h)?), Some(d.narrow(1, 4 * h, h)?)))
    }
}

/// `(gates, c, grad of [h' | c'])` → `[grad gates | grad c]` `(B, 5H)`, recomputing the
/// activations from the inputs.
struct LstmCellBackward;

impl CustomOp3 for LstmCellBackward {
    fn name(&self) -> &'static str {
        "lstm_cell_backward"
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
        let (b, h) = cell_dims(l1, l2, self.name())?;
        let g = f32_slice(s1, l1, self.name())?;
        let c = f32_slice(s2, l2, self.name())?;
        let dy = f32_slice(s3, l3, self.name())?;
        if dy.len() != b * 2 * h {
            candle_core::bail!("lstm_cell_backward: gradient of {} values", dy.len());
        }
        let mut out = vec![0f32; b * 5 * h];
        for r in 0..b {
            let gr = &g[r * 4 * h..(r + 1) * 4 * h];
            let (dh, dc_out) = dy[r * 2 * h..(r + 1) * 2 * h].split_at(h);
            let (dg, dc) = out[r * 5 * h..(r + 1) * 5 * h].split_at_mut(4 * h);
            for j in 0..h {
                let (i, f, gg, o) = activated(gr, h, j);
                let cp = c[r * h + j];
                let tc = (f * cp + i * gg).tanh();
                let dcn = dc_out[j] + dh[j] * o * (1.0 - tc * tc);
                dg[j] = dcn * gg * i * (1.0 - i);
                dg[h + j] = dcn * cp * f * (1.0 - f);
                dg[2 * h + j] = dcn * i * (1.0 - gg * gg);
                dg[3 * h + j] = dh[j] * tc * o * (1.0 - o);
                dc[j] = dcn * f;
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((b, 5 * h))))
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

    /// The chain `LstmDir` used before: narrows, sigmoid / tanh, products.
    fn lstm_reference(g: &Tensor, c: &Tensor) -> Tensor {
        let h = c.dim(1).unwrap();
        let s = |t: Tensor| candle_nn::ops::sigmoid(&t).unwrap();
        let i = s(g.narrow(1, 0, h).unwrap());
        let f = s(g.narrow(1, h, h).unwrap());
        let gg = g.narrow(1, 2 * h, h).unwrap().tanh().unwrap();
        let o = s(g.narrow(1, 3 * h, h).unwrap());
        let cn = ((f * c).unwrap() + (i * gg).unwrap()).unwrap();
        let hn = (o * cn.tanh().unwrap()).unwrap();
        Tensor::cat(&[&hn, &cn], 1).unwrap()
    }

    #[test]
    fn lstm_cell_matches_the_op_chain_forward_and_backward() {
        let (b, h) = (3, 5);
        let g = (randn((b, 4 * h, 1, 1), 7).reshape((b, 4 * h)).unwrap() * 3.0).unwrap();
        let c = randn((b, h, 1, 1), 8).reshape((b, h)).unwrap();
        let w = randn((b, 2 * h, 1, 1), 9).reshape((b, 2 * h)).unwrap();
        let run = |f: &dyn Fn(&Tensor, &Tensor) -> Tensor| {
            let (vg, vc) = (Var::from_tensor(&g).unwrap(), Var::from_tensor(&c).unwrap());
            let y = f(vg.as_tensor(), vc.as_tensor());
            let grads = (&y * &w).unwrap().sum_all().unwrap().backward().unwrap();
            let dg = grads.get(vg.as_tensor()).unwrap().clone();
            let dc = grads.get(vc.as_tensor()).unwrap().clone();
            (y, dg, dc)
        };
        let (y, dg, dc) = run(&|g, c| lstm_cell(g, c).unwrap());
        let (y_ref, dg_ref, dc_ref) = run(&lstm_reference);
        assert_eq!(max_abs(&y, &y_ref), 0.0, "forward");
        assert!(max_abs(&dg, &dg_ref) < 1e-6, "grad gates");
        assert!(max_abs(&dc, &dc_ref) < 1e-6, "grad cell");
        // Finite differences of the same loss through the fused op, in f64 on the sum.
        let loss = |g: &Tensor, c: &Tensor| -> f64 {
            let v: Vec<f32> = (lstm_cell(g, c).unwrap() * &w)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            v.iter().map(|&a| f64::from(a)).sum()
        };
        let eps = 1e-3f32;
        for (which, x, grad) in [("gates", &g, &dg), ("cell", &c, &dc)] {
            let xs: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
            let gs: Vec<f32> = grad.flatten_all().unwrap().to_vec1().unwrap();
            for k in 0..xs.len() {
                let bump = |d: f32| {
                    let mut v = xs.clone();
                    v[k] += d;
                    Tensor::from_vec(v, x.shape(), &Device::Cpu).unwrap()
                };
                let fd = match which {
                    "gates" => loss(&bump(eps), &c) - loss(&bump(-eps), &c),
                    _ => loss(&g, &bump(eps)) - loss(&g, &bump(-eps)),
                } / (2.0 * f64::from(eps));
                assert!(
                    (fd - f64::from(gs[k])).abs() < 5e-3,
                    "{which}[{k}]: autograd {} vs finite difference {fd}",
                    gs[k]
                );
            }
        }
        assert!(lstm_cell(&g, &g).is_err());
    }

    /// Central finite differences of `sum(op(x) · w)` against the op's backward, in f64
    /// precision on the loss (f32 ops, h = 1e-3; both ops are piecewise linear).
    #[test]
    fn gradients_match_finite_differences() {
        let x = randn((1, 2, 4, 5), 5);
        type Op = Box<dyn Fn(&Tensor) -> Tensor>;
        let ops: [(&str, Op); 2] = [
            ("im2col3x3", Box::new(|x: &Tensor| im2col3x3(x).unwrap())),
            (
                "max_pool2d",
                Box::new(|x: &Tensor| max_pool2d(x, 2, 2).unwrap()),
            ),
        ];
        for (name, op) in ops {
            let (y, g) = grad_of(&x, &op, 6);
            let w = randn((y.elem_count(), 1, 1, 1), 6)
                .reshape(y.shape())
                .unwrap();
            let loss = |x: &Tensor| -> f64 {
                let y = op(x);
                let v: Vec<f32> = (&y * &w).unwrap().flatten_all().unwrap().to_vec1().unwrap();
                v.iter().map(|&a| f64::from(a)).sum()
            };
            let xs: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
            let gs: Vec<f32> = g.flatten_all().unwrap().to_vec1().unwrap();
            let h = 1e-3f32;
            for i in 0..xs.len() {
                let mut p = xs.clone();
                p[i] += h;
                let mut m = xs.clone();
                m[i] -= h;
                let tp = Tensor::from_vec(p, x.shape(), &Device::Cpu).unwrap();
                let tm = Tensor::from_vec(m, x.shape(), &Device::Cpu).unwrap();
                let fd = (loss(&tp) - loss(&tm)) / (2.0 * f64::from(h));
                assert!(
                    (fd - f64::from(gs[i])).abs() < 5e-3,
                    "{name}: d/dx[{i}] autograd {} vs finite difference {fd}",
                    gs[i]
                );
            }
        }
    }
}
