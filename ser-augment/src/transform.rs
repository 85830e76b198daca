//! The [`Transform`] trait, parameter ranges, the seedable RNG and the
//! combinators [`Compose`], [`OneOf`] and [`SomeOf`].

use std::fmt;

use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use ser_dsp::Audio;

use crate::error::{Error, Result};

/// The random number generator used throughout the crate: ChaCha20, whose
/// stream is specified and portable, so a seed reproduces an augmentation bit
/// for bit on every platform.
pub type AugRng = rand_chacha::ChaCha20Rng;

/// Builds the crate's RNG from a 64-bit seed.
///
/// ```
/// use ser_augment::{rng_from_seed, Gain, Transform};
/// let g = Gain::new(-6.0, 6.0).p(1.0);
/// let x = vec![0.1_f32; 100];
/// let a = g.apply(&x, 16_000, &mut rng_from_seed(7)).unwrap();
/// let b = g.apply(&x, 16_000, &mut rng_from_seed(7)).unwrap();
/// assert_eq!(a, b);
/// ```
pub fn rng_from_seed(seed: u64) -> AugRng {
    AugRng::seed_from_u64(seed)
}

/// A closed interval `[min, max]` from which a parameter is drawn uniformly
/// on every call (audiomentations' `min_x` / `max_x` pairs). `min == max`
/// gives a fixed value (one random number is still drawn, so the RNG stream
/// does not depend on whether a range is degenerate).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamRange {
    /// Lower bound (inclusive).
    pub min: f32,
    /// Upper bound (inclusive).
    pub max: f32,
}

impl ParamRange {
    /// The interval `[min, max]`; checked by [`ParamRange::validate`].
    pub const fn new(min: f32, max: f32) -> Self {
        Self { min, max }
    }

    /// The degenerate interval `[v, v]`.
    pub const fn fixed(v: f32) -> Self {
        Self { min: v, max: v }
    }

    /// Draws a value uniformly from `[min, max]`.
    pub fn sample(&self, rng: &mut dyn RngCore) -> f32 {
        let u: f64 = rng.gen();
        let v = f64::from(self.min) + u * (f64::from(self.max) - f64::from(self.min));
        (v as f32).clamp(self.min, self.max)
    }

    /// Checks `min <= max`, both finite, and both within `[lo, hi]`.
    pub fn validate(
        &self,
        name: &'static str,
        lo: f32,
        hi: f32,
        expected: &'static str,
    ) -> Result<()> {
        let ok = self.min.is_finite()
            && self.max.is_finite()
            && self.min <= self.max
            && self.min >= lo
            && self.max <= hi;
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidParameter {
                name,
                value: format!("{}..{}", self.min, self.max),
                expected,
            })
        }
    }
}

impl From<f32> for ParamRange {
    fn from(v: f32) -> Self {
        Self::fixed(v)
    }
}

impl From<(f32, f32)> for ParamRange {
    fn from((min, max): (f32, f32)) -> Self {
        Self::new(min, max)
    }
}

impl From<std::ops::RangeInclusive<f32>> for ParamRange {
    fn from(r: std::ops::RangeInclusive<f32>) -> Self {
        Self::new(*r.start(), *r.end())
    }
}

impl fmt::Display for ParamRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}..{}", self.min, self.max)
        }
    }
}

/// Checks that an application probability lies in `[0, 1]`.
pub(crate) fn validate_p(p: f32) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name: "p",
            value: p.to_string(),
            expected: "0 <= p <= 1",
        })
    }
}

/// Checks a waveform and its sample rate: non-empty, finite, `sr > 0`.
pub fn validate_input(samples: &[f32], sr: u32) -> Result<()> {
    if sr == 0 {
        return Err(Error::InvalidSampleRate {
            sr,
            reason: "must be positive",
        });
    }
    if samples.is_empty() {
        return Err(Error::EmptyInput { what: "samples" });
    }
    if let Some(index) = samples.iter().position(|x| !x.is_finite()) {
        return Err(Error::NonFinite {
            what: "samples",
            index,
        });
    }
    Ok(())
}

/// Draws the "should this transform run?" decision. One `f64` is always
/// drawn, whatever `p`, so that the RNG stream is independent of `p`.
pub(crate) fn should_apply(p: f32, rng: &mut dyn RngCore) -> bool {
    let u: f64 = rng.gen();
    u < f64::from(p)
}

/// A waveform augmentation.
///
/// Every transform has an application probability `p` (as in
/// audiomentations): [`Transform::apply`] first draws whether to run, then
/// draws the transform's parameters from their ranges and runs it.
/// [`Transform::apply_always`] skips the probability draw.
///
/// Contract shared by all transforms of this crate:
/// - input must be non-empty, finite, with `sr > 0`, else `Err`;
/// - the sample rate is never changed (output is at the input's `sr`);
/// - output length equals input length unless [`Transform::changes_length`]
///   is `true` (speed change, time stretch), which the transform's docs state;
/// - output is finite, else `Err(Error::NonFiniteOutput)`;
/// - the same RNG state gives the same output, bit for bit.
///
/// The trait is object safe: pipelines are `Vec<Box<dyn Transform>>`.
pub trait Transform: fmt::Debug + Send + Sync {
    /// Short name, as in the pipeline grammar (e.g. `"noise"`).
    fn name(&self) -> &'static str;

