//! Frame-level features (`ser.feature.*`, `ser.yin`, `ser.pyin`, `ser.filters.mel`,
//! `ser.power_to_db`): the `ser-dsp` / `ser-features` extractors over batches of signals,
//! each signal on its own core, without the GIL.

use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use ndarray::{Array, Array2, Array3, ArrayView, ArrayView1, ArrayView2, Axis, Dimension};
use numpy::{IntoPyArray, PyArray2, PyArray3, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::prelude::*;
use rayon::prelude::*;
use ser_dsp::{DbConfig, DbRef, MelConfig, PadMode};
use ser_features::prosody::{Pyin, PyinConfig, PyinOutput, Yin, YinConfig};
use ser_features::{FeatureConfig, FeatureExtractor, FeatureKind};

use crate::error::{param, Error, Result};

/// A bounded cache of plans (an STFT + filterbank, a feature set…), each built once and
/// shared by every thread; cleared when it holds [`PlanCache::MAX`] entries.
pub struct PlanCache<K, V>(Mutex<HashMap<K, Arc<V>>>);

impl<K: Eq + Hash, V> PlanCache<K, V> {
    /// Most plans kept.
    pub const MAX: usize = 64;

    /// An empty cache.
    pub fn new() -> Self {
        Self(Mutex::new(HashMap::new()))
    }

    /// The plan for `key`, built by `make` the first time.
    pub fn get<Q>(&self, key: &Q, make: impl FnOnce() -> Result<V>) -> Result<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(p) = self.0.lock().ok().and_then(|c| c.get(key).cloned()) {
            return Ok(p);
        }
        let p = Arc::new(make()?);
        if let Ok(mut c) = self.0.lock() {
            if c.len() >= Self::MAX {
                c.clear();
            }
            c.insert(key.to_owned(), Arc::clone(&p));
        }
        Ok(p)
    }
}

impl<K: Eq + Hash, V> Default for PlanCache<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

/// Extractor plans by their JSON configuration (planning costs about as much as the features
/// of a short clip).
static PLANS: OnceLock<PlanCache<String, FeatureExtractor>> = OnceLock::new();

fn plan(config: &str) -> Result<Arc<FeatureExtractor>> {
    PLANS.get_or_init(PlanCache::new).get(config, || {
        let cfg: FeatureConfig = serde_json::from_str(config)
            .map_err(|e| param(format!("bad feature configuration: {e}")))?;
        Ok(FeatureExtractor::new(&cfg)?)
    })
}

fn kind(name: &str) -> Result<FeatureKind> {
    FeatureKind::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = FeatureKind::ALL.iter().map(|k| k.name()).collect();
        param(format!(
            "unknown feature `{name}` (known: {})",
            known.join(", ")
        ))
    })
}

/// A row of a C-contiguous array as a slice (copied only if the row is strided).
fn row_slice<'a>(r: ArrayView1<'a, f32>) -> Cow<'a, [f32]> {
    match r.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(r.to_vec()),
    }
}

