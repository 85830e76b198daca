//! Short-time Fourier transform and its inverse (`librosa.stft` / `librosa.istft`).

use crate::error::{check_finite, invalid, Error, Result};
use crate::frame::{n_frames, padded_sample, PadMode};
use crate::window::{padded_window, Window};
use ndarray::{Array2, ArrayView2};
use num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// STFT parameters, with librosa names and defaults (`librosa.stft`).
///
/// ```
/// use ser_dsp::{StftConfig, Window};
/// let cfg = StftConfig::default().n_fft(512).hop_length(160).window(Window::Hann);
/// assert_eq!(cfg.n_fft, 512);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StftConfig {
    /// FFT size. Default: 2048 (librosa).
    pub n_fft: usize,
    /// Hop between frames in samples. Default: `None` = `win_length / 4` (librosa).
    pub hop_length: Option<usize>,
    /// Window length, zero-padded (centred) to `n_fft`. Default: `None` = `n_fft` (librosa).
    pub win_length: Option<usize>,
    /// Window function. Default: [`Window::Hann`] (periodic, librosa).
    pub window: Window,
    /// Pad `n_fft / 2` samples on both sides so frame `t` is centred at `t * hop_length`.
    /// Default: `true` (librosa).
    pub center: bool,
    /// Padding used when `center`. Default: [`PadMode::Constant`] (zeros, librosa ≥ 0.10).
    pub pad_mode: PadMode,
}

impl Default for StftConfig {
    fn default() -> Self {
        StftConfig {
            n_fft: 2048,
            hop_length: None,
            win_length: None,
            window: Window::Hann,
            center: true,
            pad_mode: PadMode::Constant,
        }
    }
}

impl StftConfig {
    /// Sets `n_fft`.
    pub fn n_fft(mut self, n_fft: usize) -> Self {
        self.n_fft = n_fft;
        self
    }
    /// Sets `hop_length`.
    pub fn hop_length(mut self, hop_length: usize) -> Self {
        self.hop_length = Some(hop_length);
        self
    }
    /// Sets `win_length`.
    pub fn win_length(mut self, win_length: usize) -> Self {
        self.win_length = Some(win_length);
        self
    }
    /// Sets `window`.
    pub fn window(mut self, window: Window) -> Self {
        self.window = window;
        self
    }
    /// Sets `center`.
    pub fn center(mut self, center: bool) -> Self {
        self.center = center;
        self
    }
    /// Sets `pad_mode`.
    pub fn pad_mode(mut self, pad_mode: PadMode) -> Self {
        self.pad_mode = pad_mode;
        self
    }
    /// Effective window length (`win_length` or `n_fft`).
    pub fn effective_win_length(&self) -> usize {
        self.win_length.unwrap_or(self.n_fft)
    }
    /// Effective hop (`hop_length` or `win_length / 4`, as librosa).
    pub fn effective_hop_length(&self) -> usize {
        self.hop_length.unwrap_or(self.effective_win_length() / 4)
    }

    fn validate(&self) -> Result<(usize, usize)> {
        if self.n_fft == 0 {
            return Err(invalid("n_fft", "must be > 0"));
        }
        let win = self.effective_win_length();
        if win == 0 || win > self.n_fft {
            return Err(invalid(
                "win_length",
                format!("must be in 1..={} (n_fft), got {win}", self.n_fft),
            ));
        }
        let hop = self.effective_hop_length();
        if hop == 0 {
            return Err(invalid("hop_length", "must be > 0"));
        }
        Ok((win, hop))
    }
}

/// Reusable buffers for [`Stft`]; make one per thread with [`Stft::make_scratch`].
#[derive(Clone, Default)]
pub struct StftScratch {
    frame: Vec<f32>,
    spectrum: Vec<Complex32>,
    fft_scratch: Vec<Complex32>,
    /// Frame-major staging block for cache-friendly transposed writes (sized lazily).
    block_c: Vec<Complex32>,
    block_r: Vec<f32>,
}

