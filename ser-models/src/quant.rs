//! Post-training weight quantisation of model directories: int8 (symmetric, one scale per
//! output channel), f16 or bf16 storage.
//!
//! [`quantize_model_dir`] writes a new model directory whose `model.safetensors` stores
//! every weight matrix / kernel (rank ≥ 2) in the chosen [`QuantScheme`]; biases, norms and
//! the input-standardisation / batch-norm buffers stay f32 (they are tiny and sensitive).
//! A `quantization.json` beside `config.json` records the scheme. The one model-directory
//! loader, [`crate::load_model_dir`] (and so [`crate::Recognizer::load`], `recognize` and
//! `serve`), reads it and dequantises to f32 at load time, so inference runs the same f32
//! kernels: the gain is the file size (int8 ≈ ¼, f16/bf16 ½ of f32) and load bandwidth, not
//! compute speed.
//!
//! Int8 layout: a tensor `w` of shape `(out, …)` becomes `w` as `u8` codes
//! `round(w / s_o) + 128` and `w.__scale` as f32 `(out,)` with `s_o = max|w_o| / 127`
//! (zero rows get `s_o = 1`), so `w ≈ (code − 128) · s_o` with error at most `s_o / 2`.
//!
//! ```
//! use ser_models::quant::{quantize_model_dir, QuantScheme};
//! use ser_models::{init_model, save_model_dir, Arch, FeatureSpec, ModelCard, Recognizer};
//! # fn main() -> ser_models::Result<()> {
//! # let tmp = tempfile::tempdir().map_err(|e| ser_models::Error::InvalidArgument(e.to_string()))?;
//! let cfg = Arch::Mlp.default_config(64, 4);
//! let (_, params) = init_model(&cfg, 0)?;
//! let card = ModelCard::new(cfg, FeatureSpec::Precomputed { n_features: 64 }, vec![
//!     "a".into(), "b".into(), "c".into(), "d".into(),
//! ]);
//! let f32_dir = tmp.path().join("f32");
//! save_model_dir(&f32_dir, &card, &params)?;
//!
//! let int8_dir = tmp.path().join("int8");
//! let report = quantize_model_dir(&f32_dir, &int8_dir, QuantScheme::Int8)?;
//! assert!(report.quantized_bytes * 3 < report.original_bytes);
//! assert!(report.max_abs_error > 0.0);
//!
//! let rec = Recognizer::load(&int8_dir)?;
//! assert_eq!(rec.card().labels.len(), 4);
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::io::{load_card, CONFIG_FILE, WEIGHTS_FILE};
use crate::params::is_buffer;
use crate::{Error, Result};

/// File recording the scheme of a quantised model directory.
pub const QUANT_FILE: &str = "quantization.json";
/// Suffix of the per-channel scale tensor of an int8 weight.
pub const SCALE_SUFFIX: &str = ".__scale";

/// Storage format of the quantised weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum QuantScheme {
    /// Symmetric int8 with one f32 scale per output channel (stored as `u8` + 128).
    Int8,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    Bf16,
}

impl std::str::FromStr for QuantScheme {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "int8" | "i8" => Ok(Self::Int8),
            "f16" | "fp16" => Ok(Self::F16),
            "bf16" => Ok(Self::Bf16),
            _ => Err(Error::UnknownName {
                what: "quantisation scheme",
                name: s.to_string(),
                expected: "int8, f16 or bf16",
            }),
        }
    }
}

/// Contents of `quantization.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QuantInfo {
    /// The scheme.
    pub scheme: QuantScheme,
    /// Names of the tensors stored quantised (the rest are f32).
    pub quantized: Vec<String>,
}

/// What [`quantize_model_dir`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct QuantReport {
    /// The scheme.
    pub scheme: QuantScheme,
    /// Size of the source `model.safetensors`, bytes.
    pub original_bytes: u64,
    /// Size of the written `model.safetensors`, bytes.
    pub quantized_bytes: u64,
    /// Tensors quantised.
    pub n_quantized: usize,
    /// Tensors kept in f32.
    pub n_kept: usize,
    /// Largest absolute weight error after dequantisation.
    pub max_abs_error: f32,
}

fn should_quantize(name: &str, t: &Tensor) -> bool {
    t.rank() >= 2 && !is_buffer(name)
}

