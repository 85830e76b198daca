//! Fuzz entry point `dsp_transforms`: STFT / ISTFT, mel spectrogram, dB scaling, DCT,
//! framing and resampling with parameters and samples taken from arbitrary bytes.
//!
//! Parameters span valid and invalid values (zero sizes, NaN frequencies, huge rates); the
//! samples are either raw `f32` bit patterns (NaN, infinities, 1e38) or 16-bit PCM. Panics
//! only on a bug: a panic inside `ser-dsp`, or an `Ok` whose shape differs from the
//! documented one, or non-finite output from bounded finite input.

use crate::bytes::Bytes;
use ser_dsp::{
    dct2_ortho, frame, power_to_db, resample, DbConfig, DbRef, Istft, MelSpectrogram,
    MelSpectrogramConfig, PadMode, ResampleQuality, Stft, StftConfig, Window,
};

/// Longest signal one execution analyses.
const MAX_SAMPLES: usize = 1 << 14;

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut b = Bytes::new(data);
    let n_fft = b.pick(&[0usize, 1, 2, 3, 16, 64, 255, 256, 512, 1024, 2048]);
    let hop = b.pick(&[
        None,
        Some(0usize),
        Some(1),
        Some(7),
        Some(64),
        Some(160),
        Some(4096),
    ]);
    let win = b.pick(&[
        None,
        Some(0usize),
        Some(1),
        Some(15),
        Some(200),
        Some(400),
        Some(5000),
    ]);
    let window = b.pick(&[
        Window::Hann,
        Window::HannSymmetric,
        Window::Hamming,
        Window::HammingSymmetric,
        Window::Povey,
        Window::Rectangular,
    ]);
    let center = b.bool();
    let pad_mode = b.pick(&[PadMode::Constant, PadMode::Reflect]);
    let sr = b.pick(&[
        0u32,
        1,
        100,
        8000,
        16_000,
        22_050,
        48_000,
        768_000,
        768_001,
        u32::MAX,
    ]);
    let n_mels = b.pick(&[0usize, 1, 2, 40, 128, 300]);
    let fmin = b.pick(&[0.0f32, 20.0, -1.0, f32::NAN, 7999.0, 1e9]);
    let fmax = b.pick(&[
        None,
        Some(4000.0f32),
        Some(8000.0),
        Some(0.0),
        Some(f32::INFINITY),
    ]);
    let power = b.pick(&[1.0f32, 2.0, 0.5, 0.0, -1.0, f32::NAN]);
    let htk = b.bool();
    let to = b.pick(&[8000u32, 16_000, 22_050, 44_100]);
    let raw = b.bool();
    let x = b.samples(raw, MAX_SAMPLES);
    let bounded = x.iter().all(|v| v.is_finite() && v.abs() <= 1e3);

    let mut scfg = StftConfig::default()
        .n_fft(n_fft)
        .window(window)
        .center(center)
        .pad_mode(pad_mode);
    if let Some(h) = hop {
        scfg = scfg.hop_length(h);
    }
    if let Some(w) = win {
        scfg = scfg.win_length(w);
    }

    if let Ok(stft) = Stft::new(&scfg) {
        if let Ok(s) = stft.process(&x) {
            assert_eq!(
                s.dim(),
                (stft.n_bins(), stft.n_frames(x.len())),
                "stft shape"
            );
            if bounded {
                assert!(
                    s.iter().all(|c| c.re.is_finite() && c.im.is_finite()),
                    "stft NaN"
                );
                if let Ok(istft) = Istft::new(&scfg) {
                    if let Ok(y) = istft.process(s.view(), Some(x.len())) {
                        assert_eq!(y.len(), x.len(), "istft length");
                    }
                }
            }
        }
        if let Ok(p) = stft.spectrogram(&x, power) {
            assert_eq!(
                p.dim(),
                (stft.n_bins(), stft.n_frames(x.len())),
                "spectrogram shape"
            );
        }
    }

    let mut mcfg = MelSpectrogramConfig::default()
        .stft(scfg)
        .n_fft(n_fft)
        .sr(sr)
        .n_mels(n_mels)
        .fmin(fmin)
        .htk(htk)
        .power(power);
    if let Some(f) = fmax {
        mcfg = mcfg.fmax(f);
    }
    if let Ok(mel) = MelSpectrogram::new(&mcfg) {
        if let Ok(m) = mel.process(&x) {
            assert_eq!(m.dim(), (mel.n_mels(), mel.n_frames(x.len())), "mel shape");
            for db in [
                DbConfig::default(),
                DbConfig::default().reference(DbRef::Max),
            ] {
                if let Ok(d) = power_to_db(m.view(), &db) {
                    assert_eq!(d.dim(), m.dim());
                    if bounded && power == 2.0 {
                        assert!(d.iter().all(|v| v.is_finite()), "power_to_db NaN");
                    }
                }
            }
            if let Ok(c) = dct2_ortho(m.view(), 13) {
                assert_eq!(c.ncols(), m.ncols(), "dct frames");
            }
        }
    }

    if let (Some(h), true) = (hop, n_fft > 0) {
        if let Ok(f) = frame(&x, n_fft, h) {
            assert_eq!(f.nrows(), n_fft, "frame rows");
        }
    }

    // Resampling to a common rate, output bounded.
    if (1..=48_000).contains(&sr) && (x.len() as u64) * (to as u64) / (sr as u64) < 1 << 20 {
        if let Ok(y) = resample(&x, sr, to, ResampleQuality::Fast) {
            let expect = (x.len() as u64 * to as u64).div_ceil(sr as u64) as usize;
            assert!(
                y.len().abs_diff(expect) <= 1,
                "resample length {} vs {expect}",
                y.len()
            );
        }
    }
}