/// Frames staged before a transposed write into a `(bins, frames)` output.
pub(crate) const BLOCK: usize = 16;

/// Copies a frame-major block (`cnt` frames of `nb` values) into columns `t0..t0 + cnt` of a
/// row-major `(nb, n_frames)` slice.
#[inline]
pub(crate) fn flush_block<T: Copy>(
    block: &[T],
    nb: usize,
    cnt: usize,
    out: &mut [T],
    n_frames: usize,
    t0: usize,
) {
    for k in 0..nb {
        let row = &mut out[k * n_frames + t0..k * n_frames + t0 + cnt];
        for (j, o) in row.iter_mut().enumerate() {
            *o = block[j * nb + k];
        }
    }
}

impl fmt::Debug for StftScratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StftScratch")
            .field("n_fft", &self.frame.len())
            .finish()
    }
}

/// An STFT plan: FFT plan and window computed once, `&self` methods, `Send + Sync`.
///
/// Output layout is librosa's: `(n_bins, n_frames)` with `n_bins = n_fft / 2 + 1`; the transform
/// is unnormalised (`numpy.fft.rfft`).
///
/// ```
/// use ser_dsp::{Stft, StftConfig};
/// let stft = Stft::new(&StftConfig::default().n_fft(512).hop_length(128)).unwrap();
/// let x: Vec<f32> = (0..4000).map(|i| (i as f32 * 0.05).sin()).collect();
/// let spec = stft.process(&x).unwrap();
/// assert_eq!(spec.dim(), (257, stft.n_frames(x.len())));
/// ```
#[derive(Clone)]
pub struct Stft {
    cfg: StftConfig,
    hop: usize,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
}

impl fmt::Debug for Stft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stft").field("cfg", &self.cfg).finish()
    }
}

impl Stft {
    /// Builds the plan. Errors on `n_fft == 0`, `win_length` outside `1..=n_fft` or a zero hop.
    pub fn new(cfg: &StftConfig) -> Result<Stft> {
        let (win, hop) = cfg.validate()?;
        let mut planner = RealFftPlanner::<f32>::new();
        Ok(Stft {
            cfg: cfg.clone(),
            hop,
            window: padded_window(cfg.window, win, cfg.n_fft),
            fft: planner.plan_fft_forward(cfg.n_fft),
        })
    }

    /// The configuration the plan was built from.
    pub fn config(&self) -> &StftConfig {
        &self.cfg
    }

    /// `n_fft / 2 + 1`.
    pub fn n_bins(&self) -> usize {
        self.cfg.n_fft / 2 + 1
    }

    /// Effective hop length.
    pub fn hop_length(&self) -> usize {
        self.hop
    }

    /// The `n_fft`-long analysis window (zero-padded if `win_length < n_fft`).
    pub fn window(&self) -> &[f32] {
        &self.window
    }

    /// Number of frames for a signal of `n_samples` samples.
    pub fn n_frames(&self, n_samples: usize) -> usize {
        n_frames(n_samples, self.cfg.n_fft, self.hop, self.cfg.center)
    }

    /// Allocates the per-thread work buffers.
    pub fn make_scratch(&self) -> StftScratch {
        StftScratch {
            frame: vec![0.0; self.cfg.n_fft],
            spectrum: vec![Complex32::default(); self.n_bins()],
            fft_scratch: vec![Complex32::default(); self.fft.get_scratch_len()],
            block_c: Vec::new(),
            block_r: Vec::new(),
        }
    }

    fn ensure_scratch(&self, s: &mut StftScratch) {
        if s.frame.len() != self.cfg.n_fft
            || s.spectrum.len() != self.n_bins()
            || s.fft_scratch.len() != self.fft.get_scratch_len()
        {
            *s = self.make_scratch();
        }
    }

