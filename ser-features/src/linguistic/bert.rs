//! A small BERT encoder on `candle-nn` and sentence embeddings (sentence-transformers style).
//!
//! [`BertModel`] implements the HF `BertModel` forward pass (post-LN): word + position +
//! token-type embeddings → LayerNorm → N × (multi-head self-attention → dense → residual
//! LayerNorm → dense → GELU (erf) → dense → residual LayerNorm). Checkpoint keys mirror HF
//! (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`, …;
//! an optional `bert.` prefix and `gamma`/`beta` LayerNorm names are accepted).
//!
//! [`SentenceEncoder`] loads a local directory holding `config.json`, `model.safetensors`
//! (PyTorch pickles are not read) and `vocab.txt` or `tokenizer.json`, and computes
//! sentence embeddings exactly like sentence-transformers: WordPiece ([`WordPiece`],
//! truncation rule documented there), masked mean pooling over the tokens (including
//! `[CLS]`/`[SEP]`), then L2 normalisation when the directory's `modules.json` lists a
//! `Normalize` module (or has no `modules.json`). Parity with sentence-transformers
//! (all-MiniLM-L6-v2) is tested in `tests/linguistic_bert.rs`.

use std::path::Path;

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{embedding, linear, Embedding, LayerNorm, Linear, VarBuilder};

use super::wordpiece::WordPiece;
use crate::{Error, Result};

pub(crate) fn cerr(e: candle_core::Error) -> Error {
    Error::Unsupported(format!("candle: {e}"))
}

fn bad(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

fn default_act() -> String {
    "gelu".into()
}
fn default_eps() -> f64 {
    1e-12
}
fn default_type_vocab() -> usize {
    2
}

/// The fields of a HF BERT `config.json` this encoder uses.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct BertConfig {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Hidden size `H`.
    pub hidden_size: usize,
    /// Number of encoder layers.
    pub num_hidden_layers: usize,
    /// Attention heads (divides `H`).
    pub num_attention_heads: usize,
    /// Feed-forward size.
    pub intermediate_size: usize,
    /// Feed-forward activation: `gelu` (erf), `gelu_new`/`gelu_pytorch_tanh` (tanh form) or
    /// `relu`. Default: `gelu`.
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// Maximum sequence length of the position embeddings.
    pub max_position_embeddings: usize,
    /// Token-type vocabulary size. Default: 2.
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    /// LayerNorm epsilon. Default: 1e-12.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
}

impl BertConfig {
    /// A config with the given sizes and HF defaults elsewhere.
    pub fn new(
        vocab_size: usize,
        hidden_size: usize,
        num_hidden_layers: usize,
        num_attention_heads: usize,
        intermediate_size: usize,
        max_position_embeddings: usize,
    ) -> Self {
        Self {
            vocab_size,
            hidden_size,
            num_hidden_layers,
            num_attention_heads,
            intermediate_size,
            hidden_act: default_act(),
            max_position_embeddings,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
        }
    }

    /// Checks sizes and the activation name.
    pub fn validate(&self) -> Result<()> {
        if self.vocab_size == 0
            || self.hidden_size == 0
            || self.num_attention_heads == 0
            || self.max_position_embeddings == 0
            || self.type_vocab_size == 0
        {
            return Err(bad("config", "sizes must be > 0"));
        }
        if self.hidden_size % self.num_attention_heads != 0 {
            return Err(bad(
                "num_attention_heads",
                format!(
                    "{} does not divide hidden_size {}",
                    self.num_attention_heads, self.hidden_size
                ),
            ));
        }
        if !matches!(
            self.hidden_act.as_str(),
            "gelu" | "gelu_new" | "gelu_pytorch_tanh" | "relu"
        ) {
            return Err(bad(
                "hidden_act",
                format!("unsupported {:?}", self.hidden_act),
            ));
        }
        Ok(())
    }
}

