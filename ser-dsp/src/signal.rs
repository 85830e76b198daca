//! Time-domain helpers: pre-emphasis, autocorrelation, frame energy.

use crate::error::{check_finite, invalid, Error, Result};
use crate::frame::{n_frames, padded_sample, PadMode};
use num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

/// Mean power (mean square) of a signal, accumulated in f64; 0 for an empty signal.
///
/// ```
/// assert_eq!(ser_dsp::mean_power(&[1.0, -1.0, 3.0, -3.0]), 5.0);
/// assert_eq!(ser_dsp::mean_power(&[]), 0.0);
/// ```
pub fn mean_power(x: &[f32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64
}

/// Pre-emphasis `y[n] = x[n] - coef · x[n-1]` (`librosa.effects.preemphasis(x, coef=coef)`).
///
/// As librosa (default `zi=None`), the filter state is initialised to `2·x[0] - x[1]`, which gives
/// `y[0] = 3·x[0] - x[1]` regardless of `coef` (librosa's behaviour, reproduced on purpose).
/// A one-sample input returns `[(1 - coef) · x[0]]`; an empty input returns an empty vector.
/// librosa's default `coef` is 0.97.
///
/// ```
/// let y = ser_dsp::preemphasis(&[1.0, 3.0, 3.0, 5.0], 0.5);
/// assert_eq!(y, vec![0.0, 2.5, 1.5, 3.5]);
/// ```
pub fn preemphasis(x: &[f32], coef: f32) -> Vec<f32> {
    match x.len() {
        0 => Vec::new(),
        1 => vec![x[0] - coef * x[0]],
        _ => {
            let mut y = Vec::with_capacity(x.len());
            y.push(x[0] + (2.0 * x[0] - x[1]));
            y.extend(x.windows(2).map(|w| w[1] - coef * w[0]));
            y
        }
    }
}

/// Autocorrelation `r[k] = Σ_n x[n] x[n+k]` for `k < max_size` (default and maximum
/// `x.len()`), computed with a zero-padded real FFT (`librosa.autocorrelate`).
///
/// ```
/// let r = ser_dsp::autocorrelate(&[1.0, 2.0, 3.0, 5.0], None);
/// let expect = [39.0, 23.0, 13.0, 5.0];
/// assert!(r.iter().zip(expect).all(|(a, b)| (a - b).abs() < 1e-4));
/// ```
pub fn autocorrelate(x: &[f32], max_size: Option<usize>) -> Vec<f32> {
    if x.is_empty() {
        return Vec::new();
    }
    let plan = Autocorrelator::new(x.len(), max_size);
    let mut out = vec![0.0; plan.output_len()];
    let mut scratch = plan.make_scratch();
    plan.process_into_unchecked(x, &mut out, &mut [], &mut scratch);
    out
}

/// Smallest `m >= n` of the form `2^a 3^b 5^c` (a fast FFT size).
fn next_fast_len(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut r = m;
        for p in [2, 3, 5] {
            while r % p == 0 {
                r /= p;
            }
        }
        if r == 1 {
            return m;
        }
        m += 1;
    }
}

/// Reusable buffers for [`Autocorrelator`].
#[derive(Clone, Default)]
pub struct AutocorrScratch {
    time: Vec<f32>,
    freq: Vec<Complex32>,
    fft_scratch: Vec<Complex32>,
}

impl fmt::Debug for AutocorrScratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AutocorrScratch")
            .field("fft_len", &self.time.len())
            .finish()
    }
}

/// An autocorrelation plan for frames of a fixed length `n` keeping lags `0..max_size`.
/// FFT size: the smallest `2^a 3^b 5^c >= n + max_size - 1`, so the kept lags are the exact
/// linear autocorrelation (no circular wrap-around) and short lag ranges need short FFTs.
/// [`Autocorrelator::process_with_power_into`] also returns the frame's power spectrum
/// (the FFT computed on the way), for callers that need both.
///
/// ```
/// use ser_dsp::Autocorrelator;
/// let ac = Autocorrelator::new(4, Some(2));
/// let mut out = [0.0f32; 2];
/// ac.process_into(&[1.0, 2.0, 3.0, 5.0], &mut out, &mut ac.make_scratch()).unwrap();
/// assert!((out[0] - 39.0).abs() < 1e-4 && (out[1] - 23.0).abs() < 1e-4);
/// ```
#[derive(Clone)]
pub struct Autocorrelator {
    n: usize,
    max_size: usize,
    fft_len: usize,
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
}

