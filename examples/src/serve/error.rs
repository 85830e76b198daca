//! JSON errors: every failure is `{"error": "<message>", "code": "<id>", "status": <http>}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An API error with its HTTP status and a stable machine-readable `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable identifier, e.g. `"payload_too_large"`.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

/// The JSON body of an [`ApiError`].
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// Human-readable message.
    pub error: &'a str,
    /// Stable identifier.
    pub code: &'a str,
    /// HTTP status code.
    pub status: u16,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 `empty_body`.
    pub fn empty() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "the request contains no audio",
        )
    }

    /// 413 `payload_too_large`.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("upload exceeds the limit of {limit} bytes"),
        )
    }

    /// 415 `unsupported_media_type`.
    pub fn media_type(got: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "content type `{got}` is not accepted; send multipart/form-data with a `file` \
                 field, or a raw body with an audio/* or application/octet-stream type"
            ),
        )
    }

    /// 500 `internal` (bugs, panics in a worker).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// 503 `busy`.
    pub fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "all inference workers are busy; retry later",
        )
    }

    /// The error as a ser-dsp decoding failure of an upload: 415 for bytes that are not a
    /// supported audio format, 422 for malformed, truncated, empty or non-finite audio.
    pub fn from_decode(e: &ser_dsp::Error) -> Self {
        match e {
            ser_dsp::Error::UnsupportedFormat { .. } => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_audio",
                format!("not a supported audio file (WAV, FLAC, MP3, OGG/Vorbis): {e}"),
            ),
            ser_dsp::Error::Truncated { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "truncated_audio",
                e.to_string(),
            ),
            ser_dsp::Error::EmptyAudio => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "empty_audio",
                e.to_string(),
            ),
            _ => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_audio", e.to_string()),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: &self.message,
            code: self.code,
            status: self.status.as_u16(),
        };
        (self.status, Json(body)).into_response()
    }
}
