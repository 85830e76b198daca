//! Request handlers: the page and its assets, `/health`, `/api/predict` and the live
//! WebSocket `/api/stream`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use ser_dsp::Audio;
use ser_fusion::spoken::{Utterance, UtteranceTracker};
use ser_models::streaming::{timeline, WindowEstimate};
use ser_models::{Prediction, Recognizer, StreamingRecognizer};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::state::AppState;

const INDEX_HTML: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const STYLE_CSS: &str = include_str!("../../web/style.css");
const WORKLET_JS: &str = include_str!("../../web/pcm-worklet.js");

/// `GET /`: the page.
pub async fn index() -> Html<&'static str> {
    Html(INDEX_HTML)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `GET /app.js`.
pub async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

/// `GET /style.css`.
pub async fn style_css() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

/// `GET /pcm-worklet.js`: the AudioWorklet that forwards microphone PCM to the page.
pub async fn worklet_js() -> Response {
    asset("text/javascript; charset=utf-8", WORKLET_JS)
}

/// `GET /favicon.ico`: no icon (204), so browsers do not log a 404.
pub async fn favicon() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Body of `GET /health`.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always `"ok"` when the server answers.
    pub status: &'static str,
    /// Model directory name.
    pub model: String,
    /// Architecture name.
    pub arch: String,
    /// Pretrained encoder the model's features come from (`null` for hand-crafted features).
    pub encoder: Option<String>,
    /// Class names in model order.
    pub labels: Vec<String>,
    /// Rate audio is resampled to for the model.
    pub sample_rate: Option<u32>,
    /// Live-mode window length, seconds.
    pub window_secs: f32,
    /// Live-mode hop, seconds.
    pub hop_secs: f32,
    /// Free inference slots.
    pub free_slots: usize,
    /// Whether `?transcribe=true` is available (server started with `--transcribe`).
    pub transcription: bool,
    /// The limits in force.
    pub limits: super::Limits,
}

/// `GET /health`: liveness plus the model and limits.
pub async fn health(State(st): State<AppState>) -> Json<Health> {
    let card = st.recognizer.card();
    Json(Health {
        status: "ok",
        model: st.model_name.clone(),
        arch: card.model.arch().name().to_string(),
        encoder: card.features.encoder_name().map(str::to_string),
        labels: card.labels.clone(),
        sample_rate: card.features.sample_rate(),
        window_secs: st.stream.window_secs,
        hop_secs: st.stream.hop_secs,
        free_slots: st.free_slots(),
        transcription: st.text.is_some(),
        limits: st.limits.clone(),
    })
}

/// One class probability.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassProb {
    /// Class name.
    pub label: String,
    /// Probability.
    pub probability: f32,
}

fn probs(p: &Prediction) -> Vec<ClassProb> {
    p.probabilities
        .iter()
        .map(|(l, v)| ClassProb {
            label: l.clone(),
            probability: *v,
        })
        .collect()
}

/// A window of a timeline (uploads with `?timeline=true`, live messages).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WindowJson {
    /// Always `"window"` (the live protocol's message type).
    #[serde(rename = "type")]
    pub kind: String,
    /// Window number.
    pub index: usize,
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// Fraction of VAD frames above the speech threshold.
    pub speech_ratio: f32,
    /// Winning label, `null` when the window was gated as silence.
    pub label: Option<String>,
    /// Probabilities, `null` when gated.
    pub probabilities: Option<Vec<ClassProb>>,
}

impl From<&WindowEstimate> for WindowJson {
    fn from(w: &WindowEstimate) -> Self {
        Self {
            kind: "window".into(),
            index: w.index,
            start: w.start,
            end: w.end,
            speech_ratio: w.speech_ratio,
            label: w.prediction.as_ref().map(|p| p.label.clone()),
            probabilities: w.prediction.as_ref().map(probs),
        }
    }
}

