//! Loaders on generated folders that mimic each corpus's naming scheme (empty files: the
//! loaders read names only).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use proptest::prelude::*;
use ser_data::{
    load_corpus, load_corpus_auto, load_corpus_with, CorpusKind, EmotionLabel, Error, Gender,
    Intensity, LabelMapping, LoadOptions,
};

fn touch(root: &Path, rel: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, b"").unwrap();
}

fn reasons(c: &ser_data::Corpus) -> Vec<String> {
    c.rejected
        .iter()
        .map(|r| {
            format!(
                "{}: {}",
                r.path.file_name().unwrap().to_string_lossy(),
                r.reason
            )
        })
        .collect()
}

#[test]
fn emodb_folder() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    for n in [
        "03a01Wa", "03a01Wb", "08b02Lc", "16b10Ea", "13a07Ad", "11a04Ta", "09a05Nb", "14b03Fa",
    ] {
        touch(r, &format!("wav/{n}.wav"));
    }
    touch(r, "wav/03a01Wa.txt"); // not audio: ignored
    touch(r, ".hidden/03a01Wz.wav"); // dot-folder: ignored
    touch(r, "wav/99a01Wa.wav"); // unknown speaker
    touch(r, "wav/03c01Wa.wav"); // unknown sentence
    let c = load_corpus(r, CorpusKind::EmoDb).unwrap();
    assert_eq!(c.len(), 8);
    assert_eq!(c.rejected.len(), 2, "{:?}", reasons(&c));
    assert!(reasons(&c)
        .iter()
        .any(|s| s.starts_with("99a01Wa.wav: unknown speaker")));
    let s = c.summary();
    assert_eq!(s.per_label[&EmotionLabel::Anger], 2);
    assert_eq!(s.per_label.len(), 7);
    assert_eq!(s.per_speaker.len(), 7);
    let u = c
        .utterances
        .iter()
        .find(|u| u.path.ends_with("08b02Lc.wav"))
        .unwrap();
    assert_eq!(u.label, EmotionLabel::Boredom);
    assert_eq!(u.gender, Gender::Female);
    assert_eq!(u.age, Some(34));
    assert_eq!(u.raw_label, "L");
    assert_eq!(u.sentence_id.as_deref(), Some("b02"));
    assert!(u
        .transcript
        .as_deref()
        .unwrap()
        .starts_with("Sie haben es gerade"));

    // Strict mode turns the first rejection into a typed error.
    let err =
        load_corpus_with(r, CorpusKind::EmoDb, &LoadOptions::default().strict(true)).unwrap_err();
    assert!(matches!(err, Error::MalformedName { .. }), "{err}");
    assert!(c.ensure_no_rejections().is_err());
    assert_eq!(CorpusKind::detect(r).unwrap(), CorpusKind::EmoDb);
}

#[test]
fn ravdess_folder() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let mut n = 0;
    for actor in [1u32, 2, 7, 8] {
        for emo in 1..=8u32 {
            for int in 1..=2u32 {
                if emo == 1 && int == 2 {
                    continue;
                }
                let ext = if actor % 2 == 0 { "flac" } else { "wav" };
                touch(
                    r,
                    &format!("Actor_{actor:02}/03-01-{emo:02}-{int:02}-01-01-{actor:02}.{ext}"),
                );
                n += 1;
            }
        }
    }
    touch(r, "Actor_01/03-02-03-01-01-01-01.wav"); // song
    touch(r, "Actor_01/03-01-03-01-01-01-02.wav"); // actor 02 in Actor_01
    touch(r, "Actor_02/03-01-01-02-01-01-02.flac"); // strong neutral
    let c = load_corpus(r, CorpusKind::Ravdess).unwrap();
    assert_eq!(c.len(), n);
    assert_eq!(c.rejected.len(), 3, "{:?}", reasons(&c));
    let s = c.summary();
    assert_eq!(s.per_label.len(), 8);
    assert_eq!(s.speakers_per_gender[&Gender::Male], 2);
    assert_eq!(s.speakers_per_gender[&Gender::Female], 2);
    let strong = c
        .utterances
        .iter()
        .filter(|u| u.intensity == Some(Intensity::High))
        .count();
    assert_eq!(strong, 4 * 7);
    assert_eq!(CorpusKind::detect(r).unwrap(), CorpusKind::Ravdess);

    // Calm merged into neutral vs dropped.
    let merged = LabelMapping::four_class().calm_as_neutral();
    let dropped = LabelMapping::four_class();
    let m = c.map_labels(&merged);
    let d = c.map_labels(&dropped);
    assert_eq!(m.len(), d.len() + 4 * 2);
    assert!(m
        .utterances
        .iter()
        .any(|u| u.raw_label == "02" && u.label == EmotionLabel::Neutral));
    assert!(d.utterances.iter().all(|u| u.label != EmotionLabel::Calm));
    let folds = c.standard_folds().unwrap();
    // Actors 1, 2 fall in the group 1-6 and 7, 8 in 7-12: two non-empty actor folds.
    assert_eq!(folds.len(), 2);
    c.check_speaker_independent(&folds).unwrap();
}

