//! Golden parity tests against librosa 0.11 (fixtures made by `tests/fixtures/gen_fixtures.py`).
//!
//! Tolerance: every element must satisfy `|ours - ref| <= 1e-4 * |ref|` or
//! `|ours - ref| <= 1e-5 * max|ref|` (absolute, relative to the array's peak, so near-zero
//! bins are judged on the scale of the signal). dB outputs are compared in absolute dB.
#![allow(clippy::unwrap_used)]

use ndarray::{Array1, Array2, ArrayView2, Axis, Slice};
use ndarray_npy::read_npy;
use ser_dsp::*;
use std::path::PathBuf;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture2(name: &str) -> Array2<f32> {
    read_npy(format!("{FIX}/{name}.npy")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn fixture1(name: &str) -> Vec<f32> {
    let a: Array1<f32> =
        read_npy(format!("{FIX}/{name}.npy")).unwrap_or_else(|e| panic!("{name}: {e}"));
    a.to_vec()
}

fn cols(x: &Array2<f32>, a: usize, b: usize) -> ArrayView2<'_, f32> {
    x.slice_axis(Axis(1), Slice::from(a..b))
}

fn manifest() -> serde_json::Value {
    let s = std::fs::read_to_string(format!("{FIX}/manifest.json")).unwrap();
    serde_json::from_str(&s).unwrap()
}

fn datasets_dir() -> PathBuf {
    std::env::var_os("SER_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/datasets"
            ))
        })
}

/// Asserts parity and returns (max abs error, max relative error over elements with
/// |ref| > 1e-3 * peak).
fn assert_close(
    what: &str,
    ours: ArrayView2<'_, f32>,
    reference: ArrayView2<'_, f32>,
) -> (f32, f32) {
    assert_eq!(ours.dim(), reference.dim(), "{what}: shape");
    let peak = reference.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let atol = 1e-5 * peak;
    let (mut max_abs, mut max_rel) = (0.0f32, 0.0f32);
    for ((idx, &a), &b) in ours.indexed_iter().zip(reference.iter()) {
        let d = (a - b).abs();
        max_abs = max_abs.max(d);
        if b.abs() > 1e-3 * peak {
            max_rel = max_rel.max(d / b.abs());
        }
        assert!(
            d <= 1e-4 * b.abs() || d <= atol,
            "{what}: at {idx:?} ours {a} vs librosa {b} (|d| = {d}, peak {peak})"
        );
    }
    eprintln!("{what}: max abs err {max_abs:.3e} (peak {peak:.3e}), max rel err {max_rel:.3e}");
    (max_abs, max_rel)
}

