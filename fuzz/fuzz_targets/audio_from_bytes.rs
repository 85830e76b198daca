//! `ser_dsp::Audio::from_bytes` on arbitrary bytes (WAV / FLAC / MP3 / OGG sniffing and
//! decoding, down-mixing, resampling).
#![no_main]

#[path = "../../ser-dsp/tests/regressions/audio_from_bytes.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::run(data));
