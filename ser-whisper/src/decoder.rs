//! Whisper's text decoder: token + learned positional embeddings, pre-LN blocks of causal
//! self-attention (with a key / value cache), cross-attention to the encoder output (its
//! keys and values computed once per audio window, [`CrossKv`]) and a GELU MLP, a final
//! LayerNorm and logits against the tied token embedding.
//!
//! It reuses the encoder's fused CPU layers (dense + bias / GELU / residual epilogues, the
//! vectorised softmax); as there, the `dh^-1/2` attention scale is folded into the query
//! weights at load time.
//!
//! ```
//! use ser_whisper::{TextDecoder, WhisperConfig, WhisperWeights};
//! use candle_core::{Device, Tensor};
//! # fn main() -> ser_whisper::Result<()> {
//! let cfg = WhisperConfig::encoder(80, 1500, 64, 2, 2).with_decoder(100, 32, 64, 2, 2);
//! let dec = TextDecoder::from_weights(&WhisperWeights::random(&cfg, 0)?)?;
//! let audio = Tensor::zeros((10, 64), candle_core::DType::F32, &Device::Cpu)?; // encoder output
//! let cross = dec.cross_kv(&audio)?;
//! let mut cache = dec.new_cache();
//! let logits = dec.forward(&[1, 2, 3], 1, &mut cache, &cross)?; // prompt of 3 tokens
//! assert_eq!(logits.dims(), &[1, 100]);
//! let next = dec.forward(&[7], 1, &mut cache, &cross)?; // one cached step
//! assert_eq!((next.dims(), cache.len()), (&[1, 100][..], 4));
//! # Ok(())
//! # }
//! ```

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{LayerNorm, VarBuilder};

use crate::config::{WhisperConfig, WhisperWeights};
use crate::encoder::{layer_norm, Dense, Epilogue, Epilogue3, Softmax};
use crate::{Error, Result};

/// Loads a dense layer whose first `d` output rows (the query) are scaled by `scale`.
fn scaled_query(d: usize, out: usize, scale: f64, vb: VarBuilder<'_>) -> Result<Dense> {
    let l = Dense::load(d, out, vb)?;
    let (w, b) = (&l.w, &l.b);
    if out == d {
        return Ok(Dense::new((w * scale)?, (b * scale)?));
    }
    let w = Tensor::cat(
        &[(w.narrow(0, 0, d)? * scale)?, w.narrow(0, d, out - d)?],
        0,
    )?;
    let b = Tensor::cat(
        &[(b.narrow(0, 0, d)? * scale)?, b.narrow(0, d, out - d)?],
        0,
    )?;
    Ok(Dense::new(w, b))
}

#[derive(Debug, Clone)]
struct DecoderBlock {
    attn_ln: LayerNorm,
    qkv: Dense,
    attn_out: Dense,
    cross_ln: LayerNorm,
    cross_q: Dense,
    cross_kv: Dense,
    cross_out: Dense,
    mlp_ln: LayerNorm,
    fc1: Dense,
    fc2: Dense,
    n_head: usize,
}

impl DecoderBlock {
    fn new(d: usize, n_head: usize, vb: VarBuilder<'_>) -> Result<Self> {
        let scale = ((d / n_head) as f64).powf(-0.5);
        Ok(Self {
            attn_ln: layer_norm(d, vb.pp("attn_ln"))?,
            qkv: scaled_query(d, 3 * d, scale, vb.pp("attn.qkv"))?,
            attn_out: Dense::load(d, d, vb.pp("attn.out"))?,
            cross_ln: layer_norm(d, vb.pp("cross_attn_ln"))?,
            cross_q: scaled_query(d, d, scale, vb.pp("cross_attn.query"))?,
            cross_kv: Dense::load(d, 2 * d, vb.pp("cross_attn.kv"))?,
            cross_out: Dense::load(d, d, vb.pp("cross_attn.out"))?,
            mlp_ln: layer_norm(d, vb.pp("mlp_ln"))?,
            fc1: Dense::load(d, 4 * d, vb.pp("mlp.0"))?,
            fc2: Dense::load(4 * d, d, vb.pp("mlp.2"))?,
            n_head,
        })
    }

