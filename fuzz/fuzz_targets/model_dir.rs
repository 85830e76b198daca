//! `ser_models::load_model_dir` on arbitrary `config.json` / `model.safetensors` bytes,
//! then prediction with whatever loads.
#![no_main]

#[path = "../../ser-models/tests/regressions/model_dir.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::run(data));
