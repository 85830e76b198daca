//! Probabilistic YIN with Viterbi smoothing, a faithful port of `librosa.pyin`.
//!
//! Per frame, the troughs of the CMND (see [`super::yin`]) become F0 candidates whose
//! probabilities integrate a beta prior over `n_thresholds` YIN thresholds with a Boltzmann
//! prior over trough order (the official pYIN software's variant, as librosa). Candidates are
//! mapped onto a pitch grid of `resolution` semitones starting at `fmin`; a two-layer hidden
//! Markov model (voiced / unvoiced copies of every pitch bin, switch probability
//! `switch_prob`, triangular local transitions `max_transition_rate` octaves per second wide)
//! is decoded with Viterbi.
//!
//! Speed: the beta-threshold probabilities, Boltzmann weights and the transition band are
//! computed once per [`Pyin`] plan, and the Viterbi recursion only visits the band of the
//! banded transition matrix, `O(n_states × bandwidth)` per frame instead of librosa's
//! `O(n_states²)`. librosa takes `log(0 + tiny)` for out-of-band transitions, which a best
//! path can in principle use; this is reproduced exactly by also offering each state the
//! out-of-band transition from the frame's global best state (the only out-of-band
//! predecessor that can win), so the decoded path equals librosa's.

use super::yin::{parabolic_shift, YinCore, YinScratch};
use crate::error::{Error, Result};
use ser_dsp::frame::PadMode;

/// `log(tiny)` for `f64`, librosa's floor for log-probabilities.
const LOG_TINY: f64 = -708.396_418_532_264_1;

/// Configuration of [`Pyin`]; mirrors `librosa.pyin`.
///
/// `fmin`/`fmax` are required in librosa; here they default to `C2`/`C7` as librosa's
/// documentation recommends. `fill_na` is `Some(f32::NAN)` as librosa's `np.nan`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PyinConfig {
    /// Sampling rate in Hz. Default: 22050.
    pub sr: u32,
    /// Minimum frequency in Hz. Default: 65.406 (`C2`).
    pub fmin: f64,
    /// Maximum frequency in Hz. Default: 2093.0 (`C7`).
    pub fmax: f64,
    /// Frame length in samples. Default: 2048.
    pub frame_length: usize,
    /// Hop length; `None` means `frame_length / 4`. Default: `None`.
    pub hop_length: Option<usize>,
    /// Number of thresholds for peak estimation. Default: 100.
    pub n_thresholds: usize,
    /// Shape parameters `(a, b)` of the beta prior over thresholds. Default: `(2, 18)`.
    pub beta_parameters: (f64, f64),
    /// Boltzmann shape parameter of the prior over troughs. Default: 2.
    pub boltzmann_parameter: f64,
    /// Pitch-bin resolution in semitones (0.01 = cents). Default: 0.1.
    pub resolution: f64,
    /// Maximum pitch transition rate in octaves per second. Default: 35.92.
    pub max_transition_rate: f64,
    /// Probability of switching voiced ↔ unvoiced. Default: 0.01.
    pub switch_prob: f64,
    /// Probability added to the global minimum when no trough is below a threshold.
    /// Default: 0.01.
    pub no_trough_prob: f64,
    /// F0 value for unvoiced frames; `None` keeps the best-guess pitch. Default: `Some(NaN)`.
    pub fill_na: Option<f32>,
    /// Centre frames (pad `frame_length / 2` each side). Default: `true`.
    pub center: bool,
    /// Padding mode when `center`. Default: [`PadMode::Constant`].
    pub pad_mode: PadMode,
}

impl Default for PyinConfig {
    fn default() -> Self {
        Self {
            sr: 22050,
            fmin: 65.406_391_325_149_66,
            fmax: 2_093.004_522_404_789,
            frame_length: 2048,
            hop_length: None,
            n_thresholds: 100,
            beta_parameters: (2.0, 18.0),
            boltzmann_parameter: 2.0,
            resolution: 0.1,
            max_transition_rate: 35.92,
            switch_prob: 0.01,
            no_trough_prob: 0.01,
            fill_na: Some(f32::NAN),
            center: true,
            pad_mode: PadMode::Constant,
        }
    }
}

ser_dsp::setters!(PyinConfig {
    sr: u32,
    fmin: f64,
    fmax: f64,
    frame_length: usize,
    n_thresholds: usize,
    beta_parameters: (f64, f64),
    boltzmann_parameter: f64,
    resolution: f64,
    max_transition_rate: f64,
    switch_prob: f64,
    no_trough_prob: f64,
    fill_na: Option<f32>,
    center: bool,
    pad_mode: PadMode,
});

impl PyinConfig {
    /// Sets [`PyinConfig::hop_length`].
    pub fn hop_length(mut self, hop_length: usize) -> Self {
        self.hop_length = Some(hop_length);
        self
    }
    /// Effective hop length (`frame_length / 4` when unset).
    pub fn effective_hop_length(&self) -> usize {
        self.hop_length.unwrap_or(self.frame_length / 4)
    }
}

/// Output of [`Pyin::process`]; every vector has `n_frames` entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PyinOutput {
    /// F0 in Hz on the pitch grid (`fmin · 2^(bin / (12 / resolution))`), `fill_na` where
    /// unvoiced — exactly librosa's first output.
    pub f0: Vec<f32>,
    /// Voicing decision of the decoded path.
    pub voiced_flag: Vec<bool>,
    /// Probability that the frame is voiced (sum of the candidates' probabilities, clipped to 1).
    pub voiced_prob: Vec<f32>,
    /// Extension (not in librosa): the parabolically interpolated YIN candidate of the frame
    /// closest to the decoded pitch bin (within one semitone), i.e. F0 without the
    /// `resolution` quantisation; the grid value when no candidate is that close;
    /// `fill_na` where unvoiced.
    pub f0_refined: Vec<f32>,
}

