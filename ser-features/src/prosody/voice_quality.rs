//! Voice quality: period marks, jitter (local), shimmer (local, dB) and an
//! autocorrelation-based harmonics-to-noise ratio.
//!
//! * **openSMILE-style frame jitter/shimmer** ([`jitter_shimmer_cc`]): periods found by
//!   waveform cross-correlation of consecutive periods around the F0 period, as openSMILE's
//!   `cPitchJitter` for eGeMAPS (used by [`crate::egemaps`]).
//!
//! * **Period marks** ([`period_marks`]) follow Praat's "To PointProcess (peaks)" idea: inside
//!   each voiced run of an F0 track, the first mark is the largest waveform peak in the first
//!   period (polarity chosen per run by the larger absolute extreme); each next mark is the
//!   largest peak within ±`search_range_rel` (default 20 %) of one local period after the
//!   previous one, refined to sub-sample precision by parabolic interpolation. A period whose
//!   length differs from the local `sr / F0` by more than 30 % breaks the chain (as Praat's
//!   "maximum period factor" 1.3).
//! * **Jitter (local)** = mean |T(i) − T(i+1)| / mean T over consecutive periods
//!   (Praat's *jitter (local)*, a fraction; × 100 for %).
//! * **Shimmer (local, dB)** = mean |20 log10(A(i+1) / A(i))| over consecutive periods, A = peak
//!   amplitude of each period (Praat's *shimmer (local, dB)*).
//! * **HNR** ([`hnr_db_from_acf`]) = 10 log10(r / (1 − r)), r = the bias-corrected
//!   normalised autocorrelation `(acf[τ] / (N − τ)) / (acf[0] / N)` at its maximum near the
//!   period τ (Boersma 1993 without the window correction; openSMILE's `HNRdBACF` uses the same
//!   ACF ratio). r is clipped to `[1e-6, 1 − 1e-6]`, so HNR ∈ [−60, 60] dB.
//!
//! # Example
//! ```
//! use ser_features::prosody::voice_quality::{jitter_shimmer, period_marks, MarkConfig};
//! let sr = 16_000;
//! // 200 Hz pulse-like signal, constant period: no jitter, no shimmer
//! let y: Vec<f32> = (0..16_000)
//!     .map(|i| {
//!         let ph = (i % 80) as f32 / 80.0;
//!         (-(ph * 12.0)).exp() * (2.0 * std::f32::consts::PI * 3.0 * ph).sin()
//!     })
//!     .collect();
//! let f0 = vec![200.0f32; 101]; // hop 160, centred frames
//! let marks = period_marks(&y, sr, &f0, 160, &MarkConfig::default())?;
//! let vq = jitter_shimmer(&marks);
//! assert!(vq.jitter_local < 0.002 && vq.shimmer_local_db < 0.05);
//! # Ok::<(), ser_features::Error>(())
//! ```

use crate::error::{check_audio, Error, Result};

/// Options of [`period_marks`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MarkConfig {
    /// Search range around the predicted next mark, relative to the period. Default: 0.2.
    pub search_range_rel: f32,
    /// Maximum ratio between a measured and the expected period (Praat's "maximum period
    /// factor"). Default: 1.3.
    pub max_period_factor: f32,
}

impl Default for MarkConfig {
    fn default() -> Self {
        Self {
            search_range_rel: 0.2,
            max_period_factor: 1.3,
        }
    }
}

/// Glottal period marks of one signal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodMarks {
    /// Mark positions in samples (sub-sample precision), increasing.
    pub positions: Vec<f64>,
    /// Peak amplitude at each mark (absolute value, polarity-corrected).
    pub amplitudes: Vec<f32>,
    /// `chained[i]`: marks `i` and `i + 1` delimit a valid period (same voiced run, period
    /// within `max_period_factor` of the expected one). Length `positions.len() - 1` (or 0).
    pub chained: Vec<bool>,
    /// Sampling rate of the signal.
    pub sr: u32,
}

/// Utterance-level voice-quality measures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct VoiceQuality {
    /// Jitter (local), fraction (0.01 = 1 %); 0 when fewer than two consecutive periods.
    pub jitter_local: f32,
    /// Shimmer (local) in dB; 0 when fewer than two consecutive periods.
    pub shimmer_local_db: f32,
    /// Number of consecutive period pairs used.
    pub n_pairs: usize,
}

