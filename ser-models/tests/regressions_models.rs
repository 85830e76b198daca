//! Hardening of model-directory loading and inference on untrusted input (issue 10).
//!
//! * Replays every input under `tests/fixtures/regressions/model_dir/` (crashes found by
//!   `cargo fuzz`, see `fuzz/README.md`, and valid seeds of every architecture) through the
//!   entry point the fuzz target calls (`tests/regressions/model_dir.rs`).
//! * A CI-bounded random harness: seeds with bytes overwritten or cut, and random bytes.
//! * Corrupt or mismatched `config.json` / `model.safetensors` are rejected with an error
//!   that names the problem.
#![allow(clippy::unwrap_used)]

#[path = "regressions/model_dir.rs"]
mod model_dir;

use rand::{Rng, SeedableRng};
use ser_models::{
    init_model, load_model_dir, save_model_dir, AttentionConfig, ChaCha8Rng, CnnConfig,
    CnnLstmConfig, Error, FeatureSpec, LogMelSpec, LstmConfig, MfccSpec, MlpConfig, ModelCard,
    ModelConfig, TransformerConfig,
};
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/regressions/model_dir")
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

const LABELS: [&str; 4] = ["neutral", "happy", "sad", "angry"];

/// Small models of every architecture with the feature spec each is used with.
fn small_cards() -> Vec<(&'static str, ModelCard)> {
    let labels: Vec<String> = LABELS.iter().map(|s| s.to_string()).collect();
    let mut mel = LogMelSpec::default();
    mel.n_mels = 16;
    let mut mfcc = MfccSpec::default();
    mfcc.n_mfcc = 6;
    mfcc.n_mels = 20;
    let pre = |n| FeatureSpec::Precomputed { n_features: n };
    let c = |m, f| ModelCard::new(m, f, labels.clone());
    vec![
        (
            "cnn",
            c(
                ModelConfig::Cnn(
                    CnnConfig::default()
                        .n_features(16)
                        .n_classes(4)
                        .channels(vec![4, 8]),
                ),
                FeatureSpec::LogMel(mel.clone()),
            ),
        ),
        (
            "lstm",
            c(
                ModelConfig::Lstm(LstmConfig::default().n_features(12).n_classes(4).hidden(8)),
                FeatureSpec::Mfcc(mfcc),
            ),
        ),
        (
            "cnn_lstm",
            c(
                ModelConfig::CnnLstm(
                    CnnLstmConfig::default()
                        .n_features(16)
                        .n_classes(4)
                        .channels(vec![4])
                        .hidden(8)
                        .att_hidden(8),
                ),
                FeatureSpec::LogMel(mel),
            ),
        ),
        (
            "attention",
            c(
                ModelConfig::Attention(
                    AttentionConfig::default()
                        .n_features(6)
                        .n_classes(4)
                        .d_model(8)
                        .n_heads(2)
                        .att_hidden(8),
                ),
                pre(6),
            ),
        ),
        (
            "transformer",
            c(
                ModelConfig::Transformer(
                    TransformerConfig::default()
                        .n_features(6)
                        .n_classes(4)
                        .d_model(8)
                        .n_heads(2)
                        .n_layers(1)
                        .ff_dim(16),
                ),
                pre(6),
            ),
        ),
        (
            "mlp",
            c(
                ModelConfig::Mlp(
                    MlpConfig::default()
                        .n_features(5)
                        .n_classes(4)
                        .hidden(vec![8]),
                ),
                pre(5),
            ),
        ),
    ]
}

/// Packs a directory into the `model_dir` entry layout (see `regressions/model_dir.rs`).
fn pack(mode: u8, config: &[u8], weights: &[u8]) -> Vec<u8> {
    let mut v = vec![mode];
    v.extend_from_slice(&(config.len() as u16).to_le_bytes());
    v.extend_from_slice(config);
    v.extend_from_slice(weights);
    v
}

fn saved(card: &ModelCard, seed: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (_, params) = init_model(&card.model, seed).unwrap();
    save_model_dir(dir.path(), card, &params).unwrap();
    dir
}

