//! Crate tests on tiny synthetic tensors (fast in the dev profile).

use candle_core::Tensor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::*;

/// Largest absolute element-wise difference of two tensors of the same shape.
pub(crate) fn tensor_max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

fn tiny_configs(n_features: usize, n_classes: usize) -> Vec<ModelConfig> {
    tiny_configs_dropout(n_features, n_classes, 0.2)
}

fn tiny_configs_dropout(n_features: usize, n_classes: usize, p: f32) -> Vec<ModelConfig> {
    vec![
        ModelConfig::Cnn(
            CnnConfig::default()
                .n_features(n_features)
                .n_classes(n_classes)
                .dropout(p)
                .channels(vec![4, 8]),
        ),
        ModelConfig::Lstm(
            LstmConfig::default()
                .n_features(n_features)
                .n_classes(n_classes)
                .dropout(p)
                .hidden(4),
        ),
        ModelConfig::CnnLstm(
            CnnLstmConfig::default()
                .n_features(n_features)
                .n_classes(n_classes)
                .dropout(p)
                .channels(vec![4])
                .hidden(4)
                .att_hidden(4),
        ),
        ModelConfig::Attention(
            AttentionConfig::default()
                .n_features(n_features)
                .n_classes(n_classes)
                .dropout(p)
                .d_model(8)
                .n_heads(2)
                .att_hidden(4),
        ),
        ModelConfig::Transformer(
            TransformerConfig::default()
                .n_features(n_features)
                .n_classes(n_classes)
                .dropout(p)
                .d_model(8)
                .n_heads(2)
                .n_layers(1)
                .ff_dim(16)
                .frame_stack(2)
                .stats_pooling(true),
        ),
        ModelConfig::Mlp(
            MlpConfig::default()
                .n_features(n_features)
                .n_classes(n_classes)
                .dropout(p)
                .hidden(vec![8]),
        ),
    ]
}

fn random_seq(rng: &mut ChaCha8Rng, t: usize, f: usize) -> Sequence {
    let v: Vec<f32> = (0..t * f).map(|_| rng.gen_range(-1.0..1.0)).collect();
    Sequence::new(v, t, f).unwrap()
}

fn max_abs_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn logits(model: &Model, seqs: &[&Sequence], min_frames: usize) -> Vec<Vec<f32>> {
    let batch = Batch::from_sequences(seqs, min_frames).unwrap();
    model.forward_t(&batch, false).unwrap().to_vec2().unwrap()
}

#[test]
fn every_architecture_gives_batch_by_classes_logits() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let a = random_seq(&mut rng, 13, 8);
    let b = random_seq(&mut rng, 9, 8);
    for cfg in tiny_configs(8, 3) {
        let (model, params) = init_model(&cfg, 7).unwrap();
        assert!(params.n_trainable() > 0);
        let batch = Batch::from_sequences(&[&a, &b], 1).unwrap();
        for train in [false, true] {
            let y = model.forward_t(&batch, train).unwrap();
            assert_eq!(y.dims(), &[2, 3], "{:?}", cfg.arch());
        }
        let p = model.predict_proba(&batch).unwrap();
        for row in p {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }
}

#[test]
fn padding_does_not_change_outputs() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let short = random_seq(&mut rng, 11, 8);
    let long = random_seq(&mut rng, 23, 8);
    for cfg in tiny_configs(8, 3) {
        let (model, _) = init_model(&cfg, 3).unwrap();
        let alone = logits(&model, &[&short], 1);
        let padded = logits(&model, &[&short, &long], 1);
        let extra = logits(&model, &[&short], 40);
        let d1 = max_abs_diff(&alone, &padded[..1]);
        let d2 = max_abs_diff(&alone, &extra);
        assert!(d1 < 1e-5 && d2 < 1e-5, "{:?}: {d1} {d2}", cfg.arch());
    }
}

