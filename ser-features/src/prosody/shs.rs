//! F0 by subharmonic summation (SHS) with Viterbi smoothing, the pitch tracker of openSMILE's
//! eGeMAPS (`cSpecScale` → `cPitchShs` → `cPitchSmootherViterbi` → energy gate), rebuilt from
//! its documented algorithm and configuration (eGeMAPSv02 / GeMAPSv01b).
//!
//! Per frame (default 60 ms, Gaussian window σ = 0.4, hop 10 ms, FFT zero-padded to the next
//! power of two):
//!
//! 1. **Spectrum.** Magnitude spectrum; *peak enhancement* (every bin more than two bins away
//!    from a local maximum, between two maxima, is zeroed) and *smoothing* (`[1, 2, 1] / 4`).
//! 2. **Octave scale.** A natural cubic spline through the magnitudes at `log2(f)` (bin 0 placed
//!    half a bin below bin 1, one octave down) is sampled at as many equally spaced `log2`
//!    points as there are bins, from 25 Hz to Nyquist; negative values are set to 0 and the rest
//!    are weighted by the auditory sensitivity curve `0.5 + atan(3 (i + 1 − s) / P) / π`
//!    (`P` points per octave, `s = P log2(65/50) − 1`).
//! 3. **Subharmonic sum.** `SS[j] = Σ_{h=1..15} 0.85^{h−1} X[j + ⌊P log2 h⌋] / 15`.
//! 4. **Candidates.** The 6 highest local maxima of `SS`, each refined by a parabola through
//!    it and its neighbours (vertex = frequency, vertex height = score); voicing probability
//!    `1 − mean(SS) / score` (0 when the score is below the mean). Candidates outside
//!    `[fmin, fmax]` are dropped and the highest score is put first.
//! 5. **Viterbi smoothing** over the candidates plus an unvoiced state, with openSMILE's costs
//!    (local: `2 (−ln v + 4·[v < 0.7]) + w(f)` with its piecewise frequency weight `w`;
//!    transitions: `10 |r| + 10 |r − r_prev|` for voiced → voiced with `r = ln(f1 / f0)`, 10 for
//!    voiced ↔ unvoiced, 1 for unvoiced → unvoiced, 999 into or out of an empty slot) and its
//!    fixed-lag decoder (decisions at most 40 frames late; the surviving paths' common prefix
//!    is emitted as soon as they merge).
//! 6. **Energy gate.** Frames whose windowed RMS is below 0.001 are unvoiced.
//!
//! Two details copy openSMILE's code where it departs from its own comments, because the
//! reference values depend on them: the `r_prev` of the voiced → voiced cost is the ratio of
//! the *previously evaluated* state pair (a member variable updated inside the inner loop,
//! reset to 0 by voiced ↔ unvoiced pairs), and unvoiced → unvoiced costs 1 (its `i == j == n`
//! test never matches, so the `wTuu = 0` branch is dead).
//!
//! Frames are centred at `t · hop` (as everywhere in this crate; openSMILE starts frame `t` at
//! `t · hop`).
//!
//! # Example
//! ```
//! use ser_features::prosody::shs::{Shs, ShsConfig};
//! let sr = 16_000;
//! let y: Vec<f32> = (0..sr as usize)
//!     .map(|i| {
//!         let t = i as f32 / sr as f32;
//!         (1..6).map(|k| 0.2 / k as f32 * (2.0 * std::f32::consts::PI * 150.0 * k as f32 * t).sin()).sum::<f32>()
//!     })
//!     .collect();
//! let shs = Shs::new(&ShsConfig::default().sr(sr))?;
//! let out = shs.process(&y)?;
//! let mid = out.f0[out.f0.len() / 2];
//! assert!((mid - 150.0).abs() < 3.0, "{mid}");
//! # Ok::<(), ser_features::Error>(())
//! ```

use ser_dsp::{AutocorrScratch, Autocorrelator};

use crate::error::{check_audio, Error, Result};

/// Configuration of [`Shs`]. Defaults = openSMILE eGeMAPSv02.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ShsConfig {
    /// Sampling rate in Hz. Default: 16000.
    pub sr: u32,
    /// Frame length in samples. Default: `None` = 60 ms.
    pub frame_length: Option<usize>,
    /// Hop in samples. Default: `None` = 10 ms.
    pub hop_length: Option<usize>,
    /// Gaussian window σ relative to half the frame. Default: 0.4.
    pub sigma: f64,
    /// Lowest F0 kept, Hz. Default: 55.
    pub fmin: f64,
    /// Highest F0 kept, Hz. Default: 1000.
    pub fmax: f64,
    /// Lowest frequency of the octave-scale spectrum, Hz. Default: 25.
    pub min_freq: f64,
    /// Candidates per frame. Default: 6.
    pub n_candidates: usize,
    /// Harmonics summed. Default: 15.
    pub n_harmonics: usize,
    /// Weight ratio of successive harmonics. Default: 0.85.
    pub compression: f64,
    /// Voicing probability below which a candidate counts as unvoiced. Default: 0.7.
    pub voicing_cutoff: f32,
    /// Windowed-frame RMS below which a frame is unvoiced. Default: 0.001.
    pub rms_threshold: f32,
    /// Viterbi decision lag in frames. Default: 40.
    pub viterbi_lag: usize,
}

impl Default for ShsConfig {
    fn default() -> Self {
        Self {
            sr: 16_000,
            frame_length: None,
            hop_length: None,
            sigma: 0.4,
            fmin: 55.0,
            fmax: 1000.0,
            min_freq: 25.0,
            n_candidates: 6,
            n_harmonics: 15,
            compression: 0.85,
            voicing_cutoff: 0.7,
            rms_threshold: 0.001,
            viterbi_lag: 40,
        }
    }
}