/// Body of a successful `POST /api/predict`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PredictResponse {
    /// Winning label.
    pub label: String,
    /// Its index.
    pub index: usize,
    /// Every class probability, model order.
    pub probabilities: Vec<ClassProb>,
    /// Decoded duration, seconds.
    pub duration_secs: f64,
    /// Sample rate of the upload.
    pub sample_rate: u32,
    /// Decode + features + model time, milliseconds.
    pub inference_ms: f64,
    /// Model directory name.
    pub model: String,
    /// Sliding-window timeline when asked for with `?timeline=true`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub windows: Option<Vec<WindowJson>>,
    /// Transcript, text emotion and fused answer when asked for with `?transcribe=true`
    /// (a [`ser_fusion::Linguistic`] as JSON).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub linguistic: Option<serde_json::Value>,
}

/// Query of `POST /api/predict`.
#[derive(Debug, Default, Deserialize)]
pub struct PredictQuery {
    /// Also return the sliding-window timeline. Default: false.
    #[serde(default)]
    pub timeline: bool,
    /// Also transcribe the upload and run the text branch (needs `serve --transcribe`).
    /// Default: false.
    #[serde(default)]
    pub transcribe: bool,
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).to_ascii_lowercase())
}

/// Reads the audio bytes of an upload (at most [`super::Limits::max_body_bytes`]): a multipart `file` (or `audio`, or the first file)
/// field, or a raw `audio/*` / `application/octet-stream` (or untyped) body.
pub async fn read_upload(st: &AppState, req: Request) -> Result<Bytes, ApiError> {
    let limit = st.limits.max_body_bytes;
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        // Multipart framing adds a little around the file itself.
        if len > limit as u64 + MULTIPART_SLACK as u64 {
            return Err(ApiError::too_large(limit));
        }
    }
    let data = read_body(req, limit).await?;
    if data.len() > limit {
        return Err(ApiError::too_large(limit));
    }
    Ok(data)
}

/// Bytes of multipart framing allowed on top of [`super::Limits::max_body_bytes`].
pub const MULTIPART_SLACK: usize = 64 * 1024;

async fn read_body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    let ct = content_type(req.headers());
    let essence = ct
        .as_deref()
        .map(|c| c.split(';').next().unwrap_or("").trim().to_string());
    match essence.as_deref() {
        Some("multipart/form-data") => {
            let mut mp = Multipart::from_request(req, &()).await.map_err(|e| {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_multipart", e.body_text())
            })?;
            loop {
                let field = mp
                    .next_field()
                    .await
                    .map_err(|e| multipart_err(&e, limit))?;
                let Some(field) = field else {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "missing_file",
                        "multipart body has no `file` field",
                    ));
                };
                let wanted = matches!(field.name(), Some("file") | Some("audio"))
                    || field.file_name().is_some();
                let data = field.bytes().await.map_err(|e| multipart_err(&e, limit))?;
                if wanted {
                    return Ok(data);
                }
            }
        }
        None | Some("application/octet-stream") | Some("") => raw_body(req, limit).await,
        Some(t) if t.starts_with("audio/") => raw_body(req, limit).await,
        Some(t) => Err(ApiError::media_type(t)),
    }
}

fn multipart_err(e: &axum::extract::multipart::MultipartError, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(limit)
    } else {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_multipart", e.body_text())
    }
}

async fn raw_body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, &()).await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(limit)
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_body", e.body_text())
        }
    })
}

fn model_err(e: ser_models::Error) -> ApiError {
    if let ser_models::Error::NoSpeech(_) = e {
        return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_speech", e.to_string());
    }
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "inference_failed",
        e.to_string(),
    )
}

