//! Python bindings of the `ser` crates (the `ser._ser` extension module of the `ser` Python
//! package in `python/`).
//!
//! The Python layer (`python/ser`) gives librosa's and opensmile-python's signatures and
//! defaults; this module does the work: audio decoding, frame-level features over batches of
//! signals, named utterance-level sets over files, and the recogniser. Every call releases the
//! GIL while Rust works, and every error is raised as a `ser.errors` class
//! ([`error::Class`]).

pub mod audio;
pub mod error;
pub mod feature;
pub mod recognizer;
pub mod sets;

use pyo3::prelude::*;

/// The `ser._ser` module.
#[pymodule]
fn _ser(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(audio::load, m)?)?;
    m.add_function(wrap_pyfunction!(feature::frame_features, m)?)?;
    m.add_function(wrap_pyfunction!(feature::spectral_from_s, m)?)?;
    m.add_function(wrap_pyfunction!(feature::mfcc_from_log_mel, m)?)?;
    m.add_function(wrap_pyfunction!(feature::mel_filters, m)?)?;
    m.add_function(wrap_pyfunction!(feature::delta, m)?)?;
    m.add_function(wrap_pyfunction!(feature::power_to_db, m)?)?;
    m.add_function(wrap_pyfunction!(feature::yin, m)?)?;
    m.add_function(wrap_pyfunction!(feature::pyin, m)?)?;
    m.add_class::<sets::FeatureSet>()?;
    m.add_class::<recognizer::Recognizer>()?;
    m.add(
        "FEATURE_SETS",
        ser_features::sets::SET_NAMES
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}
