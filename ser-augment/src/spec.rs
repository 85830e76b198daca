//! A small textual pipeline specification, e.g. for command-line tools:
//!
//! ```text
//! noise:snr=10..20,p=0.5;pitch:semitones=-2..2;speed:0.9..1.1
//! ```
//!
//! # Grammar
//!
//! ```text
//! pipeline := step (";" step)*          empty steps are ignored
//! step     := name [":" arg ("," arg)*]
//! arg      := key "=" value | value     a bare value sets the step's main parameter
//! value    := number | number ".." number | word | path ("|" path)*
//! ```
//!
//! Whitespace around tokens is ignored. A range `a..b` is sampled uniformly
//! per call; a single number is fixed. Every step accepts `p` (application
//! probability), which **defaults to 1 in a spec** (so every named step is
//! heard), unlike the structs' audiomentations default of 0.5.
//!
//! | step | main key | other keys |
//! |---|---|---|
//! | `noise` | `snr` (dB) | `color` = `white`/`pink`/`brown` |
//! | `bgnoise` | `files` (`a.wav\|b.wav`) | `snr` (dB, default 3..30) |
//! | `gain` | `db` | |
//! | `polarity` | – | |
//! | `shift` | `fraction` (of length) | `rollover` = `true`/`false` |
//! | `clip` | `percent` (of samples clipped) | |
//! | `pitch` | `semitones` | `n_fft`, `hop_length` |
//! | `speed` | `factor` | |
//! | `stretch` | `rate` | `n_fft`, `hop_length`, `keep_length` = `true`/`false` |
//! | `reverb` | `rt60` (s) | `rir` (`a.wav\|b.wav`, instead of `rt60`), `wet` (0..1) |
//! | `lowpass` / `highpass` | `cutoff` (Hz) | `order`, `zero_phase` |
//! | `bandpass` | – | `low`, `high` (Hz), `order`, `zero_phase` |
//! | `telephone` | – | `order`, `zero_phase` (300–3400 Hz band-pass) |
//! | `resample` | `rate` (Hz, round trip; default 8000) | |
//! | `mulaw` | `bits` (default 8) | `mu` (default 255) |
//!
//! A telephone channel (band, 8 kHz narrowband, 8-bit μ-law) is
//! `telephone; resample:8000; mulaw:8`.
//!
//! Unset keys take the struct defaults (e.g. `noise` alone is white noise at
//! 5..40 dB). Errors ([`crate::Error::Parse`]) quote the offending token.
//!
//! ```
//! use ser_augment::{parse_pipeline, rng_from_seed, Transform};
//! let chain = parse_pipeline("noise:snr=10..20,color=pink,p=0.5; gain:-3..3; telephone").unwrap();
//! assert_eq!(chain.len(), 3);
//! let y = chain.apply(&vec![0.1; 1600], 16_000, &mut rng_from_seed(0)).unwrap();
//! assert_eq!(y.len(), 1600);
//! let err = parse_pipeline("noise:snr=ten").unwrap_err().to_string();
//! assert!(err.contains("snr=ten"), "{err}");
//! ```

use crate::basic::{ClippingDistortion, Gain, PolarityInversion, TimeShift};
use crate::codec::{MuLaw, Resample};
use crate::error::{Error, Result};
use crate::filter::BandLimit;
use crate::noise::{AddBackgroundNoise, AddNoise, NoiseColor};
use crate::reverb::Reverb;
use crate::stretch::{PitchShift, SpeedChange, TimeStretch};
use crate::transform::{Compose, ParamRange, Transform};

fn perr(token: &str, reason: impl Into<String>) -> Error {
    Error::Parse {
        token: token.to_string(),
        reason: reason.into(),
    }
}

/// One `key=value` argument with the token it came from.
struct Arg<'a> {
    key: &'a str,
    value: &'a str,
    token: &'a str,
}

struct Step<'a> {
    name: &'a str,
    args: Vec<Arg<'a>>,
    used: Vec<bool>,
}

