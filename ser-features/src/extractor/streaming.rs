//! [`StreamingExtractor`]: the batch numbers from audio arriving in chunks.

use super::*;

/// Streaming feature extraction: [`StreamingExtractor::push`] chunks of any size, then
/// [`StreamingExtractor::finish`]. See the [module docs](crate::extractor) for padding and latency.
///
/// ```
/// use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind, FrameFeatures};
/// let cfg = FeatureConfig::default().sr(16000).n_fft(512).hop_length(160).top_db(None);
/// let plan = FeatureExtractor::new(&cfg).unwrap();
/// let y: Vec<f32> = (0..8000).map(|i| (i as f32 * 0.03).sin() * 0.2).collect();
/// let kinds = [FeatureKind::Mfcc, FeatureKind::MfccDelta, FeatureKind::Rms];
/// let mut stream = plan.streaming(&kinds).unwrap();
/// let mut got = FrameFeatures::default();
/// for chunk in y.chunks(1234) {
///     got.append(stream.push(chunk).unwrap()).unwrap();
/// }
/// got.append(stream.finish().unwrap()).unwrap();
/// assert_eq!(got, plan.extract(&y, &kinds).unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct StreamingExtractor {
    pub(super) plan: FeatureExtractor,
    pub(super) kinds: Vec<FeatureKind>,
    pub(super) want: Want,
    /// Samples `buf_start..n_received` of the signal.
    pub(super) buf: Vec<f32>,
    pub(super) buf_start: usize,
    pub(super) n_received: usize,
    pub(super) first_sample: Option<f32>,
    /// Frames computed so far (`0..computed`).
    pub(super) computed: usize,
    /// Frames emitted so far.
    pub(super) emitted: usize,
    pub(super) scratch: ExtractorScratch,
    pub(super) stft_scratch: StftScratch,
    pub(super) seg: Vec<f32>,
    pub(super) seg_edge: Vec<f32>,
    /// Finalised per-frame values not yet emitted, frame-major, from frame `emitted`.
    pub(super) pending: Vec<(FeatureKind, Vec<f32>)>,
    /// MFCC history (frame-major) from frame `mfcc_start` (for deltas).
    pub(super) mfcc_hist: Vec<f32>,
    pub(super) mfcc_start: usize,
    /// Log-mel history from frame `logmel_start` (for the onset strength).
    pub(super) logmel_hist: Vec<f32>,
    pub(super) logmel_start: usize,
    pub(super) finished: bool,
}

impl StreamingExtractor {
    /// Builds a stream over `plan` producing `kinds` (also available as
    /// [`FeatureExtractor::streaming`]).
    pub fn new(plan: FeatureExtractor, kinds: &[FeatureKind]) -> Result<Self> {
        plan.check_kinds(kinds)?;
        if plan.cfg.top_db.is_some() {
            if let Some(k) = kinds.iter().find(|k| k.uses_top_db()) {
                return Err(Error::Unsupported(format!(
                    "streaming {} needs top_db = None: librosa clips relative to the maximum of \
                     the whole clip, which is unknown until the end of the stream",
                    k.name()
                )));
            }
        }
        let mut uniq: Vec<FeatureKind> = Vec::new();
        for k in kinds {
            if !uniq.contains(k) {
                uniq.push(*k);
            }
        }
        let stft_scratch = plan.stft_nc.make_scratch();
        Ok(Self {
            want: Want::new(&uniq),
            pending: uniq.iter().map(|k| (*k, Vec::new())).collect(),
            kinds: uniq,
            scratch: plan.make_scratch(),
            plan,
            buf: Vec::new(),
            buf_start: 0,
            n_received: 0,
            first_sample: None,
            computed: 0,
            emitted: 0,
            stft_scratch,
            seg: Vec::new(),
            seg_edge: Vec::new(),
            mfcc_hist: Vec::new(),
            mfcc_start: 0,
            logmel_hist: Vec::new(),
            logmel_start: 0,
            finished: false,
        })
    }

    /// Frames returned so far.
    pub fn frames_emitted(&self) -> usize {
        self.emitted
    }

