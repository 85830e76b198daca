//! CSV / JSONL manifests for corpora without a built-in loader.
//!
//! # Format
//!
//! One row (CSV) or one JSON object per line (JSONL) per utterance. Columns / keys, with the
//! accepted aliases in parentheses:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `path` (`file`, `filename`, `audio`, `audio_path`, `wav`) | yes | audio file, relative to the manifest's folder or absolute |
//! | `label` (`emotion`) | yes | emotion name, parsed by [`EmotionLabel::from_str`](crate::EmotionLabel) |
//! | `speaker` (`speaker_id`, `actor`) | no | speaker id; without the column every speaker is unknown (`""`, see [`Corpus::has_speakers`]), so only speaker-dependent splits are possible |
//! | `transcript` (`text`) | no | what was said |
//! | `gender` (`sex`) | no | `male`/`m`, `female`/`f`, `unknown`/empty |
//! | `split` | no | `train`, `validation` (`dev`, `val`), `test` |
//! | `sentence_id` (`text_id`) | no | id of the read sentence |
//! | `intensity` | no | `low`, `medium`, `high`, `unspecified` |
//! | `age` | no | whole years |
//!
//! Other columns are ignored. Empty optional cells mean "not given". The shared EmoDB
//! `manifest.csv` layout (`path,speaker,gender,age,emotion,text_id,text`) is read through the
//! aliases.
//!
//! # Validation
//!
//! Every row is checked and all problems are reported together, each with the 1-based line
//! number (the CSV header is line 1) and the canonical field name: an empty required field
//! (or an empty `speaker` when the column exists), an unparsable
//! gender/split/intensity/age, a duplicated path, a file that does not exist (when
//! [`ManifestOptions::require_existing_files`] is on), a file that is not readable audio
//! (when [`ManifestOptions::probe_audio`] is on), or malformed JSON. One problem is
//! [`Error::ManifestRow`], several are [`Error::BadRows`]; with
//! [`ManifestOptions::skip_bad`] the bad rows are left out and listed in
//! [`Corpus::rejected`] instead. A missing required CSV column is [`Error::MissingColumn`].

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::BadRow;
use crate::{Corpus, CorpusKind, Error, Gender, Intensity, Rejection, Result, Split, Utterance};

/// Canonical field names and their aliases.
const FIELDS: [(&str, &[&str]); 9] = [
    (
        "path",
        &["path", "file", "filename", "audio", "audio_path", "wav"],
    ),
    ("label", &["label", "emotion"]),
    ("speaker", &["speaker", "speaker_id", "actor"]),
    ("transcript", &["transcript", "text"]),
    ("gender", &["gender", "sex"]),
    ("split", &["split"]),
    ("sentence_id", &["sentence_id", "text_id"]),
    ("intensity", &["intensity"]),
    ("age", &["age"]),
];

const REQUIRED: [&str; 2] = ["path", "label"];

/// Options for [`read_manifest_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManifestOptions {
    /// Reject rows whose audio file does not exist. Default: `true`.
    pub require_existing_files: bool,
    /// Corpus name. Default: `None` = the name of the manifest's folder.
    pub name: Option<String>,
    /// Reject rows whose file is not readable audio (its header is probed, nothing is
    /// decoded). Default: `false`.
    pub probe_audio: bool,
    /// Leave bad rows out (listed in [`Corpus::rejected`] with line and reason) instead of
    /// failing. Default: `false`.
    pub skip_bad: bool,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        ManifestOptions {
            require_existing_files: true,
            name: None,
            probe_audio: false,
            skip_bad: false,
        }
    }
}

impl ManifestOptions {
    /// Sets [`require_existing_files`](Self::require_existing_files).
    pub fn require_existing_files(mut self, yes: bool) -> Self {
        self.require_existing_files = yes;
        self
    }