/// Decodes, checks the duration and classifies an upload (blocking; run on the pool).
pub fn analyse(
    st: &AppState,
    bytes: &[u8],
    with_timeline: bool,
    transcribe: bool,
) -> Result<PredictResponse, ApiError> {
    let t0 = Instant::now();
    if bytes.is_empty() {
        return Err(ApiError::empty());
    }
    let text_branch = match (transcribe, &st.text) {
        (false, _) => None,
        (true, Some(t)) => Some(t),
        (true, None) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "transcription_unavailable",
                "this server was started without --transcribe".to_string(),
            ))
        }
    };
    let audio = Audio::from_bytes(bytes, None).map_err(|e| ApiError::from_decode(&e))?;
    let dur = audio.duration_secs();
    if dur > st.limits.max_duration_secs {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "audio_too_long",
            format!(
                "audio is {dur:.2} s long; the limit is {} s",
                st.limits.max_duration_secs
            ),
        ));
    }
    if dur < st.limits.min_duration_secs {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "audio_too_short",
            format!(
                "audio is {dur:.3} s long; at least {} s is needed",
                st.limits.min_duration_secs
            ),
        ));
    }
    let rec: &Recognizer = &st.recognizer;
    let p = rec
        .predict_samples(&audio.samples, audio.sample_rate)
        .map_err(model_err)?;
    let windows = if with_timeline {
        let t = timeline(rec, &audio.samples, audio.sample_rate, &st.stream).map_err(model_err)?;
        Some(t.iter().map(WindowJson::from).collect())
    } else {
        None
    };
    let linguistic = match text_branch {
        Some(tb) => {
            let l = tb
                .run(&audio.samples, audio.sample_rate, &p)
                .map_err(|e| ApiError::internal(format!("{e:#}")))?;
            Some(serde_json::to_value(&l).map_err(|e| ApiError::internal(e.to_string()))?)
        }
        None => None,
    };
    Ok(PredictResponse {
        label: p.label.clone(),
        index: p.index,
        probabilities: probs(&p),
        duration_secs: dur,
        sample_rate: audio.sample_rate,
        inference_ms: t0.elapsed().as_secs_f64() * 1e3,
        model: st.model_name.clone(),
        windows,
        linguistic,
    })
}

/// `POST /api/predict`: classify an uploaded audio file.
pub async fn predict(
    State(st): State<AppState>,
    Query(q): Query<PredictQuery>,
    req: Request,
) -> Result<Json<PredictResponse>, ApiError> {
    let bytes = read_upload(&st, req).await?;
    if bytes.is_empty() {
        return Err(ApiError::empty());
    }
    let job_state = st.clone();
    st.run_blocking(move || analyse(&job_state, &bytes, q.timeline, q.transcribe))
        .await
        .map(Json)
}

/// Query of the live WebSocket `/api/stream`.
#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// Sample rate of the PCM the client sends. Default: 16000.
    #[serde(default = "default_sr")]
    pub sample_rate: u32,
    /// `f32` (little-endian float) or `i16` (little-endian int16). Default: `f32`.
    #[serde(default = "default_format")]
    pub format: String,
    /// Also transcribe each utterance and run the text branch (needs `serve --transcribe`).
    /// Default: false.
    #[serde(default)]
    pub transcribe: bool,
}

/// Longest utterance transcribed at once in the live mode, seconds (a longer stretch of
/// speech without a pause is cut there).
pub const MAX_UTTERANCE_SECS: f32 = 15.0;

/// One utterance of the live mode with its transcript (`{"type":"utterance", ...}`).
#[derive(Debug, Clone, Serialize)]
pub struct UtteranceJson {
    /// Always `"utterance"`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Start, seconds.
    pub start: f64,
    /// End, seconds.
    pub end: f64,
    /// Acoustic label: argmax of the mean of the utterance's window posteriors.
    pub label: String,
    /// That mean posterior.
    pub probabilities: Vec<ClassProb>,
    /// Transcript, text emotion and fused answer ([`ser_fusion::Linguistic`]).
    pub linguistic: ser_fusion::Linguistic,
}

fn default_sr() -> u32 {
    16000
}

fn default_format() -> String {
    "f32".into()
}

/// PCM sample encodings accepted by the live mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcmFormat {
    /// Little-endian IEEE float, 4 bytes per sample.
    F32,
    /// Little-endian signed 16-bit, 2 bytes per sample (scaled by 1/32768).
    I16,
}

