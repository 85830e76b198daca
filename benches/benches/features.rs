//! Criterion benches for the spectral half of ser-features: each extractor on 3 s of
//! speech-like audio at 16 kHz with librosa defaults (n_fft=2048, hop_length=512, n_mels=128).
//! Plans and scratch buffers are built outside the timed loop.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use ser_features::compare::{CompareConfig, CompareSet};
use ser_features::functionals::{compute, Functional};
use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind, FrameFeatures};

fn speechlike(n: usize, sr: f32) -> Vec<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    (0..n)
        .map(|i| {
            let t = i as f32 / sr;
            let f0 = 120.0 + 30.0 * (2.0 * std::f32::consts::PI * 3.0 * t).sin();
            let env = (2.0 * std::f32::consts::PI * 4.0 * t).sin().abs();
            env * (0.3 * (2.0 * std::f32::consts::PI * f0 * t).sin()
                + 0.1 * (2.0 * std::f32::consts::PI * 3.0 * f0 * t).sin())
                + rng.gen_range(-0.01..0.01)
        })
        .collect()
}

fn bench_extractors(c: &mut Criterion) {
    let sr = 16000;
    let y = speechlike(3 * sr as usize, sr as f32);
    let plan = FeatureExtractor::new(&FeatureConfig::default().sr(sr)).unwrap();
    let mut scratch = plan.make_scratch();
    let mut g = c.benchmark_group("features_3s_16k");

    let mut out = ndarray::Array2::zeros((20, plan.n_frames(y.len())));
    g.bench_function("mfcc_into", |b| {
        b.iter(|| {
            plan.mfcc_into(black_box(&y), &mut out, &mut scratch)
                .unwrap()
        })
    });
    for kind in [
        FeatureKind::LogMel,
        FeatureKind::MfccDelta,
        FeatureKind::Centroid,
        FeatureKind::Bandwidth,
        FeatureKind::Rolloff,
        FeatureKind::Flatness,
        FeatureKind::Contrast,
        FeatureKind::Zcr,
        FeatureKind::Rms,
        FeatureKind::OnsetStrength,
        FeatureKind::FluxL2,
    ] {
        g.bench_with_input(BenchmarkId::new("extract", kind.name()), &kind, |b, k| {
            b.iter(|| {
                plan.extract_with(black_box(&y), &[*k], &mut scratch)
                    .unwrap()
            })
        });
    }
    g.bench_function("extract/all_spectral", |b| {
        b.iter(|| {
            plan.extract_with(black_box(&y), &FeatureKind::SPECTRAL, &mut scratch)
                .unwrap()
        })
    });

    let stream_plan = FeatureExtractor::new(&FeatureConfig::default().sr(sr).top_db(None)).unwrap();
    let kinds = [FeatureKind::Mfcc, FeatureKind::MfccDelta, FeatureKind::Rms];
    g.bench_function("streaming/mfcc+delta+rms_chunks_320", |b| {
        b.iter(|| {
            let mut s = stream_plan.streaming(&kinds).unwrap();
            let mut acc = FrameFeatures::default();
            for chunk in y.chunks(320) {
                acc.append(s.push(chunk).unwrap()).unwrap();
            }
            acc.append(s.finish().unwrap()).unwrap();
            acc
        })
    });

    let set = CompareSet::new(&CompareConfig::default().features(FeatureConfig::default().sr(sr)))
        .unwrap();
    g.bench_function("compare_set_840", |b| {
        b.iter(|| set.extract(black_box(&y)).unwrap())
    });

    let contour: Vec<f32> = (0..300).map(|i| (i as f32 * 0.1).sin()).collect();
    g.bench_function("functionals_standard_300_frames", |b| {
        b.iter(|| compute(black_box(&contour), &Functional::STANDARD))
    });
    g.finish();
}

/// The ComParE-like sets with ser-models' framing (16 kHz, n_fft 512, hop 160, win 400, 40
/// mels) on 3 s of speech-like audio: the default 840-value set vs the large 3358-value preset.
fn bench_compare(c: &mut Criterion) {
    let sr = 16000;
    let y = speechlike(3 * sr as usize, sr as f32);
    let features = FeatureConfig::default()
        .sr(sr)
        .n_fft(512)
        .hop_length(160)
        .win_length(400)
        .n_mels(40);
    let mut g = c.benchmark_group("compare_3s_16k_hop160");
    for (name, cfg) in [
        ("default_840", CompareConfig::default()),
        ("large_3358", CompareConfig::large()),
    ] {
        let set = CompareSet::new(&cfg.features(features.clone())).unwrap();
        g.bench_function(name, |b| b.iter(|| set.extract(black_box(&y)).unwrap()));
    }
    let contour: Vec<f32> = (0..300).map(|i| (i as f32 * 0.1).sin()).collect();
    g.bench_function("functionals_compare_300_frames", |b| {
        b.iter(|| compute(black_box(&contour), &Functional::COMPARE))
    });
    g.finish();
}

criterion_group!(benches, bench_extractors, bench_compare);
criterion_main!(benches);