/// Quantises one f32 tensor to int8 codes `(u8)` and per-row scales `(rows,)`.
pub fn quantize_int8(t: &Tensor) -> Result<(Tensor, Tensor)> {
    let dims = t.dims().to_vec();
    let rows = *dims
        .first()
        .ok_or_else(|| Error::InvalidArgument("cannot quantise a scalar tensor".into()))?;
    let flat: Vec<f32> = t.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?;
    if flat.iter().any(|v| !v.is_finite()) {
        return Err(Error::NonFinite("weight to quantise".into()));
    }
    let per = flat.len() / rows.max(1);
    let mut codes = Vec::with_capacity(flat.len());
    let mut scales = Vec::with_capacity(rows);
    for r in 0..rows {
        let row = &flat[r * per..(r + 1) * per];
        let m = row.iter().fold(0f32, |a, v| a.max(v.abs()));
        let s = if m > 0.0 { m / 127.0 } else { 1.0 };
        scales.push(s);
        codes.extend(
            row.iter()
                .map(|v| ((v / s).round().clamp(-127.0, 127.0) as i32 + 128) as u8),
        );
    }
    Ok((
        Tensor::from_vec(codes, dims, &Device::Cpu)?,
        Tensor::from_vec(scales, rows, &Device::Cpu)?,
    ))
}

/// Inverse of [`quantize_int8`]: f32 tensor of the codes' shape.
pub fn dequantize_int8(codes: &Tensor, scales: &Tensor) -> Result<Tensor> {
    let dims = codes.dims().to_vec();
    let rows = *dims
        .first()
        .ok_or_else(|| Error::InvalidArgument("scalar int8 tensor".into()))?;
    let s: Vec<f32> = scales.to_dtype(DType::F32)?.to_vec1()?;
    if s.len() != rows {
        return Err(Error::ShapeMismatch {
            what: "int8 scales".into(),
            expected: rows.to_string(),
            got: s.len().to_string(),
        });
    }
    let c: Vec<u8> = codes.flatten_all()?.to_vec1()?;
    let per = c.len() / rows.max(1);
    let v: Vec<f32> = c
        .iter()
        .enumerate()
        .map(|(i, &q)| (q as f32 - 128.0) * s[i / per.max(1)])
        .collect();
    Ok(Tensor::from_vec(v, dims, &Device::Cpu)?)
}

fn file_len(p: &Path) -> Result<u64> {
    Ok(std::fs::metadata(p).map_err(|e| Error::io(p, e))?.len())
}

/// Reads `src` (an f32 model directory), quantises its weight tensors with `scheme` and
/// writes a loadable directory `dst` (`model.safetensors`, `config.json`,
/// `quantization.json`). Errors if `src` is invalid or already quantised.
pub fn quantize_model_dir(
    src: impl AsRef<Path>,
    dst: impl AsRef<Path>,
    scheme: QuantScheme,
) -> Result<QuantReport> {
    let (src, dst) = (src.as_ref(), dst.as_ref());
    if src.join(QUANT_FILE).exists() {
        return Err(Error::InvalidArgument(format!(
            "{} is already quantised",
            src.display()
        )));
    }
    // Full validation of the source (names, shapes) before touching anything.
    let loaded = crate::io::load_model_dir(src)?;
    let weights = loaded.params.snapshot()?;
    let mut out: HashMap<String, Tensor> = HashMap::new();
    let mut quantized = Vec::new();
    let mut max_err = 0f32;
    let mut names: Vec<&String> = weights.keys().collect();
    names.sort();
    for name in names {
        let t = &weights[name];
        if !should_quantize(name, t) {
            out.insert(name.clone(), t.clone());
            continue;
        }
        let back = match scheme {
            QuantScheme::Int8 => {
                let (c, s) = quantize_int8(t)?;
                let back = dequantize_int8(&c, &s)?;
                out.insert(name.clone(), c);
                out.insert(format!("{name}{SCALE_SUFFIX}"), s);
                back
            }
            QuantScheme::F16 | QuantScheme::Bf16 => {
                let dt = if scheme == QuantScheme::F16 {
                    DType::F16
                } else {
                    DType::BF16
                };
                let q = t.to_dtype(dt)?;
                let back = q.to_dtype(DType::F32)?;
                out.insert(name.clone(), q);
                back
            }
        };
        let err = (back - t)?
            .abs()?
            .flatten_all()?
            .max(0)?
            .to_scalar::<f32>()?;
        max_err = max_err.max(err);
        quantized.push(name.clone());
    }
    std::fs::create_dir_all(dst).map_err(|e| Error::io(dst, e))?;
    let wpath = dst.join(WEIGHTS_FILE);
    candle_core::safetensors::save(&out, &wpath)?;
    let card = load_card(src)?;
    let cpath = dst.join(CONFIG_FILE);
    std::fs::write(&cpath, serde_json::to_string_pretty(&card)? + "\n")
        .map_err(|e| Error::io(&cpath, e))?;
    let info = QuantInfo { scheme, quantized };
    let qpath = dst.join(QUANT_FILE);
    std::fs::write(&qpath, serde_json::to_string_pretty(&info)? + "\n")
        .map_err(|e| Error::io(&qpath, e))?;
    Ok(QuantReport {
        scheme,
        original_bytes: file_len(&src.join(WEIGHTS_FILE))?,
        quantized_bytes: file_len(&wpath)?,
        n_quantized: info.quantized.len(),
        n_kept: weights.len() - info.quantized.len(),
        max_abs_error: max_err,
    })
}