    /// One block on `(B·L, D)` rows of `b` sequences of `l` new tokens.
    #[allow(clippy::too_many_arguments)]
    fn forward(
        &self,
        x: &Tensor,
        b: usize,
        l: usize,
        offset: usize,
        cache_k: &mut Option<Tensor>,
        cache_v: &mut Option<Tensor>,
        cross_k: &Tensor,
        cross_v: &Tensor,
    ) -> Result<Tensor> {
        let d = x.dim(1)?;
        let h = self.n_head;
        let dh = d / h;
        // Causal self-attention over the cache and the new tokens.
        let qkv = self
            .qkv
            .forward(&self.attn_ln.forward(x)?, Epilogue::Bias)?
            .reshape((b, l, 3, h, dh))?
            .permute((2, 0, 3, 1, 4))?; // (3, B, H, L, dh)
        let q = qkv.get(0)?.contiguous()?;
        let k_new = qkv.get(1)?.contiguous()?;
        let v_new = qkv.get(2)?.contiguous()?;
        let k = match cache_k.take() {
            Some(old) => Tensor::cat(&[&old, &k_new], 2)?,
            None => k_new,
        };
        let v = match cache_v.take() {
            Some(old) => Tensor::cat(&[&old, &v_new], 2)?,
            None => v_new,
        };
        let t = k.dim(2)?;
        let mut w = q.matmul(&k.t()?)?; // (B, H, L, T)
        if l > 1 {
            let mask: Vec<f32> = (0..l)
                .flat_map(|i| {
                    (0..t).map(move |j| {
                        if j > offset + i {
                            f32::NEG_INFINITY
                        } else {
                            0.0
                        }
                    })
                })
                .collect();
            let mask = Tensor::from_vec(mask, (l, t), &Device::Cpu)?;
            w = w.broadcast_add(&mask)?;
        }
        w.inplace_op1(&Softmax)?;
        let o = w.matmul(&v)?.transpose(1, 2)?.reshape((b * l, d))?; // (B·L, D)
        *cache_k = Some(k);
        *cache_v = Some(v);
        let x = self.attn_out.forward3(&o, x, Epilogue3::BiasResidual)?;
        // Cross-attention: all rows of all sequences share the audio's keys and values.
        let q = self
            .cross_q
            .forward(&self.cross_ln.forward(&x)?, Epilogue::Bias)?
            .reshape((b * l, h, dh))?
            .transpose(0, 1)?
            .contiguous()?; // (H, B·L, dh)
        let w = q.matmul(&cross_k.t()?)?; // (H, B·L, S)
        w.inplace_op1(&Softmax)?;
        let o = w.matmul(cross_v)?.transpose(0, 1)?.reshape((b * l, d))?;
        let x = self.cross_out.forward3(&o, &x, Epilogue3::BiasResidual)?;
        let m = self
            .fc1
            .forward(&self.mlp_ln.forward(&x)?, Epilogue::BiasGelu)?;
        self.fc2.forward3(&m, &x, Epilogue3::BiasResidual)
    }
}

/// Cross-attention keys and values of one encoder output: per layer `(heads, frames, dh)`.
#[derive(Debug, Clone)]
pub struct CrossKv {
    k: Vec<Tensor>,
    v: Vec<Tensor>,
    frames: usize,
}

impl CrossKv {
    /// Encoder frames the keys and values cover.
    pub fn frames(&self) -> usize {
        self.frames
    }
}

/// The self-attention key / value cache of a batch of sequences: per layer
/// `(batch, heads, len, dh)`.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    k: Vec<Option<Tensor>>,
    v: Vec<Option<Tensor>>,
    len: usize,
    batch: usize,
}

