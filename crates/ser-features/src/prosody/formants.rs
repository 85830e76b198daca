//! Formants F1–F3 by LPC root finding (the method of openSMILE's `cLpc` + `cFormantLpc` in
//! eGeMAPS).
//!
//! As in eGeMAPS, the frame's power spectrum is band-limited to `fs_lpc / 2` (default
//! 5500 Hz, i.e. the spectrum of the signal resampled to 11 kHz), its autocorrelation at the
//! `fs_lpc` rate is obtained by a cosine transform of that power spectrum (Wiener–Khinchin),
//! LPC coefficients of order `order` (default 11) come from Levinson–Durbin, and the roots of
//! the LPC polynomial (Aberth–Ehrlich iteration, warm-started from the previous frame's roots
//! with [`LpcFromPower::formants_warm`]) with positive imaginary part give the
//! formant frequencies `f = arg(z) · fs / 2π` and bandwidths `b = −ln|z| · fs / π`. Roots with
//! `f` outside (50 Hz, fs/2 − 50 Hz) are discarded; the rest are sorted by frequency.
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
    /// model, but this is what eGeMAPS' `F1frequency` … `F3bandwidth` report: on EmoDB the
    /// Pearson r with openSMILE's F1 / F2 / F3 means rises from 0.49 / 0.01 / −0.26 (`Lpc`)
    /// to 0.87 / 0.78 / 0.55.
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

/// Precomputed cosine table for the band-limited autocorrelation of a power spectrum.
#[derive(Debug, Clone)]
pub struct LpcFromPower {
    order: usize,
    fs_lpc: f64,
    /// number of bins used (`f < fs_lpc / 2`)
    n_used: usize,
    /// `(order + 1) × n_used` cosines (with the one-sided weight 2, 1 for DC)
    cos: Vec<f64>,
}

impl LpcFromPower {
    /// Plan for power spectra of `n_fft` points at `sr`, LPC of `order` at `fs_lpc` Hz.
    pub fn new(sr: u32, n_fft: usize, order: usize, fs_lpc: f64) -> Self {
        let df = sr as f64 / n_fft as f64;
        let n_bins = n_fft / 2 + 1;
        let n_used = ((fs_lpc / 2.0 / df).floor() as usize + 1).min(n_bins);
        let mut cos = Vec::with_capacity((order + 1) * n_used);
        for m in 0..=order {
            for k in 0..n_used {
                let w = if k == 0 { 1.0 } else { 2.0 };
                cos.push(
                    w * (2.0 * std::f64::consts::PI * k as f64 * df * m as f64 / fs_lpc).cos(),
                );
            }
        }
        Self {
            order,
            fs_lpc,
            n_used,
            cos,
        }
    }

    /// LPC sampling rate.
    pub fn fs(&self) -> f64 {
        self.fs_lpc
    }

