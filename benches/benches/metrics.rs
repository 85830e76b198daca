#![allow(clippy::unwrap_used, missing_docs)]
//! ser-metrics hot paths: confusion matrix and classification report over 1e6 predictions,
//! streaming accumulation, top-k / log loss, bootstrap CIs.
//!
//! `cargo bench -p ser-benches --bench metrics`

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_metrics::{
    bootstrap_ci, bootstrap_confusion_ci, classification_report, log_loss, top_k_accuracy_score,
    BootstrapOptions, ConfusionMatrix, ReportOptions, StreamingEvaluator,
};

const N: usize = 1_000_000;
const C: usize = 7;

fn data(n: usize, c: usize) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let yt: Vec<usize> = (0..n).map(|_| rng.gen_range(0..c)).collect();
    let yp: Vec<usize> = yt
        .iter()
        .map(|&t| {
            if rng.gen_bool(0.6) {
                t
            } else {
                rng.gen_range(0..c)
            }
        })
        .collect();
    let mut proba = Vec::with_capacity(n * c);
    for _ in 0..n {
        let row: Vec<f64> = (0..c).map(|_| rng.gen::<f64>()).collect();
        let s: f64 = row.iter().sum();
        proba.extend(row.iter().map(|v| v / s));
    }
    (yt, yp, proba)
}

fn bench(c: &mut Criterion) {
    let (yt, yp, proba) = data(N, C);
    let mut g = c.benchmark_group("metrics_1e6");
    g.sample_size(20);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("confusion_matrix", |b| {
        b.iter(|| {
            ConfusionMatrix::from_predictions(black_box(&yt), black_box(&yp), Some(C)).unwrap()
        })
    });
    g.bench_function("classification_report", |b| {
        b.iter(|| {
            classification_report(black_box(&yt), black_box(&yp), &ReportOptions::default())
                .unwrap()
                .to_text()
        })
    });
    g.bench_function("streaming_batches_4096_with_proba", |b| {
        b.iter_batched(
            || StreamingEvaluator::new(C).unwrap().with_top_k(vec![1, 2]),
            |mut ev| {
                for ((t, p), pr) in yt
                    .chunks(4096)
                    .zip(yp.chunks(4096))
                    .zip(proba.chunks(4096 * C))
                {
                    ev.add_batch(t, p, Some(pr)).unwrap();
                }
                ev.log_loss().unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("top_k_accuracy_k2", |b| {
        b.iter(|| top_k_accuracy_score(&yt, &proba, C, 2).unwrap())
    });
    g.bench_function("log_loss", |b| {
        b.iter(|| log_loss(&yt, &proba, C, true).unwrap())
    });
    g.finish();

    let n = 10_000;
    let (yt, yp) = (&yt[..n], &yp[..n]);
    let opts = BootstrapOptions::default().n_resamples(1000).seed(1);
    let mut g = c.benchmark_group("bootstrap_1e4_x1000");
    g.sample_size(10);
    g.bench_function("confusion_fast_path_UA", |b| {
        b.iter(|| {
            bootstrap_confusion_ci(yt, yp, C, &opts, |cm| cm.balanced_accuracy(false).unwrap())
                .unwrap()
        })
    });
    g.bench_function("generic_closure_UA", |b| {
        b.iter(|| {
            bootstrap_ci(n, &opts, |idx| {
                let t: Vec<usize> = idx.iter().map(|&i| yt[i]).collect();
                let p: Vec<usize> = idx.iter().map(|&i| yp[i]).collect();
                ser_metrics::balanced_accuracy_score(&t, &p, false).unwrap()
            })
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
