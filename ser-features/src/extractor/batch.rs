//! [`FeatureExtractor`]: the batch plan — one STFT pass feeding every spectral feature.

use super::*;

/// Raw per-frame values, frame-major (frame `t` of a feature with `r` rows is
/// `v[t * r..(t + 1) * r]`).
#[derive(Debug, Clone, Default)]
pub(super) struct Raw {
    pub(super) n: usize,
    pub(super) mel: Vec<f32>,
    pub(super) centroid: Vec<f32>,
    pub(super) bandwidth: Vec<f32>,
    pub(super) rolloff: Vec<f32>,
    pub(super) flatness: Vec<f32>,
    pub(super) peak: Vec<f64>,
    pub(super) valley: Vec<f64>,
    pub(super) flux: Vec<f32>,
    pub(super) zcr: Vec<f32>,
    pub(super) rms: Vec<f32>,
}

impl Raw {
    pub(super) fn clear(&mut self) {
        self.n = 0;
        for v in [
            &mut self.mel,
            &mut self.centroid,
            &mut self.bandwidth,
            &mut self.rolloff,
            &mut self.flatness,
            &mut self.flux,
            &mut self.zcr,
            &mut self.rms,
        ] {
            v.clear();
        }
        self.peak.clear();
        self.valley.clear();
    }
}

/// Reusable per-thread buffers of a [`FeatureExtractor`] (see [`FeatureExtractor::make_scratch`]).
#[derive(Debug, Clone, Default)]
pub struct ExtractorScratch {
    pub(super) stft: StftScratch,
    pub(super) pow: Vec<f32>,
    pub(super) mag: Vec<f32>,
    pub(super) prev_mag: Vec<f32>,
    pub(super) has_prev: bool,
    pub(super) sort_buf: Vec<f32>,
    pub(super) flat_buf: Vec<f32>,
    pub(super) frame_buf: Vec<f32>,
    pub(super) raw: Raw,
    pub(super) logmel: Vec<f32>,
    pub(super) mfcc: Vec<f32>,
}

/// A reusable feature-extraction plan (see the [module docs](crate::extractor)).
///
/// ```
/// use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind};
/// let plan = FeatureExtractor::new(&FeatureConfig::default().sr(16000)).unwrap();
/// let y: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.05).sin() * 0.1).collect();
/// let mfcc = plan.mfcc(&y).unwrap();
/// assert_eq!(mfcc.dim(), (20, 32)); // (n_mfcc, 1 + 16000 / 512)
/// let f = plan.extract(&y, &[FeatureKind::Centroid, FeatureKind::Rms]).unwrap();
/// assert_eq!(f.get(FeatureKind::Rms).unwrap().dim(), (1, 32));
/// ```
#[derive(Debug, Clone)]
pub struct FeatureExtractor {
    pub(super) cfg: FeatureConfig,
    pub(super) mel: MelSpectrogram,
    /// Same STFT with `center = false`, used by the streaming path on pre-padded segments.
    pub(super) stft_nc: Stft,
    pub(super) hop: usize,
    pub(super) bands: Vec<(usize, Vec<f32>)>,
    /// DCT-II (ortho) rows `0..n_mfcc` with the lifter.
    pub(super) cepstrum: crate::mfcc::Cepstrum,
    pub(super) freqs: Vec<f64>,
    pub(super) contrast: std::result::Result<ContrastBands, String>,
    pub(super) delta1: Vec<f64>,
    pub(super) delta2: Vec<f64>,
}

