//! The feature cache driven by a real `ser-dsp` feature function on the shipped speech file.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use ser_data::{load_corpus, CacheStatus, CorpusKind, FeatureCache};
use ser_dsp::{Audio, MelSpectrogram, MelSpectrogramConfig};

#[test]
fn mel_features_are_cached_per_config() {
    let speech = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav"));
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("wav");
    std::fs::create_dir_all(&wav).unwrap();
    for name in ["03a01Wa.wav", "08a02Na.wav", "16b10Ta.wav"] {
        std::fs::copy(speech, wav.join(name)).unwrap();
    }
    let corpus = load_corpus(&wav, CorpusKind::EmoDb).unwrap();
    assert_eq!(corpus.len(), 3);
    let cache = FeatureCache::new(tmp.path().join("cache")).unwrap();

    let mut cfg = MelSpectrogramConfig::default();
    cfg.mel.sr = 16_000;
    let extract = |cfg: &MelSpectrogramConfig| {
        let plan = MelSpectrogram::new(cfg).unwrap();
        move |p: &Path| Audio::load(p, Some(16_000)).and_then(|a| plan.process(&a.samples))
    };

    let first = cache.get_or_compute(&corpus, &cfg, extract(&cfg)).unwrap();
    assert_eq!(first.status, CacheStatus::Computed);
    let (n_mels, n_frames) = first.features[0].dim();
    assert_eq!(n_mels, 128);
    assert!(n_frames > 100);
    let again = cache.get_or_compute(&corpus, &cfg, extract(&cfg)).unwrap();
    assert_eq!(again.status, CacheStatus::Hit);
    assert_eq!(again.features, first.features, "bit-exact round trip");

    let mut cfg40 = cfg.clone();
    cfg40.mel.n_mels = 40;
    let other = cache
        .get_or_compute(&corpus, &cfg40, extract(&cfg40))
        .unwrap();
    assert_eq!(other.status, CacheStatus::Computed);
    assert_eq!(other.features[0].nrows(), 40);
    assert_ne!(other.key, first.key);
}
