//! Cheap audio metadata from file headers (no decoding of samples).

use std::path::Path;

use serde::{Deserialize, Serialize};
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::{Error, Result};

/// What an audio file's header says.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AudioInfo {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Number of channels.
    pub channels: u16,
    /// Number of frames (samples per channel).
    pub n_frames: u64,
}

impl AudioInfo {
    /// Duration in seconds: `n_frames / sample_rate`.
    pub fn duration_secs(&self) -> f64 {
        self.n_frames as f64 / f64::from(self.sample_rate)
    }
}

/// Reads sample rate, channel count and length from the header of a WAV/FLAC/MP3/OGG file
/// (via symphonia's probe; no samples are decoded).
///
/// Errors with [`Error::Audio`] when the file is not recognised audio or its header lacks
/// the length (e.g. a streamed FLAC without total-samples), and [`Error::Io`] when it cannot
/// be opened.
pub fn audio_info(path: impl AsRef<Path>) -> Result<AudioInfo> {
    let path = path.as_ref();
    let (sample_rate, channels, n_frames) = probe(path)?;
    let n_frames = n_frames.ok_or_else(|| Error::Audio {
        path: path.to_path_buf(),
        message: "header has no length".into(),
    })?;
    Ok(AudioInfo {
        sample_rate,
        channels,
        n_frames,
    })
}

/// Whether `path` opens as audio a decoder recognises, with a track and a sample rate (its
/// header is probed, nothing is decoded; unlike [`audio_info`] a header without a length,
/// e.g. a streamed FLAC, is fine).
pub(crate) fn probe_readable(path: &Path) -> Result<()> {
    probe(path).map(|_| ())
}

/// `(sample rate, channels, frames if the header says)`.
fn probe(path: &Path) -> Result<(u32, u16, Option<u64>)> {
    let audio_err = |message: String| Error::Audio {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| audio_err(e.to_string()))?;
    let track = probed
        .format
        .default_track()
        .ok_or_else(|| audio_err("no audio track".into()))?;
    let p = &track.codec_params;
    let sample_rate = p
        .sample_rate
        .filter(|&sr| sr > 0)
        .ok_or_else(|| audio_err("header has no sample rate".into()))?;
    let channels = p.channels.map_or(1, |c| c.count() as u16);
    Ok((sample_rate, channels, p.n_frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_shipped_speech_header() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/speech.wav");
        let info = audio_info(path).expect("assets/speech.wav is a valid WAV");
        assert_eq!(info.sample_rate, 16_000);
        assert_eq!(info.channels, 1);
        // 4.35 s at 16 kHz.
        assert!((info.duration_secs() - 4.35).abs() < 0.01, "{info:?}");
    }

    #[test]
    fn rejects_non_audio() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.wav");
        std::fs::write(&p, b"not audio at all").expect("write");
        assert!(matches!(audio_info(&p), Err(Error::Audio { .. })));
        assert!(matches!(
            audio_info(dir.path().join("missing.wav")),
            Err(Error::Io { .. })
        ));
    }
}
