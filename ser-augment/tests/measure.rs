//! Tests that measure what the transforms do (SNR, pitch, duration, RT60,
//! attenuation, parity with librosa), not just that they run.
#![allow(clippy::unwrap_used)]

use std::f64::consts::PI;

use ser_augment::{
    estimate_rt60, rng_from_seed, snr_db, synthetic_rir, AddBackgroundNoise, AddNoise, BandLimit,
    Butterworth, NoiseColor, PhaseVocoder, PitchShift, SpeedChange, TimeStretch, Transform,
};
use ser_dsp::Audio;

const SR: u32 = 16_000;

fn speech() -> Audio {
    Audio::load(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav"),
        None,
    )
    .unwrap()
}

/// Harmonic tone: f0 plus 4 harmonics with 1/k amplitudes.
fn harmonic(f0: f64, secs: f64, sr: u32) -> Vec<f32> {
    let n = (secs * f64::from(sr)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(sr);
            (1..=5)
                .map(|k| (2.0 * PI * f0 * k as f64 * t).sin() / k as f64)
                .sum::<f64>() as f32
                * 0.3
        })
        .collect()
}

/// Local F0 estimator on ser-dsp's autocorrelation: unbiased ACF of the
/// middle half, first lag whose ACF is within 2 % of the best in
/// [sr/fmax, sr/fmin] (avoids octave errors), parabolic interpolation.
fn f0_estimate(x: &[f32], sr: u32) -> f64 {
    let seg = &x[x.len() / 4..3 * x.len() / 4];
    let n = seg.len();
    let (lo, hi) = (
        (f64::from(sr) / 600.0) as usize,
        (f64::from(sr) / 60.0) as usize,
    );
    let r = ser_dsp::autocorrelate(seg, Some(hi + 2));
    let u: Vec<f64> = r
        .iter()
        .enumerate()
        .map(|(k, &v)| f64::from(v) / (n - k) as f64)
        .collect();
    let best = (lo..=hi).map(|k| u[k]).fold(f64::MIN, f64::max);
    let k = (lo..=hi)
        .find(|&k| u[k] >= 0.98 * best && u[k] >= u[k - 1] && u[k] >= u[k + 1])
        .unwrap();
    let (a, b, c) = (u[k - 1], u[k], u[k + 1]);
    let delta = 0.5 * (a - c) / (a - 2.0 * b + c);
    f64::from(sr) / (k as f64 + delta)
}

fn semitones(f: f64, reference: f64) -> f64 {
    12.0 * (f / reference).log2()
}

/// Duration (s) between the first and last point where a 10 ms moving RMS
/// (1 ms hop) exceeds half its maximum.
fn active_duration(x: &[f32], sr: u32) -> f64 {
    let (win, hop) = (sr as usize / 100, sr as usize / 1000);
    let rms: Vec<f64> = (0..x.len().saturating_sub(win))
        .step_by(hop)
        .map(|s| {
            (x[s..s + win]
                .iter()
                .map(|&v| f64::from(v).powi(2))
                .sum::<f64>()
                / win as f64)
                .sqrt()
        })
        .collect();
    let max = rms.iter().cloned().fold(0.0, f64::max);
    let first = rms.iter().position(|&v| v > 0.5 * max).unwrap();
    let last = rms.iter().rposition(|&v| v > 0.5 * max).unwrap();
    (last - first) as f64 * hop as f64 / f64::from(sr)
}

#[test]
fn additive_noise_hits_target_snr_within_0_1_db() {
    let sp = speech();
    let tone = harmonic(180.0, 2.0, SR);
    for (si, sig) in [&sp.samples, &tone].into_iter().enumerate() {
        for color in [NoiseColor::White, NoiseColor::Pink, NoiseColor::Brown] {
            for target in [-5.0f32, 0.0, 10.0, 20.0, 40.0] {
                let t = AddNoise::new(target, target).color(color);
                let y = t
                    .apply_always(sig, SR, &mut rng_from_seed(si as u64 * 100 + target as u64))
                    .unwrap();
                let noise: Vec<f32> = y.iter().zip(sig.iter()).map(|(a, b)| a - b).collect();
                let got = snr_db(sig, &noise);
                assert!(
                    (got - f64::from(target)).abs() < 0.1,
                    "{color:?} {target}: {got}"
                );
            }
        }
    }
    // Random SNR in a range stays in the range.
    for seed in 0..20 {
        let y = AddNoise::new(10.0, 20.0)
            .apply_always(&sp.samples, SR, &mut rng_from_seed(seed))
            .unwrap();
        let noise: Vec<f32> = y.iter().zip(&sp.samples).map(|(a, b)| a - b).collect();
        let got = snr_db(&sp.samples, &noise);
        assert!((9.9..=20.1).contains(&got), "{got}");
    }
}

