//! Fuzz entry point `features`: every `ser-features` extractor on arbitrary sample values
//! and lengths with arbitrary (valid and invalid) configurations — the frame-level
//! [`FeatureExtractor`] (MFCC, deltas, log-mel, spectral, contrast, ZCR, RMS, onset), its
//! [`StreamingExtractor`] fed in chunks, YIN, pYIN, the eGeMAPS-like set, the ComParE-like
//! set and the functionals.
//!
//! Shared by `fuzz/fuzz_targets/features.rs` and `tests/regressions_features.rs`. Panics
//! only on a bug: a panic inside the crate, an `Ok` whose shape differs from the documented
//! one, or non-finite output from finite input of bounded amplitude.

use crate::bytes::Bytes;
use ser_features::compare::{CompareConfig, CompareSet};
use ser_features::egemaps::{Egemaps, EgemapsConfig};
use ser_features::functionals::{self, Functional};
use ser_features::prosody::{Pyin, PyinConfig, Yin, YinConfig};
use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind};

/// Longest signal one execution analyses.
const MAX_SAMPLES: usize = 1 << 13;

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut b = Bytes::new(data);
    let sr = b.pick(&[16_000u32, 8000, 22_050, 44_100, 0, 100, 11_025]);
    let n_fft = b.pick(&[512usize, 256, 1024, 2048, 64, 0, 1]);
    let hop = b.pick(&[None, Some(160usize), Some(64), Some(1), Some(0), Some(3000)]);
    let n_mels = b.pick(&[40usize, 128, 8, 1, 0, 300]);
    let n_mfcc = b.pick(&[13usize, 20, 1, 40, 0, 300]);
    let center = b.bool();
    let top_db = b.pick(&[Some(80.0f32), None, Some(0.0), Some(-1.0), Some(f32::NAN)]);
    let lifter = b.pick(&[0.0f32, 22.0, -5.0, f32::NAN]);
    let delta_width = b.pick(&[9usize, 3, 5, 1, 2, 0, 101]);
    let fmin = b.pick(&[0.0f32, 50.0, -1.0, f32::NAN, 1e6]);
    let fmax = b.pick(&[None, Some(4000.0f32), Some(0.0), Some(f32::INFINITY)]);
    let contrast = b.pick(&[
        (6usize, 200.0f64, 0.02f64),
        (0, 200.0, 0.02),
        (3, 0.0, 0.5),
        (12, 5000.0, 0.0),
        (6, f64::NAN, f64::NAN),
        (2, 100.0, 1.0),
    ]);
    let roll_percent = b.pick(&[0.85f32, 0.0, 1.0, 1.5, f32::NAN]);
    let chunk = b.pick(&[1usize, 7, 160, 1000, 4096]);
    let f0 = b.pick(&[
        (65.0f64, 2093.0f64),
        (50.0, 600.0),
        (0.0, 100.0),
        (300.0, 200.0),
        (f64::NAN, 500.0),
        (80.0, 1e6),
    ]);
    let f0_frame = b.pick(&[1024usize, 2048, 512, 64, 0, 1, 5000]);
    let prosody = b.u8();
    let raw = b.bool();
    let x = b.samples(raw, MAX_SAMPLES);
    let bounded = x.iter().all(|v| v.is_finite() && v.abs() <= 1e3);

    let mut cfg = FeatureConfig::default()
        .sr(sr)
        .n_fft(n_fft)
        .n_mels(n_mels)
        .n_mfcc(n_mfcc)
        .center(center)
        .top_db(top_db)
        .lifter(lifter)
        .delta_width(delta_width)
        .fmin(fmin)
        .contrast_n_bands(contrast.0)
        .contrast_fmin(contrast.1)
        .contrast_quantile(contrast.2)
        .roll_percent(roll_percent);
    if let Some(h) = hop {
        cfg = cfg.hop_length(h);
    }
    if let Some(f) = fmax {
        cfg = cfg.fmax(f);
    }

    if let Ok(plan) = FeatureExtractor::new(&cfg) {
        let kinds = FeatureKind::ALL;
        let batch = plan.extract(&x, &kinds);
        if let Ok(f) = &batch {
            for (k, a) in f.iter() {
                assert_eq!(
                    a.dim(),
                    (plan.n_rows(k), plan.n_frames(x.len())),
                    "{k:?} shape"
                );
                if bounded {
                    if let Some(v) = a.iter().find(|v| !v.is_finite()) {
                        panic!("{k:?}: non-finite {v} from bounded input");
                    }
                }
            }
        }
        if let Ok(mut s) = plan.streaming(&kinds) {
            let mut frames = 0;
            let mut ok = true;
            for c in x.chunks(chunk) {
                match s.push(c) {
                    Ok(f) => frames += f.n_frames(),
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                if let Ok(f) = s.finish() {
                    frames += f.n_frames();
                    if let Ok(bf) = &batch {
                        assert_eq!(frames, bf.n_frames(), "streaming frames != batch frames");
                    }
                }
            }
        }
        if prosody & 1 == 1 {
            if let Ok(set) = CompareSet::new(&CompareConfig::default().features(cfg.clone())) {
                if let Ok(v) = set.extract(&x) {
                    assert_eq!(v.len(), set.names().len(), "compare names");
                }
            }
        }
    }

    if prosody & 2 == 2 {
        let ycfg = YinConfig::default()
            .sr(sr)
            .fmin(f0.0)
            .fmax(f0.1)
            .frame_length(f0_frame)
            .center(center);
        if let Ok(yin) = Yin::new(&ycfg) {
            if let Ok(f) = yin.process(&x) {
                assert_eq!(f.len(), yin.n_frames(x.len()), "yin frames");
                if bounded {
                    assert!(f.iter().all(|v| v.is_finite()), "yin NaN");
                }
            }
        }
    }
    if prosody & 4 == 4 {
        let pcfg = PyinConfig::default()
            .sr(sr)
            .fmin(f0.0)
            .fmax(f0.1)
            .frame_length(f0_frame)
            .resolution(0.5)
            .center(center);
        if let Ok(pyin) = Pyin::new(&pcfg) {
            if let Ok(o) = pyin.process(&x) {
                let n = pyin.n_frames(x.len());
                assert_eq!(o.f0.len(), n, "pyin f0 frames");
                assert_eq!(o.voiced_flag.len(), n, "pyin flag frames");
                if bounded {
                    assert!(
                        o.voiced_prob.iter().all(|p| (0.0..=1.0).contains(p)),
                        "pyin prob"
                    );
                }
            }
        }
    }
    if prosody & 8 == 8 {
        let ecfg = EgemapsConfig::default().sr(sr).fmin(f0.0).fmax(f0.1);
        if let Ok(e) = Egemaps::new(&ecfg) {
            if let Ok(v) = e.process(&x) {
                assert_eq!(v.len(), 88, "egemaps size");
                if bounded {
                    assert!(v.iter().all(|(_, v)| v.is_finite()), "egemaps NaN");
                }
            }
        }
    }
    let which = [
        Functional::CoeffVar,
        Functional::PercentileRange(90, 10),
        Functional::Percentile(255),
    ];
    let all: Vec<Functional> = Functional::STANDARD.iter().chain(&which).copied().collect();
    let v = functionals::compute(&x, &all);
    assert_eq!(v.len(), all.len(), "functionals length");
    if bounded {
        assert!(v.iter().all(|v| v.is_finite()), "functionals NaN");
    }
}
