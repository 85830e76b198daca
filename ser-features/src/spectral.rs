//! Spectral descriptors matching `librosa.feature` (0.11) defaults.
//!
//! Every function here takes what librosa takes with `S=`: a **magnitude** spectrogram
//! `|STFT|` of shape `(1 + n_fft / 2, n_frames)` (or the waveform for [`zero_crossing_rate`] and
//! [`rms`]) and returns `(1, n_frames)` (contrast: `(n_bands + 1, n_frames)`), like librosa.
//! [`crate::FeatureExtractor`] computes all of them from a single STFT pass and is the fast
//! path; these free functions are for spectrograms you already have.
//!
//! | function | librosa | notes |
//! | --- | --- | --- |
//! | [`spectral_centroid`] | `spectral_centroid` | silent frames → 0 |
//! | [`spectral_bandwidth`] | `spectral_bandwidth(p=2, norm=True)` | silent frames → 0 |
//! | [`spectral_rolloff`] | `spectral_rolloff(roll_percent=0.85)` | silent frames → 0 Hz |
//! | [`spectral_flatness`] | `spectral_flatness(amin=1e-10, power=2.0)` | silent frames → 1 |
//! | [`spectral_contrast`] | `spectral_contrast(fmin=200, n_bands=6, quantile=0.02)` | dB difference |
//! | [`zero_crossing_rate`] | `zero_crossing_rate(frame_length=2048, hop_length=512, center=True)` | edge padding |
//! | [`rms`] | `rms(frame_length=2048, hop_length=512, center=True, pad_mode="constant")` | |
//! | [`onset_strength`] | `onset.onset_strength(lag=1, max_size=1, center=True)` | from a log-mel (dB) spectrogram |
//! | [`spectral_flux_l2`] | — | `‖|X_t| − |X_{t−1}|‖₂`, frame 0 = 0 |
//!
//! **Two spectral fluxes.** [`onset_strength`] is librosa's onset envelope: the mean over mel
//! bands of the half-wave rectified first difference of the log-mel spectrogram (dB), shifted
//! right by `lag + n_fft / (2 hop_length)` frames (zeros in front) so it lines up with the
//! centred frames. [`spectral_flux_l2`] is the classic L2 norm of the frame-to-frame
//! difference of the linear magnitude spectrum, unshifted (frame 0 is `0`).
//!
//! Arithmetic follows librosa's dtypes where it matters for parity: rolloff uses a sequential
//! `f32` cumulative sum (as `np.cumsum` on `float32`), flatness and contrast means are
//! sequential `f32` sums as numpy reduces along the frequency axis; centroid, bandwidth, RMS,
//! contrast dB and fluxes are computed in `f64`.

use ndarray::{Array2, ArrayView2};
use ser_dsp::PadMode;

use crate::error::{check_audio, Error, Result};

/// Amplitude floor of `librosa.feature.spectral_flatness` (`amin`). Default `1e-10`.
pub const FLATNESS_AMIN: f32 = 1e-10;
/// Threshold below which `librosa.zero_crossings` treats a sample as zero. Default `1e-10`.
pub const ZCR_THRESHOLD: f32 = 1e-10;

/// FFT bin centre frequencies `k * sr / n_fft` (`librosa.fft_frequencies`).
fn freqs_for(sr: u32, n_bins: usize) -> Result<Vec<f64>> {
    if n_bins < 2 {
        return Err(Error::InvalidParameter {
            name: "S",
            reason: format!("need at least 2 frequency bins, got {n_bins}"),
        });
    }
    Ok(ser_dsp::fft_frequencies(sr, 2 * (n_bins - 1)))
}

// ---------------------------------------------------------------------------------------------
// Per-frame kernels (shared by the batch extractor, the streaming extractor and the free
// functions, so all three give bit-identical results).
// ---------------------------------------------------------------------------------------------

/// `(centroid, bandwidth)` of one magnitude frame (librosa `util.normalize(norm=1)`: frames
/// whose sum is below the smallest normal `f32` are not normalised).
#[inline]
pub(crate) fn centroid_bandwidth_frame(mag: &[f32], freqs: &[f64], bandwidth: bool) -> (f64, f64) {
    let total: f64 = mag.iter().map(|&m| f64::from(m)).sum();
    let norm = if total < f64::from(f32::MIN_POSITIVE) {
        1.0
    } else {
        total
    };
    let centroid = mag
        .iter()
        .zip(freqs)
        .map(|(&m, &f)| f64::from(m) * f)
        .sum::<f64>()
        / norm;
    if !bandwidth {
        return (centroid, 0.0);
    }
    let var = mag
        .iter()
        .zip(freqs)
        .map(|(&m, &f)| {
            let d = f - centroid;
            f64::from(m) * d * d
        })
        .sum::<f64>()
        / norm;
    (centroid, var.sqrt())
}