/// Reusable buffers for [`Pyin::process_into`].
#[derive(Debug, Clone, Default)]
pub struct PyinScratch {
    pub(crate) yin: YinScratch,
    troughs: Vec<usize>,
    first: Vec<usize>,
    edges: Vec<usize>,
    probs: Vec<f64>,
    obs: Vec<f64>,
    value: Vec<f64>,
    next: Vec<f64>,
    ptr: Vec<u16>,
    /// Per frame, `(bin, f0)` of the candidates that reached the observation vector.
    cands: Vec<(u32, f32)>,
    cand_off: Vec<usize>,
    conv: ConvScratch,
}

/// Buffers of the max-plus convolutions of one Viterbi step.
#[derive(Debug, Clone, Default)]
struct ConvScratch {
    u: Vec<f64>,
    mv: Vec<f64>,
    av: Vec<usize>,
    mu: Vec<f64>,
    au: Vec<usize>,
    scan: ScanScratch,
}

/// Work buffers of [`maxplus_concave`].
#[derive(Debug, Clone, Default)]
struct ScanScratch {
    stack: Vec<(usize, usize, usize, usize)>,
}

/// pYIN plan (`librosa.pyin`): YIN FFT plans plus all priors and the transition band,
/// computed once. `Send + Sync`, `&self` methods.
///
/// # Examples
/// ```
/// use ser_features::prosody::{Pyin, PyinConfig};
/// let sr = 16_000;
/// let y: Vec<f32> = (0..16_000)
///     .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 196.0 * i as f32 / sr as f32).sin())
///     .collect();
/// let pyin = Pyin::new(&PyinConfig::default().sr(sr).fmin(60.0).fmax(800.0).frame_length(1024))?;
/// let out = pyin.process(&y)?;
/// assert!(out.voiced_flag[10]);
/// assert!((out.f0[10] - 196.0).abs() < 196.0 * 0.01);
/// assert!(out.f0[0].is_nan() || out.voiced_flag[0]);
/// # Ok::<(), ser_features::Error>(())
/// ```
#[derive(Debug)]
pub struct Pyin {
    cfg: PyinConfig,
    pub(crate) core: YinCore,
    /// `thresholds[1..]` (the upper edge of each beta bin).
    thresholds: Vec<f64>,
    /// `beta_prefix[k] = sum(beta_probs[..k])`.
    beta_prefix: Vec<f64>,
    /// `(1 - e^-λ) e^(-λ k)`, k = 0 … n_lags.
    boltz_num: Vec<f64>,
    /// `1 / (1 - e^(-λ N))`, N = 0 … n_lags.
    boltz_inv_z: Vec<f64>,
    n_pitch_bins: usize,
    n_bins_per_semitone: usize,
    /// Bin frequencies `fmin · 2^(i / (12 nbps))`.
    freqs: Vec<f64>,
    /// For pitch column `j`, its predecessors are pitch bins `col_lo[j] ..= col_hi[j]`.
    #[cfg_attr(not(test), allow(dead_code))]
    col_lo: Vec<usize>,
    #[cfg_attr(not(test), allow(dead_code))]
    col_hi: Vec<usize>,
    /// `col_off[j]` indexes `lt_stay` / `lt_switch` for column `j`.
    #[cfg_attr(not(test), allow(dead_code))]
    col_off: Vec<usize>,
    /// `log(p_stay · local[k][j] + tiny)` for k in the band of column j.
    #[cfg_attr(not(test), allow(dead_code))]
    lt_stay: Vec<f64>,
    /// `log(p_switch · local[k][j] + tiny)`.
    #[cfg_attr(not(test), allow(dead_code))]
    lt_switch: Vec<f64>,
    log_p_init: f64,
    /// `ln` of the raw (unnormalised) triangular kernel at offsets `d = j - k` in
    /// `d_min ..= d_max` (its support).
    kern_ln: Vec<f64>,
    d_min: isize,
    d_max: isize,
    /// `-ln(row sum)` of each raw transition row.
    neg_ln_sum: Vec<f64>,
    ln_p_stay: f64,
    ln_p_switch: f64,
}