impl fmt::Debug for Autocorrelator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Autocorrelator")
            .field("n", &self.n)
            .field("max_size", &self.max_size)
            .finish()
    }
}

impl Autocorrelator {
    /// Plan for frames of length `n`, keeping lags `0..max_size` (default and maximum `n`).
    /// `n = 0` gives a plan whose output is empty.
    pub fn new(n: usize, max_size: Option<usize>) -> Autocorrelator {
        let max_size = max_size.unwrap_or(n).min(n);
        let fft_len = next_fast_len((n + max_size).saturating_sub(1).max(1));
        let mut planner = RealFftPlanner::<f32>::new();
        Autocorrelator {
            n,
            max_size,
            fft_len,
            fwd: planner.plan_fft_forward(fft_len),
            inv: planner.plan_fft_inverse(fft_len),
        }
    }

    /// Number of output lags.
    pub fn output_len(&self) -> usize {
        self.max_size
    }

    /// FFT size (the frame is zero-padded to it); the power spectrum has `fft_len / 2 + 1` bins
    /// of width `sr / fft_len`.
    pub fn fft_len(&self) -> usize {
        self.fft_len
    }

    /// Allocates the work buffers.
    pub fn make_scratch(&self) -> AutocorrScratch {
        AutocorrScratch {
            time: vec![0.0; self.fft_len],
            freq: vec![Complex32::default(); self.fft_len / 2 + 1],
            fft_scratch: vec![
                Complex32::default();
                self.fwd.get_scratch_len().max(self.inv.get_scratch_len())
            ],
        }
    }

    /// Autocorrelation of `frame` (length `n`) into `out` (length `output_len()`).
    pub fn process_into(
        &self,
        frame: &[f32],
        out: &mut [f32],
        scratch: &mut AutocorrScratch,
    ) -> Result<()> {
        self.check(frame, out)?;
        self.process_into_unchecked(frame, out, &mut [], scratch);
        Ok(())
    }

    /// As [`Autocorrelator::process_into`], also writing the power spectrum `|X[k]|²` of the
    /// zero-padded frame (FFT size [`Autocorrelator::fft_len`], unnormalised) for
    /// `k < power.len()` (at most `fft_len / 2 + 1` bins).
    ///
    /// ```
    /// use ser_dsp::Autocorrelator;
    /// let ac = Autocorrelator::new(4, Some(2));
    /// let (mut r, mut p) = ([0.0f32; 2], [0.0f32; 1]);
    /// ac.process_with_power_into(&[1.0, 2.0, 3.0, 5.0], &mut r, &mut p, &mut ac.make_scratch())?;
    /// assert!((p[0] - 121.0).abs() < 1e-3); // |sum x|^2 at DC
    /// # Ok::<(), ser_dsp::Error>(())
    /// ```
    pub fn process_with_power_into(
        &self,
        frame: &[f32],
        out: &mut [f32],
        power: &mut [f32],
        scratch: &mut AutocorrScratch,
    ) -> Result<()> {
        self.check_power(power)?;
        self.check(frame, out)?;
        self.process_into_unchecked(frame, out, power, scratch);
        Ok(())
    }

    /// Only the power spectrum `|X[k]|²` (`k < power.len() <= fft_len / 2 + 1`) of the
    /// zero-padded frame, the same values as [`Autocorrelator::process_with_power_into`] gives,
    /// without the inverse transform (for callers that need few lags, computed directly).
    pub fn power_into(
        &self,
        frame: &[f32],
        power: &mut [f32],
        s: &mut AutocorrScratch,
    ) -> Result<()> {
        self.check_power(power)?;
        self.check_frame(frame)?;
        self.forward(frame, s);
        for (p, c) in power.iter_mut().zip(&s.freq) {
            *p = c.norm_sqr();
        }
        Ok(())
    }

