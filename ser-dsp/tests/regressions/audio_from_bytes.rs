//! Fuzz entry point `audio_from_bytes`: decode arbitrary bytes as an audio file.
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/audio_from_bytes.rs`, the replay of
//! saved inputs in `tests/regressions_dsp.rs` and its proptest harness. Panics only on a
//! bug: a panic inside `ser-dsp`, or an `Ok` that breaks the documented [`Audio`] invariant.

use ser_dsp::{Audio, MAX_SAMPLE_RATE};

/// Largest resampled output the entry point asks for (keeps one execution bounded).
const MAX_RESAMPLED: u64 = 1 << 21;

/// Runs one input.
pub fn run(data: &[u8]) {
    let audio = match Audio::from_bytes(data, None) {
        Ok(a) => a,
        Err(e) => {
            // The message must be printable (Display never panics).
            let _ = e.to_string();
            return;
        }
    };
    check(&audio);
    // Resample to 16 kHz when the output stays small, as `load(path, Some(16000))` would.
    let out_len = audio.samples.len() as u64 * 16_000 / audio.sample_rate as u64;
    if audio.sample_rate != 16_000 && out_len <= MAX_RESAMPLED {
        if let Ok(r) = Audio::from_bytes(data, Some(16_000)) {
            check(&r);
            assert_eq!(r.sample_rate, 16_000);
        }
    }
}

fn check(audio: &Audio) {
    assert!(!audio.samples.is_empty(), "Ok(Audio) without samples");
    assert!(
        (1..=MAX_SAMPLE_RATE).contains(&audio.sample_rate),
        "Ok(Audio) with rate {}",
        audio.sample_rate
    );
    if let Some(i) = audio.samples.iter().position(|v| !v.is_finite()) {
        panic!(
            "Ok(Audio) with non-finite sample {} at {i}",
            audio.samples[i]
        );
    }
    assert!(audio.duration_secs().is_finite());
}
