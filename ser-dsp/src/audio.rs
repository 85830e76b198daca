//! Audio loading (WAV via `hound`; FLAC / MP3 / OGG-Vorbis via `symphonia`), down-mixing,
//! resampling and WAV writing.

use crate::error::{check_finite, Error, Result};
use crate::resample::{check_rate, resample, ResampleQuality};
use std::io::Cursor;
use std::path::Path;

/// Highest accepted sample rate (Hz). Rates of 0 or above this are rejected as corrupt.
pub const MAX_SAMPLE_RATE: u32 = 768_000;

/// Mono `f32` audio in `[-1, 1]` (PCM is scaled by `1 / 2^(bits-1)` like soundfile / librosa).
///
/// Invariant (checked by every constructor): at least one sample, all samples finite, and
/// `1 <= sample_rate <= MAX_SAMPLE_RATE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// Mono samples.
    pub samples: Vec<f32>,
    /// Sample rate in Hz.
    pub sample_rate: u32,
}

impl Audio {
    /// Validates and wraps samples: errors on empty input ([`Error::EmptyAudio`]), NaN/inf
    /// ([`Error::NonFiniteSample`]) or a sample rate outside `1..=768_000`.
    ///
    /// ```
    /// let a = ser_dsp::Audio::new(vec![0.0; 16000], 16000).unwrap();
    /// assert_eq!(a.duration_secs(), 1.0);
    /// assert!(ser_dsp::Audio::new(vec![f32::NAN], 16000).is_err());
    /// ```
    pub fn new(samples: Vec<f32>, sample_rate: u32) -> Result<Audio> {
        check_rate(sample_rate as u64)?;
        if samples.is_empty() {
            return Err(Error::EmptyAudio);
        }
        check_finite(&samples)?;
        Ok(Audio {
            samples,
            sample_rate,
        })
    }

    /// Loads a file, down-mixes to mono (mean of channels, as `librosa.load(mono=True)`) and
    /// resamples to `target_sr` if given ([`ResampleQuality::Balanced`]).
    ///
    /// Unlike `librosa.load`, the default is `target_sr = None` (native rate), not 22050.
    /// The format is sniffed from the content, not the extension.
    pub fn load(path: impl AsRef<Path>, target_sr: Option<u32>) -> Result<Audio> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Audio::from_bytes(&bytes, target_sr)
    }

    /// Decodes an in-memory file (WAV, or FLAC / MP3 / OGG with the `symphonia` feature).
    ///
    /// Errors (never panics) on unrecognised bytes, truncated or malformed headers, zero
    /// channels, empty audio, non-finite float samples and invalid sample rates.
    ///
    /// ```
    /// assert!(ser_dsp::Audio::from_bytes(b"definitely not audio", None).is_err());
    /// ```
    pub fn from_bytes(bytes: &[u8], target_sr: Option<u32>) -> Result<Audio> {
        if let Some(sr) = target_sr {
            check_rate(sr as u64)?;
        }
        let audio = decode(bytes)?;
        match target_sr {
            Some(sr) if sr != audio.sample_rate => audio.resample(sr),
            _ => Ok(audio),
        }
    }

    /// Resamples with the default quality ([`ResampleQuality::Balanced`]).
    pub fn resample(&self, target_sr: u32) -> Result<Audio> {
        self.resample_with(target_sr, ResampleQuality::default())
    }

    /// Resamples with an explicit quality preset.
    pub fn resample_with(&self, target_sr: u32, quality: ResampleQuality) -> Result<Audio> {
        let samples = resample(&self.samples, self.sample_rate, target_sr, quality)?;
        Audio::new(samples, target_sr)
    }

    /// Duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.samples.len() as f64 / self.sample_rate as f64
    }

    /// Writes a mono 16-bit PCM WAV (samples clipped to `[-1, 1]`, scaled by 32767, rounded).
    pub fn write_wav(&self, path: impl AsRef<Path>) -> Result<()> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: self.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        write_with(path.as_ref(), spec, |w| {
            for &s in &self.samples {
                w.write_sample((s.clamp(-1.0, 1.0) * 32767.0).round() as i16)?;
            }
            Ok(())
        })
    }

    /// Writes a mono 32-bit float WAV (lossless).
    pub fn write_wav_f32(&self, path: impl AsRef<Path>) -> Result<()> {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: self.sample_rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        write_with(path.as_ref(), spec, |w| {
            for &s in &self.samples {
                w.write_sample(s)?;
            }
            Ok(())
        })
    }
}