    /// Samples pushed so far.
    pub fn samples_received(&self) -> usize {
        self.n_received
    }

    /// Clears all state so a new clip can be streamed with the same plan.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.buf_start = 0;
        self.n_received = 0;
        self.first_sample = None;
        self.computed = 0;
        self.emitted = 0;
        self.scratch.has_prev = false;
        for (_, v) in &mut self.pending {
            v.clear();
        }
        self.mfcc_hist.clear();
        self.mfcc_start = 0;
        self.logmel_hist.clear();
        self.logmel_start = 0;
        self.finished = false;
    }

    pub(super) fn offset(&self) -> usize {
        if self.plan.cfg.center {
            self.plan.cfg.n_fft / 2
        } else {
            0
        }
    }

    /// Adds `chunk` (any length, may be empty) and returns the frames completed by it.
    ///
    /// # Errors
    /// [`Error::NonFinite`] for NaN/inf samples (the stream is unchanged);
    /// [`Error::Unsupported`] after [`StreamingExtractor::finish`] (call `reset` first).
    pub fn push(&mut self, chunk: &[f32]) -> Result<FrameFeatures> {
        if self.finished {
            return Err(Error::Unsupported(
                "push after finish; call reset() to start a new stream".into(),
            ));
        }
        if let Some(i) = chunk.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFinite {
                what: "audio chunk",
                index: self.n_received + i,
            });
        }
        if self.first_sample.is_none() {
            self.first_sample = chunk.first().copied();
        }
        self.buf.extend_from_slice(chunk);
        self.n_received += chunk.len();
        // Frame t is complete when its last sample index t*hop - off + n_fft - 1 < n_received - 1.
        let (n_fft, hop, off) = (self.plan.cfg.n_fft, self.plan.hop, self.offset());
        let limit = self.n_received + off; // need t*hop + n_fft < limit
        let ready = if limit > n_fft {
            (limit - n_fft - 1) / hop + 1
        } else {
            0
        };
        self.compute_frames(ready, None)?;
        self.trim();
        self.emit(None)
    }

    /// Flushes the frames that need the right padding and returns them; the stream then has
    /// produced exactly `FeatureExtractor::extract`'s frames.
    ///
    /// # Errors
    /// [`Error::EmptyInput`] if nothing was pushed, [`Error::TooShort`] where the batch path
    /// would fail (e.g. fewer than `delta_width` frames with deltas).
    pub fn finish(&mut self) -> Result<FrameFeatures> {
        if self.finished {
            return Err(Error::Unsupported(
                "finish called twice; call reset()".into(),
            ));
        }
        if self.n_received == 0 {
            return Err(Error::EmptyInput {
                what: "audio stream",
            });
        }
        let total = self.plan.n_frames(self.n_received);
        if total == 0 {
            return Err(Error::TooShort {
                what: "framing (center = false)",
                expected: self.plan.cfg.n_fft,
                got: self.n_received,
            });
        }
        if self.want.deltas() && total < self.plan.cfg.delta_width {
            return Err(Error::TooShort {
                what: "delta (mode='interp'): frames",
                expected: self.plan.cfg.delta_width,
                got: total,
            });
        }
        self.finished = true;
        self.compute_frames(total, Some(self.n_received))?;
        self.emit(Some(total))
    }

    /// Value of the (virtually padded) signal at absolute index `j`; `end` is the signal length
    /// once known. `edge` selects numpy `edge` padding instead of `pad_mode`.
    pub(super) fn sample(&self, j: isize, end: Option<usize>, edge: bool) -> f32 {
        let n_known = self.n_received as isize;
        let inside = j >= 0 && j < n_known;
        let idx = if inside {
            j as usize
        } else if edge {
            match end {
                Some(n) => j.clamp(0, n as isize - 1) as usize,
                None => return self.first_sample.unwrap_or(0.0),
            }
        } else {
            match self.plan.cfg.pad_mode {
                PadMode::Reflect => match end {
                    Some(n) => reflect(j, n),
                    // Left side before the end is known: -j < n_received is guaranteed.
                    None => (-j) as usize,
                },
                _ => return 0.0,
            }
        };
        self.buf
            .get(idx.wrapping_sub(self.buf_start))
            .copied()
            .unwrap_or(0.0)
    }

    /// Computes frames `computed..upto` (all samples available; `end` = final length, if known).
    pub(super) fn compute_frames(&mut self, upto: usize, end: Option<usize>) -> Result<()> {
        if upto <= self.computed {
            return Ok(());
        }
        let (t0, t1) = (self.computed, upto);
        let (n_fft, hop) = (self.plan.cfg.n_fft, self.plan.hop);
        let off = self.offset() as isize;
        let start = (t0 * hop) as isize - off;
        let len = (t1 - 1 - t0) * hop + n_fft;
        let mut seg = std::mem::take(&mut self.seg);
        seg.clear();
        seg.extend((0..len).map(|k| self.sample(start + k as isize, end, false)));
        let mut seg_edge = std::mem::take(&mut self.seg_edge);
        seg_edge.clear();
        if self.want.has(FeatureKind::Zcr) {
            seg_edge.extend((0..len).map(|k| self.sample(start + k as isize, end, true)));
        }
        // Raw per-frame values for t0..t1.
        let want = self.want;
        let plan = &self.plan;
        let sc = &mut self.scratch;
        sc.raw.clear();
        if want.stft() {
            let ExtractorScratch {
                pow,
                mag,
                prev_mag,
                has_prev,
                sort_buf,
                flat_buf,
                raw,
                ..
            } = sc;
            let mut fs = FrameScratch {
                pow,
                mag,
                prev_mag,
                has_prev,
                sort_buf,
                flat_buf,
            };
            plan.stft_nc
                .for_each_frame(&seg, &mut self.stft_scratch, |_, spec| {
                    plan.spectrum_frame(&want, spec, &mut fs, raw);
                })?;
        }
        for i in 0..t1 - t0 {
            let s = i * hop;
            if want.has(FeatureKind::Rms) {
                sc.raw.rms.push(rms_frame(&seg[s..s + n_fft]));
            }
            if want.has(FeatureKind::Zcr) {
                sc.raw
                    .zcr
                    .push(zcr_frame(&seg_edge[s..s + n_fft], ZCR_THRESHOLD));
            }
        }
        sc.raw.n = t1 - t0;
        self.seg = seg;
        self.seg_edge = seg_edge;
        self.finalize_chunk(t0, t1)?;
        self.computed = t1;
        Ok(())
    }

    /// Local finalisation (top_db = None) of frames `t0..t1` into `pending` and histories.
    pub(super) fn finalize_chunk(&mut self, t0: usize, t1: usize) -> Result<()> {
        let plan = &self.plan;
        let (nm, nc) = (plan.cfg.n_mels, plan.cfg.n_mfcc);
        let ExtractorScratch {
            raw, logmel, mfcc, ..
        } = &mut self.scratch;
        if self.want.logmel() {
            plan.finish_logmel(raw, logmel, None)?;
            if self.logmel_hist.is_empty() {
                self.logmel_start = t0;
            }
            self.logmel_hist.extend_from_slice(logmel);
        }
        if self.want.mfcc() {
            plan.mfcc_frames(logmel, mfcc);
            if self.mfcc_hist.is_empty() {
                self.mfcc_start = t0;
            }
            self.mfcc_hist.extend_from_slice(mfcc);
        }
        let shift = plan.onset_shift();
        for (k, v) in &mut self.pending {
            match k {
                FeatureKind::MelSpectrogram => v.extend_from_slice(&raw.mel),
                FeatureKind::LogMel => v.extend_from_slice(logmel),
                FeatureKind::Mfcc => v.extend_from_slice(mfcc),
                // Computed at emission time from the MFCC history.
                FeatureKind::MfccDelta | FeatureKind::MfccDelta2 => {}
                FeatureKind::Contrast => {
                    let r = plan.n_rows(FeatureKind::Contrast);
                    let mut a = Array2::zeros((r, t1 - t0));
                    contrast_from_peaks(&raw.peak, &raw.valley, r, None, &mut a);
                    for col in a.columns() {
                        v.extend(col.iter().copied());
                    }
                }
                FeatureKind::OnsetStrength => {
                    for t in t0..t1 {
                        v.push(if t >= shift {
                            let j = t - shift - self.logmel_start;
                            onset_frame(
                                &self.logmel_hist[(j + 1) * nm..(j + 2) * nm],
                                &self.logmel_hist[j * nm..(j + 1) * nm],
                            )
                        } else {
                            0.0
                        });
                    }
                }
                FeatureKind::Centroid => v.extend_from_slice(&raw.centroid),
                FeatureKind::Bandwidth => v.extend_from_slice(&raw.bandwidth),
                FeatureKind::Rolloff => v.extend_from_slice(&raw.rolloff),
                FeatureKind::Flatness => v.extend_from_slice(&raw.flatness),
                FeatureKind::Zcr => v.extend_from_slice(&raw.zcr),
                FeatureKind::Rms => v.extend_from_slice(&raw.rms),
                FeatureKind::FluxL2 => v.extend_from_slice(&raw.flux),
            }
        }
        let _ = nc;
        Ok(())
    }

    /// Drops samples and history no longer needed.
    pub(super) fn trim(&mut self) {
        let (hop, off) = (self.plan.hop, self.offset());
        // The next frame to compute starts at computed*hop - off (left padding never needs
        // samples beyond index off, which stay in the buffer until frame off/hop is computed).
        let keep_from = (self.computed * hop).saturating_sub(off);
        if keep_from > self.buf_start + 4096 {
            self.buf.drain(..keep_from - self.buf_start);
            self.buf_start = keep_from;
        }
        let shift = self.plan.onset_shift();
        let nm = self.plan.cfg.n_mels;
        let lm_keep = self.computed.saturating_sub(shift + 1);
        if lm_keep > self.logmel_start + 64 && !self.logmel_hist.is_empty() {
            self.logmel_hist.drain(..(lm_keep - self.logmel_start) * nm);
            self.logmel_start = lm_keep;
        }
        let w = self.plan.cfg.delta_width;
        let nc = self.plan.cfg.n_mfcc;
        let mf_keep = self.emitted.saturating_sub(w + 1);
        if mf_keep > self.mfcc_start + 64 && !self.mfcc_hist.is_empty() {
            self.mfcc_hist.drain(..(mf_keep - self.mfcc_start) * nc);
            self.mfcc_start = mf_keep;
        }
    }

    /// Emits frames `emitted..` that are final; `total` is the final frame count at `finish`.
    pub(super) fn emit(&mut self, total: Option<usize>) -> Result<FrameFeatures> {
        let c = self.computed;
        let h = self.plan.cfg.delta_width / 2;
        let upto = match total {
            Some(t) => t,
            None if self.want.deltas() => {
                if c > 2 * h {
                    c - h
                } else {
                    0
                }
            }
            None => c,
        };
        let upto = upto.max(self.emitted);
        let k = upto - self.emitted;
        let mut items = Vec::with_capacity(self.kinds.len());
        let nc = self.plan.cfg.n_mfcc;
        for (kind, v) in &mut self.pending {
            let rows = self.plan.n_rows(*kind);
            let mut a = Array2::zeros((rows, k));
            match kind {
                FeatureKind::MfccDelta | FeatureKind::MfccDelta2 => {
                    let w = if *kind == FeatureKind::MfccDelta {
                        &self.plan.delta1
                    } else {
                        &self.plan.delta2
                    };
                    let mut row = vec![0.0; nc];
                    for i in 0..k {
                        let t = self.emitted + i;
                        let center = match total {
                            Some(tt) => t.clamp(h, tt - 1 - h),
                            None => t.max(h),
                        };
                        let hist = &self.mfcc_hist[(center - h - self.mfcc_start) * nc..];
                        delta_frame(hist, nc, w, h, &mut row);
                        for (r, x) in row.iter().enumerate() {
                            a[[r, i]] = *x;
                        }
                    }
                }
                _ => {
                    write_fm(&v[..k * rows], rows, &mut a);
                    v.drain(..k * rows);
                }
            }
            items.push((*kind, a));
        }
        self.emitted = upto;
        Ok(FrameFeatures { n_frames: k, items })
    }
}