    /// Sets [`name`](Self::name).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
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

/// The corpus read from `source` (a manifest or label folder) once every row was checked:
/// fail with every problem, or (with `skip_bad`) keep the good rows and list the bad ones
/// as rejections; no good row left is [`Error::EmptyCorpus`].
pub(crate) fn finish_corpus(
    source: &Path,
    name: String,
    utterances: Vec<Utterance>,
    problems: Vec<BadRow>,
    skip_bad: bool,
) -> Result<Corpus> {
    let rejected = settle_problems(source, problems, skip_bad)?;
    if utterances.is_empty() {
        return Err(Error::EmptyCorpus {
            dir: source.to_path_buf(),
            corpus: name,
            rejected: rejected.len(),
        });
    }
    let mut corpus = Corpus::new(name, source, utterances);
    corpus.kind = Some(CorpusKind::Manifest);
    corpus.rejected = rejected;
    Ok(corpus)
}

fn settle_problems(
    source: &Path,
    mut problems: Vec<BadRow>,
    skip_bad: bool,
) -> Result<Vec<Rejection>> {
    if problems.is_empty() {
        return Ok(Vec::new());
    }
    if skip_bad {
        return Ok(problems
            .into_iter()
            .map(|p| Rejection {
                path: p.file.clone().unwrap_or_else(|| source.to_path_buf()),
                reason: format!("line {}: {}: {}", p.line, p.field, p.message),
            })
            .collect());
    }
    if problems.len() == 1 {
        let p = problems.remove(0);
        return Err(Error::ManifestRow {
            path: source.to_path_buf(),
            line: p.line,
            field: p.field,
            message: p.message,
        });
    }
    Err(Error::BadRows {
        path: source.to_path_buf(),
        rows: problems,
    })
}

/// Reads a `.csv` or `.jsonl` manifest (chosen by extension; anything else is read as CSV)
/// with default options.
///
/// ```no_run
/// let corpus = ser_data::read_manifest("/data/emodb/manifest.csv")?;
/// println!("{} utterances", corpus.len());
/// # Ok::<(), ser_data::Error>(())
/// ```
pub fn read_manifest(path: impl AsRef<Path>) -> Result<Corpus> {
    read_manifest_with(path, &ManifestOptions::default())
}

/// Reads a manifest with options.
pub fn read_manifest_with(path: impl AsRef<Path>, options: &ManifestOptions) -> Result<Corpus> {
    let path = path.as_ref();
    let (rows, mut problems) = if is_jsonl(path) {
        read_jsonl_rows(path)?
    } else {
        (read_csv_rows(path)?, Vec::new())
    };
    let base = path.parent().unwrap_or(Path::new(""));
    let name = options.name.clone().unwrap_or_else(|| {
        base.file_name()
            .or(path.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "manifest".into())
    });
    let mut seen: HashMap<PathBuf, u64> = HashMap::new();
    let mut utterances = Vec::with_capacity(rows.len());
    // Speakers are named by every row or by none (a JSONL line without the key, when others
    // have it, is a bad row like an empty CSV cell).
    let speakers_given = rows.iter().any(|(_, f)| f.contains_key("speaker"));
    for (line, fields) in rows {
        match manifest_row(
            line,
            &fields,
            base,
            &name,
            options,
            speakers_given,
            &mut seen,
        ) {
            Ok(u) => utterances.push(u),
            Err(p) => problems.push(p),
        }
    }
    problems.sort_by_key(|p| p.line);
    finish_corpus(path, name, utterances, problems, options.skip_bad)
}

/// One manifest row as an utterance, or what is wrong with it.
#[allow(clippy::too_many_arguments)]
fn manifest_row(
    line: u64,
    fields: &HashMap<&'static str, String>,
    base: &Path,
    name: &str,
    options: &ManifestOptions,
    speakers_given: bool,
    seen: &mut HashMap<PathBuf, u64>,
) -> std::result::Result<Utterance, BadRow> {
    let mut file = None;
    let err = |file: &Option<PathBuf>, field: &str, message: String| BadRow {
        line,
        file: file.clone(),
        field: field.to_string(),
        message,
    };
    let get = |f: &str| fields.get(f).map(|s| s.trim()).filter(|s| !s.is_empty());
    let rel = get("path").ok_or_else(|| err(&file, "path", "required field is empty".into()))?;
    let audio = base.join(rel);
    file = Some(audio.clone());
    if let Some(first) = seen.insert(audio.clone(), line) {
        seen.insert(audio.clone(), first);
        return Err(err(&file, "path", format!("duplicate of line {first}")));
    }
    if options.require_existing_files && !audio.is_file() {
        return Err(err(
            &file,
            "path",
            format!("file {} does not exist", audio.display()),
        ));
    }
    if options.probe_audio {
        crate::audio::probe_readable(&audio)
            .map_err(|e| err(&file, "path", format!("not readable audio: {e}")))?;
    }
    let label_text =
        get("label").ok_or_else(|| err(&file, "label", "required field is empty".into()))?;
    let label = label_text
        .parse()
        .map_err(|e: Error| err(&file, "label", e.to_string()))?;
    let speaker = match (speakers_given, get("speaker")) {
        (_, Some(s)) => s,
        (false, None) => "",
        (true, None) => {
            return Err(err(
                &file,
                "speaker",
                "empty (leave the column out if no speaker is known)".into(),
            ))
        }
    };
    let mut u = Utterance::new(audio, name.to_string(), label, speaker);
    u.raw_label = label_text.to_string();
    u.transcript = get("transcript").map(str::to_string);
    u.sentence_id = get("sentence_id").map(str::to_string);
    if let Some(g) = get("gender") {
        u.gender = g
            .parse::<Gender>()
            .map_err(|e| err(&file, "gender", e.to_string()))?;
    }
    if let Some(s) = get("split") {
        u.split = Some(
            s.parse::<Split>()
                .map_err(|e| err(&file, "split", e.to_string()))?,
        );
    }
    if let Some(i) = get("intensity") {
        u.intensity = Some(
            i.parse::<Intensity>()
                .map_err(|e| err(&file, "intensity", e.to_string()))?,
        );
    }
    if let Some(a) = get("age") {
        u.age = Some(a.parse::<u32>().map_err(|_| {
            err(
                &file,
                "age",
                format!("{a:?} is not a whole number of years"),
            )
        })?);
    }
    Ok(u)
}

fn is_jsonl(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"))
}

fn canonical(column: &str) -> Option<&'static str> {
    // A UTF-8 byte-order mark may precede the first header (Excel exports).
    let c = column.trim_start_matches('\u{feff}').trim().to_lowercase();
    FIELDS
        .iter()
        .find(|(_, aliases)| aliases.contains(&c.as_str()))
        .map(|(name, _)| *name)
}

