//! Fuzz entry point `manifest`: `read_manifest` / `read_manifest_with` on arbitrary bytes
//! written to a temporary `.csv` or `.jsonl` file.
//!
//! Layout: byte 0 picks the extension (even: `manifest.csv`, odd: `manifest.jsonl`) and
//! whether the listed audio files must exist (bit 1 clear: existence not required, so rows
//! are parsed to the end); the rest is the file. Shared by `fuzz/fuzz_targets/manifest.rs`
//! and `tests/regressions_data.rs`. Panics only on a bug: a panic inside `ser-data` or an
//! `Ok` corpus that breaks its own invariants.

use ser_data::{read_manifest_with, write_manifest, ManifestOptions};

/// Runs one input.
pub fn run(data: &[u8]) {
    let (mode, body) = data.split_first().map_or((0, data), |(m, b)| (*m, b));
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(_) => return,
    };
    let name = if mode & 1 == 0 {
        "manifest.csv"
    } else {
        "manifest.jsonl"
    };
    let path = dir.path().join(name);
    if std::fs::write(&path, body).is_err() {
        return;
    }
    let options = ManifestOptions::default().require_existing_files(mode & 2 == 2);
    match read_manifest_with(&path, &options) {
        Ok(corpus) => {
            // Speakers are all named (a `speaker` column) or all unknown (none).
            let named = corpus
                .utterances
                .iter()
                .filter(|u| !u.speaker.trim().is_empty())
                .count();
            assert!(
                named == 0 || named == corpus.len(),
                "{named} of {} utterances name a speaker",
                corpus.len()
            );
            let _ = corpus.summary();
            assert_eq!(corpus.speaker_groups().len(), corpus.len());
            // What was read can be written and read back to the same rows.
            let out = dir.path().join("round_trip.csv");
            if write_manifest(&corpus, &out).is_ok() {
                let opts = ManifestOptions::default().require_existing_files(false);
                let back = read_manifest_with(&out, &opts)
                    .unwrap_or_else(|e| panic!("written manifest does not read back: {e}"));
                assert_eq!(back.len(), corpus.len(), "round trip row count");
                for (a, b) in corpus.utterances.iter().zip(&back.utterances) {
                    assert_eq!(a.label, b.label, "round trip label");
                    assert_eq!(a.speaker, b.speaker, "round trip speaker");
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
