//! Streaming recognition: random chunking gives the batch path's results on the same
//! windows, the VAD gates silence, tails and short streams are handled, bad input errors.
#![allow(clippy::unwrap_used)]

use ser_models::ModelInput;
use std::path::Path;
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use ser_dsp::Audio;
use ser_models::streaming::{timeline, StreamConfig, StreamingRecognizer, VadConfig};
use ser_models::{
    fit_standardizer, init_model, save_model_dir, set_standardizer, Arch, ChaCha8Rng,
    FeaturePipeline, FeatureSpec, LogMelSpec, MfccSpec, ModelCard, Recognizer,
};

const LABELS: [&str; 4] = ["neutral", "happy", "sad", "angry"];

fn speech() -> Audio {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/speech.wav");
    Audio::load(p, None).unwrap()
}

/// An untrained but input-standardised model, so its outputs vary with the audio.
fn model(dir: &Path, arch: Arch, spec: FeatureSpec, fit_on: &[f32]) -> Recognizer {
    let cfg = arch.default_config(spec.n_features(), LABELS.len());
    let (_, params) = init_model(&cfg, 7).unwrap();
    let pipe = FeaturePipeline::new(&spec).unwrap();
    let seqs: Vec<_> = fit_on
        .chunks(8000)
        .filter(|c| c.len() == 8000)
        .map(|c| pipe.sequence(c, 16000).unwrap())
        .collect();
    let (mean, inv_std) = fit_standardizer(&seqs).unwrap();
    set_standardizer(&params, &mean, &inv_std).unwrap();
    let card = ModelCard::new(cfg, spec, LABELS.iter().map(|s| s.to_string()).collect());
    save_model_dir(dir, &card, &params).unwrap();
    // The stream gates windows with its own VAD; the batch path it is compared with must not
    // add the clip-level speech detector (it rejects the synthetic test signals).
    Recognizer::load(dir).unwrap().speech_gate(None).unwrap()
}

/// speech.wav, 1 s of silence, speech.wav again: 9.7 s at 16 kHz.
fn long_signal() -> Vec<f32> {
    let s = speech().samples;
    let mut v = s.clone();
    v.extend(std::iter::repeat_n(0.0, 16000));
    v.extend(&s);
    v
}

fn assert_matches_batch(rec: &Recognizer, samples: &[f32], sr: u32, cfg: &StreamConfig, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut stream = StreamingRecognizer::new(rec, sr, cfg.clone()).unwrap();
    let mut got = Vec::new();
    let mut i = 0;
    while i < samples.len() {
        // Chunk sizes from 0 (empty push) to a bit more than a window.
        let n = rng
            .gen_range(0..=(2 * sr as usize + 500))
            .min(samples.len() - i);
        got.extend(stream.push(&samples[i..i + n]).unwrap());
        i += n;
    }
    got.extend(stream.finish().unwrap());

    // Same windows as a single push of everything.
    let whole = timeline(rec, samples, sr, cfg).unwrap();
    assert_eq!(got.len(), whole.len());
    let win = (cfg.window_secs * sr as f32).round() as usize;
    let hop = (cfg.hop_secs * sr as f32).round() as usize;
    let n_full = (samples.len() - win) / hop + 1;
    assert!(
        got.len() == n_full || got.len() == n_full + 1,
        "{} windows",
        got.len()
    );
    let mut n_voiced = 0;
    for (k, (g, w)) in got.iter().zip(&whole).enumerate() {
        assert_eq!(g.index, k);
        assert_eq!(
            (g.start_sample, g.end_sample),
            (w.start_sample, w.end_sample)
        );
        if k < n_full {
            assert_eq!(g.start_sample, k * hop);
            assert_eq!(g.end_sample - g.start_sample, win);
        } else {
            assert_eq!(
                g.end_sample,
                samples.len(),
                "tail ends at the end of the stream"
            );
        }
        let x = &samples[g.start_sample..g.end_sample];
        assert_eq!(g.speech_ratio, cfg.vad.speech_ratio(x, sr));
        assert_eq!(g.prediction.is_some(), cfg.vad.is_speech(x, sr));
        if let Some(p) = &g.prediction {
            n_voiced += 1;
            // The batch path on the same samples.
            let b = rec.predict_samples(x, sr).unwrap();
            assert_eq!(p.label, b.label, "window {k}");
            for ((l1, p1), (l2, p2)) in p.probabilities.iter().zip(&b.probabilities) {
                assert_eq!(l1, l2);
                assert!((p1 - p2).abs() < 1e-5, "window {k} {l1}: {p1} vs {p2}");
            }
            let pw = w.prediction.as_ref().unwrap();
            for ((_, p1), (_, p2)) in p.probabilities.iter().zip(&pw.probabilities) {
                assert!((p1 - p2).abs() < 1e-5);
            }
        }
    }
    assert!(n_voiced > 0);
}