#[test]
fn same_seed_same_weights_different_seed_different_weights() {
    let cfg = &tiny_configs(8, 3)[4];
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let s = random_seq(&mut rng, 10, 8);
    let (m1, _) = init_model(cfg, 5).unwrap();
    let (m2, _) = init_model(cfg, 5).unwrap();
    let (m3, _) = init_model(cfg, 6).unwrap();
    assert_eq!(logits(&m1, &[&s], 1), logits(&m2, &[&s], 1));
    assert!(max_abs_diff(&logits(&m1, &[&s], 1), &logits(&m3, &[&s], 1)) > 1e-6);
}

#[test]
fn wrong_feature_width_is_an_error() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let s = random_seq(&mut rng, 10, 5);
    let batch = Batch::from_sequences(&[&s], 1).unwrap();
    for cfg in tiny_configs(8, 3) {
        let (model, _) = init_model(&cfg, 0).unwrap();
        assert!(matches!(
            model.forward_t(&batch, false),
            Err(Error::ShapeMismatch { .. })
        ));
    }
}

#[test]
fn invalid_configs_are_rejected() {
    let bad = [
        ModelConfig::Cnn(CnnConfig::default().n_features(4).channels(vec![2, 2, 2])),
        ModelConfig::Transformer(TransformerConfig::default().d_model(10).n_heads(4)),
        ModelConfig::Mlp(MlpConfig::default().dropout(1.0)),
        ModelConfig::Lstm(LstmConfig::default().n_classes(1)),
    ];
    for cfg in bad {
        assert!(matches!(cfg.validate(), Err(Error::InvalidConfig(_))));
        assert!(init_model(&cfg, 0).is_err());
    }
    assert!("gru".parse::<Arch>().is_err());
    assert_eq!("cnn-lstm".parse::<Arch>().unwrap(), Arch::CnnLstm);
}

/// Two separable classes: in class 0 every feature rises over time, in class 1 it falls
/// (from a slightly higher level).
fn toy_set(n: usize, f: usize, seed: u64) -> (Vec<Sequence>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..n {
        let c = i % 2;
        let t = 8 + (i % 5);
        let mut v = Vec::with_capacity(t * f);
        for k in 0..t {
            for j in 0..f {
                let ramp = if c == 0 {
                    k as f32 / t as f32
                } else {
                    1.2 - k as f32 / t as f32
                };
                let base = ramp * (1.0 + j as f32) / f as f32;
                v.push(base + 0.1 * rng.gen_range(-1.0f32..1.0));
            }
        }
        x.push(Sequence::new(v, t, f).unwrap());
        y.push(c);
    }
    (x, y)
}

#[test]
fn tiny_models_overfit_a_tiny_set() {
    let (x, y) = toy_set(12, 8, 9);
    let data = Labeled::new(&x, &y).unwrap();
    for cfg in tiny_configs_dropout(8, 2, 0.0) {
        // The MLP sees only the utterance mean, which carries no class information here;
        // give it a per-utterance summary instead.
        let (xs, cfg) = if cfg.arch() == Arch::Mlp {
            let xs: Vec<Sequence> = x
                .iter()
                .map(|s| {
                    let first = s.frame(0)[0];
                    let last = s.frame(s.n_frames() - 1)[0];
                    let mut v = vec![0.0; 8];
                    v[0] = last - first;
                    Sequence::new(v, 1, 8).unwrap()
                })
                .collect();
            (xs, cfg)
        } else {
            (x.clone(), cfg)
        };
        let data = Labeled::new(&xs, data.y).unwrap();
        let tcfg = TrainConfig::default()
            .epochs(60)
            .batch_size(6)
            .lr(1e-2)
            .warmup_epochs(2)
            .label_smoothing(0.0)
            .weight_decay(0.0)
            .seed(1);
        let mut logs = Vec::new();
        let t = train(&cfg, &tcfg, data, None, None, |l| logs.push(l.clone())).unwrap();
        let last = t.history.last().unwrap().train_loss;
        eprintln!("{:?} final loss {last}", cfg.arch());
        assert!(last < 0.2, "{:?} final loss {last}", cfg.arch());
        assert_eq!(logs.len(), 60);
        let pred = predict(&t.model, &xs, 4).unwrap();
        assert_eq!(pred, y, "{:?}", cfg.arch());
    }
}

