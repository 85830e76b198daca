//! Fusion networks as Candle modules.
//!
//! All networks see standardised utterance vectors: acoustic `a` `(B, Da)`, text `t`
//! `(B, Dt)` and a text-presence mask `m` `(B, 1)` (1 = transcript present, 0 = missing).
//!
//! | kind | forward |
//! |---|---|
//! | [`FusionKind::Acoustic`] | `a → Linear(Da, H) → ReLU → Dropout → Linear(H, C)` |
//! | [`FusionKind::Text`] | `t → Linear(Dt, H) → ReLU → Dropout → Linear(H, C)` |
//! | [`FusionKind::Early`] | `[a ; m·t] → Linear(Da+Dt, H) → ReLU → Dropout → Linear(H, C)` |
//! | [`FusionKind::Gmu`] | gated multimodal unit (Arevalo et al. 2017): `h_a = tanh(W_a a)`, `h_t = tanh(W_t t)`, `z = σ(W_z [a ; t])`, `z' = m·z + (1 − m)`, `h = z' ⊙ h_a + (1 − z') ⊙ h_t → Dropout → Linear(H, C)` |
//!
//! **Missing modality**: with `m = 0` the early network sees the text block as all zeros
//! (the training mean after standardisation) and the GMU gate is forced to `z' = 1`, so
//! the prediction comes from the acoustic path alone. The trainer applies *modality
//! dropout* (text masked for a random fraction of training utterances), so this path is
//! trained, not extrapolated. Late fusion ([`crate::late`]) falls back to the acoustic
//! posterior. The GMU gate `z'` averaged over hidden units is the per-utterance acoustic
//! share reported by [`crate::FusionModel::gate_means`].

use candle_core::{Module, Tensor};
use candle_nn::{linear, Linear, VarBuilder};
use ser_models::layers::Dropout;
use ser_models::params::DropoutRng;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Which network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FusionKind {
    /// Acoustic-only MLP (baseline and late-fusion member).
    Acoustic,
    /// Text-only MLP (baseline and late-fusion member).
    Text,
    /// Early fusion: concatenation of the standardised vectors, then an MLP.
    Early,
    /// Gated multimodal unit.
    Gmu,
}

impl FusionKind {
    /// Short name: `acoustic`, `text`, `early`, `gmu`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Acoustic => "acoustic",
            Self::Text => "text",
            Self::Early => "early",
            Self::Gmu => "gmu",
        }
    }

    /// `true` for networks that read the acoustic input.
    pub fn uses_acoustic(self) -> bool {
        !matches!(self, Self::Text)
    }

    /// `true` for networks that read the text input.
    pub fn uses_text(self) -> bool {
        !matches!(self, Self::Acoustic)
    }
}

/// Network sizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NetConfig {
    /// Which network.
    pub kind: FusionKind,
    /// Acoustic input size `Da`.
    pub acoustic_dim: usize,
    /// Text input size `Dt`.
    pub text_dim: usize,
    /// Number of classes `C`.
    pub n_classes: usize,
    /// Hidden size `H`. Default: 64.
    pub hidden: usize,
    /// Dropout before the output layer. Default: 0.3.
    pub dropout: f32,
}

impl NetConfig {
    /// A config with the default hidden size and dropout.
    ///
    /// ```
    /// use ser_fusion::{FusionKind, NetConfig};
    /// let cfg = NetConfig::new(FusionKind::Gmu, 88, 22, 4);
    /// assert_eq!((cfg.hidden, cfg.dropout), (64, 0.3));
    /// assert!(cfg.validate().is_ok());
    /// assert!(NetConfig::new(FusionKind::Text, 88, 0, 4).validate().is_err()); // no text input
    /// ```
    pub fn new(kind: FusionKind, acoustic_dim: usize, text_dim: usize, n_classes: usize) -> Self {
        Self {
            kind,
            acoustic_dim,
            text_dim,
            n_classes,
            hidden: 64,
            dropout: 0.3,
        }
    }

    /// Sets `hidden` (chaining).
    pub fn hidden(mut self, v: usize) -> Self {
        self.hidden = v;
        self
    }

    /// Sets `dropout` (chaining).
    pub fn dropout(mut self, v: f32) -> Self {
        self.dropout = v;
        self
    }

