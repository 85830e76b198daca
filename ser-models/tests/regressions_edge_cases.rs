//! Edge-case audio through the whole inference path (issue 10): one sample, shorter than a
//! frame, silence, clipping, DC offset, and long streams through the
//! [`StreamingRecognizer`] fed in chunks (the 1 h run is `#[ignore]`d; it is measured in
//! release with peak RSS by `scripts/fuzz_rss_1h.sh`).
#![allow(clippy::unwrap_used)]

use ser_models::streaming::{StreamConfig, StreamingRecognizer};
use ser_models::{
    init_model, save_model_dir, CnnConfig, Error, FeatureSpec, FunctionalsSpec, LogMelSpec,
    MfccSpec, MlpConfig, ModelCard, ModelConfig, Recognizer, TransformerConfig,
};

const SR: u32 = 16_000;
const LABELS: [&str; 4] = ["neutral", "happy", "sad", "angry"];

fn recognizer(model: ModelConfig, features: FeatureSpec) -> (tempfile::TempDir, Recognizer) {
    let dir = tempfile::tempdir().unwrap();
    let (_, params) = init_model(&model, 3).unwrap();
    let card = ModelCard::new(
        model,
        features,
        LABELS.iter().map(|s| s.to_string()).collect(),
    );
    save_model_dir(dir.path(), &card, &params).unwrap();
    let rec = Recognizer::load(dir.path()).unwrap();
    (dir, rec)
}

/// A small model for each feature front end.
fn recognizers() -> Vec<(&'static str, tempfile::TempDir, Recognizer)> {
    let mut mel = LogMelSpec::default();
    mel.n_mels = 24;
    let mut mfcc = MfccSpec::default();
    mfcc.n_mfcc = 6;
    let egemaps = FunctionalsSpec::default();
    let mut v = Vec::new();
    let (d, r) = recognizer(
        ModelConfig::Cnn(
            CnnConfig::default()
                .n_features(24)
                .n_classes(4)
                .channels(vec![4, 8]),
        ),
        FeatureSpec::LogMel(mel),
    );
    v.push(("cnn/log-mel", d, r));
    let (d, r) = recognizer(
        ModelConfig::Transformer(
            TransformerConfig::default()
                .n_features(12)
                .n_classes(4)
                .d_model(8)
                .n_heads(2)
                .n_layers(1)
                .ff_dim(16),
        ),
        FeatureSpec::Mfcc(mfcc),
    );
    v.push(("transformer/mfcc", d, r));
    let (d, r) = recognizer(
        ModelConfig::Mlp(
            MlpConfig::default()
                .n_features(88)
                .n_classes(4)
                .hidden(vec![8]),
        ),
        FeatureSpec::Functionals(egemaps),
    );
    v.push(("mlp/egemaps", d, r));
    v
}

fn tone(n: usize, f: f32) -> Vec<f32> {
    (0..n)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * f * i as f32 / SR as f32).sin())
        .collect()
}

fn edge_signals() -> Vec<(&'static str, Vec<f32>)> {
    let n = SR as usize;
    vec![
        ("one sample", vec![0.25]),
        ("shorter than a frame", tone(200, 200.0)),
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
        ("full-scale constant", vec![1.0; n]),
    ]
}

/// Every edge signal gives a normalised, finite prediction or a typed error (never a
/// panic); with the speech gate off, one second or more of any of them is always
/// classified, and with the gate on (the default) none of them is speech.
#[test]
fn recognizers_on_edge_signals() {
    for (name, _dir, rec) in recognizers() {
        for (what, x) in edge_signals() {
            match rec.predict_samples(&x, SR) {
                Err(ser_models::Error::NoSpeech(d)) => {
                    assert!(!d.is_speech, "{name} {what}");
                }
                other => panic!("{name} {what}: expected no speech, got {other:?}"),
            }
        }
        let rec = rec.speech_gate(None).unwrap();
        for (what, x) in edge_signals() {
            match rec.predict_samples(&x, SR) {
                Ok(p) => {
                    let s: f32 = p.probabilities.iter().map(|(_, v)| v).sum();
                    assert!((s - 1.0).abs() < 1e-4, "{name} {what}: sum {s}");
                    assert!(
                        p.probabilities.iter().all(|(_, v)| v.is_finite()),
                        "{name} {what}"
                    );
                }
                Err(e) => {
                    assert!(
                        x.len() < SR as usize,
                        "{name} {what}: 1 s must classify: {e}"
                    );
                    assert!(!e.to_string().is_empty());
                }
            }
        }
        // Other sample rates are resampled; bad input is a typed error.
        assert!(
            rec.predict_samples(&tone(22_050, 200.0), 22_050).is_ok(),
            "{name}"
        );
        assert!(rec.predict_samples(&[], SR).is_err(), "{name}: empty");
        assert!(
            rec.predict_samples(&[0.0, f32::NAN, 0.0], SR).is_err(),
            "{name}: NaN"
        );
        assert!(
            rec.predict_samples(&tone(100, 1.0), 0).is_err(),
            "{name}: sr 0"
        );
    }
}

