//! Harmonic analysis of one voiced frame the way openSMILE's `cHarmonics` does it for
//! eGeMAPS: ACF-based harmonics-to-noise ratio, harmonic differences and formant amplitudes,
//! all from one Gaussian-windowed frame (default 60 ms, σ = 0.4, as eGeMAPS' `winG60`).
//!
//! * **HNR** (`HNRdBACF`): `acf` = autocorrelation of the windowed frame (no bias or window
//!   correction, so a perfectly periodic frame gives a finite value that falls with the
//!   period); the lag is the local ACF maximum closest to `floor(sr / F0)`, and
//!   `HNR = 10 log10(acf[τ] / (acf[0] − acf[τ]))`, clipped to −90 … 110 dB.
//! * **Harmonics**: on the magnitude spectrum of the frame zero-padded to the next power of two
//!   (1024 points at 16 kHz, as openSMILE's `cTransformFFT`; the eGeMAPS set passes the SHS
//!   tracker's spectra to [`HarmonicAnalyzer::analyze_magnitudes`] instead of recomputing
//!   them), harmonic `k` (0 = F0) is the spectral peak nearest to the magnitude-spectrum
//!   bin of `(k + 1) · F0`, searched within ±F0/2; its magnitude is refined by parabolic
//!   interpolation and expressed in dB relative to the (un-interpolated) F0 peak. A harmonic
//!   on the same bin as the previous one, or without a peak, is missing (−201 dB).
//! * **H1−H2**, **H1−A3** (openSMILE's names, where harmonic index 0 is F0): the level of
//!   harmonic 1 minus that of harmonic 2, and minus that of the strongest harmonic within
//!   ±20 % of F3.
//! * **Formant amplitudes**: level of the strongest harmonic within ±20 % of `F_i`, relative
//!   to F0's (missing when no harmonic is in range).
//!
//! # Example
//! ```
//! use ser_features::prosody::harmonics::{HarmonicAnalyzer, HarmonicsConfig};
//! let sr = 16_000;
//! let y: Vec<f32> = (0..sr as usize)
//!     .map(|i| {
//!         let t = i as f32 / sr as f32;
//!         (1..8).map(|k| 0.3 / k as f32 * (2.0 * std::f32::consts::PI * 150.0 * k as f32 * t).sin()).sum::<f32>()
//!     })
//!     .collect();
//! let plan = HarmonicAnalyzer::new(&HarmonicsConfig::default().sr(sr))?;
//! let mut scratch = plan.make_scratch();
//! let h = plan.analyze(&y, 8000, 150.0, &[700.0, 1200.0, 2500.0], &mut scratch);
//! assert!(h.hnr_db > 3.0); // periodic, but the 60 ms Gaussian window caps the ACF peak
//! assert!((h.h1_h2_db - 20.0 * (3.0f32 / 2.0).log10()).abs() < 1.0); // 1/2 vs 1/3 amplitude
//! # Ok::<(), ser_features::Error>(())
//! ```

use ser_dsp::{AutocorrScratch, Autocorrelator};

use crate::error::{Error, Result};

/// Configuration of [`HarmonicAnalyzer`]. Defaults = openSMILE eGeMAPSv02 (`winG60`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HarmonicsConfig {
    /// Sampling rate in Hz. Default: 16000.
    pub sr: u32,
    /// Frame length in samples. Default: `None` = 60 ms.
    pub frame_length: Option<usize>,
    /// Gaussian window σ relative to half the frame. Default: 0.4.
    pub sigma: f64,
    /// Lowest F0 analysed (sets the longest ACF lag). Default: 55.
    pub fmin: f64,
}

impl Default for HarmonicsConfig {
    fn default() -> Self {
        Self {
            sr: 16_000,
            frame_length: None,
            sigma: 0.4,
            fmin: 55.0,
        }
    }
}

impl HarmonicsConfig {
    /// Sets [`HarmonicsConfig::sr`].
    pub fn sr(mut self, sr: u32) -> Self {
        self.sr = sr;
        self
    }
    /// Sets [`HarmonicsConfig::frame_length`].
    pub fn frame_length(mut self, frame_length: usize) -> Self {
        self.frame_length = Some(frame_length);
        self
    }
    /// Sets [`HarmonicsConfig::sigma`].
    pub fn sigma(mut self, sigma: f64) -> Self {
        self.sigma = sigma;
        self
    }
    /// Sets [`HarmonicsConfig::fmin`].
    pub fn fmin(mut self, fmin: f64) -> Self {
        self.fmin = fmin;
        self
    }
}

