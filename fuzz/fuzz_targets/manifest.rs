//! `ser_data::read_manifest_with` on arbitrary CSV / JSONL bytes.
#![no_main]

#[path = "../../ser-data/tests/regressions/manifest.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::run(data));