/// Roll-off frequency: the first bin whose `f32` cumulative energy reaches
/// `roll_percent * total`.
#[inline]
pub(crate) fn rolloff_frame(mag: &[f32], freqs: &[f64], roll_percent: f32) -> f64 {
    let total: f32 = mag.iter().fold(0.0_f32, |a, &m| a + m);
    let threshold = roll_percent * total;
    let mut acc = 0.0_f32;
    for (&m, &f) in mag.iter().zip(freqs) {
        acc += m;
        if acc >= threshold {
            return f;
        }
    }
    // Unreachable for finite input (the last cumulative value equals `total`).
    freqs.last().copied().unwrap_or(0.0)
}

/// numpy's pairwise summation of `f32` (`np.sum` / `np.mean` along a contiguous axis),
/// reproduced operation for operation.
pub(crate) fn pairwise_sum_f32(a: &[f32]) -> f32 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(0.0_f32, |r, &x| r + x)
    } else if n <= 128 {
        let mut r = [0.0_f32; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        for chunk in a[8..full].chunks_exact(8) {
            for (acc, &x) in r.iter_mut().zip(chunk) {
                *acc += x;
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[full..] {
            res += x;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum_f32(&a[..n2]) + pairwise_sum_f32(&a[n2..])
    }
}

/// Spectral flatness of one magnitude frame with `power = 2`, as librosa computes it from
/// audio: `f32` throughout, numpy pairwise means along frequency. `buf` is scratch.
#[inline]
pub(crate) fn flatness_frame(mag: &[f32], amin: f32, buf: &mut Vec<f32>) -> f32 {
    let n = mag.len() as f32;
    buf.clear();
    buf.extend(mag.iter().map(|&m| (m * m).max(amin)));
    let amean = pairwise_sum_f32(buf) / n;
    buf.iter_mut().for_each(|p| *p = p.ln());
    let gmean = (pairwise_sum_f32(buf) / n).exp();
    gmean / amean
}

/// RMS of one frame (`sqrt(mean(x^2))`).
#[inline]
pub(crate) fn rms_frame(frame: &[f32]) -> f32 {
    let ss: f64 = frame.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    (ss / frame.len() as f64).sqrt() as f32
}

/// Zero-crossing rate of one frame (`librosa.zero_crossings(threshold=1e-10, pad=False)`
/// then the mean over the frame).
#[inline]
pub(crate) fn zcr_frame(frame: &[f32], threshold: f32) -> f32 {
    let sign = |v: f32| -> bool {
        if v.abs() <= threshold {
            false
        } else {
            v.is_sign_negative()
        }
    };
    let mut count = 0_usize;
    let mut prev = match frame.first() {
        Some(&v) => sign(v),
        None => return 0.0,
    };
    for &v in &frame[1..] {
        let s = sign(v);
        count += usize::from(s != prev);
        prev = s;
    }
    (count as f64 / frame.len() as f64) as f32
}

/// `‖a − b‖₂` of two magnitude frames.
#[inline]
pub(crate) fn flux_l2_frame(cur: &[f32], prev: &[f32]) -> f32 {
    cur.iter()
        .zip(prev)
        .map(|(&a, &b)| {
            let d = f64::from(a) - f64::from(b);
            d * d
        })
        .sum::<f64>()
        .sqrt() as f32
}

/// Onset strength value from two consecutive dB frames: mean of `max(0, cur − prev)`.
#[inline]
pub(crate) fn onset_frame(cur: &[f32], prev: &[f32]) -> f32 {
    let s: f64 = cur
        .iter()
        .zip(prev)
        .map(|(&a, &b)| f64::from((a - b).max(0.0)))
        .sum();
    (s / cur.len() as f64) as f32
}

/// Octave-band layout of `librosa.feature.spectral_contrast`, precomputed once.
#[derive(Debug, Clone)]
pub struct ContrastBands {
    /// `(first_bin, n_bins_used, quantile_count)` per band.
    bands: Vec<(usize, usize, usize)>,
}

impl ContrastBands {
    /// Band layout for `(sr, n_fft)` with librosa's `fmin` (default 200 Hz), `n_bands`
    /// (default 6) and `quantile` (default 0.02).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when librosa would raise (`fmin <= 0`, `n_bands == 0`,
    /// `quantile` outside `(0, 1)`, a band edge at or above Nyquist) or a band has no bins.
    pub fn new(sr: u32, n_fft: usize, fmin: f64, n_bands: usize, quantile: f64) -> Result<Self> {
        if !(fmin.is_finite() && fmin > 0.0) {
            return Err(Error::InvalidParameter {
                name: "fmin",
                reason: format!("spectral contrast fmin must be > 0, got {fmin}"),
            });
        }
        if n_bands == 0 {
            return Err(Error::InvalidParameter {
                name: "n_bands",
                reason: "must be >= 1".into(),
            });
        }
        if !(quantile > 0.0 && quantile < 1.0) {
            return Err(Error::InvalidParameter {
                name: "quantile",
                reason: format!("must lie in (0, 1), got {quantile}"),
            });
        }
        let freq = ser_dsp::fft_frequencies(sr, n_fft);
        let n_bins = freq.len();
        let mut octa = vec![0.0_f64; n_bands + 2];
        for (k, o) in octa.iter_mut().enumerate().skip(1) {
            *o = fmin * 2.0_f64.powi(k as i32 - 1);
        }
        if octa[..n_bands + 1]
            .iter()
            .any(|&f| f >= 0.5 * f64::from(sr))
        {
            return Err(Error::InvalidParameter {
                name: "n_bands",
                reason: "frequency band exceeds Nyquist; reduce either fmin or n_bands".into(),
            });
        }
        let mut bands = Vec::with_capacity(n_bands + 1);
        for k in 0..=n_bands {
            let (lo, hi) = (octa[k], octa[k + 1]);
            let first = freq.iter().position(|&f| f >= lo && f <= hi);
            let last = freq.iter().rposition(|&f| f >= lo && f <= hi);
            let (Some(mut a), Some(mut b)) = (first, last) else {
                return Err(Error::InvalidParameter {
                    name: "n_fft",
                    reason: format!("spectral contrast band {k} ({lo}-{hi} Hz) has no FFT bin"),
                });
            };
            if k > 0 {
                a -= 1;
            }
            if k == n_bands {
                b = n_bins - 1;
            }
            let count = b - a + 1;
            let used = if k < n_bands { count - 1 } else { count };
            if used == 0 {
                return Err(Error::InvalidParameter {
                    name: "n_fft",
                    reason: format!("spectral contrast band {k} is empty"),
                });
            }
            let q = (quantile * count as f64).round_ties_even().max(1.0) as usize;
            bands.push((a, used, q.min(used)));
        }
        Ok(Self { bands })
    }

    /// Number of output rows (`n_bands + 1`).
    pub fn n_rows(&self) -> usize {
        self.bands.len()
    }

    /// Peak and valley (means of the top / bottom quantile) of each band for one frame.
    pub(crate) fn frame(
        &self,
        mag: &[f32],
        peak: &mut [f64],
        valley: &mut [f64],
        buf: &mut Vec<f32>,
    ) {
        for (k, &(a, used, q)) in self.bands.iter().enumerate() {
            buf.clear();
            buf.extend_from_slice(&mag[a..a + used]);
            let n = buf.len();
            // Bottom q values in ascending order.
            if q < n {
                buf.select_nth_unstable_by(q - 1, f32::total_cmp);
            }
            buf[..q].sort_unstable_by(f32::total_cmp);
            valley[k] = f64::from(seq_mean(&buf[..q]));
            // Top q values in ascending order.
            if q < n {
                buf.select_nth_unstable_by(n - q, f32::total_cmp);
            }
            buf[n - q..].sort_unstable_by(f32::total_cmp);
            peak[k] = f64::from(seq_mean(&buf[n - q..]));
        }
    }
}

/// Sequential `f32` mean (numpy reduction order along a non-contiguous axis).
#[inline]
fn seq_mean(x: &[f32]) -> f32 {
    x.iter().fold(0.0_f32, |a, &v| a + v) / x.len() as f32
}

/// librosa `power_to_db(x)` with `ref=1, amin=1e-10`, `top_db` relative to `max_db`, in `f64`.
#[inline]
pub(crate) fn db64(x: f64, floor: Option<f64>) -> f64 {
    let d = 10.0 * x.max(1e-10).log10();
    match floor {
        Some(f) => d.max(f),
        None => d,
    }
}

/// Converts per-frame `(peak, valley)` rows (frame-major, `n_rows` each) into contrast
/// `power_to_db(peak) − power_to_db(valley)` written to `out` `(n_rows, n_frames)`;
/// `top_db` clipping is relative to the maximum of each of the two matrices, as librosa.
pub(crate) fn contrast_from_peaks(
    peak: &[f64],
    valley: &[f64],
    n_rows: usize,
    top_db: Option<f32>,
    out: &mut Array2<f32>,
) {
    let floor = |m: &[f64]| {
        top_db.map(|t| {
            let max = m
                .iter()
                .map(|&x| db64(x, None))
                .fold(f64::NEG_INFINITY, f64::max);
            max - f64::from(t)
        })
    };
    let (fp, fv) = (floor(peak), floor(valley));
    for (i, (p, v)) in peak.iter().zip(valley).enumerate() {
        let (t, k) = (i / n_rows, i % n_rows);
        out[[k, t]] = (db64(*p, fp) - db64(*v, fv)) as f32;
    }
}

// ---------------------------------------------------------------------------------------------
// Free functions (librosa `S=` path).
// ---------------------------------------------------------------------------------------------

fn check_spectrogram(s: ArrayView2<'_, f32>) -> Result<()> {
    if s.is_empty() {
        return Err(Error::EmptyInput {
            what: "spectrogram",
        });
    }
    if let Some(index) = s.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: "spectrogram",
            index,
        });
    }
    Ok(())
}

