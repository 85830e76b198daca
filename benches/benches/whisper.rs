//! ser-whisper: the Whisper-base audio encoder (all hidden states, real length) on 3 s and
//! 10 s of speech, and Whisper's log-mel front end on the same clips.
//!
//! Clips: the first 3 s of `assets/speech.wav`, and the file three times back to back cut
//! to 10 s (as `scripts/whisper_speed.py`). Weights: `models/whisper-base-encoder`, or the
//! directory in `$SER_WHISPER_MODEL`; without them the bench prints `SKIPPED:` and exits.
//! Threads: `RAYON_NUM_THREADS` (Candle's gemm and rayon pool; all cores when unset).
//! The model is loaded and the log-mel computed outside the timed loop.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ser_dsp::Audio;
use ser_whisper::Whisper;

fn model_dir() -> PathBuf {
    std::env::var("SER_WHISPER_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../models/whisper-base-encoder"
            ))
        })
}

/// `(name, samples)`: 3 s and 10 s of 16 kHz speech.
fn clips() -> Vec<(&'static str, Vec<f32>)> {
    let a = Audio::load(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav"),
        None,
    )
    .unwrap();
    assert_eq!(a.sample_rate, 16000);
    let long: Vec<f32> = a.samples.iter().cycle().take(160_000).copied().collect();
    vec![("3s", a.samples[..48_000].to_vec()), ("10s", long)]
}

fn bench_whisper(c: &mut Criterion) {
    let dir = model_dir();
    if !dir.join("model.safetensors").is_file() && !dir.join("model.bin").is_file() {
        println!(
            "SKIPPED: no Whisper weights in {} (models/whisper-base-encoder or $SER_WHISPER_MODEL)",
            dir.display()
        );
        return;
    }
    let whisper = Whisper::load(&dir).unwrap();
    let mut g = c.benchmark_group("whisper_base");
    g.sample_size(10);
    for (name, x) in clips() {
        let mel = whisper.log_mel().compute(&x).unwrap();
        whisper.encoder().forward_mel(mel.view()).unwrap();
        g.bench_with_input(BenchmarkId::new("encoder", name), &mel, |b, mel| {
            b.iter(|| whisper.encoder().forward_mel(mel.view()).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("log_mel", name), &x, |b, x| {
            b.iter(|| whisper.log_mel().compute(x).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench_whisper);
criterion_main!(benches);
