//! Model dimensions and checkpoints: CTranslate2 `model.bin` or `model.safetensors` +
//! `config.json`, mapped to one set of tensor names.
//!
//! Tensor names follow openai-whisper's `state_dict` (`encoder.conv1.weight`,
//! `encoder.blocks.0.attn_ln.weight`, `encoder.blocks.0.mlp.0.weight`, …) with one
//! difference: self-attention query, key and value are stored fused as
//! `attn.qkv.{weight,bias}` (`(3·d, d)`, key bias zero), as CTranslate2 stores them, so the
//! encoder runs one matrix product per layer for all three.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::ct2::Ct2Checkpoint;
use crate::{Error, Result};

/// Format tag of a `ser-whisper` `config.json`.
pub const FORMAT: &str = "ser-whisper/1";
/// Weights file of a converted model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// Description file of a converted model directory.
pub const CONFIG_FILE: &str = "config.json";
/// CTranslate2 checkpoint file name (faster-whisper's model directories).
pub const CT2_FILE: &str = "model.bin";

/// Whisper's dimensions, with openai-whisper's `ModelDimensions` field names.
///
/// `n_text_layer == 0` marks an encoder-only checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WhisperConfig {
    /// Mel bands of the input (80; 128 for large-v3).
    pub n_mels: usize,
    /// Encoder positions (1500 = 30 s after the stride-2 convolution).
    pub n_audio_ctx: usize,
    /// Encoder width (384 tiny, 512 base, 768 small, …).
    pub n_audio_state: usize,
    /// Encoder attention heads.
    pub n_audio_head: usize,
    /// Encoder layers.
    pub n_audio_layer: usize,
    /// Vocabulary size (0 for an encoder-only checkpoint).
    #[serde(default)]
    pub n_vocab: usize,
    /// Decoder positions (448).
    #[serde(default)]
    pub n_text_ctx: usize,
    /// Decoder width.
    #[serde(default)]
    pub n_text_state: usize,
    /// Decoder attention heads.
    #[serde(default)]
    pub n_text_head: usize,
    /// Decoder layers (0 for an encoder-only checkpoint).
    #[serde(default)]
    pub n_text_layer: usize,
}

impl WhisperConfig {
    /// Dimensions of an encoder-only model.
    pub fn encoder(
        n_mels: usize,
        n_audio_ctx: usize,
        n_audio_state: usize,
        n_audio_head: usize,
        n_audio_layer: usize,
    ) -> Self {
        Self {
            n_mels,
            n_audio_ctx,
            n_audio_state,
            n_audio_head,
            n_audio_layer,
            n_vocab: 0,
            n_text_ctx: 0,
            n_text_state: 0,
            n_text_head: 0,
            n_text_layer: 0,
        }
    }