/// Finds period marks in `y` from a frame-level F0 track.
///
/// `f0[t]` is the F0 (Hz) of the frame centred at sample `t * hop_length` (librosa's
/// `center=True` convention, as [`super::Pyin`]); non-finite or non-positive values mean
/// unvoiced. Errors on empty / non-finite audio or `hop_length == 0`.
pub fn period_marks(
    y: &[f32],
    sr: u32,
    f0: &[f32],
    hop_length: usize,
    cfg: &MarkConfig,
) -> Result<PeriodMarks> {
    check_audio(y)?;
    if hop_length == 0 || sr == 0 {
        return Err(Error::InvalidParameter {
            name: "hop_length",
            reason: "hop_length and sr must be positive".into(),
        });
    }
    let mut marks = PeriodMarks {
        sr,
        ..Default::default()
    };
    let voiced = |v: f32| v.is_finite() && v > 0.0;
    let n = y.len();
    let mut t = 0;
    while t < f0.len() {
        if !voiced(f0[t]) {
            t += 1;
            continue;
        }
        let t0 = t;
        while t < f0.len() && voiced(f0[t]) {
            t += 1;
        }
        let t1 = t; // exclusive
        let start = (t0 * hop_length).saturating_sub(hop_length / 2);
        let end = ((t1 - 1) * hop_length + hop_length / 2 + 1).min(n);
        if end <= start + 2 {
            continue;
        }
        mark_run(
            y,
            sr,
            &f0[t0..t1],
            t0,
            hop_length,
            start,
            end,
            cfg,
            &mut marks,
        );
    }
    Ok(marks)
}

#[allow(clippy::too_many_arguments)]
fn mark_run(
    y: &[f32],
    sr: u32,
    f0: &[f32],
    t0: usize,
    hop: usize,
    start: usize,
    end: usize,
    cfg: &MarkConfig,
    marks: &mut PeriodMarks,
) {
    let seg = &y[start..end];
    let (mx, mn) = seg
        .iter()
        .fold((f32::MIN, f32::MAX), |(a, b), &v| (a.max(v), b.min(v)));
    let sign = if mx >= -mn { 1.0f32 } else { -1.0 };
    let period_at = |pos: f64| -> f64 {
        let ti = ((pos / hop as f64).round() as usize).clamp(t0, t0 + f0.len() - 1);
        sr as f64 / f0[ti - t0] as f64
    };
    // argmax of sign*y over [a, b) with parabolic refinement
    let peak = |a: usize, b: usize| -> Option<(f64, f32)> {
        if b <= a {
            return None;
        }
        let mut best = a;
        for i in a + 1..b {
            if sign * y[i] > sign * y[best] {
                best = i;
            }
        }
        let v = sign * y[best];
        if best == 0 || best + 1 >= y.len() {
            return Some((best as f64, v.abs()));
        }
        let (l, r) = (sign * y[best - 1], sign * y[best + 1]);
        let den = l - 2.0 * v + r;
        if den >= 0.0 {
            return Some((best as f64, v.abs()));
        }
        let delta = (0.5 * (l - r) / den).clamp(-0.5, 0.5);
        let amp = v - 0.25 * (l - r) * delta;
        Some((best as f64 + delta as f64, amp.abs()))
    };
    let first_t = period_at(start as f64);
    let Some(mut cur) = peak(start, (start + first_t.ceil() as usize).min(end)) else {
        return;
    };
    let mut first = true;
    loop {
        let t_exp = period_at(cur.0);
        let pred = cur.0 + t_exp;
        let half = cfg.search_range_rel as f64 * t_exp;
        let a = (pred - half).ceil().max(0.0) as usize;
        let b = (pred + half).floor() as usize + 1;
        // the whole search window must lie inside the voiced run
        if b > end || b <= a {
            break;
        }
        let Some(next) = peak(a, b) else { break };
        if first {
            if !marks.positions.is_empty() {
                // a run boundary never chains to the previous run's last mark
                marks.chained.push(false);
            }
            marks.positions.push(cur.0);
            marks.amplitudes.push(cur.1);
            first = false;
        }
        let len = next.0 - cur.0;
        let ok = len > 0.0
            && len <= t_exp * cfg.max_period_factor as f64
            && len >= t_exp / cfg.max_period_factor as f64;
        marks.chained.push(ok);
        marks.positions.push(next.0);
        marks.amplitudes.push(next.1);
        cur = next;
    }
}