fn assert_db_close(
    what: &str,
    ours: ArrayView2<'_, f32>,
    reference: ArrayView2<'_, f32>,
    tol_db: f32,
) {
    assert_eq!(ours.dim(), reference.dim(), "{what}: shape");
    let max = ours
        .iter()
        .zip(reference.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!("{what}: max abs err {max:.3e} dB");
    assert!(max <= tol_db, "{what}: max abs error {max} dB > {tol_db}");
}

fn spec_cfg(sr: u32) -> (StftConfig, MelSpectrogramConfig) {
    let m = manifest();
    let n_fft = m["n_fft"].as_u64().unwrap() as usize;
    let hop = m["hop_length"].as_u64().unwrap() as usize;
    let n_mels = m["n_mels"].as_u64().unwrap() as usize;
    let stft = StftConfig::default().n_fft(n_fft).hop_length(hop);
    let mel = MelSpectrogramConfig::default()
        .sr(sr)
        .n_fft(n_fft)
        .hop_length(hop)
        .n_mels(n_mels);
    (stft, mel)
}

/// STFT magnitude, mel spectrogram and power_to_db (ref 1 and ref max) vs `prefix_*` fixtures;
/// `frames` selects the stored slice (outputs are computed on the whole signal).
fn check_spectral_set(prefix: &str, y: &[f32], sr: u32, frames: Option<(usize, usize)>) {
    let (stft_cfg, mel_cfg) = spec_cfg(sr);
    let stft = Stft::new(&stft_cfg).unwrap();
    let plan = MelSpectrogram::new(&mel_cfg).unwrap();
    let mag = stft.spectrogram(y, 1.0).unwrap();
    let mel = plan.process(y).unwrap();
    let db = power_to_db(mel.view(), &DbConfig::default()).unwrap();
    let db_max = power_to_db(mel.view(), &DbConfig::default().reference(DbRef::Max)).unwrap();
    let (a, b) = frames.unwrap_or((0, mag.ncols()));
    assert_close(
        &format!("{prefix} stft magnitude"),
        cols(&mag, a, b),
        fixture2(&format!("{prefix}_stft_mag")).view(),
    );
    assert_close(
        &format!("{prefix} mel spectrogram"),
        cols(&mel, a, b),
        fixture2(&format!("{prefix}_mel")).view(),
    );
    assert_db_close(
        &format!("{prefix} power_to_db"),
        cols(&db, a, b),
        fixture2(&format!("{prefix}_mel_db")).view(),
        1e-3,
    );
    assert_db_close(
        &format!("{prefix} power_to_db ref=max"),
        cols(&db_max, a, b),
        fixture2(&format!("{prefix}_mel_db_refmax")).view(),
        1e-3,
    );
}

#[test]
fn mel_filterbanks_match_librosa() {
    let m = manifest();
    let sr = m["sr"].as_u64().unwrap() as u32;
    let n_fft = m["n_fft"].as_u64().unwrap() as usize;
    let n_mels = m["n_mels"].as_u64().unwrap() as usize;
    for (htk, scale) in [(false, "slaney"), (true, "htk")] {
        for (norm, nname) in [(MelNorm::Slaney, "slaney"), (MelNorm::None, "none")] {
            let cfg = MelConfig::default()
                .sr(sr)
                .n_fft(n_fft)
                .n_mels(n_mels)
                .htk(htk)
                .norm(norm);
            let fb = mel_filterbank(&cfg).unwrap();
            assert_close(
                &format!("filterbank {scale}/{nname}"),
                fb.view(),
                fixture2(&format!("fb_{scale}_{nname}")).view(),
            );
        }
    }
    let cfg = MelConfig::default()
        .sr(22050)
        .n_fft(1024)
        .n_mels(40)
        .fmin(80.0)
        .fmax(7600.0)
        .htk(true);
    let fb = mel_filterbank(&cfg).unwrap();
    assert_close(
        "filterbank htk 80-7600 Hz",
        fb.view(),
        fixture2("fb_htk_80_7600_40_22050_1024").view(),
    );
}

#[test]
fn windows_match_scipy() {
    for (name, w) in [
        ("hann", Window::Hann),
        ("hann_sym", Window::HannSymmetric),
        ("hamming", Window::Hamming),
        ("hamming_sym", Window::HammingSymmetric),
    ] {
        let ours = get_window(w, 400);
        let reference = fixture1(&format!("win_{name}"));
        let max = ours
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max <= 1e-7, "window {name}: {max}");
    }
}

#[test]
fn synthetic_spectral_parity() {
    let x = fixture1("synth_x");
    let sr = manifest()["sr"].as_u64().unwrap() as u32;
    check_spectral_set("synth", &x, sr, None);

    let (stft_cfg, _) = spec_cfg(sr);
    let refl = Stft::new(
        &stft_cfg
            .clone()
            .win_length(400)
            .window(Window::Hamming)
            .pad_mode(PadMode::Reflect),
    )
    .unwrap();
    assert_close(
        "synth stft reflect/hamming/win400",
        refl.spectrogram(&x, 1.0).unwrap().view(),
        fixture2("synth_stft_mag_reflect_hamming400").view(),
    );

    let cfg = MelSpectrogramConfig::default()
        .sr(sr)
        .n_fft(512)
        .hop_length(160)
        .n_mels(40)
        .power(1.0)
        .htk(true)
        .norm(MelNorm::None)
        .center(false)
        .fmin(50.0)
        .fmax(7000.0);
    let mel1 = MelSpectrogram::new(&cfg).unwrap().process(&x).unwrap();
    assert_close(
        "synth mel htk/power1/center=False",
        mel1.view(),
        fixture2("synth_mel_htk_power1_nocenter").view(),
    );

    let mel = MelSpectrogram::new(&spec_cfg(sr).1)
        .unwrap()
        .process(&x)
        .unwrap();
    let amp = mel.mapv(f32::sqrt);
    let adb = amplitude_to_db(amp.view(), &DbConfig::amplitude().reference(DbRef::Max)).unwrap();
    assert_db_close(
        "synth amplitude_to_db ref=max",
        adb.view(),
        fixture2("synth_mag_db").view(),
        1e-3,
    );

    let db = power_to_db(mel.view(), &DbConfig::default()).unwrap();
    let dct = dct2_ortho(db.view(), 20).unwrap();
    assert_db_close(
        "synth dct-II ortho of dB mel (20 coefs)",
        dct.view(),
        fixture2("synth_dct20").view(),
        5e-3,
    );
}