impl Pyin {
    /// Validates `cfg` (librosa's checks plus: `n_thresholds >= 1`, `0 < resolution < 1`,
    /// probabilities in `[0, 1]`, transition width `<=` number of pitch bins) and precomputes
    /// the priors and the transition band.
    pub fn new(cfg: &PyinConfig) -> Result<Self> {
        let bad = |name: &'static str, reason: String| Error::InvalidParameter { name, reason };
        let core = YinCore::new(
            cfg.sr,
            cfg.fmin,
            cfg.fmax,
            cfg.frame_length,
            cfg.effective_hop_length(),
            cfg.center,
            cfg.pad_mode,
        )?;
        if cfg.n_thresholds == 0 {
            return Err(bad("n_thresholds", "must be >= 1".into()));
        }
        let (a, b) = cfg.beta_parameters;
        if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) {
            return Err(bad(
                "beta_parameters",
                format!("({a}, {b}) must be positive"),
            ));
        }
        if !(cfg.boltzmann_parameter > 0.0 && cfg.boltzmann_parameter.is_finite()) {
            return Err(bad("boltzmann_parameter", "must be > 0".into()));
        }
        if !(cfg.resolution > 0.0 && cfg.resolution < 1.0) && cfg.resolution != 1.0 {
            return Err(bad(
                "resolution",
                format!("{} must be in (0, 1]", cfg.resolution),
            ));
        }
        for (name, p) in [
            ("switch_prob", cfg.switch_prob),
            ("no_trough_prob", cfg.no_trough_prob),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(bad(name, format!("{p} must be in [0, 1]")));
            }
        }
        if !(cfg.max_transition_rate > 0.0 && cfg.max_transition_rate.is_finite()) {
            return Err(bad("max_transition_rate", "must be > 0".into()));
        }

        // 1. Beta prior over thresholds.
        let n = cfg.n_thresholds;
        let step = 1.0 / n as f64;
        let mut edges: Vec<f64> = (0..=n).map(|i| i as f64 * step).collect();
        edges[n] = 1.0;
        let cdf: Vec<f64> = edges.iter().map(|&x| beta_cdf(x, a, b)).collect();
        let beta_probs: Vec<f64> = cdf.windows(2).map(|w| w[1] - w[0]).collect();
        let mut beta_prefix = vec![0.0; n + 1];
        for i in 0..n {
            beta_prefix[i + 1] = beta_prefix[i] + beta_probs[i];
        }
        let thresholds = edges[1..].to_vec();

        // 2. Boltzmann prior (scipy.stats.boltzmann.pmf(k, λ, N)).
        let lam = cfg.boltzmann_parameter;
        let n_lags = core.n_lags();
        let boltz_num: Vec<f64> = (0..=n_lags)
            .map(|k| (1.0 - (-lam).exp()) * (-lam * k as f64).exp())
            .collect();
        let boltz_inv_z: Vec<f64> = (0..=n_lags)
            .map(|nn| 1.0 / (1.0 - (-lam * nn as f64).exp()))
            .collect();

        // 3. Pitch grid.
        let nbps = (1.0 / cfg.resolution).ceil() as usize;
        let n_pitch_bins = (12.0 * nbps as f64 * (cfg.fmax / cfg.fmin).log2()).floor() as usize + 1;
        if n_pitch_bins < 2 || 2 * n_pitch_bins > u16::MAX as usize {
            return Err(bad(
                "resolution",
                format!("{n_pitch_bins} pitch bins: need 2 ..= 32767"),
            ));
        }
        let freqs: Vec<f64> = (0..n_pitch_bins)
            .map(|i| cfg.fmin * 2f64.powf(i as f64 / (12 * nbps) as f64))
            .collect();

        // 4. Transition band (librosa.sequence.transition_local(triangle, wrap=False) ⊗ loop).
        let hop = cfg.effective_hop_length() as f64;
        let max_semitones =
            (cfg.max_transition_rate * 12.0 * hop / cfg.sr as f64).round_ties_even() as usize;
        let width = max_semitones * nbps + 1;
        if width > n_pitch_bins {
            return Err(bad(
                "max_transition_rate",
                format!("transition width {width} exceeds the {n_pitch_bins} pitch bins"),
            ));
        }
        let local = local_transition_rows(n_pitch_bins, width);
        let (kern_ln, d_min, d_max, neg_ln_sum) = concave_kernel(n_pitch_bins, width);
        let p_stay = 1.0 - cfg.switch_prob;
        let p_switch = 1.0 - p_stay;
        let half = width / 2;
        let mut col_lo = Vec::with_capacity(n_pitch_bins);
        let mut col_hi = Vec::with_capacity(n_pitch_bins);
        let mut col_off = Vec::with_capacity(n_pitch_bins);
        let mut lt_stay = Vec::new();
        let mut lt_switch = Vec::new();
        for j in 0..n_pitch_bins {
            let lo = j.saturating_sub(half);
            let hi = (j + half).min(n_pitch_bins - 1);
            col_lo.push(lo);
            col_hi.push(hi);
            col_off.push(lt_stay.len());
            for (k, row) in local.iter().enumerate().take(hi + 1).skip(lo) {
                let p = row.get(j);
                lt_stay.push((p_stay * p + f64::MIN_POSITIVE).ln());
                lt_switch.push((p_switch * p + f64::MIN_POSITIVE).ln());
                debug_assert!(k + half >= j);
            }
        }
        let log_p_init = (1.0 / (2 * n_pitch_bins) as f64 + f64::MIN_POSITIVE).ln();
        Ok(Self {
            cfg: cfg.clone(),
            core,
            thresholds,
            beta_prefix,
            boltz_num,
            boltz_inv_z,
            n_pitch_bins,
            n_bins_per_semitone: nbps,
            freqs,
            col_lo,
            col_hi,
            col_off,
            lt_stay,
            lt_switch,
            log_p_init,
            kern_ln,
            d_min,
            d_max,
            neg_ln_sum,
            ln_p_stay: p_stay.ln(),
            ln_p_switch: p_switch.ln(),
        })
    }

    /// The configuration of this plan.
    pub fn config(&self) -> &PyinConfig {
        &self.cfg
    }

    /// Number of output frames for `n_samples` samples.
    pub fn n_frames(&self, n_samples: usize) -> usize {
        self.core.n_frames(n_samples)
    }

    /// Number of pitch bins (`floor(12 / resolution · log2(fmax / fmin)) + 1`).
    pub fn n_pitch_bins(&self) -> usize {
        self.n_pitch_bins
    }

    /// Allocates scratch buffers.
    pub fn make_scratch(&self) -> PyinScratch {
        PyinScratch {
            yin: self.core.make_scratch(),
            ..Default::default()
        }
    }

    /// pYIN of `y`: `(f0, voiced_flag, voiced_prob)` plus the refined F0, each `(n_frames,)`.
    ///
    /// Errors: empty or non-finite input; input shorter than `frame_length` with
    /// `center = false` ([`Error::TooShort`]).
    pub fn process(&self, y: &[f32]) -> Result<PyinOutput> {
        let mut out = PyinOutput::default();
        let mut scratch = self.make_scratch();
        self.process_into(y, &mut out, &mut scratch)?;
        Ok(out)
    }

    /// As [`Pyin::process`], reusing `out` and `scratch`.
    pub fn process_into(
        &self,
        y: &[f32],
        out: &mut PyinOutput,
        scratch: &mut PyinScratch,
    ) -> Result<()> {
        self.process_with(y, out, scratch, |_, _| {})
    }

    /// As [`Pyin::process_into`], calling `per_frame(t, yin_scratch)` after the CMND of
    /// frame `t` is computed (lets callers reuse the frame's autocorrelation).
    pub(crate) fn process_with<F: FnMut(usize, &YinScratch)>(
        &self,
        y: &[f32],
        out: &mut PyinOutput,
        scratch: &mut PyinScratch,
        mut per_frame: F,
    ) -> Result<()> {
        let n_frames = self.core.prepare(y, &mut scratch.yin)?;
        let ns = 2 * self.n_pitch_bins;
        out.voiced_prob.clear();
        scratch.ptr.clear();
        scratch.ptr.resize(n_frames * ns, 0);
        scratch.obs.resize(ns, 0.0);
        scratch.value.resize(ns, 0.0);
        scratch.next.resize(ns, 0.0);
        scratch.cands.clear();
        scratch.cand_off.clear();
        for t in 0..n_frames {
            self.core.cmnd_frame(t, &mut scratch.yin)?;
            per_frame(t, &scratch.yin);
            scratch.cand_off.push(scratch.cands.len());
            let vp = self.observe(scratch);
            out.voiced_prob.push(vp as f32);
            // log observation probabilities, in place (zeros -> log(tiny) without a `ln`,
            // the unvoiced half is one constant)
            let nb = self.n_pitch_bins;
            let (ov, ou) = scratch.obs.split_at_mut(nb);
            for o in ov.iter_mut() {
                *o = if *o == 0.0 {
                    LOG_TINY
                } else {
                    (*o + f64::MIN_POSITIVE).ln()
                };
            }
            let lu = (ou[0] + f64::MIN_POSITIVE).ln();
            ou.fill(lu);
            if t == 0 {
                for (v, o) in scratch.value.iter_mut().zip(&scratch.obs) {
                    *v = o + self.log_p_init;
                }
            } else {
                let ptr = &mut scratch.ptr[t * ns..(t + 1) * ns];
                self.viterbi_step_fast(
                    &scratch.value,
                    &scratch.obs,
                    &mut scratch.next,
                    ptr,
                    &mut scratch.conv,
                );
                std::mem::swap(&mut scratch.value, &mut scratch.next);
            }
        }
        scratch.cand_off.push(scratch.cands.len());
        // Backtrack.
        let mut state = first_argmax(&scratch.value);
        let nb = self.n_pitch_bins;
        out.f0.clear();
        out.f0.resize(n_frames, 0.0);
        out.voiced_flag.clear();
        out.voiced_flag.resize(n_frames, false);
        out.f0_refined.clear();
        out.f0_refined.resize(n_frames, 0.0);
        for t in (0..n_frames).rev() {
            let bin = state % nb;
            let voiced = state < nb;
            let grid = self.freqs[bin] as f32;
            out.voiced_flag[t] = voiced;
            let cands = &scratch.cands[scratch.cand_off[t]..scratch.cand_off[t + 1]];
            let refined = cands
                .iter()
                .filter(|c| (c.0 as usize).abs_diff(bin) <= self.n_bins_per_semitone)
                .min_by_key(|c| (c.0 as usize).abs_diff(bin))
                .map_or(grid, |c| c.1);
            match (voiced, self.cfg.fill_na) {
                (false, Some(fill)) => {
                    out.f0[t] = fill;
                    out.f0_refined[t] = fill;
                }
                _ => {
                    out.f0[t] = grid;
                    out.f0_refined[t] = refined;
                }
            }
            if t > 0 {
                state = scratch.ptr[t * ns + state] as usize;
            }
        }
        Ok(())
    }

    /// `thresholds.partition_point(|&t| t <= v)`: the thresholds are `i / n` (i = 1 … n),
    /// so the index is guessed arithmetically and corrected against the table (exact).
    #[inline]
    fn first_threshold_above(&self, v: f64) -> usize {
        let th = &self.thresholds;
        let n = th.len();
        let mut i = if v.is_nan() || v <= 0.0 {
            0
        } else {
            ((v * n as f64) as usize).min(n)
        };
        // th[i - 1] <= v < th[i] when exact; move by at most a step or two otherwise
        while i < n && th[i] <= v {
            i += 1;
        }
        while i > 0 && th[i - 1] > v {
            i -= 1;
        }
        i
    }

    /// Fills `scratch.obs` (linear probabilities, `2 n_pitch_bins`) from the CMND in
    /// `scratch.yin.cmnd`; returns the voiced probability.
    fn observe(&self, scratch: &mut PyinScratch) -> f64 {
        let PyinScratch {
            yin,
            troughs,
            first,
            edges,
            probs,
            obs,
            cands,
            ..
        } = scratch;
        let x = &yin.cmnd;
        let nb = self.n_pitch_bins;
        let nthr = self.thresholds.len();
        obs[..nb].fill(0.0);
        // Troughs below the highest threshold (the only ones that can get a probability)
        // in period order, plus the global minimum trough, which may get `no_trough_prob`.
        // `first[t]`: index of the first threshold above trough t (thresholds ascend), i.e.
        // trough t is below threshold i iff i >= first[t].
        troughs.clear();
        first.clear();
        let n = x.len();
        let mut gm: Option<(usize, f32, usize)> = None; // (lag index, height, first)
        for i in 0..n {
            let v = x[i];
            let trough = if i == 0 {
                v < x[1]
            } else if i == n - 1 {
                v < x[n - 2]
            } else {
                v < x[i - 1] && v <= x[i + 1]
            };
            if !trough {
                continue;
            }
            let f = self.first_threshold_above(v as f64);
            if gm.is_none_or(|g| v < g.1) {
                gm = Some((i, v, f));
            }
            if f < nthr {
                troughs.push(i);
                first.push(f);
            }
        }
        let Some((gm_i, _, gm_first)) = gm else {
            obs[nb..].fill(1.0 / nb as f64);
            return 0.0;
        };
        // the global minimum joins the list at its period position if it is not there
        let gm_pos = match troughs.binary_search(&gm_i) {
            Ok(p) => p,
            Err(p) => {
                troughs.insert(p, gm_i);
                first.insert(p, gm_first);
                p
            }
        };
        probs.clear();
        probs.resize(troughs.len(), 0.0);
        // The set of troughs below a threshold only changes at the distinct `first` values,
        // so thresholds are grouped into intervals with one set each and their beta masses
        // summed (same result as librosa's per-threshold dot product).
        edges.clear();
        edges.extend(first.iter().copied().filter(|&f| f < nthr));
        edges.sort_unstable();
        edges.dedup();
        for (e, &start) in edges.iter().enumerate() {
            let stop = edges.get(e + 1).copied().unwrap_or(nthr);
            let mass = self.beta_prefix[stop] - self.beta_prefix[start];
            let n_below = first.iter().filter(|&&f| f <= start).count();
            let w = mass * self.boltz_inv_z[n_below];
            let mut pos = 0;
            for (p, &f) in probs.iter_mut().zip(first.iter()) {
                if f <= start {
                    *p += self.boltz_num[pos] * w;
                    pos += 1;
                }
            }
        }
        probs[gm_pos] += self.cfg.no_trough_prob * self.beta_prefix[gm_first];
        // Candidates, in increasing period order; a later write to the same bin wins
        // (numpy fancy assignment). Bin index n_pitch_bins is discarded, as in librosa.
        let nbps12 = (12 * self.n_bins_per_semitone) as f64;
        for (&i, &p) in troughs.iter().zip(probs.iter()) {
            if p == 0.0 {
                continue;
            }
            let period = (self.core.min_period + i) as f64 + parabolic_shift(x, i) as f64;
            let f0 = self.core.sr as f64 / period;
            let b = (nbps12 * (f0 / self.cfg.fmin).log2()).round_ties_even();
            let b = b.clamp(0.0, nb as f64) as usize;
            if b < nb {
                obs[b] = p;
                cands.push((b as u32, f0 as f32));
            }
        }
        let vp = obs[..nb].iter().sum::<f64>().clamp(0.0, 1.0);
        let u = (1.0 - vp) / nb as f64;
        obs[nb..].fill(u);
        vp
    }

    /// One Viterbi step using the structure of the transition matrix:
    /// `log T[k][j] = ln p_{stay|switch} − ln rowsum(k) + ln kern(j − k)` with a concave
    /// `ln kern`, so each of the two max-plus convolutions (from the voiced and from the
    /// unvoiced layer) has a monotone arg-max and is solved by divide and conquer in
    /// `O(n log n)` instead of `O(n × width)`. Leftmost arg-max as numpy.
    fn viterbi_step_fast(
        &self,
        value: &[f64],
        log_obs: &[f64],
        next: &mut [f64],
        ptr: &mut [u16],
        cs: &mut ConvScratch,
    ) {
        let nb = self.n_pitch_bins;
        let g = first_argmax(value);
        let g_score = value[g] + LOG_TINY;
        let g_bin = (g % nb) as isize;
        cs.mv.resize(nb, 0.0);
        cs.av.resize(nb, 0);
        cs.mu.resize(nb, 0.0);
        cs.au.resize(nb, 0);
        for layer in 0..2 {
            cs.u.clear();
            cs.u.extend(
                value[layer * nb..(layer + 1) * nb]
                    .iter()
                    .zip(&self.neg_ln_sum)
                    .map(|(v, s)| v + s),
            );
            let (m, a) = if layer == 0 {
                (&mut cs.mv, &mut cs.av)
            } else {
                (&mut cs.mu, &mut cs.au)
            };
            maxplus_concave(
                &cs.u,
                &self.kern_ln,
                self.d_min,
                self.d_max,
                m,
                a,
                &mut cs.scan,
            );
        }
        for j in 0..2 * nb {
            let pj = j % nb;
            let (lv, lu) = if j < nb {
                (self.ln_p_stay, self.ln_p_switch)
            } else {
                (self.ln_p_switch, self.ln_p_stay)
            };
            let (bv, bu) = (cs.mv[pj] + lv, cs.mu[pj] + lu);
            let (mut best, mut arg) = if bu > bv {
                (bu, nb + cs.au[pj])
            } else {
                (bv, cs.av[pj])
            };
            let d = pj as isize - g_bin;
            let g_in_band = d >= self.d_min && d <= self.d_max;
            if !g_in_band && (g_score > best || (g_score == best && g < arg)) {
                best = g_score;
                arg = g;
            }
            next[j] = log_obs[j] + best;
            ptr[j] = arg as u16;
        }
    }

    /// Reference banded Viterbi step: `next[j] = log_obs[j] + max_k(value[k] + log_trans[k][j])`.
    #[cfg(test)]
    fn viterbi_step(&self, value: &[f64], log_obs: &[f64], next: &mut [f64], ptr: &mut [u16]) {
        let nb = self.n_pitch_bins;
        let g = first_argmax(value);
        let g_score = value[g] + LOG_TINY;
        let g_bin = g % nb;
        for j in 0..2 * nb {
            let pj = j % nb;
            let (lo, hi, off) = (self.col_lo[pj], self.col_hi[pj], self.col_off[pj]);
            let len = hi - lo + 1;
            let (lt_from_voiced, lt_from_unvoiced) = if j < nb {
                (
                    &self.lt_stay[off..off + len],
                    &self.lt_switch[off..off + len],
                )
            } else {
                (
                    &self.lt_switch[off..off + len],
                    &self.lt_stay[off..off + len],
                )
            };
            let (bv, av) = band_argmax(&value[lo..=hi], lt_from_voiced);
            let (bu, au) = band_argmax(&value[nb + lo..=nb + hi], lt_from_unvoiced);
            let (mut best, mut arg) = if bu > bv {
                (bu, nb + lo + au)
            } else {
                (bv, lo + av)
            };
            // Out-of-band transitions have log-probability log(tiny), as in librosa.
            let g_in_band = g_bin >= lo && g_bin <= hi;
            if !g_in_band && (g_score > best || (g_score == best && g < arg)) {
                best = g_score;
                arg = g;
            }
            next[j] = log_obs[j] + best;
            ptr[j] = arg as u16;
        }
    }
}