    /// LPC polynomial `[1, a1, …]` of a frame's power spectrum.
    pub fn lpc(&self, power: &[f32]) -> Vec<f64> {
        let n = self.n_used.min(power.len());
        let r: Vec<f64> = (0..=self.order)
            .map(|m| {
                let row = &self.cos[m * self.n_used..m * self.n_used + n];
                // four independent accumulators (the sum is latency-bound otherwise)
                let mut acc = [0.0f64; 4];
                let (rc, pc) = (row.chunks_exact(4), power[..n].chunks_exact(4));
                let (rr, pr) = (rc.remainder(), pc.remainder());
                for (cw, pw) in rc.zip(pc) {
                    for l in 0..4 {
                        acc[l] += cw[l] * pw[l] as f64;
                    }
                }
                let tail: f64 = rr.iter().zip(pr).map(|(c, p)| c * *p as f64).sum();
                (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
            })
            .collect();
        // mild lag window against ill-conditioning (white-noise correction 1e-9)
        let mut r = r;
        r[0] *= 1.0 + 1e-9;
        levinson(&r, self.order)
    }

    /// Formants `(frequency, bandwidth)` of a frame's power spectrum.
    pub fn formants(&self, power: &[f32]) -> Vec<(f64, f64)> {
        formants_from_lpc(&self.lpc(power), self.fs_lpc)
    }

    /// As [`LpcFromPower::formants`], root finding warm-started from (and updating) `roots`
    /// ([`poly_roots_warm`]); pass the same vector for consecutive frames of one signal.
    pub fn formants_warm(&self, power: &[f32], roots: &mut Vec<Complex64>) -> Vec<(f64, f64)> {
        self.formants_warm_with(power, roots, FormantRoots::Lpc)
    }

    /// As [`LpcFromPower::formants_warm`], reading the roots by `convention`. `roots` keeps
    /// the polynomial's own (unreflected) roots for the next frame's warm start.
    pub fn formants_warm_with(
        &self,
        power: &[f32],
        roots: &mut Vec<Complex64>,
        convention: FormantRoots,
    ) -> Vec<(f64, f64)> {
        let mut c = self.lpc(power);
        match convention {
            FormantRoots::Lpc => {
                poly_roots_warm(&c, roots);
                formants_from_roots(roots, self.fs_lpc)
            }
            FormantRoots::OpenSmile => {
                for v in c[1..].iter_mut() {
                    *v = -*v;
                }
                poly_roots_warm(&c, roots);
                formants_from_roots(&into_unit_circle(roots), self.fs_lpc)
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

    #[test]
    fn opensmile_convention_reads_the_negated_polynomial() {
        // a frame's power spectrum: two resonances plus a gentle tilt
        let (sr, n_fft) = (16_000u32, 512usize);
        let power: Vec<f32> = (0..=n_fft / 2)
            .map(|k| {
                let f = k as f32 * sr as f32 / n_fft as f32;
                let r = |fc: f32, bw: f32| 1.0 / (1.0 + ((f - fc) / bw).powi(2));
                (r(600.0, 90.0) + 0.5 * r(1700.0, 150.0) + 0.05) / (1.0 + f / 3000.0)
            })
            .collect();
        let plan = LpcFromPower::new(sr, n_fft, 11, 11_000.0);
        let mut warm = Vec::new();
        let lpc = plan.formants_warm_with(&power, &mut warm, FormantRoots::Lpc);
        assert_eq!(lpc, plan.formants(&power));
        let mut warm2 = Vec::new();
        let os = plan.formants_warm_with(&power, &mut warm2, FormantRoots::OpenSmile);
        // the same thing by hand: roots of z^p - sum a_k z^(p-k), reflected into the circle
        let mut c = plan.lpc(&power);
        for v in c[1..].iter_mut() {
            *v = -*v;
        }
        let want = formants_from_roots(&into_unit_circle(&poly_roots(&c)), plan.fs());
        assert_eq!(os.len(), want.len());
        for (a, b) in os.iter().zip(&want) {
            assert!(
                (a.0 - b.0).abs() < 1e-3 && (a.1 - b.1).abs() < 1e-3,
                "{os:?} vs {want:?}"
            );
        }
        // every reported root lies inside the unit circle (finite, positive bandwidths)
        assert!(os.iter().all(|f| f.1 >= 0.0 && f.1.is_finite()));
        assert_ne!(os, lpc);
    }

    #[test]
    fn two_resonator_formants_from_spectrum() {
        // power spectrum of a two-pole-pair filter (F 700 Hz / B 80 Hz and 1800 Hz / B 120 Hz)
        let (sr, n_fft) = (16_000u32, 512usize);
        let fs = sr as f64;
        let poles = [(700.0, 80.0), (1800.0, 120.0)];
        let power: Vec<f32> = (0..=n_fft / 2)
            .map(|k| {
                let w = 2.0 * std::f64::consts::PI * k as f64 / n_fft as f64;
                let z = Complex64::from_polar(1.0, w);
                let mut h = Complex64::new(1.0, 0.0);
                for &(f, b) in &poles {
                    let r = (-std::f64::consts::PI * b / fs).exp();
                    let p = Complex64::from_polar(r, 2.0 * std::f64::consts::PI * f / fs);
                    h *= (Complex64::new(1.0, 0.0) - p / z)
                        * (Complex64::new(1.0, 0.0) - p.conj() / z);
                }
                (1.0 / h.norm_sqr()) as f32
            })
            .collect();
        let plan = LpcFromPower::new(sr, n_fft, 11, 11_000.0);
        // the two resonances are the narrow-band roots (order 11 adds broad ones)
        let fm: Vec<(f64, f64)> = plan
            .formants(&power)
            .into_iter()
            .filter(|f| f.1 < 400.0)
            .collect();
        assert!((fm[0].0 - 700.0).abs() < 30.0, "{fm:?}");
        assert!((fm[1].0 - 1800.0).abs() < 40.0, "{fm:?}");
    }
}
