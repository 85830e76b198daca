//! Hardening of `ser-dsp` on untrusted input (issue 10).
//!
//! * Replays every input saved under `tests/fixtures/regressions/<target>/` (crashes found
//!   by `cargo fuzz`, see `fuzz/README.md`, plus hand-made seeds) through the same entry
//!   points the fuzz targets call (`tests/regressions/*.rs`).
//! * A CI-bounded proptest harness per target: random bytes and mutated valid files.
//! * Edge cases: one-sample, shorter-than-a-frame, silent, clipped, DC-offset audio.
#![allow(clippy::unwrap_used)]

#[path = "regressions/audio_from_bytes.rs"]
mod audio_from_bytes;
#[path = "regressions/bytes.rs"]
mod bytes;
#[path = "regressions/dsp_transforms.rs"]
mod dsp_transforms;

use proptest::prelude::*;
use ser_dsp::{
    power_to_db, Audio, DbConfig, Error, MelSpectrogram, MelSpectrogramConfig, Stft, StftConfig,
};
use std::path::{Path, PathBuf};

fn fixture_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/regressions")
        .join(target)
}

/// Runs `run` on every file of the target's regression folder; returns how many ran.
fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = fixture_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let name = f.display().to_string();
        let r = std::panic::catch_unwind(|| run(&data));
        assert!(r.is_ok(), "regression input {name} panics again");
    }
    files.len()
}

#[test]
fn replay_audio_from_bytes_inputs() {
    assert!(replay("audio_from_bytes", audio_from_bytes::run) > 0);
}

#[test]
fn replay_dsp_transforms_inputs() {
    assert!(replay("dsp_transforms", dsp_transforms::run) > 0);
}

/// A small valid WAV in memory.
fn wav_bytes(samples: &[i16], sr: u32, channels: u16) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: sr,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cur = std::io::Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
        for &s in samples {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
    }
    cur.into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn audio_from_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        audio_from_bytes::run(&data);
    }

    /// Valid WAVs with bytes overwritten and the tail cut: the decoder's error paths.
    #[test]
    fn audio_from_mutated_wav(
        samples in proptest::collection::vec(any::<i16>(), 0..200),
        channels in 1u16..3,
        edits in proptest::collection::vec((0usize..300, any::<u8>()), 0..6),
        cut in 0usize..500,
    ) {
        let n = samples.len() / channels as usize * channels as usize;
        let mut data = wav_bytes(&samples[..n], 16_000, channels);
        for (i, v) in edits {
            if let Some(b) = data.get_mut(i) {
                *b = v;
            }
        }
        data.truncate(data.len().saturating_sub(cut % (data.len() + 1)));
        audio_from_bytes::run(&data);
    }

    #[test]
    fn dsp_transforms_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        dsp_transforms::run(&data);
    }
}

#[test]
fn wav_header_only_and_zero_channels_are_errors() {
    let header = wav_bytes(&[], 16_000, 1);
    assert!(matches!(
        Audio::from_bytes(&header, None),
        Err(Error::EmptyAudio | Error::Truncated { .. } | Error::Decode { .. })
    ));
    assert!(Audio::from_bytes(&[], None).is_err());
    let mut zero_ch = wav_bytes(&[1, 2, 3, 4], 16_000, 1);
    zero_ch[22] = 0; // channels field of the fmt chunk
    assert!(Audio::from_bytes(&zero_ch, None).is_err());
    let mut zero_sr = wav_bytes(&[1, 2, 3, 4], 16_000, 1);
    zero_sr[24..28].copy_from_slice(&0u32.to_le_bytes());
    assert!(Audio::from_bytes(&zero_sr, None).is_err());
}

