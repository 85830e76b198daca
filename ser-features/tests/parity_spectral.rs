//! Golden parity with librosa 0.11 (fixtures from `tests/fixtures/gen_spectral.py`).
//!
//! Each value must satisfy `|rust − librosa| <= 1e-4·|librosa| + atol`, where `atol` is a
//! small per-feature absolute tolerance for values near zero (see `ATOL`; e.g. MFCC
//! coefficients that cross zero, dB values, contrast differences of dB values). Roll-off is
//! a discrete frequency: it must match exactly except in frames where librosa's `f32` cumulative
//! energy is within rounding of the threshold, where it may be one FFT bin away (≤ 2 % of
//! frames).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use ndarray::Array2;
use ser_dsp::{Audio, PadMode};
use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind};

const RTOL: f32 = 1e-4;

/// Absolute tolerances for values near zero, per feature (units of the feature).
const ATOL: &[(&str, f32)] = &[
    ("logmel", 2e-3), // dB
    ("mfcc", 5e-3),   // cepstral units (c0 is ~ -500; lifter up to 12x)
    ("mfcc_delta", 5e-4),
    ("mfcc_delta2", 5e-4),
    ("spectral_centroid", 1e-2), // Hz
    ("spectral_bandwidth", 1e-2),
    ("spectral_flatness", 1e-7),
    // dB. Contrast valleys are the *minimum* bins of each octave band (often the Nyquist bin,
    // 60-100 dB below the frame peak); there any two f32 FFTs (rustfft vs scipy's pocketfft)
    // differ by their rounding noise (~1e-7 of the frame peak), i.e. by up to ~0.2 dB. The
    // 99th percentile error is printed too and is far smaller.
    ("spectral_contrast", 0.25),
    ("zero_crossing_rate", 1e-7),
    ("rms", 1e-7),
    ("onset_strength", 1e-3), // dB
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spectral")
}

fn datasets() -> PathBuf {
    std::env::var_os("SER_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/datasets"))
}

fn load_npy(case: &str, name: &str) -> Array2<f32> {
    ndarray_npy::read_npy(fixtures().join(case).join(format!("{name}.npy")))
        .unwrap_or_else(|e| panic!("fixture {case}/{name}: {e}"))
}

fn config_for(case: &str) -> (FeatureConfig, serde_json::Value) {
    let text = std::fs::read_to_string(fixtures().join(case).join("config.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let u = |k: &str| v[k].as_u64().unwrap() as usize;
    let mut cfg = FeatureConfig::default()
        .sr(v["sr"].as_u64().unwrap() as u32)
        .n_fft(u("n_fft"))
        .hop_length(u("hop_length"))
        .n_mels(u("n_mels"))
        .n_mfcc(u("n_mfcc"))
        .fmin(v["fmin"].as_f64().unwrap() as f32)
        .lifter(v["lifter"].as_f64().unwrap() as f32)
        .pad_mode(if v["pad_mode"] == "reflect" {
            PadMode::Reflect
        } else {
            PadMode::Constant
        });
    if let Some(w) = v["win_length"].as_u64() {
        cfg = cfg.win_length(w as usize);
    }
    if let Some(f) = v["fmax"].as_f64() {
        cfg = cfg.fmax(f as f32);
    }
    (cfg, v)
}

fn check_case(case: &str, audio_path: &Path) {
    let (cfg, v) = config_for(case);
    let audio = Audio::load(audio_path, None).unwrap();
    assert_eq!(audio.sample_rate, cfg.sr);
    assert_eq!(audio.samples.len() as u64, v["n_samples"].as_u64().unwrap());
    let plan = FeatureExtractor::new(&cfg).unwrap();
    let kinds: Vec<FeatureKind> = FeatureKind::ALL
        .into_iter()
        .filter(|k| !matches!(k, FeatureKind::MelSpectrogram | FeatureKind::FluxL2))
        .collect();
    let got = plan.extract(&audio.samples, &kinds).unwrap();
    let mut failures = Vec::new();
    for kind in kinds {
        let name = kind.name();
        let want = load_npy(case, name);
        let have = got.get(kind).unwrap();
        assert_eq!(have.dim(), want.dim(), "{case}/{name} shape");
        if kind == FeatureKind::Rolloff {
            let bin = cfg.sr as f32 / cfg.n_fft as f32;
            let off: Vec<f32> = have
                .iter()
                .zip(want.iter())
                .map(|(a, b)| (a - b).abs())
                .collect();
            let n_off = off.iter().filter(|&&d| d > 1e-2).count();
            let worst = off.iter().copied().fold(0.0, f32::max);
            eprintln!(
                "{case:>18} {name:<20} frames off by one bin: {n_off}/{} (max |err| {worst} Hz)",
                off.len()
            );
            if worst > bin * 1.001 || n_off * 50 > off.len() {
                failures.push(format!("{name}: {n_off} frames off, worst {worst} Hz"));
            }
            continue;
        }
        let atol = ATOL.iter().find(|(n, _)| *n == name).unwrap().1;
        let (mut max_abs, mut max_rel, mut worst_excess) = (0.0_f32, 0.0_f32, 0.0_f32);
        let mut errs: Vec<f32> = have
            .iter()
            .zip(want.iter())
            .map(|(a, b)| (a - b).abs())
            .collect();
        errs.sort_by(f32::total_cmp);
        let p99 = errs[(errs.len() - 1) * 99 / 100];
        for (a, b) in have.iter().zip(want.iter()) {
            let d = (a - b).abs();
            max_abs = max_abs.max(d);
            if b.abs() > 1e3 * atol.min(1e-3) {
                max_rel = max_rel.max(d / b.abs());
            }
            worst_excess = worst_excess.max(d - (RTOL * b.abs() + atol));
        }
        eprintln!(
            "{case:>18} {name:<20} max|err| {max_abs:.3e}  p99|err| {p99:.3e}  max rel (|ref| > {:.0e}) {max_rel:.3e}",
            1e3 * atol.min(1e-3)
        );
        if worst_excess > 0.0 {
            failures.push(format!(
                "{name}: max abs {max_abs:e}, max rel {max_rel:e} (exceeds tolerance by {worst_excess:e})"
            ));
        }
    }
    assert!(failures.is_empty(), "{case}: {failures:#?}");
}

#[test]
fn speech_16k_librosa_defaults() {
    let wav = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/speech.wav");
    check_case("speech16k_default", &wav);
}

#[test]
fn speech_16k_small_frames_lifter_reflect() {
    let wav = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/speech.wav");
    check_case("speech16k_small", &wav);
}

#[test]
fn emodb_file_native_rate() {
    let wav = datasets().join("emodb/wav/03a01Fa.wav");
    if !wav.exists() {
        eprintln!(
            "SKIP emodb parity: {} not found (set SER_DATASETS)",
            wav.display()
        );
        return;
    }
    check_case("emodb_03a01Fa", &wav);
}