/// Reads `quantization.json` of a directory, `None` for a plain f32 directory.
pub fn quant_info(dir: impl AsRef<Path>) -> Result<Option<QuantInfo>> {
    let p = dir.as_ref().join(QUANT_FILE);
    if !p.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| Error::BadConfig {
            path: p,
            reason: e.to_string(),
        })
}

/// Dequantises the raw tensors of a quantised `model.safetensors` (at `path`) to f32 as
/// `info` describes; the other tensors are converted to f32. Used by
/// [`crate::load_model_dir`], the one loader of model directories.
pub(crate) fn dequantize_weights(
    mut raw: HashMap<String, Tensor>,
    info: &QuantInfo,
    path: &Path,
) -> Result<HashMap<String, Tensor>> {
    let corrupt = |reason: String| Error::CorruptCheckpoint {
        path: path.to_path_buf(),
        reason,
    };
    let mut weights = HashMap::new();
    for name in &info.quantized {
        let t = raw
            .remove(name)
            .ok_or_else(|| Error::MissingTensor { name: name.clone() })?;
        let w = match info.scheme {
            QuantScheme::Int8 => {
                let sname = format!("{name}{SCALE_SUFFIX}");
                let s = raw
                    .remove(&sname)
                    .ok_or(Error::MissingTensor { name: sname })?;
                if t.dtype() != DType::U8 {
                    return Err(corrupt(format!(
                        "{name}: int8 codes must be u8, got {:?}",
                        t.dtype()
                    )));
                }
                dequantize_int8(&t, &s)?
            }
            QuantScheme::F16 | QuantScheme::Bf16 => t.to_dtype(DType::F32)?,
        };
        weights.insert(name.clone(), w);
    }
    weights.extend(crate::io::to_f32(raw)?);
    Ok(weights)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int8_round_trip_error_is_half_a_step() {
        let v: Vec<f32> = (0..64)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.013)
            .collect();
        let mut v2 = v.clone();
        v2[32..].iter_mut().for_each(|x| *x = 0.0); // a zero row
        let t =
            Tensor::from_vec(v2.clone(), (2, 32), &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
        let (c, s) = quantize_int8(&t).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.dtype(), DType::U8);
        let back: Vec<f32> = dequantize_int8(&c, &s)
            .and_then(|b| Ok(b.flatten_all()?.to_vec1()?))
            .unwrap_or_else(|e| panic!("{e}"));
        let scales: Vec<f32> = s.to_vec1().unwrap_or_else(|e| panic!("{e}"));
        let m = v2[..32].iter().fold(0f32, |a, x| a.max(x.abs()));
        assert!((scales[0] - m / 127.0).abs() < 1e-9);
        assert_eq!(scales[1], 1.0);
        for (i, (a, b)) in v2.iter().zip(&back).enumerate() {
            assert!(
                (a - b).abs() <= scales[i / 32] / 2.0 + 1e-7,
                "{i}: {a} vs {b}"
            );
        }
        assert!(back[32..].iter().all(|&x| x == 0.0));
        let bad = Tensor::from_vec(vec![f32::NAN; 4], (2, 2), &Device::Cpu)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(quantize_int8(&bad).is_err());
        let wrong =
            Tensor::from_vec(vec![1f32; 3], 3, &Device::Cpu).unwrap_or_else(|e| panic!("{e}"));
        assert!(dequantize_int8(&c, &wrong).is_err());
    }

    #[test]
    fn scheme_names() {
        assert_eq!("int8".parse::<QuantScheme>().ok(), Some(QuantScheme::Int8));
        assert_eq!("bf16".parse::<QuantScheme>().ok(), Some(QuantScheme::Bf16));
        assert!("q4".parse::<QuantScheme>().is_err());
    }
}