fn pairs_stats(marks: &PeriodMarks, lo: f64, hi: f64) -> (f64, f64, f64, usize) {
    // returns (sum |dT|, sum T over pairs, sum |dA dB|, n_pairs) for periods starting in [lo, hi)
    let mut s_dt = 0.0;
    let mut s_t = 0.0;
    let mut s_da = 0.0;
    let mut n = 0;
    let c = &marks.chained;
    for i in 0..c.len().saturating_sub(1) {
        if !(c[i] && c[i + 1]) {
            continue;
        }
        let p = marks.positions[i];
        if p < lo || p >= hi {
            continue;
        }
        let t1 = marks.positions[i + 1] - marks.positions[i];
        let t2 = marks.positions[i + 2] - marks.positions[i + 1];
        s_dt += (t1 - t2).abs();
        s_t += 0.5 * (t1 + t2);
        let (a1, a2) = (
            marks.amplitudes[i + 1] as f64,
            marks.amplitudes[i + 2] as f64,
        );
        if a1 > 0.0 && a2 > 0.0 {
            s_da += (20.0 * (a2 / a1).log10()).abs();
        }
        n += 1;
    }
    (s_dt, s_t, s_da, n)
}

/// Utterance-level jitter (local) and shimmer (local, dB) over all consecutive valid period
/// pairs (Praat definitions, see the module docs).
pub fn jitter_shimmer(marks: &PeriodMarks) -> VoiceQuality {
    let (s_dt, s_t, s_da, n) = pairs_stats(marks, f64::NEG_INFINITY, f64::INFINITY);
    if n == 0 || s_t <= 0.0 {
        return VoiceQuality::default();
    }
    VoiceQuality {
        jitter_local: (s_dt / s_t) as f32,
        shimmer_local_db: (s_da / n as f64) as f32,
        n_pairs: n,
    }
}

/// Frame-level jitter and shimmer: for each frame `t` (centred at `t * hop_length`), the
/// measures over the period pairs starting within ±`window / 2` samples of the centre.
/// Returns `(jitter, shimmer_db)`, each `(n_frames,)`, NaN where fewer than one pair.
pub fn jitter_shimmer_frames(
    marks: &PeriodMarks,
    n_frames: usize,
    hop_length: usize,
    window: usize,
) -> (Vec<f32>, Vec<f32>) {
    let mut jit = vec![f32::NAN; n_frames];
    let mut shim = vec![f32::NAN; n_frames];
    for t in 0..n_frames {
        let c = (t * hop_length) as f64;
        let (s_dt, s_t, s_da, n) =
            pairs_stats(marks, c - window as f64 / 2.0, c + window as f64 / 2.0);
        if n > 0 && s_t > 0.0 {
            jit[t] = (s_dt / s_t) as f32;
            shim[t] = (s_da / n as f64) as f32;
        }
    }
    (jit, shim)
}

/// Harmonics-to-noise ratio in dB from a frame's raw autocorrelation `acf` (`acf[k] =
/// Σ x(m) x(m+k)` over a frame of `frame_length` samples, any constant scale) and the
/// expected period in samples. Searches the bias-corrected normalised ACF maximum within
/// ±2 lags of `period` (parabolic refinement). Returns `None` when the lag range is out of
/// `acf` or the frame is silent.
pub fn hnr_db_from_acf(acf: &[f32], frame_length: usize, period: f32) -> Option<f32> {
    if !(period.is_finite() && period > 1.0) || acf.is_empty() || acf[0] <= 0.0 {
        return None;
    }
    let n = frame_length as f64;
    let r0 = acf[0] as f64 / n;
    let norm = |k: usize| -> f64 {
        if k >= frame_length {
            return 0.0;
        }
        (acf[k] as f64 / (n - k as f64)) / r0
    };
    let c = period.round() as usize;
    let lo = c.saturating_sub(2).max(1);
    let hi = (c + 2).min(acf.len().saturating_sub(2));
    if hi < lo {
        return None;
    }
    let mut best = lo;
    for k in lo..=hi {
        if norm(k) > norm(best) {
            best = k;
        }
    }
    let (l, v, r) = (norm(best - 1), norm(best), norm(best + 1));
    let den = l - 2.0 * v + r;
    let peak = if den < 0.0 {
        let d = (0.5 * (l - r) / den).clamp(-0.5, 0.5);
        v - 0.25 * (l - r) * d
    } else {
        v
    };
    let rr = peak.clamp(1e-6, 1.0 - 1e-6);
    Some((10.0 * (rr / (1.0 - rr)).log10()) as f32)
}

