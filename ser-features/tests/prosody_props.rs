//! Property tests: YIN / pYIN / eGeMAPS never panic or emit NaN (except pYIN's documented
//! `fill_na` for unvoiced frames) on silence, DC, clipped, noisy and very short inputs, and
//! YIN recovers the frequency of a pure tone.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use ser_features::egemaps::{Egemaps, EgemapsConfig, F0Method};
use ser_features::prosody::shs::{Shs, ShsConfig, ShsOutput};
use ser_features::prosody::{Pyin, PyinConfig, Yin, YinConfig};
use ser_features::Error;

const SR: u32 = 16_000;

fn yin() -> Yin {
    Yin::new(
        &YinConfig::default()
            .sr(SR)
            .fmin(60.0)
            .fmax(800.0)
            .frame_length(1024)
            .hop_length(256),
    )
    .unwrap()
}

fn pyin() -> Pyin {
    Pyin::new(
        &PyinConfig::default()
            .sr(SR)
            .fmin(60.0)
            .fmax(800.0)
            .frame_length(1024)
            .hop_length(256),
    )
    .unwrap()
}

/// Signals of a few kinds: silence, DC, clipped sine, pseudo-noise.
fn signal() -> impl Strategy<Value = Vec<f32>> {
    (
        0u8..4,
        1usize..2500,
        -1.0f32..1.0,
        50.0f32..900.0,
        any::<u32>(),
    )
        .prop_map(|(kind, n, a, f, seed)| {
            let mut s = seed | 1;
            (0..n)
                .map(|i| match kind {
                    0 => 0.0,
                    1 => a,
                    2 => (3.0 * (2.0 * std::f32::consts::PI * f * i as f32 / SR as f32).sin())
                        .clamp(-1.0, 1.0),
                    _ => {
                        s ^= s << 13;
                        s ^= s >> 17;
                        s ^= s << 5;
                        a * ((s % 2001) as f32 / 1000.0 - 1.0)
                    }
                })
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn f0_trackers_are_total(y in signal()) {
        let f0 = yin().process(&y).unwrap();
        prop_assert_eq!(f0.len(), 1 + y.len() / 256);
        prop_assert!(f0.iter().all(|v| v.is_finite() && *v > 0.0));
        let out = pyin().process(&y).unwrap();
        prop_assert_eq!(out.f0.len(), f0.len());
        for t in 0..out.f0.len() {
            prop_assert!((0.0..=1.0).contains(&out.voiced_prob[t]));
            prop_assert_eq!(out.f0[t].is_nan(), !out.voiced_flag[t]);
            prop_assert_eq!(out.f0_refined[t].is_nan(), !out.voiced_flag[t]);
        }
    }

    #[test]
    fn shs_is_total_and_in_range(y in signal()) {
        let shs = Shs::new(&ShsConfig::default()).unwrap();
        let out = shs.process(&y).unwrap();
        prop_assert_eq!(out.f0.len(), shs.n_frames(y.len()));
        prop_assert_eq!(out.voicing.len(), out.f0.len());
        for (&f, &v) in out.f0.iter().zip(&out.voicing) {
            prop_assert!(f == 0.0 || (55.0..=1000.0).contains(&f), "{}", f);
            prop_assert!((0.0..=1.0).contains(&v), "{}", v);
        }
        // deterministic, and the scratch form gives the same track
        let mut again = ShsOutput::default();
        shs.process_into(&y, &mut again, &mut shs.make_scratch()).unwrap();
        prop_assert_eq!(again, out);
    }

    #[test]
    fn egemaps_is_finite(y in signal()) {
        for method in [F0Method::Shs, F0Method::Pyin] {
            let f = Egemaps::new(&EgemapsConfig::default().f0_method(method))
                .unwrap()
                .process(&y)
                .unwrap();
            prop_assert_eq!(f.values.len(), 88);
            prop_assert!(f.values.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn yin_recovers_pure_tone(f in 80.0f32..700.0, a in 0.05f32..1.0) {
        let y: Vec<f32> = (0..8000).map(|i| a * (2.0 * std::f32::consts::PI * f * i as f32 / SR as f32).sin()).collect();
        let f0 = yin().process(&y).unwrap();
        // interior frames (the zero-padded edges see a partial tone)
        for v in &f0[4..f0.len() - 4] {
            prop_assert!((v - f).abs() / f < 0.01, "{} vs {}", v, f);
        }
    }
}

#[test]
fn too_short_without_centering_is_a_typed_error() {
    let yin = Yin::new(
        &YinConfig::default()
            .sr(SR)
            .fmin(60.0)
            .fmax(800.0)
            .frame_length(1024)
            .center(false),
    )
    .unwrap();
    assert!(matches!(
        yin.process(&[0.5; 1000]),
        Err(Error::TooShort {
            expected: 1024,
            got: 1000,
            ..
        })
    ));
    assert_eq!(yin.process(&[0.5; 1024]).unwrap().len(), 1);
    let pyin = Pyin::new(
        &PyinConfig::default()
            .sr(SR)
            .fmin(60.0)
            .fmax(800.0)
            .frame_length(1024)
            .center(false),
    )
    .unwrap();
    assert!(matches!(
        pyin.process(&[0.5; 10]),
        Err(Error::TooShort { .. })
    ));
    // empty and non-finite input
    assert!(matches!(yin.process(&[]), Err(Error::EmptyInput { .. })));
    assert!(matches!(
        pyin.process(&[0.0, f32::INFINITY]),
        Err(Error::NonFinite { index: 1, .. })
    ));
    let eg = Egemaps::new(&EgemapsConfig::default()).unwrap();
    assert!(eg.process(&[]).is_err());
    assert!(Egemaps::new(&EgemapsConfig::default().sr(8000)).is_err());
}