/// Streams `secs` of synthetic "speech" (tone bursts and pauses, generated chunk by chunk)
/// through a streaming recogniser; returns (windows, classified windows).
fn stream(rec: &Recognizer, secs: usize, chunk: usize) -> (usize, usize) {
    let mut s = StreamingRecognizer::new(rec, SR, StreamConfig::default()).unwrap();
    let total = secs * SR as usize;
    let mut buf = vec![0f32; chunk];
    let (mut windows, mut classified, mut i) = (0, 0, 0usize);
    let mut last_end = 0usize;
    while i < total {
        let n = chunk.min(total - i);
        for (j, v) in buf[..n].iter_mut().enumerate() {
            let t = (i + j) as f32 / SR as f32;
            let on = (t % 5.0) < 3.5;
            let f0 = 110.0 + 80.0 * ((t * 0.7).sin() + 1.0);
            *v = if on {
                0.3 * (2.0 * std::f32::consts::PI * f0 * t).sin()
            } else {
                0.0
            };
        }
        for w in s.push(&buf[..n]).unwrap() {
            assert!(w.start_sample >= last_end.saturating_sub(s.window_len()));
            last_end = w.end_sample;
            windows += 1;
            classified += usize::from(w.prediction.is_some());
        }
        i += n;
        assert_eq!(s.samples_seen(), i);
    }
    let tail = s.finish().unwrap();
    windows += tail.len();
    (windows, classified)
}

#[test]
fn streaming_forty_seconds_in_chunks() {
    let recs = recognizers();
    let (_, _, rec) = &recs[0];
    let (windows, classified) = stream(rec, 40, 1600);
    // 2 s windows every 0.5 s over 40 s: 77 full windows (+ possibly a tail).
    assert!((77..=78).contains(&windows), "{windows}");
    assert!(classified > windows / 2, "VAD: {classified}/{windows}");
}

/// One hour fed in 100 ms chunks (release; `scripts/fuzz_rss_1h.sh` reports peak RSS).
#[test]
#[ignore]
fn streaming_one_hour_in_chunks() {
    let recs = recognizers();
    let (_, _, rec) = &recs[0];
    let t0 = std::time::Instant::now();
    let (windows, classified) = stream(rec, 3600, 1600);
    eprintln!(
        "1 h streamed: {windows} windows ({classified} classified) in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    assert!(windows >= 7197);
}

#[test]
fn streaming_rejects_bad_config_and_samples() {
    let recs = recognizers();
    let (_, _, rec) = &recs[0];
    assert!(StreamingRecognizer::new(rec, 0, StreamConfig::default()).is_err());
    assert!(
        StreamingRecognizer::new(rec, SR, StreamConfig::default().window_secs(f32::NAN)).is_err()
    );
    assert!(StreamingRecognizer::new(rec, SR, StreamConfig::default().hop_secs(0.0)).is_err());
    // 1 Hz input: 2-sample windows, each resampled to the model rate; typed result only.
    let mut tiny = StreamingRecognizer::new(rec, 1, StreamConfig::default()).unwrap();
    for w in tiny.push(&[0.1, -0.2, 0.3, 0.0, 0.5]).unwrap_or_default() {
        assert!(w.end_sample - w.start_sample == 2);
    }
    let mut s = StreamingRecognizer::new(rec, SR, StreamConfig::default()).unwrap();
    assert!(matches!(
        s.push(&[0.0, f32::INFINITY]),
        Err(Error::NonFinite(_))
    ));
    assert_eq!(s.samples_seen(), 0, "a rejected chunk is not appended");
    assert!(s.push(&[]).unwrap().is_empty());
    // A stream shorter than min_secs gives nothing, not an error.
    s.push(&tone(100, 200.0)).unwrap();
    assert!(s.finish().unwrap().is_empty());
}
