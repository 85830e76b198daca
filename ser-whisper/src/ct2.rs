//! Reader for CTranslate2's `model.bin` (the format faster-whisper loads).
//!
//! The file is little-endian: a `u32` binary version (5 or 6 here), the spec name and a
//! `u32` revision, a `u32` variable count, then per variable its name, rank (`u8`), dims
//! (`u32` each), data type (`u8`: 0 f32, 1 i8, 2 i16, 3 i32, 4 f16, 5 bf16), byte count
//! (`u32`) and raw data; finally a `u32` alias count and `(alias, target)` name pairs.
//! Strings are a `u16` length including a trailing NUL, then the bytes.
//!
//! An int8-quantised checkpoint stores `…/weight` as i8 and `…/weight_scale` as f32 per
//! output row; [`Ct2Checkpoint::tensor_f32`] dequantises it (`w = q / scale`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use crate::{Error, Result};

/// Data type of a checkpoint variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ct2DType {
    /// 32-bit float.
    F32,
    /// 8-bit integer (quantised weights or flags).
    I8,
    /// 16-bit integer.
    I16,
    /// 32-bit integer.
    I32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    Bf16,
}

impl Ct2DType {
    fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::Bf16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::Bf16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One variable of a checkpoint: its shape, type and raw little-endian bytes.
#[derive(Debug, Clone)]
pub struct Ct2Variable {
    /// Dimensions (empty for a scalar).
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: Ct2DType,
    /// Raw data, `shape.product() * dtype.size()` bytes.
    pub data: Vec<u8>,
}

impl Ct2Variable {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// True for a variable without elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values converted to `f32` (integers are converted by value, not dequantised).
    pub fn to_f32(&self) -> Vec<f32> {
        let d = &self.data;
        match self.dtype {
            Ct2DType::F32 => d
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Ct2DType::F16 => d
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Ct2DType::Bf16 => d
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Ct2DType::I8 => d.iter().map(|&b| b as i8 as f32).collect(),
            Ct2DType::I16 => d
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32)
                .collect(),
            Ct2DType::I32 => d
                .chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32)
                .collect(),
        }
    }

    /// The value of a scalar integer variable (e.g. `encoder/num_heads`).
    pub fn scalar_i64(&self) -> Option<i64> {
        if self.len() != 1 {
            return None;
        }
        let d = &self.data;
        Some(match self.dtype {
            Ct2DType::I8 => d[0] as i8 as i64,
            Ct2DType::I16 => i16::from_le_bytes([d[0], d[1]]) as i64,
            Ct2DType::I32 => i32::from_le_bytes([d[0], d[1], d[2], d[3]]) as i64,
            _ => return None,
        })
    }
}

/// A parsed CTranslate2 checkpoint.
#[derive(Debug, Clone)]
pub struct Ct2Checkpoint {
    /// File it was read from.
    pub path: PathBuf,
    /// Binary format version.
    pub version: u32,
    /// Model spec name, e.g. `WhisperSpec`.
    pub spec: String,
    /// Spec revision.
    pub revision: u32,
    /// Variables by name (aliases resolved into copies of the name mapping, not the data).
    pub variables: HashMap<String, Ct2Variable>,
    /// Alias name → variable name (e.g. `decoder/projection/weight` →
    /// `decoder/embeddings/weight`).
    pub aliases: HashMap<String, String>,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    path: &'a Path,
}