/// Applies `f(column) -> f32` to every frame of `s`, giving `(1, n_frames)`.
fn per_frame(s: ArrayView2<'_, f32>, mut f: impl FnMut(&[f32]) -> f32) -> Array2<f32> {
    let mut col = Vec::with_capacity(s.nrows());
    let mut out = Array2::zeros((1, s.ncols()));
    for (t, c) in s.columns().into_iter().enumerate() {
        col.clear();
        col.extend(c.iter().copied());
        out[[0, t]] = f(&col);
    }
    out
}

/// `librosa.feature.spectral_centroid(S=s, sr=sr)`: `(1, n_frames)` in Hz.
///
/// ```
/// use ndarray::Array2;
/// // All energy in bin 10 of a 1024-point FFT at 16 kHz -> 156.25 Hz.
/// let mut s = Array2::<f32>::zeros((513, 3));
/// s.row_mut(10).fill(1.0);
/// let c = ser_features::spectral::spectral_centroid(s.view(), 16000).unwrap();
/// assert!((c[[0, 1]] - 156.25).abs() < 1e-3);
/// ```
pub fn spectral_centroid(s: ArrayView2<'_, f32>, sr: u32) -> Result<Array2<f32>> {
    check_spectrogram(s)?;
    let freqs = freqs_for(sr, s.nrows())?;
    Ok(per_frame(s, |m| {
        centroid_bandwidth_frame(m, &freqs, false).0 as f32
    }))
}

