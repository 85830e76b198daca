//! Determinism by seed, contracts (length, rate) and "no NaN/inf for any
//! input" (proptest).
#![allow(clippy::unwrap_used)]

use ndarray::Array2;
use proptest::prelude::*;
use ser_augment::{
    parse_pipeline, rng_from_seed, AddNoise, BandLimit, ClippingDistortion, Compose, Gain, Mixup,
    NoiseColor, OneOf, PitchShift, PolarityInversion, Reverb, SomeOf, SpecAugment, SpeedChange,
    TimeShift, TimeStretch, Transform,
};
use ser_dsp::Audio;

const SR: u32 = 16_000;

fn all_transforms() -> Vec<Box<dyn Transform>> {
    vec![
        Box::new(AddNoise::new(0.0, 30.0).p(1.0)),
        Box::new(AddNoise::new(0.0, 30.0).color(NoiseColor::Pink).p(1.0)),
        Box::new(AddNoise::new(0.0, 30.0).color(NoiseColor::Brown).p(1.0)),
        Box::new(Gain::new(-12.0, 12.0).p(1.0)),
        Box::new(PolarityInversion::new().p(1.0)),
        Box::new(TimeShift::new(-0.5, 0.5).p(1.0)),
        Box::new(TimeShift::new(-0.5, 0.5).rollover(false).p(1.0)),
        Box::new(ClippingDistortion::new(0.0, 40.0).p(1.0)),
        Box::new(PitchShift::new(-3.0, 3.0).n_fft(512, 128).p(1.0)),
        Box::new(SpeedChange::new(0.8, 1.2).p(1.0)),
        Box::new(TimeStretch::new(0.8, 1.25).n_fft(512, 128).p(1.0)),
        Box::new(Reverb::synthetic(0.1, 0.6).p(1.0)),
        Box::new(BandLimit::telephone().p(1.0)),
        Box::new(BandLimit::low_pass(500.0, 3000.0).zero_phase(true).p(1.0)),
        Box::new(BandLimit::high_pass(50.0, 400.0).order(3).p(1.0)),
    ]
}

fn speech() -> Vec<f32> {
    Audio::load(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav"),
        None,
    )
    .unwrap()
    .samples
}

#[test]
fn same_seed_same_bits_different_seed_different_output() {
    let x = speech();
    for t in all_transforms() {
        let a = t.apply(&x, SR, &mut rng_from_seed(7)).unwrap();
        let b = t.apply(&x, SR, &mut rng_from_seed(7)).unwrap();
        assert_eq!(a, b, "{}", t.name());
        if t.name() != "polarity" && t.name() != "telephone" && t.name() != "bandpass" {
            let c = t.apply(&x, SR, &mut rng_from_seed(8)).unwrap();
            assert_ne!(a, c, "{} ignores its RNG", t.name());
        }
        if !t.changes_length() {
            assert_eq!(a.len(), x.len(), "{}", t.name());
        }
    }
    let chain = Compose::new(all_transforms()).shuffle(true);
    let a = chain.apply_seeded(&x, SR, 123).unwrap();
    let b = chain.apply_seeded(&x, SR, 123).unwrap();
    assert_eq!(a, b);
    // Audio in, Audio out at the same rate.
    let audio = Audio::new(x.clone(), SR).unwrap();
    let y = SpeedChange::new(1.1, 1.1)
        .p(1.0)
        .apply_audio(&audio, &mut rng_from_seed(0))
        .unwrap();
    assert_eq!(y.sample_rate, SR);
}

#[test]
fn probability_is_respected() {
    let x = vec![0.5f32; 64];
    let t = PolarityInversion::new().p(0.3);
    let mut rng = rng_from_seed(1);
    let flips = (0..4000)
        .filter(|_| t.apply(&x, SR, &mut rng).unwrap()[0] < 0.0)
        .count();
    assert!((1080..=1320).contains(&flips), "{flips} of 4000 at p = 0.3");
}

