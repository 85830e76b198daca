//! ser-models: inference (forward pass on one 3 s utterance) and one training step (batch of
//! 32 utterances of 2 s) for every architecture with its default recipe sizes.
#![allow(clippy::unwrap_used, missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_models::{init_model, Arch, Batch, Recipe, Sequence, TrainConfig};

fn seq(rng: &mut ChaCha8Rng, frames: usize, features: usize) -> Sequence {
    let v = (0..frames * features)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    Sequence::new(v, frames, features).unwrap()
}

/// Frames per second of the recipe's input (1 for utterance functionals).
fn frames_for(recipe: &Recipe, secs: f64) -> usize {
    match &recipe.features {
        ser_models::FeatureSpec::LogMel(s) => {
            (secs * s.sr as f64 / s.hop_length as f64) as usize + 1
        }
        ser_models::FeatureSpec::Mfcc(s) => (secs * s.sr as f64 / s.hop_length as f64) as usize + 1,
        _ => 1,
    }
}

fn bench_models(c: &mut Criterion) {
    let mut g = c.benchmark_group("models");
    g.sample_size(10);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for arch in Arch::ALL {
        let recipe = Recipe::default_for(arch, 7);
        let f = recipe.features.n_features();
        let (model, _) = init_model(&recipe.model, 0).unwrap();
        let one = seq(&mut rng, frames_for(&recipe, 3.0), f);
        let batch = Batch::from_sequences(&[&one], 1).unwrap();
        g.bench_with_input(
            BenchmarkId::new("infer_3s", arch.name()),
            &batch,
            |b, batch| b.iter(|| model.forward_t(batch, false).unwrap()),
        );
        let xs: Vec<Sequence> = (0..32)
            .map(|_| seq(&mut rng, frames_for(&recipe, 2.0), f))
            .collect();
        let ys: Vec<usize> = (0..32).map(|i| i % 7).collect();
        let tcfg = TrainConfig::default().epochs(1).batch_size(32).seed(0);
        let data = ser_models::Labeled::new(&xs, &ys).unwrap();
        g.bench_function(BenchmarkId::new("train_step_32x2s", arch.name()), |b| {
            b.iter(|| ser_models::train(&recipe.model, &tcfg, data, None, None, |_| {}).unwrap())
        });
    }
    g.finish();
}

/// Streaming recognition's feature cost on 9.7 s of speech (speech.wav, 1 s silence,
/// speech.wav) with the LSTM recipe's MFCC + Δ input: `StreamingRecognizer` recomputes each
/// 2 s window every 0.5 s through `FeaturePipeline` (4× redundant frames); the alternative is
/// `StreamingExtractor`, every frame once from 0.5 s chunks (with `top_db = None`, the only
/// setting it can stream, so not the numbers the model was trained on); beside them the full
/// `StreamingRecognizer` (untrained LSTM, VAD on) and the LSTM's forward passes alone.
fn bench_streaming(c: &mut Criterion) {
    use ser_models::streaming::{StreamConfig, StreamingRecognizer};
    use ser_models::{save_model_dir, FeaturePipeline, ModelCard, Recognizer};
    let speech = ser_dsp::Audio::load(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav"),
        Some(16_000),
    )
    .unwrap()
    .samples;
    let mut y = speech.clone();
    y.extend(std::iter::repeat_n(0.0, 16_000));
    y.extend(&speech);
    let recipe = Recipe::default_for(Arch::Lstm, 4);
    let pipe = FeaturePipeline::new(&recipe.features).unwrap();
    let (win, hop) = (32_000, 8_000);
    let mut g = c.benchmark_group("streaming_9.7s");
    g.sample_size(10);
    g.bench_function("windowed_pipeline_2s_every_0.5s", |b| {
        b.iter(|| {
            let mut start = 0;
            while start + win <= y.len() {
                pipe.matrix(&y[start..start + win]).unwrap();
                start += hop;
            }
        })
    });
    let ser_models::FeatureSpec::Mfcc(m) = &recipe.features else {
        panic!("the LSTM recipe reads MFCC")
    };
    // Streaming MFCC cannot clip at top_db relative to a maximum it has not seen yet; cost
    // only — its values differ from the per-window ones the model needs.
    let plan = ser_features::FeatureExtractor::new(&m.feature_config().top_db(None)).unwrap();
    let kinds = [
        ser_features::FeatureKind::Mfcc,
        ser_features::FeatureKind::MfccDelta,
    ];
    g.bench_function("streaming_extractor_0.5s_chunks", |b| {
        b.iter(|| {
            let mut s = plan.streaming(&kinds).unwrap();
            for chunk in y.chunks(hop) {
                s.push(chunk).unwrap();
            }
            s.finish().unwrap()
        })
    });
    let dir = std::env::temp_dir().join(format!("ser-bench-stream-{}", std::process::id()));
    let (_, params) = init_model(&recipe.model, 0).unwrap();
    let labels = ["neutral", "happy", "sad", "angry"]
        .map(String::from)
        .to_vec();
    let card = ModelCard::new(recipe.model.clone(), recipe.features.clone(), labels);
    save_model_dir(&dir, &card, &params).unwrap();
    let rec = Recognizer::load(&dir).unwrap().speech_gate(None).unwrap();
    g.bench_function("streaming_recognizer_total", |b| {
        b.iter(|| {
            let mut s = StreamingRecognizer::new(&rec, 16_000, StreamConfig::default()).unwrap();
            for chunk in y.chunks(hop) {
                s.push(chunk).unwrap();
            }
            s.finish().unwrap()
        })
    });
    g.finish();
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench_models, bench_streaming);
criterion_main!(benches);