    /// Checks the sizes.
    pub fn validate(&self) -> Result<()> {
        if self.n_classes < 2 || self.hidden == 0 {
            return Err(Error::InvalidArgument(
                "n_classes must be >= 2 and hidden > 0".into(),
            ));
        }
        if self.kind.uses_acoustic() && self.acoustic_dim == 0 {
            return Err(Error::InvalidArgument("acoustic_dim must be > 0".into()));
        }
        if self.kind.uses_text() && self.text_dim == 0 {
            return Err(Error::InvalidArgument("text_dim must be > 0".into()));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::InvalidArgument("dropout must be in [0, 1)".into()));
        }
        Ok(())
    }
}

/// Output of one forward pass.
#[derive(Debug, Clone)]
pub struct FusionOutput {
    /// Class logits `(B, C)`.
    pub logits: Tensor,
    /// GMU gate `z'` `(B, H)` (acoustic share per hidden unit), only for [`FusionKind::Gmu`].
    pub gate: Option<Tensor>,
}

/// A fusion network ([module docs](self)). Checkpoint keys: `enc_a`, `enc_t`, `gate`,
/// `hidden`, `out` (each `.weight`/`.bias`, only those the kind uses).
#[derive(Debug, Clone)]
pub struct FusionNet {
    cfg: NetConfig,
    enc_a: Option<Linear>,
    enc_t: Option<Linear>,
    gate: Option<Linear>,
    hidden: Option<Linear>,
    out: Linear,
    dropout: Dropout,
    rng: DropoutRng,
}

impl FusionNet {
    /// Builds the network from `vb` (e.g. a seeded `ser_models::ParamStore`).
    ///
    /// ```
    /// use candle_core::{DType, Device, Tensor};
    /// use ser_fusion::{FusionKind, FusionNet, NetConfig};
    /// let cfg = NetConfig::new(FusionKind::Gmu, 3, 5, 2).hidden(8);
    /// let net = FusionNet::new(&cfg, ser_models::ParamStore::new(0).var_builder())?;
    /// let ones = |d: usize| Tensor::ones((4, d), DType::F32, &Device::Cpu);
    /// let no_text = Tensor::zeros((4, 1), DType::F32, &Device::Cpu)?; // presence mask m = 0
    /// let out = net.forward_t(&ones(3)?, &ones(5)?, &no_text, false)?;
    /// assert_eq!(out.logits.dims(), &[4, 2]);
    /// let gate = out.gate.expect("GMU").to_vec2::<f32>()?; // (4, 8)
    /// assert!(gate.iter().flatten().all(|&z| z == 1.0)); // without a transcript: acoustic only
    /// # Ok::<(), ser_fusion::Error>(())
    /// ```
    pub fn new(cfg: &NetConfig, vb: VarBuilder<'_>) -> Result<Self> {
        cfg.validate()?;
        let (h, da, dt) = (cfg.hidden, cfg.acoustic_dim, cfg.text_dim);
        let rng = DropoutRng::new(0);
        let mut net = Self {
            cfg: cfg.clone(),
            enc_a: None,
            enc_t: None,
            gate: None,
            hidden: None,
            out: linear(h, cfg.n_classes, vb.pp("out"))?,
            dropout: Dropout::new(cfg.dropout, rng.clone()),
            rng,
        };
        match cfg.kind {
            FusionKind::Acoustic => net.hidden = Some(linear(da, h, vb.pp("hidden"))?),
            FusionKind::Text => net.hidden = Some(linear(dt, h, vb.pp("hidden"))?),
            FusionKind::Early => net.hidden = Some(linear(da + dt, h, vb.pp("hidden"))?),
            FusionKind::Gmu => {
                net.enc_a = Some(linear(da, h, vb.pp("enc_a"))?);
                net.enc_t = Some(linear(dt, h, vb.pp("enc_t"))?);
                net.gate = Some(linear(da + dt, h, vb.pp("gate"))?);
            }
        }
        Ok(net)
    }

    /// The configuration.
    pub fn config(&self) -> &NetConfig {
        &self.cfg
    }

    /// Re-seeds the dropout masks.
    pub fn set_dropout_seed(&self, seed: u64) {
        self.rng.reseed(seed);
    }