type WavWriter = hound::WavWriter<std::io::BufWriter<std::fs::File>>;

fn write_with(
    path: &Path,
    spec: hound::WavSpec,
    body: impl FnOnce(&mut WavWriter) -> std::result::Result<(), hound::Error>,
) -> Result<()> {
    let map = |e: hound::Error| match e {
        hound::Error::IoError(source) => Error::Io {
            path: path.to_path_buf(),
            source,
        },
        other => Error::WavWrite {
            detail: other.to_string(),
        },
    };
    let mut w = hound::WavWriter::create(path, spec).map_err(map)?;
    body(&mut w).map_err(map)?;
    w.finalize().map_err(map)
}

/// File extensions of the containers [`Audio::load`] decodes (lower case): `wav` always,
/// `flac`, `mp3` and `ogg` with the default `symphonia` feature. Loading sniffs the bytes, not
/// the name; this list is for tools that pick audio files out of a directory.
#[cfg(feature = "symphonia")]
pub const AUDIO_EXTENSIONS: &[&str] = &["wav", "flac", "mp3", "ogg"];
/// File extensions of the containers [`Audio::load`] decodes (lower case): `wav` only, as
/// this build lacks the `symphonia` feature.
#[cfg(not(feature = "symphonia"))]
pub const AUDIO_EXTENSIONS: &[&str] = &["wav"];

/// Whether `path`'s extension (case-insensitive) is one of [`AUDIO_EXTENSIONS`].
///
/// ```
/// use std::path::Path;
/// assert!(ser_dsp::audio::has_audio_extension(Path::new("a/B.WAV")));
/// assert!(!ser_dsp::audio::has_audio_extension(Path::new("notes.txt")));
/// ```
pub fn has_audio_extension(path: &std::path::Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Container detected from the first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Wav,
    Flac,
    Ogg,
    Mp3,
}

fn sniff(b: &[u8]) -> Option<Kind> {
    if b.len() >= 12
        && (&b[..4] == b"RIFF" || &b[..4] == b"RIFX" || &b[..4] == b"RF64")
        && &b[8..12] == b"WAVE"
    {
        return Some(Kind::Wav);
    }
    if b.starts_with(b"fLaC") {
        return Some(Kind::Flac);
    }
    if b.starts_with(b"OggS") {
        return Some(Kind::Ogg);
    }
    if b.starts_with(b"ID3") || (b.len() >= 2 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0) {
        return Some(Kind::Mp3);
    }
    None
}

fn decode(bytes: &[u8]) -> Result<Audio> {
    let kind = sniff(bytes).ok_or_else(|| Error::UnsupportedFormat {
        detail: format!("unknown magic bytes {:02x?}", &bytes[..bytes.len().min(4)]),
    })?;
    // Defence in depth: decoders are fed untrusted bytes; turn any decoder panic into an error.
    let result = std::panic::catch_unwind(|| match kind {
        Kind::Wav => match decode_wav(bytes) {
            Err(Error::UnsupportedFormat { detail }) => {
                decode_other(bytes, kind).map_err(|e| match e {
                    Error::FeatureDisabled { .. } => Error::UnsupportedFormat { detail },
                    other => other,
                })
            }
            other => other,
        },
        _ => decode_other(bytes, kind),
    });
    result.unwrap_or_else(|_| {
        Err(Error::Decode {
            detail: "decoder panicked on malformed input".into(),
        })
    })
}

fn map_hound(e: hound::Error) -> Error {
    match e {
        hound::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::Truncated {
                detail: io.to_string(),
            }
        }
        hound::Error::IoError(io) => Error::Decode {
            detail: io.to_string(),
        },
        hound::Error::Unsupported => Error::UnsupportedFormat {
            detail: "WAV encoding not supported by hound".into(),
        },
        other => Error::Decode {
            detail: other.to_string(),
        },
    }
}