#[test]
fn cremad_folder_with_and_without_demographics() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let emos = ["ANG", "DIS", "FEA", "HAP", "NEU", "SAD"];
    let lvls = ["LO", "MD", "HI", "XX"];
    for actor in [1001, 1002, 1050, 1091] {
        for (i, e) in emos.iter().enumerate() {
            touch(r, &format!("AudioWAV/{actor}_IEO_{e}_{}.wav", lvls[i % 4]));
        }
    }
    touch(r, "AudioWAV/1001_IEO_ANG_X.wav");
    touch(r, "AudioMP3/1001_IEO_ANG_XX.mp3"); // not loaded: only wav/flac
    let c = load_corpus(r.join("AudioWAV"), CorpusKind::CremaD).unwrap();
    assert_eq!(c.len(), 24);
    assert_eq!(c.rejected.len(), 1);
    assert!(c.utterances.iter().all(|u| u.gender == Gender::Unknown));
    assert_eq!(
        c.utterances[0].transcript.as_deref(),
        Some("It's eleven o'clock")
    );
    assert_eq!(c.speaker_k_fold(4).unwrap().len(), 4);
    assert!(c.standard_folds().is_err(), "5 folds need 5 actors");

    // VideoDemographics.csv in the parent folder is picked up.
    std::fs::write(
        r.join("VideoDemographics.csv"),
        "\u{feff}ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n1002,21,Female,Caucasian,Not Hispanic\n",
    )
    .unwrap();
    let c = load_corpus(r.join("AudioWAV"), CorpusKind::CremaD).unwrap();
    let g = |a: &str| c.utterances.iter().find(|u| u.speaker == a).unwrap().gender;
    assert_eq!(g("1001"), Gender::Male);
    assert_eq!(g("1002"), Gender::Female);
    assert_eq!(g("1050"), Gender::Unknown);
    assert_eq!(c.utterances[0].age, Some(51));

    // A bad demographics row is reported with its line.
    std::fs::write(
        r.join("VideoDemographics.csv"),
        "ActorID,Age,Sex\n1001,51,Male\n1002,x,Female\n",
    )
    .unwrap();
    match load_corpus(r.join("AudioWAV"), CorpusKind::CremaD).unwrap_err() {
        Error::ManifestRow { line, field, .. } => assert_eq!((line, field.as_str()), (3, "Age")),
        other => panic!("{other}"),
    }
}

#[test]
fn tess_folder() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let emos = [
        "angry",
        "disgust",
        "Fear",
        "happy",
        "neutral",
        "Pleasant_surprise",
        "Sad",
    ];
    for spk in ["OAF", "YAF"] {
        for e in emos {
            for w in ["back", "bar"] {
                let code = if e == "Pleasant_surprise" && spk == "OAF" {
                    "ps"
                } else {
                    e
                };
                touch(
                    r,
                    &format!("{spk}_{e}/{spk}_{w}_{}.wav", code.to_lowercase()),
                );
            }
        }
    }
    touch(r, "OAF_angry/OAF_back_angry_copy.wav");
    let c = load_corpus(r, CorpusKind::Tess).unwrap();
    assert_eq!(c.len(), 28);
    assert_eq!(c.rejected.len(), 1, "{:?}", reasons(&c));
    let s = c.summary();
    assert_eq!(s.per_label[&EmotionLabel::Surprise], 4);
    assert_eq!(s.per_speaker.len(), 2);
    assert_eq!(s.n_sentences, 2);
    assert!(c.utterances.iter().all(|u| u.gender == Gender::Female));
    assert!(c
        .utterances
        .iter()
        .any(|u| u.transcript.as_deref() == Some("Say the word bar")));
    assert_eq!(c.standard_folds().unwrap().len(), 2);
    assert_eq!(CorpusKind::detect(r).unwrap(), CorpusKind::Tess);
}