    /// Checks that the sizes are usable.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::BadModel(m));
        if self.n_mels == 0 || self.n_audio_ctx == 0 || self.n_audio_layer == 0 {
            return bad(format!("zero-sized encoder: {self:?}"));
        }
        if self.n_audio_head == 0 || self.n_audio_state % self.n_audio_head != 0 {
            return bad(format!(
                "encoder width {} is not a multiple of its {} heads",
                self.n_audio_state, self.n_audio_head
            ));
        }
        if self.n_text_layer > 0
            && (self.n_text_head == 0 || self.n_text_state % self.n_text_head != 0)
        {
            return bad(format!(
                "decoder width {} is not a multiple of its {} heads",
                self.n_text_state, self.n_text_head
            ));
        }
        Ok(())
    }

    /// True when the checkpoint has a decoder.
    pub fn has_decoder(&self) -> bool {
        self.n_text_layer > 0
    }

    /// The same dimensions without the decoder.
    pub fn encoder_only(&self) -> Self {
        Self {
            n_vocab: 0,
            n_text_ctx: 0,
            n_text_state: 0,
            n_text_head: 0,
            n_text_layer: 0,
            ..self.clone()
        }
    }

    /// The same encoder with a decoder of `n_text_layer` layers, width `n_text_state`,
    /// `n_text_head` heads, `n_vocab` tokens and `n_text_ctx` positions.
    pub fn with_decoder(
        mut self,
        n_vocab: usize,
        n_text_ctx: usize,
        n_text_state: usize,
        n_text_head: usize,
        n_text_layer: usize,
    ) -> Self {
        self.n_vocab = n_vocab;
        self.n_text_ctx = n_text_ctx;
        self.n_text_state = n_text_state;
        self.n_text_head = n_text_head;
        self.n_text_layer = n_text_layer;
        self
    }

    /// Every decoder tensor name and shape (empty without a decoder), sorted by name.
    ///
    /// Names follow openai-whisper's with fused projections as CTranslate2 stores them:
    /// `decoder.blocks.{i}.attn.qkv` (`(3·d, d)`), `cross_attn.query` (`(d, d)`) and
    /// `cross_attn.kv` (`(2·d, d)`, key rows first); `decoder.token_embedding.weight`
    /// doubles as the output projection.
    pub fn decoder_shapes(&self) -> Vec<(String, Vec<usize>)> {
        if !self.has_decoder() {
            return Vec::new();
        }
        let d = self.n_text_state;
        let mut v = vec![
            (
                "decoder.token_embedding.weight".into(),
                vec![self.n_vocab, d],
            ),
            (
                "decoder.positional_embedding".into(),
                vec![self.n_text_ctx, d],
            ),
            ("decoder.ln.weight".into(), vec![d]),
            ("decoder.ln.bias".into(), vec![d]),
        ];
        for i in 0..self.n_text_layer {
            let p = format!("decoder.blocks.{i}");
            let cross = [
                ("cross_attn_ln.weight", vec![d]),
                ("cross_attn_ln.bias", vec![d]),
                ("cross_attn.query.weight", vec![d, d]),
                ("cross_attn.query.bias", vec![d]),
                ("cross_attn.kv.weight", vec![2 * d, d]),
                ("cross_attn.kv.bias", vec![2 * d]),
                ("cross_attn.out.weight", vec![d, d]),
                ("cross_attn.out.bias", vec![d]),
            ];
            for (n, s) in block_shapes(d).into_iter().chain(cross) {
                v.push((format!("{p}.{n}"), s));
            }
        }
        v.sort();
        v
    }

    /// Encoder and decoder tensor names and shapes.
    pub fn shapes(&self) -> Vec<(String, Vec<usize>)> {
        let mut v = self.encoder_shapes();
        v.extend(self.decoder_shapes());
        v
    }

    /// Every encoder tensor name and shape this configuration implies, sorted by name.
    pub fn encoder_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let d = self.n_audio_state;
        let mut v = vec![
            ("encoder.conv1.weight".into(), vec![d, self.n_mels, 3]),
            ("encoder.conv1.bias".into(), vec![d]),
            ("encoder.conv2.weight".into(), vec![d, d, 3]),
            ("encoder.conv2.bias".into(), vec![d]),
            (
                "encoder.positional_embedding".into(),
                vec![self.n_audio_ctx, d],
            ),
            ("encoder.ln_post.weight".into(), vec![d]),
            ("encoder.ln_post.bias".into(), vec![d]),
        ];
        for i in 0..self.n_audio_layer {
            let p = format!("encoder.blocks.{i}");
            for (n, s) in block_shapes(d) {
                v.push((format!("{p}.{n}"), s));
            }
        }
        v.sort();
        v
    }
}