#[test]
fn early_stopping_restores_best_epoch() {
    let (x, y) = toy_set(12, 8, 10);
    let (xv, yv) = toy_set(6, 8, 11);
    let cfg = tiny_configs(8, 2).remove(4);
    let tcfg = TrainConfig::default()
        .epochs(40)
        .batch_size(6)
        .lr(1e-2)
        .patience(5)
        .seed(3);
    let t = train(
        &cfg,
        &tcfg,
        Labeled::new(&x, &y).unwrap(),
        Some(Labeled::new(&xv, &yv).unwrap()),
        None,
        |_| {},
    )
    .unwrap();
    let best = t.best_val_ua.unwrap();
    let max_seen = t
        .history
        .iter()
        .filter_map(|h| h.val_ua)
        .fold(0.0, f64::max);
    assert_eq!(best, max_seen);
    assert!(t.history.len() <= 40);
    assert!(t.history.len() >= t.best_epoch);
    // Restored weights reproduce the best validation UA.
    let pred = predict(&t.model, &xv, 4).unwrap();
    assert!((train::ua(&yv, &pred, 2) - best).abs() < 1e-12);
}

#[test]
fn training_is_reproducible_with_augmentation_and_mixup() {
    let (x, y) = toy_set(10, 8, 12);
    let cfg = tiny_configs(8, 2).remove(3);
    let aug: &Augment = &|s: &mut Sequence, rng: &mut ChaCha8Rng| {
        for v in s.data_mut() {
            *v += 0.01 * rng.gen_range(-1.0f32..1.0);
        }
    };
    let tcfg = TrainConfig::default()
        .epochs(3)
        .batch_size(4)
        .mixup_alpha(0.4)
        .seed(4);
    let run = || {
        let t = train(
            &cfg,
            &tcfg,
            Labeled::new(&x, &y).unwrap(),
            None,
            Some(aug),
            |_| {},
        )
        .unwrap();
        predict_proba(&t.model, &x, 4).unwrap()
    };
    assert_eq!(run(), run());
}

fn card_for(cfg: &ModelConfig) -> ModelCard {
    let labels = (0..cfg.n_classes()).map(|i| format!("c{i}")).collect();
    ModelCard::new(
        cfg.clone(),
        FeatureSpec::Precomputed {
            n_features: cfg.n_features(),
        },
        labels,
    )
}

#[test]
fn save_load_roundtrip_gives_identical_logits() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let a = random_seq(&mut rng, 12, 8);
    let b = random_seq(&mut rng, 7, 8);
    for cfg in tiny_configs(8, 3) {
        let (model, params) = init_model(&cfg, 11).unwrap();
        // Non-trivial buffers so they are covered by the round trip.
        set_standardizer(&params, &[0.1; 8], &[2.0; 8]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        save_model_dir(dir.path(), &card_for(&cfg), &params).unwrap();
        let loaded = load_model_dir(dir.path()).unwrap();
        assert_eq!(loaded.card, card_for(&cfg));
        let before = logits(&model, &[&a, &b], 1);
        let after = logits(&loaded.model, &[&a, &b], 1);
        assert_eq!(before, after, "{:?}", cfg.arch());
        let rec = Recognizer::load(dir.path()).unwrap();
        let p = rec.predict_sequences(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].probabilities.len(), 3);
    }
}

#[test]
fn checkpoint_keys_mirror_the_module_tree() {
    let cfgs = tiny_configs(8, 3);
    let (_, p) = init_model(&cfgs[0], 0).unwrap();
    let names = p.names();
    for k in [
        "blocks.0.conv.weight",
        "blocks.1.bn.running_var",
        "head.bias",
        "input_norm.mean",
    ] {
        assert!(names.iter().any(|n| n == k), "{k} not in {names:?}");
    }
    let (_, p) = init_model(&cfgs[2], 0).unwrap();
    assert!(p.names().iter().any(|n| n == "lstm.weight_hh_l0_reverse"));
    let (_, p) = init_model(&cfgs[4], 0).unwrap();
    assert!(p.names().iter().any(|n| n == "layers.0.attn.qkv.weight"));
    // Buffers are not trainable.
    let n_all: usize = p.snapshot().unwrap().values().map(|t| t.elem_count()).sum();
    assert_eq!(n_all - p.n_trainable(), 16);
}