impl ShsConfig {
    /// Sets [`ShsConfig::sr`].
    pub fn sr(mut self, sr: u32) -> Self {
        self.sr = sr;
        self
    }
    /// Sets [`ShsConfig::frame_length`].
    pub fn frame_length(mut self, n: usize) -> Self {
        self.frame_length = Some(n);
        self
    }
    /// Sets [`ShsConfig::hop_length`].
    pub fn hop_length(mut self, n: usize) -> Self {
        self.hop_length = Some(n);
        self
    }
    /// Sets [`ShsConfig::fmin`].
    pub fn fmin(mut self, f: f64) -> Self {
        self.fmin = f;
        self
    }
    /// Sets [`ShsConfig::fmax`].
    pub fn fmax(mut self, f: f64) -> Self {
        self.fmax = f;
        self
    }
}

/// F0 track of [`Shs::process`]: one value per frame centred at `t · hop`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShsOutput {
    /// F0 in Hz, 0 where unvoiced.
    pub f0: Vec<f32>,
    /// Voicing probability of the chosen candidate (of the best one where unvoiced).
    pub voicing: Vec<f32>,
}

impl ShsOutput {
    /// Voicing decision per frame (`f0 > 0`).
    pub fn voiced(&self) -> Vec<bool> {
        self.f0.iter().map(|&f| f > 0.0).collect()
    }
}

/// Reusable buffers of [`Shs`] (one per thread).
#[derive(Debug, Clone, Default)]
pub struct ShsScratch {
    frame: Vec<f32>,
    power: Vec<f32>,
    mag: Vec<f32>,
    /// magnitudes of a batch of frames, bin-major (`[bin][frame]`)
    y: Vec<Lanes>,
    /// the spline's second derivatives, bin-major
    y2: Vec<Lanes>,
    /// one frame's enhanced and smoothed magnitudes
    yf: Vec<f64>,
    /// its peak mask
    mask: Vec<u8>,
    /// octave-scale spectra and subharmonic sums of the batch, point-major
    scaled: Vec<[f32; BATCH]>,
    ss_batch: Vec<[f32; BATCH]>,
    /// one frame's subharmonic sum
    ss: Vec<f32>,
    peaks: Vec<usize>,
    ac: AutocorrScratch,
    /// candidates of every frame: `[f0, voicing] × n_candidates`
    cands: Vec<f32>,
    rms: Vec<f32>,
}

/// SHS pitch plan (`Send + Sync`). See the [module docs](self).
#[derive(Debug)]
pub struct Shs {
    cfg: ShsConfig,
    fl: usize,
    hop: usize,
    window: Vec<f32>,
    ac: Autocorrelator,
    n_bins: usize,
    // natural cubic spline through (log2 f_i, y_i), sampled at the target grid
    /// forward elimination `u[i] = (y[i+1] − y[i]) a1[i] − (y[i] − y[i−1]) a2[i] + b[i] u[i−1]`
    /// for `i = 1..n−1`, stored at `i − 1`
    sp_a1: Vec<f64>,
    sp_a2: Vec<f64>,
    sp_b: Vec<f64>,
    /// back substitution `y2[j] = u[j] + q[j] y2[j+1]`
    sp_q: Vec<f64>,
    tg_k: Vec<usize>,
    tg_coef: Vec<[f64; 3]>,
    audw: Vec<f64>,
    shifts: Vec<usize>,
    weights: Vec<f32>,
    fmin_t: f32,
    fstep_t: f32,
}