/// Per-frame output of [`HarmonicAnalyzer::analyze`] (NaN = missing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HarmonicFrame {
    /// ACF harmonics-to-noise ratio, dB.
    pub hnr_db: f32,
    /// Harmonic 1 minus harmonic 2 level, dB (openSMILE `logRelF0-H1-H2`).
    pub h1_h2_db: f32,
    /// Harmonic 1 minus the F3 harmonic's level, dB (openSMILE `logRelF0-H1-A3`).
    pub h1_a3_db: f32,
    /// Level of the strongest harmonic near F1, F2, F3 relative to F0's, dB.
    pub formant_amp_db: [f32; 3],
    /// RMS of the windowed frame (openSMILE gates F0 with it: voiced needs `>= 0.001`).
    pub rms: f32,
}

/// Reusable buffers of [`HarmonicAnalyzer`].
#[derive(Debug, Clone, Default)]
pub struct HarmonicsScratch {
    frame: Vec<f32>,
    acf: Vec<f32>,
    power: Vec<f32>,
    mag: Vec<f32>,
    ac: AutocorrScratch,
    harm: Vec<Harmonic>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Harmonic {
    bin: usize,
    freq: f32,
    mag: f32,
    /// dB relative to F0's magnitude; `MISSING` when absent.
    rel_db: f32,
}

const MISSING: f32 = -201.0;

/// Plan of the eGeMAPS harmonic analysis (`Send + Sync`, `&self`). See the module docs.
#[derive(Debug)]
pub struct HarmonicAnalyzer {
    sr: u32,
    frame_length: usize,
    window: Vec<f32>,
    /// power spectrum of the frame zero-padded to the next power of two (openSMILE's
    /// `cTransformFFT`)
    ac: Autocorrelator,
    n_bins: usize,
    df: f32,
    /// ACF lags searched for the HNR peak (`0 ..= sr / fmin + 2`)
    acf_len: usize,
}

impl HarmonicAnalyzer {
    /// Builds the window and the FFT plans. Errors on `sr == 0`, a frame shorter than two
    /// periods of `fmin`, or `sigma <= 0`.
    pub fn new(cfg: &HarmonicsConfig) -> Result<Self> {
        let fl = cfg
            .frame_length
            .unwrap_or((0.06 * cfg.sr as f64).round() as usize);
        if cfg.sr == 0
            || !(cfg.fmin.is_finite() && cfg.fmin > 0.0 && cfg.sigma.is_finite() && cfg.sigma > 0.0)
        {
            return Err(Error::InvalidParameter {
                name: "sr",
                reason: "sr, fmin and sigma must be positive".into(),
            });
        }
        let max_lag = (cfg.sr as f64 / cfg.fmin).ceil() as usize + 2;
        if fl < 2 * max_lag {
            return Err(Error::InvalidParameter {
                name: "frame_length",
                reason: format!("{fl} samples is shorter than two periods of fmin"),
            });
        }
        let window = super::gaussian_window(fl, cfg.sigma);
        let n_fft = fl.next_power_of_two();
        let ac = Autocorrelator::new(fl, Some(n_fft - fl + 1));
        debug_assert_eq!(ac.fft_len(), n_fft);
        let n_bins = n_fft / 2 + 1;
        Ok(Self {
            sr: cfg.sr,
            frame_length: fl,
            window,
            df: cfg.sr as f32 / n_fft as f32,
            n_bins,
            ac,
            acf_len: max_lag + 1,
        })
    }

    /// Frame length in samples.
    pub fn frame_length(&self) -> usize {
        self.frame_length
    }

    /// Bins of the magnitude spectrum [`HarmonicAnalyzer::analyze_magnitudes`] takes:
    /// `n_fft / 2 + 1` with `n_fft` the frame length rounded up to a power of two.
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Allocates the scratch buffers.
    pub fn make_scratch(&self) -> HarmonicsScratch {
        HarmonicsScratch {
            frame: vec![0.0; self.frame_length],
            acf: vec![0.0; self.acf_len],
            power: vec![0.0; self.n_bins],
            mag: vec![0.0; self.n_bins],
            ac: self.ac.make_scratch(),
            harm: Vec::new(),
        }
    }