/// `ln` of the raw triangular transition kernel by offset `d = j - k` (its support
/// `d_min ..= d_max`), and `-ln(row sum)` of every raw row of
/// `transition_local(n, width, 'triangle', wrap=False)`.
fn concave_kernel(n: usize, width: usize) -> (Vec<f64>, isize, isize, Vec<f64>) {
    let rows = raw_transition_rows(n, width);
    // an interior row shows the whole kernel
    let i = n / 2;
    let row = &rows[i];
    let mut kern: Vec<(isize, f64)> = row
        .vals
        .iter()
        .enumerate()
        .map(|(c, &v)| ((row.lo + c) as isize - i as isize, v))
        .filter(|&(_, v)| v > 0.0)
        .collect();
    kern.sort_by_key(|e| e.0);
    let d_min = kern.first().map_or(0, |e| e.0);
    let d_max = kern.last().map_or(0, |e| e.0);
    let kern_ln = kern.iter().map(|e| e.1.ln()).collect();
    let neg_ln_sum = rows
        .iter()
        .map(|r| -r.vals.iter().sum::<f64>().ln())
        .collect();
    (kern_ln, d_min, d_max, neg_ln_sum)
}

/// `m[j] = max_k u[k] + kern[j - k]` (kern supported on `d_min ..= d_max`, concave in log
/// domain) with the leftmost arg-max in `a[j]`, by divide and conquer over the monotone
/// arg-max.
fn maxplus_concave(
    u: &[f64],
    kern_ln: &[f64],
    d_min: isize,
    d_max: isize,
    m: &mut [f64],
    a: &mut [usize],
    fs: &mut ScanScratch,
) {
    let n = u.len();
    if n == 0 {
        return;
    }
    let width = (d_max - d_min + 1) as usize;
    if width as f64 <= 2.0 * (n as f64).log2() + 2.0 {
        // Narrow kernel: two passes. (1) the maxima, one branch-free pass per kernel offset
        // `d` over all columns (vectorisable `max`); (2) the leftmost arg-max of each column,
        // found as the first predecessor whose score (the same f64 sum) equals the maximum.
        m.fill(f64::NEG_INFINITY);
        let ni = n as isize;
        for d in (d_min..=d_max).rev() {
            let kv = kern_ln[(d - d_min) as usize];
            let j0 = d.max(0);
            let j1 = (ni + d).min(ni);
            if j1 <= j0 {
                continue;
            }
            let (j0, j1) = (j0 as usize, j1 as usize);
            let k0 = (j0 as isize - d) as usize;
            let len = j1 - j0;
            for (mj, &uk) in m[j0..j1].iter_mut().zip(&u[k0..k0 + len]) {
                let sc = uk + kv;
                *mj = if sc > *mj { sc } else { *mj };
            }
        }
        // the leftmost arg-max is non-decreasing in j (concave kernel), so each scan starts
        // at the previous column's arg-max
        let mut prev_arg = 0isize;
        for (j, (aj, &mj)) in a.iter_mut().zip(m.iter()).enumerate() {
            let ji = j as isize;
            let lo = (ji - d_max).max(0);
            let hi = (ji - d_min).min(ni - 1);
            // columns with an empty band (only possible at the edges) keep the old convention
            *aj = lo as usize;
            if mj == f64::NEG_INFINITY {
                continue;
            }
            // (half-open range: `RangeInclusive` iteration does not optimise as well)
            let find = |from: isize| {
                (from..hi + 1).find(|&k| u[k as usize] + kern_ln[(ji - k - d_min) as usize] == mj)
            };
            // (a fresh scan from the band start is only a safety net)
            if let Some(k) = find(lo.max(prev_arg)).or_else(|| find(lo)) {
                *aj = k as usize;
                prev_arg = k;
            }
        }
        return;
    }
    let stack = &mut fs.stack;
    stack.clear();
    stack.push((0, n - 1, 0, n - 1));
    while let Some((jlo, jhi, klo, khi)) = stack.pop() {
        let jm = (jlo + jhi) / 2;
        // band of column jm: k in [jm - d_max, jm - d_min]
        let blo = (jm as isize - d_max).max(0) as usize;
        let bhi = ((jm as isize - d_min).min(n as isize - 1)).max(0) as usize;
        let (mut lo, mut hi) = (klo.max(blo), khi.min(bhi));
        if lo > hi {
            lo = blo;
            hi = bhi;
        }
        let mut best = f64::NEG_INFINITY;
        let mut arg = lo;
        for k in lo..=hi {
            let s = u[k] + kern_ln[(jm as isize - k as isize - d_min) as usize];
            if s > best {
                best = s;
                arg = k;
            }
        }
        m[jm] = best;
        a[jm] = arg;
        if jm > jlo {
            stack.push((jlo, jm - 1, klo, arg));
        }
        if jm < jhi {
            stack.push((jm + 1, jhi, arg, khi));
        }
    }
}