fn decode_wav(bytes: &[u8]) -> Result<Audio> {
    let mut reader = hound::WavReader::new(Cursor::new(bytes)).map_err(map_hound)?;
    let spec = reader.spec();
    let channels = spec.channels as usize;
    if channels == 0 {
        return Err(Error::NoChannels);
    }
    let sr = check_rate(spec.sample_rate as u64)?;
    let bytes_per_sample = (spec.bits_per_sample as usize).div_ceil(8).max(1);
    // Never trust the header for allocation sizes.
    let cap = (reader.len() as usize).min(bytes.len() / bytes_per_sample) / channels;
    let mut mono = Vec::with_capacity(cap);
    let inv_ch = 1.0 / channels as f32;
    match spec.sample_format {
        hound::SampleFormat::Float => {
            if spec.bits_per_sample != 32 {
                return Err(Error::UnsupportedFormat {
                    detail: format!("{}-bit float WAV", spec.bits_per_sample),
                });
            }
            downmix(reader.samples::<f32>(), channels, inv_ch, |v| v, &mut mono)?;
        }
        hound::SampleFormat::Int => {
            let bits = spec.bits_per_sample;
            if bits == 0 || bits > 32 {
                return Err(Error::Decode {
                    detail: format!("invalid bits_per_sample {bits}"),
                });
            }
            let scale = 1.0 / (1u64 << (bits - 1)) as f64;
            downmix(
                reader.samples::<i32>(),
                channels,
                inv_ch,
                |v| (v as f64 * scale) as f32,
                &mut mono,
            )?;
        }
    }
    Audio::new(mono, sr)
}

fn downmix<T, I>(
    samples: I,
    channels: usize,
    inv_ch: f32,
    conv: impl Fn(T) -> f32,
    mono: &mut Vec<f32>,
) -> Result<()>
where
    I: Iterator<Item = std::result::Result<T, hound::Error>>,
{
    let mut acc = 0.0f32;
    let mut c = 0usize;
    for s in samples {
        acc += conv(s.map_err(map_hound)?);
        c += 1;
        if c == channels {
            mono.push(if channels == 1 { acc } else { acc * inv_ch });
            acc = 0.0;
            c = 0;
        }
    }
    if c != 0 {
        return Err(Error::Truncated {
            detail: "sample data ends in the middle of a frame".into(),
        });
    }
    Ok(())
}

#[cfg(not(feature = "symphonia"))]
fn decode_other(_bytes: &[u8], kind: Kind) -> Result<Audio> {
    Err(Error::FeatureDisabled {
        format: match kind {
            Kind::Wav => "this WAV encoding",
            Kind::Flac => "FLAC",
            Kind::Ogg => "OGG",
            Kind::Mp3 => "MP3",
        },
    })
}