    /// RMS of the Gaussian-windowed frame centred at sample `centre` (zero outside `y`).
    pub fn windowed_rms(&self, y: &[f32], centre: usize, scratch: &mut HarmonicsScratch) -> f32 {
        self.fill_frame(y, centre, scratch);
        let e: f32 = scratch.frame.iter().map(|v| v * v).sum();
        (e / self.frame_length as f32).sqrt()
    }

    fn fill_frame(&self, y: &[f32], centre: usize, s: &mut HarmonicsScratch) {
        s.frame.resize(self.frame_length, 0.0);
        super::windowed_frame(y, centre, &self.window, &mut s.frame);
    }

    /// Analyses the frame centred at sample `centre` of `y` with fundamental `f0` (Hz) and
    /// formant frequencies `formants` (Hz, up to 3; non-finite = unknown). Fields are NaN
    /// when `f0` is not positive or the frame is silent.
    pub fn analyze(
        &self,
        y: &[f32],
        centre: usize,
        f0: f32,
        formants: &[f32],
        s: &mut HarmonicsScratch,
    ) -> HarmonicFrame {
        self.fill_frame(y, centre, s);
        let (mut out, voiced) = self.hnr(f0, s);
        if !voiced {
            return out;
        }
        let n_harm = harmonics_needed(f0, formants);
        s.power.resize(self.n_bins, 0.0);
        if self
            .ac
            .power_into(&s.frame, &mut s.power, &mut s.ac)
            .is_err()
        {
            return out;
        }
        // the search reads bins up to (n_harm + 0.5) F0 and one neighbour beyond; the rest of
        // `mag` is never read
        let used = (((n_harm as f32 + 1.0) * f0 / self.df) as usize + 2).min(self.n_bins);
        s.mag.resize(self.n_bins, 0.0);
        for (m, &p) in s.mag[..used].iter_mut().zip(&s.power[..used]) {
            *m = p.max(0.0).sqrt();
        }
        s.mag[used..].fill(0.0);
        self.find_harmonics(f0, n_harm, &s.mag, &mut s.harm);
        self.harmonic_levels(formants, &s.harm, &mut out);
        out
    }

    /// As [`HarmonicAnalyzer::analyze`], with the frame's magnitude spectrum given
    /// (`n_bins()` values of the same Gaussian-windowed frame zero-padded to a power of two,
    /// e.g. the spectra [`crate::prosody::shs::Shs::process_into_with_magnitudes`] keeps), so
    /// no FFT is computed. Errors when `magnitudes` does not have `n_bins()` values.
    pub fn analyze_magnitudes(
        &self,
        y: &[f32],
        centre: usize,
        f0: f32,
        formants: &[f32],
        magnitudes: &[f32],
        s: &mut HarmonicsScratch,
    ) -> Result<HarmonicFrame> {
        if magnitudes.len() != self.n_bins {
            return Err(Error::ShapeMismatch {
                what: "magnitudes",
                expected: vec![self.n_bins],
                got: vec![magnitudes.len()],
            });
        }
        self.fill_frame(y, centre, s);
        let (mut out, voiced) = self.hnr(f0, s);
        if voiced {
            let n_harm = harmonics_needed(f0, formants);
            self.find_harmonics(f0, n_harm, magnitudes, &mut s.harm);
            self.harmonic_levels(formants, &s.harm, &mut out);
        }
        Ok(out)
    }

    /// RMS and HNR of the windowed frame in `s.frame` (other fields NaN), and whether the
    /// frame has a positive F0 and energy (the harmonics are searched only then).
    fn hnr(&self, f0: f32, s: &mut HarmonicsScratch) -> (HarmonicFrame, bool) {
        let mut out = HarmonicFrame {
            hnr_db: f32::NAN,
            h1_h2_db: f32::NAN,
            h1_a3_db: f32::NAN,
            formant_amp_db: [f32::NAN; 3],
            rms: 0.0,
        };
        // The ACF is needed at lag 0 and around one lag only: computed directly (a few dot
        // products) instead of by an inverse FFT of the whole power spectrum.
        s.acf.clear();
        s.acf.resize(self.acf_len, f32::NAN);
        let a0 = lag_product(&s.frame, 0);
        s.acf[0] = a0;
        out.rms = (a0.max(0.0) / self.frame_length as f32).sqrt();
        if !(f0.is_finite() && f0 > 0.0) || a0 <= 0.0 {
            return (out, false);
        }
        // HNR from the ACF at the local maximum nearest to floor(sr / F0)
        let lag = (self.sr as f32 / f0).floor() as usize;
        if lag >= 1 && lag + 1 < s.acf.len() {
            let tau = closest_peak(&mut s.acf, &s.frame, lag);
            let (a0, at) = (a0.abs() as f64, s.acf[tau].abs() as f64);
            let ratio = if a0 == at { 1e11 } else { at / (a0 - at) };
            out.hnr_db = (10.0 * ratio.clamp(1e-9, 1e11).log10()) as f32;
        }
        (out, true)
    }