/// Max and first argmax of `v[i] + w[i]`.
#[cfg_attr(not(test), allow(dead_code))]
#[inline]
fn band_argmax(v: &[f64], w: &[f64]) -> (f64, usize) {
    let mut best = f64::NEG_INFINITY;
    for (a, b) in v.iter().zip(w) {
        let s = a + b;
        best = if s > best { s } else { best };
    }
    let arg = v
        .iter()
        .zip(w)
        .position(|(a, b)| a + b == best)
        .unwrap_or(0);
    (best, arg)
}

fn first_argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate().skip(1) {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Row-normalised rows of `librosa.sequence.transition_local(n, width, 'triangle', wrap=False)`,
/// stored sparsely as `(first column, values)`.
struct BandRow {
    lo: usize,
    vals: Vec<f64>,
}

impl BandRow {
    fn get(&self, j: usize) -> f64 {
        if j < self.lo {
            0.0
        } else {
            self.vals.get(j - self.lo).copied().unwrap_or(0.0)
        }
    }
}

fn local_transition_rows(n: usize, width: usize) -> Vec<BandRow> {
    raw_transition_rows(n, width)
        .into_iter()
        .map(|r| {
            let sum: f64 = r.vals.iter().sum();
            BandRow {
                lo: r.lo,
                vals: r.vals.into_iter().map(|v| v / sum).collect(),
            }
        })
        .collect()
}

/// Rows of `transition_local` before row normalisation.
fn raw_transition_rows(n: usize, width: usize) -> Vec<BandRow> {
    // scipy.signal.get_window('triangle', width, fftbins=False) = triang(width, sym=True)
    let win: Vec<f64> = (0..width)
        .map(|k| {
            let kk = k.min(width - 1 - k) + 1; // 1-based position from the nearer edge
            if width % 2 == 1 {
                2.0 * kk as f64 / (width + 1) as f64
            } else {
                (2 * kk - 1) as f64 / width as f64
            }
        })
        .collect();
    let lpad = (n - width) / 2;
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let shift = n / 2 + i + 1;
        let lo = i.saturating_sub(width / 2);
        let hi = (i + width / 2 + 1).min(n); // exclusive
                                             // rolled[(m + shift) % n] = padded[m]  =>  rolled[c] = padded[(c + n - shift % n) % n]
        let vals: Vec<f64> = (lo..hi)
            .map(|c| {
                let m = (c + n - shift % n) % n;
                if m >= lpad && m < lpad + width {
                    win[m - lpad]
                } else {
                    0.0
                }
            })
            .collect();
        rows.push(BandRow { lo, vals });
    }
    rows
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, n = 9; relative error < 1e-14).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Continued fraction for the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const FPMIN: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < FPMIN {
        d = FPMIN;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..500 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = 1.0 + aa / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = 1.0 + aa / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// CDF of the beta distribution (`scipy.stats.beta.cdf`), the regularised incomplete beta.
pub(crate) fn beta_cdf(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_bt = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let bt = ln_bt.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        bt * beta_cf(a, b, x) / a
    } else {
        1.0 - bt * beta_cf(b, a, 1.0 - x) / b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_index_equals_partition_point() {
        for n in [1usize, 7, 100, 333] {
            let p = Pyin::new(&PyinConfig::default().n_thresholds(n)).unwrap();
            let mut vs: Vec<f64> = p.thresholds.clone();
            vs.extend(p.thresholds.iter().map(|t| t - 1e-12));
            vs.extend(p.thresholds.iter().map(|t| t + 1e-12));
            vs.extend([-1.0, 0.0, 1e-300, 0.5, 1.0, 1.5, f64::NAN, f64::INFINITY]);
            vs.extend((0..1000).map(|i| i as f64 / 997.0));
            for v in vs {
                let want = p.thresholds.partition_point(|&t| t <= v);
                assert_eq!(p.first_threshold_above(v), want, "n {n} v {v}");
            }
        }
    }

    #[test]
    fn beta_cdf_matches_closed_form() {
        // For integer a, b: I_x(a, b) = sum_{j=a}^{a+b-1} C(a+b-1, j) x^j (1-x)^(a+b-1-j)
        let (a, b) = (2usize, 18usize);
        let n = a + b - 1;
        let binom = |n: usize, k: usize| -> f64 {
            (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
        };
        for &x in &[0.01f64, 0.05, 0.1, 0.3, 0.5, 0.9] {
            let exact: f64 = (a..=n)
                .map(|j| binom(n, j) * x.powi(j as i32) * (1.0 - x).powi((n - j) as i32))
                .sum();
            assert!((beta_cdf(x, 2.0, 18.0) - exact).abs() < 1e-12, "{x}");
        }
    }

    #[test]
    fn local_transition_matches_librosa_examples() {
        // librosa.sequence.transition_local(5, 3, window='triangle', wrap=False)
        let rows = local_transition_rows(5, 3);
        let dense: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| (0..5).map(|j| r.get(j)).collect())
            .collect();
        let expect = [
            [2.0 / 3.0, 1.0 / 3.0, 0.0, 0.0, 0.0],
            [0.25, 0.5, 0.25, 0.0, 0.0],
            [0.0, 0.25, 0.5, 0.25, 0.0],
            [0.0, 0.0, 0.25, 0.5, 0.25],
            [0.0, 0.0, 0.0, 1.0 / 3.0, 2.0 / 3.0],
        ];
        for (r, e) in dense.iter().zip(expect.iter()) {
            for (a, b) in r.iter().zip(e.iter()) {
                assert!((a - b).abs() < 1e-12, "{dense:?}");
            }
        }
        // rows sum to one for an even width too
        for r in local_transition_rows(12, 4) {
            assert!((r.vals.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn tone_is_voiced_and_silence_unvoiced() {
        let sr = 16_000;
        let mut y = vec![0.0f32; 8000];
        y.extend(
            (0..16_000)
                .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 150.0 * i as f32 / sr as f32).sin()),
        );
        y.extend(vec![0.0f32; 8000]);
        let pyin = Pyin::new(
            &PyinConfig::default()
                .sr(sr)
                .fmin(60.0)
                .fmax(500.0)
                .frame_length(1024),
        )
        .unwrap();
        let out = pyin.process(&y).unwrap();
        let n = out.f0.len();
        assert_eq!(n, pyin.n_frames(y.len()));
        let mid = n / 2;
        assert!(out.voiced_flag[mid]);
        assert!((out.f0[mid] - 150.0).abs() < 150.0 * 0.006);
        assert!((out.f0_refined[mid] - 150.0).abs() < 0.5);
        assert!(!out.voiced_flag[1] && out.f0[1].is_nan());
        assert!(!out.voiced_flag[n - 2]);
    }

    #[test]
    fn fast_viterbi_step_equals_banded_reference() {
        for (res, hop, sr) in [
            (0.1, 512, 16_000),
            (0.25, 160, 16_000),
            (0.34, 256, 22_050),
            (0.5, 160, 16_000),
        ] {
            let pyin = Pyin::new(
                &PyinConfig::default()
                    .sr(sr)
                    .fmin(60.0)
                    .fmax(900.0)
                    .frame_length(2048)
                    .hop_length(hop)
                    .resolution(res),
            )
            .unwrap();
            let ns = 2 * pyin.n_pitch_bins();
            let mut x = 12345u64;
            let mut rnd = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 10_000) as f64 / 100.0
            };
            for trial in 0..20 {
                let mut value: Vec<f64> = (0..ns).map(|_| -rnd()).collect();
                if trial % 3 == 0 {
                    // a far-away dominant state exercises the out-of-band log(tiny) rule
                    value.iter_mut().for_each(|v| *v -= 2000.0);
                    value[3] = 0.0;
                }
                let obs: Vec<f64> = (0..ns).map(|_| -rnd()).collect();
                let (mut n1, mut n2) = (vec![0.0; ns], vec![0.0; ns]);
                let (mut p1, mut p2) = (vec![0u16; ns], vec![0u16; ns]);
                pyin.viterbi_step(&value, &obs, &mut n1, &mut p1);
                let mut cs = ConvScratch::default();
                pyin.viterbi_step_fast(&value, &obs, &mut n2, &mut p2, &mut cs);
                assert_eq!(p1, p2, "res {res} trial {trial}");
                for (a, b) in n1.iter().zip(&n2) {
                    assert!((a - b).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn bad_config_is_error() {
        assert!(Pyin::new(&PyinConfig::default().n_thresholds(0)).is_err());
        assert!(Pyin::new(&PyinConfig::default().resolution(0.0)).is_err());
        assert!(Pyin::new(&PyinConfig::default().switch_prob(2.0)).is_err());
        assert!(Pyin::new(&PyinConfig::default().max_transition_rate(1e6)).is_err());
    }
}
