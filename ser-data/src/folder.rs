//! Label folders: `DIR/<label>/**/*.wav`, one subfolder per class, as torchvision's
//! `ImageFolder` and Keras' `audio_dataset_from_directory` lay data out.
//!
//! The label is the subfolder's name (parsed like a manifest label, so `angry/` is
//! [`EmotionLabel::Anger`](crate::EmotionLabel) and `frustrated/` an `Other` label); files
//! directly in `DIR` and non-audio files are ignored. The speaker comes from
//! [`FolderOptions::speaker_regex`] applied to the file name (its first capture group, or the
//! whole match); without it every speaker is unknown ([`Corpus::has_speakers`] is false).
//! Files the regex does not match, unreadable files (with [`FolderOptions::probe_audio`]) and
//! label folders without audio are problems, reported together as with manifests
//! ([`crate::manifest`]).

use std::path::Path;

use regex::Regex;

use crate::error::BadRow;
use crate::manifest::finish_corpus;
use crate::{Corpus, Error, Result, Utterance};

/// Options for [`read_label_folders`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FolderOptions {
    /// Speaker id from the file name: the first capture group of the first match (or the
    /// whole match). Default: `None` (speakers unknown).
    pub speaker_regex: Option<Regex>,
    /// Reject files that are not readable audio (header probe). Default: `false`.
    pub probe_audio: bool,
    /// Leave bad files out (listed in [`Corpus::rejected`]) instead of failing.
    /// Default: `false`.
    pub skip_bad: bool,
}

impl FolderOptions {
    /// Sets [`speaker_regex`](Self::speaker_regex) from a pattern; errors on an invalid one.
    pub fn speaker_regex(mut self, pattern: &str) -> Result<Self> {
        self.speaker_regex = Some(
            Regex::new(pattern)
                .map_err(|e| Error::InvalidArgument(format!("speaker regex {pattern:?}: {e}")))?,
        );
        Ok(self)
    }

    /// Sets [`probe_audio`](Self::probe_audio).
    pub fn probe_audio(mut self, yes: bool) -> Self {
        self.probe_audio = yes;
        self
    }

    /// Sets [`skip_bad`](Self::skip_bad).
    pub fn skip_bad(mut self, yes: bool) -> Self {
        self.skip_bad = yes;
        self
    }
}

/// Reads `dir/<label>/**/*.{wav,flac}` as a corpus named after `dir`.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("ser-folder-doc-{}", std::process::id()));
/// for f in ["angry/spk1_a.wav", "angry/spk2_b.wav", "calm/spk1_c.wav"] {
///     std::fs::create_dir_all(dir.join(f).parent().unwrap())?;
///     std::fs::write(dir.join(f), b"")?;
/// }
/// let opts = ser_data::FolderOptions::default().speaker_regex(r"^(spk\d+)_")?;
/// let c = ser_data::read_label_folders(&dir, &opts)?;
/// assert_eq!(c.len(), 3);
/// assert_eq!(c.utterances[2].raw_label, "calm");
/// assert_eq!(c.speakers().len(), 2);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Errors: [`Error::NotADirectory`], [`Error::Io`], [`Error::ManifestRow`] /
/// [`Error::BadRows`] for bad files (unless `skip_bad`), [`Error::EmptyCorpus`] when no
/// file was kept.
pub fn read_label_folders(dir: impl AsRef<Path>, options: &FolderOptions) -> Result<Corpus> {
    let dir = dir.as_ref();
    if !dir.is_dir() {
        return Err(Error::NotADirectory(dir.to_path_buf()));
    }
    let name = dir.file_name().map_or_else(
        || "folder".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let mut subdirs: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    subdirs.sort();
    let bad = |file: &Path, field: &str, message: String| BadRow {
        line: 0,
        file: Some(file.to_path_buf()),
        field: field.to_string(),
        message,
    };
    let mut utterances = Vec::new();
    let mut problems = Vec::new();
    for sub in subdirs {
        let label_text = sub
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let files = crate::corpus::audio_files(&sub)?;
        if files.is_empty() {
            problems.push(bad(&sub, "label", "folder has no .wav/.flac files".into()));
            continue;
        }
        let label = match label_text.parse::<crate::EmotionLabel>() {
            Ok(l) => l,
            Err(e) => {
                problems.push(bad(&sub, "label", format!("{e}")));
                continue;
            }
        };
        for f in files {
            let speaker = match &options.speaker_regex {
                None => String::new(),
                Some(re) => {
                    let file_name = f.file_name().map(|n| n.to_string_lossy().into_owned());
                    let caps = file_name.as_deref().and_then(|n| re.captures(n));
                    match caps.and_then(|c| c.get(1).or_else(|| c.get(0))) {
                        Some(m) if !m.as_str().is_empty() => m.as_str().to_string(),
                        _ => {
                            problems.push(bad(
                                &f,
                                "speaker",
                                format!("file name does not match the speaker regex {re}"),
                            ));
                            continue;
                        }
                    }
                }
            };
            if options.probe_audio {
                if let Err(e) = crate::audio::probe_readable(&f) {
                    problems.push(bad(&f, "path", format!("not readable audio: {e}")));
                    continue;
                }
            }
            let mut u = Utterance::new(&f, name.clone(), label.clone(), speaker);
            u.raw_label = label_text.clone();
            utterances.push(u);
        }
    }
    finish_corpus(dir, name, utterances, problems, options.skip_bad)
}