impl<'a> Reader<'a> {
    fn corrupt(&self, reason: String) -> Error {
        Error::CorruptCheckpoint {
            path: self.path.to_path_buf(),
            reason,
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(self.corrupt(format!(
                "truncated: {what} needs {n} bytes at offset {}, file has {}",
                self.pos,
                self.buf.len()
            ))),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self, what: &str) -> Result<String> {
        let n = self.u16(what)? as usize;
        let b = self.take(n, what)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        String::from_utf8(b.to_vec()).map_err(|_| self.corrupt(format!("{what} is not UTF-8")))
    }
}

impl Ct2Checkpoint {
    /// Reads and parses `path` (typically `<dir>/model.bin`).
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&bytes, path)
    }

    /// Parses checkpoint bytes; `path` is only used in error messages.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let mut r = Reader {
            buf: bytes,
            pos: 0,
            path,
        };
        let version = r.u32("binary version")?;
        if !(5..=6).contains(&version) {
            return Err(r.corrupt(format!(
                "binary version {version} (this reader knows CTranslate2 versions 5 and 6)"
            )));
        }
        let spec = r.string("spec name")?;
        let revision = r.u32("spec revision")?;
        let n = r.u32("variable count")? as usize;
        let mut variables = HashMap::with_capacity(n.min(1 << 16));
        for i in 0..n {
            let name = r.string("variable name")?;
            let rank = r.u8("rank")? as usize;
            let mut shape = Vec::with_capacity(rank);
            for _ in 0..rank {
                shape.push(r.u32("dimension")? as usize);
            }
            let id = r.u8("data type")?;
            let dtype = Ct2DType::from_id(id).ok_or_else(|| {
                r.corrupt(format!("variable {i} `{name}`: unknown data type {id}"))
            })?;
            let nbytes = r.u32("byte count")? as usize;
            let expect = shape
                .iter()
                .try_fold(dtype.size(), |a, &d| a.checked_mul(d))
                .ok_or_else(|| {
                    r.corrupt(format!("variable `{name}`: shape {shape:?} overflows"))
                })?;
            if nbytes != expect {
                return Err(r.corrupt(format!(
                    "variable `{name}`: {nbytes} bytes for shape {shape:?} of {dtype:?} ({expect} expected)"
                )));
            }
            let data = r.take(nbytes, &format!("data of `{name}`"))?.to_vec();
            variables.insert(name, Ct2Variable { shape, dtype, data });
        }
        let mut aliases = HashMap::new();
        let na = r.u32("alias count")? as usize;
        for _ in 0..na {
            let alias = r.string("alias")?;
            let target = r.string("alias target")?;
            aliases.insert(alias, target);
        }
        if r.pos != bytes.len() {
            return Err(r.corrupt(format!(
                "{} trailing bytes after the aliases",
                bytes.len() - r.pos
            )));
        }
        Ok(Self {
            path: path.to_path_buf(),
            version,
            spec,
            revision,
            variables,
            aliases,
        })
    }

    /// A variable by name or alias.
    pub fn get(&self, name: &str) -> Option<&Ct2Variable> {
        self.variables
            .get(name)
            .or_else(|| self.aliases.get(name).and_then(|t| self.variables.get(t)))
    }

    /// A variable by name, or [`Error::MissingTensor`].
    pub fn require(&self, name: &str) -> Result<&Ct2Variable> {
        self.get(name).ok_or_else(|| Error::MissingTensor {
            name: name.to_string(),
        })
    }

    /// An integer scalar (e.g. `encoder/num_heads`).
    pub fn scalar(&self, name: &str) -> Result<i64> {
        self.require(name)?
            .scalar_i64()
            .ok_or_else(|| Error::BadModel(format!("`{name}` is not an integer scalar")))
    }

    /// A variable as an `f32` tensor of its own shape. An int8 weight with a `…_scale`
    /// companion (CTranslate2's int8 quantisation, one scale per output row or channel) is
    /// dequantised.
    pub fn tensor_f32(&self, name: &str) -> Result<Tensor> {
        let v = self.require(name)?;
        let mut values = v.to_f32();
        if v.dtype == Ct2DType::I8 && v.shape.len() >= 2 {
            let scale = self.require(&format!("{name}_scale"))?;
            let s = scale.to_f32();
            let rows = v.shape[0];
            if s.len() != rows {
                return Err(Error::TensorShape {
                    name: format!("{name}_scale"),
                    expected: vec![rows],
                    got: scale.shape.clone(),
                });
            }
            let cols: usize = v.shape[1..].iter().product();
            for (row, &sc) in values.chunks_mut(cols.max(1)).zip(&s) {
                if sc == 0.0 || !sc.is_finite() {
                    return Err(Error::CorruptCheckpoint {
                        path: self.path.clone(),
                        reason: format!("`{name}_scale` holds {sc}"),
                    });
                }
                row.iter_mut().for_each(|x| *x /= sc);
            }
        }
        if values.iter().any(|x| !x.is_finite()) {
            return Err(Error::CorruptCheckpoint {
                path: self.path.clone(),
                reason: format!("`{name}` holds non-finite values"),
            });
        }
        Ok(Tensor::from_vec(values, v.shape.as_slice(), &Device::Cpu)?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a checkpoint the way CTranslate2's `ModelSpec._serialize` does.
    pub(crate) fn write(
        vars: &[(&str, Vec<usize>, u8, Vec<u8>)],
        aliases: &[(&str, &str)],
    ) -> Vec<u8> {
        fn s(out: &mut Vec<u8>, x: &str) {
            out.extend_from_slice(&((x.len() + 1) as u16).to_le_bytes());
            out.extend_from_slice(x.as_bytes());
            out.push(0);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&6u32.to_le_bytes());
        s(&mut out, "WhisperSpec");
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&(vars.len() as u32).to_le_bytes());
        for (name, shape, dt, data) in vars {
            s(&mut out, name);
            out.push(shape.len() as u8);
            for d in shape {
                out.extend_from_slice(&(*d as u32).to_le_bytes());
            }
            out.push(*dt);
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
        }
        out.extend_from_slice(&(aliases.len() as u32).to_le_bytes());
        for (a, t) in aliases {
            s(&mut out, a);
            s(&mut out, t);
        }
        out
    }

    fn f16_bytes(v: &[f32]) -> Vec<u8> {
        v.iter()
            .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
            .collect()
    }

    #[test]
    fn parses_values_aliases_and_int8() {
        let q: Vec<u8> = [10i8, -20, 30, -40].iter().map(|&x| x as u8).collect();
        let scale: Vec<u8> = [10.0f32, 20.0]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let bytes = write(
            &[
                ("a/weight", vec![2, 2], 4, f16_bytes(&[1.0, -2.0, 0.5, 3.0])),
                ("a/num_heads", vec![], 2, 6i16.to_le_bytes().to_vec()),
                ("q/weight", vec![2, 2], 1, q),
                ("q/weight_scale", vec![2], 0, scale),
            ],
            &[("b/weight", "a/weight")],
        );
        let ck = Ct2Checkpoint::parse(&bytes, Path::new("x")).unwrap();
        assert_eq!(ck.spec, "WhisperSpec");
        assert_eq!(ck.scalar("a/num_heads").unwrap(), 6);
        let t = ck.tensor_f32("b/weight").unwrap();
        assert_eq!(
            t.to_vec2::<f32>().unwrap(),
            vec![vec![1.0, -2.0], vec![0.5, 3.0]]
        );
        let d = ck.tensor_f32("q/weight").unwrap().to_vec2::<f32>().unwrap();
        assert_eq!(d, vec![vec![1.0, -2.0], vec![1.5, -2.0]]);
        assert!(matches!(
            ck.tensor_f32("nope"),
            Err(Error::MissingTensor { .. })
        ));
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = write(
            &[("a/weight", vec![2, 2], 4, f16_bytes(&[1.0, -2.0, 0.5, 3.0]))],
            &[("b", "a/weight")],
        );
        for n in 0..bytes.len() {
            let r = Ct2Checkpoint::parse(&bytes[..n], Path::new("x"));
            assert!(
                matches!(r, Err(Error::CorruptCheckpoint { .. })),
                "prefix of {n} bytes parsed"
            );
        }
    }

    #[test]
    fn bad_sizes_and_types_are_errors() {
        let mut bytes = write(&[("a", vec![3], 4, vec![0; 4])], &[]);
        assert!(Ct2Checkpoint::parse(&bytes, Path::new("x")).is_err());
        bytes = write(&[("a", vec![2], 9, vec![0; 2])], &[]);
        assert!(Ct2Checkpoint::parse(&bytes, Path::new("x")).is_err());
        bytes = write(&[("a", vec![1], 0, vec![0; 4])], &[]);
        bytes[0] = 99;
        assert!(Ct2Checkpoint::parse(&bytes, Path::new("x")).is_err());
    }
}