    /// H1−H2, H1−A3 and the formant amplitudes from the harmonics `h`.
    fn harmonic_levels(&self, formants: &[f32], h: &[Harmonic], out: &mut HarmonicFrame) {
        if h.len() < 3 {
            return;
        }
        let diff = |a: f32, b: f32| (a - b).clamp(-201.0, 201.0);
        out.h1_h2_db = diff(h[1].rel_db, h[2].rel_db);
        for (i, &fi) in formants.iter().take(3).enumerate() {
            let idx = if fi.is_finite() && fi > 0.0 {
                let (lo, hi) = (0.8 * fi, 1.2 * fi);
                let mut best: Option<usize> = None;
                for (k, hk) in h.iter().enumerate() {
                    if hk.mag > 0.0
                        && hk.freq >= lo
                        && hk.freq <= hi
                        && best.is_none_or(|b| hk.mag > h[b].mag)
                    {
                        best = Some(k);
                    }
                }
                best
            } else {
                None
            };
            if let Some(k) = idx {
                out.formant_amp_db[i] = h[k].rel_db;
            }
            if i == 2 {
                out.h1_a3_db = match idx {
                    Some(k) => diff(h[1].rel_db, h[k].rel_db),
                    None => diff(h[1].rel_db, 201.0),
                };
            }
        }
    }

