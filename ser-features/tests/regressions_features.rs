//! Hardening of `ser-features` on untrusted input (issue 10).
//!
//! * Replays every input saved under `tests/fixtures/regressions/features/` (crashes found
//!   by `cargo fuzz`, see `fuzz/README.md`, and seeds) through the entry point the fuzz
//!   target calls (`tests/regressions/features.rs`).
//! * A CI-bounded proptest harness over random bytes (parameters + samples).
//! * Edge cases: one sample, shorter than a frame, silence, clipping, DC offset, full-scale
//!   constant, and a long input through the streaming extractor (the 1 h run is `#[ignore]`d
//!   and measured by `scripts/fuzz_rss_1h.sh`).
#![allow(clippy::unwrap_used)]

#[path = "regressions/bytes.rs"]
mod bytes;
#[path = "regressions/features.rs"]
mod features;

use proptest::prelude::*;
use ser_features::compare::{CompareConfig, CompareSet};
use ser_features::egemaps::{Egemaps, EgemapsConfig};
use ser_features::prosody::{Pyin, PyinConfig, Yin, YinConfig};
use ser_features::{Error, FeatureConfig, FeatureExtractor, FeatureKind};
use std::path::{Path, PathBuf};

#[test]
fn replay_features_inputs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/regressions/features");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let r = std::panic::catch_unwind(|| features::run(&data));
        assert!(r.is_ok(), "regression input {} panics again", f.display());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn features_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..1200)) {
        features::run(&data);
    }
}

const SR: u32 = 16_000;

/// Every frame-level kind except the deltas (which need `delta_width` frames).
const NO_DELTAS: [FeatureKind; 12] = [
    FeatureKind::MelSpectrogram,
    FeatureKind::LogMel,
    FeatureKind::Mfcc,
    FeatureKind::Centroid,
    FeatureKind::Bandwidth,
    FeatureKind::Rolloff,
    FeatureKind::Flatness,
    FeatureKind::Contrast,
    FeatureKind::Zcr,
    FeatureKind::Rms,
    FeatureKind::OnsetStrength,
    FeatureKind::FluxL2,
];

fn tone(n: usize, f: f32) -> Vec<f32> {
    (0..n)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * f * i as f32 / SR as f32).sin())
        .collect()
}

/// The inputs a user can hand in besides speech.
fn edge_signals() -> Vec<(&'static str, Vec<f32>)> {
    let n = SR as usize;
    vec![
        ("one sample", vec![0.25]),
        ("shorter than a frame", tone(300, 200.0)),
        ("silence", vec![0.0; n]),
        (
            "clipped",
            tone(n, 150.0)
                .iter()
                .map(|v| (v * 20.0).clamp(-1.0, 1.0))
                .collect(),
        ),
        (
            "dc offset",
            tone(n, 150.0).iter().map(|v| 0.8 + 0.1 * v).collect(),
        ),
        ("full-scale constant", vec![-1.0; n]),
        ("single click", {
            let mut x = vec![0.0; n];
            x[n / 2] = 1.0;
            x
        }),
    ]
}

fn assert_finite(what: &str, v: impl IntoIterator<Item = f32>) {
    if let Some(bad) = v.into_iter().find(|v| !v.is_finite()) {
        panic!("{what}: non-finite value {bad}");
    }
}

#[test]
fn frame_features_on_edge_signals() {
    let plan =
        FeatureExtractor::new(&FeatureConfig::default().sr(SR).n_fft(512).hop_length(160)).unwrap();
    for (what, x) in edge_signals() {
        let f = match plan.extract(&x, &FeatureKind::ALL) {
            Ok(f) => f,
            // Deltas need `delta_width` frames (as librosa): a typed error below that.
            Err(Error::TooShort { expected, got, .. }) if x.len() < 2000 => {
                assert!(got < expected, "{what}");
                let f = plan.extract(&x, &NO_DELTAS).unwrap();
                assert_eq!(f.n_frames(), plan.n_frames(x.len()), "{what}");
                f
            }
            Err(e) => panic!("{what}: {e}"),
        };
        assert_eq!(f.n_frames(), plan.n_frames(x.len()), "{what}");
        for (k, a) in f.iter() {
            assert_eq!(a.dim(), (plan.n_rows(k), f.n_frames()), "{what} {k:?}");
            assert_finite(&format!("{what} {k:?}"), a.iter().copied());
        }
    }
    assert!(
        plan.extract(&[], &FeatureKind::ALL).is_err(),
        "empty input must be an error"
    );
    assert!(
        plan.extract(&[0.0, f32::NAN], &FeatureKind::ALL).is_err(),
        "NaN must be an error"
    );
}

