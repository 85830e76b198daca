//! Parameter storage: a Candle [`VarMap`] whose fresh variables are drawn from a seeded
//! ChaCha RNG (Candle's CPU RNG cannot be seeded), plus the list of non-trainable buffers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::init::{FanInOut, NormalOrUniform};
use candle_nn::{Init, VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Names ending with one of these suffixes are buffers (running statistics, input
/// standardisation): saved in checkpoints but never updated by the optimiser.
pub const BUFFER_SUFFIXES: [&str; 4] = [
    "running_mean",
    "running_var",
    "input_norm.mean",
    "input_norm.inv_std",
];

/// `true` if the checkpoint key names a buffer rather than a trainable parameter.
pub fn is_buffer(name: &str) -> bool {
    BUFFER_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// A seeded store of model variables.
///
/// Variables are created on first request through [`ParamStore::var_builder`], in model
/// construction order, so the same seed and architecture give bit-identical initial weights.
#[derive(Clone)]
pub struct ParamStore {
    varmap: VarMap,
    rng: Arc<Mutex<ChaCha8Rng>>,
}

impl std::fmt::Debug for ParamStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParamStore")
            .field("n_tensors", &self.names().len())
            .finish()
    }
}

impl ParamStore {
    /// An empty store whose initialisations are drawn from `seed`.
    ///
    /// ```
    /// use ser_models::{Arch, Model, ParamStore};
    /// let cfg = Arch::Mlp.default_config(8, 3); // hidden layers of 128 and 64 units
    /// let (a, b) = (ParamStore::new(7), ParamStore::new(7));
    /// Model::new(&cfg, a.var_builder())?;
    /// Model::new(&cfg, b.var_builder())?;
    /// assert_eq!(a.n_trainable(), (8 * 128 + 128) + (128 * 64 + 64) + (64 * 3 + 3));
    /// let w = |p: &ParamStore| p.snapshot()?["head.weight"].to_vec2::<f32>();
    /// assert_eq!(w(&a)?, w(&b)?); // same seed, same initial weights
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(seed: u64) -> Self {
        Self {
            varmap: VarMap::new(),
            rng: Arc::new(Mutex::new(ChaCha8Rng::seed_from_u64(seed))),
        }
    }

    /// A [`VarBuilder`] (f32, CPU) that creates missing variables with the seeded RNG.
    pub fn var_builder(&self) -> VarBuilder<'static> {
        VarBuilder::from_backend(Box::new(self.clone()), DType::F32, Device::Cpu)
    }

    /// The underlying Candle variable map.
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// Sorted names of all stored tensors.
    pub fn names(&self) -> Vec<String> {
        let data = lock(self.varmap.data());
        let mut v: Vec<String> = data.keys().cloned().collect();
        v.sort();
        v
    }

    /// Trainable variables (everything but buffers), in name order.
    pub fn trainable_vars(&self) -> Vec<Var> {
        let data = lock(self.varmap.data());
        let mut named: Vec<(&String, &Var)> = data.iter().filter(|(k, _)| !is_buffer(k)).collect();
        named.sort_by(|a, b| a.0.cmp(b.0));
        named.into_iter().map(|(_, v)| v.clone()).collect()
    }

    /// Number of trainable scalar parameters.
    pub fn n_trainable(&self) -> usize {
        self.trainable_vars().iter().map(|v| v.elem_count()).sum()
    }

    /// Copies of all tensors (a snapshot, e.g. of the best epoch).
    pub fn snapshot(&self) -> candle_core::Result<HashMap<String, Tensor>> {
        let data = lock(self.varmap.data());
        data.iter()
            .map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?)))
            .collect()
    }

    /// Overwrites stored tensors in place with `values` (same names and shapes).
    pub fn restore(&self, values: &HashMap<String, Tensor>) -> candle_core::Result<()> {
        let data = lock(self.varmap.data());
        for (k, v) in values {
            if let Some(var) = data.get(k) {
                var.set(v)?;
            }
        }
        Ok(())
    }

    /// Sets one tensor in place (e.g. the input standardisation buffers).
    pub fn set(&self, name: &str, value: &Tensor) -> candle_core::Result<()> {
        let data = lock(self.varmap.data());
        match data.get(name) {
            Some(var) => var.set(value),
            None => candle_core::bail!("no variable named {name}"),
        }
    }

    fn sample(&self, shape: &Shape, init: Init) -> Vec<f32> {
        let n = shape.elem_count();
        let mut rng = lock(&self.rng);
        match init {
            Init::Const(c) => vec![c as f32; n],
            Init::Uniform { lo, up } => (0..n).map(|_| rng.gen_range(lo..up) as f32).collect(),
            Init::Randn { mean, stdev } => normal(&mut rng, mean, stdev, n),
            Init::Kaiming {
                dist,
                fan,
                non_linearity,
            } => {
                let fan = match fan {
                    FanInOut::FanIn => FanInOut::FanIn.for_shape(shape),
                    FanInOut::FanOut => FanInOut::FanOut.for_shape(shape),
                };
                let std = non_linearity.gain() / (fan.max(1) as f64).sqrt();
                match dist {
                    NormalOrUniform::Normal => normal(&mut rng, 0.0, std, n),
                    NormalOrUniform::Uniform => {
                        let b = 3f64.sqrt() * std;
                        (0..n).map(|_| rng.gen_range(-b..b) as f32).collect()
                    }
                }
            }
        }
    }
}