/// Options of [`jitter_shimmer_cc`] (openSMILE's `cPitchJitter`; defaults = its eGeMAPSv02
/// settings).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CcJitterConfig {
    /// Candidate period lengths are `(1 ± search_range_rel) · sr / F0`. Default: 0.1.
    pub search_range_rel: f32,
    /// A period is used only when the cross-correlation of its waveform with the next
    /// period's exceeds this. Default: 0.5.
    pub min_cc: f32,
    /// Periods the signal read for one frame must hold at least. Default: 2.
    pub min_num_periods: usize,
    /// Most samples read for one frame beyond the carried-over ones (openSMILE: the F0
    /// frame length). Default: `None` = 60 ms.
    pub max_read: Option<usize>,
    /// Frame `t` owns the samples from `t · hop − start_offset` to the next frame's start.
    /// openSMILE reads from the start of its (60 ms) F0 frame, i.e. 30 ms before the frame
    /// centre. Default: `None` = `hop / 2` (the samples around the centre).
    pub start_offset: Option<usize>,
}

impl Default for CcJitterConfig {
    fn default() -> Self {
        Self {
            search_range_rel: 0.1,
            min_cc: 0.5,
            min_num_periods: 2,
            max_read: None,
            start_offset: None,
        }
    }
}

impl CcJitterConfig {
    /// Sets [`CcJitterConfig::search_range_rel`].
    pub fn search_range_rel(mut self, v: f32) -> Self {
        self.search_range_rel = v;
        self
    }
    /// Sets [`CcJitterConfig::min_cc`].
    pub fn min_cc(mut self, v: f32) -> Self {
        self.min_cc = v;
        self
    }
    /// Sets [`CcJitterConfig::min_num_periods`].
    pub fn min_num_periods(mut self, v: usize) -> Self {
        self.min_num_periods = v;
        self
    }
    /// Sets [`CcJitterConfig::max_read`].
    pub fn max_read(mut self, v: usize) -> Self {
        self.max_read = Some(v);
        self
    }
    /// Sets [`CcJitterConfig::start_offset`].
    pub fn start_offset(mut self, v: usize) -> Self {
        self.start_offset = Some(v);
        self
    }
}

/// `Σ x·y` with eight independent f32 lanes (vectorisable).
fn dot(x: &[f32], y: &[f32]) -> f64 {
    let n = x.len().min(y.len());
    let (cx, cy) = (x[..n].chunks_exact(8), y[..n].chunks_exact(8));
    let (rx, ry) = (cx.remainder(), cy.remainder());
    let mut acc = [0f32; 8];
    for (a, b) in cx.zip(cy) {
        for l in 0..8 {
            acc[l] += a[l] * b[l];
        }
    }
    let tail: f64 = rx.iter().zip(ry).map(|(&a, &b)| a as f64 * b as f64).sum();
    acc.iter().map(|&a| a as f64).sum::<f64>() + tail
}

/// Prefix sums of `y` and `y²` (f64) into `p`, `q` (length `y.len() + 1`).
fn prefix_sums(y: &[f32], p: &mut Vec<f64>, q: &mut Vec<f64>) {
    p.clear();
    q.clear();
    let (mut a, mut b) = (0.0f64, 0.0f64);
    p.push(0.0);
    q.push(0.0);
    for &v in y {
        a += v as f64;
        b += v as f64 * v as f64;
        p.push(a);
        q.push(b);
    }
}

/// Pearson correlation of `y[a..a+len]` and `y[a+len..a+2len]` from the prefix sums `p`, `q`
/// of `y` and `y²`; 0 when either part is (numerically) constant.
fn pearson_adjacent(y: &[f32], p: &[f64], q: &[f64], a: usize, len: usize) -> f64 {
    let (b, c) = (a + len, a + 2 * len);
    let nf = len as f64;
    let (sx, sy) = (p[b] - p[a], p[c] - p[b]);
    let vx = (q[b] - q[a]) - sx * sx / nf;
    let vy = (q[c] - q[b]) - sy * sy / nf;
    if !(vx > 1e-12 * nf && vy > 1e-12 * nf) {
        return 0.0;
    }
    (dot(&y[a..b], &y[b..c]) - sx * sy / nf) / (vx.sqrt() * vy.sqrt())
}