fn layer_norm(size: usize, eps: f64, vb: VarBuilder<'_>) -> candle_core::Result<LayerNorm> {
    let (w, b) = if vb.contains_tensor("gamma") && !vb.contains_tensor("weight") {
        (vb.get(size, "gamma")?, vb.get(size, "beta")?)
    } else {
        (
            vb.get_with_hints(size, "weight", candle_nn::Init::Const(1.0))?,
            vb.get_with_hints(size, "bias", candle_nn::Init::Const(0.0))?,
        )
    };
    Ok(LayerNorm::new(w, b, eps))
}

#[derive(Debug, Clone)]
struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    attn_out: Linear,
    attn_ln: LayerNorm,
    inter: Linear,
    out: Linear,
    out_ln: LayerNorm,
    n_heads: usize,
    act: String,
}

impl Layer {
    fn new(cfg: &BertConfig, vb: VarBuilder<'_>) -> candle_core::Result<Self> {
        let h = cfg.hidden_size;
        let a = vb.pp("attention");
        Ok(Self {
            q: linear(h, h, a.pp("self").pp("query"))?,
            k: linear(h, h, a.pp("self").pp("key"))?,
            v: linear(h, h, a.pp("self").pp("value"))?,
            attn_out: linear(h, h, a.pp("output").pp("dense"))?,
            attn_ln: layer_norm(h, cfg.layer_norm_eps, a.pp("output").pp("LayerNorm"))?,
            inter: linear(h, cfg.intermediate_size, vb.pp("intermediate").pp("dense"))?,
            out: linear(cfg.intermediate_size, h, vb.pp("output").pp("dense"))?,
            out_ln: layer_norm(h, cfg.layer_norm_eps, vb.pp("output").pp("LayerNorm"))?,
            n_heads: cfg.num_attention_heads,
            act: cfg.hidden_act.clone(),
        })
    }

    /// `x`: (B, T, H); `bias`: (B, 1, 1, T) additive attention bias.
    fn forward(&self, x: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
        let (b, t, h) = x.dims3()?;
        let hd = h / self.n_heads;
        let split = |y: Tensor| -> candle_core::Result<Tensor> {
            y.reshape((b, t, self.n_heads, hd))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(self.q.forward(x)?)?;
        let k = split(self.k.forward(x)?)?;
        let v = split(self.v.forward(x)?)?;
        let scores = (q.matmul(&k.t()?.contiguous()?)? / (hd as f64).sqrt())?;
        let scores = scores.broadcast_add(bias)?;
        let p = candle_nn::ops::softmax_last_dim(&scores)?;
        let ctx = p.matmul(&v)?.transpose(1, 2)?.reshape((b, t, h))?;
        let x = self.attn_ln.forward(&(self.attn_out.forward(&ctx)? + x)?)?;
        let f = self.inter.forward(&x)?;
        let f = match self.act.as_str() {
            "relu" => f.relu()?,
            "gelu_new" | "gelu_pytorch_tanh" => f.gelu()?,
            _ => f.gelu_erf()?,
        };
        self.out_ln.forward(&(self.out.forward(&f)? + x)?)
    }
}

/// The BERT encoder (no pooler head).
#[derive(Debug, Clone)]
pub struct BertModel {
    word: Embedding,
    pos: Embedding,
    tok_type: Embedding,
    ln: LayerNorm,
    layers: Vec<Layer>,
    cfg: BertConfig,
}

impl BertModel {
    /// Builds the model; `vb` is rooted at the checkpoint root (a `bert.` prefix is
    /// detected automatically).
    pub fn new(cfg: &BertConfig, vb: VarBuilder<'_>) -> Result<Self> {
        cfg.validate()?;
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let h = cfg.hidden_size;
        let e = vb.pp("embeddings");
        let build = || -> candle_core::Result<Self> {
            Ok(Self {
                word: embedding(cfg.vocab_size, h, e.pp("word_embeddings"))?,
                pos: embedding(cfg.max_position_embeddings, h, e.pp("position_embeddings"))?,
                tok_type: embedding(cfg.type_vocab_size, h, e.pp("token_type_embeddings"))?,
                ln: layer_norm(h, cfg.layer_norm_eps, e.pp("LayerNorm"))?,
                layers: (0..cfg.num_hidden_layers)
                    .map(|i| Layer::new(cfg, vb.pp("encoder").pp("layer").pp(i)))
                    .collect::<candle_core::Result<_>>()?,
                cfg: cfg.clone(),
            })
        };
        build().map_err(cerr)
    }

