//! Criterion benches for the prosody half of ser-features on the shipped 4.35 s, 16 kHz
//! speech asset: YIN and pYIN (librosa's example settings C2–C7, frame 2048, hop 512, and the
//! speech settings 50–600 Hz, frame 1024, hop 160), openSMILE's SHS tracker, the 88-value
//! eGeMAPS-like set (allocating and scratch forms, and with pYIN instead of SHS),
//! openSMILE-style jitter/shimmer, one 60 ms harmonic-analysis frame, and the clip-level
//! speech / non-speech decision (`ser_features::speech`) at 16 and 22.05 kHz.
//! Plans and scratch buffers are built outside the timed loop.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ser_features::egemaps::F0Method;
use ser_features::egemaps::{Egemaps, EgemapsConfig};
use ser_features::prosody::harmonics::{HarmonicAnalyzer, HarmonicsConfig};
use ser_features::prosody::shs::{Shs, ShsConfig, ShsOutput};
use ser_features::prosody::voice_quality::{jitter_shimmer_cc, CcJitterConfig};
use ser_features::prosody::{Pyin, PyinConfig, PyinOutput, Yin, YinConfig};
use ser_features::speech::{SpeechConfig, SpeechDetector};

fn speech() -> Vec<f32> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav");
    ser_dsp::Audio::load(p, Some(16_000)).unwrap().samples
}

fn bench_prosody(c: &mut Criterion) {
    let y = speech();
    let sr = 16_000;
    for (name, fmin, fmax, fl, hop) in [
        (
            "librosa_example",
            65.406_391_325_149_66,
            2_093.004_522_404_789,
            2048,
            512,
        ),
        ("speech", 50.0, 600.0, 1024, 160),
    ] {
        let yin = Yin::new(
            &YinConfig::default()
                .sr(sr)
                .fmin(fmin)
                .fmax(fmax)
                .frame_length(fl)
                .hop_length(hop),
        )
        .unwrap();
        let mut ys = yin.make_scratch();
        let mut out = Vec::new();
        c.bench_function(&format!("yin_{name}_4.35s"), |b| {
            b.iter(|| yin.process_into(black_box(&y), &mut out, &mut ys).unwrap())
        });
        let pyin = Pyin::new(
            &PyinConfig::default()
                .sr(sr)
                .fmin(fmin)
                .fmax(fmax)
                .frame_length(fl)
                .hop_length(hop),
        )
        .unwrap();
        let mut ps = pyin.make_scratch();
        let mut po = PyinOutput::default();
        c.bench_function(&format!("pyin_{name}_4.35s"), |b| {
            b.iter(|| pyin.process_into(black_box(&y), &mut po, &mut ps).unwrap())
        });
    }
    // openSMILE's SHS tracker (the eGeMAPS default), 60 ms frames, hop 10 ms
    let shs = Shs::new(&ShsConfig::default().sr(sr)).unwrap();
    let mut ss = shs.make_scratch();
    let mut so = ShsOutput::default();
    c.bench_function("shs_4.35s", |b| {
        b.iter(|| shs.process_into(black_box(&y), &mut so, &mut ss).unwrap())
    });
    let eg_pyin = Egemaps::new(&EgemapsConfig::default().sr(sr).f0_method(F0Method::Pyin)).unwrap();
    let mut eps = eg_pyin.make_scratch();
    c.bench_function("egemaps_pyin_scratch_4.35s", |b| {
        b.iter(|| {
            eg_pyin
                .process_with_scratch(black_box(&y), &mut eps)
                .unwrap()
        })
    });
    let eg = Egemaps::new(&EgemapsConfig::default().sr(sr)).unwrap();
    c.bench_function("egemaps_4.35s", |b| {
        b.iter(|| eg.process(black_box(&y)).unwrap())
    });
    let mut es = eg.make_scratch();
    c.bench_function("egemaps_scratch_4.35s", |b| {
        b.iter(|| eg.process_with_scratch(black_box(&y), &mut es).unwrap())
    });
    // openSMILE-style voice quality on a fixed 150 Hz track (every frame voiced)
    let f0 = vec![150.0f32; y.len() / 160 + 1];
    let jc = CcJitterConfig::default().max_read(960).start_offset(480);
    c.bench_function("jitter_shimmer_cc_4.35s", |b| {
        b.iter(|| jitter_shimmer_cc(black_box(&y), sr, &f0, 160, &jc).unwrap())
    });
    let ha = HarmonicAnalyzer::new(&HarmonicsConfig::default().sr(sr)).unwrap();
    let mut hs = ha.make_scratch();
    c.bench_function("harmonics_60ms_frame", |b| {
        b.iter(|| {
            ha.analyze(
                black_box(&y),
                20_000,
                150.0,
                &[500.0, 1500.0, 2500.0],
                &mut hs,
            )
        })
    });
}

fn bench_speech_detector(c: &mut Criterion) {
    // one plan for every input rate, built outside the timed loop
    let det = SpeechDetector::new(&SpeechConfig::default()).unwrap();
    for sr in [16_000u32, 22_050] {
        let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav");
        let y = ser_dsp::Audio::load(p, Some(sr)).unwrap().samples;
        c.bench_function(&format!("speech_detect_{sr}_4.35s"), |b| {
            b.iter(|| det.detect(black_box(&y), sr).unwrap())
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_prosody, bench_speech_detector
}
criterion_main!(benches);
