//! Formants F1–F3 by LPC root finding, the method of openSMILE's `cSpecResample` + `cLpc` +
//! `cFormantLpc` in eGeMAPS.
//!
//! [`LpcResampled`] resamples the 20 ms frame to 11 kHz the way `cSpecResample` does (an
//! inverse DFT of its spectrum, band-limited to 3.4 kHz by that component's anti-aliasing
//! rule; see its docs), takes the linear autocorrelation and Levinson–Durbin LPC of order
//! 11; [`formants_from_lpc_warm`] finds the polynomial's roots (Aberth–Ehrlich, warm-started
//! from the previous frame's roots) and reads those with positive imaginary part as formant
//! frequencies `f = arg(z) · fs / 2π` and bandwidths `b = −ln|z| · fs / π`, by the textbook
//! convention or openSMILE's ([`FormantRoots`]). Roots with `f` outside
//! (50 Hz, fs/2 − 50 Hz) are discarded; the rest are sorted by frequency.
//!
//! # Example
//! ```
//! use ser_features::prosody::formants::{formants_from_lpc, levinson};
//! // an all-pole resonator at 1000 Hz (fs = 11 kHz), pole radius 0.97
//! let (fs, f, r) = (11_000.0f64, 1000.0f64, 0.97f64);
//! let th = 2.0 * std::f64::consts::PI * f / fs;
//! let a = [1.0, -2.0 * r * th.cos(), r * r];
//! let fm = formants_from_lpc(&a, fs);
//! assert!((fm[0].0 - 1000.0).abs() < 1.0);
//! assert!((fm[0].1 - (-(r.ln()) * fs / std::f64::consts::PI)).abs() < 1.0);
//! let r = [2.0, 1.0, 0.5];
//! assert_eq!(levinson(&r, 2).len(), 3);
//! ```

use num_complex::Complex64;

/// Which polynomial's roots are read as formants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FormantRoots {
    /// The roots of the LPC inverse filter `A(z) = 1 + Σ a_k z^-k` (the resonances of the
    /// all-pole model; the textbook method). Default.
    #[default]
    Lpc,
    /// openSMILE's `cFormantLpc` (as used by eGeMAPSv02): the roots of the polynomial with the
    /// LPC coefficients negated, `z^p − Σ a_k z^(p−k)`, with roots outside the unit circle
    /// reflected into it (`z → 1 / z̄`). Its "formants" are not the resonances of the LPC
    /// model, but this is what eGeMAPS' `F1frequency` … `F3bandwidth` report: on EmoDB, with
    /// [`LpcResampled`], the Pearson r with openSMILE's F1 / F2 / F3 means is 0.999 / 0.997 /
    /// 0.997 (0.48 / −0.18 / −0.41 with `Lpc`).
    OpenSmile,
}

/// Levinson–Durbin recursion: LPC polynomial `[1, a1, …, a_order]` from autocorrelation
/// `r[0..=order]` (`A(z) = 1 + Σ a_k z^-k`). Returns all zeros after `a0 = 1` for a silent
/// frame (`r[0] <= 0`).
pub fn levinson(r: &[f64], order: usize) -> Vec<f64> {
    let mut a = vec![0.0; order + 1];
    a[0] = 1.0;
    if r.len() <= order || r[0] <= 0.0 {
        return a;
    }
    let mut err = r[0];
    let mut tmp = vec![0.0; order + 1];
    for i in 1..=order {
        let mut acc = r[i];
        for j in 1..i {
            acc += a[j] * r[i - j];
        }
        let k = -acc / err;
        tmp[..=i].copy_from_slice(&a[..=i]);
        for j in 1..i {
            a[j] = tmp[j] + k * tmp[i - j];
        }
        a[i] = k;
        err *= 1.0 - k * k;
        if err <= 0.0 {
            break;
        }
    }
    a
}

/// Roots of the monic polynomial `z^n + c[1] z^(n-1) + … + c[n]` (`c[0]` must be 1) by the
/// Aberth–Ehrlich method.
pub fn poly_roots(c: &[f64]) -> Vec<Complex64> {
    let mut z = Vec::new();
    cold_start(c, &mut z);
    aberth(c, &mut z, 80);
    z
}