impl Shs {
    /// Builds the window, FFT plan, spline and weighting tables. Errors on `sr == 0`, a frame
    /// shorter than 16 samples, `fmin >= fmax`, or non-positive counts.
    pub fn new(cfg: &ShsConfig) -> Result<Self> {
        let bad = |name: &'static str, reason: &str| Error::InvalidParameter {
            name,
            reason: reason.into(),
        };
        if cfg.sr == 0 {
            return Err(bad("sr", "must be positive"));
        }
        let srf = cfg.sr as f64;
        let fl = cfg.frame_length.unwrap_or((0.06 * srf).round() as usize);
        let hop = cfg.hop_length.unwrap_or((0.01 * srf).round() as usize);
        if fl < 16 || hop == 0 {
            return Err(bad(
                "frame_length",
                "needs at least 16 samples and a hop > 0",
            ));
        }
        if !(cfg.fmin.is_finite() && cfg.fmax.is_finite() && 0.0 < cfg.fmin && cfg.fmin < cfg.fmax)
        {
            return Err(bad("fmin", "needs 0 < fmin < fmax"));
        }
        if cfg.n_candidates == 0 || cfg.n_candidates > MAX_CAND {
            return Err(bad("n_candidates", "must be 1 ..= 16"));
        }
        if cfg.n_harmonics == 0 || cfg.sigma.is_nan() || cfg.sigma <= 0.0 {
            return Err(bad("n_harmonics", "n_harmonics and sigma must be positive"));
        }
        let n_fft = fl.next_power_of_two();
        let ac = Autocorrelator::new(fl, Some(n_fft - fl + 1));
        debug_assert_eq!(ac.fft_len(), n_fft);
        let n_bins = n_fft / 2 + 1;
        let window = super::gaussian_window(fl, cfg.sigma);
        // source abscissae: log2 of the bin frequencies; bin 0 one octave below bin 1's half
        let df = srf / n_fft as f64;
        let mut xs = vec![0.0f64; n_bins];
        for (i, x) in xs.iter_mut().enumerate().skip(1) {
            *x = (i as f64 * df).log2();
        }
        xs[0] = 2.0 * xs[1] - xs[2];
        let max_f = df * (n_bins - 1) as f64;
        let min_f = cfg.min_freq.max(1.0);
        if min_f >= max_f {
            return Err(bad("min_freq", "must be below Nyquist"));
        }
        let (fmin_t, fmax_t) = (min_f.log2(), max_f.log2());
        let n_t = n_bins;
        let step_t = (fmax_t - fmin_t) / (n_t - 1) as f64;
        // spline factorisation (depends on the abscissae only)
        let n = n_bins;
        let (mut sp_a1, mut sp_a2, mut sp_b) = (
            Vec::with_capacity(n - 2),
            Vec::with_capacity(n - 2),
            Vec::with_capacity(n - 2),
        );
        let mut sp_q = vec![0.0f64; n - 1];
        let mut y2f = 0.0f64; // the y2 recurrence of the natural spline, without the data term
        for i in 1..n - 1 {
            let sig = (xs[i] - xs[i - 1]) / (xs[i + 1] - xs[i - 1]);
            let p = 1.0 / (sig * y2f + 2.0);
            y2f = (sig - 1.0) * p;
            sp_a1.push(6.0 * p / ((xs[i + 1] - xs[i]) * (xs[i + 1] - xs[i - 1])));
            sp_a2.push(6.0 * p / ((xs[i] - xs[i - 1]) * (xs[i + 1] - xs[i - 1])));
            sp_b.push(-p * sig);
            sp_q[i] = y2f;
        }
        // target sampling: bracket index and the a, c, d coefficients of the cubic
        let mut tg_k = Vec::with_capacity(n_t);
        let mut tg_coef = Vec::with_capacity(n_t);
        let mut ku = 1usize;
        for j in 0..n_t {
            let x = fmin_t + j as f64 * step_t;
            while ku < n - 1 && xs[ku] < x {
                ku += 1;
            }
            let kl = ku - 1;
            let range = xs[ku] - xs[kl];
            let a = (xs[ku] - x) / range;
            let b = 1.0 - a;
            let r2 = range * range / 6.0;
            tg_k.push(kl);
            tg_coef.push([a, (a * a * a - a) * r2, (b * b * b - b) * r2]);
        }
        // openSMILE keeps these as single-precision level metadata
        let n_oct = (max_f / min_f).log2();
        let ppo_d = n_t as f64 / n_oct;
        let ppo = ppo_d as f32; // what cPitchShs reads back
        let atan_s = ppo_d * (65.0f64 / 50.0).log2() - 1.0;
        let audw = (0..n_t)
            .map(|i| 0.5 + (3.0 * (i as f64 + 1.0 - atan_s) / ppo_d).atan() / std::f64::consts::PI)
            .collect();
        let mut shifts = Vec::new();
        let mut weights = Vec::new();
        let mut w = cfg.compression as f32;
        for h in 2..=cfg.n_harmonics {
            shifts.push((ppo as f64 * (h as f64).log2()).floor() as usize);
            weights.push(w);
            w *= cfg.compression as f32;
        }
        Ok(Self {
            cfg: cfg.clone(),
            fl,
            hop,
            window,
            ac,
            n_bins,
            sp_a1,
            sp_a2,
            sp_b,
            sp_q,
            tg_k,
            tg_coef,
            audw,
            shifts,
            weights,
            fmin_t: fmin_t as f32,
            fstep_t: ((fmax_t as f32) - (fmin_t as f32)) / (n_t - 1) as f32,
        })
    }

    /// The configuration of this plan.
    pub fn config(&self) -> &ShsConfig {
        &self.cfg
    }

    /// Hop in samples.
    pub fn hop_length(&self) -> usize {
        self.hop
    }

    /// Frame length in samples.
    pub fn frame_length(&self) -> usize {
        self.fl
    }

    /// Number of frames for `n` samples (frames centred at `0, hop, …`, the last one at or
    /// before the last sample).
    pub fn n_frames(&self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            1 + (n - 1) / self.hop
        }
    }

    /// Allocates the work buffers.
    pub fn make_scratch(&self) -> ShsScratch {
        ShsScratch {
            frame: vec![0.0; self.fl],
            power: vec![0.0; self.n_bins],
            ac: self.ac.make_scratch(),
            ..Default::default()
        }
    }

    /// F0 track of `y` (mono, at `cfg.sr`). Errors on empty or non-finite input.
    pub fn process(&self, y: &[f32]) -> Result<ShsOutput> {
        let mut out = ShsOutput::default();
        self.process_into(y, &mut out, &mut self.make_scratch())?;
        Ok(out)
    }

    /// As [`Shs::process`], writing into `out` and reusing `s`.
    pub fn process_into(&self, y: &[f32], out: &mut ShsOutput, s: &mut ShsScratch) -> Result<()> {
        self.run(y, out, s, None)
    }

    /// As [`Shs::process_into`], also keeping every frame's magnitude spectrum (of the
    /// Gaussian-windowed frame zero-padded to a power of two, as openSMILE's `fftmagG60`
    /// level) in `magnitudes`, row-major `n_frames × n_bins()`. eGeMAPS' harmonic analysis
    /// reads these ([`crate::prosody::harmonics::HarmonicAnalyzer::analyze_magnitudes`]).
    pub fn process_into_with_magnitudes(
        &self,
        y: &[f32],
        out: &mut ShsOutput,
        s: &mut ShsScratch,
        magnitudes: &mut Vec<f32>,
    ) -> Result<()> {
        self.run(y, out, s, Some(magnitudes))
    }

    /// Bins of each magnitude spectrum ([`Shs::process_into_with_magnitudes`]).
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    fn run(
        &self,
        y: &[f32],
        out: &mut ShsOutput,
        s: &mut ShsScratch,
        magnitudes: Option<&mut Vec<f32>>,
    ) -> Result<()> {
        crate::lanes::wide(
            #[inline(always)]
            || self.run_portable(y, out, s, magnitudes),
        )
    }

    #[inline(always)]
    fn run_portable(
        &self,
        y: &[f32],
        out: &mut ShsOutput,
        s: &mut ShsScratch,
        mut magnitudes: Option<&mut Vec<f32>>,
    ) -> Result<()> {
        check_audio(y)?;
        let n_t = self.n_frames(y.len());
        let nc = self.cfg.n_candidates;
        s.cands.clear();
        s.cands.resize(n_t * 2 * nc, 0.0);
        s.rms.clear();
        s.rms.resize(n_t, 0.0);
        s.frame.resize(self.fl, 0.0);
        s.power.resize(self.n_bins, 0.0);
        s.mag.resize(self.n_bins, 0.0);
        if let Some(m) = magnitudes.as_deref_mut() {
            // filled frame by frame below
            m.clear();
            m.reserve(n_t * self.n_bins);
        }
        s.y.resize(self.n_bins, [0.0; BATCH]);
        for t0 in (0..n_t).step_by(BATCH) {
            let lanes = (n_t - t0).min(BATCH);
            for lane in 0..BATCH {
                if lane == lanes {
                    // the last batch's unused lanes: silent frames, results unread
                    s.y.iter_mut().for_each(|v| v[lane..].fill(0.0));
                    break;
                }
                let t = t0 + lane;
                super::windowed_frame(y, t * self.hop, &self.window, &mut s.frame);
                let e: f32 = crate::lanes::dot_f32(&s.frame, &s.frame);
                s.rms[t] = (e / self.fl as f32).sqrt();
                self.ac.power_into(&s.frame, &mut s.power, &mut s.ac)?;
                // single-precision magnitudes, as openSMILE's cFFTmagphase
                let mag = match magnitudes.as_deref_mut() {
                    Some(m) => {
                        debug_assert_eq!(m.len(), t * self.n_bins);
                        m.extend(s.power.iter().map(|&p| p.max(0.0).sqrt()));
                        &m[t * self.n_bins..]
                    }
                    None => {
                        for (m, &p) in s.mag.iter_mut().zip(&s.power) {
                            *m = p.max(0.0).sqrt();
                        }
                        &s.mag[..]
                    }
                };
                s.yf.clear();
                s.yf.extend(mag.iter().map(|&m| m as f64));
                enhance_peaks(&mut s.yf, &mut s.mask);
                smooth_121(&mut s.yf);
                for (v, &m) in s.y.iter_mut().zip(&s.yf) {
                    v[lane] = m;
                }
            }
            self.subharmonic_sums(s);
            let inv_h = 1.0 / self.cfg.n_harmonics as f32;
            for lane in 0..lanes {
                let t = t0 + lane;
                s.ss.clear();
                s.ss.extend(s.ss_batch.iter().map(|v| (v[lane] * inv_h).max(0.0)));
                let mut cand = [(0.0f32, 0.0f32, 0.0f32); MAX_CAND];
                let k = self.candidates(&s.ss, &mut s.peaks, &mut cand[..nc]);
                let row = &mut s.cands[t * 2 * nc..(t + 1) * 2 * nc];
                for (i, c) in cand[..k].iter().enumerate() {
                    row[2 * i] = c.0;
                    row[2 * i + 1] = c.1;
                }
            }
        }
        let states = viterbi_fixed_lag(&s.cands, nc, self.cfg.voicing_cutoff, self.cfg.viterbi_lag);
        out.f0.clear();
        out.voicing.clear();
        for (t, &st) in states.iter().enumerate() {
            let row = &s.cands[t * 2 * nc..(t + 1) * 2 * nc];
            let (f, v) = if st < nc {
                (row[2 * st], row[2 * st + 1])
            } else {
                (0.0, row[1])
            };
            let gated = s.rms[t] < self.cfg.rms_threshold;
            out.f0.push(if gated { 0.0 } else { f });
            out.voicing.push(if gated { 0.0 } else { v });
        }
        Ok(())
    }

    /// Second derivatives `s.y2` of the natural cubic spline through `(log2 f_i, s.y[i])`
    /// for every frame of the batch (tridiagonal solve with the precomputed factorisation;
    /// each recurrence runs `BATCH` independent chains, one per frame).
    #[inline(always)]
    fn spline_second_derivatives(&self, s: &mut ShsScratch) {
        let (y, y2) = (&s.y, &mut s.y2);
        let n = y.len();
        y2.clear();
        y2.resize(n, [0.0; BATCH]);
        // forward elimination: y2[i + 1] = u_i + b_i y2[i] (y2[0] = 0), with the data term
        // u_i = (y[i+2] − y[i+1]) a1_i − (y[i+1] − y[i]) a2_i
        let mut c = [0.0f64; BATCH];
        for (i, ((w, (&a1, &a2)), &b)) in y
            .windows(3)
            .zip(self.sp_a1.iter().zip(&self.sp_a2))
            .zip(&self.sp_b)
            .enumerate()
        {
            // whole lanes are loaded, computed and stored (the compiler then keeps them in
            // SIMD registers)
            let (y0, y1, y2_) = (w[0], w[1], w[2]);
            for l in 0..BATCH {
                let u = (y2_[l] - y1[l]) * a1 - (y1[l] - y0[l]) * a2;
                c[l] = u + b * c[l];
            }
            y2[i + 1] = c;
        }
        // back substitution: y2[i] = y2[i] + q_i y2[i + 1] (y2[n − 1] = 0)
        let mut next = [0.0f64; BATCH];
        for (v, &q) in y2[..n - 1].iter_mut().zip(&self.sp_q).rev() {
            let mut cur = *v;
            for l in 0..BATCH {
                cur[l] += q * next[l];
            }
            *v = cur;
            next = cur;
        }
    }

    /// Steps 2–3 of the [module docs](self) for the batch of enhanced and smoothed magnitude
    /// spectra in `s.y`: the octave-scale spectrum and the (unscaled) subharmonic sums
    /// `s.ss_batch`.
    #[inline(always)]
    fn subharmonic_sums(&self, s: &mut ShsScratch) {
        self.spline_second_derivatives(s);
        let (y, y2) = (&s.y, &s.y2);
        // octave-scale spectrum, auditory weighting
        s.scaled.resize(self.tg_k.len(), [0.0; BATCH]);
        for (out, ((&k, c), &w)) in s
            .scaled
            .iter_mut()
            .zip(self.tg_k.iter().zip(&self.tg_coef).zip(&self.audw))
        {
            let (y0, y1, d0, d1) = (y[k], y[k + 1], y2[k], y2[k + 1]);
            let [c0, c1, c2] = *c;
            let mut o = [0.0f32; BATCH];
            for l in 0..BATCH {
                let v = c0 * y0[l] + (1.0 - c0) * y1[l] + c1 * d0[l] + c2 * d1[l];
                // negative (and NaN) → 0
                o[l] = ((v as f32).max(0.0) as f64 * w) as f32;
            }
            *out = o;
        }
        // subharmonic summation
        let x = &s.scaled;
        let m = x.len();
        s.ss_batch.clear();
        s.ss_batch.extend_from_slice(x);
        for (&sh, &w) in self.shifts.iter().zip(&self.weights) {
            if sh >= m {
                continue;
            }
            for (d, v) in s.ss_batch[..m - sh].iter_mut().zip(&x[sh..]) {
                let (mut dv, vv) = (*d, *v);
                for l in 0..BATCH {
                    dv[l] += vv[l] * w;
                }
                *d = dv;
            }
        }
    }

    /// Candidates `(f0 Hz, voicing, score)` of one frame from its subharmonic sum `ss`, best
    /// score first; returns how many are set.
    #[inline(always)]
    fn candidates(
        &self,
        ss: &[f32],
        peaks: &mut Vec<usize>,
        cand: &mut [(f32, f32, f32)],
    ) -> usize {
        let m = ss.len();
        let ss_mean = crate::lanes::sum_f32(ss) as f64 / m as f64;
        // the highest local maxima, in descending order (ties keep the lower frequency first)
        let nc = cand.len();
        let mut idx = [0usize; MAX_CAND];
        let mut sc = [0.0f32; MAX_CAND];
        let mut k = 0usize;
        // strict local maxima, collected without branching on the data
        peaks.clear();
        peaks.resize(m, 0);
        let mut n_peaks = 0usize;
        for (i, ((l, c), r)) in ss.iter().zip(&ss[1..]).zip(&ss[2..]).enumerate() {
            peaks[n_peaks] = i + 1;
            n_peaks += ((l < c) & (c > r)) as usize;
        }
        for &i in &peaks[..n_peaks] {
            let v = ss[i];
            // a strict maximum of non-negative values is positive, so full slots are too:
            // a value not above the smallest kept one cannot enter
            if k == nc && v <= sc[nc - 1] {
                continue;
            }
            {
                if let Some(j) = (0..nc).find(|&j| sc[j] == 0.0 || sc[j] < v) {
                    for jj in (j + 1..nc).rev() {
                        sc[jj] = sc[jj - 1];
                        idx[jj] = idx[jj - 1];
                    }
                    sc[j] = v;
                    idx[j] = i;
                    k = (k + 1).min(nc);
                }
            }
        }
        // parabolic refinement on the log2 axis, voicing, range check
        let mut out_n = 0usize;
        let mut tmp = [(0.0f32, 0.0f32, 0.0f32); MAX_CAND];
        for &j in &idx[..k] {
            let xj = |d: f32| (j as f32 + d) * self.fstep_t + self.fmin_t;
            let (fx, score) = parabola_vertex(
                [xj(-1.0) as f64, xj(0.0) as f64, xj(1.0) as f64],
                [ss[j - 1] as f64, ss[j] as f64, ss[j + 1] as f64],
            );
            let f0 = fx.exp2() as f32;
            let voicing = if score > 0.0 && score > ss_mean {
                (1.0 - ss_mean / score) as f32
            } else {
                0.0
            };
            if (f0 as f64) >= self.cfg.fmin && (f0 as f64) <= self.cfg.fmax {
                tmp[out_n] = (f0, voicing, score as f32);
                out_n += 1;
            }
        }
        // highest score first (a swap, as openSMILE)
        if out_n > 1 {
            let best = (1..out_n).fold(0, |b, i| if tmp[i].2 > tmp[b].2 { i } else { b });
            tmp.swap(0, best);
        }
        cand[..out_n].copy_from_slice(&tmp[..out_n]);
        out_n
    }
}