/// Self-attention and feed-forward tensors of one block of width `d` (shared by encoder and
/// decoder blocks), names after `blocks.{i}.`.
fn block_shapes(d: usize) -> [(&'static str, Vec<usize>); 12] {
    [
        ("attn_ln.weight", vec![d]),
        ("attn_ln.bias", vec![d]),
        ("attn.qkv.weight", vec![3 * d, d]),
        ("attn.qkv.bias", vec![3 * d]),
        ("attn.out.weight", vec![d, d]),
        ("attn.out.bias", vec![d]),
        ("mlp_ln.weight", vec![d]),
        ("mlp_ln.bias", vec![d]),
        ("mlp.0.weight", vec![4 * d, d]),
        ("mlp.0.bias", vec![4 * d]),
        ("mlp.2.weight", vec![d, 4 * d]),
        ("mlp.2.bias", vec![d]),
    ]
}

/// Contents of a converted model directory's `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WhisperCard {
    /// [`FORMAT`].
    pub format: String,
    /// Model dimensions.
    pub dims: WhisperConfig,
    /// Where the weights came from and how they were converted. Default: `null`.
    #[serde(default)]
    pub source: serde_json::Value,
}

/// A Whisper checkpoint in memory: dimensions and `f32` tensors under this crate's names.
#[derive(Debug, Clone)]
pub struct WhisperWeights {
    /// Dimensions.
    pub config: WhisperConfig,
    /// Tensors by name (see the module docs).
    pub tensors: HashMap<String, Tensor>,
    /// Where they were read from.
    pub source: PathBuf,
}

/// openai-whisper's `sinusoids(length, channels)`: `[sin(t·f) ‖ cos(t·f)]` with
/// `f_i = 10000^(-i / (channels/2 - 1))`, row-major `(length, channels)`.
pub fn sinusoids(length: usize, channels: usize) -> Vec<f32> {
    let half = channels / 2;
    let inc = (10000f64).ln() / (half.max(2) - 1) as f64;
    let mut out = vec![0f32; length * channels];
    for t in 0..length {
        for i in 0..half {
            let a = t as f64 * (-inc * i as f64).exp();
            out[t * channels + i] = a.sin() as f32;
            out[t * channels + half + i] = a.cos() as f32;
        }
    }
    out
}

/// CTranslate2 name of a block tensor shared by encoder and decoder blocks (self-attention
/// and feed-forward), `rest` being the name after `blocks.{i}.`.
fn ct2_block_part(rest: &str) -> Option<&'static str> {
    Some(match rest {
        "attn_ln.weight" => "self_attention/layer_norm/gamma",
        "attn_ln.bias" => "self_attention/layer_norm/beta",
        "attn.qkv.weight" => "self_attention/linear_0/weight",
        "attn.qkv.bias" => "self_attention/linear_0/bias",
        "attn.out.weight" => "self_attention/linear_1/weight",
        "attn.out.bias" => "self_attention/linear_1/bias",
        "mlp_ln.weight" => "ffn/layer_norm/gamma",
        "mlp_ln.bias" => "ffn/layer_norm/beta",
        "mlp.0.weight" => "ffn/linear_0/weight",
        "mlp.0.bias" => "ffn/linear_0/bias",
        "mlp.2.weight" => "ffn/linear_1/weight",
        "mlp.2.bias" => "ffn/linear_1/bias",
        _ => return None,
    })
}

/// CTranslate2 name of an encoder or decoder tensor of this crate (`side` is `encoder` or
/// `decoder`): the side's fixed tensors, then per-block tensors, with the decoder's
/// cross-attention.
fn ct2_name(side: &str, name: &str, fixed: &[(&str, &str)]) -> Option<String> {
    let rest = name.strip_prefix(side)?.strip_prefix('.')?;
    if let Some((_, f)) = fixed.iter().find(|(ours, _)| *ours == rest) {
        return Some((*f).to_string());
    }
    let (i, rest) = rest.strip_prefix("blocks.")?.split_once('.')?;
    let cross = |rest: &str| -> Option<&'static str> {
        if side != "decoder" {
            return None;
        }
        Some(match rest {
            "cross_attn_ln.weight" => "attention/layer_norm/gamma",
            "cross_attn_ln.bias" => "attention/layer_norm/beta",
            "cross_attn.query.weight" => "attention/linear_0/weight",
            "cross_attn.query.bias" => "attention/linear_0/bias",
            "cross_attn.kv.weight" => "attention/linear_1/weight",
            "cross_attn.kv.bias" => "attention/linear_1/bias",
            "cross_attn.out.weight" => "attention/linear_2/weight",
            "cross_attn.out.bias" => "attention/linear_2/bias",
            _ => return None,
        })
    };
    let part = ct2_block_part(rest).or_else(|| cross(rest))?;
    Some(format!("{side}/layer_{i}/{part}"))
}