fn read_dir_files(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(dir.join("config.json")).unwrap(),
        std::fs::read(dir.join("model.safetensors")).unwrap(),
    )
}

/// Regenerates the valid seeds: `cargo test -p ser-models --test regressions_models --
/// --ignored generate_fuzz_seeds`.
#[test]
#[ignore]
fn generate_fuzz_seeds() {
    for (name, card) in small_cards() {
        let dir = saved(&card, 1);
        let (c, w) = read_dir_files(dir.path());
        std::fs::write(
            fixture_dir().join(format!("seed_{name}.bin")),
            pack(4, &c, &w),
        )
        .unwrap();
    }
}

#[test]
fn replay_model_dir_inputs() {
    let files = fixture_files();
    assert!(files.len() >= 6, "seeds missing: run generate_fuzz_seeds");
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let r = std::panic::catch_unwind(|| model_dir::run(&data));
        assert!(r.is_ok(), "regression input {} panics again", f.display());
    }
}

/// Every `seed_*` input unpacks to a directory that loads: the fuzzer starts from valid
/// models of every architecture.
#[test]
fn seeds_are_valid_model_dirs() {
    let mut n = 0;
    for f in fixture_files() {
        if !f
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("seed_"))
        {
            continue;
        }
        let d = std::fs::read(&f).unwrap();
        let len = u16::from_le_bytes([d[1], d[2]]) as usize;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), &d[3..3 + len]).unwrap();
        std::fs::write(dir.path().join("model.safetensors"), &d[3 + len..]).unwrap();
        let m = load_model_dir(dir.path()).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(m.card.labels.len(), LABELS.len());
        n += 1;
    }
    assert_eq!(n, 6);
}

/// The seeds (valid directories) with random bytes overwritten, ranges cut out, lengths
/// changed, and plain random bytes.
#[test]
fn model_dir_random_mutations() {
    let seeds: Vec<Vec<u8>> = fixture_files()
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seed_"))
        })
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    for case in 0..60 {
        let mut d = seeds[case % seeds.len()].clone();
        match case % 4 {
            0 => {
                for _ in 0..rng.gen_range(1..8) {
                    let i = rng.gen_range(0..d.len());
                    d[i] = rng.gen();
                }
            }
            1 => {
                let a = rng.gen_range(0..d.len());
                let b = rng.gen_range(a..d.len().min(a + 64) + 1);
                d.drain(a..b);
            }
            2 => d.truncate(rng.gen_range(0..d.len())),
            _ => d = (0..rng.gen_range(0..300)).map(|_| rng.gen()).collect(),
        }
        model_dir::run(&d);
    }
}

/// A valid directory, then the named file replaced by `bytes`.
fn with_file(card: &ModelCard, file: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = saved(card, 2);
    std::fs::write(dir.path().join(file), bytes).unwrap();
    dir
}

fn err_of(dir: &Path) -> Error {
    load_model_dir(dir).expect_err("must be rejected")
}

#[test]
fn corrupt_config_is_rejected_with_reason() {
    let (_, card) = small_cards().remove(5);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not json", b"model: cnn".to_vec(), "config.json"),
        ("empty", Vec::new(), "config.json"),
        ("unknown arch", br#"{"format":"ser-models/1","model":{"arch":"rnn"},"features":{"kind":"precomputed","n_features":5},"labels":[]}"#.to_vec(), "rnn"),
        ("wrong format tag", serde_json::to_vec(&{
            let mut c = serde_json::to_value(&card).unwrap();
            c["format"] = "ser-models/99".into();
            c
        }).unwrap(), "format"),
        ("label count", serde_json::to_vec(&{
            let mut c = serde_json::to_value(&card).unwrap();
            c["labels"] = serde_json::json!(["a", "b"]);
            c
        }).unwrap(), "labels"),
        ("feature width", serde_json::to_vec(&{
            let mut c = serde_json::to_value(&card).unwrap();
            c["features"]["n_features"] = 7.into();
            c
        }).unwrap(), "features"),
        ("zero classes", serde_json::to_vec(&{
            let mut c = serde_json::to_value(&card).unwrap();
            c["model"]["n_classes"] = 0.into();
            c["labels"] = serde_json::json!([]);
            c
        }).unwrap(), "n_classes"),
    ];
    for (what, bytes, needle) in cases {
        let dir = with_file(&card, "config.json", &bytes);
        let e = err_of(dir.path());
        assert!(matches!(e, Error::BadConfig { .. }), "{what}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains("config.json"),
            "{what}: `{msg}` does not name the file"
        );
        assert!(
            msg.contains(needle),
            "{what}: message `{msg}` does not name `{needle}`"
        );
    }
}