impl PcmFormat {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "f32" | "float32" | "f32le" => Some(Self::F32),
            "i16" | "int16" | "s16le" => Some(Self::I16),
            _ => None,
        }
    }

    /// Decodes one binary message; errors on a length that is not a whole number of samples.
    pub fn decode(self, b: &[u8]) -> Result<Vec<f32>, String> {
        match self {
            Self::F32 => {
                if b.len() % 4 != 0 {
                    return Err(format!(
                        "f32 message of {} bytes is not a multiple of 4",
                        b.len()
                    ));
                }
                Ok(b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect())
            }
            Self::I16 => {
                if b.len() % 2 != 0 {
                    return Err(format!(
                        "i16 message of {} bytes is not a multiple of 2",
                        b.len()
                    ));
                }
                Ok(b.chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0)
                    .collect())
            }
        }
    }
}

/// `GET /api/stream` (WebSocket): live recognition.
///
/// Protocol: query `?sample_rate=16000&format=f32|i16[&transcribe=true]`; the client sends
/// binary messages of mono PCM; the server answers with JSON text messages: one
/// `{"type":"ready", ...}`, then a `{"type":"window", ...}` ([`WindowJson`]) per completed
/// window, `{"type":"error", "code", "error"}` for a bad message (the session continues)
/// and, after the client sends the text `stop`, the tail window(s) and `{"type":"done"}`
/// (the stream restarts at 0). With `transcribe=true` (server started with
/// `--transcribe`), each utterance — speech windows up to a non-speech window, at most
/// [`MAX_UTTERANCE_SECS`] — is transcribed when it ends and sent as
/// `{"type":"utterance", ...}` ([`UtteranceJson`]) after the window that closed it.
pub async fn stream_ws(
    State(st): State<AppState>,
    Query(q): Query<StreamQuery>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let Some(fmt) = PcmFormat::parse(&q.format) else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_format",
            format!("format must be f32 or i16, got `{}`", q.format),
        ));
    };
    let utterances = match (q.transcribe, &st.text) {
        (false, _) => None,
        (true, None) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "transcription_unavailable",
                "this server was started without --transcribe".to_string(),
            ))
        }
        (true, Some(_)) => Some(
            UtteranceTracker::new(q.sample_rate, MAX_UTTERANCE_SECS)
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_stream", e.to_string()))?,
        ),
    };
    let stream =
        StreamingRecognizer::new(Arc::clone(&st.recognizer), q.sample_rate, st.stream.clone())
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_stream", e.to_string()))?;
    let max = st.limits.max_ws_message_bytes;
    let session = Session { stream, utterances };
    Ok(ws
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| live(socket, st, session, fmt)))
}

/// A live session: the sliding-window stream and, when transcribing, its utterances.
#[derive(Debug)]
struct Session {
    stream: StreamingRecognizer<Arc<Recognizer>>,
    utterances: Option<UtteranceTracker>,
}

impl Session {
    fn push(
        &mut self,
        samples: &[f32],
    ) -> ser_models::Result<(Vec<WindowEstimate>, Vec<Utterance>)> {
        let w = self.stream.push(samples)?;
        let u = self
            .utterances
            .as_mut()
            .map(|t| t.push(samples, &w))
            .unwrap_or_default();
        Ok((w, u))
    }

    fn finish(&mut self) -> ser_models::Result<(Vec<WindowEstimate>, Vec<Utterance>)> {
        let w = self.stream.finish()?;
        let u = self
            .utterances
            .as_mut()
            .map(|t| t.finish(&w))
            .unwrap_or_default();
        Ok((w, u))
    }
}

type Job = Box<
    dyn FnOnce(&mut Session) -> ser_models::Result<(Vec<WindowEstimate>, Vec<Utterance>)> + Send,
>;

fn json_msg<T: Serialize>(v: &T) -> Message {
    Message::Text(
        serde_json::to_string(v)
            .unwrap_or_else(|_| "{}".into())
            .into(),
    )
}

