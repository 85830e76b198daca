//! Pieces the example binaries share: workspace-relative paths, the corpus kinds that ship
//! audio in `shared/datasets`, and the speaker-independent protocols by name.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ser_data::{load_corpus, Corpus, CorpusKind, LabelMapping};
use ser_metrics::protocol::{group_k_fold, leave_one_group_out, Fold};

/// The workspace root (the parent of the `examples` package).
pub fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Where a shipped model directory `name` (e.g. `"default"`) is found, first match wins:
/// `$SER_MODEL_DIR/<name>`, `<dir of the binary>/models/<name>` (a copied or `cargo
/// install`ed binary with its models beside it), `$XDG_DATA_HOME/ser/models/<name>` (else
/// `~/.local/share/ser/models/<name>`), and the source tree's `models/<name>`. When none
/// exists the source-tree path is returned, so the error names where it was expected.
pub fn model_dir(name: &str) -> PathBuf {
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
    let source = workspace().join("models").join(name);
    candidates
        .into_iter()
        .find(|c| c.join("config.json").is_file())
        .unwrap_or(source)
}

/// The corpora folder: `$SER_DATASETS`, else `<workspace>/../shared/datasets`.
pub fn datasets() -> PathBuf {
    std::env::var_os("SER_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/datasets"))
}

/// `emodb` or `ravdess` (the audio corpora in `shared/datasets`); anything else is an error.
pub fn corpus_kind(s: &str) -> Result<CorpusKind> {
    Ok(match s {
        "emodb" => CorpusKind::EmoDb,
        "ravdess" => CorpusKind::Ravdess,
        other => bail!("unsupported corpus kind {other} (emodb, ravdess)"),
    })
}

/// The corpora of a comma-separated kind list (`emodb`, `emodb,ravdess`, …) and their
/// union (speakers stay distinct), read from `dir` when one kind is given with a folder,
/// else from the datasets folder.
pub fn load_corpora(kinds: &str, dir: Option<&Path>) -> Result<(Corpus, Vec<CorpusKind>)> {
    let kinds = kinds
        .split(',')
        .map(corpus_kind)
        .collect::<Result<Vec<_>>>()?;
    if kinds.len() > 1 && dir.is_some() {
        bail!(
            "--corpus names one folder; with several kinds each is read from the datasets folder"
        );
    }
    let mut corpora = Vec::new();
    for &kind in &kinds {
        let d = dir
            .map(Path::to_path_buf)
            .unwrap_or_else(|| datasets().join(kind.name()));
        corpora.push(load_corpus(&d, kind).with_context(|| format!("loading {}", d.display()))?);
    }
    let corpus = if corpora.len() == 1 {
        corpora.remove(0)
    } else {
        let name = kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join("+");
        Corpus::concat(name, &corpora)
    };
    Ok((corpus, kinds))
}

/// A label set by name for `corpus` made of `kinds`: `native` (one corpus: its classes;
/// several: every label present, RAVDESS calm merged into neutral) or `four-class`.
pub fn label_mapping(labels: &str, kinds: &[CorpusKind], corpus: &Corpus) -> Result<LabelMapping> {
    Ok(match labels {
        "native" if kinds.len() == 1 => LabelMapping::native(kinds[0])?,
        "native" => LabelMapping::from_corpus(corpus)?.calm_as_neutral(),
        "four-class" => LabelMapping::four_class(),
        other => bail!("unknown label set {other} (native, four-class)"),
    })
}

/// A score with its CI in percent, `"78.4 [76.7, 80.1]"` (result tables).
pub fn pct(m: &ser_models::MetricCi) -> String {
    format!(
        "{:.1} [{:.1}, {:.1}]",
        100.0 * m.estimate,
        100.0 * m.lower,
        100.0 * m.upper
    )
}

/// Speaker folds of a protocol by name: `loso`, `group-kfold:K`, or `none` (`Ok(None)`).
pub fn speaker_folds(protocol: &str, groups: &[String]) -> Result<Option<Vec<Fold>>> {
    if protocol == "none" {
        return Ok(None);
    }
    if protocol == "loso" {
        return Ok(Some(leave_one_group_out(groups)?));
    }
    if let Some(k) = protocol.strip_prefix("group-kfold:") {
        let k: usize = k.parse().context("group-kfold:K needs a number")?;
        return Ok(Some(group_k_fold(groups, k)?));
    }
    bail!("unknown protocol {protocol} (loso, group-kfold:K, none)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_dir_prefers_ser_model_dir_then_falls_back_to_the_source_tree() {
        let name = "model-dir-lookup-test";
        assert_eq!(model_dir(name), workspace().join("models").join(name));
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join(name)).unwrap();
        std::fs::write(tmp.path().join(name).join("config.json"), "{}").unwrap();
        std::env::set_var("SER_MODEL_DIR", tmp.path());
        assert_eq!(model_dir(name), tmp.path().join(name));
        std::env::remove_var("SER_MODEL_DIR");
    }

    #[test]
    fn protocols_and_kinds() {
        let g: Vec<String> = ["a", "a", "b", "c", "c", "d"].map(String::from).to_vec();
        assert_eq!(speaker_folds("loso", &g).unwrap().unwrap().len(), 4);
        assert_eq!(
            speaker_folds("group-kfold:2", &g).unwrap().unwrap().len(),
            2
        );
        assert!(speaker_folds("none", &g).unwrap().is_none());
        assert!(speaker_folds("group-kfold:x", &g).is_err());
        assert!(speaker_folds("kfold", &g).is_err());
        assert_eq!(corpus_kind("ravdess").unwrap(), CorpusKind::Ravdess);
        assert!(corpus_kind("tess").is_err());
    }
}