    /// Validates `x` and returns the number of frames.
    fn check_input(&self, x: &[f32]) -> Result<usize> {
        if x.is_empty() {
            return Err(Error::EmptyAudio);
        }
        check_finite(x)?;
        let n = self.n_frames(x.len());
        if n == 0 {
            return Err(Error::TooShort {
                what: "stft (center = false)",
                expected: self.cfg.n_fft,
                got: x.len(),
            });
        }
        Ok(n)
    }

    /// Writes windowed frame `t` of `x` into `buf` (virtual padding, no allocation).
    #[inline]
    fn fill_frame(&self, x: &[f32], t: usize, buf: &mut [f32]) {
        let n_fft = self.cfg.n_fft;
        let pad = if self.cfg.center { n_fft / 2 } else { 0 };
        let start = (t * self.hop) as isize - pad as isize;
        if start >= 0 && start as usize + n_fft <= x.len() {
            let s = &x[start as usize..start as usize + n_fft];
            for ((b, &v), &w) in buf.iter_mut().zip(s).zip(&self.window) {
                *b = v * w;
            }
        } else {
            for (k, (b, &w)) in buf.iter_mut().zip(&self.window).enumerate() {
                *b = padded_sample(x, start + k as isize, self.cfg.pad_mode) * w;
            }
        }
    }

    /// Runs the STFT frame by frame, calling `f(t, spectrum)` with the `n_bins` complex bins of
    /// frame `t`, without allocating. This is the primitive behind every other method.
    pub fn for_each_frame<F>(&self, x: &[f32], scratch: &mut StftScratch, f: F) -> Result<()>
    where
        F: FnMut(usize, &[Complex32]),
    {
        let n = self.check_input(x)?;
        self.ensure_scratch(scratch);
        let StftScratch {
            frame,
            spectrum,
            fft_scratch,
            ..
        } = scratch;
        self.run_frames(x, n, frame, spectrum, fft_scratch, f)
    }

    fn run_frames<F>(
        &self,
        x: &[f32],
        n: usize,
        frame: &mut [f32],
        spectrum: &mut [Complex32],
        fft_scratch: &mut [Complex32],
        mut f: F,
    ) -> Result<()>
    where
        F: FnMut(usize, &[Complex32]),
    {
        for t in 0..n {
            self.fill_frame(x, t, frame);
            self.fft
                .process_with_scratch(frame, spectrum, fft_scratch)
                .map_err(|e| Error::InvalidParameter {
                    name: "n_fft",
                    reason: e.to_string(),
                })?;
            f(t, spectrum);
        }
        Ok(())
    }

    /// Runs the STFT and hands out blocks of up to [`BLOCK`] consecutive frames, frame-major
    /// (`cnt * n_bins` values produced by `map`), for transposed writes.
    fn run_blocks<T: Copy + Default, M, W>(
        &self,
        x: &[f32],
        scratch: &mut StftScratch,
        pick: fn(&mut StftScratch) -> &mut Vec<T>,
        map: M,
        mut write: W,
    ) -> Result<()>
    where
        M: Fn(&[Complex32], &mut [T]),
        W: FnMut(&[T], usize, usize),
    {
        let n = self.check_input(x)?;
        self.ensure_scratch(scratch);
        let nb = self.n_bins();
        let mut block = std::mem::take(pick(scratch));
        block.resize(BLOCK * nb, T::default());
        let StftScratch {
            frame,
            spectrum,
            fft_scratch,
            ..
        } = scratch;
        let res = self.run_frames(x, n, frame, spectrum, fft_scratch, |t, spec| {
            let j = t % BLOCK;
            map(spec, &mut block[j * nb..(j + 1) * nb]);
            if j == BLOCK - 1 || t == n - 1 {
                write(&block[..(j + 1) * nb], t - j, j + 1);
            }
        });
        *pick(scratch) = block;
        res
    }