/// `librosa.feature.spectral_bandwidth(S=s, sr=sr)` (`p=2`, `norm=True`): `(1, n_frames)` Hz.
pub fn spectral_bandwidth(s: ArrayView2<'_, f32>, sr: u32) -> Result<Array2<f32>> {
    check_spectrogram(s)?;
    let freqs = freqs_for(sr, s.nrows())?;
    Ok(per_frame(s, |m| {
        centroid_bandwidth_frame(m, &freqs, true).1 as f32
    }))
}

/// `librosa.feature.spectral_rolloff(S=s, sr=sr, roll_percent=roll_percent)`: `(1, n_frames)`
/// Hz. librosa's default `roll_percent` is `0.85`.
///
/// A frame whose cumulative energy lands within `f32` rounding of the threshold may differ from
/// librosa by one FFT bin (the comparison is discrete).
pub fn spectral_rolloff(s: ArrayView2<'_, f32>, sr: u32, roll_percent: f32) -> Result<Array2<f32>> {
    check_spectrogram(s)?;
    check_roll_percent(roll_percent)?;
    let freqs = freqs_for(sr, s.nrows())?;
    Ok(per_frame(s, |m| {
        rolloff_frame(m, &freqs, roll_percent) as f32
    }))
}

pub(crate) fn check_roll_percent(roll_percent: f32) -> Result<()> {
    if !(roll_percent > 0.0 && roll_percent < 1.0) {
        return Err(Error::InvalidParameter {
            name: "roll_percent",
            reason: format!("must lie in (0, 1), got {roll_percent}"),
        });
    }
    Ok(())
}

