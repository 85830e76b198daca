//! Criterion benches for ser-augment on 4.35 s of 16 kHz speech (assets/speech.wav).
//! Transforms (and their lazily built STFT plans) are created and warmed up
//! outside the timed loop.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;
use ser_augment::{
    rng_from_seed, AddNoise, BandLimit, ClippingDistortion, Gain, NoiseColor, PitchShift, Reverb,
    SpecAugment, SpeedChange, TimeStretch, Transform,
};
use ser_dsp::Audio;

fn speech() -> Audio {
    Audio::load(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav"),
        None,
    )
    .unwrap()
}

fn waveform(c: &mut Criterion) {
    let a = speech();
    let sr = a.sample_rate;
    let cases: Vec<(&str, Box<dyn Transform>)> = vec![
        ("noise_white", Box::new(AddNoise::new(10.0, 10.0))),
        (
            "noise_pink",
            Box::new(AddNoise::new(10.0, 10.0).color(NoiseColor::Pink)),
        ),
        ("gain", Box::new(Gain::new(-6.0, 6.0))),
        ("clip", Box::new(ClippingDistortion::new(10.0, 10.0))),
        ("pitch_shift_2st", Box::new(PitchShift::new(2.0, 2.0))),
        ("time_stretch_1.2", Box::new(TimeStretch::new(1.2, 1.2))),
        ("speed_1.1", Box::new(SpeedChange::new(1.1, 1.1))),
        (
            "reverb_rt60_0.5",
            Box::new(Reverb::synthetic(0.5, 0.5).wet(0.5, 0.5)),
        ),
        ("telephone", Box::new(BandLimit::telephone())),
    ];
    let mut g = c.benchmark_group("augment_4.35s_16k");
    g.sample_size(20);
    for (name, t) in &cases {
        t.apply_always(&a.samples, sr, &mut rng_from_seed(0))
            .unwrap();
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                t.apply_always(&a.samples, sr, &mut rng_from_seed(1))
                    .unwrap()
            })
        });
    }
    g.finish();
}

fn features(c: &mut Criterion) {
    let x = Array2::from_shape_fn((80, 400), |(f, t)| ((f + t) % 17) as f32);
    let sa = SpecAugment::librispeech_double();
    c.bench_function("specaugment_LD_80x400", |b| {
        b.iter(|| sa.apply(x.view(), &mut rng_from_seed(3)).unwrap())
    });
}

criterion_group!(benches, waveform, features);
criterion_main!(benches);