/// As [`poly_roots`], starting from the guesses in `roots` (e.g. the previous frame's roots,
/// which move little between 10 ms frames: Aberth then converges in a few iterations) when
/// it holds `n` finite values; otherwise, or when that start does not converge within 20
/// iterations, from [`poly_roots`]' default start. The roots are written back to `roots`.
///
/// ```
/// use ser_features::prosody::formants::{poly_roots, poly_roots_warm};
/// let c = [1.0, -0.25, 0.685, -0.2025, -0.10125];
/// let mut warm = poly_roots(&c);
/// poly_roots_warm(&[1.0, -0.26, 0.68, -0.2, -0.1], &mut warm); // a nearby polynomial
/// assert_eq!(warm.len(), 4);
/// ```
pub fn poly_roots_warm(c: &[f64], roots: &mut Vec<Complex64>) {
    let n = c.len().saturating_sub(1);
    if roots.len() == n && n > 0 && roots.iter().all(|z| z.is_finite()) {
        // a small common rotation breaks the conjugate symmetry of the previous roots
        // (real-coefficient Aberth steps cannot move a symmetric set off the real axis)
        let rot = Complex64::from_polar(1.0, 0.01);
        for z in roots.iter_mut() {
            *z *= rot;
        }
        if aberth(c, roots, 20) {
            return;
        }
    }
    cold_start(c, roots);
    aberth(c, roots, 80);
}

/// Initial guesses on a circle (radius from a Cauchy-like bound), rotated off-axis.
fn cold_start(c: &[f64], z: &mut Vec<Complex64>) {
    let n = c.len().saturating_sub(1);
    z.clear();
    if n == 0 {
        return;
    }
    let radius = 1.0f64.max(
        c.iter()
            .skip(1)
            .map(|v| v.abs())
            .fold(0.0, f64::max)
            .powf(1.0 / n as f64),
    );
    z.extend((0..n).map(|k| {
        Complex64::from_polar(
            radius * 0.9,
            2.0 * std::f64::consts::PI * k as f64 / n as f64 + 0.4,
        )
    }));
}

/// Aberth–Ehrlich iterations on the guesses `z` (at most `max_iter` simultaneous sweeps;
/// the pairwise terms `1 / (z_i − z_j)` are computed once per pair); `true` when every root
/// converged (relative step below 1e-6, i.e. ~1e-18 after the cubic step).
fn aberth(c: &[f64], z: &mut [Complex64], max_iter: usize) -> bool {
    let n = z.len();
    if n == 0 || c.len() < 2 || c[1..].iter().all(|&v| v == 0.0) {
        // z^n: all roots are 0 (a silent frame's LPC polynomial)
        z.fill(Complex64::new(0.0, 0.0));
        return true;
    }
    // LPC orders are small: the re/im work arrays live on the stack (heap only for large n)
    const STACK: usize = 32;
    let (mut stack, mut heap) = ([0.0f64; 8 * STACK], Vec::new());
    let (mut done_stack, mut done_heap) = ([false; STACK], Vec::new());
    let (buf, done): (&mut [f64], &mut [bool]) = if n <= STACK {
        (&mut stack[..8 * n], &mut done_stack[..n])
    } else {
        heap.resize(8 * n, 0.0);
        done_heap.resize(n, false);
        (&mut heap, &mut done_heap)
    };
    let mut parts = buf.chunks_exact_mut(n);
    let mut next = || parts.next().unwrap_or_default();
    let (zr, zi, sr, si) = (next(), next(), next(), next());
    let (pr_a, pi_a, dr_a, di_a) = (next(), next(), next(), next());
    for (k, v) in z.iter().enumerate() {
        zr[k] = v.re;
        zi[k] = v.im;
    }
    // converged roots (`done`) keep their place and their own sums are no longer needed
    let mut converged = false;
    for _ in 0..max_iter {
        sr.fill(0.0);
        si.fill(0.0);
        // every pair, without branching on `done` (a converged root's sum is simply unused)
        for i in 0..n {
            let (xr, xi) = (zr[i], zi[i]);
            let (mut ar, mut ai) = (0.0, 0.0);
            for j in i + 1..n {
                let (dr, di) = (xr - zr[j], xi - zi[j]);
                let q = dr * dr + di * di;
                // 1 / (z_i − z_j) = conj(d) / |d|²; coincident guesses contribute nothing
                let inv = if q > 0.0 { 1.0 / q } else { 0.0 };
                let (ir, ii) = (dr * inv, -di * inv);
                ar += ir;
                ai += ii;
                sr[j] -= ir;
                si[j] -= ii;
            }
            sr[i] += ar;
            si[i] += ai;
        }
        // Horner for p(z_i) and p'(z_i) of all roots at once: the coefficient loop is outer,
        // so the n evaluations are independent (vectorisable, no latency chain)
        pr_a.fill(1.0);
        pi_a.fill(0.0);
        dr_a.fill(0.0);
        di_a.fill(0.0);
        for &ck in &c[1..] {
            for i in 0..n {
                let (xr, xi) = (zr[i], zi[i]);
                let (pr, pi, dr, di) = (pr_a[i], pi_a[i], dr_a[i], di_a[i]);
                dr_a[i] = dr * xr - di * xi + pr;
                di_a[i] = dr * xi + di * xr + pi;
                pr_a[i] = pr * xr - pi * xi + ck;
                pi_a[i] = pr * xi + pi * xr;
            }
        }
        let mut all_done = true;
        for i in 0..n {
            if done[i] {
                continue;
            }
            let (pr, pi, dr, di) = (pr_a[i], pi_a[i], dr_a[i], di_a[i]);
            if pr == 0.0 && pi == 0.0 {
                done[i] = true;
                continue;
            }
            // Aberth step w = (p / p') / (1 − (p / p') s) = p / (p' − p s)
            let er = dr - (pr * sr[i] - pi * si[i]);
            let ei = di - (pr * si[i] + pi * sr[i]);
            let inv = 1.0 / (er * er + ei * ei);
            let wr = (pr * er + pi * ei) * inv;
            let wi = (pi * er - pr * ei) * inv;
            if wr.is_finite() && wi.is_finite() {
                zr[i] -= wr;
                zi[i] -= wi;
                // the step fell below 1e-6 relative (≪ 0.01 Hz in frequency)
                let zz = (zr[i] * zr[i] + zi[i] * zi[i]).max(1e-6);
                if wr * wr + wi * wi <= 1e-12 * zz {
                    done[i] = true;
                } else {
                    all_done = false;
                }
            } else {
                all_done = false;
            }
        }
        if all_done {
            converged = true;
            break;
        }
    }
    for (k, v) in z.iter_mut().enumerate() {
        *v = Complex64::new(zr[k], zi[k]);
    }
    converged
}

