//! Golden parity with openai-whisper (PyTorch) on the same weights.
//!
//! Fixtures: `scripts/whisper_reference.py` (see its docstring for the exact commands).
//! The encoder tests need Whisper-base weights: the encoder shipped in
//! `models/whisper-base-encoder`, `models/whisper-base` from `scripts/fetch_whisper.sh base`,
//! or a directory in `$SER_WHISPER_MODEL`; without any they print `SKIPPED:` and pass.

use std::path::{Path, PathBuf};

use ndarray::{Array2, Ix2};
use ndarray_npy::read_npy;
use ser_whisper::{LogMel, Whisper};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> Array2<f32> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    read_npy::<_, ndarray::ArrayBase<ndarray::OwnedRepr<f32>, Ix2>>(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn speech(seconds: Option<f32>) -> Vec<f32> {
    let a = ser_dsp::Audio::load(root().join("assets/speech.wav"), None).expect("speech.wav");
    assert_eq!(a.sample_rate, 16000);
    let mut s = a.samples;
    if let Some(sec) = seconds {
        s.truncate((sec * 16000.0) as usize);
    }
    s
}

fn max_abs_diff(a: &Array2<f32>, b: &Array2<f32>) -> f32 {
    assert_eq!(a.dim(), b.dim());
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn log_mel_matches_openai_whisper() {
    let lm = LogMel::new(80).unwrap();
    for (tag, secs) in [("speech", Some(1.5)), ("speech_full", None)] {
        let want = fixture(&format!("logmel_{tag}.npy"));
        let got = lm.compute(&speech(secs)).unwrap();
        let err = max_abs_diff(&got, &want);
        println!("log-mel {tag} {:?}: max |diff| {err:.2e}", got.dim());
        assert!(err < 1e-4, "{tag}: {err}");
    }
}

fn base_model() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SER_WHISPER_MODEL") {
        return Some(PathBuf::from(p));
    }
    ["models/whisper-base-encoder", "models/whisper-base"]
        .iter()
        .map(|d| root().join(d))
        .find(|d| d.join("model.safetensors").is_file() || d.join("model.bin").is_file())
}

#[test]
fn encoder_matches_openai_whisper_base() {
    let Some(dir) = base_model() else {
        println!("SKIPPED: no Whisper-base weights (models/whisper-base-encoder, scripts/fetch_whisper.sh base or $SER_WHISPER_MODEL)");
        return;
    };
    let w = Whisper::load(&dir).unwrap();
    assert_eq!(
        w.config().n_audio_state,
        512,
        "{}: not Whisper-base",
        dir.display()
    );
    let x = speech(Some(1.5));
    let states = w.hidden_states(&x).unwrap();
    let last = states.last().unwrap();
    let want = fixture("enc_speech_whisper-base_last.npy");
    let err = max_abs_diff(last, &want);
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    let want16 = fixture("enc_speech_whisper-base_f16_last.npy");
    let err16 = max_abs_diff(&want16, &want);
    println!(
        "encoder output {:?} from {}: max |diff| vs torch f32 {err:.2e} (values to {scale:.1}); torch f16 vs f32 {err16:.2e}",
        last.dim(),
        dir.display()
    );
    assert!(err < 5e-4, "{err}");

    let stats = w.layer_stats(&x).unwrap();
    let want = fixture("enc_speech_whisper-base_stats.npy");
    for l in 0..stats.nrows() {
        let e = stats
            .row(l)
            .iter()
            .zip(want.row(l).iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        println!("hidden state {l}: mean ‖ std max |diff| {e:.2e}");
        assert!(e < 1e-4, "layer {l}: {e}");
    }
}