    /// Complex STFT, shape `(n_bins, n_frames)` (= `librosa.stft`).
    ///
    /// Errors on empty or non-finite input, or (with `center = false`) fewer than `n_fft` samples.
    pub fn process(&self, x: &[f32]) -> Result<Array2<Complex32>> {
        let n = self.check_input(x)?;
        let mut out = Array2::zeros((self.n_bins(), n));
        let mut scratch = self.make_scratch();
        self.process_into(x, &mut out, &mut scratch)?;
        Ok(out)
    }

    /// Like [`Stft::process`] into a caller buffer of shape `(n_bins, n_frames(x.len()))`.
    pub fn process_into(
        &self,
        x: &[f32],
        out: &mut Array2<Complex32>,
        scratch: &mut StftScratch,
    ) -> Result<()> {
        let n = self.check_input(x)?;
        check_shape("stft output", out.dim(), (self.n_bins(), n))?;
        let nb = self.n_bins();
        if let Some(slice) = out.as_slice_mut() {
            return self.run_blocks(
                x,
                scratch,
                |s| &mut s.block_c,
                |spec, dst| dst.copy_from_slice(spec),
                |block, t0, cnt| flush_block(block, nb, cnt, slice, n, t0),
            );
        }
        self.for_each_frame(x, scratch, |t, spec| {
            out.column_mut(t)
                .iter_mut()
                .zip(spec)
                .for_each(|(o, &s)| *o = s);
        })
    }

    /// `|STFT|^power`, shape `(n_bins, n_frames)`: `power = 1` magnitude, `2` power
    /// (librosa `_spectrogram`). Errors if `power` is not finite and positive.
    pub fn spectrogram(&self, x: &[f32], power: f32) -> Result<Array2<f32>> {
        let n = self.check_input(x)?;
        let mut out = Array2::zeros((self.n_bins(), n));
        let mut scratch = self.make_scratch();
        self.spectrogram_into(x, power, &mut out, &mut scratch)?;
        Ok(out)
    }

    /// Like [`Stft::spectrogram`] into a caller buffer of shape `(n_bins, n_frames(x.len()))`.
    pub fn spectrogram_into(
        &self,
        x: &[f32],
        power: f32,
        out: &mut Array2<f32>,
        scratch: &mut StftScratch,
    ) -> Result<()> {
        check_power(power)?;
        let n = self.check_input(x)?;
        check_shape("spectrogram output", out.dim(), (self.n_bins(), n))?;
        let nb = self.n_bins();
        if let Some(slice) = out.as_slice_mut() {
            return self.run_blocks(
                x,
                scratch,
                |s| &mut s.block_r,
                |spec, dst| {
                    for (d, &c) in dst.iter_mut().zip(spec) {
                        *d = power_of(c, power);
                    }
                },
                |block, t0, cnt| flush_block(block, nb, cnt, slice, n, t0),
            );
        }
        self.for_each_frame(x, scratch, |t, spec| {
            out.column_mut(t)
                .iter_mut()
                .zip(spec)
                .for_each(|(o, &c)| *o = power_of(c, power));
        })
    }
}

/// `|c|^power` with the common powers special-cased (librosa computes `np.abs(S) ** power`).
#[inline]
pub(crate) fn power_of(c: Complex32, power: f32) -> f32 {
    let sq = c.re * c.re + c.im * c.im;
    if power == 2.0 {
        sq
    } else if power == 1.0 {
        sq.sqrt()
    } else {
        sq.sqrt().powf(power)
    }
}

pub(crate) fn check_power(power: f32) -> Result<()> {
    if !(power.is_finite() && power > 0.0) {
        return Err(invalid(
            "power",
            format!("must be finite and > 0, got {power}"),
        ));
    }
    Ok(())
}

pub(crate) fn check_shape(
    what: &'static str,
    got: (usize, usize),
    expected: (usize, usize),
) -> Result<()> {
    if got != expected {
        return Err(Error::ShapeMismatch {
            what,
            expected: format!("{expected:?}"),
            got: format!("{got:?}"),
        });
    }
    Ok(())
}