    fn check_frame(&self, frame: &[f32]) -> Result<()> {
        if frame.len() != self.n {
            return Err(Error::ShapeMismatch {
                what: "autocorrelation frame length",
                expected: self.n.to_string(),
                got: frame.len().to_string(),
            });
        }
        Ok(())
    }

    fn check_power(&self, power: &[f32]) -> Result<()> {
        if power.len() > self.fft_len / 2 + 1 {
            return Err(Error::ShapeMismatch {
                what: "power spectrum length",
                expected: format!("<= {}", self.fft_len / 2 + 1),
                got: power.len().to_string(),
            });
        }
        Ok(())
    }

    fn check(&self, frame: &[f32], out: &[f32]) -> Result<()> {
        self.check_frame(frame)?;
        if out.len() != self.max_size {
            return Err(Error::ShapeMismatch {
                what: "autocorrelation output length",
                expected: self.max_size.to_string(),
                got: out.len().to_string(),
            });
        }
        Ok(())
    }

    /// Zero-padded forward FFT of `frame` into `s.freq` (scratch resized if needed).
    fn forward(&self, frame: &[f32], s: &mut AutocorrScratch) {
        if s.time.len() != self.fft_len
            || s.fft_scratch.len() < self.fwd.get_scratch_len().max(self.inv.get_scratch_len())
        {
            *s = self.make_scratch();
        }
        s.time[..self.n].copy_from_slice(frame);
        s.time[self.n..].iter_mut().for_each(|v| *v = 0.0);
        let fs = self.fwd.get_scratch_len();
        // Lengths are fixed by construction, so this cannot fail.
        let _ = self
            .fwd
            .process_with_scratch(&mut s.time, &mut s.freq, &mut s.fft_scratch[..fs]);
    }

    fn process_into_unchecked(
        &self,
        frame: &[f32],
        out: &mut [f32],
        power: &mut [f32],
        s: &mut AutocorrScratch,
    ) {
        self.forward(frame, s);
        for c in s.freq.iter_mut() {
            *c = Complex32::new(c.norm_sqr(), 0.0);
        }
        for (p, c) in power.iter_mut().zip(&s.freq) {
            *p = c.re;
        }
        let is = self.inv.get_scratch_len();
        let _ = self
            .inv
            .process_with_scratch(&mut s.freq, &mut s.time, &mut s.fft_scratch[..is]);
        let scale = 1.0 / self.fft_len as f32;
        for (o, &v) in out.iter_mut().zip(&s.time) {
            *o = v * scale;
        }
    }
}

/// Energy `Σ x²` of each frame, with the same framing as the STFT (`center` pads
/// `frame_length / 2` on each side with `pad_mode`). Output length: [`n_frames`].
/// (`librosa.feature.rms` is `sqrt(energy / frame_length)` with `center=True, pad_mode="constant"`.)
///
/// ```
/// use ser_dsp::{frame_energy, PadMode};
/// let e = frame_energy(&[1.0; 8], 4, 4, false, PadMode::Constant).unwrap();
/// assert_eq!(e, vec![4.0, 4.0]);
/// ```
pub fn frame_energy(
    x: &[f32],
    frame_length: usize,
    hop_length: usize,
    center: bool,
    pad_mode: PadMode,
) -> Result<Vec<f32>> {
    if frame_length == 0 {
        return Err(invalid("frame_length", "must be > 0"));
    }
    if hop_length == 0 {
        return Err(invalid("hop_length", "must be > 0"));
    }
    if x.is_empty() {
        return Err(Error::EmptyAudio);
    }
    check_finite(x)?;
    let n = n_frames(x.len(), frame_length, hop_length, center);
    if n == 0 {
        return Err(Error::TooShort {
            what: "frame_energy (center = false)",
            expected: frame_length,
            got: x.len(),
        });
    }
    let pad = if center { frame_length / 2 } else { 0 } as isize;
    Ok((0..n)
        .map(|t| {
            let start = (t * hop_length) as isize - pad;
            if start >= 0 && start as usize + frame_length <= x.len() {
                x[start as usize..start as usize + frame_length]
                    .iter()
                    .map(|v| v * v)
                    .sum()
            } else {
                (start..start + frame_length as isize)
                    .map(|j| {
                        let v = padded_sample(x, j, pad_mode);
                        v * v
                    })
                    .sum()
            }
        })
        .collect())
}