#[test]
fn background_noise_hits_target_snr_and_loops_short_files() {
    let sp = speech();
    // A short (0.3 s) pink-noise "recording" at another rate: looped and resampled.
    let rec = ser_augment::coloured_noise(2400, NoiseColor::Pink, &mut rng_from_seed(1));
    let bg = AddBackgroundNoise::new(vec![Audio::new(rec, 8000).unwrap()])
        .unwrap()
        .snr_db(5.0, 5.0);
    let y = bg
        .apply_always(&sp.samples, SR, &mut rng_from_seed(2))
        .unwrap();
    assert_eq!(y.len(), sp.samples.len());
    let noise: Vec<f32> = y.iter().zip(&sp.samples).map(|(a, b)| a - b).collect();
    assert!((snr_db(&sp.samples, &noise) - 5.0).abs() < 0.1);
    // A noise file from disk (the speech itself, as "babble").
    let dir = tempdir();
    let path = dir.join("babble.wav");
    sp.write_wav(&path).unwrap();
    let bg = AddBackgroundNoise::from_files(&[&path], Some(SR))
        .unwrap()
        .snr_db(12.0, 12.0);
    let tone = harmonic(200.0, 10.0, SR); // longer than the file: loops
    let y = bg.apply_always(&tone, SR, &mut rng_from_seed(3)).unwrap();
    let noise: Vec<f32> = y.iter().zip(&tone).map(|(a, b)| a - b).collect();
    assert!((snr_db(&tone, &noise) - 12.0).abs() < 0.1);
    std::fs::remove_dir_all(dir).ok();
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ser-augment-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn pitch_shift_moves_f0_by_the_requested_semitones() {
    let f0 = 200.0;
    // 2 s signal: silence, 1 s harmonic burst, silence (for the duration check).
    let mut x = vec![0.0f32; 2 * SR as usize];
    let burst = harmonic(f0, 1.0, SR);
    x[SR as usize / 2..SR as usize / 2 + burst.len()].copy_from_slice(&burst);
    let measured0 = f0_estimate(&x, SR);
    assert!(
        semitones(measured0, f0).abs() < 0.02,
        "estimator {measured0}"
    );
    let d0 = active_duration(&x, SR);
    for n in [-4.0f32, -1.5, 1.0, 2.0, 3.5] {
        // librosa's defaults (n_fft 2048, hop 512) and a speech-sized STFT (512, 128).
        for (n_fft, hop) in [(2048, 512), (512, 128)] {
            let t = PitchShift::new(n, n).n_fft(n_fft, hop);
            let y = t.apply_always(&x, SR, &mut rng_from_seed(0)).unwrap();
            assert_eq!(y.len(), x.len());
            let got = semitones(f0_estimate(&y, SR), measured0);
            let d = active_duration(&y, SR);
            eprintln!(
                "pitch {n:+} st, n_fft {n_fft}: measured {got:+.3} st, burst {d:.4} s vs {d0:.4} s"
            );
            assert!(
                (got - f64::from(n)).abs() < 0.1,
                "requested {n}, measured {got}"
            );
            // The 128 ms window of n_fft = 2048 smears the burst edges: librosa
            // itself gives 0.981..1.004 s here (see README); 512 keeps 1 %.
            let tol = if n_fft == 512 { 0.01 } else { 0.025 };
            assert!((d / d0 - 1.0).abs() < tol, "duration {d} vs {d0}");
        }
    }
}

#[test]
fn speed_changes_duration_by_exactly_the_factor() {
    let sp = speech();
    let n = sp.samples.len() as f64;
    let secs = n / f64::from(SR);
    let tone = harmonic(200.0, 1.5, SR);
    let f_ref = f0_estimate(&tone, SR);
    for factor in [0.8f32, 0.9, 0.95, 1.05, 1.1, 1.25] {
        let y = SpeedChange::new(factor, factor)
            .apply_always(&sp.samples, SR, &mut rng_from_seed(0))
            .unwrap();
        let want = n / f64::from(factor);
        assert!(
            (y.len() as f64 - want).abs() <= secs.max(1.0),
            "factor {factor}: {} vs {want}",
            y.len()
        );
        // Pitch moves with speed.
        let yt = SpeedChange::new(factor, factor)
            .apply_always(&tone, SR, &mut rng_from_seed(0))
            .unwrap();
        let got = semitones(f0_estimate(&yt, SR), f_ref);
        let want = 12.0 * f64::from(factor).log2();
        assert!(
            (got - want).abs() < 0.1,
            "factor {factor}: {got} vs {want} st"
        );
    }
}

#[test]
fn time_stretch_keeps_pitch_and_scales_length() {
    let f0 = 220.0;
    let x = harmonic(f0, 1.5, SR);
    let f_ref = f0_estimate(&x, SR);
    for rate in [0.8f32, 0.9, 1.1, 1.25] {
        let y = TimeStretch::new(rate, rate)
            .apply_always(&x, SR, &mut rng_from_seed(0))
            .unwrap();
        assert_eq!(y.len(), (x.len() as f64 / f64::from(rate)).round() as usize);
        let got = semitones(f0_estimate(&y, SR), f_ref);
        assert!(got.abs() < 0.1, "rate {rate}: pitch moved {got} st");
    }
    let y = TimeStretch::new(0.8, 0.8)
        .leave_length_unchanged(true)
        .apply_always(&x, SR, &mut rng_from_seed(0))
        .unwrap();
    assert_eq!(y.len(), x.len());
}

#[test]
fn time_stretch_matches_librosa() {
    let sp = speech();
    let x = &sp.samples[..16_000];
    let pv = PhaseVocoder::new(2048, 512).unwrap();
    for rate in ["0.8", "1.25"] {
        let path = format!(
            "{}/tests/fixtures/time_stretch_{rate}.npy",
            env!("CARGO_MANIFEST_DIR")
        );
        let want: ndarray::Array1<f32> = ndarray_npy::read_npy(path).unwrap();
        let got = pv.time_stretch(x, rate.parse().unwrap()).unwrap();
        assert_eq!(got.len(), want.len());
        let err: f64 = got
            .iter()
            .zip(want.iter())
            .map(|(a, b)| f64::from(a - b).powi(2))
            .sum();
        let sig: f64 = want.iter().map(|&b| f64::from(b).powi(2)).sum();
        let max_abs = got
            .iter()
            .zip(want.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let snr = 10.0 * (sig / err).log10();
        eprintln!("time_stretch rate {rate}: parity SNR {snr:.1} dB, max |err| {max_abs:.2e}");
        assert!(
            snr > 60.0,
            "rate {rate}: parity SNR {snr} dB, max abs err {max_abs}"
        );
    }
}

#[test]
fn synthetic_reverb_rt60_within_10_percent() {
    for (i, rt) in [0.15f32, 0.4, 0.8, 1.5].into_iter().enumerate() {
        let h = synthetic_rir(rt, SR, &mut rng_from_seed(100 + i as u64)).unwrap();
        let est = estimate_rt60(&h, SR).unwrap();
        assert!((est / rt - 1.0).abs() < 0.10, "{rt}: {est}");
    }
}

fn sine(f: f64, secs: f64) -> Vec<f32> {
    (0..(secs * f64::from(SR)) as usize)
        .map(|i| (2.0 * PI * f * i as f64 / f64::from(SR)).sin() as f32)
        .collect()
}

fn steady_gain_db(x: &[f32], y: &[f32]) -> f64 {
    let h = x.len() / 2; // skip the filter transient
    let p = |v: &[f32]| v[h..].iter().map(|&a| f64::from(a).powi(2)).sum::<f64>();
    10.0 * (p(y) / p(x)).log10()
}

#[test]
fn band_limit_attenuates_at_stated_frequencies() {
    // Telephone band, order 4 per edge: analytic digital Butterworth.
    let analytic = |f: f64, fc: f64, n: i32, high: bool| {
        let r = (PI * f / f64::from(SR)).tan() / (PI * fc / f64::from(SR)).tan();
        let r = if high { 1.0 / r } else { r };
        -10.0 * (1.0 + r.powi(2 * n)).log10()
    };
    let tel = BandLimit::telephone();
    for f in [100.0, 200.0, 300.0, 1000.0, 3400.0, 5000.0, 7000.0] {
        let x = sine(f, 1.0);
        let y = tel.apply_always(&x, SR, &mut rng_from_seed(0)).unwrap();
        let got = steady_gain_db(&x, &y);
        let want = analytic(f, 300.0, 4, true) + analytic(f, 3400.0, 4, false);
        assert!(
            (got - want).abs() < 0.1,
            "{f} Hz: {got:.2} dB vs {want:.2} dB"
        );
    }
    // Stated points: -3 dB (+ the other edge's tiny loss) at the cutoffs, >= 24 dB one octave out.
    let f = Butterworth::band_pass(4, 300.0, 3400.0, SR).unwrap();
    assert!((f.gain_db(300.0) + 3.01).abs() < 0.05);
    assert!(f.gain_db(150.0) < -24.0 && f.gain_db(6800.0) < -24.0);
    assert!(f.gain_db(1000.0).abs() < 0.05);
    // Low-pass 1 kHz, order 6, zero phase: attenuation doubles in dB.
    let lp = BandLimit::low_pass(1000.0, 1000.0)
        .order(6)
        .zero_phase(true);
    let x = sine(2000.0, 1.0);
    let y = lp.apply_always(&x, SR, &mut rng_from_seed(0)).unwrap();
    let got = steady_gain_db(&x[..SR as usize * 3 / 4], &y[..SR as usize * 3 / 4]);
    let want = 2.0 * analytic(2000.0, 1000.0, 6, false);
    assert!((got - want).abs() < 0.2, "{got} vs {want}");
    // Cutoff above Nyquist is an error, not a panic.
    assert!(BandLimit::low_pass(9000.0, 9000.0)
        .apply_always(&x, SR, &mut rng_from_seed(0))
        .is_err());
}