type Row = (u64, HashMap<&'static str, String>);

fn read_csv_rows(path: &Path) -> Result<Vec<Row>> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(path, io),
            other => Error::ManifestRow {
                path: path.to_path_buf(),
                line: 1,
                field: "header".into(),
                message: format!("{other:?}"),
            },
        })?;
    let headers = rdr
        .headers()
        .map_err(|e| crate::corpora::cremad::csv_err(path, 1, "header", e))?
        .clone();
    // First column wins when two aliases of one field are present.
    let mut columns: Vec<(usize, &'static str)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(c) = canonical(h) {
            if !columns.iter().any(|(_, d)| *d == c) {
                columns.push((i, c));
            }
        }
    }
    for req in REQUIRED {
        if !columns.iter().any(|(_, c)| *c == req) {
            return Err(Error::MissingColumn {
                path: path.to_path_buf(),
                column: req.to_string(),
                found: headers.iter().collect::<Vec<_>>().join(","),
            });
        }
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| crate::corpora::cremad::csv_err(path, 0, "row", e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let fields = columns
            .iter()
            .filter_map(|(i, c)| rec.get(*i).map(|v| (*c, v.to_string())))
            .collect();
        rows.push((line, fields));
    }
    Ok(rows)
}

fn read_jsonl_rows(path: &Path) -> Result<(Vec<Row>, Vec<BadRow>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        match jsonl_row(raw, line) {
            Ok(fields) => rows.push((line, fields)),
            Err(p) => problems.push(p),
        }
    }
    Ok((rows, problems))
}