impl KvCache {
    /// Tokens cached per sequence.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first [`TextDecoder::forward`].
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sequences in the batch (0 while empty).
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Keeps sequence `sources[i]` as sequence `i` (beam search's reordering; repeating an
    /// index duplicates a sequence, so `[0; n]` grows a batch of one to `n`).
    pub fn reorder(&mut self, sources: &[usize]) -> Result<()> {
        if let Some(&bad) = sources.iter().find(|&&s| s >= self.batch) {
            return Err(Error::InvalidArgument(format!(
                "sequence {bad} of a batch of {}",
                self.batch
            )));
        }
        if sources.iter().copied().eq(0..self.batch) {
            return Ok(());
        }
        let idx: Vec<u32> = sources.iter().map(|&s| s as u32).collect();
        let idx = Tensor::from_vec(idx, sources.len(), &Device::Cpu)?;
        for t in self.k.iter_mut().chain(self.v.iter_mut()).flatten() {
            *t = t.index_select(&idx, 0)?;
        }
        self.batch = sources.len();
        Ok(())
    }
}

/// Whisper's text decoder (see the module docs).
#[derive(Debug, Clone)]
pub struct TextDecoder {
    cfg: WhisperConfig,
    token_embedding: Tensor,
    positional_embedding: Tensor,
    blocks: Vec<DecoderBlock>,
    ln: LayerNorm,
}

impl TextDecoder {
    /// Builds the decoder from `vb` (tensor names as in [`crate::config`]);
    /// [`Error::NoDecoder`] for an encoder-only configuration.
    pub fn new(cfg: &WhisperConfig, vb: VarBuilder<'_>) -> Result<Self> {
        cfg.validate()?;
        if !cfg.has_decoder() {
            return Err(Error::NoDecoder {
                path: "<config>".into(),
            });
        }
        let d = cfg.n_text_state;
        let vb = vb.pp("decoder");
        let blocks = (0..cfg.n_text_layer)
            .map(|i| DecoderBlock::new(d, cfg.n_text_head, vb.pp(format!("blocks.{i}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            cfg: cfg.clone(),
            token_embedding: vb.get((cfg.n_vocab, d), "token_embedding.weight")?,
            positional_embedding: vb.get((cfg.n_text_ctx, d), "positional_embedding")?,
            blocks,
            ln: layer_norm(d, vb.pp("ln"))?,
        })
    }

    /// Builds the decoder from loaded weights; [`Error::NoDecoder`] for encoder-only ones
    /// (e.g. `models/whisper-base-encoder`).
    pub fn from_weights(w: &WhisperWeights) -> Result<Self> {
        if !w.config.has_decoder() {
            return Err(Error::NoDecoder {
                path: w.source.clone(),
            });
        }
        let vb = VarBuilder::from_tensors(w.tensors.clone(), DType::F32, &Device::Cpu);
        Self::new(&w.config, vb)
    }

    /// The model dimensions.
    pub fn config(&self) -> &WhisperConfig {
        &self.cfg
    }

    /// An empty cache.
    pub fn new_cache(&self) -> KvCache {
        KvCache {
            k: vec![None; self.blocks.len()],
            v: vec![None; self.blocks.len()],
            len: 0,
            batch: 0,
        }
    }

    /// Cross-attention keys and values of an encoder output `(frames, n_text_state)` or
    /// `(1, frames, n_text_state)` (the last hidden state of [`crate::AudioEncoder`]).
    pub fn cross_kv(&self, audio: &Tensor) -> Result<CrossKv> {
        let audio = if audio.rank() == 3 {
            audio.squeeze(0)?
        } else {
            audio.clone()
        };
        let (s, d) = audio.dims2()?;
        if d != self.cfg.n_text_state || s == 0 {
            return Err(Error::InvalidInput(format!(
                "encoder output ({s}, {d}), the decoder takes (frames > 0, {})",
                self.cfg.n_text_state
            )));
        }
        let h = self.cfg.n_text_head;
        let mut k = Vec::with_capacity(self.blocks.len());
        let mut v = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            let kv = b
                .cross_kv
                .forward(&audio, Epilogue::Bias)?
                .reshape((s, 2, h, d / h))?
                .permute((1, 2, 0, 3))?; // (2, H, S, dh)
            k.push(kv.get(0)?.contiguous()?);
            v.push(kv.get(1)?.contiguous()?);
        }
        Ok(CrossKv { k, v, frames: s })
    }

    /// Logits `(batch, n_vocab)` of the last position after feeding `tokens`
    /// (row-major `(batch, l)`, `l >= 1` new tokens per sequence) on top of `cache`.
    pub fn forward(
        &self,
        tokens: &[u32],
        batch: usize,
        cache: &mut KvCache,
        cross: &CrossKv,
    ) -> Result<Tensor> {
        let l = tokens.len() / batch.max(1);
        let t = self.forward_rows(tokens, batch, cache, cross, &[l.saturating_sub(1)])?;
        Ok(t.squeeze(1)?)
    }

    /// Logits `(batch, rows.len(), n_vocab)` at positions `rows` (indices into the `l` new
    /// tokens) after feeding `tokens` (row-major `(batch, l)`) on top of `cache`.
    pub fn forward_rows(
        &self,
        tokens: &[u32],
        batch: usize,
        cache: &mut KvCache,
        cross: &CrossKv,
        rows: &[usize],
    ) -> Result<Tensor> {
        let bad = |m: String| Err(Error::InvalidInput(m));
        if batch == 0 || tokens.is_empty() || tokens.len() % batch != 0 {
            return bad(format!("{} tokens for a batch of {batch}", tokens.len()));
        }
        let l = tokens.len() / batch;
        if !cache.is_empty() && cache.batch != batch {
            return bad(format!("batch of {batch}, the cache holds {}", cache.batch));
        }
        if cache.k.len() != self.blocks.len() {
            return bad("cache of another model".into());
        }
        let offset = cache.len;
        if offset + l > self.cfg.n_text_ctx {
            return bad(format!(
                "{} positions, the decoder has {}",
                offset + l,
                self.cfg.n_text_ctx
            ));
        }
        if let Some(&t) = tokens.iter().find(|&&t| t as usize >= self.cfg.n_vocab) {
            return bad(format!(
                "token {t} outside the vocabulary of {}",
                self.cfg.n_vocab
            ));
        }
        if let Some(&r) = rows.iter().find(|&&r| r >= l) {
            return bad(format!("row {r} of {l} new tokens"));
        }
        let d = self.cfg.n_text_state;
        let ids = Tensor::from_vec(tokens.to_vec(), tokens.len(), &Device::Cpu)?;
        let pos = self.positional_embedding.narrow(0, offset, l)?;
        let mut x = self
            .token_embedding
            .index_select(&ids, 0)?
            .reshape((batch, l, d))?
            .broadcast_add(&pos)?
            .reshape((batch * l, d))?;
        for (i, blk) in self.blocks.iter().enumerate() {
            x = blk.forward(
                &x,
                batch,
                l,
                offset,
                &mut cache.k[i],
                &mut cache.v[i],
                &cross.k[i],
                &cross.v[i],
            )?;
        }
        cache.len += l;
        cache.batch = batch;
        let x = x.reshape((batch, l, d))?;
        let x = if rows.len() == l {
            x
        } else {
            let idx: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
            x.index_select(&Tensor::from_vec(idx, rows.len(), &Device::Cpu)?, 1)?
        };
        let x = self.ln.forward(&x.reshape((batch * rows.len(), d))?)?;
        let logits = x.matmul(&self.token_embedding.t()?)?;
        Ok(logits.reshape((batch, rows.len(), self.cfg.n_vocab))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> (WhisperWeights, TextDecoder) {
        let cfg = WhisperConfig::encoder(80, 1500, 64, 2, 1).with_decoder(50, 16, 64, 4, 2);
        let w = WhisperWeights::random(&cfg, 5).unwrap();
        let d = TextDecoder::from_weights(&w).unwrap();
        (w, d)
    }

    fn audio() -> Tensor {
        let v: Vec<f32> = (0..7 * 64).map(|i| (i as f32 * 0.13).sin()).collect();
        Tensor::from_vec(v, (7, 64), &Device::Cpu).unwrap()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    /// Cached steps equal one pass over the whole sequence, and reordering the cache
    /// follows the sequences.
    #[test]
    fn cached_steps_equal_a_full_pass() {
        let (_, dec) = model();
        let cross = dec.cross_kv(&audio()).unwrap();
        let seq = [3u32, 9, 27, 1, 44];
        let mut c = dec.new_cache();
        let full = dec
            .forward_rows(&seq, 1, &mut c, &cross, &[0, 1, 2, 3, 4])
            .unwrap();
        let mut c = dec.new_cache();
        let first = dec.forward(&seq[..2], 1, &mut c, &cross).unwrap();
        assert!(
            max_diff(
                &first,
                &full.get(0).unwrap().get(1).unwrap().unsqueeze(0).unwrap()
            ) < 1e-5
        );
        // Grow to two sequences, feed different tokens, keep the first (token 27) only.
        c.reorder(&[0, 0]).unwrap();
        dec.forward(&[27, 5], 2, &mut c, &cross).unwrap();
        c.reorder(&[0]).unwrap();
        dec.forward(&[1], 1, &mut c, &cross).unwrap();
        let last = dec.forward(&[44], 1, &mut c, &cross).unwrap();
        let want = full.get(0).unwrap().get(4).unwrap().unsqueeze(0).unwrap();
        let e = max_diff(&last, &want);
        assert!(e < 1e-4, "cached vs full: {e}");
        assert!(c.reorder(&[3]).is_err());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let (w, dec) = model();
        let cross = dec.cross_kv(&audio()).unwrap();
        let mut c = dec.new_cache();
        assert!(dec.forward(&[], 1, &mut c, &cross).is_err());
        assert!(dec.forward(&[1, 2, 3], 2, &mut c, &cross).is_err());
        assert!(dec.forward(&[50], 1, &mut c, &cross).is_err());
        assert!(dec.forward(&[1; 17], 1, &mut c, &cross).is_err());
        let wrong = Tensor::zeros((3, 32), DType::F32, &Device::Cpu).unwrap();
        assert!(dec.cross_kv(&wrong).is_err());
        let enc_only = WhisperWeights {
            config: w.config.encoder_only(),
            ..w
        };
        assert!(matches!(
            TextDecoder::from_weights(&enc_only),
            Err(Error::NoDecoder { .. })
        ));
    }
}
