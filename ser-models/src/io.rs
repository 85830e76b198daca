//! Model directories: `model.safetensors` + `config.json`.
//!
//! Loading validates the JSON, the architecture, the label list and every tensor name and
//! shape against the architecture before any weight is used, and reports problems as typed
//! [`Error`]s ([`Error::BadConfig`], [`Error::CorruptCheckpoint`], [`Error::MissingTensor`],
//! [`Error::UnexpectedTensor`], [`Error::TensorShape`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::features::FeatureSpec;
use crate::models::{Model, ModelConfig};
use crate::params::ParamStore;
use crate::{Error, Result};

/// File name of the weights inside a model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// File name of the description inside a model directory.
pub const CONFIG_FILE: &str = "config.json";
/// Format tag written to `config.json`.
pub const FORMAT: &str = "ser-models/1";

/// Where a shipped model directory `name` (e.g. `"default"`) is found, first match wins:
/// `$SER_MODEL_DIR/<name>`, `<dir of the running executable>/models/<name>` (a copied or
/// `cargo install`ed binary with its models beside it), `$XDG_DATA_HOME/ser/models/<name>`
/// (else `~/.local/share/ser/models/<name>`), and the source tree's `models/<name>`. A
/// candidate counts when it holds a `config.json`. When none does, the source-tree path is
/// returned, so the loader's error names where the model was expected.
///
/// ```
/// let dir = ser_models::shipped_model_dir("linear");
/// assert!(dir.ends_with("models/linear"));
/// assert!(dir.join("config.json").is_file());
/// ```
pub fn shipped_model_dir(name: &str) -> PathBuf {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os("SER_MODEL_DIR") {
        candidates.push(PathBuf::from(d).join(name));
    }
    if let Some(bin_dir) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        candidates.push(bin_dir.join("models").join(name));
    }
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")));
    if let Some(d) = data_home {
        candidates.push(d.join("ser/models").join(name));
    }
    let source = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../models")).join(name);
    candidates
        .into_iter()
        .find(|c| c.join(CONFIG_FILE).is_file())
        .unwrap_or(source)
}

/// Contents of `config.json`: architecture, features, labels and free-form provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelCard {
    /// Format tag, [`FORMAT`].
    pub format: String,
    /// Architecture and sizes.
    pub model: ModelConfig,
    /// How input features are computed from audio.
    pub features: FeatureSpec,
    /// Class names, index = output unit.
    pub labels: Vec<String>,
    /// Training data summary (corpus, files, speakers, settings). Default: `null`.
    #[serde(default)]
    pub training: serde_json::Value,
    /// Cross-validated and training scores. Default: `null`.
    #[serde(default)]
    pub scores: serde_json::Value,
}

impl ModelCard {
    /// A card with empty training summary and scores.
    ///
    /// ```
    /// use ser_models::{Arch, FeatureSpec, ModelCard};
    /// let cfg = Arch::Mlp.default_config(4, 2);
    /// let features = FeatureSpec::Precomputed { n_features: 4 };
    /// let card = ModelCard::new(cfg, features, vec!["low".into(), "high".into()]);
    /// assert_eq!(card.format, ser_models::io::FORMAT);
    /// assert!(card.training.is_null() && card.scores.is_null());
    /// ```
    pub fn new(model: ModelConfig, features: FeatureSpec, labels: Vec<String>) -> Self {
        Self {
            format: FORMAT.to_string(),
            model,
            features,
            labels,
            training: serde_json::Value::Null,
            scores: serde_json::Value::Null,
        }
    }

    /// Sets the training summary (chaining).
    pub fn training(mut self, v: serde_json::Value) -> Self {
        self.training = v;
        self
    }

    /// Sets the scores (chaining).
    pub fn scores(mut self, v: serde_json::Value) -> Self {
        self.scores = v;
        self
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| Error::BadConfig {
            path: path.to_path_buf(),
            reason,
        };
        if self.format != FORMAT {
            return Err(bad(format!(
                "format `{}`, expected `{FORMAT}`",
                self.format
            )));
        }
        self.model
            .validate()
            .map_err(|e| bad(format!("model: {e}")))?;
        if self.labels.len() != self.model.n_classes() {
            return Err(bad(format!(
                "{} labels for {} output classes",
                self.labels.len(),
                self.model.n_classes()
            )));
        }
        if self.features.n_features() != self.model.n_features() {
            return Err(bad(format!(
                "features give {} values per frame, model expects {}",
                self.features.n_features(),
                self.model.n_features()
            )));
        }
        Ok(())
    }
}

/// Writes `params` and `card` to `dir` (created if needed).
pub fn save_model_dir(dir: impl AsRef<Path>, card: &ModelCard, params: &ParamStore) -> Result<()> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    card.validate(&dir.join(CONFIG_FILE))?;
    let tensors = params.snapshot()?;
    let wpath = dir.join(WEIGHTS_FILE);
    candle_core::safetensors::save(&tensors, &wpath)?;
    let cpath = dir.join(CONFIG_FILE);
    let json = serde_json::to_string_pretty(card)?;
    std::fs::write(&cpath, json + "\n").map_err(|e| Error::io(&cpath, e))
}