/// An inverse-STFT plan (`librosa.istft`): windowed overlap-add normalised by the summed squared
/// window.
///
/// ```
/// use ser_dsp::{Istft, Stft, StftConfig};
/// let cfg = StftConfig::default().n_fft(256).hop_length(64);
/// let x: Vec<f32> = (0..2000).map(|i| (i as f32 * 0.01).sin()).collect();
/// let spec = Stft::new(&cfg).unwrap().process(&x).unwrap();
/// let y = Istft::new(&cfg).unwrap().process(spec.view(), Some(x.len())).unwrap();
/// assert!(x.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-4));
/// ```
#[derive(Clone)]
pub struct Istft {
    cfg: StftConfig,
    hop: usize,
    window: Vec<f32>,
    ifft: Arc<dyn ComplexToReal<f32>>,
}

impl fmt::Debug for Istft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Istft").field("cfg", &self.cfg).finish()
    }
}

impl Istft {
    /// Builds the plan (same validation as [`Stft::new`]).
    pub fn new(cfg: &StftConfig) -> Result<Istft> {
        let (win, hop) = cfg.validate()?;
        let mut planner = RealFftPlanner::<f32>::new();
        Ok(Istft {
            cfg: cfg.clone(),
            hop,
            window: padded_window(cfg.window, win, cfg.n_fft),
            ifft: planner.plan_fft_inverse(cfg.n_fft),
        })
    }

    /// The configuration the plan was built from.
    pub fn config(&self) -> &StftConfig {
        &self.cfg
    }

    /// Inverts `spec` of shape `(n_fft / 2 + 1, n_frames)`.
    ///
    /// Output length: `length` if given (zero-padded or truncated, as librosa), else
    /// `n_fft + hop * (n_frames - 1)` minus `2 * (n_fft / 2)` when `center`. The imaginary parts
    /// of the DC and Nyquist bins are ignored (as `numpy.fft.irfft`).
    pub fn process(
        &self,
        spec: ArrayView2<'_, Complex32>,
        length: Option<usize>,
    ) -> Result<Vec<f32>> {
        let n_fft = self.cfg.n_fft;
        let n_bins = n_fft / 2 + 1;
        if spec.nrows() != n_bins {
            return Err(Error::ShapeMismatch {
                what: "istft input rows",
                expected: format!("{n_bins} (n_fft / 2 + 1)"),
                got: spec.nrows().to_string(),
            });
        }
        if spec.ncols() == 0 {
            return Err(Error::EmptyAudio);
        }
        if let Some((idx, _)) = spec
            .iter()
            .enumerate()
            .find(|(_, c)| !(c.re.is_finite() && c.im.is_finite()))
        {
            return Err(Error::NonFiniteSample {
                index: idx,
                value: f32::NAN,
            });
        }
        let hop = self.hop;
        let start = if self.cfg.center { n_fft / 2 } else { 0 };
        let mut n_frames = spec.ncols();
        if let Some(len) = length {
            let padded = len + 2 * start;
            n_frames = n_frames.min(padded.div_ceil(hop));
        }
        let expected_len = match length {
            Some(len) => len,
            None => (n_fft + hop * (n_frames.max(1) - 1)).saturating_sub(2 * start),
        };
        let full_len = n_fft + hop * (n_frames.max(1) - 1);
        let mut y = vec![0.0f32; full_len];
        let mut wss = vec![0.0f32; full_len];
        let mut spectrum = vec![Complex32::default(); n_bins];
        let mut frame = vec![0.0f32; n_fft];
        let mut scratch = vec![Complex32::default(); self.ifft.get_scratch_len()];
        let scale = 1.0 / n_fft as f32;
        for t in 0..n_frames {
            for (s, c) in spectrum.iter_mut().zip(spec.column(t)) {
                *s = *c;
            }
            spectrum[0].im = 0.0;
            if n_fft % 2 == 0 {
                spectrum[n_bins - 1].im = 0.0;
            }
            self.ifft
                .process_with_scratch(&mut spectrum, &mut frame, &mut scratch)
                .map_err(|e| Error::InvalidParameter {
                    name: "stft_matrix",
                    reason: e.to_string(),
                })?;
            let off = t * hop;
            for (k, (&v, &w)) in frame.iter().zip(&self.window).enumerate() {
                y[off + k] += v * scale * w;
                wss[off + k] += w * w;
            }
        }
        let tiny = f32::MIN_POSITIVE;
        for (v, &w) in y.iter_mut().zip(&wss) {
            if w > tiny {
                *v /= w;
            }
        }
        let mut out = vec![0.0f32; expected_len];
        let avail = full_len.saturating_sub(start).min(expected_len);
        out[..avail].copy_from_slice(&y[start..start + avail]);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ShapeBuilder;

    #[test]
    fn plans_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Stft>();
        assert_send_sync::<Istft>();
    }