/// Most candidates per frame [`Shs`] keeps.
pub const MAX_CAND: usize = 16;

/// Frames processed together by the spline, octave-scale and subharmonic-sum stages of
/// [`Shs`]: every bin holds one value per frame, so the per-bin work runs across frames in
/// SIMD lanes and the spline's recurrences run `BATCH` independent chains, with the
/// arithmetic of each frame unchanged.
const BATCH: usize = 8;

/// One bin of a batch of frames.
type Lanes = [f64; BATCH];

/// Vertex `(x, y)` of the parabola through three points (the middle point when they are
/// collinear).
#[inline(always)]
fn parabola_vertex(x: [f64; 3], y: [f64; 3]) -> (f64, f64) {
    let d = (x[0] - x[1]) * (x[0] - x[2]) * (x[1] - x[2]);
    if d == 0.0 {
        return (x[1], y[1]);
    }
    let a = (x[2] * (y[1] - y[0]) + x[1] * (y[0] - y[2]) + x[0] * (y[2] - y[1])) / d;
    let b =
        (x[2] * x[2] * (y[0] - y[1]) + x[1] * x[1] * (y[2] - y[0]) + x[0] * x[0] * (y[1] - y[2]))
            / d;
    let c = (x[1] * x[2] * (x[1] - x[2]) * y[0]
        + x[2] * x[0] * (x[2] - x[0]) * y[1]
        + x[0] * x[1] * (x[0] - x[1]) * y[2])
        / d;
    if a == 0.0 {
        return (x[1], y[1]);
    }
    let xv = -b / (2.0 * a);
    (xv, c - b * b / (4.0 * a))
}

