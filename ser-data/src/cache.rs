//! A on-disk cache of per-utterance feature matrices.
//!
//! Features for a corpus are computed once (in parallel with rayon) and stored as one
//! safetensors file plus a JSON index:
//!
//! ```text
//! <cache dir>/<key>.safetensors   one f32 tensor per utterance, named by its index ("0", "1", …)
//! <cache dir>/<key>.json          index: format version, key, the config as JSON, and per
//!                                 utterance its path, tensor name and shape
//! ```
//!
//! `key` is a 128-bit FNV-1a hash (32 hex digits) of the format version, the feature config
//! (any [`serde::Serialize`] value, hashed through its JSON form with object keys sorted) and
//! the file list with a fingerprint per file (see [`Fingerprint`]). Changing the config,
//! adding/removing/renaming a file or modifying one gives a new key, so a stale entry is never
//! returned; old entries stay until [`FeatureCache::remove`] or [`FeatureCache::clear`].
//! Files are written to a temporary name and renamed, index last, so an interrupted write
//! leaves no entry that looks valid. An unreadable or inconsistent entry is recomputed.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use rayon::prelude::*;
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::{Corpus, Error, Result};

const FORMAT_VERSION: u32 = 1;

/// How a file's identity enters the cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Fingerprint {
    /// Path, size and modification time (cheap; default).
    #[default]
    Metadata,
    /// Path and a hash of the full content (reads every file; survives copies that reset
    /// modification times, detects same-size edits with a preserved mtime).
    Content,
}

/// Where the features came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheStatus {
    /// Read from an existing entry.
    Hit,
    /// Computed now (and stored).
    Computed,
}

/// Features of a corpus, one matrix per utterance in corpus order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CachedFeatures {
    /// The cache key (32 hex digits).
    pub key: String,
    /// The audio paths, in corpus order.
    pub paths: Vec<PathBuf>,
    /// One feature matrix per utterance, as returned by the feature function.
    pub features: Vec<Array2<f32>>,
    /// Whether the entry was read or computed.
    pub status: CacheStatus,
}

#[derive(Debug, Serialize, Deserialize)]
struct Index {
    version: u32,
    key: String,
    config: serde_json::Value,
    entries: Vec<IndexEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct IndexEntry {
    path: PathBuf,
    tensor: String,
    shape: [usize; 2],
}

/// An on-disk feature cache rooted at a directory.
///
/// ```
/// use ndarray::Array2;
/// use ser_data::{CacheStatus, Corpus, EmotionLabel, FeatureCache, Utterance};
///
/// let tmp = tempfile::tempdir()?;
/// let wav = tmp.path().join("a.wav");
/// std::fs::write(&wav, b"fake audio")?;
/// let corpus = Corpus::new("toy", tmp.path(), vec![Utterance::new(&wav, "toy", EmotionLabel::Anger, "s1")]);
///
/// #[derive(serde::Serialize)]
/// struct Cfg { n_mfcc: usize }
/// let cache = FeatureCache::new(tmp.path().join("cache"))?;
/// let extract = |_p: &std::path::Path| -> Result<Array2<f32>, std::io::Error> { Ok(Array2::zeros((13, 4))) };
///
/// let first = cache.get_or_compute(&corpus, &Cfg { n_mfcc: 13 }, extract)?;
/// assert_eq!(first.status, CacheStatus::Computed);
/// let again = cache.get_or_compute(&corpus, &Cfg { n_mfcc: 13 }, extract)?;
/// assert_eq!(again.status, CacheStatus::Hit);
/// assert_eq!(again.features, first.features);
/// // A different config is a different entry.
/// let other = cache.get_or_compute(&corpus, &Cfg { n_mfcc: 20 }, extract)?;
/// assert_eq!(other.status, CacheStatus::Computed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FeatureCache {
    dir: PathBuf,
    fingerprint: Fingerprint,
}

