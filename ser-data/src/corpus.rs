//! Utterances, corpora and the `load_corpus` entry point.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::corpora::{self, ParseFn, Parsed};
use crate::{EmotionLabel, Error, Gender, Intensity, LabelMapping, Result, Split};

/// One recording with everything its corpus documents about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Utterance {
    /// The audio file.
    pub path: PathBuf,
    /// Name of the corpus it came from (`"emodb"`, `"ravdess"`, … or the manifest's name).
    pub corpus: String,
    /// Label in the common label space.
    pub label: EmotionLabel,
    /// The corpus's own label code (EmoDB `W`, RAVDESS `05`, CREMA-D `ANG`, TESS `ps`, …).
    pub raw_label: String,
    /// Speaker id as written by the corpus (EmoDB `"03"`, RAVDESS actor `"12"`, CREMA-D
    /// `"1001"`, TESS `"OAF"`, SAVEE `"DC"`).
    pub speaker: String,
    /// Speaker gender (documented value, or [`Gender::Unknown`]).
    pub gender: Gender,
    /// Speaker age in years when documented.
    pub age: Option<u32>,
    /// Id of the read sentence/word (EmoDB `a01`, RAVDESS `01`, CREMA-D `DFA`, TESS word).
    pub sentence_id: Option<String>,
    /// What was said, when the corpus documents it.
    pub transcript: Option<String>,
    /// Emotional intensity when annotated (RAVDESS, CREMA-D).
    pub intensity: Option<Intensity>,
    /// Predefined partition from a manifest's `split` column.
    pub split: Option<Split>,
}

impl Utterance {
    /// An utterance with the required fields; the optional ones start empty / unknown and
    /// `raw_label` is the label's canonical name.
    pub fn new(
        path: impl Into<PathBuf>,
        corpus: impl Into<String>,
        label: EmotionLabel,
        speaker: impl Into<String>,
    ) -> Self {
        Utterance {
            path: path.into(),
            corpus: corpus.into(),
            raw_label: label.to_string(),
            label,
            speaker: speaker.into(),
            gender: Gender::Unknown,
            age: None,
            sentence_id: None,
            transcript: None,
            intensity: None,
            split: None,
        }
    }

    /// Sets the gender.
    pub fn with_gender(mut self, gender: Gender) -> Self {
        self.gender = gender;
        self
    }

    /// Sets the transcript.
    pub fn with_transcript(mut self, transcript: impl Into<String>) -> Self {
        self.transcript = Some(transcript.into());
        self
    }

    /// Sets the sentence id.
    pub fn with_sentence_id(mut self, id: impl Into<String>) -> Self {
        self.sentence_id = Some(id.into());
        self
    }

    /// Sets the split.
    pub fn with_split(mut self, split: Split) -> Self {
        self.split = Some(split);
        self
    }

    /// The speaker key used for grouping: `corpus/speaker`, so speakers of different corpora
    /// never collide when corpora are [`concat`](Corpus::concat)enated.
    pub fn speaker_key(&self) -> String {
        format!("{}/{}", self.corpus, self.speaker)
    }

    fn from_parsed(path: PathBuf, corpus: &str, p: Parsed) -> Self {
        Utterance {
            path,
            corpus: corpus.to_string(),
            label: p.label,
            raw_label: p.raw_label,
            speaker: p.speaker,
            gender: p.gender,
            age: p.age,
            sentence_id: p.sentence_id,
            transcript: p.transcript,
            intensity: p.intensity,
            split: None,
        }
    }
}

/// An audio file that was skipped because its name breaks the corpus's naming scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// The file.
    pub path: PathBuf,
    /// Why it was rejected.
    pub reason: String,
}