fn error_msg(code: &str, error: &str) -> Message {
    json_msg(&serde_json::json!({ "type": "error", "code": code, "error": error }))
}

/// Transcribes a closed utterance on the worker pool.
async fn transcribe_utterance(st: &AppState, u: Utterance, sr: u32) -> Result<Message, ApiError> {
    let Some(tb) = st.text.clone() else {
        return Err(ApiError::internal("no text branch"));
    };
    st.run_blocking(move || {
        let linguistic = tb
            .run(&u.samples, sr, &u.acoustic)
            .map_err(|e| ApiError::internal(format!("transcribing: {e}")))?;
        Ok(json_msg(&UtteranceJson {
            kind: "utterance",
            start: u.start,
            end: u.end,
            label: u.acoustic.label.clone(),
            probabilities: probs(&u.acoustic),
            linguistic,
        }))
    })
    .await
}

async fn live(mut socket: WebSocket, st: AppState, session: Session, fmt: PcmFormat) {
    let sr = session.stream.sample_rate();
    let max_samples = (st.limits.max_stream_secs * sr as f64) as usize;
    let ready = serde_json::json!({
        "type": "ready",
        "sample_rate": sr,
        "window_secs": session.stream.config().window_secs,
        "hop_secs": session.stream.config().hop_secs,
        "labels": st.recognizer.card().labels,
        "transcribe": session.utterances.is_some(),
    });
    let session = Arc::new(Mutex::new(session));
    if socket.send(json_msg(&ready)).await.is_err() {
        return;
    }
    while let Some(msg) = socket.recv().await {
        let mut stop = false;
        let job: Job = match msg {
            Ok(Message::Binary(b)) => {
                let samples = match fmt.decode(&b) {
                    Ok(s) => s,
                    Err(e) => {
                        if socket.send(error_msg("bad_pcm", &e)).await.is_err() {
                            return;
                        }
                        continue;
                    }
                };
                let seen = session.lock().map(|s| s.stream.samples_seen()).unwrap_or(0);
                if seen + samples.len() > max_samples {
                    let _ = socket
                        .send(error_msg(
                            "stream_too_long",
                            &format!(
                                "live sessions are limited to {} s",
                                st.limits.max_stream_secs
                            ),
                        ))
                        .await;
                    return;
                }
                Box::new(move |s: &mut Session| s.push(&samples))
            }
            Ok(Message::Text(t)) if t.trim() == "stop" => {
                stop = true;
                Box::new(|s: &mut Session| s.finish())
            }
            Ok(Message::Text(_)) => {
                if socket
                    .send(error_msg("bad_message", "text messages must be `stop`"))
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            Ok(Message::Close(_)) | Err(_) => return,
            Ok(_) => continue,
        };
        let shared = Arc::clone(&session);
        let res = st
            .run_blocking(move || {
                let mut s = shared
                    .lock()
                    .map_err(|_| ApiError::internal("stream state poisoned"))?;
                job(&mut s).map_err(|e| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "inference_failed",
                        e.to_string(),
                    )
                })
            })
            .await;
        match res {
            Ok((windows, utterances)) => {
                for w in &windows {
                    if socket.send(json_msg(&WindowJson::from(w))).await.is_err() {
                        return;
                    }
                }
                for u in utterances {
                    let msg = match transcribe_utterance(&st, u, sr).await {
                        Ok(m) => m,
                        Err(e) => error_msg(e.code, &e.message),
                    };
                    if socket.send(msg).await.is_err() {
                        return;
                    }
                }
                if stop
                    && socket
                        .send(json_msg(&serde_json::json!({ "type": "done" })))
                        .await
                        .is_err()
                {
                    return;
                }
            }
            Err(e) => {
                if socket.send(error_msg(e.code, &e.message)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Fallback for unknown paths: 404 JSON.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// Fallback for a known path with the wrong method: 405 JSON.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this endpoint",
    )
}