    #[test]
    fn dc_signal_has_only_dc_bin() {
        let stft =
            Stft::new(&StftConfig::default().n_fft(64).hop_length(16).center(false)).expect("plan");
        let x = vec![1.0f32; 256];
        let s = stft.spectrogram(&x, 1.0).expect("spec");
        let wsum: f32 = get_sum(stft.window());
        for t in 0..s.ncols() {
            assert!((s[[0, t]] - wsum).abs() < 1e-4);
            assert!(s[[5, t]].abs() < 1e-4);
        }
    }

    fn get_sum(w: &[f32]) -> f32 {
        w.iter().sum()
    }

    #[test]
    fn rejects_bad_input() {
        let stft = Stft::new(&StftConfig::default().n_fft(64)).expect("plan");
        assert!(matches!(stft.process(&[]), Err(Error::EmptyAudio)));
        assert!(matches!(
            stft.process(&[0.0, f32::NAN]),
            Err(Error::NonFiniteSample { index: 1, .. })
        ));
        let nc = Stft::new(&StftConfig::default().n_fft(64).center(false)).expect("plan");
        assert!(matches!(
            nc.process(&[0.0; 10]),
            Err(Error::TooShort { .. })
        ));
        assert!(Stft::new(&StftConfig::default().n_fft(0)).is_err());
        assert!(Stft::new(&StftConfig::default().n_fft(8).win_length(9)).is_err());
        assert!(Stft::new(&StftConfig::default().n_fft(2)).is_err()); // hop = 2/4 = 0
        let mut out = Array2::zeros((3, 3));
        assert!(stft
            .spectrogram_into(&[0.0; 100], 2.0, &mut out, &mut stft.make_scratch())
            .is_err());
        assert!(stft.spectrogram(&[0.0; 100], -1.0).is_err());
    }

    #[test]
    fn spectrogram_into_matches_process() {
        let stft = Stft::new(&StftConfig::default().n_fft(128).hop_length(32)).expect("plan");
        let x: Vec<f32> = (0..1000)
            .map(|i| ((i * 7 % 13) as f32 - 6.0) / 6.0)
            .collect();
        let c = stft.process(&x).expect("stft");
        let p = stft.spectrogram(&x, 2.0).expect("spec");
        let mut pf = Array2::zeros(p.dim().f());
        stft.spectrogram_into(&x, 2.0, &mut pf, &mut stft.make_scratch())
            .expect("into");
        for (a, b) in c.iter().zip(p.iter()) {
            assert!((a.norm_sqr() - b).abs() <= 1e-4 * (1.0 + b));
        }
        assert_eq!(p, pf);
        let mut cf = Array2::zeros(c.dim().f());
        stft.process_into(&x, &mut cf, &mut stft.make_scratch())
            .expect("into");
        assert_eq!(c, cf);
    }
}