/// `librosa.feature.spectral_flatness(y=...)` computed from the magnitude spectrogram `s`
/// (`amin=1e-10`, `power=2.0`): `(1, n_frames)`, in `[0, 1]` up to `f32` rounding; an all-zero
/// frame gives `1.0` (to within `1e-6`, as librosa).
pub fn spectral_flatness(s: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
    check_spectrogram(s)?;
    let mut buf = Vec::with_capacity(s.nrows());
    Ok(per_frame(s, |m| flatness_frame(m, FLATNESS_AMIN, &mut buf)))
}

/// `librosa.feature.spectral_contrast(S=s, sr=sr, fmin, n_bands, quantile)`:
/// `(n_bands + 1, n_frames)` in dB. librosa defaults: `fmin=200.0, n_bands=6, quantile=0.02`;
/// librosa always clips each of the peak/valley dB matrices at `max − 80 dB`
/// (`top_db = Some(80.0)` reproduces it; `None` disables the clipping).
pub fn spectral_contrast(
    s: ArrayView2<'_, f32>,
    sr: u32,
    fmin: f64,
    n_bands: usize,
    quantile: f64,
    top_db: Option<f32>,
) -> Result<Array2<f32>> {
    check_spectrogram(s)?;
    let n_fft = 2 * (s.nrows().max(2) - 1);
    let bands = ContrastBands::new(sr, n_fft, fmin, n_bands, quantile)?;
    let r = bands.n_rows();
    let t = s.ncols();
    let (mut peak, mut valley) = (vec![0.0; r * t], vec![0.0; r * t]);
    let (mut col, mut buf) = (Vec::with_capacity(s.nrows()), Vec::new());
    for (i, c) in s.columns().into_iter().enumerate() {
        col.clear();
        col.extend(c.iter().copied());
        bands.frame(
            &col,
            &mut peak[i * r..(i + 1) * r],
            &mut valley[i * r..(i + 1) * r],
            &mut buf,
        );
    }
    let mut out = Array2::zeros((r, t));
    contrast_from_peaks(&peak, &valley, r, top_db, &mut out);
    Ok(out)
}