/// The corpora with a built-in loader, plus generic manifests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CorpusKind {
    /// Berlin EmoDB: `SSTTTEV.wav`, 7 classes, 10 speakers.
    EmoDb,
    /// RAVDESS speech: `MM-VV-EE-II-SS-RR-AA.{wav,flac}`, 8 classes, 24 actors.
    Ravdess,
    /// CREMA-D: `1001_DFA_ANG_XX.wav`, 6 classes, 91 actors.
    CremaD,
    /// TESS: `OAF_back_angry.wav`, 7 classes, 2 speakers.
    Tess,
    /// SAVEE: `DC/a01.wav` or `DC_a01.wav`, 7 classes, 4 speakers.
    Savee,
    /// A CSV/JSONL manifest (`manifest.csv` or `manifest.jsonl` in the folder); see
    /// [`read_manifest`](crate::read_manifest).
    Manifest,
}

impl CorpusKind {
    /// The corpora with file-name loaders (everything but [`Manifest`](Self::Manifest)).
    pub const BUILT_IN: [CorpusKind; 5] = [
        CorpusKind::EmoDb,
        CorpusKind::Ravdess,
        CorpusKind::CremaD,
        CorpusKind::Tess,
        CorpusKind::Savee,
    ];

    /// Short lower-case name: `emodb`, `ravdess`, `crema-d`, `tess`, `savee`, `manifest`.
    pub fn name(self) -> &'static str {
        match self {
            CorpusKind::EmoDb => "emodb",
            CorpusKind::Ravdess => "ravdess",
            CorpusKind::CremaD => "crema-d",
            CorpusKind::Tess => "tess",
            CorpusKind::Savee => "savee",
            CorpusKind::Manifest => "manifest",
        }
    }

    /// The labels this corpus defines, in the common canonical order
    /// ([`EmotionLabel::NAMED`]); empty for [`Manifest`](Self::Manifest).
    pub fn labels(self) -> Vec<EmotionLabel> {
        use EmotionLabel as E;
        let present: &[EmotionLabel] = match self {
            CorpusKind::EmoDb => &[
                E::Neutral,
                E::Happiness,
                E::Sadness,
                E::Anger,
                E::Fear,
                E::Disgust,
                E::Boredom,
            ],
            CorpusKind::Ravdess => &corpora::ravdess::EMOTIONS,
            CorpusKind::CremaD => &[
                E::Neutral,
                E::Happiness,
                E::Sadness,
                E::Anger,
                E::Fear,
                E::Disgust,
            ],
            CorpusKind::Tess | CorpusKind::Savee => &[
                E::Neutral,
                E::Happiness,
                E::Sadness,
                E::Anger,
                E::Fear,
                E::Disgust,
                E::Surprise,
            ],
            CorpusKind::Manifest => &[],
        };
        EmotionLabel::NAMED
            .iter()
            .filter(|l| present.contains(l))
            .cloned()
            .collect()
    }

    /// Parses one audio path with this corpus's naming scheme.
    ///
    /// Errors with [`Error::MalformedName`] (naming the reason) when the name does not follow
    /// the scheme, and with [`Error::InvalidArgument`] for [`Manifest`](Self::Manifest),
    /// which has no naming scheme. Gender for CREMA-D is [`Gender::Unknown`] here (see
    /// [`load_corpus`]).
    ///
    /// ```
    /// use ser_data::{CorpusKind, EmotionLabel};
    /// let u = CorpusKind::EmoDb.parse_path("wav/03a01Wa.wav").unwrap();
    /// assert_eq!(u.label, EmotionLabel::Anger);
    /// assert_eq!(u.speaker, "03");
    /// assert!(CorpusKind::EmoDb.parse_path("wav/03a01Xa.wav").is_err());
    /// ```
    pub fn parse_path(self, path: impl AsRef<Path>) -> Result<Utterance> {
        let path = path.as_ref();
        let parse = self.parser().ok_or_else(|| {
            Error::InvalidArgument("manifest corpora have no file-name scheme".into())
        })?;
        parse(path)
            .map(|p| Utterance::from_parsed(path.to_path_buf(), self.name(), p))
            .map_err(|reason| Error::MalformedName {
                path: path.to_path_buf(),
                corpus: self.name().to_string(),
                reason,
            })
    }

    fn parser(self) -> Option<ParseFn> {
        match self {
            CorpusKind::EmoDb => Some(corpora::emodb::parse),
            CorpusKind::Ravdess => Some(corpora::ravdess::parse),
            CorpusKind::CremaD => Some(corpora::cremad::parse),
            CorpusKind::Tess => Some(corpora::tess::parse),
            CorpusKind::Savee => Some(corpora::savee::parse),
            CorpusKind::Manifest => None,
        }
    }

    /// Detects the corpus kind of `dir` from its file names.
    ///
    /// Every built-in parser is tried on (up to 500 of) the audio files; the kind that accepts
    /// the most wins if it accepts at least half of them. If no naming scheme fits and the
    /// folder holds `manifest.csv` or `manifest.jsonl`, the result is
    /// [`Manifest`](Self::Manifest). Otherwise [`Error::DetectionFailed`].
    pub fn detect(dir: impl AsRef<Path>) -> Result<CorpusKind> {
        let dir = dir.as_ref();
        let files = audio_files(dir)?;
        let sample = &files[..files.len().min(500)];
        let mut best: Option<(CorpusKind, usize)> = None;
        for kind in CorpusKind::BUILT_IN {
            let Some(parse) = kind.parser() else { continue };
            let ok = sample.iter().filter(|p| parse(p).is_ok()).count();
            if ok > 0 && best.is_none_or(|(_, b)| ok > b) {
                best = Some((kind, ok));
            }
        }
        if let Some((kind, ok)) = best {
            if 2 * ok >= sample.len() {
                return Ok(kind);
            }
        }
        if find_manifest(dir).is_some() {
            return Ok(CorpusKind::Manifest);
        }
        Err(Error::DetectionFailed {
            dir: dir.to_path_buf(),
            reason: match best {
                Some((kind, ok)) => format!(
                    "best match {} accepts only {ok} of {} audio files, and there is no manifest",
                    kind.name(),
                    sample.len()
                ),
                None => format!(
                    "no naming scheme matches any of {} audio files, and there is no manifest",
                    sample.len()
                ),
            },
        })
    }
}