/// CTranslate2 name of an encoder tensor of this crate.
fn ct2_encoder_name(name: &str) -> Option<String> {
    ct2_name(
        "encoder",
        name,
        &[
            ("conv1.weight", "encoder/conv1/weight"),
            ("conv1.bias", "encoder/conv1/bias"),
            ("conv2.weight", "encoder/conv2/weight"),
            ("conv2.bias", "encoder/conv2/bias"),
            (
                "positional_embedding",
                "encoder/position_encodings/encodings",
            ),
            ("ln_post.weight", "encoder/layer_norm/gamma"),
            ("ln_post.bias", "encoder/layer_norm/beta"),
        ],
    )
}

/// CTranslate2 name of a decoder tensor of this crate.
fn ct2_decoder_name(name: &str) -> Option<String> {
    ct2_name(
        "decoder",
        name,
        &[
            ("token_embedding.weight", "decoder/embeddings/weight"),
            (
                "positional_embedding",
                "decoder/position_encodings/encodings",
            ),
            ("ln.weight", "decoder/layer_norm/gamma"),
            ("ln.bias", "decoder/layer_norm/beta"),
        ],
    )
}

fn check_shapes(
    tensors: &HashMap<String, Tensor>,
    expected: &[(String, Vec<usize>)],
) -> Result<()> {
    for (name, shape) in expected {
        let t = tensors
            .get(name)
            .ok_or_else(|| Error::MissingTensor { name: name.clone() })?;
        if t.dims() != shape.as_slice() {
            return Err(Error::TensorShape {
                name: name.clone(),
                expected: shape.clone(),
                got: t.dims().to_vec(),
            });
        }
    }
    Ok(())
}