/// Formant `(frequency Hz, bandwidth Hz)` pairs, sorted by frequency, from an LPC polynomial
/// `[1, a1, …, ap]` at sampling rate `fs`.
pub fn formants_from_lpc(a: &[f64], fs: f64) -> Vec<(f64, f64)> {
    formants_from_roots(&poly_roots(a), fs)
}

/// Formant `(frequency Hz, bandwidth Hz)` pairs, sorted by frequency, from the roots of an LPC
/// polynomial at sampling rate `fs`: roots with positive imaginary part, frequency in
/// (50 Hz, fs/2 − 50 Hz).
pub fn formants_from_roots(roots: &[Complex64], fs: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = roots
        .iter()
        .filter(|z| z.im > 0.0 && z.norm() > 0.0)
        .map(|z| {
            let f = z.arg() * fs / (2.0 * std::f64::consts::PI);
            let b = -z.norm().ln() * fs / std::f64::consts::PI;
            (f, b)
        })
        .filter(|&(f, _)| f > 50.0 && f < fs / 2.0 - 50.0)
        .collect();
    out.sort_by(|x, y| x.0.total_cmp(&y.0));
    out
}

/// Formants of the LPC polynomial `c = [1, a1, …]` at `fs` read by `convention`, the root
/// finding warm-started from (and updating) `roots` ([`poly_roots_warm`]; `roots` keeps the
/// polynomial's own, unreflected roots).
pub fn formants_from_lpc_warm(
    mut c: Vec<f64>,
    fs: f64,
    roots: &mut Vec<Complex64>,
    convention: FormantRoots,
) -> Vec<(f64, f64)> {
    match convention {
        FormantRoots::Lpc => {
            poly_roots_warm(&c, roots);
            formants_from_roots(roots, fs)
        }
        FormantRoots::OpenSmile => {
            for v in c[1..].iter_mut() {
                *v = -*v;
            }
            poly_roots_warm(&c, roots);
            formants_from_roots(&into_unit_circle(roots), fs)
        }
    }
}