impl<'a> Step<'a> {
    fn take(&mut self, key: &str) -> Option<(&'a str, &'a str)> {
        for (i, a) in self.args.iter().enumerate() {
            if a.key == key && !self.used[i] {
                self.used[i] = true;
                return Some((a.value, a.token));
            }
        }
        None
    }
    fn range(&mut self, key: &str) -> Result<Option<ParamRange>> {
        self.take(key).map(|(v, t)| parse_range(v, t)).transpose()
    }
    fn number(&mut self, key: &str) -> Result<Option<f32>> {
        self.take(key).map(|(v, t)| parse_num(v, t)).transpose()
    }
    fn usize(&mut self, key: &str) -> Result<Option<usize>> {
        self.take(key)
            .map(|(v, t)| {
                v.parse::<usize>()
                    .map_err(|_| perr(t, "expected a non-negative integer"))
            })
            .transpose()
    }
    fn bool(&mut self, key: &str) -> Result<Option<bool>> {
        self.take(key)
            .map(|(v, t)| match v {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(perr(t, "expected true or false")),
            })
            .transpose()
    }
    fn p(&mut self) -> Result<f32> {
        Ok(self.number("p")?.unwrap_or(1.0))
    }
    fn finish(&self) -> Result<()> {
        match self.args.iter().zip(&self.used).find(|(_, u)| !**u) {
            Some((a, _)) => Err(perr(
                a.token,
                format!(
                    "unknown or repeated parameter `{}` for step `{}`",
                    a.key, self.name
                ),
            )),
            None => Ok(()),
        }
    }
}

fn parse_num(v: &str, token: &str) -> Result<f32> {
    match v.trim().parse::<f32>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(perr(token, format!("`{v}` is not a finite number"))),
    }
}

fn parse_range(v: &str, token: &str) -> Result<ParamRange> {
    match v.split_once("..") {
        Some((a, b)) => {
            let (a, b) = (parse_num(a, token)?, parse_num(b, token)?);
            if a > b {
                return Err(perr(token, "range start is greater than its end"));
            }
            Ok(ParamRange::new(a, b))
        }
        None => Ok(ParamRange::fixed(parse_num(v, token)?)),
    }
}

fn main_key(name: &str) -> Option<&'static str> {
    Some(match name {
        "noise" => "snr",
        "bgnoise" => "files",
        "gain" => "db",
        "shift" => "fraction",
        "clip" => "percent",
        "pitch" => "semitones",
        "speed" => "factor",
        "stretch" => "rate",
        "reverb" => "rt60",
        "mulaw" => "bits",
        "resample" => "rate",
        "lowpass" | "highpass" => "cutoff",
        _ => return None,
    })
}