/// Process-wide cache of real FFT plans (realfft caches plans by length), so
/// repeated one-shot convolutions of the same size do not re-plan.
static CONV_PLANNER: OnceLock<Mutex<RealFftPlanner<f32>>> = OnceLock::new();

fn conv_plans(n: usize) -> (Arc<dyn RealToComplex<f32>>, Arc<dyn ComplexToReal<f32>>) {
    let m = CONV_PLANNER.get_or_init(|| Mutex::new(RealFftPlanner::new()));
    let mut p = m.lock().unwrap_or_else(|e| e.into_inner());
    (p.plan_fft_forward(n), p.plan_fft_inverse(n))
}

/// Full linear convolution `x * h` (`scipy.signal.fftconvolve(x, h, mode="full")`),
/// length `x.len() + h.len() - 1`.
///
/// Kernels of at most 32 taps use the direct form (accumulated in f64, exact to f32
/// rounding); longer ones one real FFT of the next power of two at least the output
/// length, computed in f32. Empty inputs give an empty output.
///
/// ```
/// let y = ser_dsp::fft_convolve(&[1.0, 2.0, 3.0], &[0.0, 1.0, 0.5]);
/// assert_eq!(y, vec![0.0, 1.0, 2.5, 4.0, 1.5]);
/// ```
pub fn fft_convolve(x: &[f32], h: &[f32]) -> Vec<f32> {
    if x.is_empty() || h.is_empty() {
        return Vec::new();
    }
    let out_len = x.len() + h.len() - 1;
    if x.len().min(h.len()) <= 32 {
        let (long, short) = if x.len() >= h.len() { (x, h) } else { (h, x) };
        let mut y = vec![0.0f64; out_len];
        for (i, &a) in long.iter().enumerate() {
            for (j, &b) in short.iter().enumerate() {
                y[i + j] += f64::from(a) * f64::from(b);
            }
        }
        return y.into_iter().map(|v| v as f32).collect();
    }
    let n = out_len.next_power_of_two();
    let (fwd, inv) = conv_plans(n);
    let mut a = vec![0.0f32; n];
    a[..x.len()].copy_from_slice(x);
    let mut b = vec![0.0f32; n];
    b[..h.len()].copy_from_slice(h);
    let mut fa = fwd.make_output_vec();
    let mut fb = fwd.make_output_vec();
    // Buffer lengths match the plans by construction, so these cannot fail.
    let ok = fwd.process(&mut a, &mut fa).is_ok() && fwd.process(&mut b, &mut fb).is_ok();
    debug_assert!(ok);
    let scale = 1.0 / n as f32;
    for (p, q) in fa.iter_mut().zip(&fb) {
        *p = *p * *q * scale;
    }
    fa[0].im = 0.0;
    if let Some(last) = fa.last_mut() {
        last.im = 0.0;
    }
    let ok = inv.process(&mut fa, &mut a).is_ok();
    debug_assert!(ok);
    a.truncate(out_len);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autocorr_matches_direct() {
        let x: Vec<f32> = (0..37).map(|i| ((i * 13 % 7) as f32) - 3.0).collect();
        let r = autocorrelate(&x, Some(20));
        assert_eq!(r.len(), 20);
        for (k, &v) in r.iter().enumerate() {
            let d: f32 = (0..x.len() - k).map(|n| x[n] * x[n + k]).sum();
            assert!((v - d).abs() < 1e-3, "lag {k}: {v} vs {d}");
        }
        assert!(autocorrelate(&[], None).is_empty());
        assert_eq!(autocorrelate(&[2.0], None), vec![4.0]);
    }

    #[test]
    fn power_only_equals_the_power_of_the_full_call() {
        let x: Vec<f32> = (0..300)
            .map(|i| ((i * 31 % 17) as f32) / 8.0 - 1.0)
            .collect();
        let ac = Autocorrelator::new(x.len(), Some(90));
        let mut sc = ac.make_scratch();
        let nb = ac.fft_len() / 2 + 1;
        let (mut r, mut p1, mut p2) = (vec![0.0; 90], vec![0.0; nb], vec![0.0; nb]);
        ac.process_with_power_into(&x, &mut r, &mut p1, &mut sc)
            .unwrap();
        ac.power_into(&x, &mut p2, &mut sc).unwrap();
        assert_eq!(p1, p2);
        assert!(ac.power_into(&x, &mut vec![0.0; nb + 1], &mut sc).is_err());
        assert!(ac.power_into(&x[1..], &mut p2, &mut sc).is_err());
    }

    #[test]
    fn short_lag_plans_are_exact_and_return_the_power_spectrum() {
        let x: Vec<f32> = (0..640)
            .map(|i| ((i * 7919 % 101) as f32) / 50.0 - 1.0)
            .collect();
        for max in [1, 17, 292, 640] {
            let ac = Autocorrelator::new(x.len(), Some(max));
            assert!(ac.fft_len() >= x.len() + max - 1);
            assert!(ac.fft_len() < 2 * (x.len() + max));
            let mut r = vec![0.0; max];
            let mut p = vec![0.0; ac.fft_len() / 2 + 1];
            let mut sc = ac.make_scratch();
            ac.process_with_power_into(&x, &mut r, &mut p, &mut sc)
                .expect("ok");
            for (k, &v) in r.iter().enumerate() {
                let d: f64 = (0..x.len() - k).map(|n| (x[n] * x[n + k]) as f64).sum();
                assert!(
                    (v as f64 - d).abs() < 1e-3 * (1.0 + d.abs()),
                    "lag {k}: {v} vs {d}"
                );
            }
            // Parseval on the one-sided spectrum: r[0] = (1/N) sum_k |X_k|^2
            let n = ac.fft_len();
            let two_sided: f64 = (0..n)
                .map(|k| p[if k <= n / 2 { k } else { n - k }] as f64)
                .sum::<f64>()
                / n as f64;
            assert!((two_sided - r[0] as f64).abs() < 1e-3 * r[0] as f64);
            let too_long = ac.fft_len() / 2 + 2;
            assert!(ac
                .process_with_power_into(&x, &mut r, &mut vec![0.0; too_long], &mut sc)
                .is_err());
            assert!(ac
                .process_with_power_into(&x[1..], &mut r, &mut p, &mut sc)
                .is_err());
        }
        assert_eq!(next_fast_len(931), 960);
        assert_eq!(next_fast_len(1), 1);
    }

    #[test]
    fn energy_centered() {
        let e = frame_energy(&[1.0; 8], 4, 4, true, PadMode::Constant).expect("energy");
        assert_eq!(e, vec![2.0, 4.0, 2.0]);
        let r = frame_energy(&[1.0; 8], 4, 4, true, PadMode::Reflect).expect("energy");
        assert_eq!(r, vec![4.0, 4.0, 4.0]);
        assert!(frame_energy(&[1.0; 3], 4, 4, false, PadMode::Constant).is_err());
        assert!(frame_energy(&[], 4, 4, true, PadMode::Constant).is_err());
    }

    #[test]
    fn preemphasis_edges() {
        assert!(preemphasis(&[], 0.97).is_empty());
        assert_eq!(preemphasis(&[2.0], 0.5), vec![1.0]);
    }

    #[test]
    fn fft_convolve_matches_direct_form() {
        let x: Vec<f32> = (0..300)
            .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
            .collect();
        let h: Vec<f32> = (0..100).map(|i| (-(i as f32) / 20.0).exp()).collect();
        let y = fft_convolve(&x, &h);
        assert_eq!(y.len(), x.len() + h.len() - 1);
        for (k, &v) in y.iter().enumerate() {
            let direct: f64 = (0..h.len())
                .filter(|&j| k >= j && k - j < x.len())
                .map(|j| f64::from(x[k - j]) * f64::from(h[j]))
                .sum();
            assert!((f64::from(v) - direct).abs() < 1e-4, "{k}: {v} vs {direct}");
        }
        assert!(fft_convolve(&[], &h).is_empty());
    }
}
