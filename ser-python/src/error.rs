//! The crate's error type and its mapping onto the Python `ser.errors` hierarchy.

use std::path::PathBuf;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// Errors of the bindings: upstream crate errors, bad arguments, and a file's error with its
/// path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// From `ser-dsp` (decoding, resampling, DSP parameters).
    #[error(transparent)]
    Dsp(#[from] ser_dsp::Error),
    /// From `ser-features`.
    #[error(transparent)]
    Features(#[from] ser_features::Error),
    /// From `ser-models` (model directories, inference).
    #[error(transparent)]
    Models(#[from] ser_models::Error),
    /// A bad argument caught by the bindings themselves.
    #[error("{0}")]
    Parameter(String),
    /// An error while processing one file, with the file named.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: Box<Error>,
    },
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// The `ser.errors` class an error is raised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// `ser.ParameterError` (also a `ValueError`): bad parameters or input values.
    Parameter,
    /// `ser.AudioError` (also an `OSError`): a file that cannot be read or decoded.
    Audio,
    /// `ser.ModelError`: a missing or corrupt model directory.
    Model,
}

/// The `ser.errors` class name of `class`.
pub fn class_name(class: Class) -> String {
    class.name().to_string()
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Parameter => "ParameterError",
            Class::Audio => "AudioError",
            Class::Model => "ModelError",
        }
    }
}

fn dsp_class(e: &ser_dsp::Error) -> Class {
    use ser_dsp::Error as E;
    match e {
        E::Io { .. }
        | E::UnsupportedFormat { .. }
        | E::Decode { .. }
        | E::Truncated { .. }
        | E::NoChannels => Class::Audio,
        _ => Class::Parameter,
    }
}

fn features_class(e: &ser_features::Error) -> Class {
    use ser_features::Error as E;
    match e {
        E::Dsp(d) => dsp_class(d),
        E::Io(_) => Class::Audio,
        E::Whisper(_) | E::Encoder { .. } => Class::Model,
        _ => Class::Parameter,
    }
}

impl Error {
    /// The Python class this error is raised as.
    pub fn class(&self) -> Class {
        use ser_models::Error as M;
        match self {
            Error::Dsp(e) => dsp_class(e),
            Error::Features(e) => features_class(e),
            Error::Models(m) => match m {
                M::AudioFile { source, .. } | M::Dsp(source) => dsp_class(source),
                M::FeatureExtraction(f) => features_class(f),
                M::MissingTensor { .. }
                | M::UnexpectedTensor { .. }
                | M::TensorShape { .. }
                | M::CorruptCheckpoint { .. }
                | M::BadConfig { .. }
                | M::Io { .. }
                | M::Json(_)
                | M::Candle(_)
                | M::InvalidConfig(_) => Class::Model,
                _ => Class::Parameter,
            },
            Error::Parameter(_) => Class::Parameter,
            Error::File { source, .. } => source.class(),
        }
    }

    /// Wraps `self` with the file it concerns.
    pub fn in_file(self, path: impl Into<PathBuf>) -> Error {
        Error::File {
            path: path.into(),
            source: Box::new(self),
        }
    }
}

/// A `ser.errors` exception of `class` with `message` (a `RuntimeError` if the Python
/// package cannot be imported, which only happens when `_ser` is loaded outside it).
pub fn py_error(py: Python<'_>, class: Class, message: String) -> PyErr {
    let cls = py
        .import("ser.errors")
        .and_then(|m| m.getattr(class.name()))
        .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
    match cls {
        Ok(cls) => PyErr::from_type(cls, message),
        Err(_) => PyRuntimeError::new_err(message),
    }
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        Python::attach(|py| py_error(py, e.class(), e.to_string()))
    }
}

/// A [`Class::Parameter`] error.
pub fn param(message: impl Into<String>) -> Error {
    Error::Parameter(message.into())
}