/// openSMILE's SHS peak enhancement: zero every bin more than two bins away from a local
/// maximum that lies between two maxima (with a single maximum, every bin from 3 on).
/// Maxima: `a[i] > a[i−1] && a[i] >= a[i+1]`, the first bin if it exceeds the second, the
/// last if it exceeds the one before. Computed with masks, without branching per bin.
#[inline(always)]
fn enhance_peaks(a: &mut [f64], mask: &mut Vec<u8>) {
    let n = a.len();
    if n < 2 {
        return;
    }
    // mask[i + 2] = 1 where bin i is a maximum (two zero bytes of padding on each side)
    mask.clear();
    mask.resize(n + 4, 0);
    mask[2] = (a[0] > a[1]) as u8;
    for ((m, (l, c)), r) in mask[3..n + 1]
        .iter_mut()
        .zip(a.iter().zip(&a[1..]))
        .zip(&a[2..])
    {
        *m = ((c > l) & (c >= r)) as u8;
    }
    mask[n + 1] = (a[n - 1] > a[n - 2]) as u8;
    let maxima = &mask[2..n + 2];
    let count: usize = maxima.iter().map(|&v| v as usize).sum();
    match count {
        0 => {}
        // openSMILE reads the (zero-initialised) second slot here
        1 => a.iter_mut().skip(3).for_each(|v| *v = 0.0),
        _ => {
            let first = maxima.iter().position(|&v| v != 0).unwrap_or(0);
            let last = maxima.iter().rposition(|&v| v != 0).unwrap_or(n - 1);
            // bins [first + 3, last − 3] survive only within two bins of a maximum
            let (lo, hi) = (first + 3, last.saturating_sub(3));
            if lo <= hi {
                let len = hi + 1 - lo;
                let m = &mask[lo..lo + len + 4];
                let near = m[..len]
                    .iter()
                    .zip(&m[1..])
                    .zip(&m[2..])
                    .zip(&m[3..])
                    .zip(&m[4..])
                    .map(|((((a, b), c), d), e)| a | b | c | d | e);
                for (v, keep) in a[lo..=hi].iter_mut().zip(near) {
                    *v = if keep != 0 { *v } else { 0.0 };
                }
            }
        }
    }
}