fn normal(rng: &mut ChaCha8Rng, mean: f64, std: f64, n: usize) -> Vec<f32> {
    match Normal::new(mean, std.max(1e-12)) {
        Ok(d) => (0..n).map(|_| d.sample(rng) as f32).collect(),
        Err(_) => vec![mean as f32; n],
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl candle_nn::var_builder::SimpleBackend for ParamStore {
    fn get(
        &self,
        s: Shape,
        name: &str,
        h: Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        {
            let data = lock(self.varmap.data());
            if let Some(var) = data.get(name) {
                let t = var.as_tensor();
                if t.shape() != &s {
                    candle_core::bail!(
                        "shape mismatch for {name}: {:?} vs requested {:?}",
                        t.shape(),
                        s
                    );
                }
                return Ok(t.clone());
            }
        }
        let values = self.sample(&s, h);
        let t = Tensor::from_vec(values, s, dev)?.to_dtype(dtype)?;
        let var = Var::from_tensor(&t)?;
        let out = var.as_tensor().clone();
        lock(self.varmap.data()).insert(name.to_string(), var);
        Ok(out)
    }

    fn get_unchecked(
        &self,
        name: &str,
        _dtype: DType,
        _dev: &Device,
    ) -> candle_core::Result<Tensor> {
        match lock(self.varmap.data()).get(name) {
            Some(v) => Ok(v.as_tensor().clone()),
            None => candle_core::bail!("no variable named {name}"),
        }
    }

    fn contains_tensor(&self, name: &str) -> bool {
        lock(self.varmap.data()).contains_key(name)
    }
}

/// A seeded source of dropout masks shared by all dropout layers of one model.
#[derive(Clone, Debug)]
pub struct DropoutRng(Arc<Mutex<ChaCha8Rng>>);

impl DropoutRng {
    /// A new mask source from `seed`.
    ///
    /// ```
    /// use candle_core::{Device, Shape};
    /// use ser_models::params::DropoutRng;
    /// let shape = Shape::from((4, 5));
    /// let a = DropoutRng::new(1).mask(&shape, 0.5, &Device::Cpu)?;
    /// let b = DropoutRng::new(1).mask(&shape, 0.5, &Device::Cpu)?;
    /// assert_eq!(a.to_vec2::<f32>()?, b.to_vec2::<f32>()?); // same seed, same mask
    /// assert!(a.flatten_all()?.to_vec1::<f32>()?.iter().all(|&v| v == 0.0 || v == 2.0));
    /// # Ok::<(), ser_models::Error>(())
    /// ```
    pub fn new(seed: u64) -> Self {
        Self(Arc::new(Mutex::new(ChaCha8Rng::seed_from_u64(seed))))
    }

    /// Re-seeds the source (the trainer does this once per run).
    pub fn reseed(&self, seed: u64) {
        *lock(&self.0) = ChaCha8Rng::seed_from_u64(seed);
    }

    /// Inverted-dropout keep mask of `shape`: values `0` or `1/(1-p)`.
    pub fn mask(&self, shape: &Shape, p: f32, dev: &Device) -> candle_core::Result<Tensor> {
        let n = shape.elem_count();
        let scale = 1.0 / (1.0 - p);
        let mut rng = lock(&self.0);
        let v: Vec<f32> = (0..n)
            .map(|_| if rng.gen::<f32>() < p { 0.0 } else { scale })
            .collect();
        Tensor::from_vec(v, shape.clone(), dev)
    }
}