#[test]
fn savee_folder_both_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    for spk in ["DC", "JE", "JK", "KL"] {
        for code in ["a01", "d02", "f03", "h04", "n30", "sa15", "su01"] {
            touch(r, &format!("AudioData/{spk}/{code}.wav"));
        }
    }
    touch(r, "AudioData/DC/a16.wav");
    touch(r, "AudioData/XY/a01.wav");
    let c = load_corpus(r, CorpusKind::Savee).unwrap();
    assert_eq!(c.len(), 28);
    assert_eq!(c.rejected.len(), 2, "{:?}", reasons(&c));
    assert!(c
        .utterances
        .iter()
        .all(|u| u.gender == Gender::Male && u.transcript.is_none()));
    assert_eq!(c.standard_folds().unwrap().len(), 4);
    assert_eq!(CorpusKind::detect(r).unwrap(), CorpusKind::Savee);

    let flat = tempfile::tempdir().unwrap();
    for spk in ["DC", "KL"] {
        touch(flat.path(), &format!("ALL/{spk}_su07.wav"));
    }
    let c = load_corpus_auto(flat.path()).unwrap();
    assert_eq!(c.kind, Some(CorpusKind::Savee));
    assert_eq!(c.speakers(), vec!["savee/DC", "savee/KL"]);
}

#[test]
fn empty_and_unknown_folders() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        load_corpus(dir.path().join("missing"), CorpusKind::EmoDb),
        Err(Error::NotADirectory(_))
    ));
    touch(dir.path(), "random_name.wav");
    assert!(matches!(
        load_corpus(dir.path(), CorpusKind::EmoDb),
        Err(Error::EmptyCorpus { rejected: 1, .. })
    ));
    assert!(matches!(
        CorpusKind::detect(dir.path()),
        Err(Error::DetectionFailed { .. })
    ));
    assert!("nope".parse::<CorpusKind>().is_err());
    assert_eq!("CREMA-D".parse::<CorpusKind>().unwrap(), CorpusKind::CremaD);
}

#[test]
fn concatenated_corpora_keep_speakers_apart() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    touch(a.path(), "03a01Wa.wav");
    touch(a.path(), "08a01Wa.wav");
    touch(b.path(), "Actor_03/03-01-05-01-01-01-03.wav");
    touch(b.path(), "Actor_08/03-01-05-01-01-01-08.wav");
    let e = load_corpus(a.path(), CorpusKind::EmoDb).unwrap();
    let r = load_corpus(b.path(), CorpusKind::Ravdess).unwrap();
    let both = ser_data::Corpus::concat("x", &[e, r]);
    assert_eq!(
        both.speakers().len(),
        4,
        "emodb/03 and ravdess/03 are different speakers"
    );
    assert_eq!(both.loso().unwrap().len(), 4);
}

fn emodb_name() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "03", "08", "09", "10", "11", "12", "13", "14", "15", "16",
        ]),
        prop::sample::select(vec![
            "a01", "a02", "a04", "a05", "a07", "b01", "b02", "b03", "b09", "b10",
        ]),
        prop::sample::select(vec!['W', 'L', 'E', 'A', 'F', 'T', 'N']),
        prop::char::range('a', 'z'),
    )
        .prop_map(|(s, t, e, v)| format!("{s}{t}{e}{v}.wav"))
}

proptest! {
    #[test]
    fn every_documented_emodb_name_parses(name in emodb_name()) {
        let u = CorpusKind::EmoDb.parse_path(&name).unwrap();
        prop_assert_eq!(&u.speaker, &name[0..2]);
        prop_assert_eq!(u.sentence_id.as_deref(), Some(&name[2..5]));
        prop_assert!(u.transcript.is_some());
    }

    #[test]
    fn every_documented_ravdess_name_parses(
        emo in 1u32..=8, int in 1u32..=2, st in 1u32..=2, rep in 1u32..=2, actor in 1u32..=24,
    ) {
        let name = format!("Actor_{actor:02}/03-01-{emo:02}-{int:02}-{st:02}-{rep:02}-{actor:02}.flac");
        let r = CorpusKind::Ravdess.parse_path(&name);
        if emo == 1 && int == 2 {
            prop_assert!(r.is_err());
        } else {
            let u = r.unwrap();
            prop_assert_eq!(u.gender, if actor % 2 == 1 { Gender::Male } else { Gender::Female });
            prop_assert_eq!(u.speaker, format!("{actor:02}"));
        }
    }

    #[test]
    fn parsers_never_panic(name in "[A-Za-z0-9_\\-]{0,24}\\.wav", dir in "[A-Za-z0-9_]{0,10}") {
        for kind in CorpusKind::BUILT_IN {
            let _ = kind.parse_path(Path::new(&dir).join(&name));
        }
    }
}
