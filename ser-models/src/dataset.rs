//! Corpus → model inputs: labels mapped with a `ser-data` [`LabelMapping`], features computed
//! once per corpus and [`FeatureSpec`] through `ser-data`'s [`FeatureCache`] (in parallel),
//! speakers kept as groups for speaker-independent protocols.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ser_data::{CacheStatus, Corpus, FeatureCache, LabelMapping};

use crate::batch::Sequence;
use crate::features::FeatureSpec;
use crate::pipeline::{matrix_to_sequence, FeaturePipeline};
use crate::{Error, Result};

/// Model-ready data of one corpus (after label mapping), in corpus order.
#[derive(Debug, Clone)]
pub struct CorpusData {
    /// Feature sequences.
    pub x: Vec<Sequence>,
    /// Class indices into `labels`.
    pub y: Vec<usize>,
    /// Speaker key of each utterance (`corpus/speaker`).
    pub groups: Vec<String>,
    /// Class names.
    pub labels: Vec<String>,
    /// Audio files.
    pub paths: Vec<PathBuf>,
    /// Whether the features came from the cache.
    pub cache_hit: bool,
}

impl CorpusData {
    /// Number of utterances.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// `true` when there is no utterance.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Distinct speakers, sorted.
    pub fn speakers(&self) -> Vec<String> {
        let mut s = self.groups.clone();
        s.sort();
        s.dedup();
        s
    }

    /// Utterances per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.labels.len()];
        for &y in &self.y {
            c[y] += 1;
        }
        c
    }
}

/// Maps labels, then loads (or computes and caches) the features of every utterance.
///
/// ```no_run
/// use ser_data::{load_corpus, CorpusKind, FeatureCache, LabelMapping};
/// use ser_models::{load_corpus_features, FeatureSpec, LogMelSpec};
/// let corpus = load_corpus("../shared/datasets/emodb", CorpusKind::EmoDb)?;
/// let cache = FeatureCache::new("target/ser-feature-cache")?;
/// let spec = FeatureSpec::LogMel(LogMelSpec::default());
/// let data = load_corpus_features(&corpus, &LabelMapping::four_class(), &spec, &cache)?;
/// assert_eq!(data.labels.len(), 4);
/// assert_eq!((data.y.len(), data.groups.len()), (data.len(), data.len()));
/// assert_eq!(data.x[0].n_features(), spec.n_features());
/// # Ok::<(), ser_models::Error>(())
/// ```
pub fn load_corpus_features(
    corpus: &Corpus,
    mapping: &LabelMapping,
    spec: &FeatureSpec,
    cache: &FeatureCache,
) -> Result<CorpusData> {
    load_corpus_features_from(corpus, mapping, &FeaturePipeline::new(spec)?, cache)
}

/// [`load_corpus_features`] with a pipeline already built (e.g. one Whisper encoder shared
/// with [`load_corpus_features_with`]); same cache entries.
///
/// ```no_run
/// use ser_data::{load_corpus, CorpusKind, FeatureCache, LabelMapping};
/// use ser_models::{load_corpus_features_from, FeaturePipeline, FeatureSpec, MfccSpec};
/// let corpus = load_corpus("../shared/datasets/emodb", CorpusKind::EmoDb)?;
/// let cache = FeatureCache::new("target/ser-feature-cache")?;
/// let pipe = FeaturePipeline::new(&FeatureSpec::Mfcc(MfccSpec::default()))?;
/// let data = load_corpus_features_from(&corpus, &LabelMapping::four_class(), &pipe, &cache)?;
/// assert_eq!(data.labels.len(), 4);
/// assert_eq!(data.x[0].n_features(), pipe.spec().n_features());
/// # Ok::<(), ser_models::Error>(())
/// ```
pub fn load_corpus_features_from(
    corpus: &Corpus,
    mapping: &LabelMapping,
    pipeline: &FeaturePipeline,
    cache: &FeatureCache,
) -> Result<CorpusData> {
    corpus_features(
        corpus,
        mapping,
        pipeline,
        cache,
        &(pipeline.spec(), ser_features::REVISION),
        |_, path, sr| {
            Ok(ser_dsp::Audio::load(path, Some(sr))
                .map_err(Error::from)?
                .samples)
        },
    )
}