    /// Forward pass; `train` enables dropout. Shapes: `a` `(B, Da)`, `t` `(B, Dt)`, `m`
    /// `(B, 1)`. Inputs a kind does not use may be any tensor of the right batch size.
    pub fn forward_t(
        &self,
        a: &Tensor,
        t: &Tensor,
        m: &Tensor,
        train: bool,
    ) -> Result<FusionOutput> {
        let relu_head = |lin: &Option<Linear>, x: &Tensor| -> Result<Tensor> {
            let lin = lin
                .as_ref()
                .ok_or_else(|| Error::InvalidArgument("layer missing".into()))?;
            Ok(lin.forward(x)?.relu()?)
        };
        let (h, gate) = match self.cfg.kind {
            FusionKind::Acoustic => (relu_head(&self.hidden, a)?, None),
            FusionKind::Text => (relu_head(&self.hidden, &t.broadcast_mul(m)?)?, None),
            FusionKind::Early => {
                let x = Tensor::cat(&[a, &t.broadcast_mul(m)?], 1)?;
                (relu_head(&self.hidden, &x)?, None)
            }
            FusionKind::Gmu => {
                let (ea, et, g) = match (&self.enc_a, &self.enc_t, &self.gate) {
                    (Some(ea), Some(et), Some(g)) => (ea, et, g),
                    _ => return Err(Error::InvalidArgument("GMU layers missing".into())),
                };
                let tm = t.broadcast_mul(m)?;
                let ha = ea.forward(a)?.tanh()?;
                let ht = et.forward(&tm)?.tanh()?;
                let z = candle_nn::ops::sigmoid(&g.forward(&Tensor::cat(&[a, &tm], 1)?)?)?;
                // z' = m z + (1 - m): the gate is 1 (acoustic only) without a transcript.
                let z = (z.broadcast_mul(m)? + (1.0 - m)?.broadcast_as(z.shape())?)?;
                let h = (z.mul(&ha)? + (1.0 - &z)?.mul(&ht)?)?;
                (h, Some(z))
            }
        };
        let h = self.dropout.forward(&h, train)?;
        Ok(FusionOutput {
            logits: self.out.forward(&h)?,
            gate,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use ser_models::ParamStore;

    fn inputs(b: usize) -> (Tensor, Tensor, Tensor) {
        let dev = Device::Cpu;
        let a = Tensor::randn(0f32, 1.0, (b, 5), &dev).expect("a");
        let t = Tensor::randn(0f32, 1.0, (b, 3), &dev).expect("t");
        let m = Tensor::ones((b, 1), DType::F32, &dev).expect("m");
        (a, t, m)
    }

    #[test]
    fn shapes_for_every_kind() {
        for kind in [
            FusionKind::Acoustic,
            FusionKind::Text,
            FusionKind::Early,
            FusionKind::Gmu,
        ] {
            let ps = ParamStore::new(1);
            let net = FusionNet::new(&NetConfig::new(kind, 5, 3, 4).hidden(8), ps.var_builder())
                .expect("net");
            let (a, t, m) = inputs(6);
            let o = net.forward_t(&a, &t, &m, false).expect("fwd");
            assert_eq!(o.logits.dims(), [6, 4]);
            assert_eq!(o.gate.is_some(), kind == FusionKind::Gmu);
        }
    }

    #[test]
    fn gmu_without_text_ignores_text() {
        let ps = ParamStore::new(2);
        let net = FusionNet::new(
            &NetConfig::new(FusionKind::Gmu, 5, 3, 4).hidden(8),
            ps.var_builder(),
        )
        .expect("net");
        let (a, t, _) = inputs(4);
        let m0 = Tensor::zeros((4, 1), DType::F32, &Device::Cpu).expect("m");
        let t2 = (t.clone() * 7.0).expect("t2");
        let o1 = net.forward_t(&a, &t, &m0, false).expect("o1");
        let o2 = net.forward_t(&a, &t2, &m0, false).expect("o2");
        let d = (o1.logits - o2.logits)
            .expect("d")
            .abs()
            .expect("abs")
            .max_all()
            .expect("max");
        assert_eq!(d.to_scalar::<f32>().expect("s"), 0.0);
        let g = o1
            .gate
            .expect("gate")
            .min_all()
            .expect("min")
            .to_scalar::<f32>()
            .expect("s");
        assert_eq!(g, 1.0);
    }

    #[test]
    fn bad_configs_rejected() {
        assert!(NetConfig::new(FusionKind::Gmu, 5, 0, 4).validate().is_err());
        assert!(NetConfig::new(FusionKind::Acoustic, 5, 0, 1)
            .validate()
            .is_err());
        assert!(NetConfig::new(FusionKind::Acoustic, 5, 0, 3)
            .validate()
            .is_ok());
    }
}