/// openSMILE's formant front end for eGeMAPS: `cSpecResample` (`targetFs = 11000`) on the
/// complex spectrum of the 20 ms Hamming frame, then `cLpc` (`method = acf`) on the
/// resampled frame.
///
/// `cSpecResample` evaluates an inverse DFT of the spectrum at the output rate over the
/// frame's own length only (it detects the FFT's zero padding: 320 samples at 16 kHz become
/// 220 at 11 kHz, one period of the inverse DFT being `nd` = 352 samples), and its
/// anti-aliasing rule caps the number of bins it sums by that output length, so only bins
/// `1 ..= n_out / 2 − 1` (up to 3.4 kHz for eGeMAPS) contribute; DC enters with twice the
/// weight of a textbook inverse DFT. `cLpc` then takes the linear autocorrelation of the
/// `n_out` samples and runs Levinson–Durbin. When `nd` is a whole number (eGeMAPS at 16 kHz)
/// the inverse DFT is an inverse real FFT of `nd` points; otherwise it is summed directly.
pub struct LpcResampled {
    order: usize,
    fs_lpc: f64,
    n_out: usize,
    /// bins `1 ..= n_bins` enter the sum
    n_bins: usize,
    synth: Synth,
    /// `1 / (n_fft / 2)`
    scale: f32,
}

enum Synth {
    /// inverse real FFT of `nd` points
    Fft(std::sync::Arc<dyn realfft::ComplexToReal<f32>>),
    /// `n_out × n_bins` tables `cos(2π b i / nd)`, `sin(2π b i / nd)`
    Direct { cos: Vec<f32>, sin: Vec<f32> },
}

impl std::fmt::Debug for LpcResampled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LpcResampled")
            .field("order", &self.order)
            .field("fs_lpc", &self.fs_lpc)
            .field("n_out", &self.n_out)
            .field("n_bins", &self.n_bins)
            .field("fft", &matches!(self.synth, Synth::Fft(_)))
            .finish()
    }
}

/// Work buffers of [`LpcResampled::lpc`].
#[derive(Debug, Clone, Default)]
pub struct LpcResampledScratch {
    frame: Vec<f32>,
    frame64: Vec<f64>,
    spec: Vec<num_complex::Complex32>,
    fft: Vec<num_complex::Complex32>,
}

impl LpcResampled {
    /// Plan for the `n_fft`-point spectra of `frame_length`-sample frames at `sr`, LPC of
    /// `order` at (about) `target_fs` Hz.
    pub fn new(sr: u32, n_fft: usize, frame_length: usize, order: usize, target_fs: f64) -> Self {
        let k = n_fft as f64;
        let frac = frame_length as f64 / n_fft as f64;
        let n_out = ((k * target_fs / sr as f64 * frac).round() as usize).max(order + 1);
        // openSMILE rounds the ratio to a whole output frame
        let ratio = n_out as f64 / (k * frac);
        let k_max = n_fft.min(n_out) & !1;
        let n_bins = (k_max / 2).saturating_sub(1);
        let synth = if (n_out * n_fft) % frame_length == 0 {
            let nd = n_out * n_fft / frame_length;
            Synth::Fft(realfft::RealFftPlanner::<f32>::new().plan_fft_inverse(nd))
        } else {
            let nd = k * ratio;
            let (mut cos, mut sin) = (
                Vec::with_capacity(n_out * n_bins),
                Vec::with_capacity(n_out * n_bins),
            );
            for i in 0..n_out {
                for b in 1..=n_bins {
                    let w = 2.0 * std::f64::consts::PI * (b * i) as f64 / nd;
                    cos.push(w.cos() as f32);
                    sin.push(w.sin() as f32);
                }
            }
            Synth::Direct { cos, sin }
        };
        Self {
            order,
            fs_lpc: sr as f64 * ratio,
            n_out,
            n_bins,
            synth,
            scale: 2.0 / n_fft as f32,
        }
    }

    /// LPC sampling rate (openSMILE's, after rounding the output frame to whole samples).
    pub fn fs(&self) -> f64 {
        self.fs_lpc
    }

    /// Samples of the resampled frame (220 for eGeMAPS at 16 kHz).
    pub fn frame_length(&self) -> usize {
        self.n_out
    }

