//! `ser-features` extractors (frame-level set, streaming, YIN, pYIN, eGeMAPS, ComParE,
//! functionals) on arbitrary samples and configurations.
#![no_main]

#[path = "../../ser-features/tests/regressions/bytes.rs"]
mod bytes;
#[path = "../../ser-features/tests/regressions/features.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::run(data));