impl FeatureCache {
    /// A cache in `dir` (created if missing) with [`Fingerprint::Metadata`].
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(FeatureCache {
            dir,
            fingerprint: Fingerprint::default(),
        })
    }

    /// Sets how files are fingerprinted. Default: [`Fingerprint::Metadata`].
    pub fn fingerprint(mut self, fingerprint: Fingerprint) -> Self {
        self.fingerprint = fingerprint;
        self
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key for `corpus` under `config` (reads file metadata or content).
    pub fn key<C: Serialize + ?Sized>(&self, corpus: &Corpus, config: &C) -> Result<String> {
        let config = serde_json::to_value(config)?;
        self.key_for(corpus, &config)
    }

    fn key_for(&self, corpus: &Corpus, config: &serde_json::Value) -> Result<String> {
        let mut h = Fnv128::new();
        h.update(&FORMAT_VERSION.to_le_bytes());
        h.update(serde_json::to_string(config)?.as_bytes());
        h.update(&[0xff]);
        h.update(&(corpus.utterances.len() as u64).to_le_bytes());
        for u in &corpus.utterances {
            let p = &u.path;
            h.update(p.to_string_lossy().as_bytes());
            h.update(&[0]);
            match self.fingerprint {
                Fingerprint::Metadata => {
                    let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
                    h.update(&meta.len().to_le_bytes());
                    let mtime = meta
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_nanos());
                    h.update(&mtime.to_le_bytes());
                }
                Fingerprint::Content => {
                    let bytes = std::fs::read(p).map_err(|e| Error::io(p, e))?;
                    h.update(&(bytes.len() as u64).to_le_bytes());
                    h.update(&Fnv128::digest(&bytes).to_le_bytes());
                }
            }
        }
        Ok(format!("{:032x}", h.finish()))
    }

    fn files(&self, key: &str) -> (PathBuf, PathBuf) {
        (
            self.dir.join(format!("{key}.safetensors")),
            self.dir.join(format!("{key}.json")),
        )
    }

    /// The cached features of `corpus` under `config`, or `None` when there is no entry.
    ///
    /// Errors with [`Error::Cache`] when an entry exists but is unreadable or does not match
    /// the corpus.
    pub fn load<C: Serialize + ?Sized>(
        &self,
        corpus: &Corpus,
        config: &C,
    ) -> Result<Option<CachedFeatures>> {
        let key = self.key(corpus, config)?;
        self.load_key(corpus, &key)
    }

    fn load_key(&self, corpus: &Corpus, key: &str) -> Result<Option<CachedFeatures>> {
        let (data_path, index_path) = self.files(key);
        if !index_path.is_file() {
            return Ok(None);
        }
        let bad = |path: &Path, message: String| Error::Cache {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(&index_path).map_err(|e| Error::io(&index_path, e))?;
        let index: Index =
            serde_json::from_str(&text).map_err(|e| bad(&index_path, format!("bad index: {e}")))?;
        if index.version != FORMAT_VERSION || index.key != key {
            return Err(bad(&index_path, "index version or key mismatch".into()));
        }
        if index.entries.len() != corpus.utterances.len()
            || index
                .entries
                .iter()
                .zip(&corpus.utterances)
                .any(|(e, u)| e.path != u.path)
        {
            return Err(bad(&index_path, "file list differs from the corpus".into()));
        }
        let bytes = std::fs::read(&data_path).map_err(|e| Error::io(&data_path, e))?;
        let st = SafeTensors::deserialize(&bytes).map_err(|e| bad(&data_path, e.to_string()))?;
        let mut features = Vec::with_capacity(index.entries.len());
        for e in &index.entries {
            let t = st
                .tensor(&e.tensor)
                .map_err(|err| bad(&data_path, format!("tensor {}: {err}", e.tensor)))?;
            if t.dtype() != Dtype::F32 || t.shape() != e.shape {
                return Err(bad(
                    &data_path,
                    format!(
                        "tensor {}: expected F32 {:?}, got {:?} {:?}",
                        e.tensor,
                        e.shape,
                        t.dtype(),
                        t.shape()
                    ),
                ));
            }
            let values: Vec<f32> = t
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let a = Array2::from_shape_vec((e.shape[0], e.shape[1]), values)
                .map_err(|err| bad(&data_path, err.to_string()))?;
            features.push(a);
        }
        Ok(Some(CachedFeatures {
            key: key.to_string(),
            paths: index.entries.into_iter().map(|e| e.path).collect(),
            features,
            status: CacheStatus::Hit,
        }))
    }

    /// Returns the cached features of `corpus` under `config`, computing them with `extract`
    /// (in parallel over utterances, rayon) and storing them when there is no valid entry.
    ///
    /// `extract` gets each utterance's audio path and returns its feature matrix (any shape,
    /// e.g. `(n_mfcc, n_frames)`). Its first error is returned as [`Error::Compute`] naming the
    /// file, and nothing is stored.
    pub fn get_or_compute<C, F, E>(
        &self,
        corpus: &Corpus,
        config: &C,
        extract: F,
    ) -> Result<CachedFeatures>
    where
        C: Serialize + ?Sized,
        F: Fn(&Path) -> std::result::Result<Array2<f32>, E> + Sync + Send,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let config = serde_json::to_value(config)?;
        let key = self.key_for(corpus, &config)?;
        match self.load_key(corpus, &key) {
            Ok(Some(hit)) => return Ok(hit),
            // Missing or damaged: (re)compute below.
            Ok(None) | Err(Error::Cache { .. }) => {}
            Err(e) => return Err(e),
        }
        let features = corpus
            .utterances
            .par_iter()
            .map(|u| {
                extract(&u.path).map_err(|e| Error::Compute {
                    path: u.path.clone(),
                    source: e.into(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.store(corpus, &key, config, &features)?;
        Ok(CachedFeatures {
            key,
            paths: corpus.utterances.iter().map(|u| u.path.clone()).collect(),
            features,
            status: CacheStatus::Computed,
        })
    }

    fn store(
        &self,
        corpus: &Corpus,
        key: &str,
        config: serde_json::Value,
        features: &[Array2<f32>],
    ) -> Result<()> {
        let (data_path, index_path) = self.files(key);
        let bytes: Vec<Vec<u8>> = features
            .iter()
            .map(|a| a.iter().flat_map(|x| x.to_le_bytes()).collect())
            .collect();
        let mut views = Vec::with_capacity(features.len());
        let mut entries = Vec::with_capacity(features.len());
        for (i, ((a, b), u)) in features
            .iter()
            .zip(&bytes)
            .zip(&corpus.utterances)
            .enumerate()
        {
            let shape = [a.nrows(), a.ncols()];
            let view = safetensors::tensor::TensorView::new(Dtype::F32, shape.to_vec(), b)
                .map_err(|e| Error::Cache {
                    path: data_path.clone(),
                    message: e.to_string(),
                })?;
            views.push((i.to_string(), view));
            entries.push(IndexEntry {
                path: u.path.clone(),
                tensor: i.to_string(),
                shape,
            });
        }
        let data = safetensors::serialize(views, &None).map_err(|e| Error::Cache {
            path: data_path.clone(),
            message: e.to_string(),
        })?;
        write_atomic(&data_path, &data)?;
        let index = Index {
            version: FORMAT_VERSION,
            key: key.to_string(),
            config,
            entries,
        };
        write_atomic(
            &index_path,
            serde_json::to_string_pretty(&index)?.as_bytes(),
        )
    }

    /// Removes the entry with `key` (no error if absent).
    pub fn remove(&self, key: &str) -> Result<()> {
        let (data_path, index_path) = self.files(key);
        for p in [index_path, data_path] {
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&p, e)),
            }
        }
        Ok(())
    }

    /// Removes every entry (`*.safetensors` / `*.json` files whose stem is a 32-hex-digit
    /// key) from the cache directory; other files are left alone.
    pub fn clear(&self) -> Result<()> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&self.dir, e))?;
            let path = entry.path();
            let is_key = path
                .file_stem()
                .and_then(|s| s.to_str())
                .is_some_and(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()));
            let ext_ok = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e == "json" || e == "safetensors");
            if is_key && ext_ok {
                std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        Ok(())
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

/// 128-bit FNV-1a (stable across platforms and releases, unlike `std`'s hasher).
struct Fnv128(u128);

impl Fnv128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;

    fn new() -> Self {
        Fnv128(Self::OFFSET)
    }

    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u128::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    fn finish(&self) -> u128 {
        self.0
    }

    fn digest(bytes: &[u8]) -> u128 {
        let mut h = Fnv128::new();
        h.update(bytes);
        h.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EmotionLabel, Utterance};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn fnv128_reference_vectors() {
        // Published FNV-1a 128-bit test vectors.
        assert_eq!(Fnv128::digest(b""), 0x6c62272e07bb014262b821756295c58d);
        assert_eq!(Fnv128::digest(b"a"), 0xd228cb696f1a8caf78912b704e4a8964);
    }

    fn toy(dir: &Path, n: usize) -> Corpus {
        let utts = (0..n)
            .map(|i| {
                let p = dir.join(format!("f{i}.wav"));
                std::fs::write(&p, vec![i as u8; 10 + i]).expect("write");
                Utterance::new(p, "toy", EmotionLabel::Neutral, format!("s{}", i % 2))
            })
            .collect();
        Corpus::new("toy", dir, utts)
    }

    #[derive(Serialize)]
    struct Cfg {
        n: usize,
    }

    fn feat(p: &Path) -> std::result::Result<Array2<f32>, std::io::Error> {
        let len = std::fs::metadata(p)?.len() as usize;
        Ok(Array2::from_shape_fn((3, len), |(i, j)| {
            (i * 100 + j) as f32 + 0.5
        }))
    }

    #[test]
    fn hit_miss_and_invalidation() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let corpus = toy(tmp.path(), 5);
        let cache = FeatureCache::new(tmp.path().join("c")).expect("cache");
        let calls = AtomicUsize::new(0);
        let f = |p: &Path| {
            calls.fetch_add(1, Ordering::SeqCst);
            feat(p)
        };
        let a = cache
            .get_or_compute(&corpus, &Cfg { n: 1 }, f)
            .expect("compute");
        assert_eq!(a.status, CacheStatus::Computed);
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        let b = cache
            .get_or_compute(&corpus, &Cfg { n: 1 }, f)
            .expect("hit");
        assert_eq!(b.status, CacheStatus::Hit);
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        assert_eq!(a.features, b.features);
        assert_eq!(b.features[4].dim(), (3, 14));

        // Config change → miss.
        let c = cache
            .get_or_compute(&corpus, &Cfg { n: 2 }, f)
            .expect("cfg");
        assert_eq!(c.status, CacheStatus::Computed);
        assert_ne!(c.key, a.key);

        // File list change → miss.
        let sub = corpus.subset(&[0, 1, 2]).expect("subset");
        assert_ne!(cache.key(&sub, &Cfg { n: 1 }).expect("key"), a.key);

        // File content change (size differs) → miss, new features.
        std::fs::write(&corpus.utterances[0].path, vec![0u8; 30]).expect("write");
        let d = cache
            .get_or_compute(&corpus, &Cfg { n: 1 }, f)
            .expect("changed");
        assert_eq!(d.status, CacheStatus::Computed);
        assert_eq!(d.features[0].dim(), (3, 30));
    }

    #[test]
    fn content_fingerprint_sees_same_size_edits() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let corpus = toy(tmp.path(), 2);
        let cache = FeatureCache::new(tmp.path().join("c"))
            .expect("cache")
            .fingerprint(Fingerprint::Content);
        let k1 = cache.key(&corpus, &Cfg { n: 1 }).expect("key");
        std::fs::write(&corpus.utterances[1].path, vec![9u8; 11]).expect("write");
        let k2 = cache.key(&corpus, &Cfg { n: 1 }).expect("key");
        assert_ne!(k1, k2);
    }

    #[test]
    fn damaged_entry_is_recomputed_and_errors_propagate() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let corpus = toy(tmp.path(), 3);
        let cache = FeatureCache::new(tmp.path().join("c")).expect("cache");
        let a = cache
            .get_or_compute(&corpus, &Cfg { n: 1 }, feat)
            .expect("compute");
        std::fs::write(cache.dir().join(format!("{}.safetensors", a.key)), b"junk")
            .expect("corrupt");
        assert!(matches!(
            cache.load(&corpus, &Cfg { n: 1 }),
            Err(Error::Cache { .. })
        ));
        let b = cache
            .get_or_compute(&corpus, &Cfg { n: 1 }, feat)
            .expect("recompute");
        assert_eq!(b.status, CacheStatus::Computed);
        assert_eq!(a.features, b.features);

        let failing = |p: &Path| -> std::result::Result<Array2<f32>, std::io::Error> {
            if p.ends_with("f1.wav") {
                Err(std::io::Error::other("boom"))
            } else {
                feat(p)
            }
        };
        let err = cache
            .get_or_compute(&corpus, &Cfg { n: 7 }, failing)
            .expect_err("must fail");
        match err {
            Error::Compute { path, .. } => assert!(path.ends_with("f1.wav")),
            other => panic!("unexpected {other}"),
        }
        assert!(cache.load(&corpus, &Cfg { n: 7 }).expect("load").is_none());

        cache.clear().expect("clear");
        assert!(cache.load(&corpus, &Cfg { n: 1 }).expect("load").is_none());
    }
}