#[cfg(feature = "symphonia")]
fn decode_other(bytes: &[u8], kind: Kind) -> Result<Audio> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
    use symphonia::core::errors::Error as SymErr;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let sym = |e: SymErr| match e {
        SymErr::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => Error::Truncated {
            detail: io.to_string(),
        },
        SymErr::Unsupported(m) => Error::UnsupportedFormat {
            detail: m.to_string(),
        },
        other => Error::Decode {
            detail: other.to_string(),
        },
    };
    let mss = MediaSourceStream::new(Box::new(Cursor::new(bytes.to_vec())), Default::default());
    let mut hint = Hint::new();
    hint.with_extension(match kind {
        Kind::Wav => "wav",
        Kind::Flac => "flac",
        Kind::Ogg => "ogg",
        Kind::Mp3 => "mp3",
    });
    let fmt_opts = FormatOptions {
        enable_gapless: true,
        ..Default::default()
    };
    let probed = symphonia::default::get_probe()
        .format(&hint, mss, &fmt_opts, &MetadataOptions::default())
        .map_err(sym)?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| Error::Decode {
            detail: "no decodable audio track".into(),
        })?;
    let track_id = track.id;
    if let Some(ch) = track.codec_params.channels {
        if ch.count() == 0 {
            return Err(Error::NoChannels);
        }
    }
    let mut sr = track.codec_params.sample_rate;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(sym)?;
    let mut mono = Vec::new();
    let mut buf: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymErr::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymErr::ResetRequired) => break,
            Err(e) => return Err(sym(e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            // A corrupt packet is skipped (as symphonia-play does); fatal errors abort.
            Err(SymErr::DecodeError(_)) => continue,
            Err(SymErr::IoError(_)) => break,
            Err(e) => return Err(sym(e)),
        };
        let spec = *decoded.spec();
        let channels = spec.channels.count();
        if channels == 0 {
            return Err(Error::NoChannels);
        }
        sr = Some(spec.rate);
        let needed = decoded.capacity() as u64;
        let sb = match &mut buf {
            Some(b) if b.capacity() as u64 >= needed * channels as u64 => b,
            _ => buf.insert(SampleBuffer::<f32>::new(needed, spec)),
        };
        sb.copy_interleaved_ref(decoded);
        let inv = 1.0 / channels as f32;
        for frame in sb.samples().chunks_exact(channels) {
            let s: f32 = frame.iter().sum();
            mono.push(if channels == 1 { s } else { s * inv });
        }
    }
    let sr = sr.ok_or_else(|| Error::Decode {
        detail: "unknown sample rate".into(),
    })?;
    let sr = check_rate(sr as u64)?;
    Audio::new(mono, sr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_bytes(spec: hound::WavSpec, frames: &[Vec<i32>]) -> Vec<u8> {
        let mut cur = Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut cur, spec).expect("writer");
            for f in frames {
                for &s in f {
                    w.write_sample(s).expect("write");
                }
            }
            w.finalize().expect("finalize");
        }
        cur.into_inner()
    }

    #[test]
    fn pcm_bit_depths_and_downmix() {
        for bits in [8u16, 16, 24, 32] {
            let full = 1i64 << (bits - 1);
            let min = (-full) as i32;
            let half = (full / 2) as i32;
            let spec = hound::WavSpec {
                channels: 2,
                sample_rate: 8000,
                bits_per_sample: bits,
                sample_format: hound::SampleFormat::Int,
            };
            let b = wav_bytes(spec, &[vec![half, 0], vec![min, min], vec![0, half]]);
            let a = Audio::from_bytes(&b, None).expect("decode");
            assert_eq!(a.sample_rate, 8000);
            assert_eq!(a.samples, vec![0.25, -1.0, 0.25], "{bits} bits");
        }
    }

    #[test]
    fn float_wav_and_nan_rejected() {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut cur = Cursor::new(Vec::new());
        {
            let mut w = hound::WavWriter::new(&mut cur, spec).expect("writer");
            for s in [0.5f32, f32::NAN, 0.1] {
                w.write_sample(s).expect("write");
            }
            w.finalize().expect("finalize");
        }
        let err = Audio::from_bytes(cur.get_ref(), None).expect_err("nan");
        assert!(
            matches!(err, Error::NonFiniteSample { index: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(matches!(
            Audio::from_bytes(b"hello world, not audio", None),
            Err(Error::UnsupportedFormat { .. })
        ));
        assert!(Audio::from_bytes(b"", None).is_err());
        assert!(Audio::from_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt ", None).is_err());
        assert!(matches!(
            Audio::load("/definitely/not/here.wav", None),
            Err(Error::Io { .. })
        ));
        // empty data chunk
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let b = wav_bytes(spec, &[]);
        assert!(matches!(
            Audio::from_bytes(&b, None),
            Err(Error::EmptyAudio)
        ));
        // truncated data
        let b = wav_bytes(spec, &[vec![1], vec![2], vec![3], vec![4]]);
        assert!(Audio::from_bytes(&b[..b.len() - 3], None).is_err());
        // sample rate 0 patched into the header
        let mut z = wav_bytes(spec, &[vec![1], vec![2]]);
        z[24..28].copy_from_slice(&0u32.to_le_bytes());
        assert!(Audio::from_bytes(&z, None).is_err());
        let mut big = wav_bytes(spec, &[vec![1], vec![2]]);
        big[24..28].copy_from_slice(&10_000_000u32.to_le_bytes());
        assert!(Audio::from_bytes(&big, None).is_err());
        // zero channels patched into the header
        let mut c0 = wav_bytes(spec, &[vec![1], vec![2]]);
        c0[22..24].copy_from_slice(&0u16.to_le_bytes());
        assert!(Audio::from_bytes(&c0, None).is_err());
        assert!(Audio::new(vec![], 16000).is_err());
        assert!(Audio::new(vec![0.0], 0).is_err());
    }

    #[test]
    fn write_read_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Audio::new(vec![0.0, 0.5, -0.5, 1.0, -1.0], 16000).expect("audio");
        let p16 = dir.path().join("a16.wav");
        a.write_wav(&p16).expect("write");
        let b = Audio::load(&p16, None).expect("load");
        for (x, y) in a.samples.iter().zip(&b.samples) {
            assert!((x - y).abs() < 1.0 / 16000.0);
        }
        let pf = dir.path().join("af.wav");
        a.write_wav_f32(&pf).expect("write");
        assert_eq!(Audio::load(&pf, None).expect("load"), a);
        let r = Audio::load(&pf, Some(8000)).expect("resampled");
        assert_eq!(r.sample_rate, 8000);
        assert_eq!(r.samples.len(), 3);
        assert!(Audio::load(&pf, Some(0)).is_err());
        assert!(a.write_wav(dir.path().join("no/such/dir.wav")).is_err());
    }
}