#[test]
fn corrupt_or_mismatched_files_give_typed_errors() {
    let cfgs = tiny_configs(8, 3);
    let (_, params) = init_model(&cfgs[1], 0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    save_model_dir(dir.path(), &card_for(&cfgs[1]), &params).unwrap();
    let w = dir.path().join(io::WEIGHTS_FILE);
    let c = dir.path().join(io::CONFIG_FILE);
    let good_w = std::fs::read(&w).unwrap();
    let good_c = std::fs::read_to_string(&c).unwrap();

    // Truncated weights.
    std::fs::write(&w, &good_w[..good_w.len() / 2]).unwrap();
    assert!(matches!(
        load_model_dir(dir.path()),
        Err(Error::CorruptCheckpoint { .. })
    ));
    // Garbage weights.
    std::fs::write(&w, b"not a safetensors file at all").unwrap();
    assert!(matches!(
        load_model_dir(dir.path()),
        Err(Error::CorruptCheckpoint { .. })
    ));
    std::fs::write(&w, &good_w).unwrap();

    // Config with a different hidden size: shapes mismatch.
    let other = ModelConfig::Lstm(LstmConfig::default().n_features(8).n_classes(3).hidden(5));
    std::fs::write(&c, serde_json::to_string(&card_for(&other)).unwrap()).unwrap();
    assert!(matches!(
        load_model_dir(dir.path()),
        Err(Error::TensorShape { .. })
    ));
    // Config of another architecture: missing tensors.
    std::fs::write(&c, serde_json::to_string(&card_for(&cfgs[5])).unwrap()).unwrap();
    assert!(matches!(
        load_model_dir(dir.path()),
        Err(Error::MissingTensor { .. })
    ));
    // Invalid JSON and wrong label count.
    std::fs::write(&c, "{ not json").unwrap();
    assert!(matches!(
        load_model_dir(dir.path()),
        Err(Error::BadConfig { .. })
    ));
    let mut card = card_for(&cfgs[1]);
    card.labels.pop();
    std::fs::write(&c, serde_json::to_string(&card).unwrap()).unwrap();
    assert!(matches!(
        load_model_dir(dir.path()),
        Err(Error::BadConfig { .. })
    ));
    std::fs::write(&c, &good_c).unwrap();

    // An extra tensor in the checkpoint.
    let mut t = params.snapshot().unwrap();
    t.insert(
        "stray.weight".into(),
        Tensor::zeros(3, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
    );
    candle_core::safetensors::save(&t, &w).unwrap();
    assert!(matches!(
        load_model_dir(dir.path()),
        Err(Error::UnexpectedTensor { .. })
    ));
    std::fs::write(&w, &good_w).unwrap();
    assert!(load_model_dir(dir.path()).is_ok());
    // Missing directory.
    assert!(matches!(
        load_model_dir(dir.path().join("nope")),
        Err(Error::Io { .. })
    ));
}

#[test]
fn schedule_warms_up_then_decays() {
    let c = TrainConfig::default()
        .lr(1.0)
        .warmup_epochs(2)
        .min_lr_ratio(0.1);
    let (spe, total) = (10, 100);
    assert!((c.lr_at(0, spe, total) - 0.05).abs() < 1e-12);
    assert!((c.lr_at(19, spe, total) - 1.0).abs() < 1e-12);
    assert!((c.lr_at(20, spe, total) - 1.0).abs() < 1e-12);
    assert!(c.lr_at(60, spe, total) < c.lr_at(40, spe, total));
    assert!((c.lr_at(100, spe, total) - 0.1).abs() < 1e-9);
    assert!(TrainConfig::default().epochs(0).validate().is_err());
    assert!(TrainConfig::default()
        .label_smoothing(1.0)
        .validate()
        .is_err());
}

#[test]
fn label_and_length_errors() {
    let (x, y) = toy_set(4, 8, 1);
    assert!(Labeled::new(&x, &y[..3]).is_err());
    let cfg = tiny_configs(8, 2).remove(5);
    let bad_y = vec![0, 1, 2, 0];
    let r = train(
        &cfg,
        &TrainConfig::default().epochs(1),
        Labeled::new(&x, &bad_y).unwrap(),
        None,
        None,
        |_| {},
    );
    assert!(matches!(
        r,
        Err(Error::ClassOutOfRange {
            class: 2,
            n_classes: 2
        })
    ));
    assert!(matches!(
        "rnn".parse::<Arch>(),
        Err(Error::UnknownName {
            what: "architecture",
            ..
        })
    ));
    assert!(matches!(
        Batch::from_sequences(&[], 1),
        Err(Error::Empty("batch"))
    ));
}

#[test]
fn history_csv_and_curve_png_are_written() {
    let h: Vec<EpochLog> = (1..=5)
        .map(|e| EpochLog {
            epoch: e,
            lr: 1e-3,
            train_loss: 2.0 / e as f64,
            train_acc: 0.1 * e as f64,
            val_ua: Some(0.1 * e as f64),
            val_acc: None,
            secs: 0.5,
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    write_history_csv(dir.path().join("h.csv"), &h).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("h.csv")).unwrap();
    assert_eq!(csv.lines().count(), 6);
    assert!(csv.lines().nth(1).unwrap().starts_with("1,"));
    plot_history(dir.path().join("c.png"), &h, "test", (320, 240)).unwrap();
    let png = std::fs::read(dir.path().join("c.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    assert!(plot_history(dir.path().join("d.png"), &[], "x", (10, 10)).is_err());
}

/// Three Gaussian blobs in 6-D as one-frame sequences (a multinomial logistic regression task).
fn blobs(n: usize, seed: u64) -> (Vec<Sequence>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..n {
        let c = i % 3;
        let v: Vec<f32> = (0..6)
            .map(|j| if j == c { 1.0 } else { 0.0 } + rng.gen_range(-1.0f32..1.0))
            .collect();
        x.push(Sequence::new(v, 1, 6).unwrap());
        y.push(c);
    }
    (x, y)
}

#[test]
fn l2_linear_model_reaches_the_penalised_optimum() {
    let (x, y) = blobs(60, 3);
    let cfg = ModelConfig::Mlp(
        MlpConfig::default()
            .n_features(6)
            .n_classes(3)
            .hidden(vec![])
            .dropout(0.0),
    );
    let lambda = 5.0;
    let tcfg = TrainConfig::default()
        .epochs(400)
        .batch_size(60)
        .lr(5e-2)
        .warmup_epochs(0)
        .min_lr_ratio(0.01)
        .label_smoothing(0.0)
        .weight_decay(0.0)
        .grad_clip(0.0)
        .class_weighted(false)
        .l2(lambda);
    let t = train(
        &cfg,
        &tcfg,
        Labeled::new(&x, &y).unwrap(),
        None,
        None,
        |_| {},
    )
    .unwrap();
    // Gradient of the full objective mean CE + λ/(2n)·‖W‖² at the trained weights.
    let refs: Vec<&Sequence> = x.iter().collect();
    let batch = Batch::from_sequences(&refs, 1).unwrap();
    let logits = t.model.forward_t(&batch, false).unwrap();
    let mut q = vec![0f32; 60 * 3];
    for (i, &c) in y.iter().enumerate() {
        q[i * 3 + c] = 1.0;
    }
    let targets = Tensor::from_vec(q, (60, 3), &candle_core::Device::Cpu).unwrap();
    let w = Tensor::ones(60, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    let vars = t.params.trainable_vars();
    let mut loss = crate::train::soft_cross_entropy(&logits, &targets, &w).unwrap();
    let mut w_norm = 0f32;
    for v in vars.iter().filter(|v| v.rank() >= 2) {
        let sq = v.as_tensor().sqr().unwrap().sum_all().unwrap();
        w_norm += sq.to_scalar::<f32>().unwrap();
        loss = (loss + (sq * (lambda / 120.0)).unwrap()).unwrap();
    }
    let grads = loss.backward().unwrap();
    let g: f32 = vars
        .iter()
        .map(|v| {
            grads
                .get(v.as_tensor())
                .map(|g| {
                    g.sqr()
                        .unwrap()
                        .sum_all()
                        .unwrap()
                        .to_scalar::<f32>()
                        .unwrap()
                })
                .unwrap_or(0.0)
        })
        .sum::<f32>()
        .sqrt();
    assert!(g < 1e-3, "gradient norm at the end of training {g}");
    // A stronger penalty gives smaller weights.
    let t2 = train(
        &cfg,
        &tcfg.clone().l2(50.0),
        Labeled::new(&x, &y).unwrap(),
        None,
        None,
        |_| {},
    )
    .unwrap();
    let w2: f32 = t2
        .params
        .trainable_vars()
        .iter()
        .filter(|v| v.rank() >= 2)
        .map(|v| {
            v.as_tensor()
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
        })
        .sum();
    assert!(
        w2 < 0.5 * w_norm,
        "‖W‖² {w2} with λ=50 vs {w_norm} with λ=5"
    );
    assert!(TrainConfig::default().l2(-1.0).validate().is_err());
    assert!(TrainConfig::default().l2(f64::NAN).validate().is_err());
}

#[test]
fn recipe_names() {
    for name in RECIPE_NAMES {
        let r = Recipe::named(name, 4).unwrap();
        assert_eq!(r.model.n_classes(), 4);
        assert_eq!(r.model.n_features(), r.features.n_features(), "{name}");
    }
    let lin = Recipe::named("linear", 7).unwrap();
    assert_eq!(lin.inner_val_fraction, 0.0);
    assert!(matches!(&lin.model, ModelConfig::Mlp(c) if c.hidden.is_empty()));
    assert!(Recipe::named("svm", 7).is_err());
}

/// Regression: candle-nn 0.9's fused softmax and layer norm have no backward pass, which left
/// the attention pooling, every Transformer layer and the layer norms untrained. Every
/// trainable tensor of every architecture must now receive a non-zero gradient.
#[test]
fn every_trainable_tensor_gets_a_gradient() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let seqs: Vec<Sequence> = (0..4).map(|i| random_seq(&mut rng, 10 + i, 8)).collect();
    let refs: Vec<&Sequence> = seqs.iter().collect();
    let batch = Batch::from_sequences(&refs, 1).unwrap();
    let dev = candle_core::Device::Cpu;
    let targets = Tensor::from_vec(vec![1f32, 0., 0., 1., 1., 0., 0., 1.], (4, 2), &dev).unwrap();
    let w = Tensor::ones(4, candle_core::DType::F32, &dev).unwrap();
    for cfg in tiny_configs_dropout(8, 2, 0.0) {
        let (model, params) = init_model(&cfg, 3).unwrap();
        let logits = model.forward_t(&batch, true).unwrap();
        let loss = crate::train::soft_cross_entropy(&logits, &targets, &w).unwrap();
        let grads = loss.backward().unwrap();
        let data = params.varmap().data().lock().unwrap();
        for (name, var) in data.iter().filter(|(k, _)| !crate::params::is_buffer(k)) {
            let g = grads
                .get(var.as_tensor())
                .map(|g| {
                    g.abs()
                        .unwrap()
                        .sum_all()
                        .unwrap()
                        .to_scalar::<f32>()
                        .unwrap()
                })
                .unwrap_or(0.0);
            assert!(g > 0.0, "{:?}: `{name}` gets no gradient", cfg.arch());
        }
    }
}

#[test]
fn layer_norm_and_softmax_match_candle_forward() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let v: Vec<f32> = (0..24).map(|_| rng.gen_range(-3.0..3.0)).collect();
    let x = Tensor::from_vec(v, (2, 3, 4), &candle_core::Device::Cpu).unwrap();
    let ps = ParamStore::new(0);
    let ours = crate::layers::layer_norm(4, 1e-5, ps.var_builder().pp("ln")).unwrap();
    let reference = candle_nn::LayerNorm::new(
        Tensor::ones(4, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
        Tensor::zeros(4, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
        1e-5,
    );
    let a = ours
        .forward(&x)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let b = candle_core::Module::forward(&reference, &x)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() < 1e-5));
    let s = crate::layers::softmax_last(&x).unwrap();
    let r = candle_nn::ops::softmax_last_dim(&x).unwrap();
    let d = tensor_max_abs_diff(&s, &r);
    assert!(d < 1e-6, "softmax differs by {d}");
}

/// Augmented copies join the training folds only: cross-validating with copies equals
/// training each fold on originals ++ copies by hand and testing on the originals; a copy
/// set of the wrong length is an error.
#[test]
fn cross_validation_with_copies_trains_on_copies_tests_on_originals() {
    let (x, y) = toy_set(24, 4, 3);
    let (noisy, _) = toy_set(24, 4, 4); // same classes (i % 2), other noise
    let groups: Vec<String> = (0..24).map(|i| format!("spk{}", i % 4)).collect();
    let folds = ser_metrics::protocol::group_k_fold(&groups, 2).unwrap();
    let cfg = tiny_configs(4, 2).remove(0);
    let tcfg = TrainConfig::default().epochs(3).batch_size(8);
    let cv = CvConfig::default().inner_val_fraction(0.0);
    let copies = vec![noisy.clone()];
    let mut tested = Vec::new();
    let got = cross_validate_with_copies(
        &cfg,
        &tcfg,
        &cv,
        &x,
        &copies,
        &y,
        &groups,
        &folds,
        None,
        |_, _| {},
        |r, _| tested.push(r.n_test),
    )
    .unwrap();
    assert_eq!(
        tested,
        folds.iter().map(|f| f.test.len()).collect::<Vec<_>>()
    );
    for (k, fold) in folds.iter().enumerate() {
        let mut xs: Vec<Sequence> = fold.train.iter().map(|&i| x[i].clone()).collect();
        xs.extend(fold.train.iter().map(|&i| noisy[i].clone()));
        let ys: Vec<usize> = fold
            .train
            .iter()
            .chain(&fold.train)
            .map(|&i| y[i])
            .collect();
        let t = train(
            &cfg,
            &tcfg,
            Labeled::new(&xs, &ys).unwrap(),
            None,
            None,
            |_| {},
        )
        .unwrap();
        let xte: Vec<Sequence> = fold.test.iter().map(|&i| x[i].clone()).collect();
        let p = predict_proba(&t.model, &xte, 64).unwrap();
        for (&i, row) in fold.test.iter().zip(p) {
            assert_eq!(got.proba[i], row, "fold {k} item {i}");
        }
    }
    // Without copies the folds train on fewer items and give other probabilities.
    let plain = cross_validate(
        &cfg,
        &tcfg,
        &cv,
        &x,
        &y,
        &groups,
        &folds,
        None,
        |_, _| {},
        |_, _| {},
    )
    .unwrap();
    assert_ne!(plain.proba, got.proba);
    let short = vec![noisy[..23].to_vec()];
    assert!(cross_validate_with_copies(
        &cfg,
        &tcfg,
        &cv,
        &x,
        &short,
        &y,
        &groups,
        &folds,
        None,
        |_, _| {},
        |_, _| {},
    )
    .is_err());
}

/// Frame selection keeps the loudest `ceil(f · n)` encoder frames in time order and rejects
/// fractions outside (0, 1].
#[test]
fn loudest_frames_keeps_the_loud_part_in_order() {
    // 10 frames of 320 samples; frames 2, 5 and 7 are loud, frame 5 the loudest.
    let mut x = vec![0.01f32; 3200];
    for (f, a) in [(2usize, 0.5f32), (5, 0.9), (7, 0.6)] {
        for v in &mut x[f * 320..(f + 1) * 320] {
            *v = a;
        }
    }
    assert_eq!(loudest_frames(&x, 10, 0.3).unwrap(), [2, 5, 7]);
    assert_eq!(loudest_frames(&x, 10, 0.1).unwrap(), [5]);
    assert_eq!(loudest_frames(&x, 10, 1.0).unwrap().len(), 10);
    // Frames past the audio (the encoder's last, padded frame) have no energy.
    assert_eq!(loudest_frames(&x, 11, 0.05).unwrap(), [5]);
    for bad in [0.0, -0.5, 1.5, f32::NAN] {
        assert!(loudest_frames(&x, 10, bad).is_err());
    }
    assert!(Recipe::named("whisper-loudest", 4).is_ok());
}

/// Level normalisation hits the target RMS, makes a clip and its −20 dB copy identical, and
/// leaves silence alone; positive or non-finite targets are errors.
#[test]
fn normalize_rms_reaches_the_target_level() {
    let x: Vec<f32> = (0..16_000).map(|i| 0.3 * (i as f32 * 0.01).sin()).collect();
    let y = normalize_rms(&x, -25.0).unwrap();
    let rms = (y.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / y.len() as f64).sqrt();
    assert!((20.0 * rms.log10() + 25.0).abs() < 1e-3, "{rms}");
    let quiet: Vec<f32> = x.iter().map(|v| v * 0.1).collect();
    let yq = normalize_rms(&quiet, -25.0).unwrap();
    assert!(y.iter().zip(&yq).all(|(a, b)| (a - b).abs() < 1e-5));
    assert_eq!(normalize_rms(&[0.0; 10], -25.0).unwrap(), vec![0.0; 10]);
    assert!(normalize_rms(&x, 3.0).is_err());
    assert!(normalize_rms(&x, f32::NAN).is_err());
    assert!(Recipe::named("whisper-norm", 8).is_ok());
}

#[test]
fn recipe_overrides_widen_every_architecture_and_reject_bad_values() {
    for arch in ["mlp", "cnn", "lstm", "cnn-lstm", "attention", "transformer"] {
        let base = crate::Recipe::parse(arch, 7).unwrap();
        let wide =
            crate::Recipe::parse(&format!("{arch}:width=2:dropout=0.1:epochs=3"), 7).unwrap();
        assert_eq!(wide.train.epochs, 3);
        assert_eq!(wide.model.n_features(), wide.features.n_features());
        let count = |r: &crate::Recipe| {
            let ps = ParamStore::new(0);
            crate::Model::new(&r.model, ps.var_builder()).unwrap();
            ps.n_trainable()
        };
        assert!(
            count(&wide) > count(&base),
            "{arch}: width=2 did not add parameters"
        );
        if arch != "mlp" {
            let n = crate::Recipe::parse(&format!("{arch}:norm=cmvn:specaug=off"), 7).unwrap();
            assert!(n.features.to_string().ends_with("CMVN") && n.spec_augment.is_none());
        }
    }
    let flat = crate::Recipe::parse("cnn:flatten=on", 7).unwrap();
    let plain = crate::Recipe::parse("cnn", 7).unwrap();
    let params = |r: &crate::Recipe| {
        let ps = ParamStore::new(0);
        crate::Model::new(&r.model, ps.var_builder()).unwrap();
        ps.n_trainable()
    };
    // 40 bands halved by 3 blocks leave 5: the head sees 5× the values.
    assert_eq!(params(&flat) - params(&plain), 2 * 32 * 4 * 7);
    assert!(crate::Recipe::parse("lstm:flatten=on", 7).is_err());
    let p = crate::Recipe::parse("lstm:prosody=on", 7).unwrap();
    assert_eq!((p.features.n_features(), p.model.n_features()), (49, 49));
    for bad in [
        "mlp:norm=cmvn",
        "cnn:prosody=on",
        "lstm:prosody=maybe",
        "cnn:epochs=-1",
        "cnn:lr=nan",
        "cnn:width",
        "cnn:val=1",
        "cnn:specaug=maybe",
        "cnn:colour=blue",
        "gru",
    ] {
        assert!(crate::Recipe::parse(bad, 7).is_err(), "{bad} accepted");
    }
}