impl fmt::Display for CorpusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CorpusKind {
    type Err = Error;

    /// Accepts the [`name`](CorpusKind::name)s, case-insensitively, plus `cremad`/`crema_d`.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_lowercase().as_str() {
            "emodb" | "emo-db" | "berlin" => Ok(CorpusKind::EmoDb),
            "ravdess" => Ok(CorpusKind::Ravdess),
            "crema-d" | "cremad" | "crema_d" | "crema" => Ok(CorpusKind::CremaD),
            "tess" => Ok(CorpusKind::Tess),
            "savee" => Ok(CorpusKind::Savee),
            "manifest" => Ok(CorpusKind::Manifest),
            _ => Err(Error::UnknownCorpus {
                expected: "emodb, ravdess, crema-d, tess, savee, manifest".into(),
                got: s.to_string(),
            }),
        }
    }
}

/// Options for [`load_corpus_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoadOptions {
    /// Fail with [`Error::MalformedName`] on the first audio file whose name breaks the
    /// naming scheme instead of listing it in [`Corpus::rejected`]. Default: `false`.
    pub strict: bool,
    /// CREMA-D demographics table (`ActorID`, `Sex`, `Age` columns) used for gender and age.
    /// Default: `None` = use `VideoDemographics.csv` from the corpus folder or its parent if
    /// present, else leave gender unknown.
    pub demographics: Option<PathBuf>,
}

impl LoadOptions {
    /// Sets [`strict`](Self::strict).
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Sets [`demographics`](Self::demographics).
    pub fn demographics(mut self, path: impl Into<PathBuf>) -> Self {
        self.demographics = Some(path.into());
        self
    }
}