/// Peak-to-peak amplitude of `x[1 .. len - 1]` (the period's end samples excluded).
fn peak_to_peak(x: &[f32]) -> f32 {
    if x.len() < 3 {
        return 0.0;
    }
    let inner = &x[1..x.len() - 1];
    // eight lanes of branch-free max/min (vectorisable)
    let (mut mx, mut mn) = ([f32::MIN; 8], [f32::MAX; 8]);
    let ch = inner.chunks_exact(8);
    let rest = ch.remainder();
    for c in ch {
        for l in 0..8 {
            mx[l] = if c[l] > mx[l] { c[l] } else { mx[l] };
            mn[l] = if c[l] < mn[l] { c[l] } else { mn[l] };
        }
    }
    let (mut a, mut b) = (f32::MIN, f32::MAX);
    for &v in mx.iter().chain(rest) {
        a = if v > a { v } else { a };
    }
    for &v in mn.iter().chain(rest) {
        b = if v < b { v } else { b };
    }
    a - b
}

/// Vertex `(offset, value)` of the parabola through `(-1, l), (0, c), (1, r)`.
fn parabola_vertex(l: f64, c: f64, r: f64) -> (f64, f64) {
    let den = l - 2.0 * c + r;
    if den == 0.0 {
        return (0.0, c);
    }
    let d = 0.5 * (l - r) / den;
    (d, c - 0.25 * (l - r) * d)
}

