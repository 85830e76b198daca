//! Whisper-embedding models end to end with a small random encoder: spec → features →
//! training → model directory (encoder path relative to it) → `Recognizer`, the speech gate
//! and unsupervised adaptation.
#![allow(clippy::unwrap_used)]

use ser_models::ModelInput;
use std::path::Path;

use ser_models::{
    save_model_dir, train, FeaturePipeline, FeatureSpec, Labeled, ModelCard, Recipe, Recognizer,
    WhisperSpec,
};
use ser_whisper::{WhisperConfig, WhisperWeights};

fn speech() -> Vec<f32> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/speech.wav");
    ser_dsp::Audio::load(p, Some(16000)).unwrap().samples
}

#[test]
fn whisper_model_directory_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = WhisperConfig::encoder(80, 1500, 32, 2, 2);
    WhisperWeights::random(&cfg, 1)
        .unwrap()
        .save_encoder(
            tmp.path().join("enc"),
            ser_whisper::DType::F16,
            serde_json::Value::Null,
        )
        .unwrap();
    // The spec names the encoder relative to the model directory.
    let spec = FeatureSpec::Whisper(
        WhisperSpec::default()
            .model("../enc")
            .layers(1, 3)
            .width(32),
    );
    let model_dir = tmp.path().join("model");
    std::fs::create_dir_all(&model_dir).unwrap();
    let pipe = FeaturePipeline::new_in(&spec, Some(&model_dir)).unwrap();
    assert!(pipe.whisper().is_some());
    let x = speech();
    // Clips of different lengths and levels as "utterances" of two classes.
    let mut seqs = Vec::new();
    let mut y = Vec::new();
    for i in 0..8 {
        let n = 16000 + 2000 * i;
        let gain = if i % 2 == 0 { 0.2 } else { 1.0 };
        let clip: Vec<f32> = x[..n].iter().map(|v| v * gain).collect();
        let s = pipe.sequence(&clip, 16000).unwrap();
        assert_eq!((s.n_frames(), s.n_features()), (1, 64));
        seqs.push(s);
        y.push(i % 2);
    }
    let recipe = Recipe::linear_on(spec.clone(), 2, 1.0);
    let trained = train(
        &recipe.model,
        &recipe.train.clone().epochs(20),
        Labeled::new(&seqs, &y).unwrap(),
        None,
        None,
        |_| {},
    )
    .unwrap();
    let card = ModelCard::new(
        recipe.model.clone(),
        spec,
        vec!["soft".into(), "loud".into()],
    );
    save_model_dir(&model_dir, &card, &trained.params).unwrap();

    let mut rec = Recognizer::load(&model_dir).unwrap();
    assert_eq!(rec.card().features.encoder_name(), Some("../enc"));
    let p = rec.predict_samples(&x, 16000).unwrap();
    assert_eq!(p.probabilities.len(), 2);
    // The stream classifies with the recogniser's own pipeline (encoder path resolved
    // against the model directory, not the working directory): windows equal clip
    // predictions of the same samples.
    let tl = ser_models::streaming::timeline(&rec, &x, 16000, &ser_models::StreamConfig::default())
        .unwrap();
    let w = tl
        .iter()
        .find_map(|w| w.prediction.as_ref().map(|p| (w, p)))
        .unwrap();
    let direct = rec
        .predict_sequence(
            &pipe
                .sequence(&x[w.0.start_sample..w.0.end_sample], 16000)
                .unwrap(),
        )
        .unwrap();
    for (a, b) in w.1.probabilities.iter().zip(&direct.probabilities) {
        assert!((a.1 - b.1).abs() < 1e-5);
    }
    // Non-speech is reported, not classified.
    let tone: Vec<f32> = (0..32000).map(|i| 0.3 * (i as f32 * 0.1).sin()).collect();
    assert!(matches!(
        rec.predict_samples(&tone, 16000),
        Err(ser_models::Error::NoSpeech(_))
    ));
    // Adaptation replaces the input statistics and changes the probabilities.
    let before = rec.predict_sequence(&seqs[0]).unwrap();
    assert!(
        rec.adapt_sequences(&seqs[..1]).is_err(),
        "one clip is too few"
    );
    rec.adapt_sequences(&seqs[4..]).unwrap();
    let after = rec.predict_sequence(&seqs[0]).unwrap();
    assert_ne!(before.probabilities, after.probabilities);
}

#[test]
fn whisper_spec_errors() {
    // Missing encoder directory.
    let spec = FeatureSpec::Whisper(WhisperSpec::default().model("/nonexistent/encoder"));
    assert!(FeaturePipeline::new(&spec).is_err());
    // A spec that does not fit the encoder (width, layer range).
    let tmp = tempfile::tempdir().unwrap();
    let cfg = WhisperConfig::encoder(80, 1500, 32, 2, 2);
    WhisperWeights::random(&cfg, 1)
        .unwrap()
        .save_encoder(tmp.path(), ser_whisper::DType::F32, serde_json::Value::Null)
        .unwrap();
    let dir = tmp.path().to_string_lossy().to_string();
    for s in [
        WhisperSpec::default().model(&dir).width(64).layers(0, 3),
        WhisperSpec::default().model(&dir).width(32).layers(0, 4),
        WhisperSpec::default().model(&dir).width(32).layers(2, 2),
    ] {
        assert!(FeaturePipeline::new(&FeatureSpec::Whisper(s)).is_err());
    }
    // Too short a clip is an error, not a panic.
    let ok = FeaturePipeline::new(&FeatureSpec::Whisper(
        WhisperSpec::default().model(&dir).width(32).layers(0, 3),
    ))
    .unwrap();
    assert!(ok.sequence(&[0.1; 100], 16000).is_err());
}