/// A loaded corpus: utterances sorted by path, plus the audio files that were rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Corpus {
    /// Corpus name (`"emodb"`, …, or the manifest's file stem).
    pub name: String,
    /// The folder (or manifest file) it was loaded from.
    pub root: PathBuf,
    /// The kind used to load it, `None` for concatenations.
    pub kind: Option<CorpusKind>,
    /// The utterances, sorted by path.
    pub utterances: Vec<Utterance>,
    /// Audio files skipped because their names break the naming scheme (empty in strict
    /// mode, which errors instead).
    pub rejected: Vec<Rejection>,
}

/// Loads the corpus in `dir` with the naming scheme of `kind` (lenient: malformed names go
/// to [`Corpus::rejected`]).
///
/// Walks `dir` recursively (following symlinks, skipping names that start with `.`), keeps
/// `.wav` and `.flac` files (case-insensitive extension; other files such as READMEs, CSVs
/// or `.mp3` copies are ignored), parses each name, and sorts the result by path.
/// For [`CorpusKind::Manifest`], reads `dir/manifest.csv` or `dir/manifest.jsonl`.
///
/// Errors: [`Error::NotADirectory`], [`Error::Io`], [`Error::EmptyCorpus`] when no
/// utterance was accepted, and manifest errors.
pub fn load_corpus(dir: impl AsRef<Path>, kind: CorpusKind) -> Result<Corpus> {
    load_corpus_with(dir, kind, &LoadOptions::default())
}

/// [`load_corpus`] with the corpus kind [detected](CorpusKind::detect) from the file names.
pub fn load_corpus_auto(dir: impl AsRef<Path>) -> Result<Corpus> {
    let kind = CorpusKind::detect(dir.as_ref())?;
    load_corpus(dir, kind)
}

/// [`load_corpus`] with options (strict mode, CREMA-D demographics).
pub fn load_corpus_with(
    dir: impl AsRef<Path>,
    kind: CorpusKind,
    options: &LoadOptions,
) -> Result<Corpus> {
    let dir = dir.as_ref();
    if !dir.is_dir() {
        return Err(Error::NotADirectory(dir.to_path_buf()));
    }
    let Some(parse) = kind.parser() else {
        let manifest = find_manifest(dir).ok_or_else(|| Error::DetectionFailed {
            dir: dir.to_path_buf(),
            reason: "no manifest.csv or manifest.jsonl in the folder".into(),
        })?;
        return crate::manifest::read_manifest(manifest);
    };
    let mut utterances = Vec::new();
    let mut rejected = Vec::new();
    for path in audio_files(dir)? {
        match parse(&path) {
            Ok(p) => utterances.push(Utterance::from_parsed(path, kind.name(), p)),
            Err(reason) if options.strict => {
                return Err(Error::MalformedName {
                    path,
                    corpus: kind.name().to_string(),
                    reason,
                })
            }
            Err(reason) => rejected.push(Rejection { path, reason }),
        }
    }
    if utterances.is_empty() {
        return Err(Error::EmptyCorpus {
            dir: dir.to_path_buf(),
            corpus: kind.name().to_string(),
            rejected: rejected.len(),
        });
    }
    if kind == CorpusKind::CremaD {
        let demo = options.demographics.clone().or_else(|| {
            [Some(dir), dir.parent()]
                .into_iter()
                .flatten()
                .map(|d| d.join(corpora::cremad::DEMOGRAPHICS_FILE))
                .find(|p| p.is_file())
        });
        if let Some(demo) = demo {
            let table = corpora::cremad::read_demographics(&demo)?;
            for u in &mut utterances {
                if let Some((gender, age)) = table.get(&u.speaker) {
                    u.gender = *gender;
                    u.age = *age;
                }
            }
        }
    }
    Ok(Corpus {
        name: kind.name().to_string(),
        root: dir.to_path_buf(),
        kind: Some(kind),
        utterances,
        rejected,
    })
}

