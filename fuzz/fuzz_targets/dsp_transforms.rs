//! `ser-dsp` STFT / ISTFT / mel / dB / DCT / framing / resampling with arbitrary parameters
//! and samples.
#![no_main]

#[path = "../../ser-dsp/tests/regressions/bytes.rs"]
mod bytes;
#[path = "../../ser-dsp/tests/regressions/dsp_transforms.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::run(data));