#[test]
fn random_chunks_equal_batch_path_mlp_logmel() {
    let dir = tempfile::tempdir().unwrap();
    let x = long_signal();
    let rec = model(
        dir.path(),
        Arch::Mlp,
        FeatureSpec::LogMel(LogMelSpec::default()),
        &x,
    );
    let cfg = StreamConfig::default();
    for seed in 0..3 {
        assert_matches_batch(&rec, &x, 16000, &cfg, seed);
    }
    // Other window / hop settings, including a hop that does not divide the window.
    let cfg = StreamConfig::default().window_secs(1.0).hop_secs(0.3);
    assert_matches_batch(&rec, &x, 16000, &cfg, 11);
}

#[test]
fn random_chunks_equal_batch_path_transformer_mfcc_resampled_input() {
    let dir = tempfile::tempdir().unwrap();
    let x = long_signal();
    let rec = model(
        dir.path(),
        Arch::Transformer,
        FeatureSpec::Mfcc(MfccSpec::default()),
        &x,
    );
    // Input at 22.05 kHz: windows are cut in input samples and resampled like the batch path.
    let x22 = Audio::new(x, 16000)
        .unwrap()
        .resample(22050)
        .unwrap()
        .samples;
    assert_matches_batch(&rec, &x22, 22050, &StreamConfig::default(), 5);
}

#[test]
fn silence_is_gated_and_vad_can_be_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let x = long_signal();
    let rec = model(
        dir.path(),
        Arch::Mlp,
        FeatureSpec::LogMel(LogMelSpec::default()),
        &x,
    );
    let silence = vec![0.0f32; 5 * 16000];
    let t = timeline(&rec, &silence, 16000, &StreamConfig::default()).unwrap();
    assert_eq!(t.len(), 7);
    assert!(t
        .iter()
        .all(|w| w.prediction.is_none() && w.speech_ratio == 0.0));

    // Low-level noise (-60 dBFS) is gated too.
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let noise: Vec<f32> = (0..5 * 16000)
        .map(|_| rng.gen_range(-0.0017..0.0017))
        .collect();
    let t = timeline(&rec, &noise, 16000, &StreamConfig::default()).unwrap();
    assert!(t.iter().all(|w| w.prediction.is_none()));

    let cfg = StreamConfig::default().vad(VadConfig::default().enabled(false));
    let t = timeline(&rec, &noise, 16000, &cfg).unwrap();
    assert!(t.iter().all(|w| w.prediction.is_some()));

    // Speech, then 3 s of silence: windows fully inside the silence are gated.
    let mut y = speech().samples;
    let n_speech = y.len();
    y.extend(std::iter::repeat_n(0.0, 3 * 16000));
    let t = timeline(&rec, &y, 16000, &StreamConfig::default()).unwrap();
    for w in &t {
        if w.start_sample >= n_speech {
            assert!(w.prediction.is_none(), "window at {} s", w.start);
        }
        if w.end_sample <= n_speech {
            assert!(w.prediction.is_some(), "window at {} s", w.start);
        }
    }
}

