//! Hardening of `ser-data` manifest parsing on untrusted input (issue 10).
//!
//! Replays every input under `tests/fixtures/regressions/manifest/` (crashes found by
//! `cargo fuzz`, see `fuzz/README.md`, and seeds) through the entry point the fuzz target
//! calls (`tests/regressions/manifest.rs`), plus a CI-bounded proptest harness.
#![allow(clippy::unwrap_used)]

#[path = "regressions/manifest.rs"]
mod manifest;

use proptest::prelude::*;
use std::path::{Path, PathBuf};

#[test]
fn replay_manifest_inputs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/regressions/manifest");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let r = std::panic::catch_unwind(|| manifest::run(&data));
        assert!(r.is_ok(), "regression input {} panics again", f.display());
    }
}

const CSV: &str = "path,label,speaker,transcript,gender,split,age\n\
                   a.wav,angry,s1,\"Hello, world\",female,train,31\n\
                   b.wav,neutral,s2,,male,test,\n";
const JSONL: &str = "{\"path\": \"a.wav\", \"label\": \"happy\", \"speaker\": \"s1\"}\n\
                     {\"path\": \"b.wav\", \"label\": \"sad\", \"speaker\": \"s2\", \"age\": 40}\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn manifest_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        manifest::run(&data);
    }

    /// Valid manifests with bytes replaced (quotes, commas, newlines, braces, invalid UTF-8).
    #[test]
    fn manifest_mutated(
        jsonl in any::<bool>(),
        edits in proptest::collection::vec(
            (0usize..200, prop::sample::select(vec![b'"', b',', b'\n', b'{', b'}', b':', 0xff, 0xfe, b' ', b'\r'])),
            0..8,
        ),
    ) {
        let mut data = vec![u8::from(jsonl)];
        data.extend_from_slice(if jsonl { JSONL } else { CSV }.as_bytes());
        for (i, v) in edits {
            let n = data.len();
            data[1 + i % (n - 1)] = v;
        }
        manifest::run(&data);
    }

    /// Any printable cell content survives write → read.
    #[test]
    fn cells_round_trip(cells in proptest::collection::vec("[ -~]{0,12}", 4)) {
        let line = cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(",");
        let mut data = vec![0u8];
        data.extend_from_slice(format!("path,label,speaker,transcript\n{line}\n").as_bytes());
        manifest::run(&data);
    }
}