/// Reads and validates `config.json` of a model directory.
///
/// ```
/// use ser_models::{load_card, Arch};
/// let card = load_card(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/linear"))?;
/// assert_eq!(card.model.arch(), Arch::Mlp);
/// assert_eq!(card.features.n_features(), card.model.n_features());
/// assert_eq!(card.labels[0], "neutral");
/// assert!(load_card("no/such/model").is_err());
/// # Ok::<(), ser_models::Error>(())
/// ```
pub fn load_card(dir: impl AsRef<Path>) -> Result<ModelCard> {
    let path = dir.as_ref().join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let card: ModelCard = serde_json::from_str(&text).map_err(|e| Error::BadConfig {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    card.validate(&path)?;
    Ok(card)
}

/// Parses safetensors bytes into f32 tensors, mapping any parse failure to
/// [`Error::CorruptCheckpoint`].
/// The tensors of a safetensors file as stored (any dtype), header checked first.
fn parse_raw(bytes: &[u8], path: &Path) -> Result<HashMap<String, Tensor>> {
    let corrupt = |reason: String| Error::CorruptCheckpoint {
        path: path.to_path_buf(),
        reason,
    };
    // Parse the header with the reference implementation first: it checks offsets and sizes.
    safetensors::SafeTensors::deserialize(bytes).map_err(|e| corrupt(e.to_string()))?;
    candle_core::safetensors::load_buffer(bytes, &Device::Cpu).map_err(|e| corrupt(e.to_string()))
}

/// Every tensor converted to f32.
pub(crate) fn to_f32(map: HashMap<String, Tensor>) -> Result<HashMap<String, Tensor>> {
    map.into_iter()
        .map(|(k, t)| {
            let t = if t.dtype() == DType::F32 {
                t
            } else {
                t.to_dtype(DType::F32)?
            };
            Ok((k, t))
        })
        .collect()
}

/// Builds the architecture of `cfg` and fills it with `weights`, checking that names and
/// shapes match exactly.
pub fn model_from_weights(
    cfg: &ModelConfig,
    weights: &HashMap<String, Tensor>,
) -> Result<(Model, ParamStore)> {
    let params = ParamStore::new(0);
    let model = Model::new(cfg, params.var_builder())?;
    let expected = params.snapshot()?;
    let mut names: Vec<&String> = expected.keys().collect();
    names.sort();
    if let Some(name) = names.iter().find(|n| !weights.contains_key(**n)) {
        return Err(Error::MissingTensor {
            name: (*name).clone(),
        });
    }
    for name in names {
        let want = expected[name].dims();
        match weights.get(name) {
            None => return Err(Error::MissingTensor { name: name.clone() }),
            Some(t) if t.dims() != want => {
                return Err(Error::TensorShape {
                    name: name.clone(),
                    expected: want.to_vec(),
                    got: t.dims().to_vec(),
                })
            }
            Some(_) => {}
        }
    }
    let mut extra: Vec<&String> = weights
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    extra.sort();
    if let Some(name) = extra.first() {
        return Err(Error::UnexpectedTensor {
            name: (*name).clone(),
        });
    }
    params.restore(weights)?;
    Ok((model, params))
}

/// A loaded model directory.
#[derive(Debug)]
pub struct LoadedModel {
    /// The network with its weights.
    pub model: Model,
    /// Its parameters.
    pub params: ParamStore,
    /// The parsed `config.json`.
    pub card: ModelCard,
    /// Directory it was loaded from.
    pub dir: PathBuf,
}

/// Loads and validates a model directory, f32 or quantised (a `quantization.json` beside
/// `config.json`, written by [`crate::quant::quantize_model_dir`]: its weights are
/// dequantised to f32). Every tensor name and shape must match the card's architecture.
///
/// ```
/// use ser_models::{load_model_dir, Error};
/// let m = load_model_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/linear"))?;
/// assert_eq!(m.card.labels.len(), m.card.model.n_classes());
/// assert_eq!(m.params.n_trainable(), 3446 * 8 + 8); // logistic regression: weights + biases
/// assert!(matches!(load_model_dir("no/such/model"), Err(Error::Io { .. })));
/// # Ok::<(), ser_models::Error>(())
/// ```
pub fn load_model_dir(dir: impl AsRef<Path>) -> Result<LoadedModel> {
    let dir = dir.as_ref();
    let card = load_card(dir)?;
    let wpath = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&wpath).map_err(|e| Error::io(&wpath, e))?;
    let raw = parse_raw(&bytes, &wpath)?;
    let weights = match crate::quant::quant_info(dir)? {
        Some(info) => crate::quant::dequantize_weights(raw, &info, &wpath)?,
        None => to_f32(raw)?,
    };
    let (model, params) = model_from_weights(&card.model, &weights)?;
    Ok(LoadedModel {
        model,
        params,
        card,
        dir: dir.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_model_dir_prefers_ser_model_dir_then_falls_back_to_the_source_tree() {
        let name = "model-dir-lookup-test";
        let source = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../models")).join(name);
        assert_eq!(shipped_model_dir(name), source);
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join(name)).unwrap();
        std::fs::write(tmp.path().join(name).join(CONFIG_FILE), "{}").unwrap();
        std::env::set_var("SER_MODEL_DIR", tmp.path());
        assert_eq!(shipped_model_dir(name), tmp.path().join(name));
        std::env::remove_var("SER_MODEL_DIR");
    }
}
