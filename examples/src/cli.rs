//! Pieces the example binaries share: workspace-relative paths, the corpora a binary reads
//! (the kinds that ship audio in `shared/datasets`, or a user's own manifest or label
//! folders, [`CorpusArgs`]), and the speaker-independent protocols by name.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ser_data::{load_corpus, Corpus, CorpusKind, LabelMapping};
use ser_metrics::protocol::{group_k_fold, leave_one_group_out, stratified_group_k_fold, Fold};

/// The workspace root (the parent of the `examples` package).
pub fn workspace() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Where a shipped model directory `name` (e.g. `"default"`) is found:
/// [`ser_models::shipped_model_dir`] (`$SER_MODEL_DIR`, beside the binary, the XDG data
/// directory, then the source tree).
pub fn model_dir(name: &str) -> PathBuf {
    ser_models::shipped_model_dir(name)
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
/// several: every label present, RAVDESS calm merged into neutral; a user's data, no
/// kinds: every label present) or `four-class`.
pub fn label_mapping(labels: &str, kinds: &[CorpusKind], corpus: &Corpus) -> Result<LabelMapping> {
    Ok(match labels {
        "native" if kinds.is_empty() => LabelMapping::from_corpus(corpus)?,
        "native" if kinds.len() == 1 => LabelMapping::native(kinds[0])?,
        "native" => LabelMapping::from_corpus(corpus)?.calm_as_neutral(),
        "four-class" => LabelMapping::four_class(),
        other => bail!("unknown label set {other} (native, four-class)"),
    })
}

/// Where a binary's labelled audio comes from: the built-in corpora (`--corpus-kind`,
/// `--corpus`) or a user's own data (`--manifest`, `--folder`).
#[derive(clap::Args, Debug, Clone)]
pub struct CorpusArgs {
    /// Corpus folder of a built-in kind (default: $SER_DATASETS/KIND or
    /// WORKSPACE/../shared/datasets/KIND).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Built-in corpus kind(s), comma-separated: emodb, ravdess.
    #[arg(long, default_value = "emodb")]
    pub corpus_kind: String,
    /// Your own data: a CSV or JSONL manifest with columns `path,label` (`speaker`, `text`,
    /// `split` optional; paths relative to the manifest's folder).
    #[arg(long, conflicts_with = "folder")]
    pub manifest: Option<PathBuf>,
    /// Your own data: a folder with one subfolder of audio files per label
    /// (`DIR/<label>/*.wav`).
    #[arg(long)]
    pub folder: Option<PathBuf>,
    /// With `--folder`: a regex on the file name whose first capture group (or whole match)
    /// is the speaker, e.g. `^([^_]+)_`.
    #[arg(long, requires = "folder")]
    pub speaker_regex: Option<String>,
    /// With `--manifest` / `--folder`: leave out bad rows and files (missing, unreadable,
    /// empty label, duplicate path), listing and counting them, instead of stopping.
    #[arg(long)]
    pub skip_bad: bool,
}

impl CorpusArgs {
    /// Whether the data is the user's own (`--manifest` / `--folder`).
    pub fn is_user_data(&self) -> bool {
        self.manifest.is_some() || self.folder.is_some()
    }

    /// The corpus and its built-in kinds (none for a user's own data). A user's files are
    /// probed as audio; bad rows stop the run with every problem listed, or with
    /// `--skip-bad` are left out and reported on stderr.
    pub fn load(&self) -> Result<(Corpus, Vec<CorpusKind>)> {
        let corpus = if let Some(m) = &self.manifest {
            let opts = ser_data::ManifestOptions::default()
                .probe_audio(true)
                .skip_bad(self.skip_bad);
            ser_data::read_manifest_with(m, &opts)
                .with_context(|| format!("reading manifest {}", m.display()))?
        } else if let Some(d) = &self.folder {
            let mut opts = ser_data::FolderOptions::default()
                .probe_audio(true)
                .skip_bad(self.skip_bad);
            if let Some(re) = &self.speaker_regex {
                opts = opts.speaker_regex(re)?;
            }
            ser_data::read_label_folders(d, &opts)
                .with_context(|| format!("reading label folders in {}", d.display()))?
        } else {
            return load_corpora(&self.corpus_kind, self.corpus.as_deref());
        };
        if !corpus.rejected.is_empty() {
            eprintln!(
                "skipped {} bad rows/files (--skip-bad), kept {}:",
                corpus.rejected.len(),
                corpus.len()
            );
            for r in corpus.rejected.iter().take(20) {
                eprintln!("  {}: {}", r.path.display(), r.reason);
            }
            if corpus.rejected.len() > 20 {
                eprintln!("  … and {} more", corpus.rejected.len() - 20);
            }
        }
        Ok((corpus, Vec::new()))
    }
}

/// Folds for `protocol` over utterances with speaker `groups` and classes `y`.
///
/// With `has_speakers == false` (a user's data without speaker ids) a speaker-independent
/// protocol is impossible: a loud warning is printed, `groups` become one group per
/// utterance and the folds a stratified k-fold (`loso` is refused); the returned flag is then
/// `true` — every number computed on these folds is speaker-dependent. A class with too few
/// clips or speakers for the protocol is an error naming it.
pub fn protocol_folds(
    protocol: &str,
    groups: &mut [String],
    y: &[usize],
    labels: &[String],
    has_speakers: bool,
) -> Result<(Option<Vec<Fold>>, bool)> {
    if protocol == "none" {
        return Ok((None, !has_speakers));
    }
    if has_speakers {
        check_class_support(protocol, groups, y, labels)?;
        return Ok((speaker_folds(protocol, groups)?, false));
    }
    eprintln!(
        "WARNING: SPEAKER-DEPENDENT EVALUATION. The data names no speakers (add a `speaker` \
         column to the manifest, or --speaker-regex for label folders), so the same voices can \
         be in training and test; every number reported below is speaker-dependent and \
         overestimates accuracy on new speakers. Using a stratified k-fold over utterances."
    );
    let k = match protocol.strip_prefix("group-kfold:") {
        Some(k) => k.parse::<usize>().context("group-kfold:K needs a number")?,
        None => bail!("protocol {protocol} needs speaker ids; use group-kfold:K"),
    };
    for (i, g) in groups.iter_mut().enumerate() {
        *g = format!("utterance-{i}");
    }
    for (c, name) in labels.iter().enumerate() {
        let n = y.iter().filter(|&&v| v == c).count();
        if n < k {
            bail!("label {name:?} has {n} clips; a {k}-fold split needs at least {k}");
        }
    }
    let folds = stratified_group_k_fold(y, groups, k, true, 0)?;
    Ok((Some(folds), true))
}

/// Every class needs clips from at least two speakers (one to test, one to train on) and,
/// for `group-kfold:K`, at least as many clips as folds would leave it somewhere to learn.
fn check_class_support(
    protocol: &str,
    groups: &[String],
    y: &[usize],
    labels: &[String],
) -> Result<()> {
    for (c, name) in labels.iter().enumerate() {
        let mut speakers: Vec<&String> = y
            .iter()
            .zip(groups)
            .filter(|(&v, _)| v == c)
            .map(|(_, g)| g)
            .collect();
        let n = speakers.len();
        speakers.sort();
        speakers.dedup();
        if n == 0 {
            bail!("label {name:?} has no clips");
        }
        if speakers.len() < 2 {
            bail!(
                "label {name:?} has clips from {} speaker(s) only; protocol {protocol} needs \
                 at least 2 (one to test, one to train on)",
                speakers.len()
            );
        }
    }
    Ok(())
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

    #[test]
    fn folds_without_speakers_are_stratified_and_flagged_and_thin_classes_are_named() {
        let labels: Vec<String> = ["calm", "angry"].map(String::from).to_vec();
        let y: Vec<usize> = (0..20).map(|i| i % 2).collect();
        let mut groups = vec!["mine/".to_string(); 20];
        let (folds, dependent) =
            protocol_folds("group-kfold:5", &mut groups, &y, &labels, false).unwrap();
        let folds = folds.unwrap();
        assert!(dependent);
        assert_eq!(folds.len(), 5);
        for f in &folds {
            // Stratified: each test fold holds both classes equally.
            let angry = f.test.iter().filter(|&&i| y[i] == 1).count();
            assert_eq!((f.test.len(), angry), (4, 2));
        }
        assert!(groups.iter().all(|g| g.starts_with("utterance-")));
        let mut g = vec!["x".to_string(); 20];
        assert!(protocol_folds("loso", &mut g, &y, &labels, false).is_err());
        // Too few clips of a class for k folds, and a class spoken by one speaker only.
        let y2: Vec<usize> = (0..20).map(|i| usize::from(i < 3)).collect();
        let e = protocol_folds("group-kfold:5", &mut g, &y2, &labels, false).unwrap_err();
        assert!(e.to_string().contains("\"angry\" has 3 clips"), "{e}");
        let mut spk: Vec<String> = (0..20).map(|i| format!("s{}", i % 4)).collect();
        let y3: Vec<usize> = (0..20).map(|i| usize::from(i % 4 == 0)).collect();
        let e = protocol_folds("group-kfold:2", &mut spk, &y3, &labels, true).unwrap_err();
        assert!(
            e.to_string().contains("\"angry\" has clips from 1 speaker"),
            "{e}"
        );
        let (f, dependent) = protocol_folds("group-kfold:2", &mut spk, &y, &labels, true).unwrap();
        assert!(!dependent && f.unwrap().len() == 2);
    }
}
