//! CSV / JSONL manifests: reading, validation errors naming the row, round trips.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use proptest::prelude::*;
use ser_data::{
    read_manifest, read_manifest_with, write_manifest, Corpus, CorpusKind, EmotionLabel, Error,
    Gender, Intensity, ManifestOptions, Split, Utterance,
};

fn setup(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let p = dir.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"").unwrap();
    }
    dir
}

fn row_error(r: ser_data::Result<Corpus>) -> (u64, String, String) {
    match r {
        Err(Error::ManifestRow {
            line,
            field,
            message,
            ..
        }) => (line, field, message),
        Err(other) => panic!("expected a row error, got {other}"),
        Ok(_) => panic!("expected a row error, got a corpus"),
    }
}

#[test]
fn csv_manifest_reads_all_fields() {
    let dir = setup(&["a.wav", "sub/b.flac", "c.wav"]);
    let m = dir.path().join("manifest.csv");
    std::fs::write(
        &m,
        "\u{feff}path,label,speaker,transcript,gender,split,extra\n\
         a.wav,angry,s1,\"Hello, world\",m,train,x\n\
         sub/b.flac,frustration,s2,,female,test,y\n\
         c.wav,Happy,s3,hi,,dev,z\n",
    )
    .unwrap();
    let c = read_manifest(&m).unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(c.kind, Some(CorpusKind::Manifest));
    let a = &c.utterances[0];
    assert_eq!(a.label, EmotionLabel::Anger);
    assert_eq!(a.raw_label, "angry");
    assert_eq!(a.transcript.as_deref(), Some("Hello, world"));
    assert_eq!(a.gender, Gender::Male);
    assert_eq!(a.split, Some(Split::Train));
    let c_utt = &c.utterances[1];
    assert_eq!(c_utt.label, EmotionLabel::Happiness);
    assert_eq!(c_utt.gender, Gender::Unknown);
    assert_eq!(c_utt.split, Some(Split::Validation));
    let b = &c.utterances[2];
    assert_eq!(b.label, EmotionLabel::Other("frustration".into()));
    assert_eq!(b.transcript, None);
    assert!(b.path.ends_with("sub/b.flac"));
    let all = ser_data::LabelMapping::from_corpus(&c).unwrap();
    assert_eq!(
        all.classes(),
        [
            EmotionLabel::Happiness,
            EmotionLabel::Anger,
            EmotionLabel::Other("frustration".into())
        ]
    );
    assert_eq!(c.class_indices(&all).unwrap(), vec![1, 0, 2]);
    let folds = c.standard_folds().unwrap();
    assert_eq!(folds.len(), 1);
    assert_eq!(folds[0].train.len(), 1);
    assert_eq!(folds[0].test.len(), 1);
    // load_corpus finds manifest.csv in the folder.
    let via_load = ser_data::load_corpus(dir.path(), CorpusKind::Manifest).unwrap();
    assert_eq!(via_load.utterances, c.utterances);
}

#[test]
fn csv_errors_name_line_and_field() {
    let dir = setup(&["a.wav", "b.wav"]);
    let m = dir.path().join("m.csv");
    let cases: [(&str, u64, &str); 7] = [
        (
            "path,label,speaker\na.wav,angry,s1\nb.wav,,s2\n",
            3,
            "label",
        ),
        ("path,label,speaker\na.wav,angry,\n", 2, "speaker"),
        (
            "path,label,speaker,gender\na.wav,angry,s1,robot\n",
            2,
            "gender",
        ),
        (
            "path,label,speaker,split\na.wav,angry,s1,fold3\n",
            2,
            "split",
        ),
        (
            "path,label,speaker\na.wav,angry,s1\nmissing.wav,sad,s2\n",
            3,
            "path",
        ),
        (
            "path,label,speaker\na.wav,angry,s1\na.wav,sad,s2\n",
            3,
            "path",
        ),
        (
            "path,label,speaker,age\na.wav,angry,s1,31\nb.wav,sad,s2,old\n",
            3,
            "age",
        ),
    ];
    for (text, line, field) in cases {
        std::fs::write(&m, text).unwrap();
        let (l, f, msg) = row_error(read_manifest(&m));
        assert_eq!((l, f.as_str()), (line, field), "{text:?}: {msg}");
        // The Display form names file, line and field.
        let shown = read_manifest(&m).unwrap_err().to_string();
        assert!(
            shown.contains(&format!("m.csv:{line}: field \"{field}\"")),
            "{shown}"
        );
    }
    // Ragged row: the csv reader's error carries the line.
    std::fs::write(&m, "path,label,speaker\na.wav,angry,s1\nb.wav,sad\n").unwrap();
    let (l, _, _) = row_error(read_manifest(&m));
    assert_eq!(l, 3);
    // Missing required column.
    std::fs::write(&m, "file,emotion\na.wav,angry\n").unwrap();
    match read_manifest(&m).unwrap_err() {
        Error::MissingColumn { column, .. } => assert_eq!(column, "speaker"),
        other => panic!("{other}"),
    }
    // Non-existent files are accepted when asked to.
    std::fs::write(&m, "path,label,speaker\nnot_here.wav,angry,s1\n").unwrap();
    let c = read_manifest_with(
        &m,
        &ManifestOptions::default()
            .require_existing_files(false)
            .name("x"),
    )
    .unwrap();
    assert_eq!(c.name, "x");
    // Header only.
    std::fs::write(&m, "path,label,speaker\n").unwrap();
    assert!(matches!(read_manifest(&m), Err(Error::EmptyCorpus { .. })));
}