/// Signals a user can hand in: all must give finite features of the documented shape or a
/// typed error, never a panic or NaN.
fn edge_signals(sr: usize) -> Vec<(&'static str, Vec<f32>)> {
    let tone = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * 220.0 * i as f32 / sr as f32).sin())
            .collect()
    };
    vec![
        ("one sample", vec![0.3]),
        ("shorter than a frame", tone(100)),
        ("silence", vec![0.0; sr]),
        (
            "clipped",
            tone(sr)
                .iter()
                .map(|v| (v * 10.0).clamp(-1.0, 1.0))
                .collect(),
        ),
        (
            "dc offset",
            tone(sr).iter().map(|v| 0.9 + 0.05 * v).collect(),
        ),
        ("constant full scale", vec![1.0; sr]),
        ("denormals", vec![1e-40; 4096]),
    ]
}

#[test]
fn stft_and_mel_on_edge_signals() {
    let sr = 16_000;
    for center in [true, false] {
        let stft_cfg = StftConfig::default()
            .n_fft(512)
            .hop_length(160)
            .center(center);
        let stft = Stft::new(&stft_cfg).unwrap();
        let mel = MelSpectrogram::new(
            &MelSpectrogramConfig::default()
                .stft(stft_cfg.clone())
                .n_fft(512)
                .sr(sr as u32)
                .n_mels(64),
        )
        .unwrap();
        for (what, x) in edge_signals(sr) {
            match mel.process(&x) {
                Ok(m) => {
                    assert_eq!(m.dim(), (64, stft.n_frames(x.len())), "{what}");
                    assert!(m.iter().all(|v| v.is_finite() && *v >= 0.0), "{what}");
                    let db = power_to_db(m.view(), &DbConfig::default()).unwrap();
                    assert!(db.iter().all(|v| v.is_finite()), "{what}: dB");
                }
                // Only an uncentred frame longer than the signal may fail, with a typed error.
                Err(Error::TooShort { expected, got, .. }) => {
                    assert!(!center && got < expected, "{what}")
                }
                Err(e) => panic!("{what}: unexpected error {e}"),
            }
        }
    }
}

#[test]
fn audio_rejects_non_finite_and_empty() {
    assert!(matches!(Audio::new(vec![], 16_000), Err(Error::EmptyAudio)));
    assert!(matches!(
        Audio::new(vec![0.0, f32::INFINITY], 16_000),
        Err(Error::NonFiniteSample { index: 1, .. })
    ));
    assert!(matches!(
        Audio::new(vec![0.0], 0),
        Err(Error::InvalidSampleRate { got: 0, .. })
    ));
    // One sample at an extreme rate resamples without panicking.
    let a = Audio::new(vec![0.5], 1).unwrap();
    if let Ok(r) = a.resample(16_000) {
        assert_eq!(r.samples.len(), 16_000);
        assert!(r.samples.iter().all(|v| v.is_finite()));
    }
}

/// Fuzz finding `dsp_transforms/crash_slow_resample_1hz_to_44k.bin`: resampling 13 samples
/// from 1 Hz to 44.1 kHz took 10–17 s and ~360 MB, because every 1024-sample input chunk
/// was turned into 45 M output samples whatever the input length. The chunk now shrinks
/// with the ratio; the output must still be the band-limited interpolation.
#[test]
fn extreme_upsampling_stays_exact() {
    for (from, to, f) in [
        (100u32, 16_000u32, 7.0f64),
        (1, 44_100, 0.1),
        (3, 48_000, 0.5),
    ] {
        let n = 160;
        let x: Vec<f32> = (0..n)
            .map(|i| (2.0 * std::f64::consts::PI * f * i as f64 / from as f64).sin() as f32)
            .collect();
        let y = ser_dsp::resample(&x, from, to, ser_dsp::ResampleQuality::Fast).unwrap();
        assert_eq!(
            y.len(),
            (n as u64 * to as u64).div_ceil(from as u64) as usize
        );
        // Input samples are reproduced at the matching output instants.
        let step = (to / from) as usize;
        for i in n / 4..3 * n / 4 {
            assert!((y[i * step] - x[i]).abs() < 0.02, "{from}->{to} at {i}");
        }
    }
}