impl FeatureExtractor {
    /// Validates `cfg` and builds the plan.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] / [`Error::Dsp`] for invalid parameters (e.g.
    /// `n_mfcc > n_mels`, `dct_type != 2`, bad delta width). Contrast bands that do not fit
    /// below Nyquist only fail when [`FeatureKind::Contrast`] is requested.
    pub fn new(cfg: &FeatureConfig) -> Result<Self> {
        if cfg.dct_type != 2 {
            return Err(Error::InvalidParameter {
                name: "dct_type",
                reason: format!(
                    "only dct_type=2 (librosa's default) is supported, got {}",
                    cfg.dct_type
                ),
            });
        }
        if cfg.n_mfcc == 0 || cfg.n_mfcc > cfg.n_mels {
            return Err(Error::InvalidParameter {
                name: "n_mfcc",
                reason: format!("must be in 1..=n_mels ({}), got {}", cfg.n_mels, cfg.n_mfcc),
            });
        }
        if !(cfg.lifter.is_finite() && cfg.lifter >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "lifter",
                reason: format!("must be finite and >= 0, got {}", cfg.lifter),
            });
        }
        check_roll_percent(cfg.roll_percent)?;
        check_delta_params(cfg.delta_width, 2)?;
        let mel = MelSpectrogram::new(&cfg.mel_config())?;
        let stft_nc = Stft::new(&cfg.stft_config().center(false))?;
        let hop = mel.stft().hop_length();
        let bands = mel
            .filterbank()
            .rows()
            .into_iter()
            .map(|row| {
                let first = row.iter().position(|&w| w != 0.0);
                let last = row.iter().rposition(|&w| w != 0.0);
                match (first, last) {
                    (Some(a), Some(b)) => {
                        (a, row.iter().skip(a).take(b + 1 - a).copied().collect())
                    }
                    _ => (0, Vec::new()),
                }
            })
            .collect();
        let cepstrum = crate::mfcc::Cepstrum::new(cfg.n_mels, 0, cfg.n_mfcc, cfg.lifter)?;
        let contrast = ContrastBands::new(
            cfg.sr,
            cfg.n_fft,
            cfg.contrast_fmin,
            cfg.contrast_n_bands,
            cfg.contrast_quantile,
        )
        .map_err(|e| e.to_string());
        Ok(Self {
            cfg: cfg.clone(),
            freqs: ser_dsp::fft_frequencies(cfg.sr, cfg.n_fft),
            mel,
            stft_nc,
            hop,
            bands,
            cepstrum,
            contrast,
            delta1: savgol_derivative_weights(cfg.delta_width, 1)?,
            delta2: savgol_derivative_weights(cfg.delta_width, 2)?,
        })
    }

    /// The configuration the plan was built from.
    pub fn config(&self) -> &FeatureConfig {
        &self.cfg
    }

    /// The effective hop length.
    pub fn hop_length(&self) -> usize {
        self.hop
    }

    /// Number of frames for a clip of `n_samples` samples.
    pub fn n_frames(&self, n_samples: usize) -> usize {
        self.mel.n_frames(n_samples)
    }

    /// Number of output rows of `kind`.
    pub fn n_rows(&self, kind: FeatureKind) -> usize {
        match kind {
            FeatureKind::MelSpectrogram | FeatureKind::LogMel => self.cfg.n_mels,
            FeatureKind::Mfcc | FeatureKind::MfccDelta | FeatureKind::MfccDelta2 => self.cfg.n_mfcc,
            FeatureKind::Contrast => self.cfg.contrast_n_bands + 1,
            _ => 1,
        }
    }

    /// Allocates the per-thread work buffers.
    pub fn make_scratch(&self) -> ExtractorScratch {
        ExtractorScratch {
            stft: self.mel.stft().make_scratch(),
            ..ExtractorScratch::default()
        }
    }

    pub(super) fn check_kinds(&self, kinds: &[FeatureKind]) -> Result<()> {
        if kinds.contains(&FeatureKind::Contrast) {
            if let Err(reason) = &self.contrast {
                return Err(Error::InvalidParameter {
                    name: "contrast_n_bands",
                    reason: reason.clone(),
                });
            }
        }
        Ok(())
    }

    /// MFCC `(n_mfcc, n_frames)` = `librosa.feature.mfcc(y=y, sr=sr, ...)`.
    pub fn mfcc(&self, y: &[f32]) -> Result<Array2<f32>> {
        let mut out = Array2::zeros((self.cfg.n_mfcc, self.n_frames(y.len())));
        self.mfcc_into(y, &mut out, &mut self.make_scratch())?;
        Ok(out)
    }

    /// Like [`FeatureExtractor::mfcc`] into `out` of shape `(n_mfcc, n_frames)`, reusing
    /// `scratch` (no allocation once the buffers have grown).
    pub fn mfcc_into(
        &self,
        y: &[f32],
        out: &mut Array2<f32>,
        scratch: &mut ExtractorScratch,
    ) -> Result<()> {
        check_audio(y)?;
        let t = self.n_frames(y.len());
        let expected = (self.cfg.n_mfcc, t);
        if out.dim() != expected {
            return Err(Error::ShapeMismatch {
                what: "mfcc output",
                expected: vec![expected.0, expected.1],
                got: vec![out.nrows(), out.ncols()],
            });
        }
        let want = Want::new(&[FeatureKind::Mfcc]);
        self.run_batch(y, &want, scratch)?;
        let ExtractorScratch {
            raw, logmel, mfcc, ..
        } = scratch;
        self.finish_logmel(raw, logmel, self.cfg.top_db)?;
        self.mfcc_frames(logmel, mfcc);
        write_fm(mfcc, self.cfg.n_mfcc, out);
        Ok(())
    }

    /// Mel power spectrogram `(n_mels, n_frames)` = `librosa.feature.melspectrogram`.
    pub fn melspectrogram(&self, y: &[f32]) -> Result<Array2<f32>> {
        self.single(y, FeatureKind::MelSpectrogram)
    }

    /// Log-mel `(n_mels, n_frames)` = `librosa.power_to_db(melspectrogram(y), top_db=top_db)`.
    pub fn log_mel(&self, y: &[f32]) -> Result<Array2<f32>> {
        self.single(y, FeatureKind::LogMel)
    }

    pub(super) fn single(&self, y: &[f32], kind: FeatureKind) -> Result<Array2<f32>> {
        let f = self.extract(y, &[kind])?;
        f.into_items()
            .pop()
            .map(|(_, a)| a)
            .ok_or_else(|| Error::Unsupported(format!("feature {}", kind.name())))
    }

    /// Extracts `kinds` from `y` (sampled at `config().sr`) in one STFT pass.
    pub fn extract(&self, y: &[f32], kinds: &[FeatureKind]) -> Result<FrameFeatures> {
        self.extract_with(y, kinds, &mut self.make_scratch())
    }

    /// [`FeatureExtractor::extract`] for an [`Audio`]; errors if its rate is not `config().sr`.
    pub fn extract_audio(&self, audio: &Audio, kinds: &[FeatureKind]) -> Result<FrameFeatures> {
        if audio.sample_rate != self.cfg.sr {
            return Err(Error::SampleRate {
                expected: self.cfg.sr,
                got: audio.sample_rate,
            });
        }
        self.extract(&audio.samples, kinds)
    }

    /// [`FeatureExtractor::extract`] reusing `scratch`.
    pub fn extract_with(
        &self,
        y: &[f32],
        kinds: &[FeatureKind],
        scratch: &mut ExtractorScratch,
    ) -> Result<FrameFeatures> {
        check_audio(y)?;
        self.check_kinds(kinds)?;
        let want = Want::new(kinds);
        self.run_batch(y, &want, scratch)?;
        let t = scratch.raw.n;
        if want.deltas() && t < self.cfg.delta_width {
            return Err(Error::TooShort {
                what: "delta (mode='interp'): frames",
                expected: self.cfg.delta_width,
                got: t,
            });
        }
        let ExtractorScratch {
            raw, logmel, mfcc, ..
        } = scratch;
        if want.logmel() {
            self.finish_logmel(raw, logmel, self.cfg.top_db)?;
        }
        if want.mfcc() {
            self.mfcc_frames(logmel, mfcc);
        }
        let mut items = Vec::with_capacity(kinds.len());
        for &k in kinds {
            if items.iter().any(|(k2, _)| *k2 == k) {
                continue;
            }
            let mut a = Array2::zeros((self.n_rows(k), t));
            match k {
                FeatureKind::MelSpectrogram => write_fm(&raw.mel, self.cfg.n_mels, &mut a),
                FeatureKind::LogMel => write_fm(logmel, self.cfg.n_mels, &mut a),
                FeatureKind::Mfcc => write_fm(mfcc, self.cfg.n_mfcc, &mut a),
                FeatureKind::MfccDelta | FeatureKind::MfccDelta2 => {
                    let w = if k == FeatureKind::MfccDelta {
                        &self.delta1
                    } else {
                        &self.delta2
                    };
                    let h = w.len() / 2;
                    let n = self.cfg.n_mfcc;
                    let mut row = vec![0.0; n];
                    for tt in 0..t {
                        delta_frame(mfcc, n, w, tt.clamp(h, t - 1 - h), &mut row);
                        for (c, v) in row.iter().enumerate() {
                            a[[c, tt]] = *v;
                        }
                    }
                }
                FeatureKind::Contrast => {
                    contrast_from_peaks(&raw.peak, &raw.valley, a.nrows(), self.cfg.top_db, &mut a)
                }
                FeatureKind::OnsetStrength => {
                    let shift = self.onset_shift();
                    let n = self.cfg.n_mels;
                    for tt in shift..t {
                        let j = tt - shift;
                        a[[0, tt]] = onset_frame(
                            &logmel[(j + 1) * n..(j + 2) * n],
                            &logmel[j * n..(j + 1) * n],
                        );
                    }
                }
                other => {
                    let v = match other {
                        FeatureKind::Centroid => &raw.centroid,
                        FeatureKind::Bandwidth => &raw.bandwidth,
                        FeatureKind::Rolloff => &raw.rolloff,
                        FeatureKind::Flatness => &raw.flatness,
                        FeatureKind::Zcr => &raw.zcr,
                        FeatureKind::Rms => &raw.rms,
                        _ => &raw.flux,
                    };
                    a.row_mut(0).iter_mut().zip(v).for_each(|(o, x)| *o = *x);
                }
            }
            items.push((k, a));
        }
        Ok(FrameFeatures { n_frames: t, items })
    }

    pub(super) fn onset_shift(&self) -> usize {
        onset_shift(self.cfg.n_fft, self.hop, self.cfg.center)
    }

    /// Runs the STFT / time-domain framing over the whole clip, filling `scratch.raw`.
    pub(super) fn run_batch(
        &self,
        y: &[f32],
        want: &Want,
        scratch: &mut ExtractorScratch,
    ) -> Result<()> {
        let t_total = self.n_frames(y.len());
        if t_total == 0 {
            return Err(Error::TooShort {
                what: "framing (center = false)",
                expected: self.cfg.n_fft,
                got: y.len(),
            });
        }
        scratch.raw.clear();
        scratch.has_prev = false;
        if want.stft() {
            let ExtractorScratch {
                stft,
                pow,
                mag,
                prev_mag,
                has_prev,
                sort_buf,
                flat_buf,
                raw,
                ..
            } = scratch;
            let mut fs = FrameScratch {
                pow,
                mag,
                prev_mag,
                has_prev,
                sort_buf,
                flat_buf,
            };
            self.mel.stft().for_each_frame(y, stft, |_, spec| {
                self.spectrum_frame(want, spec, &mut fs, raw);
            })?;
        }
        if want.time() {
            let ExtractorScratch { frame_buf, raw, .. } = scratch;
            let n = self.cfg.n_fft;
            frame_buf.resize(n, 0.0);
            for t in 0..t_total {
                if want.has(FeatureKind::Rms) {
                    fill_time_frame(
                        y,
                        t,
                        n,
                        self.hop,
                        self.cfg.center,
                        Some(self.cfg.pad_mode),
                        frame_buf,
                    );
                    raw.rms.push(rms_frame(frame_buf));
                }
                if want.has(FeatureKind::Zcr) {
                    fill_time_frame(y, t, n, self.hop, self.cfg.center, None, frame_buf);
                    raw.zcr.push(zcr_frame(frame_buf, ZCR_THRESHOLD));
                }
            }
        }
        scratch.raw.n = t_total;
        Ok(())
    }

    /// Per-frame work on one complex spectrum.
    pub(super) fn spectrum_frame(
        &self,
        want: &Want,
        spec: &[Complex32],
        fs: &mut FrameScratch<'_>,
        raw: &mut Raw,
    ) {
        let n_bins = spec.len();
        if want.mel() {
            fs.pow.resize(n_bins, 0.0);
            let p = self.cfg.power;
            for (o, c) in fs.pow.iter_mut().zip(spec) {
                let sq = c.re * c.re + c.im * c.im;
                *o = if p == 2.0 {
                    sq
                } else if p == 1.0 {
                    sq.sqrt()
                } else {
                    sq.sqrt().powf(p)
                };
            }
            for (start, w) in &self.bands {
                raw.mel.push(dot_f32(&fs.pow[*start..*start + w.len()], w));
            }
        }
        if want.mag() {
            fs.mag.resize(n_bins, 0.0);
            for (o, c) in fs.mag.iter_mut().zip(spec) {
                *o = (c.re * c.re + c.im * c.im).sqrt();
            }
            let mag = &fs.mag[..];
            if want.has(FeatureKind::Centroid) || want.has(FeatureKind::Bandwidth) {
                let (c, b) =
                    centroid_bandwidth_frame(mag, &self.freqs, want.has(FeatureKind::Bandwidth));
                raw.centroid.push(c as f32);
                raw.bandwidth.push(b as f32);
            }
            if want.has(FeatureKind::Rolloff) {
                raw.rolloff
                    .push(rolloff_frame(mag, &self.freqs, self.cfg.roll_percent) as f32);
            }
            if want.has(FeatureKind::Flatness) {
                raw.flatness
                    .push(flatness_frame(mag, FLATNESS_AMIN, fs.flat_buf));
            }
            if want.has(FeatureKind::Contrast) {
                if let Ok(cb) = &self.contrast {
                    let r = cb.n_rows();
                    let base = raw.peak.len();
                    raw.peak.resize(base + r, 0.0);
                    raw.valley.resize(base + r, 0.0);
                    cb.frame(
                        mag,
                        &mut raw.peak[base..],
                        &mut raw.valley[base..],
                        fs.sort_buf,
                    );
                }
            }
            if want.has(FeatureKind::FluxL2) {
                let f = if *fs.has_prev {
                    flux_l2_frame(mag, fs.prev_mag)
                } else {
                    0.0
                };
                raw.flux.push(f);
                fs.prev_mag.clear();
                fs.prev_mag.extend_from_slice(mag);
                *fs.has_prev = true;
            }
        }
    }

    /// `logmel = power_to_db(mel)` (frame-major) with the given clipping.
    pub(super) fn finish_logmel(
        &self,
        raw: &Raw,
        logmel: &mut Vec<f32>,
        top_db: Option<f32>,
    ) -> Result<()> {
        logmel.clear();
        logmel.extend_from_slice(&raw.mel);
        let db = self.cfg.db_config().top_db(top_db);
        ser_dsp::power_to_db_inplace(ArrayViewMut1::from(&mut logmel[..]), &db)?;
        Ok(())
    }

    /// MFCC of every frame of a frame-major log-mel buffer.
    pub(super) fn mfcc_frames(&self, logmel: &[f32], mfcc: &mut Vec<f32>) {
        let (nm, nc) = (self.cfg.n_mels, self.cfg.n_mfcc);
        mfcc.clear();
        mfcc.resize(logmel.len() / nm * nc, 0.0);
        for (frame, out) in logmel.chunks_exact(nm).zip(mfcc.chunks_exact_mut(nc)) {
            self.cepstrum.process_unchecked(frame, out);
        }
        debug_assert_eq!(mfcc.len(), logmel.len() / nm * nc);
    }

    /// A streaming extractor for `kinds` sharing this plan's parameters.
    ///
    /// # Errors
    /// [`Error::Unsupported`] if `top_db` is set and a kind depends on it (see the module
    /// docs); [`Error::InvalidParameter`] for unavailable contrast bands.
    pub fn streaming(&self, kinds: &[FeatureKind]) -> Result<StreamingExtractor> {
        StreamingExtractor::new(self.clone(), kinds)
    }
}

