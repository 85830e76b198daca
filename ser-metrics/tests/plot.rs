#![allow(clippy::unwrap_used)]
//! PNG heat map rendering.

use ser_metrics::plot::{confusion_matrix_png, confusion_matrix_rgb, HeatmapOptions};
use ser_metrics::{ConfusionMatrix, Error, Normalize};

fn sample() -> ConfusionMatrix {
    // EmoDB-like 7-class matrix
    let n = 7;
    let mut counts = vec![0u64; n * n];
    for t in 0..n {
        for p in 0..n {
            counts[t * n + p] = if t == p {
                20 + 3 * t as u64
            } else {
                ((t * 7 + p * 3) % 5) as u64
            };
        }
    }
    ConfusionMatrix::from_counts(n, counts).unwrap()
}

const NAMES: [&str; 7] = [
    "anger",
    "boredom",
    "disgust",
    "fear",
    "happiness",
    "sadness",
    "neutral",
];

#[test]
fn png_is_written_and_decodable_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cm.png");
    let cm = sample();
    confusion_matrix_png(&cm, Some(&NAMES), &HeatmapOptions::default(), &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    // width / height from the IHDR chunk equal the in-memory rendering
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    let (buf, bw, bh) =
        confusion_matrix_rgb(&cm, Some(&NAMES), &HeatmapOptions::default()).unwrap();
    assert_eq!((w, h), (bw, bh));
    assert_eq!(buf.len(), (bw * bh * 3) as usize);
    if let Ok(out) = std::env::var("SER_METRICS_PNG_OUT") {
        std::fs::copy(&path, out).unwrap();
    }
}

#[test]
fn rendering_draws_text_and_dark_diagonal() {
    let cm = sample();
    let opts = HeatmapOptions::default().normalize(Normalize::True);
    let (buf, w, h) = confusion_matrix_rgb(&cm, Some(&NAMES), &opts).unwrap();
    // plenty of non-white pixels (cells) and some pure-black-ish text pixels
    let dark = buf
        .chunks(3)
        .filter(|p| p[0] < 60 && p[1] < 60 && p[2] < 60)
        .count();
    assert!(dark > 500, "too few text pixels: {dark}");
    let nonwhite = buf.chunks(3).filter(|p| p[0] < 240).count();
    assert!(nonwhite as f64 > 0.2 * (w * h) as f64);
}

#[test]
fn wrong_names_is_an_error() {
    let cm = sample();
    let r = confusion_matrix_rgb(&cm, Some(&["a", "b"]), &HeatmapOptions::default());
    assert!(matches!(r, Err(Error::LengthMismatch { .. })));
    let bad = confusion_matrix_png(
        &cm,
        None::<&[&str]>,
        &HeatmapOptions::default(),
        "/nonexistent-dir/x/cm.png",
    );
    assert!(bad.is_err());
}