/// [`spectral_flux_l2`]: `‖|X_t| − |X_{t−1}|‖₂` per frame, `(1, n_frames)`; frame 0 is `0`.
pub fn spectral_flux_l2(s: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
    check_spectrogram(s)?;
    let mut out = Array2::zeros((1, s.ncols()));
    let (mut prev, mut cur) = (Vec::new(), Vec::with_capacity(s.nrows()));
    for (t, c) in s.columns().into_iter().enumerate() {
        cur.clear();
        cur.extend(c.iter().copied());
        if t > 0 {
            out[[0, t]] = flux_l2_frame(&cur, &prev);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Ok(out)
}

/// Number of leading zero frames of the onset envelope: `lag + n_fft / (2 hop_length)` when
/// `center`, else `lag` (librosa `onset_strength`).
pub fn onset_shift(n_fft: usize, hop_length: usize, center: bool) -> usize {
    1 + if center && hop_length > 0 {
        n_fft / (2 * hop_length)
    } else {
        0
    }
}

/// `librosa.onset.onset_strength(S=s_db, n_fft, hop_length)` with `lag=1, max_size=1,
/// center`: `(1, n_frames)`. `s_db` is a log-mel spectrogram in dB (e.g. from
/// [`crate::FeatureExtractor::log_mel`]); when librosa computes it from audio it uses
/// `power_to_db(melspectrogram(y))` with `top_db=80`.
pub fn onset_strength(
    s_db: ArrayView2<'_, f32>,
    n_fft: usize,
    hop_length: usize,
    center: bool,
) -> Result<Array2<f32>> {
    check_spectrogram(s_db)?;
    let t = s_db.ncols();
    let shift = onset_shift(n_fft, hop_length, center);
    let mut out = Array2::zeros((1, t));
    let cols: Vec<Vec<f32>> = s_db
        .columns()
        .into_iter()
        .map(|c| c.iter().copied().collect())
        .collect();
    for (i, o) in out.row_mut(0).iter_mut().enumerate() {
        // onset[i] = env[i - shift], env[j] = f(S[j + 1], S[j])
        if i >= shift && i - shift + 1 < t {
            let j = i - shift;
            *o = onset_frame(&cols[j + 1], &cols[j]);
        }
    }
    Ok(out)
}

/// Builds frame `t` of `y` (length `frame_length`, hop `hop_length`, `center` padding of
/// `frame_length / 2` with `pad`) into `buf`. `pad = None` means numpy `edge` padding.
pub(crate) fn fill_time_frame(
    y: &[f32],
    t: usize,
    frame_length: usize,
    hop_length: usize,
    center: bool,
    pad: Option<PadMode>,
    buf: &mut [f32],
) {
    let off = if center { frame_length / 2 } else { 0 };
    let start = (t * hop_length) as isize - off as isize;
    if start >= 0 && start as usize + frame_length <= y.len() {
        buf.copy_from_slice(&y[start as usize..start as usize + frame_length]);
        return;
    }
    let n = y.len() as isize;
    for (k, b) in buf.iter_mut().enumerate() {
        let j = start + k as isize;
        *b = if (0..n).contains(&j) {
            y[j as usize]
        } else {
            match pad {
                None => y[j.clamp(0, n - 1) as usize],
                Some(PadMode::Reflect) => y[reflect(j, y.len())],
                Some(_) => 0.0,
            }
        };
    }
}

/// numpy `reflect` index mapping (repeated reflection).
pub(crate) fn reflect(i: isize, n: usize) -> usize {
    if n == 1 {
        return 0;
    }
    let period = 2 * (n as isize - 1);
    let m = i.rem_euclid(period);
    if m >= n as isize {
        (period - m) as usize
    } else {
        m as usize
    }
}

fn time_frames(
    y: &[f32],
    frame_length: usize,
    hop_length: usize,
    center: bool,
    pad: Option<PadMode>,
    f: impl Fn(&[f32]) -> f32,
) -> Result<Array2<f32>> {
    check_audio(y)?;
    if frame_length == 0 || hop_length == 0 {
        return Err(Error::InvalidParameter {
            name: "frame_length",
            reason: "frame_length and hop_length must be > 0".into(),
        });
    }
    let n = ser_dsp::n_frames(y.len(), frame_length, hop_length, center);
    if n == 0 {
        return Err(Error::TooShort {
            what: "framing (center = false)",
            expected: frame_length,
            got: y.len(),
        });
    }
    let mut buf = vec![0.0; frame_length];
    let mut out = Array2::zeros((1, n));
    for t in 0..n {
        fill_time_frame(y, t, frame_length, hop_length, center, pad, &mut buf);
        out[[0, t]] = f(&buf);
    }
    Ok(out)
}

/// `librosa.feature.zero_crossing_rate(y, frame_length, hop_length, center)`: `(1, n_frames)`.
/// librosa defaults: `frame_length=2048, hop_length=512, center=True` (edge padding).
///
/// ```
/// // A sign flip every sample: 2047 crossings in each 2048-sample interior frame.
/// let y: Vec<f32> = (0..8192).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
/// let z = ser_features::spectral::zero_crossing_rate(&y, 2048, 512, true).unwrap();
/// assert!((z[[0, 8]] - 2047.0 / 2048.0).abs() < 1e-6);
/// ```
pub fn zero_crossing_rate(
    y: &[f32],
    frame_length: usize,
    hop_length: usize,
    center: bool,
) -> Result<Array2<f32>> {
    time_frames(y, frame_length, hop_length, center, None, |f| {
        zcr_frame(f, ZCR_THRESHOLD)
    })
}

/// `librosa.feature.rms(y, frame_length, hop_length, center, pad_mode)`: `(1, n_frames)`.
/// librosa defaults: `frame_length=2048, hop_length=512, center=True, pad_mode="constant"`.
pub fn rms(
    y: &[f32],
    frame_length: usize,
    hop_length: usize,
    center: bool,
    pad_mode: PadMode,
) -> Result<Array2<f32>> {
    time_frames(
        y,
        frame_length,
        hop_length,
        center,
        Some(pad_mode),
        rms_frame,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn silence_gives_documented_values() {
        let s = Array2::<f32>::zeros((1025, 4));
        assert!(spectral_centroid(s.view(), 22050)
            .expect("ok")
            .iter()
            .all(|&v| v == 0.0));
        assert!(spectral_bandwidth(s.view(), 22050)
            .expect("ok")
            .iter()
            .all(|&v| v == 0.0));
        assert!(spectral_rolloff(s.view(), 22050, 0.85)
            .expect("ok")
            .iter()
            .all(|&v| v == 0.0));
        assert!(spectral_flatness(s.view())
            .expect("ok")
            .iter()
            .all(|&v| (v - 1.0).abs() < 1e-5));
        let c = spectral_contrast(s.view(), 22050, 200.0, 6, 0.02, Some(80.0)).expect("ok");
        assert!(c.iter().all(|&v| v == 0.0));
        let z = zero_crossing_rate(&[0.0; 4096], 2048, 512, true).expect("ok");
        assert!(z.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn rolloff_and_centroid_of_a_two_bin_spectrum() {
        // energy 1 at bin 4, 3 at bin 8 (n_fft = 16, sr = 16000 -> 1000 Hz bins)
        let mut s = Array2::<f32>::zeros((9, 1));
        s[[4, 0]] = 1.0;
        s[[8, 0]] = 3.0;
        let c = spectral_centroid(s.view(), 16000).expect("ok");
        assert_abs_diff_eq!(c[[0, 0]], (4000.0 + 3.0 * 8000.0) / 4.0, epsilon = 1e-3);
        let r = spectral_rolloff(s.view(), 16000, 0.2).expect("ok");
        assert_abs_diff_eq!(r[[0, 0]], 4000.0);
        let r = spectral_rolloff(s.view(), 16000, 0.85).expect("ok");
        assert_abs_diff_eq!(r[[0, 0]], 8000.0);
        let b = spectral_bandwidth(s.view(), 16000).expect("ok");
        // sqrt(0.25 * 3000^2 + 0.75 * 1000^2)
        assert_abs_diff_eq!(
            b[[0, 0]],
            (0.25_f32 * 9e6 + 0.75 * 1e6).sqrt(),
            epsilon = 1e-2
        );
    }

    #[test]
    fn contrast_band_layout_matches_librosa() {
        // librosa, sr=16000, n_fft=512: band bins [0:7) minus last, etc.
        let b = ContrastBands::new(16000, 512, 200.0, 6, 0.02).expect("ok");
        assert_eq!(b.n_rows(), 7);
        assert_eq!(b.bands[0], (0, 6, 1));
        // band 1: 200..400 Hz -> bins 7..=12, plus one below -> 6..=12 (7 bins), drop last
        assert_eq!(b.bands[1], (6, 6, 1));
        assert!(ContrastBands::new(8000, 512, 200.0, 6, 0.02).is_err());
        assert!(ContrastBands::new(16000, 512, 0.0, 6, 0.02).is_err());
    }

    #[test]
    fn rms_of_constant_and_bad_input() {
        let r = rms(&[0.5; 4096], 2048, 512, false, PadMode::Constant).expect("ok");
        assert!(r.iter().all(|&v| (v - 0.5).abs() < 1e-7));
        assert!(rms(&[], 2048, 512, true, PadMode::Constant).is_err());
        assert!(rms(&[f32::NAN; 10], 4, 2, true, PadMode::Constant).is_err());
        assert!(rms(&[0.0; 10], 2048, 512, false, PadMode::Constant).is_err());
    }

    #[test]
    fn flux_and_onset() {
        let mut s = Array2::<f32>::zeros((4, 5));
        s.column_mut(2).fill(2.0);
        let f = spectral_flux_l2(s.view()).expect("ok");
        assert_eq!(f.row(0).to_vec(), vec![0.0, 0.0, 4.0, 4.0, 0.0]);
        // onset shift with n_fft = 4, hop = 2: 1 + 1 = 2
        let o = onset_strength(s.view(), 4, 2, true).expect("ok");
        assert_eq!(o.row(0).to_vec(), vec![0.0, 0.0, 0.0, 2.0, 0.0]);
    }
}