    fn find_harmonics(&self, f0: f32, n_harm: usize, m: &[f32], harm: &mut Vec<Harmonic>) {
        let nb = self.n_bins;
        let to_bin = |f: f32| -> usize {
            let b = (f / self.df).round();
            if b < 0.0 || b as usize >= nb {
                nb
            } else {
                b as usize
            }
        };
        let is_peak = |k: usize| -> bool {
            if k >= nb {
                false
            } else if k == 0 {
                nb > 1 && m[0] > m[1]
            } else if k + 1 < nb {
                m[k] > m[k - 1] && m[k] > m[k + 1]
            } else {
                m[k] > m[k - 1]
            }
        };
        let first_bin = to_bin(0.5 * f0);
        harm.clear();
        for i in 0..n_harm {
            let cand = to_bin((i + 1) as f32 * f0);
            if cand >= nb {
                break;
            }
            let mut peak = if is_peak(cand) { Some(cand) } else { None };
            if peak.is_none() {
                let lower = to_bin((i as f32 + 0.5) * f0);
                let upper = to_bin((i as f32 + 1.5) * f0).min(nb - 1);
                let (mut l, mut r) = (cand as isize - 1, cand + 1);
                while (l >= lower as isize || r <= upper) && peak.is_none() {
                    if r <= upper {
                        if is_peak(r) {
                            peak = Some(r);
                            break;
                        }
                        r += 1;
                    }
                    if l >= lower as isize {
                        if is_peak(l as usize) {
                            peak = Some(l as usize);
                            break;
                        }
                        l -= 1;
                    }
                }
            }
            let hk = match peak {
                Some(p) if p >= first_bin && p >= 1 && p + 1 < nb => {
                    let (d, v) = parabola(m[p - 1], m[p], m[p + 1]);
                    Harmonic {
                        bin: p,
                        freq: (p as f32 + d) * self.df,
                        mag: m[p],
                        rel_db: v,
                    }
                }
                _ => Harmonic {
                    bin: cand,
                    freq: 0.0,
                    mag: 0.0,
                    rel_db: 0.0,
                },
            };
            harm.push(hk);
        }
        // levels relative to F0 (un-interpolated), duplicates removed
        let ref_mag = harm.first().map_or(0.0, |h| h.mag);
        let mut prev_bin = usize::MAX;
        for (k, h) in harm.iter_mut().enumerate() {
            let interp = h.rel_db;
            let bin = h.bin;
            h.rel_db = if k == 0 {
                0.0
            } else if ref_mag > 0.0 && h.mag > 0.0 && interp > 0.0 {
                (20.0 * (interp / ref_mag).log10()).max(-200.0)
            } else if ref_mag > 0.0 {
                -200.0
            } else {
                MISSING
            };
            if k > 0 && bin == prev_bin {
                *h = Harmonic {
                    bin: 0,
                    freq: 0.0,
                    mag: 0.0,
                    rel_db: MISSING,
                };
            }
            prev_bin = bin;
        }
    }
}

/// Harmonics to search for a positive `f0`: up to 3.5 F0 or 1.2 × the highest known formant.
fn harmonics_needed(f0: f32, formants: &[f32]) -> usize {
    let fmax_needed = formants
        .iter()
        .take(3)
        .filter(|f| f.is_finite())
        .fold(3.5 * f0, |a, &f| a.max(1.2 * f));
    ((fmax_needed / f0).ceil() as usize + 1).min(100)
}

/// Parabolic vertex `(offset, value)` through three neighbouring samples.
fn parabola(l: f32, c: f32, r: f32) -> (f32, f32) {
    let den = l - 2.0 * c + r;
    if den == 0.0 {
        return (0.0, c);
    }
    let d = 0.5 * (l - r) / den;
    (d, c - 0.25 * (l - r) * d)
}

/// Index of the local maximum of `a` nearest to `idx` (left side first at equal distance).
fn closest_peak(a: &mut [f32], frame: &[f32], idx: usize) -> usize {
    let n = a.len();
    // `a` caches the lags computed so far (NaN = not yet)
    let mut at = |k: usize| {
        if a[k].is_nan() {
            a[k] = lag_product(frame, k);
        }
        a[k]
    };
    let mut peak = |k: usize| k > 0 && k + 1 < n && at(k) > at(k - 1) && at(k) > at(k + 1);
    if peak(idx) {
        return idx;
    }
    let mut o = 1;
    while idx > o || idx + o + 1 < n {
        if idx > o && peak(idx - o) {
            return idx - o;
        }
        if idx + o + 1 < n && peak(idx + o) {
            return idx + o;
        }
        o += 1;
    }
    idx
}

/// `Σ_n x[n] x[n + k]`.
fn lag_product(x: &[f32], k: usize) -> f32 {
    if k >= x.len() {
        return 0.0;
    }
    crate::lanes::dot_f32(&x[..x.len() - k], &x[k..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn harmonic_signal(sr: u32, f0: f32, amps: &[f32], n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f32 / sr as f32;
                amps.iter()
                    .enumerate()
                    .map(|(k, a)| a * (2.0 * std::f32::consts::PI * f0 * (k + 1) as f32 * t).sin())
                    .sum()
            })
            .collect()
    }

    #[test]
    fn harmonic_levels_recovered() {
        let sr = 16_000;
        let amps = [1.0, 0.5, 0.25, 0.2, 0.1, 0.3, 0.05];
        let y = harmonic_signal(sr, 200.0, &amps, 8000);
        let plan = HarmonicAnalyzer::new(&HarmonicsConfig::default().sr(sr)).unwrap();
        let mut s = plan.make_scratch();
        // F3 near harmonic 6 (1200 Hz, amplitude 0.3)
        let h = plan.analyze(&y, 4000, 200.0, &[400.0, 800.0, 1200.0], &mut s);
        let db = |a: f32| 20.0 * a.log10();
        // parabolic interpolation of linear magnitudes on openSMILE's 1024-point grid
        // (15.6 Hz bins) is good to about ±0.3 dB per harmonic, so a difference to ±0.6
        assert!((h.h1_h2_db - (db(0.5) - db(0.25))).abs() < 0.3, "{h:?}");
        assert!((h.h1_a3_db - (db(0.5) - db(0.3))).abs() < 0.6, "{h:?}");
        assert!((h.formant_amp_db[0] - db(0.5)).abs() < 0.3, "{h:?}");
        assert!((h.formant_amp_db[2] - db(0.3)).abs() < 0.3, "{h:?}");
        assert!(h.rms > 0.1);
    }

    #[test]
    fn hnr_falls_with_noise_and_with_period() {
        let sr = 16_000;
        let plan = HarmonicAnalyzer::new(&HarmonicsConfig::default().sr(sr)).unwrap();
        let mut s = plan.make_scratch();
        let clean = harmonic_signal(sr, 150.0, &[1.0, 0.5, 0.3], 8000);
        let mut state = 0x1234_5678u32;
        let noisy: Vec<f32> = clean
            .iter()
            .map(|v| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                v + (state as f32 / u32::MAX as f32 - 0.5) * 1.5
            })
            .collect();
        let hc = plan.analyze(&clean, 4000, 150.0, &[], &mut s).hnr_db;
        let hn = plan.analyze(&noisy, 4000, 150.0, &[], &mut s).hnr_db;
        assert!(hc > hn + 3.0, "clean {hc} noisy {hn}");
        // the Gaussian window lowers the ACF peak more for longer periods
        let low = harmonic_signal(sr, 80.0, &[1.0, 0.5, 0.3], 8000);
        let hl = plan.analyze(&low, 4000, 80.0, &[], &mut s).hnr_db;
        assert!(hl < hc, "80 Hz {hl} vs 150 Hz {hc}");
        // unvoiced / silent
        let z = plan.analyze(&[0.0; 2000], 1000, 150.0, &[], &mut s);
        assert!(z.hnr_db.is_nan() && z.rms == 0.0);
        assert!(plan.analyze(&clean, 4000, 0.0, &[], &mut s).hnr_db.is_nan());
    }