/// Frame-level jitter (local) and shimmer (local, dB) the way openSMILE's `cPitchJitter`
/// computes them for eGeMAPS, driven by a frame-level F0 track.
///
/// `f0[t]` (Hz; non-finite or `<= 0` = unvoiced) belongs to the frame centred at
/// `t * hop_length`, which owns the samples `[t·hop − o, (t+1)·hop − o)`, `o` =
/// [`CcJitterConfig::start_offset`]. Within a
/// voiced run the waveform is cut into consecutive periods: from the current period start
/// `s`, every candidate length `T` in `(1 ± search_range_rel) · sr / F0` is scored by the
/// Pearson correlation of `y[s..s+T]` with `y[s+T..s+2T]`; the highest local maximum wins
/// (its parabolic vertex gives the sub-sample period length and the correlation `cc`), and
/// `s` moves on by `T`. A period with `cc > min_cc` counts: its length `T_i` and the
/// peak-to-peak amplitudes `A`, `A'` of the two compared periods. Per frame, over the
/// periods found in the samples read for it:
///
/// * jitter = mean |T_i − T_{i−1}| / mean T_i (the previous period may come from the
///   previous frame of the run), clipped to 1;
/// * shimmer = 20 log10(1 + Σ|A − A'| / Σ (A + A')/2), the ratio clipped to 1 (≤ 6.02 dB).
///
/// A voiced frame that completes no period repeats the run's last value. Frames read at
/// least `min_num_periods` periods (plus the search range), carrying unfinished samples over
/// to the next frame, as openSMILE. Returns `(jitter, shimmer_db)`, each `(f0.len(),)`, NaN
/// where unvoiced or where openSMILE writes 0 (no value yet), which eGeMAPS' voiced-only
/// functionals skip.
///
/// ```
/// use ser_features::prosody::voice_quality::{jitter_shimmer_cc, CcJitterConfig};
/// let sr = 16_000;
/// // 125 Hz pulse-like wave with a constant period: jitter and shimmer ~ 0
/// let y: Vec<f32> = (0..8000)
///     .map(|i| {
///         let ph = (i % 128) as f32 / 128.0;
///         (-(ph * 10.0)).exp() * (2.0 * std::f32::consts::PI * 4.0 * ph).sin()
///     })
///     .collect();
/// let f0 = vec![125.0f32; 51];
/// let (jit, shim) = jitter_shimmer_cc(&y, sr, &f0, 160, &CcJitterConfig::default())?;
/// // exactly periodic: jitter 0, which (as openSMILE's 0) is reported as missing
/// assert!(jit.iter().all(|j| j.is_nan() || *j < 0.005));
/// assert!(shim.iter().all(|s| s.is_nan() || *s < 0.1));
/// # Ok::<(), ser_features::Error>(())
/// ```
pub fn jitter_shimmer_cc(
    y: &[f32],
    sr: u32,
    f0: &[f32],
    hop_length: usize,
    cfg: &CcJitterConfig,
) -> Result<(Vec<f32>, Vec<f32>)> {
    check_audio(y)?;
    if hop_length == 0 || sr == 0 {
        return Err(Error::InvalidParameter {
            name: "hop_length",
            reason: "hop_length and sr must be positive".into(),
        });
    }
    if !(cfg.search_range_rel > 0.0 && cfg.search_range_rel < 1.0) {
        return Err(Error::InvalidParameter {
            name: "search_range_rel",
            reason: format!("{} must be in (0, 1)", cfg.search_range_rel),
        });
    }
    if cfg.min_num_periods < 2 || !cfg.min_cc.is_finite() {
        return Err(Error::InvalidParameter {
            name: "min_num_periods",
            reason: "min_num_periods must be >= 2 and min_cc finite".into(),
        });
    }
    let n = y.len();
    let max_read = cfg
        .max_read
        .unwrap_or((0.06 * sr as f64).round() as usize)
        .max(1);
    let r = cfg.search_range_rel as f64;
    let mnp = cfg.min_num_periods;
    let mut jit = vec![f32::NAN; f0.len()];
    let mut shim = vec![f32::NAN; f0.len()];
    let mut cc: Vec<f64> = Vec::new();
    let (mut psum, mut qsum) = (Vec::new(), Vec::new());
    // carried-over state of the current voiced run
    let mut last_mis = 0usize;
    let mut last_t0 = 0.0f64;
    let mut last_jit = 0.0f64;
    let mut last_shim = 0.0f64;
    let off = cfg.start_offset.unwrap_or(hop_length / 2);
    let bound = |t: usize| (t * hop_length).saturating_sub(off).min(n);
    for (t, &f) in f0.iter().enumerate() {
        let (c0, c1) = (bound(t), bound(t + 1));
        if !(f.is_finite() && f > 0.0) {
            last_mis = 0;
            last_t0 = 0.0;
            last_jit = 0.0;
            last_shim = 0.0;
            continue;
        }
        let last_mis_t = last_mis.min(c0);
        let to_read0 = c1 - c0 + last_mis_t;
        let read_start = c0 - last_mis_t;
        let tf = sr as f64 / f as f64;
        let t0f = tf.round().max(1.0) as usize;
        let tmin = ((1.0 - r) * tf).floor().max(1.0) as usize;
        let tmax = ((1.0 + r) * tf).ceil() as usize;
        let to_read = to_read0.max(mnp * tmax + mnp).min(last_mis_t + max_read);
        let seg = &y[read_start..(read_start + to_read).min(n)];
        prefix_sums(seg, &mut psum, &mut qsum);
        let (mut n_per, mut sum_per, mut n_loc, mut sum_dt) = (0usize, 0.0f64, 0usize, 0.0f64);
        let (mut sum_amp, mut sum_damp) = (0.0f64, 0.0f64);
        let mut start = 0usize;
        let mut last_period = 0usize;
        let nc = tmax - tmin + 1;
        while start + 2 * tmax + 1 < seg.len() {
            cc.clear();
            cc.extend((tmin..tmax + 1).map(|tc| pearson_adjacent(seg, &psum, &qsum, start, tc)));
            // highest interior local maximum (openSMILE scans i = 1 ..= nc - 3)
            let mut best: Option<usize> = None;
            for i in 1..nc.saturating_sub(2) {
                if cc[i - 1] < cc[i] && cc[i] > cc[i + 1] && best.is_none_or(|b| cc[i] > cc[b]) {
                    best = Some(i);
                }
            }
            match best {
                None => start += t0f,
                Some(i) => {
                    let pp = tmin + i;
                    let os = start;
                    start += pp;
                    let a0 = peak_to_peak(&seg[os..os + pp]) as f64;
                    let a1 = peak_to_peak(&seg[start..start + pp]) as f64;
                    let (d, cc_i) = parabola_vertex(cc[i - 1], cc[i], cc[i + 1]);
                    if cc_i > cfg.min_cc as f64 {
                        let period = pp as f64 + d;
                        sum_per += period;
                        n_per += 1;
                        if last_t0 > 0.0 {
                            sum_dt += (last_t0 - period).abs();
                            n_loc += 1;
                        }
                        last_t0 = period;
                        sum_amp += 0.5 * (a0 + a1);
                        sum_damp += (a0 - a1).abs();
                    }
                }
            }
            if start + 1 < to_read0 {
                last_period = start;
            }
        }
        last_mis = to_read0 - last_period.min(to_read0);
        if n_per > 0 && n_loc > 0 {
            last_jit = (sum_dt / n_loc as f64) / (sum_per / n_per as f64);
        }
        let j = if n_per > 0 && n_loc == 0 {
            0.0
        } else {
            last_jit.min(1.0)
        };
        if n_per > 0 {
            last_shim = if sum_amp > 0.0 {
                sum_damp / sum_amp
            } else {
                0.0
            };
        }
        let s = 20.0 * (1.0 + last_shim.min(1.0)).log10();
        if j > 0.0 {
            jit[t] = j as f32;
        }
        if s > 0.0 {
            shim[t] = s as f32;
        }
    }
    Ok((jit, shim))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tiny deterministic uniform generator in [0, 1) (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// Glottal-like pulse train: damped 3rd-harmonic pulses at continuous onset times.
    /// Periods alternate T0 (1 ± j), amplitudes alternate A (1 ± s).
    fn pulses(sr: u32, f0: f64, j: f64, s: f64, secs: f64) -> Vec<f32> {
        let n = (secs * sr as f64) as usize;
        let mut y = vec![0.0f32; n];
        let t0 = sr as f64 / f0;
        let mut onset = 10.0;
        let mut k = 0;
        while onset < n as f64 {
            let a = if k % 2 == 0 { 1.0 + s } else { 1.0 - s };
            let start = onset.ceil() as usize;
            for (i, v) in y
                .iter_mut()
                .enumerate()
                .skip(start)
                .take((t0 * 1.5) as usize)
            {
                let dt = (i as f64 - onset) / sr as f64;
                *v += (a * (-dt / 0.0012).exp() * (2.0 * std::f64::consts::PI * 600.0 * dt).sin())
                    as f32;
            }
            onset += if k % 2 == 0 {
                t0 * (1.0 + j)
            } else {
                t0 * (1.0 - j)
            };
            k += 1;
        }
        y
    }

    fn frames_f0(n: usize, hop: usize, f0: f32) -> Vec<f32> {
        vec![f0; n / hop + 1]
    }

    #[test]
    fn jitter_and_shimmer_recovered() {
        let sr = 16_000;
        for &(f0, j, s) in &[
            (120.0, 0.0, 0.0),
            (150.0, 0.01, 0.0),
            (200.0, 0.005, 0.05),
            (110.0, 0.02, 0.1),
        ] {
            let y = pulses(sr, f0, j, s, 1.0);
            let marks = period_marks(
                &y,
                sr,
                &frames_f0(y.len(), 160, f0 as f32),
                160,
                &MarkConfig::default(),
            )
            .unwrap();
            let vq = jitter_shimmer(&marks);
            let want_j = 2.0 * j; // alternating periods: |ΔT| = 2 j T0
            let want_s = (20.0 * ((1.0 + s) / (1.0 - s)).log10()).abs();
            assert!(vq.n_pairs > 50, "{}", vq.n_pairs);
            assert!(
                (vq.jitter_local as f64 - want_j).abs() < 0.002,
                "jitter {} vs {want_j}",
                vq.jitter_local
            );
            assert!(
                (vq.shimmer_local_db as f64 - want_s).abs() < 0.1,
                "shimmer {} vs {want_s}",
                vq.shimmer_local_db
            );
            let (jf, sf) = jitter_shimmer_frames(&marks, y.len() / 160 + 1, 160, 960);
            let mid = jf.len() / 2;
            assert!((jf[mid] as f64 - want_j).abs() < 0.003);
            assert!((sf[mid] as f64 - want_s).abs() < 0.15);
        }
    }

    #[test]
    fn cc_jitter_and_shimmer_recovered() {
        let sr = 16_000;
        for &(f0, j, s) in &[
            (150.0, 0.01, 0.0),
            (200.0, 0.005, 0.05),
            (110.0, 0.02, 0.1),
            (120.0, 0.0, 0.08),
        ] {
            let y = pulses(sr, f0, j, s, 1.0);
            let f0s = frames_f0(y.len(), 160, f0 as f32);
            for off in [80, 480] {
                let cfg = CcJitterConfig::default().max_read(960).start_offset(off);
                let (jit, shim) = jitter_shimmer_cc(&y, sr, &f0s, 160, &cfg).unwrap();
                let mid = &jit[10..jit.len() - 10];
                let mid_s = &shim[10..shim.len() - 10];
                let med = |v: &[f32]| {
                    let mut v: Vec<f32> = v
                        .iter()
                        .map(|x| if x.is_nan() { 0.0 } else { *x })
                        .collect();
                    v.sort_by(f32::total_cmp);
                    v[v.len() / 2] as f64
                };
                let want_j = 2.0 * j; // alternating periods: |dT| = 2 j T0
                let want_s = 20.0 * (1.0 + 2.0 * s).log10(); // sum|dA| / mean A = 2 s
                assert!(
                    (med(mid) - want_j).abs() < 0.003 + 0.1 * want_j,
                    "f0 {f0} jitter {} vs {want_j}",
                    med(mid)
                );
                assert!(
                    (med(mid_s) - want_s).abs() < 0.1 + 0.1 * want_s,
                    "f0 {f0} shimmer {} vs {want_s}",
                    med(mid_s)
                );
            }
        }
    }

    #[test]
    fn cc_jitter_unvoiced_and_bad_input() {
        let sr = 16_000;
        let y = pulses(sr, 150.0, 0.01, 0.05, 0.5);
        let mut f0 = frames_f0(y.len(), 160, 150.0);
        for v in f0.iter_mut().take(20) {
            *v = 0.0;
        }
        let (jit, shim) = jitter_shimmer_cc(&y, sr, &f0, 160, &CcJitterConfig::default()).unwrap();
        assert_eq!(jit.len(), f0.len());
        assert!(jit[..20].iter().chain(&shim[..20]).all(|v| v.is_nan()));
        assert!(jit[30..].iter().filter(|v| v.is_finite()).count() > 10);
        assert!(jit
            .iter()
            .chain(&shim)
            .all(|v| v.is_nan() || (*v >= 0.0 && *v <= 6.03)));
        let bad = CcJitterConfig::default().search_range_rel(0.0);
        assert!(jitter_shimmer_cc(&y, sr, &f0, 160, &bad).is_err());
        assert!(jitter_shimmer_cc(&y, sr, &f0, 0, &CcJitterConfig::default()).is_err());
        assert!(jitter_shimmer_cc(&[], sr, &f0, 160, &CcJitterConfig::default()).is_err());
        // silence: no period passes min_cc
        let (j0, _) =
            jitter_shimmer_cc(&vec![0.0; 8000], sr, &f0, 160, &CcJitterConfig::default()).unwrap();
        assert!(j0.iter().all(|v| v.is_nan()));
    }

    fn acf(x: &[f32], max_lag: usize) -> Vec<f32> {
        (0..=max_lag)
            .map(|k| x.iter().zip(&x[k..]).map(|(a, b)| a * b).sum())
            .collect()
    }

    #[test]
    fn hnr_recovered_from_noisy_harmonic_signal() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let period = 100usize; // 160 Hz at 16 kHz
        let n = 1024;
        for &hnr in &[0.0f64, 5.0, 10.0, 15.0] {
            let mut ests = Vec::new();
            for _ in 0..30 {
                let ph = rng.uniform() * std::f64::consts::TAU;
                let h: Vec<f64> = (0..n)
                    .map(|i| {
                        (1..=5)
                            .map(|k| {
                                (2.0 * std::f64::consts::PI * k as f64 * i as f64 / period as f64
                                    + ph * k as f64)
                                    .sin()
                                    / k as f64
                            })
                            .sum()
                    })
                    .collect();
                let p_h = h.iter().map(|v| v * v).sum::<f64>() / n as f64;
                let sigma = (p_h / 10f64.powf(hnr / 10.0)).sqrt();
                let x: Vec<f32> = h
                    .iter()
                    .map(|v| {
                        // Box-Muller
                        let (u1, u2) = (rng.uniform().max(1e-12), rng.uniform());
                        (v + sigma * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos())
                            as f32
                    })
                    .collect();
                ests.push(hnr_db_from_acf(&acf(&x, 300), n, period as f32).unwrap());
            }
            ests.sort_by(f32::total_cmp);
            let med = ests[ests.len() / 2] as f64;
            assert!((med - hnr).abs() < 1.0, "HNR {hnr}: median estimate {med}");
        }
    }

    #[test]
    fn degenerate_inputs() {
        assert!(period_marks(&[], 16_000, &[100.0], 160, &MarkConfig::default()).is_err());
        let m = period_marks(
            &[0.0; 1000],
            16_000,
            &[100.0; 7],
            160,
            &MarkConfig::default(),
        )
        .unwrap();
        let vq = jitter_shimmer(&m);
        assert!(vq.jitter_local.is_finite() && vq.shimmer_local_db.is_finite());
        assert_eq!(hnr_db_from_acf(&[0.0; 10], 10, 3.0), None);
        assert_eq!(hnr_db_from_acf(&[1.0; 10], 10, f32::NAN), None);
    }
}