/// `manifest.csv` or `manifest.jsonl` in `dir`, if present.
fn find_manifest(dir: &Path) -> Option<PathBuf> {
    ["manifest.csv", "manifest.jsonl"]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Whether `path` has an audio extension this crate loads as a corpus utterance (`wav`,
/// `flac`): a deliberate subset of `ser_dsp::audio::AUDIO_EXTENSIONS`, because corpora ship
/// lossy `.mp3`/`.ogg` previews beside their masters and an utterance must not count twice.
pub(crate) fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("wav") || e.eq_ignore_ascii_case("flac"))
}

/// All `.wav`/`.flac` files under `dir`, sorted, skipping dot-files and dot-folders.
pub(crate) fn audio_files(dir: &Path) -> Result<Vec<PathBuf>> {
    walk_files(dir, &is_audio)
}

/// Every file under `dir` (recursively, following symlinks up to 16 folders deep, skipping
/// names that start with `.`) for which `keep` is true, sorted by path.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("ser-walk-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("a"))?;
/// std::fs::write(dir.join("a/x.wav"), b"")?;
/// std::fs::write(dir.join("notes.txt"), b"")?;
/// let wavs = ser_data::walk_files(&dir, &|p| p.extension().is_some_and(|e| e == "wav"))?;
/// assert_eq!(wavs, vec![dir.join("a/x.wav")]);
/// assert!(ser_data::walk_files(dir.join("missing"), &|_| true).is_err());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Errors: [`Error::NotADirectory`], [`Error::Io`].
pub fn walk_files(dir: impl AsRef<Path>, keep: &dyn Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    if !dir.is_dir() {
        return Err(Error::NotADirectory(dir.to_path_buf()));
    }
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| Error::io(&d, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&d, e))?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden {
                continue;
            }
            let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
            if meta.is_dir() {
                // Bounded depth guards against symlink cycles.
                if depth < 16 {
                    stack.push((path, depth + 1));
                }
            } else if meta.is_file() && keep(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Counts per category, as returned by [`Corpus::summary`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CorpusSummary {
    /// Number of utterances.
    pub n_utterances: usize,
    /// Utterances per label.
    pub per_label: BTreeMap<EmotionLabel, usize>,
    /// Utterances per speaker key (`corpus/speaker`).
    pub per_speaker: BTreeMap<String, usize>,
    /// Speakers per gender.
    pub speakers_per_gender: BTreeMap<Gender, usize>,
    /// Utterances per gender.
    pub per_gender: BTreeMap<Gender, usize>,
    /// Number of distinct sentence ids.
    pub n_sentences: usize,
    /// Number of rejected files.
    pub n_rejected: usize,
}

impl Corpus {
    /// A corpus from utterances (sorted by path here).
    pub fn new(
        name: impl Into<String>,
        root: impl Into<PathBuf>,
        mut utterances: Vec<Utterance>,
    ) -> Self {
        utterances.sort_by(|a, b| a.path.cmp(&b.path));
        Corpus {
            name: name.into(),
            root: root.into(),
            kind: None,
            utterances,
            rejected: Vec::new(),
        }
    }

    /// Number of utterances.
    pub fn len(&self) -> usize {
        self.utterances.len()
    }

    /// Whether the corpus has no utterances.
    pub fn is_empty(&self) -> bool {
        self.utterances.is_empty()
    }

    /// Errors with [`Error::MalformedName`] for the first rejected file, if any.
    pub fn ensure_no_rejections(&self) -> Result<()> {
        match self.rejected.first() {
            None => Ok(()),
            Some(r) => Err(Error::MalformedName {
                path: r.path.clone(),
                corpus: self.name.clone(),
                reason: format!(
                    "{} ({} files rejected in total)",
                    r.reason,
                    self.rejected.len()
                ),
            }),
        }
    }

    /// Whether every utterance names its speaker (a manifest without a `speaker` column, or
    /// a label folder without `speaker_regex`, leaves them unknown: `""`). Speaker-independent
    /// protocols need speakers.
    pub fn has_speakers(&self) -> bool {
        self.utterances.iter().all(|u| !u.speaker.is_empty())
    }

    /// The distinct speaker keys (`corpus/speaker`), sorted.
    pub fn speakers(&self) -> Vec<String> {
        let set: BTreeSet<String> = self.utterances.iter().map(Utterance::speaker_key).collect();
        set.into_iter().collect()
    }

    /// Per utterance, the index of its speaker in [`speakers`](Self::speakers) — the `groups`
    /// argument of the `ser-metrics` group protocols.
    pub fn speaker_groups(&self) -> Vec<usize> {
        let index: HashMap<String, usize> = self
            .speakers()
            .into_iter()
            .enumerate()
            .map(|(i, s)| (s, i))
            .collect();
        self.utterances
            .iter()
            .map(|u| index[&u.speaker_key()])
            .collect()
    }

    /// Counts per label, speaker and gender.
    pub fn summary(&self) -> CorpusSummary {
        let mut per_label = BTreeMap::new();
        let mut per_speaker = BTreeMap::new();
        let mut per_gender = BTreeMap::new();
        let mut speaker_gender = BTreeMap::new();
        let mut sentences = BTreeSet::new();
        for u in &self.utterances {
            *per_label.entry(u.label.clone()).or_insert(0) += 1;
            *per_speaker.entry(u.speaker_key()).or_insert(0) += 1;
            *per_gender.entry(u.gender).or_insert(0) += 1;
            speaker_gender.insert(u.speaker_key(), u.gender);
            if let Some(s) = &u.sentence_id {
                sentences.insert((u.corpus.clone(), s.clone()));
            }
        }
        let mut speakers_per_gender = BTreeMap::new();
        for g in speaker_gender.values() {
            *speakers_per_gender.entry(*g).or_insert(0) += 1;
        }
        CorpusSummary {
            n_utterances: self.utterances.len(),
            per_label,
            per_speaker,
            speakers_per_gender,
            per_gender,
            n_sentences: sentences.len(),
            n_rejected: self.rejected.len(),
        }
    }

    /// A copy with labels mapped through `mapping`; utterances whose label is dropped are
    /// removed. The corpus code stays in [`Utterance::raw_label`].
    pub fn map_labels(&self, mapping: &LabelMapping) -> Corpus {
        let utterances = self
            .utterances
            .iter()
            .filter_map(|u| {
                mapping.map(&u.label).map(|l| {
                    let mut u = u.clone();
                    u.label = l.clone();
                    u
                })
            })
            .collect();
        Corpus {
            utterances,
            ..self.clone()
        }
    }

    /// Class index of every utterance under `mapping`.
    ///
    /// Errors when some utterance's label is dropped by the mapping (apply
    /// [`map_labels`](Self::map_labels) first).
    pub fn class_indices(&self, mapping: &LabelMapping) -> Result<Vec<usize>> {
        self.utterances
            .iter()
            .map(|u| {
                mapping.class_index(&u.label).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "{}: label {} is not in the mapping (apply map_labels first)",
                        u.path.display(),
                        u.label
                    ))
                })
            })
            .collect()
    }

    /// The corpus restricted to the utterances at `indices` (e.g. a fold's train part).
    ///
    /// Errors when an index is out of range.
    pub fn subset(&self, indices: &[usize]) -> Result<Corpus> {
        let utterances = indices
            .iter()
            .map(|&i| {
                self.utterances.get(i).cloned().ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "index {i} out of range for {} utterances",
                        self.utterances.len()
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Corpus {
            utterances,
            rejected: Vec::new(),
            ..self.clone()
        })
    }

    /// Concatenates corpora for cross-corpus work (speaker keys stay distinct because they
    /// include the corpus name).
    pub fn concat(name: impl Into<String>, corpora: &[Corpus]) -> Corpus {
        let mut c = Corpus::new(
            name,
            PathBuf::new(),
            corpora.iter().flat_map(|c| c.utterances.clone()).collect(),
        );
        c.rejected = corpora.iter().flat_map(|c| c.rejected.clone()).collect();
        c
    }

    /// Groups of files with identical content (each group sorted, listed by first path).
    ///
    /// Cheap: only files of equal size are read and compared byte by byte. RAVDESS, for example, ships two identical Actor_07 files.
    pub fn duplicate_files(&self) -> Result<Vec<Vec<PathBuf>>> {
        let mut by_size: BTreeMap<u64, Vec<&Path>> = BTreeMap::new();
        for u in &self.utterances {
            let len = std::fs::metadata(&u.path)
                .map_err(|e| Error::io(&u.path, e))?
                .len();
            by_size.entry(len).or_default().push(&u.path);
        }
        let mut groups = Vec::new();
        for paths in by_size.values().filter(|p| p.len() > 1) {
            let mut by_content: BTreeMap<Vec<u8>, Vec<PathBuf>> = BTreeMap::new();
            for p in paths {
                let bytes = std::fs::read(p).map_err(|e| Error::io(*p, e))?;
                by_content.entry(bytes).or_default().push(p.to_path_buf());
            }
            groups.extend(by_content.into_values().filter(|g| g.len() > 1));
        }
        for g in &mut groups {
            g.sort();
        }
        groups.sort();
        Ok(groups)
    }

    /// Pairs of files whose decoded audio is (nearly) identical: same sample rate and length
    /// in the header ([`audio_info`](crate::audio_info)), and max |a − b| ≤ `tolerance` after
    /// `decode` (e.g. `|p| ser_dsp::Audio::load(p, None).map(|a| a.samples)`).
    ///
    /// Catches duplicates that [`duplicate_files`](Self::duplicate_files) misses because the
    /// copies were re-encoded (the shared RAVDESS FLAC copy's two identical Actor_07 takes
    /// differ by 2 LSB after conversion). Only files with equal header length are decoded,
    /// in parallel.
    pub fn near_duplicate_pairs<F, E>(
        &self,
        tolerance: f32,
        decode: F,
    ) -> Result<Vec<(PathBuf, PathBuf)>>
    where
        F: Fn(&Path) -> std::result::Result<Vec<f32>, E> + Sync + Send,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        use rayon::prelude::*;
        if tolerance.is_nan() || tolerance < 0.0 {
            return Err(Error::InvalidArgument(format!(
                "tolerance must be >= 0, got {tolerance}"
            )));
        }
        let infos = self
            .utterances
            .par_iter()
            .map(|u| crate::audio_info(&u.path).map(|i| ((i.sample_rate, i.n_frames), &u.path)))
            .collect::<Result<Vec<_>>>()?;
        let mut by_len: BTreeMap<(u32, u64), Vec<&PathBuf>> = BTreeMap::new();
        for (k, p) in infos {
            by_len.entry(k).or_default().push(p);
        }
        let candidates: Vec<Vec<&PathBuf>> = by_len.into_values().filter(|g| g.len() > 1).collect();
        let mut pairs = candidates
            .par_iter()
            .map(|group| {
                let decoded = group
                    .iter()
                    .map(|p| {
                        decode(p).map_err(|e| Error::Compute {
                            path: p.to_path_buf(),
                            source: e.into(),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let mut out = Vec::new();
                for i in 0..group.len() {
                    for j in i + 1..group.len() {
                        let (a, b) = (&decoded[i], &decoded[j]);
                        let same = a.len() == b.len()
                            && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance);
                        if same {
                            out.push((group[i].clone(), group[j].clone()));
                        }
                    }
                }
                Ok(out)
            })
            .collect::<Result<Vec<_>>>()?
            .concat();
        pairs.sort();
        Ok(pairs)
    }
}