#[test]
fn one_of_and_some_of_choose_as_documented() {
    let x = vec![1.0f32; 16];
    let one = OneOf::new(vec![
        Box::new(Gain::new(6.0, 6.0).p(1.0)),
        Box::new(PolarityInversion::new().p(1.0)),
    ]);
    let mut rng = rng_from_seed(2);
    let mut seen = [0usize; 2];
    for _ in 0..400 {
        let y = one.apply(&x, SR, &mut rng).unwrap();
        seen[usize::from(y[0] < 0.0)] += 1;
        assert!(y[0] > 1.9 || y[0] == -1.0, "exactly one applied: {}", y[0]);
    }
    assert!(seen[0] > 150 && seen[1] > 150, "{seen:?}");
    let some = SomeOf::new(
        2,
        2,
        vec![
            Box::new(Gain::new(6.0, 6.0).p(1.0)),
            Box::new(PolarityInversion::new().p(1.0)),
            Box::new(Gain::new(-20.0, -20.0).p(1.0)),
        ],
    );
    for seed in 0..50 {
        let y = some.apply(&x, SR, &mut rng_from_seed(seed)).unwrap()[0];
        let candidates = [-(10f32.powf(0.3)), 10f32.powf(-0.7), -0.1];
        assert!(candidates.iter().any(|c| (y - c).abs() < 1e-4), "{y}");
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for t in all_transforms() {
        let mut r = rng_from_seed(0);
        assert!(t.apply(&[], SR, &mut r).is_err(), "{} empty", t.name());
        assert!(
            t.apply(&[0.0, f32::NAN], SR, &mut r).is_err(),
            "{} NaN",
            t.name()
        );
        assert!(
            t.apply(&[0.0, f32::INFINITY], SR, &mut r).is_err(),
            "{} inf",
            t.name()
        );
        assert!(
            t.apply(&[0.1, 0.2], 0, &mut r).is_err(),
            "{} sr 0",
            t.name()
        );
    }
    // Huge gain on a huge signal: Err, never inf.
    let r = Gain::new(200.0, 200.0).apply_always(&[3e38], SR, &mut rng_from_seed(0));
    assert!(r.is_err());
    assert!(parse_pipeline("pitch:semitones=1,n_fft=3").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn no_nan_or_inf_for_any_finite_input(
        x in prop::collection::vec(-1.0e3f32..1.0e3, 1..3000),
        kind in 0usize..4,
        seed in any::<u64>(),
        sr in prop::sample::select(vec![8000u32, 16000, 22050, 44100]),
    ) {
        // Also silence, an impulse, DC and tiny (subnormal-range) signals.
        let x: Vec<f32> = match kind {
            0 => x,
            1 => vec![0.0; x.len()],
            2 => { let mut v = vec![0.0; x.len()]; v[0] = 1.0; v }
            _ => x.iter().map(|v| v * 1e-40).collect(),
        };
        for t in all_transforms() {
            let y = t.apply(&x, sr, &mut rng_from_seed(seed));
            let y = y.unwrap_or_else(|e| panic!("{}: {e}", t.name()));
            prop_assert!(y.iter().all(|v| v.is_finite()), "{} produced non-finite", t.name());
            prop_assert!(!y.is_empty());
            if !t.changes_length() {
                prop_assert_eq!(y.len(), x.len());
            }
        }
    }

    #[test]
    fn spec_augment_and_mixup_stay_finite(
        nu in 1usize..100, tau in 1usize..400, seed in any::<u64>(), scale in 0.0f32..1e4,
    ) {
        let x = Array2::from_shape_fn((nu, tau), |(f, t)| ((f * 31 + t * 7) % 13) as f32 * scale - 6.0 * scale);
        for sa in [SpecAugment::librispeech_basic(), SpecAugment::switchboard_strong()] {
            let (y, rep) = sa.apply_with_report(x.view(), &mut rng_from_seed(seed)).unwrap();
            prop_assert_eq!(y.dim(), (nu, tau));
            prop_assert!(y.iter().all(|v| v.is_finite()));
            prop_assert_eq!(rep.freq_masks.len(), sa.n_freq_masks);
        }
        let m = Mixup::new(0.3).mix_features(x.view(), &[1.0, 0.0], x.view(), &[0.0, 1.0], &mut rng_from_seed(seed)).unwrap();
        prop_assert!(m.input.iter().all(|v| v.is_finite()));
        prop_assert!((0.0..=1.0).contains(&m.lambda));
    }
}