    /// Application probability in `[0, 1]`.
    fn probability(&self) -> f32;

    /// Checks the transform's parameters (called by [`Transform::apply`]).
    fn validate(&self) -> Result<()>;

    /// Whether the output length may differ from the input length.
    fn changes_length(&self) -> bool {
        false
    }

    /// Runs the transform unconditionally on validated input (parameters are
    /// still drawn from `rng`). Prefer [`Transform::apply`], which validates.
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>>;

    /// Validates, runs with probability [`Transform::probability`], and checks
    /// the output is finite. When not applied, returns a copy of the input.
    fn apply(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        self.validate()?;
        validate_input(samples, sr)?;
        if !should_apply(self.probability(), rng) {
            return Ok(samples.to_vec());
        }
        let out = self.process(samples, sr, rng)?;
        check_output(self.name(), &out)?;
        Ok(out)
    }

    /// Like [`Transform::apply`] but always runs (ignores `p`).
    fn apply_always(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        self.validate()?;
        validate_input(samples, sr)?;
        let out = self.process(samples, sr, rng)?;
        check_output(self.name(), &out)?;
        Ok(out)
    }

    /// [`Transform::apply`] on a [`ser_dsp::Audio`]; the result has the same
    /// sample rate.
    fn apply_audio(&self, audio: &Audio, rng: &mut dyn RngCore) -> Result<Audio> {
        let out = self.apply(&audio.samples, audio.sample_rate, rng)?;
        Ok(Audio::new(out, audio.sample_rate)?)
    }
}

pub(crate) fn check_output(name: &'static str, out: &[f32]) -> Result<()> {
    if out.is_empty() || out.iter().any(|x| !x.is_finite()) {
        Err(Error::NonFiniteOutput { transform: name })
    } else {
        Ok(())
    }
}

/// Applies its transforms in sequence (each with its own `p`), the whole
/// chain with probability `p` (default 1.0, as audiomentations' `Compose`).
///
/// ```
/// use ser_augment::{rng_from_seed, Compose, Gain, PolarityInversion, Transform};
/// let chain = Compose::new(vec![
///     Box::new(Gain::new(-6.0, -6.0).p(1.0)),
///     Box::new(PolarityInversion::new().p(1.0)),
/// ]);
/// let y = chain.apply(&[0.5, -0.25], 16_000, &mut rng_from_seed(0)).unwrap();
/// assert!((y[0] + 0.5 * 10f32.powf(-6.0 / 20.0)).abs() < 1e-6);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Compose {
    /// The transforms, applied in order. Default: empty.
    pub transforms: Vec<Box<dyn Transform>>,
    /// Probability of applying the chain at all. Default: 1.0.
    pub p: f32,
    /// Shuffle the order on every call. Default: false.
    pub shuffle: bool,
}

impl Compose {
    /// A chain applied in the given order with `p = 1`.
    pub fn new(transforms: Vec<Box<dyn Transform>>) -> Self {
        Self {
            transforms,
            p: 1.0,
            shuffle: false,
        }
    }

    /// Sets the chain's application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }

    /// Shuffle the transforms' order on every call.
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Appends a transform.
    pub fn push(mut self, t: impl Transform + 'static) -> Self {
        self.transforms.push(Box::new(t));
        self
    }

    /// Number of transforms in the chain.
    pub fn len(&self) -> usize {
        self.transforms.len()
    }

    /// Whether the chain is empty.
    pub fn is_empty(&self) -> bool {
        self.transforms.is_empty()
    }

    /// Convenience: [`Transform::apply`] with a fresh RNG from `seed`.
    pub fn apply_seeded(&self, samples: &[f32], sr: u32, seed: u64) -> Result<Vec<f32>> {
        self.apply(samples, sr, &mut rng_from_seed(seed))
    }
}

fn run_indices(
    transforms: &[Box<dyn Transform>],
    order: &[usize],
    samples: &[f32],
    sr: u32,
    rng: &mut dyn RngCore,
) -> Result<Vec<f32>> {
    let mut cur = samples.to_vec();
    for &i in order {
        cur = transforms[i].apply(&cur, sr, rng)?;
    }
    Ok(cur)
}

impl Transform for Compose {
    fn name(&self) -> &'static str {
        "compose"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        self.transforms.iter().try_for_each(|t| t.validate())
    }
    fn changes_length(&self) -> bool {
        self.transforms.iter().any(|t| t.changes_length())
    }
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let mut order: Vec<usize> = (0..self.transforms.len()).collect();
        if self.shuffle {
            order.shuffle(&mut RngWrap(rng));
        }
        run_indices(&self.transforms, &order, samples, sr, rng)
    }
}