/// `a[i] = (a[i-1] + 2 a[i] + a[i+1]) / 4` with the original neighbours (`a[-1] = 0`); the
/// last bin is kept.
#[inline(always)]
fn smooth_121(a: &mut [f64]) {
    let n = a.len();
    let mut prev = 0.0;
    for i in 0..n.saturating_sub(1) {
        let cur = a[i];
        a[i] = (prev + 2.0 * cur + a[i + 1]) / 4.0;
        prev = cur;
    }
}

/// openSMILE's built-in pitch-range cost.
fn freq_weight(f: f32) -> f64 {
    let f = f as f64;
    if f > 0.0 && f < 100.0 {
        1.0 - f / 100.0
    } else if (100.0..350.0).contains(&f) {
        0.0
    } else if (350.0..600.0).contains(&f) {
        (f - 350.0) / 250.0
    } else if f >= 600.0 {
        1.2
    } else {
        2.0
    }
}

const W_LOCAL: f64 = 2.0;
const W_TVV: f64 = 10.0;
/// eGeMAPS sets `wTvvd = 5`, but openSMILE's `setWeights` assigns `wTvv` to it.
const W_TVVD: f64 = 10.0;
const W_TVUV: f64 = 10.0;
const W_THR: f64 = 4.0;
const W_RANGE: f64 = 1.0;

/// Decodes the state (candidate index, `nc` = unvoiced) of every frame from `cands`
/// (`[f0, voicing] × nc` per frame) with openSMILE's fixed-lag Viterbi and costs.
fn viterbi_fixed_lag(cands: &[f32], nc: usize, cutoff: f32, lag: usize) -> Vec<usize> {
    let ns = nc + 1;
    let n_t = if nc == 0 { 0 } else { cands.len() / (2 * nc) };
    let lag = lag.max(1);
    let frame = |t: usize| &cands[t * 2 * nc..(t + 1) * 2 * nc];
    let local = |i: usize, fr: &[f32]| -> f64 {
        if i < nc {
            let pv = (fr[2 * i + 1] as f64).clamp(0.01, 1.0);
            let thr = if pv < cutoff as f64 { W_THR } else { 0.0 };
            (-pv.ln() + thr) * W_LOCAL + freq_weight(fr[2 * i]) * W_RANGE
        } else if (0..nc).any(|j| fr[2 * j + 1] >= cutoff) {
            W_LOCAL * W_THR
        } else {
            0.0
        }
    };
    let mut best = vec![0usize; n_t];
    if n_t == 0 {
        return best;
    }
    let mut cost = vec![0.0f64; ns];
    let mut new_cost = vec![0.0f64; ns];
    // paths[s * lag + (t % lag)]: state at time t on the best path ending in s
    let mut paths = vec![0usize; ns * lag];
    let mut new_paths = vec![0usize; ns * lag];
    let mut last_change = 1.0f64;
    let mut conv: isize = -1;
    let mut lnf_prev = vec![0.0f64; nc];
    let mut lnf_cur = vec![0.0f64; nc];
    for t in 0..n_t {
        let cur = frame(t);
        for j in 0..nc {
            lnf_cur[j] = if cur[2 * j] != 0.0 {
                (cur[2 * j] as f64).ln()
            } else {
                0.0
            };
        }
        if t == 0 {
            for i in 0..ns {
                cost[i] = local(i, cur);
                paths[i * lag] = i;
            }
        } else {
            let prev = frame(t - 1);
            for i in 0..ns {
                let mut min_state = 0usize;
                let mut min_cost = f64::INFINITY;
                for j in 0..ns {
                    let tc = if i < nc && j < nc {
                        if prev[2 * j] == 0.0 || cur[2 * i] == 0.0 {
                            999.0
                        } else {
                            let r = lnf_cur[i] - lnf_prev[j];
                            let x = W_TVV * r.abs() + W_TVVD * (r - last_change).abs();
                            last_change = r;
                            x
                        }
                    } else if i < nc || j < nc {
                        last_change = 0.0;
                        W_TVUV
                    } else {
                        1.0
                    };
                    let c = tc + cost[j];
                    if j == 0 || c < min_cost {
                        min_cost = c;
                        min_state = j;
                    }
                }
                new_cost[i] = min_cost + local(i, cur);
                new_paths[i * lag..(i + 1) * lag]
                    .copy_from_slice(&paths[min_state * lag..(min_state + 1) * lag]);
                new_paths[i * lag + t % lag] = i;
            }
            std::mem::swap(&mut cost, &mut new_cost);
            std::mem::swap(&mut paths, &mut new_paths);
        }
        std::mem::swap(&mut lnf_prev, &mut lnf_cur);
        let path_idx = t as isize + 1;
        if path_idx - conv > lag as isize {
            // forced decision on the oldest frame from the currently best path
            let ms = argmin(&cost);
            conv += 1;
            best[conv as usize] = paths[ms * lag + conv as usize % lag];
        } else {
            // emit the prefix on which all surviving paths agree
            for n in (conv + 1) as usize..t + 1 {
                let x = paths[n % lag];
                if (1..ns).all(|s| paths[s * lag + n % lag] == x) {
                    conv += 1;
                    best[conv as usize] = x;
                } else {
                    break;
                }
            }
        }
    }
    let ms = argmin(&cost);
    for n in (conv + 1) as usize..n_t {
        best[n] = paths[ms * lag + n % lag];
    }
    best
}

