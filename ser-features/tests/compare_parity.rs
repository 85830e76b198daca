//! Golden parity of the large ComParE-like set (`CompareConfig::large`) with the numpy
//! prototype (fixtures from `tests/fixtures/gen_compare_fixtures.py`): the extended LLDs of
//! `assets/speech.wav` frame by frame, and every functional of the extended rows.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use ser_dsp::{Audio, Window};
use ser_features::compare::{CompareConfig, CompareSet, EXTENDED_SPECTRAL_LLDS};
use ser_features::FeatureConfig;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compare")
        .join(name)
}

/// The prototype's framing: 16 kHz, n_fft 512, hop 160, win 400, hamming, center=False.
fn proto_set() -> CompareSet {
    let features = FeatureConfig::default()
        .sr(16000)
        .n_fft(512)
        .hop_length(160)
        .win_length(400)
        .window(Window::Hamming)
        .center(false)
        .n_mels(40);
    CompareSet::new(&CompareConfig::large().features(features)).unwrap()
}

fn speech() -> Vec<f32> {
    Audio::load(root().join("assets/speech.wav"), None)
        .unwrap()
        .samples
}

/// Absolute tolerance per extended LLD (relative tolerance 1e-4 on top). Log energies of
/// near-silent bins differ by the f32 FFT rounding noise; roll-offs are discrete.
fn lld_atol(name: &str) -> f64 {
    match name {
        n if n.starts_with("melband") || n.starts_with("band_energy") => 2e-4,
        "spectral_slope" => 1e-7,
        "spectral_entropy" => 1e-6,
        "loudness" => 1e-5,
        _ => 1e-4,
    }
}

#[test]
fn extended_llds_match_the_prototype() {
    let set = proto_set();
    let y = speech();
    let llds = set.llds(&y).unwrap();
    let golden: Array2<f32> = ndarray_npy::read_npy(fixture("speech_ext_llds.npy")).unwrap();
    let n_ext = 26 + EXTENDED_SPECTRAL_LLDS.len();
    let base = llds.nrows() - n_ext;
    assert_eq!(golden.dim(), (n_ext, llds.ncols()));
    for r in 0..n_ext {
        let name = &set.lld_names()[base + r];
        let (mut worst, mut flips) = (0.0_f64, 0usize);
        for t in 0..golden.ncols() {
            let (a, b) = (f64::from(llds[[base + r, t]]), f64::from(golden[[r, t]]));
            let err = (a - b).abs();
            if name.starts_with("rolloff") {
                // One FFT bin (31.25 Hz) where the cumulative share is within rounding.
                if err > 1e-3 {
                    assert!(err <= 31.25 + 1e-3, "{name} frame {t}: {a} vs {b}");
                    flips += 1;
                }
                continue;
            }
            worst = worst.max(err / (lld_atol(name) + 1e-4 * b.abs()));
        }
        eprintln!("{name}: worst error / tolerance {worst:.3}, {flips} roll-off flips");
        assert!(worst <= 1.0, "{name}: error {worst} x tolerance");
        assert!(
            flips * 50 <= golden.ncols(),
            "{name}: {flips} roll-off flips"
        );
    }
}

#[test]
fn extended_functionals_match_the_prototype() {
    let set = proto_set();
    let y = speech();
    let v = set.extract(&y).unwrap();
    let n_frames = set.extractor().n_frames(y.len()) as f64;
    let golden: HashMap<String, f64> =
        serde_json::from_str(&std::fs::read_to_string(fixture("speech_ext_funcs.json")).unwrap())
            .unwrap();
    assert_eq!(golden.len(), 38 * 2 * 23);
    let mut worst: Vec<(f64, String)> = Vec::new();
    for (name, &b) in &golden {
        let a = f64::from(v.get(name).unwrap_or_else(|| panic!("missing {name}")));
        // f32 pipeline vs f64 numpy: 3e-5 of max(|value|, 1). Up-level times count frames
        // above a threshold: a frame within rounding of it may flip (1 / n_frames each).
        let tol = if name.contains("upleveltime") {
            2.0 / n_frames
        } else {
            3e-5 * b.abs().max(1.0)
        };
        worst.push(((a - b).abs() / tol, format!("{name}: {a} vs {b}")));
    }
    worst.sort_by(|a, b| b.0.total_cmp(&a.0));
    eprintln!(
        "worst (error / tolerance): {:.3} {}",
        worst[0].0, worst[0].1
    );
    assert!(worst[0].0 <= 1.0, "{}", worst[0].1);
}