/// Picks one of its transforms (uniformly, or by `weights`) and applies it
/// (with that transform's own `p`); the whole with probability `p`
/// (default 1.0, as audiomentations' `OneOf`).
#[derive(Debug)]
#[non_exhaustive]
pub struct OneOf {
    /// The candidates.
    pub transforms: Vec<Box<dyn Transform>>,
    /// Optional non-negative selection weights (one per transform). Default: uniform.
    pub weights: Option<Vec<f32>>,
    /// Probability of applying at all. Default: 1.0.
    pub p: f32,
}

impl OneOf {
    /// Uniform choice among `transforms`, `p = 1`.
    pub fn new(transforms: Vec<Box<dyn Transform>>) -> Self {
        Self {
            transforms,
            weights: None,
            p: 1.0,
        }
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
    /// Sets selection weights (need not sum to one).
    pub fn weights(mut self, weights: Vec<f32>) -> Self {
        self.weights = Some(weights);
        self
    }
}

impl Transform for OneOf {
    fn name(&self) -> &'static str {
        "one_of"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        if self.transforms.is_empty() {
            return Err(Error::InvalidParameter {
                name: "transforms",
                value: "[]".into(),
                expected: "at least one transform",
            });
        }
        if let Some(w) = &self.weights {
            let ok = w.len() == self.transforms.len()
                && w.iter().all(|x| x.is_finite() && *x >= 0.0)
                && w.iter().any(|x| *x > 0.0);
            if !ok {
                return Err(Error::InvalidParameter {
                    name: "weights",
                    value: format!("{w:?}"),
                    expected: "one finite weight >= 0 per transform, not all zero",
                });
            }
        }
        self.transforms.iter().try_for_each(|t| t.validate())
    }
    fn changes_length(&self) -> bool {
        self.transforms.iter().any(|t| t.changes_length())
    }
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let idx = match &self.weights {
            None => rng.gen_range(0..self.transforms.len()),
            Some(w) => {
                let total: f64 = w.iter().map(|&x| f64::from(x)).sum();
                let mut u = rng.gen::<f64>() * total;
                let mut chosen = w.len() - 1;
                for (i, &wi) in w.iter().enumerate() {
                    if u < f64::from(wi) {
                        chosen = i;
                        break;
                    }
                    u -= f64::from(wi);
                }
                chosen
            }
        };
        self.transforms[idx].apply(samples, sr, rng)
    }
}

/// Picks `k` distinct transforms (`k` uniform in `[min_k, max_k]`) and
/// applies them in their original order, each with its own `p`; the whole
/// with probability `p` (default 1.0, as audiomentations' `SomeOf`).
#[derive(Debug)]
#[non_exhaustive]
pub struct SomeOf {
    /// The candidates.
    pub transforms: Vec<Box<dyn Transform>>,
    /// Fewest transforms to pick.
    pub min_k: usize,
    /// Most transforms to pick (capped at the number of transforms).
    pub max_k: usize,
    /// Probability of applying at all. Default: 1.0.
    pub p: f32,
}

impl SomeOf {
    /// Picks between `min_k` and `max_k` transforms per call, `p = 1`.
    pub fn new(min_k: usize, max_k: usize, transforms: Vec<Box<dyn Transform>>) -> Self {
        Self {
            transforms,
            min_k,
            max_k,
            p: 1.0,
        }
    }
    /// Sets the application probability.
    pub fn p(mut self, p: f32) -> Self {
        self.p = p;
        self
    }
}

impl Transform for SomeOf {
    fn name(&self) -> &'static str {
        "some_of"
    }
    fn probability(&self) -> f32 {
        self.p
    }
    fn validate(&self) -> Result<()> {
        validate_p(self.p)?;
        if self.min_k > self.max_k || self.min_k > self.transforms.len() {
            return Err(Error::InvalidParameter {
                name: "k",
                value: format!(
                    "{}..{} of {}",
                    self.min_k,
                    self.max_k,
                    self.transforms.len()
                ),
                expected: "min_k <= max_k and min_k <= number of transforms",
            });
        }
        self.transforms.iter().try_for_each(|t| t.validate())
    }
    fn changes_length(&self) -> bool {
        self.transforms.iter().any(|t| t.changes_length())
    }
    fn process(&self, samples: &[f32], sr: u32, rng: &mut dyn RngCore) -> Result<Vec<f32>> {
        let n = self.transforms.len();
        let hi = self.max_k.min(n);
        let k = rng.gen_range(self.min_k..=hi);
        let mut idx: Vec<usize> = (0..n).collect();
        idx.shuffle(&mut RngWrap(rng));
        idx.truncate(k);
        idx.sort_unstable();
        run_indices(&self.transforms, &idx, samples, sr, rng)
    }
}

/// Adapter giving a sized `Rng` over `&mut dyn RngCore` (for `shuffle`).
pub(crate) struct RngWrap<'a>(pub &'a mut dyn RngCore);

impl RngCore for RngWrap<'_> {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), rand::Error> {
        self.0.try_fill_bytes(dest)
    }
}