#[test]
fn synthetic_time_domain_parity() {
    let x = fixture1("synth_x");
    let cfg = StftConfig::default().n_fft(512).hop_length(128);
    let spec = Stft::new(&cfg).unwrap().process(&x).unwrap();
    let y = Istft::new(&cfg)
        .unwrap()
        .process(spec.view(), Some(x.len()))
        .unwrap();
    let reference = fixture1("synth_istft");
    let max = y
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!("synth istft: max abs err {max:.3e}");
    assert!(max < 1e-5, "istft {max}");

    let pre = preemphasis(&x, 0.97);
    let reference = fixture1("synth_preemph");
    let max = pre
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(max < 1e-6, "preemphasis {max}");

    let ac = autocorrelate(&x[..2048], Some(400));
    let reference = fixture1("synth_autocorr");
    let peak = reference[0].abs();
    let max = ac
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    eprintln!("synth autocorrelate: max abs err {max:.3e} (peak {peak:.3e})");
    assert!(max <= 1e-5 * peak, "autocorrelate {max}");
}

#[test]
fn speech_wav_parity() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav");
    let audio = Audio::load(path, None).unwrap();
    let m = manifest();
    assert_eq!(
        audio.samples.len() as u64,
        m["speech_len"].as_u64().unwrap()
    );
    let f = &m["frames"];
    let frames = (
        f[0].as_u64().unwrap() as usize,
        f[1].as_u64().unwrap() as usize,
    );
    check_spectral_set("speech", &audio.samples, audio.sample_rate, Some(frames));
}

#[test]
fn emodb_parity_and_resampler() {
    let m = manifest();
    let file = m["emodb_file"].as_str().unwrap();
    let path = datasets_dir().join("emodb").join("wav").join(file);
    if !path.exists() {
        eprintln!(
            "SKIP emodb_parity_and_resampler: {} not found (set SER_DATASETS)",
            path.display()
        );
        return;
    }
    let f = &m["frames"];
    let frames = (
        f[0].as_u64().unwrap() as usize,
        f[1].as_u64().unwrap() as usize,
    );

    // Native rate: isolates STFT / mel / dB parity (loader parity is checked by the length).
    let audio = Audio::load(&path, None).unwrap();
    assert_eq!(audio.sample_rate as u64, m["emodb_sr"].as_u64().unwrap());
    assert_eq!(audio.samples.len() as u64, m["emodb_len"].as_u64().unwrap());
    check_spectral_set("emodb", &audio.samples, audio.sample_rate, Some(frames));

    // Our resampler vs librosa.resample (soxr_hq): same length, and the 16 kHz log-mel
    // spectrograms agree within a few dB on bands below 7 kHz with energy above -60 dB.
    let sr = m["sr"].as_u64().unwrap() as u32;
    let a16 = Audio::load(&path, Some(sr)).unwrap();
    assert_eq!(a16.samples.len() as u64, m["emodb16_len"].as_u64().unwrap());
    let mel = MelSpectrogram::new(&spec_cfg(sr).1).unwrap();
    let db = power_to_db(
        mel.process(&a16.samples).unwrap().view(),
        &DbConfig::default(),
    )
    .unwrap();
    let db = cols(&db, frames.0, frames.1.min(db.ncols()));
    let reference = fixture2("emodb16_mel_db");
    let fb_top = mel_frequencies(mel.n_mels() + 2, 0.0, sr as f64 / 2.0, false);
    let (mut max, mut sum, mut n) = (0.0f32, 0.0f64, 0usize);
    for ((mb, t), &r) in reference
        .indexed_iter()
        .map(|(i, _)| i)
        .zip(reference.iter())
    {
        if fb_top[mb + 2] > 7000.0 || r < -60.0 {
            continue;
        }
        let d = (db[[mb, t]] - r).abs();
        max = max.max(d);
        sum += d as f64;
        n += 1;
    }
    let mean = sum / n as f64;
    eprintln!("emodb 22050->16000 resampler vs librosa (soxr_hq), log-mel below 7 kHz: max {max:.3} dB, mean {mean:.4} dB over {n} cells");
    assert!(
        mean < 0.05 && max < 1.0,
        "resampler log-mel deviation: max {max} dB, mean {mean} dB"
    );
}