/// `f(0..n)`, on the rayon pool when `n > 1`.
fn par_map<T, F>(n: usize, f: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(usize) -> Result<T> + Sync,
{
    if n == 1 {
        return Ok(vec![f(0)?]);
    }
    (0..n).into_par_iter().map(&f).collect()
}

/// Runs `f` on every row of `y` (in parallel when there are several).
pub fn per_signal<T, F>(y: ArrayView2<'_, f32>, f: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(&[f32]) -> Result<T> + Sync,
{
    par_map(y.nrows(), |i| f(&row_slice(y.row(i))))
}

/// Per-signal outputs stacked along a new first axis.
fn stack<A: Clone, D: Dimension>(views: &[ArrayView<'_, A, D>]) -> Result<Array<A, D::Larger>> {
    ndarray::stack(Axis(0), views).map_err(|e| param(format!("cannot stack outputs: {e}")))
}

/// `_ser.frame_features(y, config_json, kinds) -> [array (n_signals, rows, frames)]`: the
/// features `kinds` (`FeatureKind` names) of every row of `y` in one STFT pass per row.
#[pyfunction]
pub fn frame_features<'py>(
    py: Python<'py>,
    y: PyReadonlyArray2<'py, f32>,
    config: &str,
    kinds: Vec<String>,
) -> PyResult<Vec<Bound<'py, PyArray3<f32>>>> {
    let kinds = kinds.iter().map(|k| kind(k)).collect::<Result<Vec<_>>>()?;
    let y = y.as_array();
    let out = py.detach(|| -> Result<Vec<Array3<f32>>> {
        let p = plan(config)?;
        let mut per_row = per_signal(y, |r| {
            Ok(p.extract(r, &kinds)?
                .into_items()
                .into_iter()
                .map(|(_, a)| a)
                .collect::<Vec<_>>())
        })?;
        if per_row.len() == 1 {
            let one = per_row.pop().unwrap_or_default();
            return Ok(one.into_iter().map(|a| a.insert_axis(Axis(0))).collect());
        }
        (0..kinds.len())
            .map(|k| stack(&per_row.iter().map(|r| r[k].view()).collect::<Vec<_>>()))
            .collect()
    })?;
    Ok(out.into_iter().map(|a| a.into_pyarray(py)).collect())
}

/// `_ser.spectral_from_s(S, kind, sr, roll_percent, fmin, n_bands, quantile)`: a spectral
/// descriptor of a magnitude spectrogram `S` `(1 + n_fft/2, frames)`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn spectral_from_s<'py>(
    py: Python<'py>,
    s: PyReadonlyArray2<'py, f32>,
    kind: &str,
    sr: u32,
    roll_percent: f32,
    fmin: f64,
    n_bands: usize,
    quantile: f64,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    use ser_features::spectral as sp;
    let v = s.as_array();
    let out = py.detach(|| -> Result<Array2<f32>> {
        Ok(match kind {
            "spectral_centroid" => sp::spectral_centroid(v, sr)?,
            "spectral_bandwidth" => sp::spectral_bandwidth(v, sr)?,
            "spectral_rolloff" => sp::spectral_rolloff(v, sr, roll_percent)?,
            "spectral_flatness" => sp::spectral_flatness(v)?,
            "spectral_contrast" => {
                sp::spectral_contrast(v, sr, fmin, n_bands, quantile, Some(80.0))?
            }
            other => return Err(param(format!("no spectrogram input for `{other}`"))),
        })
    })?;
    Ok(out.into_pyarray(py))
}

/// `_ser.mfcc_from_log_mel(S_db, n_mfcc, lifter)`: `librosa.feature.mfcc(S=S_db, ...)` for a
/// stack of log-mel spectrograms `(n, n_mels, frames)` → `(n, n_mfcc, frames)`, in parallel.
#[pyfunction]
pub fn mfcc_from_log_mel<'py>(
    py: Python<'py>,
    s_db: PyReadonlyArray3<'py, f32>,
    n_mfcc: usize,
    lifter: f32,
) -> PyResult<Bound<'py, PyArray3<f32>>> {
    let s = s_db.as_array();
    let out = py.detach(|| -> Result<Array3<f32>> {
        let mats = par_map(s.shape()[0], |i| {
            Ok(ser_features::mfcc::mfcc_from_log_mel(
                s.index_axis(Axis(0), i),
                n_mfcc,
                lifter,
            )?)
        })?;
        stack(&mats.iter().map(|m| m.view()).collect::<Vec<_>>())
    })?;
    Ok(out.into_pyarray(py))
}

/// `_ser.mel_filters(config_json)`: `librosa.filters.mel` `(n_mels, 1 + n_fft/2)`.
#[pyfunction]
pub fn mel_filters<'py>(py: Python<'py>, config: &str) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let cfg: MelConfig =
        serde_json::from_str(config).map_err(|e| param(format!("bad mel configuration: {e}")))?;
    let fb = ser_dsp::mel_filterbank(&cfg).map_err(Error::from)?;
    Ok(fb.into_pyarray(py))
}

/// `_ser.delta(data, width, order)`: `librosa.feature.delta(data, width, order)` along the
/// last axis (`mode='interp'`).
#[pyfunction]
pub fn delta<'py>(
    py: Python<'py>,
    data: PyReadonlyArray2<'py, f32>,
    width: usize,
    order: usize,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let d = data.as_array();
    let out = py
        .detach(|| ser_features::delta::delta(d, width, order))
        .map_err(Error::from)?;
    Ok(out.into_pyarray(py))
}

/// `_ser.power_to_db(S, ref, amin, top_db)`: `librosa.power_to_db` with a fixed reference.
#[pyfunction]
#[pyo3(signature = (s, reference, amin, top_db))]
pub fn power_to_db<'py>(
    py: Python<'py>,
    s: PyReadonlyArray2<'py, f32>,
    reference: f32,
    amin: f32,
    top_db: Option<f32>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let cfg = DbConfig::default()
        .reference(DbRef::Value(reference))
        .amin(amin)
        .top_db(top_db);
    let out = ser_dsp::power_to_db(s.as_array(), &cfg).map_err(Error::from)?;
    Ok(out.into_pyarray(py))
}

