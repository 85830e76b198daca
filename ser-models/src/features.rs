//! The input features a model expects: re-exported from [`ser_features::spec`], where they
//! are defined (a model directory's `config.json` stores one).

pub use ser_features::spec::{
    FeatureSpec, FunctionalsSpec, LogMelSpec, MfccSpec, UtteranceNorm, WhisperSpec,
};
