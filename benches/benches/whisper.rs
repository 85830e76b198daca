//! ser-whisper: the Whisper-base audio encoder (all hidden states, real length) on 3 s and
//! 10 s of speech, and Whisper's log-mel front end on the same clips.
//!
//! Clips: the first 3 s of `assets/speech.wav`, and the file three times back to back cut
//! to 10 s (as `scripts/whisper_speed.py`). Weights: `models/whisper-base-encoder`, or the
//! directory in `$SER_WHISPER_MODEL`; without them the bench prints `SKIPPED:` and exits.
//! Threads: `RAYON_NUM_THREADS` (Candle's gemm and rayon pool; all cores when unset).
//! The model is loaded and the log-mel computed outside the timed loop.
//!
//! `whisper_base_decoder/step`: one KV-cached decoder step of the full Whisper-base
//! checkpoint (`models/whisper-base`, `scripts/fetch_whisper.sh base`, or
//! `$SER_WHISPER_FULL_MODEL`) after a 24-token prefix, for 1 sequence (greedy) and 5 (beam
//! search), against the cross-attention keys / values of a 30 s window (1500 encoder
//! frames, faster-whisper's padded input) and of 3 s (150 frames, real length). The
//! cache is cloned (reference-counted tensors, no copy) inside the timed loop.
#![allow(clippy::unwrap_used, missing_docs)]

use std::path::PathBuf;

use candle_core::{DType, Device, Tensor};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ser_dsp::Audio;
use ser_whisper::{TextDecoder, Whisper, WhisperWeights};

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

fn bench_decoder(c: &mut Criterion) {
    let dir = std::env::var("SER_WHISPER_FULL_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../models/whisper-base"
            ))
        });
    if !dir.join("model.bin").is_file() {
        println!(
            "SKIPPED: no full Whisper checkpoint in {} (scripts/fetch_whisper.sh base)",
            dir.display()
        );
        return;
    }
    let w = WhisperWeights::load(&dir).unwrap();
    let dec = TextDecoder::from_weights(&w).unwrap();
    let d = w.config.n_text_state;
    let mut g = c.benchmark_group("whisper_base_decoder");
    g.sample_size(20);
    // sot, en, transcribe, <|0.00|>, then text tokens.
    let prefix: Vec<u32> = [50258, 50259, 50359, 50364]
        .into_iter()
        .chain((0..20).map(|i| 400 + 37 * i))
        .collect();
    for frames in [1500usize, 150] {
        let audio: Vec<f32> = (0..frames * d).map(|i| (i as f32 * 0.01).sin()).collect();
        let audio = Tensor::from_vec(audio, (frames, d), &Device::Cpu).unwrap();
        let cross = dec.cross_kv(&audio.to_dtype(DType::F32).unwrap()).unwrap();
        for beams in [1usize, 5] {
            let mut cache = dec.new_cache();
            dec.forward(&prefix, 1, &mut cache, &cross).unwrap();
            cache.reorder(&vec![0; beams]).unwrap();
            let step: Vec<u32> = (0..beams as u32).map(|b| 1000 + b).collect();
            let id = format!("{frames}frames_batch{beams}");
            g.bench_function(BenchmarkId::new("step", id), |b| {
                b.iter(|| {
                    let mut c = cache.clone();
                    dec.forward(&step, beams, &mut c, &cross).unwrap()
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_whisper, bench_decoder);
criterion_main!(benches);