fn argmin(v: &[f64]) -> usize {
    (1..v.len()).fold(0, |b, i| if v[i] < v[b] { i } else { b })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn harmonic(sr: u32, f0: f32, secs: f32) -> Vec<f32> {
        (0..(sr as f32 * secs) as usize)
            .map(|i| {
                let t = i as f32 / sr as f32;
                (1..8)
                    .map(|k| {
                        0.2 / k as f32 * (2.0 * std::f32::consts::PI * f0 * k as f32 * t).sin()
                    })
                    .sum()
            })
            .collect()
    }

    #[test]
    fn tracks_harmonic_tones_across_the_range() {
        let shs = Shs::new(&ShsConfig::default()).unwrap();
        for f0 in [80.0f32, 120.0, 200.0, 310.0, 450.0] {
            let out = shs.process(&harmonic(16_000, f0, 0.6)).unwrap();
            let n = out.f0.len();
            for &f in &out.f0[5..n - 5] {
                assert!((f - f0).abs() / f0 < 0.01, "f0 {f0}: got {f}");
            }
            assert!(out.voicing[n / 2] > 0.7, "{}", out.voicing[n / 2]);
        }
    }

    #[test]
    fn wide_and_portable_builds_agree_bit_for_bit() {
        let shs = Shs::new(&ShsConfig::default()).unwrap();
        let mut y = harmonic(16_000, 170.0, 0.8);
        y.extend(harmonic(16_000, 95.0, 0.5));
        let (mut a, mut b) = (ShsOutput::default(), ShsOutput::default());
        let (mut ma, mut mb) = (Vec::new(), Vec::new());
        shs.run(&y, &mut a, &mut shs.make_scratch(), Some(&mut ma))
            .unwrap();
        shs.run_portable(&y, &mut b, &mut shs.make_scratch(), Some(&mut mb))
            .unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.f0), bits(&b.f0));
        assert_eq!(bits(&a.voicing), bits(&b.voicing));
        assert_eq!(bits(&ma), bits(&mb));
    }

    #[test]
    fn silence_and_quiet_frames_are_unvoiced() {
        let shs = Shs::new(&ShsConfig::default()).unwrap();
        let mut y = vec![0.0f32; 8000];
        y.extend(harmonic(16_000, 150.0, 0.5));
        let out = shs.process(&y).unwrap();
        assert!(out.f0[..40].iter().all(|&f| f == 0.0));
        let quiet: Vec<f32> = harmonic(16_000, 150.0, 0.5)
            .iter()
            .map(|v| v * 1e-4)
            .collect();
        assert!(shs.process(&quiet).unwrap().f0.iter().all(|&f| f == 0.0));
    }

    /// The batch's lanes `(bin, lane)` from one column per lane.
    fn batch(cols: &[Vec<f64>]) -> Vec<Lanes> {
        (0..cols[0].len())
            .map(|i| std::array::from_fn(|l| cols[l % cols.len()][i]))
            .collect()
    }

    #[test]
    fn spline_interpolates_its_knots_and_is_exact_for_lines() {
        // sampled exactly at the source abscissae, the natural spline returns the data; on a
        // straight line (y linear in log2 f) it is that line everywhere, in every lane
        let shs = Shs::new(&ShsConfig::default()).unwrap();
        let mut s = shs.make_scratch();
        let n = shs.n_bins;
        let xs: Vec<f64> = (0..n)
            .map(|i| {
                if i == 0 {
                    (16_000.0f64 / 1024.0).log2() - 1.0
                } else {
                    (i as f64 * 16_000.0 / 1024.0).log2()
                }
            })
            .collect();
        let line = |l: usize, x: f64| (l as f64 + 1.0) * x - 2.0 * l as f64;
        let cols: Vec<Vec<f64>> = (0..BATCH)
            .map(|l| xs.iter().map(|&x| line(l, x)).collect())
            .collect();
        s.y = batch(&cols);
        shs.spline_second_derivatives(&mut s);
        assert_eq!(s.y2.len(), n);
        for (j, (&k, c)) in shs.tg_k.iter().zip(&shs.tg_coef).enumerate() {
            let x = 25f64.log2() + j as f64 * ((8000f64).log2() - 25f64.log2()) / (n - 1) as f64;
            for l in 0..BATCH {
                let (y, y2) = (|i: usize| s.y[i][l], |i: usize| s.y2[i][l]);
                let v = c[0] * y(k) + (1.0 - c[0]) * y(k + 1) + c[1] * y2(k) + c[2] * y2(k + 1);
                assert!(
                    (v - line(l, x)).abs() < 1e-6,
                    "{j}/{l}: {v} vs {}",
                    line(l, x)
                );
            }
        }
    }

    #[test]
    fn lanes_of_a_batch_are_independent() {
        // each frame's subharmonic sums are the same, bit for bit, in whichever lane it sits
        // and whatever the other lanes hold
        let shs = Shs::new(&ShsConfig::default()).unwrap();
        let n = shs.n_bins;
        let cols: Vec<Vec<f64>> = (0..BATCH)
            .map(|l| {
                (0..n)
                    .map(|i| ((i * (13 + 4 * l) % 29) as f64 * 0.1).sin().abs())
                    .collect()
            })
            .collect();
        let mut mixed = shs.make_scratch();
        mixed.y = batch(&cols);
        shs.subharmonic_sums(&mut mixed);
        for (l, col) in cols.iter().enumerate() {
            let mut alone = shs.make_scratch();
            alone.y = batch(std::slice::from_ref(col));
            shs.subharmonic_sums(&mut alone);
            for (a, b) in mixed.ss_batch.iter().zip(&alone.ss_batch) {
                assert_eq!(a[l].to_bits(), b[(l + 3) % BATCH].to_bits(), "lane {l}");
            }
        }
    }

    #[test]
    fn spline_matches_the_textbook_tridiagonal_solve() {
        let shs = Shs::new(&ShsConfig::default()).unwrap();
        let mut s = shs.make_scratch();
        let n = shs.n_bins;
        let df = 16_000.0f64 / 1024.0;
        let mut xs: Vec<f64> = (0..n).map(|i| (i as f64 * df).log2()).collect();
        xs[0] = 2.0 * xs[1] - xs[2];
        // a different signal in each lane
        let cols: Vec<Vec<f64>> = (0..BATCH)
            .map(|l| {
                (0..n)
                    .map(|i| ((i * (37 + 2 * l) % 101) as f64).sqrt())
                    .collect()
            })
            .collect();
        s.y = batch(&cols);
        shs.spline_second_derivatives(&mut s);
        for (l, y) in cols.iter().enumerate() {
            // Numerical Recipes' natural spline
            let (mut u, mut y2) = (vec![0.0; n], vec![0.0; n]);
            for i in 1..n - 1 {
                let sig = (xs[i] - xs[i - 1]) / (xs[i + 1] - xs[i - 1]);
                let p = sig * y2[i - 1] + 2.0;
                y2[i] = (sig - 1.0) / p;
                let d = (y[i + 1] - y[i]) / (xs[i + 1] - xs[i])
                    - (y[i] - y[i - 1]) / (xs[i] - xs[i - 1]);
                u[i] = (6.0 * d / (xs[i + 1] - xs[i - 1]) - sig * u[i - 1]) / p;
            }
            y2[n - 1] = 0.0;
            for j in (0..n - 1).rev() {
                y2[j] = y2[j] * y2[j + 1] + u[j];
            }
            let scale = y2.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (a, b) in s.y2.iter().map(|v| v[l]).zip(&y2) {
                assert!((a - b).abs() <= 1e-9 * scale, "lane {l}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn parabola_vertex_is_exact() {
        // y = -(x - 1.3)^2 + 2
        let f = |x: f64| -(x - 1.3) * (x - 1.3) + 2.0;
        let (x, y) = parabola_vertex([1.0, 1.5, 2.0], [f(1.0), f(1.5), f(2.0)]);
        assert!((x - 1.3).abs() < 1e-12 && (y - 2.0).abs() < 1e-12);
    }

    #[test]
    fn enhancement_and_smoothing_follow_opensmile() {
        let mut a = vec![0.0, 5.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 4.0, 0.5];
        let mut mask = Vec::new();
        enhance_peaks(&mut a, &mut mask);
        // maxima at 1 (and the plateau bins 3..=7 are not maxima: equal neighbours on the
        // left), 8; bins 4..=5 lie more than two bins from both
        assert_eq!(&mask[2..12], &[0, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(a, vec![0.0, 5.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 4.0, 0.5]);
        let mut b = vec![4.0, 0.0, 4.0, 8.0];
        smooth_121(&mut b);
        assert_eq!(b, vec![2.0, 2.0, 4.0, 8.0]);
    }

    /// openSMILE's enhancement written out with explicit maxima positions.
    fn enhance_reference(a: &mut [f64]) {
        let n = a.len();
        let mut pos = Vec::new();
        if a[0] > a[1] {
            pos.push(0);
        }
        for i in 1..n - 1 {
            if a[i] > a[i - 1] && a[i] >= a[i + 1] {
                pos.push(i);
            }
        }
        if a[n - 1] > a[n - 2] {
            pos.push(n - 1);
        }
        if pos.len() == 1 {
            for v in a.iter_mut().skip(3) {
                *v = 0.0;
            }
        }
        for w in pos.windows(2) {
            let (lo, hi) = (w[0] + 3, w[1].saturating_sub(3));
            if lo <= hi {
                a[lo..=hi].fill(0.0);
            }
        }
    }

    #[test]
    fn masked_enhancement_equals_the_positional_one() {
        let mut st = 3u64;
        let mut mask = Vec::new();
        for trial in 0..500 {
            let n = 2 + trial % 40;
            let a: Vec<f64> = (0..n)
                .map(|_| {
                    st = st.wrapping_mul(6364136223846793005).wrapping_add(1);
                    ((st >> 33) % 4) as f64 // small integers: plateaus and ties
                })
                .collect();
            let (mut x, mut y) = (a.clone(), a.clone());
            enhance_peaks(&mut x, &mut mask);
            enhance_reference(&mut y);
            assert_eq!(x, y, "input {a:?}");
        }
    }

    #[test]
    fn viterbi_prefers_continuity_and_keeps_lag_decisions() {
        // two candidates per frame: a steady 150 Hz track and an octave jump at frame 5 with a
        // slightly higher voicing; the smoother stays on the steady track
        let nc = 2;
        let mut c = Vec::new();
        for t in 0..60 {
            let (a, va, b, vb) = if t == 5 {
                (300.0, 0.95, 150.0, 0.9)
            } else {
                (150.0, 0.95, 300.0, 0.8)
            };
            c.extend([a, va, b, vb]);
        }
        let st = viterbi_fixed_lag(&c, nc, 0.7, 40);
        let f: Vec<f32> = st
            .iter()
            .enumerate()
            .map(|(t, &s)| if s < nc { c[t * 4 + 2 * s] } else { 0.0 })
            .collect();
        assert!(f.iter().all(|&v| v == 150.0), "{f:?}");
        // a lag of 1 still decodes every frame
        assert_eq!(viterbi_fixed_lag(&c, nc, 0.7, 1).len(), 60);
    }

    #[test]
    fn rejects_bad_configs() {
        assert!(Shs::new(&ShsConfig::default().sr(0)).is_err());
        assert!(Shs::new(&ShsConfig::default().fmin(500.0).fmax(100.0)).is_err());
        assert!(Shs::new(&ShsConfig::default().frame_length(4)).is_err());
        for n_candidates in [0, MAX_CAND + 1] {
            let cfg = ShsConfig {
                n_candidates,
                ..Default::default()
            };
            assert!(Shs::new(&cfg).is_err());
        }
        let cfg = ShsConfig {
            sigma: f64::NAN,
            ..Default::default()
        };
        assert!(Shs::new(&cfg).is_err());
        let shs = Shs::new(&ShsConfig::default()).unwrap();
        assert!(shs.process(&[]).is_err());
        assert!(shs.process(&[f32::NAN; 100]).is_err());
    }
}