/// [`load_corpus_features`] of *transformed* audio, e.g. with noise added for a robustness
/// test or an augmented training copy: `audio(i, path, sr)` returns the samples (at `sr`)
/// to compute the features of utterance `i` (in the order of the label-mapped corpus,
/// i.e. of [`CorpusData`]) from. `variant` names the transformation (anything
/// serialisable, e.g. the augmentation spec, copy index and seed) and is part of the cache
/// key, so every variant is computed once and cached beside the clean features.
pub fn load_corpus_features_with<V, F>(
    corpus: &Corpus,
    mapping: &LabelMapping,
    pipeline: &FeaturePipeline,
    cache: &FeatureCache,
    variant: &V,
    audio: F,
) -> Result<CorpusData>
where
    V: serde::Serialize + ?Sized,
    F: Fn(usize, &Path, u32) -> Result<Vec<f32>> + Sync + Send,
{
    let key = (pipeline.spec(), ser_features::REVISION, "variant", variant);
    corpus_features(corpus, mapping, pipeline, cache, &key, audio)
}

fn corpus_features<K, F>(
    corpus: &Corpus,
    mapping: &LabelMapping,
    pipeline: &FeaturePipeline,
    cache: &FeatureCache,
    key: &K,
    audio: F,
) -> Result<CorpusData>
where
    K: serde::Serialize + ?Sized,
    F: Fn(usize, &Path, u32) -> Result<Vec<f32>> + Sync + Send,
{
    let corpus = corpus.map_labels(mapping);
    if corpus.utterances.is_empty() {
        return Err(Error::InvalidArgument(
            "no utterance left after label mapping".into(),
        ));
    }
    let y = corpus.class_indices(mapping).map_err(Error::from)?;
    let sr = pipeline.sample_rate();
    let index: HashMap<&Path, usize> = corpus
        .utterances
        .iter()
        .enumerate()
        .map(|(i, u)| (u.path.as_path(), i))
        .collect();
    let cached = cache
        .get_or_compute(&corpus, key, |path| -> Result<ndarray::Array2<f32>> {
            let i = *index.get(path).ok_or_else(|| {
                Error::InvalidArgument(format!("{} is not in the corpus", path.display()))
            })?;
            Ok(pipeline.matrix(&audio(i, path, sr)?)?)
        })
        .map_err(Error::from)?;
    let x = cached
        .features
        .iter()
        .map(matrix_to_sequence)
        .collect::<Result<Vec<_>>>()?;
    Ok(CorpusData {
        x,
        y,
        groups: corpus.utterances.iter().map(|u| u.speaker_key()).collect(),
        labels: mapping
            .classes()
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        paths: cached.paths,
        cache_hit: cached.status == CacheStatus::Hit,
    })
}

/// Speaker normalisation: standardises every feature with the mean and standard deviation
/// of its own speaker's frames (labels are not used). A common, transductive step in
/// speaker-independent SER: at test time it needs several unlabelled utterances of the test
/// speaker, so it does not apply to single-file recognition.
pub fn speaker_standardize(x: &mut [Sequence], groups: &[String]) -> Result<()> {
    if x.len() != groups.len() {
        return Err(Error::ShapeMismatch {
            what: "groups".into(),
            expected: x.len().to_string(),
            got: groups.len().to_string(),
        });
    }
    let mut speakers: Vec<&String> = groups.iter().collect();
    speakers.sort();
    speakers.dedup();
    for s in speakers {
        let idx: Vec<usize> = (0..x.len()).filter(|&i| &groups[i] == s).collect();
        let seqs: Vec<Sequence> = idx.iter().map(|&i| x[i].clone()).collect();
        let (mean, inv) = crate::train::fit_standardizer(&seqs)?;
        for &i in &idx {
            let f = x[i].n_features();
            for (k, v) in x[i].data_mut().iter_mut().enumerate() {
                let j = k % f;
                *v = (*v - mean[j]) * inv[j];
            }
        }
    }
    Ok(())
}
