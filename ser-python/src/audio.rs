//! `ser.load`: decode, down-mix, trim and resample a file (`librosa.load`).

use std::path::PathBuf;

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use ser_dsp::{Audio, ResampleQuality};

use crate::error::{param, Error, Result};

/// `"fast" | "balanced" | "high"` → [`ResampleQuality`].
pub fn quality(name: &str) -> Result<ResampleQuality> {
    Ok(match name {
        "fast" => ResampleQuality::Fast,
        "balanced" => ResampleQuality::Balanced,
        "high" => ResampleQuality::High,
        other => {
            return Err(param(format!(
                "unknown resampling quality `{other}` (fast, balanced, high)"
            )))
        }
    })
}

/// Decodes `path` (WAV, FLAC, MP3, OGG-Vorbis) to mono, keeps `duration` seconds from
/// `offset`, and resamples to `sr` (`None` = the file's rate).
pub fn load_audio(
    path: &std::path::Path,
    sr: Option<u32>,
    offset: f64,
    duration: Option<f64>,
    q: ResampleQuality,
) -> Result<Audio> {
    let audio = Audio::load(path, None).map_err(|e| Error::from(e).in_file(path))?;
    trim_resample(audio, &path.display().to_string(), sr, offset, duration, q)
}

/// Keeps `duration` seconds of decoded `audio` (named `what` in errors) from `offset`, and
/// resamples to `sr`.
fn trim_resample(
    audio: Audio,
    what: &str,
    sr: Option<u32>,
    offset: f64,
    duration: Option<f64>,
    q: ResampleQuality,
) -> Result<Audio> {
    if !(offset.is_finite() && offset >= 0.0) {
        return Err(param(format!(
            "offset must be a finite number >= 0, got {offset}"
        )));
    }
    if let Some(d) = duration {
        if !(d.is_finite() && d > 0.0) {
            return Err(param(format!(
                "duration must be a finite number > 0, got {d}"
            )));
        }
    }
    let native = audio.sample_rate as f64;
    let n = audio.samples.len();
    let start = (offset * native).round() as usize;
    if start >= n {
        return Err(param(format!(
            "offset {offset} s is past the end of {what} ({:.3} s)",
            audio.duration_secs()
        )));
    }
    let end = duration.map_or(n, |d| (start + (d * native).round() as usize).min(n));
    let audio = if start > 0 || end < n {
        Audio::new(
            audio.samples[start..end.max(start + 1)].to_vec(),
            audio.sample_rate,
        )?
    } else {
        audio
    };
    match sr {
        Some(sr) if sr != audio.sample_rate => Ok(audio.resample_with(sr, q)?),
        _ => Ok(audio),
    }
}

/// What [`load`] decodes: the bytes of an audio file (`bytes`), or a path (`str` /
/// `os.PathLike`).
#[derive(FromPyObject)]
pub enum Source<'py> {
    /// An in-memory file.
    Bytes(Bound<'py, PyBytes>),
    /// A file on disk.
    Path(PathBuf),
}

/// `_ser.load(source, sr, offset, duration, quality) -> (y, sr)`: a file (path or bytes)
/// decoded to mono, trimmed to `duration` s from `offset`, resampled to `sr`.
#[pyfunction]
#[pyo3(signature = (source, sr, offset, duration, quality))]
pub fn load<'py>(
    py: Python<'py>,
    source: Source<'py>,
    sr: Option<u32>,
    offset: f64,
    duration: Option<f64>,
    quality: &str,
) -> PyResult<(Bound<'py, PyArray1<f32>>, u32)> {
    let q = self::quality(quality)?;
    // borrowed out of the Python objects before the GIL is released
    enum Input<'a> {
        Path(&'a std::path::Path),
        Bytes(&'a [u8]),
    }
    let input = match &source {
        Source::Path(path) => Input::Path(path),
        Source::Bytes(b) => Input::Bytes(b.as_bytes()),
    };
    let audio = py.detach(|| match input {
        Input::Path(path) => load_audio(path, sr, offset, duration, q),
        Input::Bytes(data) => {
            let audio = Audio::from_bytes(data, None)?;
            trim_resample(audio, "the audio", sr, offset, duration, q)
        }
    })?;
    Ok((audio.samples.into_pyarray(py), audio.sample_rate))
}