#[test]
fn short_streams_tails_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let x = long_signal();
    let rec = model(
        dir.path(),
        Arch::Mlp,
        FeatureSpec::LogMel(LogMelSpec::default()),
        &x,
    );
    let cfg = StreamConfig::default();

    // Shorter than a window: nothing until finish, then one window over everything.
    let mut s = StreamingRecognizer::new(&rec, 16000, cfg.clone()).unwrap();
    assert!(s.push(&x[..12000]).unwrap().is_empty());
    assert_eq!(s.samples_until_next(), 32000 - 12000);
    let t = s.finish().unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].start_sample, t[0].end_sample), (0, 12000));
    let b = rec.predict_samples(&x[..12000], 16000).unwrap();
    assert_eq!(t[0].prediction.as_ref().unwrap().label, b.label);
    // finish() reset the stream: time starts at 0 again.
    assert_eq!(s.samples_seen(), 0);

    // Below min_secs: nothing at all.
    assert!(s.push(&x[..1000]).unwrap().is_empty());
    assert!(s.finish().unwrap().is_empty());

    // Exactly one window: no tail.
    assert_eq!(s.push(&x[..32000]).unwrap().len(), 1);
    assert!(s.finish().unwrap().is_empty());

    // Tail switched off.
    // 2.75 s: full windows at 0 and 0.5 s, then a tail over the last 2 s.
    let t = timeline(&rec, &x[..44000], 16000, &cfg.clone().flush_tail(false)).unwrap();
    assert_eq!(t.len(), 2);
    let t = timeline(&rec, &x[..44000], 16000, &cfg).unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!((t[2].start_sample, t[2].end_sample), (12000, 44000));
    // 2.5 s: the two full windows end exactly at the end, no tail.
    assert_eq!(timeline(&rec, &x[..40000], 16000, &cfg).unwrap().len(), 2);

    // reset() in the middle.
    assert!(s.push(&x[..20000]).unwrap().is_empty());
    s.reset();
    assert!(s.push(&x[..20000]).unwrap().is_empty());
    assert_eq!(s.push(&x[20000..32000]).unwrap()[0].start_sample, 0);
}

#[test]
fn bad_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let x = long_signal();
    let rec = model(
        dir.path(),
        Arch::Mlp,
        FeatureSpec::LogMel(LogMelSpec::default()),
        &x,
    );
    let mut s = StreamingRecognizer::new(&rec, 16000, StreamConfig::default()).unwrap();
    s.push(&x[..100]).unwrap();
    let mut bad = x[..30000].to_vec();
    bad[17] = f32::NAN;
    assert!(s.push(&bad).is_err());
    assert_eq!(s.samples_seen(), 100, "a rejected chunk is not appended");
    assert!(StreamingRecognizer::new(&rec, 0, StreamConfig::default()).is_err());
    assert!(StreamingRecognizer::new(&rec, 16000, StreamConfig::default().hop_secs(0.0)).is_err());
    assert!(StreamingRecognizer::new(&rec, 10, StreamConfig::default().hop_secs(0.01)).is_err());

    // A model that takes precomputed features cannot stream audio.
    let dir2 = tempfile::tempdir().unwrap();
    let spec = FeatureSpec::Precomputed { n_features: 8 };
    let cfg = Arch::Mlp.default_config(8, 2);
    let (_, params) = init_model(&cfg, 0).unwrap();
    let card = ModelCard::new(cfg, spec, vec!["a".into(), "b".into()]);
    save_model_dir(dir2.path(), &card, &params).unwrap();
    let pre = Recognizer::load(dir2.path()).unwrap();
    assert!(StreamingRecognizer::new(&pre, 16000, StreamConfig::default()).is_err());
}

#[test]
fn arc_stream_moves_to_a_thread() {
    let dir = tempfile::tempdir().unwrap();
    let x = long_signal();
    let rec = Arc::new(model(
        dir.path(),
        Arch::Mlp,
        FeatureSpec::LogMel(LogMelSpec::default()),
        &x,
    ));
    let mut s = StreamingRecognizer::new(Arc::clone(&rec), 16000, StreamConfig::default()).unwrap();
    let y = x.clone();
    let n = std::thread::spawn(move || {
        let mut n = s.push(&y).unwrap().len();
        n += s.finish().unwrap().len();
        n
    })
    .join()
    .unwrap();
    assert_eq!(
        n,
        timeline(&rec, &x, 16000, &StreamConfig::default())
            .unwrap()
            .len()
    );
}
