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

criterion_group!(benches, bench_models);
criterion_main!(benches);