fn paths(v: &str) -> Vec<&str> {
    v.split('|')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses a pipeline spec (see the [module docs](self)) into a [`Compose`].
/// Noise and RIR files are loaded at their own sample rate (resampled on the
/// fly when applied to audio at another rate); see [`parse_pipeline_with_sr`].
pub fn parse_pipeline(spec: &str) -> Result<Compose> {
    parse_pipeline_with_sr(spec, None)
}

/// Like [`parse_pipeline`], loading noise/RIR files resampled to `sr`.
pub fn parse_pipeline_with_sr(spec: &str, sr: Option<u32>) -> Result<Compose> {
    let mut out: Vec<Box<dyn Transform>> = Vec::new();
    for raw in spec.split(';') {
        let step_tok = raw.trim();
        if step_tok.is_empty() {
            continue;
        }
        let (name, rest) = match step_tok.split_once(':') {
            Some((n, r)) => (n.trim(), Some(r)),
            None => (step_tok, None),
        };
        if name.is_empty() {
            return Err(perr(step_tok, "missing step name"));
        }
        let mut args = Vec::new();
        for tok in rest.into_iter().flat_map(|r| r.split(',')) {
            let tok = tok.trim();
            if tok.is_empty() {
                return Err(perr(step_tok, "empty argument"));
            }
            let (key, value) = match tok.split_once('=') {
                Some((k, v)) => (k.trim(), v.trim()),
                None => match main_key(name) {
                    Some(k) => (k, tok),
                    None => {
                        return Err(perr(
                            tok,
                            format!("step `{name}` has no main parameter; use key=value"),
                        ))
                    }
                },
            };
            if key.is_empty() || value.is_empty() {
                return Err(perr(tok, "expected key=value"));
            }
            args.push(Arg {
                key,
                value,
                token: tok,
            });
        }
        let used = vec![false; args.len()];
        let mut s = Step { name, args, used };
        let t: Box<dyn Transform> = match name {
            "noise" => {
                let mut t = AddNoise::default();
                if let Some(r) = s.range("snr")? {
                    t.snr_db = r;
                }
                if let Some((v, tok)) = s.take("color") {
                    t.color = match v {
                        "white" => NoiseColor::White,
                        "pink" => NoiseColor::Pink,
                        "brown" | "brownian" | "red" => NoiseColor::Brown,
                        _ => return Err(perr(tok, "expected white, pink or brown")),
                    };
                }
                Box::new(t.p(s.p()?))
            }
            "bgnoise" => {
                let (v, tok) = s
                    .take("files")
                    .ok_or_else(|| perr(step_tok, "bgnoise needs files=a.wav|b.wav"))?;
                let files = paths(v);
                let mut t = AddBackgroundNoise::from_files(&files, sr)
                    .map_err(|e| perr(tok, e.to_string()))?;
                if let Some(r) = s.range("snr")? {
                    t.snr_db = r;
                }
                Box::new(t.p(s.p()?))
            }
            "gain" => {
                let mut t = Gain::default();
                if let Some(r) = s.range("db")? {
                    t.gain_db = r;
                }
                Box::new(t.p(s.p()?))
            }
            "polarity" => Box::new(PolarityInversion::new().p(s.p()?)),
            "shift" => {
                let mut t = TimeShift::default();
                if let Some(r) = s.range("fraction")? {
                    t.fraction = r;
                }
                if let Some(b) = s.bool("rollover")? {
                    t.rollover = b;
                }
                Box::new(t.p(s.p()?))
            }
            "clip" => {
                let mut t = ClippingDistortion::default();
                if let Some(r) = s.range("percent")? {
                    t.percentile = r;
                }
                Box::new(t.p(s.p()?))
            }
            "pitch" => {
                let mut t = PitchShift::default();
                if let Some(r) = s.range("semitones")? {
                    t.semitones = r;
                }
                let n_fft = s.usize("n_fft")?.unwrap_or(t.n_fft);
                let hop = s.usize("hop_length")?.unwrap_or(n_fft / 4);
                Box::new(t.n_fft(n_fft, hop).p(s.p()?))
            }
            "speed" => {
                let mut t = SpeedChange::default();
                if let Some(r) = s.range("factor")? {
                    t.factor = r;
                }
                Box::new(t.p(s.p()?))
            }
            "stretch" => {
                let mut t = TimeStretch::default();
                if let Some(r) = s.range("rate")? {
                    t.rate = r;
                }
                let n_fft = s.usize("n_fft")?.unwrap_or(t.n_fft);
                let hop = s.usize("hop_length")?.unwrap_or(n_fft / 4);
                if let Some(b) = s.bool("keep_length")? {
                    t.leave_length_unchanged = b;
                }
                Box::new(t.n_fft(n_fft, hop).p(s.p()?))
            }
            "mulaw" => {
                let mut t = MuLaw::default();
                if let Some(b) = s.usize("bits")? {
                    t.bits = u32::try_from(b).unwrap_or(u32::MAX);
                }
                if let Some(m) = s.number("mu")? {
                    t.mu = m;
                }
                Box::new(t.p(s.p()?))
            }
            "resample" => {
                let mut t = Resample::default();
                if let Some(r) = s.range("rate")? {
                    t.rate = r;
                }
                Box::new(t.p(s.p()?))
            }
            "reverb" => {
                let mut t = match s.take("rir") {
                    Some((v, tok)) => {
                        if let Some((_, t2)) = s.take("rt60") {
                            return Err(perr(t2, "give either rir= or rt60=, not both"));
                        }
                        Reverb::from_files(&paths(v), sr).map_err(|e| perr(tok, e.to_string()))?
                    }
                    None => {
                        let mut t = Reverb::default();
                        if let Some(r) = s.range("rt60")? {
                            t = Reverb::synthetic(r.min, r.max);
                        }
                        t
                    }
                };
                if let Some(r) = s.range("wet")? {
                    t.wet = r;
                }
                Box::new(t.p(s.p()?))
            }
            "lowpass" | "highpass" | "bandpass" | "telephone" => {
                let mut t = match name {
                    "lowpass" => BandLimit::low_pass(3400.0, 3400.0),
                    "highpass" => BandLimit::high_pass(300.0, 300.0),
                    _ => BandLimit::telephone(),
                };
                if name == "lowpass" {
                    if let Some(r) = s.range("cutoff")? {
                        t.high_hz = r;
                    }
                }
                if name == "highpass" {
                    if let Some(r) = s.range("cutoff")? {
                        t.low_hz = r;
                    }
                }
                if name == "bandpass" {
                    if let Some(r) = s.range("low")? {
                        t.low_hz = r;
                    }
                    if let Some(r) = s.range("high")? {
                        t.high_hz = r;
                    }
                }
                if let Some(o) = s.usize("order")? {
                    t.order = o;
                }
                if let Some(b) = s.bool("zero_phase")? {
                    t.zero_phase = b;
                }
                Box::new(t.p(s.p()?))
            }
            _ => return Err(perr(name, "unknown step name")),
        };
        s.finish()?;
        t.validate().map_err(|e| perr(step_tok, e.to_string()))?;
        out.push(t);
    }
    Ok(Compose::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_of(spec: &str) -> String {
        match parse_pipeline(spec) {
            Err(Error::Parse { token, .. }) => token,
            other => panic!("expected parse error for {spec:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_all_steps() {
        let c = parse_pipeline(
            "noise:snr=10..20,p=0.5;pitch:semitones=-2..2;speed:0.9..1.1; gain:-6..6; polarity; \
             shift:0.1,rollover=false; clip:10; stretch:rate=0.9..1.1,keep_length=true; reverb:rt60=0.3..0.5,wet=0.5; \
             lowpass:4000,order=6; highpass:cutoff=100; bandpass:low=200,high=3000; telephone:zero_phase=true; \
             resample:8000; mulaw:bits=8,mu=255",
        )
        .unwrap();
        assert_eq!(c.len(), 15);
        let names: Vec<_> = c.transforms.iter().map(|t| t.name()).collect();
        assert_eq!(&names[13..], ["resample", "mulaw"]);
        let names: Vec<_> = c.transforms.iter().map(|t| t.name()).collect();
        assert_eq!(names[0], "noise");
        assert_eq!(c.transforms[0].probability(), 0.5);
        assert_eq!(c.transforms[1].probability(), 1.0);
        assert!(c.changes_length());
    }

    #[test]
    fn errors_name_the_bad_token() {
        assert_eq!(token_of("noise:snr=ten"), "snr=ten");
        assert_eq!(token_of("noise:snr=20..10"), "snr=20..10");
        assert_eq!(token_of("nosie:snr=1"), "nosie");
        assert_eq!(token_of("gain:-3..3,foo=1"), "foo=1");
        assert_eq!(token_of("noise:color=blue"), "color=blue");
        assert_eq!(token_of("polarity:3"), "3");
        assert_eq!(token_of("shift:rollover=maybe"), "rollover=maybe");
        assert_eq!(token_of("gain:p=2"), "gain:p=2");
        assert_eq!(
            token_of("bgnoise:files=/nonexistent/x.wav"),
            "files=/nonexistent/x.wav"
        );
        assert_eq!(token_of("reverb:rt60=0.3,rir=a.wav"), "rt60=0.3");
        assert_eq!(token_of("mulaw:bits=1"), "mulaw:bits=1");
        assert_eq!(token_of("resample:rate=10"), "resample:rate=10");
    }

    #[test]
    fn empty_spec_is_identity() {
        let c = parse_pipeline(" ; ").unwrap();
        assert!(c.is_empty());
    }
}