    /// The configuration.
    pub fn config(&self) -> &BertConfig {
        &self.cfg
    }

    /// Last hidden states `(B, T, H)` for `input_ids` `(B, T)` (u32) and `attention_mask`
    /// `(B, T)` (f32, 1 = token, 0 = padding); token types are all 0.
    pub fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor) -> Result<Tensor> {
        let run = || -> candle_core::Result<Tensor> {
            let (b, t) = input_ids.dims2()?;
            let dev = input_ids.device();
            let pos = Tensor::arange(0u32, t as u32, dev)?.unsqueeze(0)?;
            let types = Tensor::zeros((b, t), DType::U32, dev)?;
            let x = self
                .word
                .forward(input_ids)?
                .broadcast_add(&self.pos.forward(&pos)?)?
                .add(&self.tok_type.forward(&types)?)?;
            let mut x = self.ln.forward(&x)?;
            // HF: (1 - mask) * finfo.min; -1e9 gives the same zero weights in f32.
            let bias =
                ((attention_mask.to_dtype(DType::F32)? - 1.0)? * 1e9)?.reshape((b, 1, 1, t))?;
            for l in &self.layers {
                x = l.forward(&x, &bias)?;
            }
            Ok(x)
        };
        let (b, t) = input_ids.dims2().map_err(cerr)?;
        if t > self.cfg.max_position_embeddings {
            return Err(Error::TooShort {
                what: "max_position_embeddings (sequence too long)",
                expected: t,
                got: self.cfg.max_position_embeddings,
            });
        }
        if attention_mask.dims() != [b, t] {
            return Err(Error::ShapeMismatch {
                what: "attention_mask",
                expected: vec![b, t],
                got: attention_mask.dims().to_vec(),
            });
        }
        run().map_err(cerr)
    }
}

/// Pooling of token states into one sentence vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Pooling {
    /// Masked mean over all tokens (sentence-transformers `pooling_mode_mean_tokens`).
    Mean,
    /// The `[CLS]` state.
    Cls,
}

/// A BERT sentence encoder loaded from a local directory.
///
/// ```no_run
/// use ser_features::linguistic::SentenceEncoder;
/// let enc = SentenceEncoder::from_dir("/models/all-MiniLM-L6-v2")?;
/// let e = enc.embed(&["I am so happy today!", "This is terrible."])?;
/// assert_eq!(e[0].len(), enc.dim()); // 384, unit L2 norm
/// # Ok::<(), ser_features::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SentenceEncoder {
    tokenizer: WordPiece,
    model: BertModel,
    pooling: Pooling,
    normalize: bool,
    batch_size: usize,
}

impl SentenceEncoder {
    /// Assembles an encoder from its parts.
    pub fn new(tokenizer: WordPiece, model: BertModel, pooling: Pooling, normalize: bool) -> Self {
        Self {
            tokenizer,
            model,
            pooling,
            normalize,
            batch_size: 32,
        }
    }