fn jsonl_row(raw: &str, line: u64) -> std::result::Result<HashMap<&'static str, String>, BadRow> {
    let err = |field: &str, message: String| BadRow {
        line,
        file: None,
        field: field.to_string(),
        message,
    };
    let value: Value =
        serde_json::from_str(raw).map_err(|e| err("json", format!("invalid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(err("json", "expected a JSON object".into()));
    };
    let mut fields = HashMap::new();
    for (k, v) in &map {
        let Some(c) = canonical(k) else { continue };
        if fields.contains_key(c) {
            continue;
        }
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Null => String::new(),
            Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
                return Err(err(c, format!("expected a string or number, got {v}")))
            }
        };
        fields.insert(c, s);
    }
    for req in REQUIRED {
        if !fields.contains_key(req) {
            return Err(err(req, "required key is missing".into()));
        }
    }
    Ok(fields)
}

/// Writes `corpus` as a manifest (`.jsonl`/`.ndjson` by extension, otherwise CSV) with the
/// canonical columns `path,label,speaker,transcript,gender,split,sentence_id,intensity,age`.
/// Paths under the manifest's folder are written relative to it.
pub fn write_manifest(corpus: &Corpus, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let base = path.parent().unwrap_or(Path::new(""));
    let rows: Vec<[String; 9]> = corpus
        .utterances
        .iter()
        .map(|u| {
            // relative to the manifest's folder; the folder itself is ".", not an empty cell
            let rel = match u.path.strip_prefix(base) {
                Ok(r) if r.as_os_str().is_empty() => Path::new("."),
                Ok(r) => r,
                Err(_) => &u.path,
            };
            [
                rel.to_string_lossy().into_owned(),
                u.label.to_string(),
                u.speaker.clone(),
                u.transcript.clone().unwrap_or_default(),
                u.gender.to_string(),
                u.split.map(|s| s.to_string()).unwrap_or_default(),
                u.sentence_id.clone().unwrap_or_default(),
                u.intensity
                    .map(|i| {
                        serde_json::to_value(i)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default()
                    })
                    .unwrap_or_default(),
                u.age.map(|a| a.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    let names = FIELDS.map(|(n, _)| n);
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    if is_jsonl(path) {
        for row in &rows {
            let obj: serde_json::Map<String, Value> = names
                .iter()
                .zip(row)
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
                .collect();
            serde_json::to_writer(&mut w, &obj)?;
            w.write_all(b"\n").map_err(|e| Error::io(path, e))?;
        }
    } else {
        let mut cw = csv::Writer::from_writer(&mut w);
        let wrap = |e: csv::Error| Error::io(path, e.into());
        // No speaker known anywhere: leave the column out (an empty cell in a present
        // `speaker` column is an error when read back).
        let no_speakers = corpus.utterances.iter().all(|u| u.speaker.is_empty());
        let keep = |i: usize| !(no_speakers && names[i] == "speaker");
        let pick = |row: &[String]| -> Vec<String> {
            row.iter()
                .enumerate()
                .filter(|(i, _)| keep(*i))
                .map(|(_, v)| v.clone())
                .collect()
        };
        let header: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        cw.write_record(pick(&header)).map_err(wrap)?;
        for row in &rows {
            cw.write_record(pick(row)).map_err(wrap)?;
        }
        cw.flush().map_err(|e| Error::io(path, e))?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}
