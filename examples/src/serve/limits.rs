//! Request limits of the web service.

use serde::Serialize;

/// Limits applied to every request; exceeding one gives a 4xx JSON error (or 503 when the
/// inference queue is full).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Limits {
    /// Largest request body (upload) in bytes. Default: 10 MiB.
    pub max_body_bytes: usize,
    /// Longest decoded audio accepted by `/api/predict`, seconds. Default: 30.
    pub max_duration_secs: f64,
    /// Shortest decoded audio accepted by `/api/predict`, seconds. Default: 0.1.
    pub min_duration_secs: f64,
    /// Inference jobs running at once (HTTP and WebSocket together). Default: the number of
    /// CPU cores.
    pub max_concurrent: usize,
    /// How long a request may wait for an inference slot before a 503, seconds. Default: 10.
    pub queue_timeout_secs: f64,
    /// Largest WebSocket message (one PCM chunk) in bytes. Default: 256 KiB (4 s of 16 kHz
    /// f32).
    pub max_ws_message_bytes: usize,
    /// Longest live session, seconds of audio. Default: 600.
    pub max_stream_secs: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 10 * 1024 * 1024,
            max_duration_secs: 30.0,
            min_duration_secs: 0.1,
            max_concurrent: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            queue_timeout_secs: 10.0,
            max_ws_message_bytes: 256 * 1024,
            max_stream_secs: 600.0,
        }
    }
}

impl Limits {
    /// Sets `max_body_bytes` (chaining).
    pub fn max_body_bytes(mut self, v: usize) -> Self {
        self.max_body_bytes = v;
        self
    }
    /// Sets `max_duration_secs` (chaining).
    pub fn max_duration_secs(mut self, v: f64) -> Self {
        self.max_duration_secs = v;
        self
    }
    /// Sets `min_duration_secs` (chaining).
    pub fn min_duration_secs(mut self, v: f64) -> Self {
        self.min_duration_secs = v;
        self
    }
    /// Sets `max_concurrent` (chaining; at least 1 is used).
    pub fn max_concurrent(mut self, v: usize) -> Self {
        self.max_concurrent = v;
        self
    }
    /// Sets `queue_timeout_secs` (chaining).
    pub fn queue_timeout_secs(mut self, v: f64) -> Self {
        self.queue_timeout_secs = v;
        self
    }
    /// Sets `max_ws_message_bytes` (chaining).
    pub fn max_ws_message_bytes(mut self, v: usize) -> Self {
        self.max_ws_message_bytes = v;
        self
    }
    /// Sets `max_stream_secs` (chaining).
    pub fn max_stream_secs(mut self, v: f64) -> Self {
        self.max_stream_secs = v;
        self
    }
}