impl WhisperWeights {
    /// Random weights (seeded; uniform in ±1/√fan-in, LayerNorms at identity, Whisper's
    /// sinusoidal positions, token embeddings in ±0.5) for tests and examples: the encoder,
    /// and the decoder when `config` has one.
    pub fn random(config: &WhisperConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        };
        let mut tensors = HashMap::new();
        for (name, shape) in config.shapes() {
            let n: usize = shape.iter().product();
            let values: Vec<f32> =
                if name.ends_with("ln.weight") || name.ends_with("ln_post.weight") {
                    vec![1.0; n]
                } else if name.ends_with("ln.bias") || name.ends_with("ln_post.bias") {
                    vec![0.0; n]
                } else if name == "decoder.token_embedding.weight" {
                    (0..n).map(|_| 0.5 * next()).collect()
                } else if name.ends_with("positional_embedding") {
                    sinusoids(shape[0], shape[1])
                } else {
                    let fan_in: usize = shape.iter().skip(1).product::<usize>().max(1);
                    let a = 1.0 / (fan_in as f32).sqrt();
                    (0..n).map(|_| a * next()).collect()
                };
            tensors.insert(
                name,
                Tensor::from_vec(values, shape.as_slice(), &Device::Cpu)?,
            );
        }
        Ok(Self {
            config: config.clone(),
            tensors,
            source: PathBuf::from(format!("random:{seed}")),
        })
    }

    /// Reads a CTranslate2 Whisper checkpoint (`model.bin`, any of its float16 / float32 /
    /// bfloat16 / int8 variants): encoder and decoder.
    pub fn from_ct2(ck: &Ct2Checkpoint) -> Result<Self> {
        if ck.spec != "WhisperSpec" {
            return Err(Error::BadModel(format!(
                "{}: spec `{}` is not a Whisper checkpoint (WhisperSpec)",
                ck.path.display(),
                ck.spec
            )));
        }
        let conv1 = ck.require("encoder/conv1/weight")?;
        let pos = ck.require("encoder/position_encodings/encodings")?;
        if conv1.shape.len() != 3 || pos.shape.len() != 2 {
            return Err(Error::BadModel(format!(
                "conv1 shape {:?} / position encodings {:?}",
                conv1.shape, pos.shape
            )));
        }
        let n_audio_layer = (0..)
            .take_while(|i| {
                ck.get(&format!("encoder/layer_{i}/ffn/linear_0/bias"))
                    .is_some()
            })
            .count();
        let n_text_layer = (0..)
            .take_while(|i| {
                ck.get(&format!("decoder/layer_{i}/ffn/linear_0/bias"))
                    .is_some()
            })
            .count();
        let head = |name: &str| -> Result<usize> {
            let h = ck.scalar(name)?;
            usize::try_from(h).map_err(|_| Error::BadModel(format!("`{name}` = {h}")))
        };
        let (n_vocab, n_text_ctx, n_text_state, n_text_head) = if n_text_layer > 0 {
            let emb = ck.require("decoder/embeddings/weight")?;
            let tpos = ck.require("decoder/position_encodings/encodings")?;
            (
                emb.shape[0],
                tpos.shape[0],
                emb.shape.get(1).copied().unwrap_or(0),
                head("decoder/num_heads")?,
            )
        } else {
            (0, 0, 0, 0)
        };
        let config = WhisperConfig {
            n_mels: conv1.shape[1],
            n_audio_ctx: pos.shape[0],
            n_audio_state: conv1.shape[0],
            n_audio_head: head("encoder/num_heads")?,
            n_audio_layer,
            n_vocab,
            n_text_ctx,
            n_text_state,
            n_text_head,
            n_text_layer,
        };
        config.validate()?;
        let expected = config.shapes();
        let mut tensors = HashMap::with_capacity(expected.len());
        for (name, _) in &expected {
            let ct = ct2_encoder_name(name)
                .or_else(|| ct2_decoder_name(name))
                .ok_or_else(|| Error::BadModel(format!("no CTranslate2 name for `{name}`")))?;
            let t = ck.tensor_f32(&ct).map_err(|e| match e {
                Error::MissingTensor { .. } => Error::MissingTensor { name: ct.clone() },
                e => e,
            })?;
            tensors.insert(name.clone(), t);
        }
        check_shapes(&tensors, &expected)?;
        Ok(Self {
            config,
            tensors,
            source: ck.path.clone(),
        })
    }

    /// Loads a model directory: `model.safetensors` + `config.json` written by
    /// [`WhisperWeights::save_encoder`], or else a CTranslate2 / faster-whisper directory with
    /// `model.bin`. `path` may also name a `model.bin` file directly.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if path.is_file() {
            return Self::from_ct2(&Ct2Checkpoint::read(path)?);
        }
        if !path.is_dir() {
            return Err(Error::BadModel(format!(
                "{}: no such model directory",
                path.display()
            )));
        }
        let st = path.join(WEIGHTS_FILE);
        let card = path.join(CONFIG_FILE);
        if st.is_file() && card.is_file() {
            return Self::from_safetensors_dir(path);
        }
        let ct2 = path.join(CT2_FILE);
        if ct2.is_file() {
            return Self::from_ct2(&Ct2Checkpoint::read(ct2)?);
        }
        Err(Error::BadModel(format!(
            "{}: neither {WEIGHTS_FILE} + {CONFIG_FILE} nor {CT2_FILE} (fetch one with scripts/fetch_whisper.sh)",
            path.display()
        )))
    }

    fn from_safetensors_dir(dir: &Path) -> Result<Self> {
        let cpath = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&cpath).map_err(|e| Error::io(&cpath, e))?;
        let card: WhisperCard = serde_json::from_str(&text)
            .map_err(|e| Error::BadModel(format!("{}: {e}", cpath.display())))?;
        if card.format != FORMAT {
            return Err(Error::BadModel(format!(
                "{}: format `{}`, expected `{FORMAT}`",
                cpath.display(),
                card.format
            )));
        }
        card.dims.validate()?;
        let wpath = dir.join(WEIGHTS_FILE);
        let bytes = std::fs::read(&wpath).map_err(|e| Error::io(&wpath, e))?;
        let corrupt = |reason: String| Error::CorruptCheckpoint {
            path: wpath.clone(),
            reason,
        };
        safetensors::SafeTensors::deserialize(&bytes).map_err(|e| corrupt(e.to_string()))?;
        let raw = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
            .map_err(|e| corrupt(e.to_string()))?;
        let mut tensors = HashMap::with_capacity(raw.len());
        for (k, t) in raw {
            let t = if t.dtype() == DType::F32 {
                t
            } else {
                t.to_dtype(DType::F32)?
            };
            tensors.insert(k, t);
        }
        check_shapes(&tensors, &card.dims.encoder_shapes())?;
        for (name, t) in &tensors {
            let bad = t
                .flatten_all()?
                .to_vec1::<f32>()?
                .iter()
                .any(|x| !x.is_finite());
            if bad {
                return Err(corrupt(format!("`{name}` holds non-finite values")));
            }
        }
        Ok(Self {
            config: card.dims,
            tensors,
            source: dir.to_path_buf(),
        })
    }

    /// Writes the encoder as `model.safetensors` (in `dtype`: F32, F16 or BF16) +
    /// `config.json` into `dir` (created if needed). `source` is recorded in the card.
    pub fn save_encoder(
        &self,
        dir: impl AsRef<Path>,
        dtype: DType,
        source: serde_json::Value,
    ) -> Result<()> {
        if !matches!(dtype, DType::F32 | DType::F16 | DType::BF16) {
            return Err(Error::InvalidArgument(format!(
                "dtype {dtype:?} (F32, F16 or BF16)"
            )));
        }
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut out = HashMap::new();
        for (name, _) in self.config.encoder_shapes() {
            let t = self
                .tensors
                .get(&name)
                .ok_or_else(|| Error::MissingTensor { name: name.clone() })?;
            out.insert(name, t.to_dtype(dtype)?);
        }
        let wpath = dir.join(WEIGHTS_FILE);
        candle_core::safetensors::save(&out, &wpath)?;
        let card = WhisperCard {
            format: FORMAT.into(),
            dims: self.config.encoder_only(),
            source,
        };
        let cpath = dir.join(CONFIG_FILE);
        std::fs::write(&cpath, serde_json::to_string_pretty(&card)? + "\n")
            .map_err(|e| Error::io(&cpath, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoder_tensor_has_a_ct2_name() {
        let cfg = WhisperConfig::encoder(80, 1500, 64, 2, 2);
        let names: Vec<String> = cfg
            .encoder_shapes()
            .iter()
            .map(|(n, _)| ct2_encoder_name(n).expect("mapped"))
            .collect();
        let mut uniq = names.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), names.len());
        assert_eq!(names.len(), 7 + 2 * 12);
        let cfg = cfg.with_decoder(100, 16, 64, 2, 2);
        let mut dec: Vec<String> = cfg
            .decoder_shapes()
            .iter()
            .map(|(n, _)| ct2_decoder_name(n).expect("mapped"))
            .collect();
        assert_eq!(dec.len(), 4 + 2 * 20);
        dec.sort();
        dec.dedup();
        assert_eq!(dec.len(), 4 + 2 * 20);
        assert!(WhisperWeights::random(&cfg, 1).is_ok());
    }

    #[test]
    fn bad_dims_are_rejected() {
        let mut cfg = WhisperConfig::encoder(80, 1500, 64, 3, 2);
        assert!(cfg.validate().is_err());
        cfg.n_audio_head = 2;
        assert!(cfg.validate().is_ok());
        cfg.n_audio_layer = 0;
        assert!(cfg.validate().is_err());
    }
}