#[test]
fn f0_trackers_on_edge_signals() {
    let yin = Yin::new(
        &YinConfig::default()
            .sr(SR)
            .fmin(60.0)
            .fmax(500.0)
            .frame_length(1024),
    )
    .unwrap();
    let pyin = Pyin::new(
        &PyinConfig::default()
            .sr(SR)
            .fmin(60.0)
            .fmax(500.0)
            .frame_length(1024)
            .hop_length(160),
    )
    .unwrap();
    for (what, x) in edge_signals() {
        let f = yin.process(&x).unwrap();
        assert_eq!(f.len(), yin.n_frames(x.len()), "{what}");
        assert_finite(&format!("yin {what}"), f.iter().copied());
        let o = pyin.process(&x).unwrap();
        assert_eq!(o.f0.len(), pyin.n_frames(x.len()), "{what}");
        assert!(
            o.voiced_prob.iter().all(|p| (0.0..=1.0).contains(p)),
            "pyin {what}"
        );
        if what == "silence" {
            assert!(
                o.voiced_flag.iter().all(|v| !v),
                "pyin: silence must be unvoiced"
            );
        }
    }
}

#[test]
fn utterance_sets_on_edge_signals() {
    let egemaps = Egemaps::new(&EgemapsConfig::default().sr(SR)).unwrap();
    let compare = CompareSet::new(
        &CompareConfig::default().features(FeatureConfig::default().sr(SR).n_fft(512)),
    )
    .unwrap();
    for (what, x) in edge_signals() {
        let e = egemaps.process(&x).unwrap();
        assert_eq!(e.len(), 88, "{what}");
        assert_finite(&format!("egemaps {what}"), e.iter().map(|(_, v)| v));
        match compare.extract(&x) {
            Ok(c) => {
                assert_eq!(c.len(), compare.names().len(), "{what}");
                assert_finite(&format!("compare {what}"), c.iter().map(|(_, v)| v));
            }
            // Its deltas need 9 frames (librosa's `delta` rule): a typed error below that.
            Err(Error::TooShort { .. }) if x.len() < 2000 => {}
            Err(e) => panic!("compare {what}: {e}"),
        }
    }
}

/// Feeds `secs` seconds of a synthetic voice-like signal (generated chunk by chunk, never
/// held in memory) through the streaming extractor; returns the number of frames.
fn stream_synthetic(secs: usize, chunk: usize) -> usize {
    // Streaming MFCC needs `top_db = None` (librosa clips relative to the whole clip's max).
    let cfg = FeatureConfig::default()
        .sr(SR)
        .n_fft(512)
        .hop_length(160)
        .top_db(None);
    let plan = FeatureExtractor::new(&cfg).unwrap();
    let kinds = [FeatureKind::Mfcc, FeatureKind::MfccDelta, FeatureKind::Rms];
    let mut s = plan.streaming(&kinds).unwrap();
    let total = secs * SR as usize;
    let mut buf = vec![0f32; chunk];
    let mut frames = 0;
    let mut i = 0usize;
    while i < total {
        let n = chunk.min(total - i);
        for (j, v) in buf[..n].iter_mut().enumerate() {
            let t = (i + j) as f32 / SR as f32;
            // 3 s "utterances" separated by 1 s pauses, 120-220 Hz glide.
            let on = (t % 4.0) < 3.0;
            let f0 = 120.0 + 100.0 * (t % 4.0) / 4.0;
            *v = if on {
                0.3 * (2.0 * std::f32::consts::PI * f0 * t).sin()
            } else {
                0.0
            };
        }
        let f = s.push(&buf[..n]).unwrap();
        for (_, a) in f.iter() {
            assert!(a.iter().all(|v| v.is_finite()));
        }
        frames += f.n_frames();
        i += n;
    }
    frames += s.finish().unwrap().n_frames();
    assert_eq!(frames, plan.n_frames(total));
    assert_eq!(s.samples_received(), total);
    frames
}

#[test]
fn streaming_extractor_on_a_minute() {
    assert_eq!(stream_synthetic(60, 1600), 1 + 60 * 100);
}

/// One hour through the streaming extractor (run in release by `scripts/fuzz_rss_1h.sh`,
/// which reports the peak RSS).
#[test]
#[ignore]
fn streaming_extractor_one_hour() {
    let t0 = std::time::Instant::now();
    let frames = stream_synthetic(3600, 1600);
    eprintln!(
        "1 h streamed: {frames} frames in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
}
