//! `_ser.Recognizer`: a model directory's recogniser (speech gate, features, model).

use std::path::PathBuf;

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use rayon::prelude::*;
use ser_models::{Error as ModelError, Prediction};

use crate::error::{class_name, Error, Result};

/// `(label, [(class, probability)], is_speech, no-speech reason)`; the label is `None` and the
/// probabilities empty when the speech gate found no speech.
type Outcome = (Option<String>, Vec<(String, f32)>, bool, Option<String>);

fn outcome(r: ser_models::Result<Prediction>) -> Result<Outcome> {
    match r {
        Ok(p) => Ok((Some(p.label), p.probabilities, true, None)),
        Err(ModelError::NoSpeech(d)) => Ok((
            None,
            Vec::new(),
            false,
            Some(ser_models::describe_no_speech(&d)),
        )),
        Err(e) => Err(e.into()),
    }
}

/// One file of [`Recognizer::predict_files`]: its outcome, or its error's `ser.errors` class
/// name and message.
type OutcomeOrError = (Option<Outcome>, Option<(String, String)>);

/// A loaded model directory (`ser_models::Recognizer`).
#[pyclass(module = "ser._ser")]
pub struct Recognizer {
    inner: ser_models::Recognizer,
    dir: PathBuf,
}

#[pymethods]
impl Recognizer {
    /// Loads `model_dir` (`None`: the shipped default model, found by
    /// `ser_models::shipped_model_dir`); `speech_gate=False` classifies any audio.
    #[new]
    #[pyo3(signature = (model_dir=None, speech_gate=true))]
    fn new(py: Python<'_>, model_dir: Option<PathBuf>, speech_gate: bool) -> PyResult<Self> {
        let dir = model_dir.unwrap_or_else(|| ser_models::shipped_model_dir("default"));
        let inner = py.detach(|| -> Result<_> {
            let rec =
                ser_models::Recognizer::load(&dir).map_err(|e| Error::from(e).in_file(&dir))?;
            Ok(if speech_gate {
                rec
            } else {
                rec.speech_gate(None)?
            })
        })?;
        Ok(Self { inner, dir })
    }

    /// Class names, in the model's output order.
    #[getter]
    fn labels(&self) -> Vec<String> {
        self.inner.card().labels.clone()
    }

    /// The model directory.
    #[getter]
    fn model_dir(&self) -> PathBuf {
        self.dir.clone()
    }

    /// The rate audio is resampled to before feature extraction (`None` for a model on
    /// precomputed features).
    #[getter]
    fn sample_rate(&self) -> Option<u32> {
        self.inner.feature_pipeline().map(|p| p.sample_rate())
    }

    /// Classifies one file.
    fn predict_file(&self, py: Python<'_>, path: PathBuf) -> PyResult<Outcome> {
        Ok(py.detach(|| outcome(self.inner.predict_file(&path)).map_err(|e| e.in_file(&path)))?)
    }

    /// Classifies a mono signal at `sr` Hz.
    fn predict_samples(
        &self,
        py: Python<'_>,
        y: PyReadonlyArray1<'_, f32>,
        sr: u32,
    ) -> PyResult<Outcome> {
        let y = y.as_array().to_vec();
        Ok(py.detach(|| outcome(self.inner.predict_samples(&y, sr)))?)
    }

    /// Classifies files in parallel: per file `(outcome, None)` or `(None, (class name,
    /// message))`.
    fn predict_files(&self, py: Python<'_>, paths: Vec<PathBuf>) -> Vec<OutcomeOrError> {
        py.detach(|| {
            paths
                .par_iter()
                .map(|p| {
                    outcome(self.inner.predict_file(p))
                        .map_err(|e| e.in_file(p))
                        .map_err(|e| (class_name(e.class()), e.to_string()))
                })
                .map(|r| match r {
                    Ok(o) => (Some(o), None),
                    Err(e) => (None, Some(e)),
                })
                .collect()
        })
    }

    /// Re-fits the input standardisation on unlabelled files of the target domain (a
    /// speaker, a microphone, a corpus); returns how many files were used.
    fn adapt(&mut self, py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<usize> {
        let inner = &mut self.inner;
        Ok(py.detach(|| inner.adapt_files(&paths).map_err(Error::from))?)
    }
}