    /// LPC polynomial `[1, a1, …]` of a frame from its complex spectrum (`n_fft / 2 + 1`
    /// bins, `X[k] = Σ x[n] e^{−2πikn/N}`).
    pub fn lpc(&self, spec: &[num_complex::Complex32], s: &mut LpcResampledScratch) -> Vec<f64> {
        self.resample(spec, s);
        s.frame64.clear();
        s.frame64.extend(s.frame.iter().map(|&v| v as f64));
        let x = &s.frame64;
        // linear autocorrelation (four independent partial sums per lag: not latency-bound)
        let r: Vec<f64> = (0..=self.order)
            .map(|m| {
                x.get(m..)
                    .map_or(0.0, |tail| crate::lanes::dot_f64(tail, x))
            })
            .collect();
        levinson(&r, self.order)
    }

    /// The resampled frame of `spec` into `s.frame`.
    fn resample(&self, spec: &[num_complex::Complex32], s: &mut LpcResampledScratch) {
        let nb = self.n_bins.min(spec.len().saturating_sub(1));
        let dc = spec.first().map_or(0.0, |z| z.re);
        // bins 1 ..= nb (none for a spectrum of fewer than two bins)
        let bins = spec.get(1..=nb).unwrap_or(&[]);
        s.frame.clear();
        match &self.synth {
            Synth::Fft(plan) => {
                // a Hermitian inverse FFT gives X0 + 2 Re Σ X_b e^{+2πibn/nd}: X0 doubled
                // keeps openSMILE's DC weight, and the factor 2 goes into the scale
                let nd = plan.len();
                s.spec.clear();
                s.spec
                    .resize(nd / 2 + 1, num_complex::Complex32::new(0.0, 0.0));
                s.spec[0].re = 2.0 * dc;
                s.spec[1..=bins.len()].copy_from_slice(bins);
                s.frame.resize(nd, 0.0);
                s.fft.resize(plan.get_scratch_len(), Default::default());
                if plan
                    .process_with_scratch(&mut s.spec, &mut s.frame, &mut s.fft)
                    .is_err()
                {
                    s.frame.clear();
                }
                s.frame.truncate(self.n_out);
                let h = 0.5 * self.scale;
                s.frame.iter_mut().for_each(|v| *v *= h);
            }
            Synth::Direct { cos, sin } => {
                let m = self.n_bins;
                s.frame.extend((0..self.n_out).map(|i| {
                    let (c, sn) = (&cos[i * m..i * m + nb], &sin[i * m..i * m + nb]);
                    // openSMILE's packed spectrum has Im = +Σ x sin: the opposite sign
                    let v: f32 = bins
                        .iter()
                        .zip(c.iter().zip(sn))
                        .map(|(z, (&cj, &sj))| z.re * cj - z.im * sj)
                        .sum();
                    (dc + v) * self.scale
                }));
            }
        }
    }
}

