//! The crate's error type.

use std::path::PathBuf;

/// Errors returned by `ser-data`.
///
/// Every variant that concerns a file names it; manifest errors also carry the
/// 1-based line number and the offending field so a bad row can be fixed directly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was outside the accepted domain.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// Reading or writing a file or directory failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// The corpus directory does not exist or is not a directory.
    #[error("not a directory: {0}")]
    NotADirectory(PathBuf),

    /// An audio file's name does not follow the corpus's documented naming scheme.
    /// Returned only in strict mode (see [`crate::LoadOptions::strict`]); in the default
    /// lenient mode such files are listed in [`crate::Corpus::rejected`] instead.
    #[error("{path}: malformed {corpus} file name: {reason}")]
    MalformedName {
        /// The rejected file.
        path: PathBuf,
        /// The corpus whose naming scheme was expected.
        corpus: String,
        /// Why the name was rejected.
        reason: String,
    },

    /// No utterance could be loaded from the directory.
    #[error("no {corpus} utterances found under {dir} ({rejected} audio files rejected)")]
    EmptyCorpus {
        /// The corpus directory.
        dir: PathBuf,
        /// The corpus kind that was tried.
        corpus: String,
        /// How many audio files were rejected as malformed.
        rejected: usize,
    },

    /// The corpus kind could not be detected from the file names.
    #[error("could not detect the corpus kind of {dir}: {reason}")]
    DetectionFailed {
        /// The corpus directory.
        dir: PathBuf,
        /// Why detection failed.
        reason: String,
    },

    /// A corpus name (e.g. on a command line) is not known.
    #[error("unknown corpus kind {got:?}; expected one of {expected}")]
    UnknownCorpus {
        /// The accepted names.
        expected: String,
        /// The name given.
        got: String,
    },

    /// A manifest lacks a required column.
    #[error("{path}: manifest has no {column:?} column (columns found: {found})")]
    MissingColumn {
        /// The manifest file.
        path: PathBuf,
        /// The missing column (canonical name).
        column: String,
        /// The columns present, comma-separated.
        found: String,
    },

    /// A manifest row is invalid.
    #[error("{path}:{line}: field {field:?}: {message}")]
    ManifestRow {
        /// The manifest file.
        path: PathBuf,
        /// 1-based line number in the file (the CSV header is line 1).
        line: u64,
        /// The offending field (canonical column name).
        field: String,
        /// What is wrong.
        message: String,
    },

    /// Several manifest rows (or files of a label folder) are invalid; all are listed.
    #[error("{path}: {} bad rows:\n{}", rows.len(), BadRow::list(rows))]
    BadRows {
        /// The manifest file or folder.
        path: PathBuf,
        /// Every problem, by line.
        rows: Vec<BadRow>,
    },

    /// A split puts the same speaker in both the training and the test part.
    #[error("speaker {speaker:?} appears in both train and test of fold {fold}")]
    SpeakerLeak {
        /// The speaker key (`corpus/speaker`).
        speaker: String,
        /// The fold index.
        fold: usize,
    },

    /// A split protocol from `ser-metrics` failed (e.g. more folds than speakers).
    #[error("split protocol failed: {0}")]
    Split(#[from] ser_metrics::Error),

    /// Reading an audio header failed.
    #[error("{path}: cannot read audio header: {message}")]
    Audio {
        /// The audio file.
        path: PathBuf,
        /// The decoder's message.
        message: String,
    },

    /// The user's feature function failed on a file.
    #[error("feature computation failed on {path}: {source}")]
    Compute {
        /// The audio file.
        path: PathBuf,
        /// The error returned by the feature function.
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A feature-cache file is unreadable or inconsistent.
    #[error("feature cache {path}: {message}")]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// JSON (de)serialisation failed.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// One invalid row of a manifest (or file of a label folder), as listed by
/// [`Error::BadRows`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line (the CSV header is line 1; 0 for a file of a label folder).
    pub line: u64,
    /// The audio file the row names, when it names one.
    pub file: Option<PathBuf>,
    /// The offending field (canonical column name).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl BadRow {
    /// Up to 50 problems, one per line.
    fn list(rows: &[BadRow]) -> String {
        let mut out: Vec<String> = rows
            .iter()
            .take(50)
            .map(|r| {
                let file = r
                    .file
                    .as_ref()
                    .map_or(String::new(), |f| format!(" ({})", f.display()));
                if r.line > 0 {
                    format!("  line {}{file}: {}: {}", r.line, r.field, r.message)
                } else {
                    format!("  {}{file}: {}", r.field, r.message)
                }
            })
            .collect();
        if rows.len() > 50 {
            out.push(format!("  … and {} more", rows.len() - 50));
        }
        out.join("\n")
    }
}
