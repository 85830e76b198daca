//! Shared server state: the model, the stream settings, the limits and the inference gate.

use std::sync::Arc;
use std::time::Duration;

use ser_models::{Recognizer, StreamConfig};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;
use super::limits::Limits;

/// State shared by all handlers (cheap to clone).
#[derive(Debug, Clone)]
pub struct AppState {
    /// The loaded model.
    pub recognizer: Arc<Recognizer>,
    /// Window / hop / VAD of the live mode and of `?timeline=true` uploads.
    pub stream: StreamConfig,
    /// Request limits.
    pub limits: Limits,
    /// Model name reported by `/health` (the model directory's name).
    pub model_name: String,
    /// Whisper + text-emotion model for `?transcribe=true` (`serve --transcribe`).
    pub text: Option<Arc<ser_fusion::TextBranch>>,
    gate: Arc<Semaphore>,
}

impl AppState {
    /// State around a loaded model.
    pub fn new(recognizer: Recognizer, model_name: impl Into<String>, limits: Limits) -> Self {
        let n = limits.max_concurrent.max(1);
        Self {
            recognizer: Arc::new(recognizer),
            stream: StreamConfig::default(),
            limits,
            model_name: model_name.into(),
            text: None,
            gate: Arc::new(Semaphore::new(n)),
        }
    }

    /// Enables `?transcribe=true` with a loaded text branch (chaining).
    pub fn with_text_branch(mut self, branch: ser_fusion::TextBranch) -> Self {
        self.text = Some(Arc::new(branch));
        self
    }

    /// Sets the stream settings (chaining).
    pub fn with_stream(mut self, cfg: StreamConfig) -> Self {
        self.stream = cfg;
        self
    }

    /// Free inference slots right now.
    pub fn free_slots(&self) -> usize {
        self.gate.available_permits()
    }

    /// Runs `job` on tokio's blocking pool once an inference slot is free (waiting at most
    /// [`Limits::queue_timeout_secs`], else 503), so model work never blocks the async
    /// executor threads and at most [`Limits::max_concurrent`] jobs run at once.
    pub async fn run_blocking<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    {
        let wait = Duration::from_secs_f64(self.limits.queue_timeout_secs.max(0.0));
        let permit: OwnedSemaphorePermit =
            match tokio::time::timeout(wait, Arc::clone(&self.gate).acquire_owned()).await {
                Ok(Ok(p)) => p,
                Ok(Err(_)) => return Err(ApiError::internal("inference gate closed")),
                Err(_) => return Err(ApiError::busy()),
            };
        let out = tokio::task::spawn_blocking(move || {
            let r = job();
            drop(permit);
            r
        })
        .await;
        match out {
            Ok(r) => r,
            Err(e) => Err(ApiError::internal(format!("inference worker failed: {e}"))),
        }
    }
}