pub(super) struct FrameScratch<'a> {
    pub(super) pow: &'a mut Vec<f32>,
    pub(super) mag: &'a mut Vec<f32>,
    pub(super) prev_mag: &'a mut Vec<f32>,
    pub(super) has_prev: &'a mut bool,
    pub(super) sort_buf: &'a mut Vec<f32>,
    pub(super) flat_buf: &'a mut Vec<f32>,
}

/// Delta of frame-major `data` (`n` values per frame) centred at frame `c` into `out`.
#[inline]
pub(super) fn delta_frame(data: &[f32], n: usize, w: &[f64], c: usize, out: &mut [f32]) {
    let h = w.len() / 2;
    for (k, o) in out.iter_mut().enumerate() {
        let mut s = 0.0_f64;
        for (j, &wj) in w.iter().enumerate() {
            s += f64::from(data[(c + j - h) * n + k]) * wj;
        }
        *o = s as f32;
    }
}

/// Writes frame-major `v` (`rows` per frame) into `out` `(rows, n_frames)`.
pub(super) fn write_fm(v: &[f32], rows: usize, out: &mut Array2<f32>) {
    for (t, frame) in v.chunks_exact(rows).enumerate() {
        for (r, x) in frame.iter().enumerate() {
            out[[r, t]] = *x;
        }
    }
}
