//! `_ser.FeatureSet`: a named utterance-level set (eGeMAPS-like, ComParE-like, …) over
//! signals and files, files in parallel without the GIL (the engine of `ser.Smile`).

use std::path::PathBuf;
use std::sync::Arc;

use ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use rayon::prelude::*;
use ser_dsp::{Audio, ResampleQuality};
use ser_features::sets::FeatureSet as Set;

use crate::audio::load_audio;
use crate::error::{param, Result};
use crate::feature::PlanCache;

/// A named feature set (`ser_features::sets`), computed at a fixed rate (audio at other rates
/// is resampled) or, without one, at each signal's own rate (as openSMILE does), with one plan
/// per rate met.
#[pyclass(module = "ser._ser", frozen)]
pub struct FeatureSet {
    name: String,
    sr: Option<u32>,
    plans: PlanCache<u32, Set>,
    names: Vec<String>,
}

/// One file's failure: the `ser.errors` class name and the message.
type FileError = (String, String);

/// [`FeatureSet::process_files`]' output: values, segment durations (s), errors.
type FilesOutput<'py> = (Bound<'py, PyArray2<f32>>, Vec<f64>, Vec<Option<FileError>>);

impl FeatureSet {
    /// The plan for audio at `sr` Hz.
    fn plan(&self, sr: u32) -> Result<Arc<Set>> {
        self.plans.get(&sr, || Ok(Set::new(&self.name, sr)?))
    }

    /// Resamples `audio` to the fixed rate, if there is one, and extracts.
    fn extract(&self, audio: Audio) -> Result<Vec<f32>> {
        let audio = match self.sr {
            Some(sr) if sr != audio.sample_rate => {
                audio.resample_with(sr, ResampleQuality::Balanced)?
            }
            _ => audio,
        };
        Ok(self.plan(audio.sample_rate)?.extract(&audio.samples)?)
    }

    fn signal(&self, y: Vec<f32>, sr: u32) -> Result<Vec<f32>> {
        self.extract(Audio::new(y, sr)?)
    }

    /// The values of a file's segment and the segment's duration in seconds.
    fn file(
        &self,
        path: &std::path::Path,
        offset: f64,
        duration: Option<f64>,
    ) -> Result<(Vec<f32>, f64)> {
        let audio = load_audio(path, None, offset, duration, ResampleQuality::Balanced)?;
        let secs = audio.duration_secs();
        let values = self.extract(audio).map_err(|e| e.in_file(path))?;
        Ok((values, secs))
    }
}

#[pymethods]
impl FeatureSet {
    /// Set `name` (`ser_features::sets::SET_NAMES`) computed at `sr` Hz (`None`: at each
    /// signal's own rate).
    #[new]
    #[pyo3(signature = (name, sr=None))]
    fn new(name: &str, sr: Option<u32>) -> PyResult<Self> {
        let mut set = Self {
            name: name.to_string(),
            sr,
            plans: PlanCache::new(),
            names: Vec::new(),
        };
        // planned now, so a bad name fails here; the names do not depend on the rate
        set.names = set.plan(sr.unwrap_or(16_000))?.names();
        Ok(set)
    }

    /// Feature names, in output order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    /// The rate the set is computed at (`None`: each signal's own rate).
    #[getter]
    fn sample_rate(&self) -> Option<u32> {
        self.sr
    }

    /// The values of one mono signal at `sr` Hz.
    fn process_signal<'py>(
        &self,
        py: Python<'py>,
        y: PyReadonlyArray1<'py, f32>,
        sr: u32,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let y = y.as_array().to_vec();
        let v = py.detach(|| self.signal(y, sr))?;
        Ok(v.into_pyarray(py))
    }

    /// The values of every file (`offsets[i]` s from the start, `durations[i]` s long or to
    /// the end), files in parallel: `(values (n_files, n_features), seconds, errors)`, where
    /// `seconds[i]` is the duration of the segment processed, and a failed file's row and
    /// duration are NaN and `errors[i]` is `(class name, message)`.
    ///
    /// `threads`: files processed at once (`None`: every core).
    #[pyo3(signature = (paths, offsets, durations, threads=None))]
    fn process_files<'py>(
        &self,
        py: Python<'py>,
        paths: Vec<PathBuf>,
        offsets: Vec<f64>,
        durations: Vec<Option<f64>>,
        threads: Option<usize>,
    ) -> PyResult<FilesOutput<'py>> {
        if offsets.len() != paths.len() || durations.len() != paths.len() {
            return Err(param(format!(
                "{} files but {} offsets and {} durations",
                paths.len(),
                offsets.len(),
                durations.len()
            ))
            .into());
        }
        let n = self.names.len();
        let run = || -> Vec<Result<(Vec<f32>, f64)>> {
            paths
                .par_iter()
                .zip(offsets.par_iter())
                .zip(durations.par_iter())
                .map(|((p, &o), &d)| self.file(p, o, d))
                .collect()
        };
        let results = py.detach(|| -> Result<_> {
            match threads {
                None => Ok(run()),
                Some(0) => Err(param("threads must be at least 1")),
                Some(n) => Ok(rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| param(format!("cannot start {n} threads: {e}")))?
                    .install(run)),
            }
        })?;
        let mut values = Array2::<f32>::from_elem((paths.len(), n), f32::NAN);
        let mut seconds = vec![f64::NAN; paths.len()];
        let mut errors = Vec::with_capacity(paths.len());
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok((v, secs)) => {
                    values.row_mut(i).assign(&ndarray::ArrayView1::from(&v));
                    seconds[i] = secs;
                    errors.push(None);
                }
                Err(e) => errors.push(Some((crate::error::class_name(e.class()), e.to_string()))),
            }
        }
        Ok((values.into_pyarray(py), seconds, errors))
    }
}
