//! Streaming == batch (bit for bit) for random signals, configurations and chunkings, plus
//! invariants of the batch extractor.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use ser_dsp::PadMode;
use ser_features::{Error, FeatureConfig, FeatureExtractor, FeatureKind, FrameFeatures};

fn signal(seed: u64, n: usize) -> Vec<f32> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let f = rng.gen_range(0.005_f32..0.2);
    (0..n)
        .map(|i| 0.4 * (i as f32 * f).sin() + rng.gen_range(-0.1_f32..0.1))
        .collect()
}

fn all_kinds() -> Vec<FeatureKind> {
    FeatureKind::ALL.to_vec()
}

fn stream(
    plan: &FeatureExtractor,
    kinds: &[FeatureKind],
    y: &[f32],
    cuts: &[usize],
) -> Result<FrameFeatures, Error> {
    let mut s = plan.streaming(kinds)?;
    let mut out = FrameFeatures::default();
    let mut pos = 0;
    let mut i = 0;
    while pos < y.len() {
        let len = cuts[i % cuts.len()].min(y.len() - pos);
        let chunk = s.push(&y[pos..pos + len])?;
        out.append(chunk)?;
        pos += len;
        i += 1;
        // Empty pushes are allowed anywhere.
        out.append(s.push(&[])?)?;
    }
    out.append(s.finish()?)?;
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn streaming_equals_batch(
        seed in any::<u64>(),
        n in 1_usize..5000,
        n_fft_pow in 7_u32..10,
        hop_div in prop::sample::select(vec![2_usize, 3, 4, 5]),
        center in any::<bool>(),
        reflect in any::<bool>(),
        cuts in prop::collection::vec(1_usize..1500, 1..6),
    ) {
        let n_fft = 1 << n_fft_pow;
        let mut cfg = FeatureConfig::default()
            .sr(16000)
            .n_fft(n_fft)
            .hop_length(n_fft / hop_div)
            .n_mels(32)
            .n_mfcc(12)
            .contrast_fmin(300.0)
            .contrast_n_bands(4)
            .center(center)
            .pad_mode(if reflect { PadMode::Reflect } else { PadMode::Constant })
            .top_db(None);
        cfg.delta_width = 5;
        let plan = FeatureExtractor::new(&cfg).unwrap();
        let y = signal(seed, n);
        let kinds = all_kinds();
        match plan.extract(&y, &kinds) {
            Ok(batch) => {
                let streamed = stream(&plan, &kinds, &y, &cuts).unwrap();
                prop_assert_eq!(streamed.n_frames(), batch.n_frames());
                prop_assert_eq!(streamed, batch);
            }
            Err(_) => {
                // Too short for the batch path (deltas / center = false): the stream must fail too.
                prop_assert!(stream(&plan, &kinds, &y, &cuts).is_err());
            }
        }
        // Without deltas, any non-empty signal long enough for one frame works.
        let no_delta: Vec<FeatureKind> = kinds
            .iter()
            .copied()
            .filter(|k| !matches!(k, FeatureKind::MfccDelta | FeatureKind::MfccDelta2))
            .collect();
        if let Ok(batch) = plan.extract(&y, &no_delta) {
            prop_assert_eq!(stream(&plan, &no_delta, &y, &cuts).unwrap(), batch);
        }
    }

    #[test]
    fn no_nan_for_silence_or_tiny_signals(n in 4096_usize..9000, level in prop::sample::select(vec![0.0_f32, 1e-30, 1e-12, 1e-6])) {
        let plan = FeatureExtractor::new(&FeatureConfig::default().sr(16000)).unwrap();
        let y = vec![level; n];
        let f = plan.extract(&y, &all_kinds()).unwrap();
        for (k, a) in f.iter() {
            prop_assert!(a.iter().all(|v| v.is_finite()), "{} has non-finite values", k.name());
        }
    }
}

#[test]
fn streaming_rejects_top_db_and_bad_input() {
    let plan = FeatureExtractor::new(&FeatureConfig::default().sr(16000)).unwrap();
    assert!(matches!(
        plan.streaming(&[FeatureKind::Mfcc]),
        Err(Error::Unsupported(_))
    ));
    // Features that do not depend on top_db stream fine with the default config.
    let mut s = plan
        .streaming(&[FeatureKind::Rms, FeatureKind::Centroid])
        .unwrap();
    assert!(matches!(
        s.push(&[0.0, f32::NAN]),
        Err(Error::NonFinite { index: 1, .. })
    ));
    assert!(matches!(s.finish(), Err(Error::EmptyInput { .. })));
    s.reset();
    s.push(&[0.1; 100]).unwrap();
    let f = s.finish().unwrap();
    assert_eq!(f.n_frames(), 1);
    assert!(s.push(&[0.0]).is_err());
}

#[test]
fn batch_rejects_bad_input() {
    let plan = FeatureExtractor::new(&FeatureConfig::default().sr(16000)).unwrap();
    assert!(matches!(plan.mfcc(&[]), Err(Error::EmptyInput { .. })));
    assert!(matches!(
        plan.extract(&[0.0, f32::INFINITY], &[FeatureKind::Rms]),
        Err(Error::NonFinite { index: 1, .. })
    ));
    // Fewer frames than the delta width.
    assert!(matches!(
        plan.extract(&[0.1; 1000], &[FeatureKind::MfccDelta]),
        Err(Error::TooShort { .. })
    ));
    let audio = ser_dsp::Audio::new(vec![0.0; 4000], 8000).unwrap();
    assert!(matches!(
        plan.extract_audio(&audio, &[FeatureKind::Rms]),
        Err(Error::SampleRate {
            expected: 16000,
            got: 8000
        })
    ));
    // Contrast bands above Nyquist: only an error when contrast is requested.
    let low = FeatureExtractor::new(&FeatureConfig::default().sr(8000)).unwrap();
    assert!(low.extract(&[0.1; 8000], &[FeatureKind::Contrast]).is_err());
    assert!(low.extract(&[0.1; 8000], &[FeatureKind::Centroid]).is_ok());
}

#[test]
fn mfcc_into_reuses_buffers_and_matches() {
    let plan = FeatureExtractor::new(&FeatureConfig::default().sr(16000)).unwrap();
    let mut scratch = plan.make_scratch();
    for seed in 0..3 {
        let y = signal(seed, 16000 + 1000 * seed as usize);
        let mut out = ndarray::Array2::zeros((20, plan.n_frames(y.len())));
        plan.mfcc_into(&y, &mut out, &mut scratch).unwrap();
        assert_eq!(out, plan.mfcc(&y).unwrap());
        let wrong = &mut ndarray::Array2::zeros((20, 3));
        assert!(plan.mfcc_into(&y, wrong, &mut scratch).is_err());
    }
}

#[test]
fn plans_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<FeatureExtractor>();
    assert_send_sync::<ser_features::StreamingExtractor>();
    assert_send_sync::<ser_features::compare::CompareSet>();
}