/// Roots outside the unit circle reflected into it (`z → 1 / z̄ = z / |z|²`), as openSMILE's
/// `smileMath_complexIntoUnitCircle`.
fn into_unit_circle(roots: &[Complex64]) -> Vec<Complex64> {
    roots
        .iter()
        .map(|&z| {
            let q = z.norm_sqr();
            if q > 1.0 {
                z / q
            } else {
                z
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_of_known_polynomial() {
        // (z - 0.5)(z + 0.25)(z^2 + 0.81) = z^4 - 0.25 z^3 + 0.685 z^2 - 0.2025 z - 0.10125
        let r = poly_roots(&[1.0, -0.25, 0.685, -0.2025, -0.10125]);
        let mut re: Vec<f64> = r
            .iter()
            .filter(|z| z.im.abs() < 1e-9)
            .map(|z| z.re)
            .collect();
        re.sort_by(f64::total_cmp);
        assert!((re[0] + 0.25).abs() < 1e-9 && (re[1] - 0.5).abs() < 1e-9);
        assert!(r.iter().any(|z| (z.im - 0.9).abs() < 1e-9));
    }

    #[test]
    fn roots_of_a_high_order_polynomial() {
        // z^40 - 0.5^40: 40 roots on the circle of radius 0.5 (the heap-buffer path, n > 32)
        let n = 40;
        let mut c = vec![0.0; n + 1];
        c[0] = 1.0;
        c[n] = -(0.5f64.powi(n as i32));
        let r = poly_roots(&c);
        assert_eq!(r.len(), n);
        for z in &r {
            assert!((z.norm() - 0.5).abs() < 1e-6, "{z}");
        }
        let mut ang: Vec<f64> = r.iter().map(|z| z.arg()).collect();
        ang.sort_by(f64::total_cmp);
        ang.dedup_by(|a, b| (*a - *b).abs() < 1e-3);
        assert_eq!(ang.len(), n, "distinct roots");
    }

    #[test]
    fn warm_start_finds_the_same_roots() {
        // a slowly moving 11th-order polynomial: warm-started roots equal cold-started ones
        let mut warm: Vec<Complex64> = Vec::new();
        for step in 0..40 {
            let t = step as f64 * 0.05;
            let mut cc = vec![Complex64::new(1.0, 0.0)];
            // roots: 5 conjugate pairs + 1 real root, all inside the unit circle
            let mut roots = vec![Complex64::new(0.3 - 0.2 * t.sin(), 0.0)];
            for k in 0..5 {
                let r = 0.9 - 0.05 * k as f64;
                let th = 0.3 + 0.5 * k as f64 + 0.05 * (t + k as f64).cos();
                roots.push(Complex64::from_polar(r, th));
                roots.push(Complex64::from_polar(r, -th));
            }
            for z in &roots {
                // multiply by (x - z)
                let mut next = vec![Complex64::new(0.0, 0.0); cc.len() + 1];
                for (i, &ci) in cc.iter().enumerate() {
                    next[i] += ci;
                    next[i + 1] -= z * ci;
                }
                cc = next;
            }
            let c: Vec<f64> = cc.iter().map(|v| v.re).collect();
            poly_roots_warm(&c, &mut warm);
            assert_eq!(warm.len(), 11);
            for z in &roots {
                let d = warm.iter().map(|w| (w - z).norm()).fold(f64::MAX, f64::min);
                assert!(d < 1e-7, "step {step}: root {z} missed by {d}");
            }
        }
        let mut bad = vec![Complex64::new(f64::NAN, 0.0); 4];
        poly_roots_warm(&[1.0, -0.25, 0.685, -0.2025, -0.10125], &mut bad);
        assert!(bad.iter().all(|z| z.is_finite()));
    }

    /// Spectrum (`n_fft / 2 + 1` bins) of the Hamming-windowed `x` zero-padded to `n_fft`.
    fn hamming_spectrum(x: &[f32], n_fft: usize) -> Vec<num_complex::Complex32> {
        let n = x.len();
        let mut buf: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let w =
                    0.54 - 0.46 * (2.0 * std::f64::consts::PI * i as f64 / (n - 1) as f64).cos();
                v * w as f32
            })
            .collect();
        buf.resize(n_fft, 0.0);
        let plan = realfft::RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
        let mut out = plan.make_output_vec();
        plan.process(&mut buf, &mut out).unwrap();
        out
    }

    /// 320 samples of white noise through two resonators (700 Hz / 80 Hz, 1800 Hz / 120 Hz).
    fn two_resonator_frame(sr: f64) -> Vec<f32> {
        let mut a = vec![1.0f64];
        for (f, b) in [(700.0, 80.0), (1800.0, 120.0)] {
            let r = (-std::f64::consts::PI * b / sr).exp();
            let c = [
                1.0,
                -2.0 * r * (2.0 * std::f64::consts::PI * f / sr).cos(),
                r * r,
            ];
            let mut p = vec![0.0; a.len() + 2];
            for (i, ai) in a.iter().enumerate() {
                for (j, cj) in c.iter().enumerate() {
                    p[i + j] += ai * cj;
                }
            }
            a = p;
        }
        let mut y = vec![0.0f64; 2000];
        for n in 0..y.len() {
            let e = if n % 128 == 0 { 1.0 } else { 0.0 };
            let fb: f64 = (1..a.len())
                .filter(|&k| k <= n)
                .map(|k| a[k] * y[n - k])
                .sum();
            y[n] = e - fb;
        }
        y[1600..1920].iter().map(|&v| v as f32).collect()
    }

    /// openSMILE's inverse DFT (DC weight doubled, bins 1 ..= n_out/2 − 1), summed in f64.
    fn resample_reference(
        spec: &[num_complex::Complex32],
        n_fft: usize,
        fl: usize,
        n_out: usize,
    ) -> Vec<f64> {
        let nd = n_out as f64 * n_fft as f64 / fl as f64;
        let nb = (n_fft.min(n_out) & !1) / 2 - 1;
        (0..n_out)
            .map(|i| {
                let mut v = spec[0].re as f64;
                for (b, z) in spec.iter().enumerate().take(nb + 1).skip(1) {
                    let w = 2.0 * std::f64::consts::PI * (b * i) as f64 / nd;
                    v += z.re as f64 * w.cos() - z.im as f64 * w.sin();
                }
                v / (n_fft / 2) as f64
            })
            .collect()
    }

    #[test]
    fn resampling_follows_opensmile_by_fft_and_by_direct_sum() {
        // 16 kHz, 320-sample frames: nd = 352 is whole (FFT path); 300-sample frames at
        // 15 kHz: nd = 220 · 512 / 300 is not (direct path)
        for (sr, fl) in [(16_000u32, 320usize), (15_000, 300)] {
            let plan = LpcResampled::new(sr, 512, fl, 11, 11_000.0);
            assert_eq!(matches!(plan.synth, Synth::Fft(_)), sr == 16_000);
            let x: Vec<f32> = (0..fl)
                .map(|i| ((i * 37 % 101) as f32 / 50.0 - 1.0) * 0.3)
                .collect();
            let spec = hamming_spectrum(&x, 512);
            let mut s = LpcResampledScratch::default();
            plan.resample(&spec, &mut s);
            let want = resample_reference(&spec, 512, fl, plan.frame_length());
            assert_eq!(s.frame.len(), want.len());
            let peak = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (a, b) in s.frame.iter().zip(&want) {
                assert!((*a as f64 - b).abs() < 1e-5 * peak, "{a} vs {b}");
            }
        }
        let p = LpcResampled::new(16_000, 512, 320, 11, 11_000.0);
        assert_eq!((p.frame_length(), p.fs()), (220, 11_000.0));
        // degenerate spectra do not panic: no bins gives the trivial polynomial
        let mut s0 = LpcResampledScratch::default();
        assert_eq!(p.lpc(&[], &mut s0)[1..], [0.0; 11]);
        let dc_only = [num_complex::Complex32::new(1.0, 0.0)];
        assert_eq!(p.lpc(&dc_only, &mut s0).len(), 12);
        // the LPC is Levinson on the plain linear autocorrelation of that frame
        let spec = hamming_spectrum(&two_resonator_frame(16_000.0), 512);
        let mut s = LpcResampledScratch::default();
        let c = p.lpc(&spec, &mut s);
        let x: Vec<f64> = s.frame.iter().map(|&v| v as f64).collect();
        let r: Vec<f64> = (0..=11)
            .map(|m| (m..x.len()).map(|i| x[i] * x[i - m]).sum())
            .collect();
        for (a, b) in c.iter().zip(levinson(&r, 11)) {
            assert!((a - b).abs() < 1e-6 * b.abs().max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn two_resonator_formants_from_the_resampled_frame() {
        let sr = 16_000u32;
        let plan = LpcResampled::new(sr, 512, 320, 11, 11_000.0);
        let spec = hamming_spectrum(&two_resonator_frame(sr as f64), 512);
        let c = plan.lpc(&spec, &mut LpcResampledScratch::default());
        let fm = formants_from_lpc_warm(c.clone(), plan.fs(), &mut Vec::new(), FormantRoots::Lpc);
        // the two resonances are the narrowest roots (order 11 adds broad ones)
        let mut narrow: Vec<(f64, f64)> = fm.iter().copied().filter(|f| f.1 < 300.0).collect();
        narrow.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(narrow.len() >= 2, "{fm:?}");
        assert!((narrow[0].0 - 700.0).abs() < 40.0, "{fm:?}");
        assert!(narrow.iter().any(|f| (f.0 - 1800.0).abs() < 60.0), "{fm:?}");
        // openSMILE's reading: roots of z^p − Σ a_k z^(p−k), reflected into the circle
        let os = formants_from_lpc_warm(
            c.clone(),
            plan.fs(),
            &mut Vec::new(),
            FormantRoots::OpenSmile,
        );
        let mut neg = c;
        for v in neg[1..].iter_mut() {
            *v = -*v;
        }
        let want = formants_from_roots(&into_unit_circle(&poly_roots(&neg)), plan.fs());
        assert_eq!(os.len(), want.len());
        for (a, b) in os.iter().zip(&want) {
            assert!(
                (a.0 - b.0).abs() < 1e-3 && (a.1 - b.1).abs() < 1e-3,
                "{os:?} vs {want:?}"
            );
        }
        assert!(os.iter().all(|f| f.1 >= 0.0 && f.1.is_finite()));
        assert_ne!(os, fm);
    }
}