    #[test]
    fn closest_peak_search() {
        let mut a = [5.0, 1.0, 2.0, 1.0, 0.5, 3.0, 1.0];
        assert_eq!(closest_peak(&mut a, &[], 2), 2);
        assert_eq!(closest_peak(&mut a, &[], 3), 2);
        assert_eq!(closest_peak(&mut a, &[], 4), 5);
        // lazily computed lags equal the direct sums
        let x: Vec<f32> = (0..50).map(|i| ((i * 7 % 11) as f32) - 5.0).collect();
        let mut lazy = vec![f32::NAN; 20];
        let k = closest_peak(&mut lazy, &x, 11);
        let full: Vec<f32> = (0..20)
            .map(|k| (0..50 - k).map(|n| x[n] * x[n + k]).sum())
            .collect();
        assert_eq!(k, closest_peak(&mut full.clone(), &[], 11));
        for (l, f) in lazy.iter().zip(&full) {
            assert!(l.is_nan() || (l - f).abs() < 1e-3);
        }
        assert!(HarmonicAnalyzer::new(&HarmonicsConfig::default().frame_length(100)).is_err());
    }

    #[test]
    fn shs_spectra_give_the_same_frames_as_the_own_fft() {
        use crate::prosody::shs::{Shs, ShsConfig, ShsOutput};
        let sr = 16_000;
        let y = harmonic_signal(sr, 180.0, &[1.0, 0.6, 0.4, 0.3, 0.2], 6000);
        let plan = HarmonicAnalyzer::new(&HarmonicsConfig::default().sr(sr)).unwrap();
        let shs = Shs::new(&ShsConfig::default().sr(sr)).unwrap();
        let (mut out, mut mags) = (ShsOutput::default(), Vec::new());
        shs.process_into_with_magnitudes(&y, &mut out, &mut shs.make_scratch(), &mut mags)
            .unwrap();
        let nb = plan.n_bins();
        assert_eq!(nb, shs.n_bins());
        assert_eq!(mags.len(), out.f0.len() * nb);
        let (mut s1, mut s2) = (plan.make_scratch(), plan.make_scratch());
        for t in [10, 20, 30] {
            let fm = [600.0, 1400.0, 2500.0];
            let own = plan.analyze(&y, t * 160, 180.0, &fm, &mut s1);
            let row = &mags[t * nb..(t + 1) * nb];
            let given = plan
                .analyze_magnitudes(&y, t * 160, 180.0, &fm, row, &mut s2)
                .unwrap();
            assert!(own.h1_h2_db.is_finite() && own.hnr_db.is_finite());
            assert_eq!(format!("{own:?}"), format!("{given:?}"));
        }
        assert!(matches!(
            plan.analyze_magnitudes(&y, 1600, 180.0, &[], &mags[..nb - 1], &mut s2),
            Err(Error::ShapeMismatch { .. })
        ));
    }
}
