//! ser-dsp hot paths on 10 s of 16 kHz audio: STFT (complex and power) and mel spectrograms.
//!
//! Parameters (shared with `scripts/dsp_vs_librosa.py`): `n_fft = 512`, `hop_length = 160`,
//! Hann window, `center = true`, constant padding; mel: `n_mels` 64 and 128, Slaney scale and
//! norm, `power = 2`. Plans, scratch and output buffers are built outside the timed loop.
//!
//! Run: `cargo bench -p ser-benches --bench dsp`
#![allow(clippy::unwrap_used)]
#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ser_dsp::{Complex32, MelSpectrogram, MelSpectrogramConfig, Stft, StftConfig};

const SR: u32 = 16_000;
const N_FFT: usize = 512;
const HOP: usize = 160;

fn ten_seconds() -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..10 * SR as usize)
        .map(|i| 0.3 * (i as f32 * 0.05).sin() + rng.gen_range(-0.1f32..0.1))
        .collect()
}

fn bench_dsp(c: &mut Criterion) {
    let x = ten_seconds();
    let mut g = c.benchmark_group("dsp");
    g.sample_size(50);

    let stft = Stft::new(&StftConfig::default().n_fft(N_FFT).hop_length(HOP)).unwrap();
    let n_frames = stft.n_frames(x.len());
    let mut scratch = stft.make_scratch();
    let mut cplx = Array2::<Complex32>::zeros((stft.n_bins(), n_frames));
    g.bench_function("stft_complex_10s_16k_nfft512_hop160", |b| {
        b.iter(|| {
            stft.process_into(black_box(&x), &mut cplx, &mut scratch)
                .unwrap();
        })
    });
    let mut pow = Array2::<f32>::zeros((stft.n_bins(), n_frames));
    g.bench_function("stft_power_10s_16k_nfft512_hop160", |b| {
        b.iter(|| {
            stft.spectrogram_into(black_box(&x), 2.0, &mut pow, &mut scratch)
                .unwrap();
        })
    });

    for n_mels in [64usize, 128] {
        let cfg = MelSpectrogramConfig::default()
            .sr(SR)
            .n_fft(N_FFT)
            .hop_length(HOP)
            .n_mels(n_mels);
        let plan = MelSpectrogram::new(&cfg).unwrap();
        let mut scratch = plan.make_scratch();
        let mut out = Array2::<f32>::zeros((n_mels, plan.n_frames(x.len())));
        g.bench_function(format!("melspec{n_mels}_10s_16k_nfft512_hop160"), |b| {
            b.iter(|| {
                plan.process_into(black_box(&x), &mut out, &mut scratch)
                    .unwrap();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_dsp);
criterion_main!(benches);