/// `"constant" | "reflect"` → [`PadMode`].
pub fn pad_mode(name: &str) -> Result<PadMode> {
    match name {
        "constant" => Ok(PadMode::Constant),
        "reflect" => Ok(PadMode::Reflect),
        other => Err(param(format!(
            "pad_mode `{other}` is not supported (constant, reflect)"
        ))),
    }
}

/// `_ser.yin(y, sr, fmin, fmax, frame_length, hop_length, trough_threshold, center,
/// pad_mode)` → `(n_signals, frames)` F0 in Hz (`librosa.yin`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (y, sr, fmin, fmax, frame_length, hop_length, trough_threshold, center, pad_mode))]
pub fn yin<'py>(
    py: Python<'py>,
    y: PyReadonlyArray2<'py, f32>,
    sr: u32,
    fmin: f64,
    fmax: f64,
    frame_length: usize,
    hop_length: Option<usize>,
    trough_threshold: f32,
    center: bool,
    pad_mode: &str,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let mut cfg = YinConfig::default()
        .sr(sr)
        .fmin(fmin)
        .fmax(fmax)
        .frame_length(frame_length)
        .trough_threshold(trough_threshold)
        .center(center)
        .pad_mode(self::pad_mode(pad_mode)?);
    if let Some(h) = hop_length {
        cfg = cfg.hop_length(h);
    }
    let y = y.as_array();
    let out = py.detach(|| -> Result<Array2<f32>> {
        let plan = Yin::new(&cfg)?;
        let rows = per_signal(y, |r| Ok(plan.process(r)?))?;
        stack(&rows.iter().map(ArrayView1::from).collect::<Vec<_>>())
    })?;
    Ok(out.into_pyarray(py))
}

/// Output of [`pyin`]: F0, voiced flag, voiced probability, each `(n_signals, frames)`.
type PyinArrays<'py> = (
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray2<bool>>,
    Bound<'py, PyArray2<f32>>,
);

/// `_ser.pyin(y, sr, fmin, fmax, frame_length, hop_length, n_thresholds, beta_parameters,
/// boltzmann_parameter, resolution, max_transition_rate, switch_prob, no_trough_prob,
/// fill_na, center, pad_mode)` → `(f0, voiced_flag, voiced_prob)` (`librosa.pyin`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (y, sr, fmin, fmax, frame_length, hop_length, n_thresholds, beta_parameters,
    boltzmann_parameter, resolution, max_transition_rate, switch_prob, no_trough_prob, fill_na,
    center, pad_mode))]
pub fn pyin<'py>(
    py: Python<'py>,
    y: PyReadonlyArray2<'py, f32>,
    sr: u32,
    fmin: f64,
    fmax: f64,
    frame_length: usize,
    hop_length: Option<usize>,
    n_thresholds: usize,
    beta_parameters: (f64, f64),
    boltzmann_parameter: f64,
    resolution: f64,
    max_transition_rate: f64,
    switch_prob: f64,
    no_trough_prob: f64,
    fill_na: Option<f32>,
    center: bool,
    pad_mode: &str,
) -> PyResult<PyinArrays<'py>> {
    let mut cfg = PyinConfig::default()
        .sr(sr)
        .fmin(fmin)
        .fmax(fmax)
        .frame_length(frame_length)
        .n_thresholds(n_thresholds)
        .beta_parameters(beta_parameters)
        .boltzmann_parameter(boltzmann_parameter)
        .resolution(resolution)
        .max_transition_rate(max_transition_rate)
        .switch_prob(switch_prob)
        .no_trough_prob(no_trough_prob)
        .fill_na(fill_na)
        .center(center)
        .pad_mode(self::pad_mode(pad_mode)?);
    if let Some(h) = hop_length {
        cfg = cfg.hop_length(h);
    }
    let y = y.as_array();
    let (f0, flag, prob) = py.detach(|| -> Result<_> {
        let plan = Pyin::new(&cfg)?;
        let outs = per_signal(y, |r| Ok(plan.process(r)?))?;
        let rows = |field: fn(&PyinOutput) -> &Vec<f32>| {
            stack(
                &outs
                    .iter()
                    .map(|o| ArrayView1::from(field(o)))
                    .collect::<Vec<_>>(),
            )
        };
        let flags = outs
            .iter()
            .map(|o| ArrayView1::from(&o.voiced_flag))
            .collect::<Vec<_>>();
        Ok((rows(|o| &o.f0)?, stack(&flags)?, rows(|o| &o.voiced_prob)?))
    })?;
    Ok((
        f0.into_pyarray(py),
        flag.into_pyarray(py),
        prob.into_pyarray(py),
    ))
}