#[test]
fn binary_config_is_an_error_naming_the_file() {
    let (_, card) = small_cards().remove(5);
    let dir = with_file(&card, "config.json", b"\x00\xff\xfe{");
    let e = err_of(dir.path());
    assert!(
        matches!(e, Error::BadConfig { .. } | Error::Io { .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("config.json"), "{e}");
}

#[test]
fn corrupt_weights_are_rejected_with_reason() {
    let (_, card) = small_cards().remove(5);
    let good = read_dir_files(saved(&card, 3).path()).1;
    let mut bad_header_len = good.clone();
    bad_header_len[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let mut bad_json = good.clone();
    bad_json[8] = b'[';
    for (what, bytes) in [
        ("empty", Vec::new()),
        ("truncated header", good[..20].to_vec()),
        ("truncated data", good[..good.len() - 7].to_vec()),
        ("header length u64::MAX", bad_header_len),
        ("header not json", bad_json),
        ("text", b"not a checkpoint".to_vec()),
    ] {
        let dir = with_file(&card, "model.safetensors", &bytes);
        let e = err_of(dir.path());
        assert!(
            matches!(e, Error::CorruptCheckpoint { .. }),
            "{what}: {e:?}"
        );
        assert!(e.to_string().contains("model.safetensors"), "{what}: {e}");
    }
}

#[test]
fn mismatched_weights_name_the_tensor() {
    let cards = small_cards();
    let mlp = &cards[5].1;
    // Weights of another architecture: the first missing tensor is named.
    let other = read_dir_files(saved(&cards[4].1, 4).path()).1;
    let e = err_of(with_file(mlp, "model.safetensors", &other).path());
    assert!(
        matches!(&e, Error::MissingTensor { name } if name.contains('.')),
        "{e:?}"
    );

    // Same architecture, different width: the tensor and both shapes are named.
    let wider = ModelCard::new(
        ModelConfig::Mlp(
            MlpConfig::default()
                .n_features(5)
                .n_classes(4)
                .hidden(vec![9]),
        ),
        FeatureSpec::Precomputed { n_features: 5 },
        LABELS.iter().map(|s| s.to_string()).collect(),
    );
    let w = read_dir_files(saved(&wider, 5).path()).1;
    let e = err_of(with_file(mlp, "model.safetensors", &w).path());
    match &e {
        Error::TensorShape {
            name,
            expected,
            got,
        } => {
            assert!(
                name.starts_with("layers.0") || name.starts_with("head"),
                "{name}"
            );
            assert_ne!(expected, got);
        }
        other => panic!("expected TensorShape, got {other:?}"),
    }
    assert!(e.to_string().contains("shape"), "{e}");

    // An extra tensor is named too.
    let (_, params) = init_model(&mlp.model, 6).unwrap();
    let mut t = params.snapshot().unwrap();
    t.insert(
        "extra.weight".into(),
        candle_core::Tensor::zeros(3, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
    );
    let dir = saved(mlp, 7);
    candle_core::safetensors::save(&t, dir.path().join("model.safetensors")).unwrap();
    let e = err_of(dir.path());
    assert!(
        matches!(&e, Error::UnexpectedTensor { name } if name == "extra.weight"),
        "{e:?}"
    );
}

#[test]
fn missing_files_name_the_path() {
    let (_, card) = small_cards().remove(5);
    for file in ["config.json", "model.safetensors"] {
        let dir = saved(&card, 8);
        std::fs::remove_file(dir.path().join(file)).unwrap();
        let e = err_of(dir.path());
        assert!(matches!(e, Error::Io { .. }), "{file}: {e:?}");
        assert!(e.to_string().contains(file), "{file}: {e}");
    }
}