#[test]
fn jsonl_manifest_and_errors() {
    let dir = setup(&["a.wav", "b.wav"]);
    let m = dir.path().join("m.jsonl");
    std::fs::write(
        &m,
        "{\"path\":\"a.wav\",\"label\":\"sad\",\"speaker\":7,\"transcript\":\"hi\",\"intensity\":\"HI\"}\n\
         \n\
         {\"file\":\"b.wav\",\"emotion\":\"neutral\",\"speaker\":\"s2\",\"age\":40,\"split\":null}\n",
    )
    .unwrap();
    let c = read_manifest(&m).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.utterances[0].speaker, "7");
    assert_eq!(c.utterances[0].intensity, Some(Intensity::High));
    assert_eq!(c.utterances[1].age, Some(40));
    assert_eq!(c.utterances[1].split, None);

    let cases: [(&str, u64, &str); 4] = [
        ("{\"path\":\"a.wav\",\"label\":\"sad\"}\n", 1, "speaker"),
        (
            "\n{\"path\":\"a.wav\",\"label\":\"sad\",\"speaker\":\"x\"}\n{oops\n",
            3,
            "json",
        ),
        ("[1,2]\n", 1, "json"),
        (
            "{\"path\":\"a.wav\",\"label\":[\"sad\"],\"speaker\":\"x\"}\n",
            1,
            "label",
        ),
    ];
    for (text, line, field) in cases {
        std::fs::write(&m, text).unwrap();
        let (l, f, msg) = row_error(read_manifest(&m));
        assert_eq!((l, f.as_str()), (line, field), "{text:?}: {msg}");
    }
}

#[test]
fn emodb_shared_layout_is_read() {
    let dir = setup(&["wav/03a01Fa.wav", "wav/08b10Ld.wav"]);
    let m = dir.path().join("manifest.csv");
    std::fs::write(
        &m,
        "path,speaker,gender,age,emotion,text_id,text\n\
         wav/03a01Fa.wav,03,male,31,happiness,a01,Der Lappen liegt auf dem Eisschrank.\n\
         wav/08b10Ld.wav,08,female,34,boredom,b10,\"Die wird auf dem Platz sein, wo wir sie immer hinlegen.\"\n",
    )
    .unwrap();
    let c = read_manifest(&m).unwrap();
    let from_names = ser_data::load_corpus(dir.path(), CorpusKind::EmoDb).unwrap();
    assert_eq!(c.len(), 2);
    for (a, b) in c.utterances.iter().zip(&from_names.utterances) {
        assert_eq!(a.path, b.path);
        assert_eq!(a.label, b.label);
        assert_eq!(a.speaker, b.speaker);
        assert_eq!(a.gender, b.gender);
        assert_eq!(a.age, b.age);
        assert_eq!(a.sentence_id, b.sentence_id);
        assert_eq!(a.transcript, b.transcript);
    }
}

fn arb_utterance() -> impl Strategy<
    Value = (
        String,
        EmotionLabel,
        String,
        Option<String>,
        Gender,
        Option<Split>,
    ),
> {
    (
        "[a-z]{1,8}",
        prop::sample::select(EmotionLabel::NAMED.to_vec()),
        "[A-Za-z0-9]{1,5}",
        prop::option::of("[A-Za-z ,.'\"äöü?]{1,30}"),
        prop::sample::select(vec![Gender::Male, Gender::Female, Gender::Unknown]),
        prop::option::of(prop::sample::select(vec![
            Split::Train,
            Split::Validation,
            Split::Test,
        ])),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn write_then_read_round_trips(
        rows in prop::collection::vec(arb_utterance(), 1..6),
        jsonl in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut utts = Vec::new();
        for (i, (stem, label, speaker, transcript, gender, split)) in rows.into_iter().enumerate() {
            let path = dir.path().join(format!("{stem}{i}.wav"));
            std::fs::write(&path, b"").unwrap();
            let mut u = Utterance::new(path, "rt", label, speaker).with_gender(gender);
            u.transcript = transcript.filter(|t| !t.trim().is_empty()).map(|t| t.trim().to_string());
            u.split = split;
            utts.push(u);
        }
        let corpus = Corpus::new("rt", dir.path(), utts);
        let m = dir.path().join(if jsonl { "m.jsonl" } else { "m.csv" });
        write_manifest(&corpus, &m).unwrap();
        let back = read_manifest_with(&m, &ManifestOptions::default().name("rt")).unwrap();
        prop_assert_eq!(back.utterances.len(), corpus.utterances.len());
        for (a, b) in back.utterances.iter().zip(&corpus.utterances) {
            prop_assert_eq!(&a.path, &b.path);
            prop_assert_eq!(&a.label, &b.label);
            prop_assert_eq!(&a.speaker, &b.speaker);
            prop_assert_eq!(&a.transcript, &b.transcript);
            prop_assert_eq!(a.gender, b.gender);
            prop_assert_eq!(a.split, b.split);
        }
        let _ = Path::new("");
    }
}
