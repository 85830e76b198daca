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
    std::fs::write(&m, "file,speaker\na.wav,s1\n").unwrap();
    match read_manifest(&m).unwrap_err() {
        Error::MissingColumn { column, .. } => assert_eq!(column, "label"),
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
        ("{\"path\":\"a.wav\",\"speaker\":\"s\"}\n", 1, "label"),
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

/// A 0.1 s silent 16 kHz WAV (a readable header).
fn write_wav(path: &Path) {
    let n = 1600u32;
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + 2 * n).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&16000u32.to_le_bytes());
    b.extend_from_slice(&32000u32.to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(2 * n).to_le_bytes());
    b.resize(b.len() + 2 * n as usize, 0);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b).unwrap();
}

#[test]
fn every_bad_row_is_reported_together_or_skipped_and_counted() {
    let dir = setup(&["a.wav", "b.wav", "d.wav"]);
    let m = dir.path().join("m.csv");
    std::fs::write(
        &m,
        "path,label,speaker\n\
         a.wav,angry,s1\n\
         missing.wav,sad,s2\n\
         b.wav,,s2\n\
         a.wav,sad,s3\n\
         d.wav,happy,s4\n",
    )
    .unwrap();
    match read_manifest(&m) {
        Err(Error::BadRows { rows, .. }) => {
            let lines: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.field.as_str())).collect();
            assert_eq!(lines, [(3, "path"), (4, "label"), (5, "path")]);
            assert!(
                rows[2].message.contains("duplicate of line 2"),
                "{}",
                rows[2].message
            );
        }
        other => panic!("expected every bad row, got {other:?}"),
    }
    let msg = read_manifest(&m).unwrap_err().to_string();
    assert!(
        msg.contains("3 bad rows") && msg.contains("line 4"),
        "{msg}"
    );
    let c = read_manifest_with(&m, &ManifestOptions::default().skip_bad(true)).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.rejected.len(), 3);
    assert!(
        c.rejected[0].reason.starts_with("line 3: path:"),
        "{:?}",
        c.rejected
    );
}

#[test]
fn speakers_are_optional_and_unreadable_audio_is_caught_by_the_probe() {
    let dir = setup(&["empty.wav"]);
    write_wav(&dir.path().join("ok.wav"));
    let m = dir.path().join("m.csv");
    std::fs::write(&m, "path,label\nok.wav,neutral\nempty.wav,angry\n").unwrap();
    let c = read_manifest(&m).unwrap();
    assert_eq!(c.len(), 2);
    assert!(!c.has_speakers());
    let probed = ManifestOptions::default().probe_audio(true);
    let (line, field, message) = row_error(read_manifest_with(&m, &probed));
    assert_eq!((line, field.as_str()), (3, "path"));
    assert!(message.contains("not readable audio"), "{message}");
    let kept = read_manifest_with(&m, &probed.skip_bad(true)).unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept.utterances[0].path.ends_with("ok.wav"));
    // A speaker column must not have holes.
    std::fs::write(&m, "path,label,speaker\nok.wav,neutral,\n").unwrap();
    assert_eq!(row_error(read_manifest(&m)).1, "speaker");
    // A JSONL line without the speaker key, when other lines name theirs, is a bad row.
    let mixed = dir.path().join("mixed.jsonl");
    std::fs::write(
        &mixed,
        "{\"path\":\"ok.wav\",\"label\":\"sad\",\"speaker\":\"s1\"}\n{\"path\":\"empty.wav\",\"label\":\"sad\"}\n",
    )
    .unwrap();
    assert_eq!(
        row_error(read_manifest(&mixed)),
        (
            2,
            "speaker".into(),
            "empty (leave the column out if no speaker is known)".into()
        )
    );
    // JSONL: every bad line too.
    let j = dir.path().join("m.jsonl");
    std::fs::write(
        &j,
        "{\"path\":\"ok.wav\",\"label\":\"sad\"}\nnot json\n[1]\n",
    )
    .unwrap();
    match read_manifest(&j) {
        Err(Error::BadRows { rows, .. }) => assert_eq!(rows.len(), 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn label_folders_read_labels_and_speakers_and_report_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("mydata");
    for f in [
        "angry/s01_a.wav",
        "angry/s02_b.wav",
        "neutral/s01_c.wav",
        "neutral/sub/s03_d.flac",
    ] {
        write_wav(&root.join(f));
    }
    std::fs::write(root.join("notes.txt"), b"").unwrap();
    std::fs::write(root.join("angry/readme.md"), b"").unwrap();
    let opts = ser_data::FolderOptions::default()
        .speaker_regex(r"^(s\d+)_")
        .unwrap();
    let c = ser_data::read_label_folders(&root, &opts).unwrap();
    assert_eq!(c.name, "mydata");
    assert_eq!(c.len(), 4);
    assert!(c.has_speakers());
    assert_eq!(c.speakers(), ["mydata/s01", "mydata/s02", "mydata/s03"]);
    let labels = ser_data::LabelMapping::from_corpus(&c).unwrap();
    assert_eq!(
        labels.classes(),
        [EmotionLabel::Neutral, EmotionLabel::Anger]
    );
    // No regex: unknown speakers.
    let anon = ser_data::read_label_folders(&root, &Default::default()).unwrap();
    assert!(!anon.has_speakers());
    // A file the regex misses, an unreadable file and an empty label folder: all reported.
    std::fs::write(root.join("angry/bad_name.wav"), b"").unwrap();
    std::fs::write(root.join("neutral/s04_e.wav"), b"not audio").unwrap();
    std::fs::create_dir_all(root.join("sad")).unwrap();
    let strict = opts.clone().probe_audio(true);
    match ser_data::read_label_folders(&root, &strict) {
        Err(Error::BadRows { rows, .. }) => {
            let fields: Vec<&str> = rows.iter().map(|r| r.field.as_str()).collect();
            assert_eq!(fields, ["speaker", "path", "label"], "{rows:?}");
        }
        other => panic!("{other:?}"),
    }
    let skipped = ser_data::read_label_folders(&root, &strict.skip_bad(true)).unwrap();
    assert_eq!((skipped.len(), skipped.rejected.len()), (4, 3));
    assert!(ser_data::read_label_folders(root.join("nope"), &opts).is_err());
    assert!(ser_data::FolderOptions::default()
        .speaker_regex("(")
        .is_err());
}