    /// Sets the inference batch size (≥ 1; default 32).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Loads `config.json`, `model.safetensors`, the vocabulary and (when present) the
    /// sentence-transformers `modules.json` / `1_Pooling/config.json` from `dir`.
    ///
    /// Errors: a missing file (`Io`), a `pytorch_model.bin`-only directory
    /// (`Unsupported`), a malformed config, or weights whose names/shapes do not match.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let cfg_text = std::fs::read_to_string(dir.join("config.json"))?;
        let cfg: BertConfig =
            serde_json::from_str(&cfg_text).map_err(|e| bad("config.json", e.to_string()))?;
        let st = dir.join("model.safetensors");
        if !st.exists() && dir.join("pytorch_model.bin").exists() {
            return Err(Error::Unsupported(
                "only model.safetensors is read (pytorch_model.bin found)".into(),
            ));
        }
        let bytes = std::fs::read(&st)?;
        let vb =
            VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu).map_err(cerr)?;
        let model = BertModel::new(&cfg, vb)?;
        let tokenizer = WordPiece::from_dir(dir, cfg.max_position_embeddings)?;
        let read_json = |p: &Path| -> Option<serde_json::Value> {
            serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
        };
        let normalize = match read_json(&dir.join("modules.json")) {
            Some(m) => m.as_array().is_some_and(|a| {
                a.iter()
                    .any(|x| x["type"].as_str().is_some_and(|t| t.ends_with("Normalize")))
            }),
            None => true,
        };
        let pooling = match read_json(&dir.join("1_Pooling/config.json")) {
            Some(p) if p["pooling_mode_cls_token"].as_bool() == Some(true) => Pooling::Cls,
            _ => Pooling::Mean,
        };
        Ok(Self::new(tokenizer, model, pooling, normalize))
    }

    /// Embedding size `H`.
    pub fn dim(&self) -> usize {
        self.model.cfg.hidden_size
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &WordPiece {
        &self.tokenizer
    }

    /// Whether outputs are L2-normalised.
    pub fn normalizes(&self) -> bool {
        self.normalize
    }

    /// Embeds one text: a vector of length [`dim`](Self::dim).
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embed(&[text])?.pop().unwrap_or_default())
    }

    /// Embeds many texts (batched by similar length; output in input order), each a
    /// vector of length [`dim`](Self::dim). An empty text embeds `[CLS] [SEP]`.
    pub fn embed<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<f32>>> {
        let enc: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.tokenizer.encode(t.as_ref()).ids)
            .collect();
        let mut order: Vec<usize> = (0..enc.len()).collect();
        order.sort_by_key(|&i| enc[i].len());
        let mut out = vec![Vec::new(); enc.len()];
        for chunk in order.chunks(self.batch_size) {
            let t = chunk.iter().map(|&i| enc[i].len()).max().unwrap_or(2);
            let b = chunk.len();
            let mut ids = vec![self.tokenizer.pad_id(); b * t];
            let mut mask = vec![0f32; b * t];
            for (r, &i) in chunk.iter().enumerate() {
                for (c, &id) in enc[i].iter().enumerate() {
                    ids[r * t + c] = id;
                    mask[r * t + c] = 1.0;
                }
            }
            let dev = Device::Cpu;
            let ids = Tensor::from_vec(ids, (b, t), &dev).map_err(cerr)?;
            let mask = Tensor::from_vec(mask, (b, t), &dev).map_err(cerr)?;
            let hs = self.model.forward(&ids, &mask)?;
            let pooled = self.pool(&hs, &mask).map_err(cerr)?;
            let rows = pooled.to_vec2::<f32>().map_err(cerr)?;
            for (r, &i) in chunk.iter().enumerate() {
                out[i] = rows[r].clone();
            }
        }
        Ok(out)
    }

    fn pool(&self, hs: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let v = match self.pooling {
            Pooling::Cls => hs.narrow(1, 0, 1)?.squeeze(1)?,
            Pooling::Mean => {
                let m = mask.unsqueeze(2)?;
                let sum = hs.broadcast_mul(&m)?.sum(1)?;
                let n = m.sum(1)?.clamp(1e-9, f64::MAX)?;
                sum.broadcast_div(&n)?
            }
        };
        if self.normalize {
            let norm = v
                .sqr()?
                .sum_keepdim(D::Minus1)?
                .sqrt()?
                .clamp(1e-12, f64::MAX)?;
            v.broadcast_div(&norm)
        } else {
            Ok(v)
        }
    }
}
