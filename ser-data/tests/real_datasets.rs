//! Checks on the real corpora in `$SER_DATASETS` (default `<workspace>/../shared/datasets`).
//! Each test SKIPS with a message when its corpus folder is absent.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use ser_data::{load_corpus, read_manifest, CorpusKind, EmotionLabel as E, Gender, LabelMapping};

fn datasets() -> PathBuf {
    std::env::var_os("SER_DATASETS").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/datasets"
            ))
        },
        PathBuf::from,
    )
}

fn corpus_dir(name: &str) -> Option<PathBuf> {
    let dir = datasets().join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} not found (set SER_DATASETS to the folder holding {name}/)",
            dir.display()
        );
        None
    }
}

#[test]
fn emodb_real_corpus() {
    let Some(dir) = corpus_dir("emodb") else {
        return;
    };
    let c = load_corpus(&dir, CorpusKind::EmoDb).unwrap();
    assert_eq!(c.len(), 535);
    assert!(c.rejected.is_empty(), "{:?}", c.rejected);
    let s = c.summary();
    assert_eq!(s.per_speaker.len(), 10);
    assert_eq!(s.speakers_per_gender[&Gender::Male], 5);
    assert_eq!(s.speakers_per_gender[&Gender::Female], 5);
    assert_eq!(s.n_sentences, 10);
    let expected: BTreeMap<E, usize> = [
        (E::Anger, 127),
        (E::Boredom, 81),
        (E::Neutral, 79),
        (E::Happiness, 71),
        (E::Fear, 69),
        (E::Sadness, 62),
        (E::Disgust, 46),
    ]
    .into_iter()
    .collect();
    assert_eq!(s.per_label, expected);

    // The file-name loader agrees field by field with the shared manifest.csv.
    let m = read_manifest(dir.join("manifest.csv")).unwrap();
    assert_eq!(m.len(), 535);
    for (a, b) in c.utterances.iter().zip(&m.utterances) {
        assert_eq!(a.path, b.path);
        assert_eq!(
            (
                &a.label,
                &a.speaker,
                a.gender,
                a.age,
                &a.sentence_id,
                &a.transcript
            ),
            (
                &b.label,
                &b.speaker,
                b.gender,
                b.age,
                &b.sentence_id,
                &b.transcript
            ),
            "{}",
            a.path.display()
        );
    }

    let folds = c.standard_folds().unwrap();
    assert_eq!(folds.len(), 10, "EmoDB standard protocol is LOSO");
    let four = c.map_labels(&LabelMapping::four_class());
    assert_eq!(four.len(), 127 + 71 + 62 + 79);

    // Header durations: this copy is 22050 Hz and exactly 2.0 s per file (datasets README).
    for u in c.utterances.iter().step_by(50) {
        let info = ser_data::audio_info(&u.path).unwrap();
        assert_eq!((info.sample_rate, info.n_frames), (22_050, 44_100));
    }
}

#[test]
fn ravdess_real_corpus() {
    let Some(dir) = corpus_dir("ravdess") else {
        return;
    };
    let c = load_corpus(&dir, CorpusKind::Ravdess).unwrap();
    assert_eq!(c.len(), 1440);
    assert!(c.rejected.is_empty(), "{:?}", c.rejected);
    let s = c.summary();
    assert_eq!(s.per_speaker.len(), 24);
    assert!(s.per_speaker.values().all(|&n| n == 60));
    assert_eq!(s.per_label.len(), 8);
    assert_eq!(s.per_label[&E::Neutral], 96);
    assert!(s
        .per_label
        .iter()
        .all(|(l, &n)| n == if *l == E::Neutral { 96 } else { 192 }));
    assert_eq!(s.speakers_per_gender[&Gender::Male], 12);
    assert_eq!(s.n_sentences, 2);
    assert_eq!(CorpusKind::detect(&dir).unwrap(), CorpusKind::Ravdess);
    let folds = c.standard_folds().unwrap();
    assert_eq!(folds.len(), 4);
    assert!(folds.iter().all(|f| f.test.len() == 360));
}

/// The datasets README notes two identical Actor_07 takes. In this FLAC copy they are not
/// byte-identical (re-encoded), so only the decoded comparison finds them.
#[test]
fn ravdess_actor07_duplicate_is_found() {
    let Some(dir) = corpus_dir("ravdess") else {
        return;
    };
    let c = load_corpus(dir.join("Actor_07"), CorpusKind::Ravdess).unwrap();
    assert_eq!(c.len(), 60);
    assert!(c.duplicate_files().unwrap().is_empty());
    let pairs = c
        .near_duplicate_pairs(1e-3, |p| ser_dsp::Audio::load(p, None).map(|a| a.samples))
        .unwrap();
    let names: Vec<(String, String)> = pairs
        .iter()
        .map(|(a, b)| {
            let n = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
            (n(a), n(b))
        })
        .collect();
    assert_eq!(
        names,
        vec![(
            "03-01-03-01-02-01-07.flac".to_string(),
            "03-01-03-01-02-02-07.flac".to_string()
        )]
    );
}
