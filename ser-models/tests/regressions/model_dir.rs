//! Fuzz entry point `model_dir`: load a model directory whose `config.json` and
//! `model.safetensors` hold arbitrary bytes, then, if it loads, predict with it.
//!
//! Layout: byte 0 is the mode (bit 0: omit `config.json`, bit 1: omit `model.safetensors`,
//! bits 2..: input length), bytes 1-2 the config length `n` (little endian), then `n` bytes
//! of `config.json` and the rest as `model.safetensors`. Seeds are valid directories of
//! every architecture (`tests/regressions_models.rs`, ignored test `generate_fuzz_seeds`).
//!
//! Shared by `fuzz/fuzz_targets/model_dir.rs` and `tests/regressions_models.rs`. Panics
//! only on a bug: a panic in `ser-models`, or a loaded model with finite weights that
//! predicts non-finite or unnormalised probabilities.

use ser_models::{Recognizer, Sequence};

/// Widest input the entry point feeds to a loaded model (keeps one execution bounded).
const MAX_FEATURES: usize = 4096;

/// Runs one input.
pub fn run(data: &[u8]) {
    let (mode, rest) = data.split_first().map_or((0, data), |(m, r)| (*m, r));
    let n = rest
        .get(..2)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let rest = rest.get(2..).unwrap_or(&[]);
    let (config, weights) = rest.split_at(n.min(rest.len()));
    let Ok(dir) = tempfile::tempdir() else { return };
    if mode & 1 == 0 && std::fs::write(dir.path().join("config.json"), config).is_err() {
        return;
    }
    if mode & 2 == 0 && std::fs::write(dir.path().join("model.safetensors"), weights).is_err() {
        return;
    }
    let rec = match Recognizer::load(dir.path()) {
        Ok(r) => r,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    // Any `Ok` prediction must carry finite, normalised probabilities. Finite but huge
    // weights (|w| ~ 1e38, fuzz finding `crash_nan_probs_*`) overflow to NaN
    // probabilities; `Recognizer` reports those as `Error::NonFinite`.
    let n_features = rec.card().model.n_features();
    let n_classes = rec.card().labels.len();
    if n_features == 0 || n_features > MAX_FEATURES {
        return;
    }
    let frames = 1 + (mode as usize >> 2) % 17;
    let x: Vec<f32> = (0..frames * n_features)
        .map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0)
        .collect();
    let Ok(seq) = Sequence::new(x, frames, n_features) else {
        return;
    };
    if let Ok(p) = rec.predict_sequence(&seq) {
        check(&p, n_classes);
    }
}

fn check(p: &ser_models::Prediction, n_classes: usize) {
    assert_eq!(
        p.probabilities.len(),
        n_classes,
        "one probability per label"
    );
    assert!(p.index < n_classes);
    let s: f32 = p.probabilities.iter().map(|(_, v)| v).sum();
    assert!(
        p.probabilities
            .iter()
            .all(|(_, v)| v.is_finite() && *v >= 0.0)
            && (s - 1.0).abs() < 1e-3,
        "Ok prediction with probabilities {:?}",
        p.probabilities
    );
}
