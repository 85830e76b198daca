//! The `serve` web service: an `axum` router around a [`ser_models::Recognizer`].
//!
//! | Route | |
//! |---|---|
//! | `GET /` | page: upload a file, record from the microphone, or live mode |
//! | `GET /health` | `{"status":"ok","model":…,"labels":[…],"limits":{…}}` |
//! | `POST /api/predict[?timeline=true]` | multipart (`file` field) or raw audio body → [`PredictResponse`] |
//! | `GET /api/stream?sample_rate=16000&format=f32\|i16` | WebSocket live mode, see [`handlers::stream_ws`] |
//!
//! Errors are JSON `{"error": "…", "code": "…", "status": 4xx}` ([`ApiError`]): 400 empty body
//! or bad multipart, 413 upload over [`Limits::max_body_bytes`] or audio over
//! [`Limits::max_duration_secs`], 415 content type or bytes that are not audio, 422
//! truncated / malformed / too short audio, 503 when no inference slot frees up in time.
//! Decoding, features and the model run on tokio's blocking pool behind a semaphore of
//! [`Limits::max_concurrent`] permits, never on the async executor threads.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use ser_examples::serve::{router, shutdown_signal, AppState, Limits};
//! let rec = ser_models::Recognizer::load("models/default")?;
//! let app = router(AppState::new(rec, "default", Limits::default()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
//! # Ok(())
//! # }
//! ```

pub mod error;
pub mod handlers;
pub mod limits;
pub mod state;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;

pub use error::ApiError;
pub use handlers::{ClassProb, PredictResponse, WindowJson};
pub use limits::Limits;
pub use state::AppState;

/// The application: every route, JSON 404/405 fallbacks, and the body limit of
/// [`Limits::max_body_bytes`] (enforced for raw and multipart bodies).
pub fn router(state: AppState) -> Router {
    let body_limit = state
        .limits
        .max_body_bytes
        .saturating_add(handlers::MULTIPART_SLACK);
    Router::new()
        .route("/", get(handlers::index))
        .route("/app.js", get(handlers::app_js))
        .route("/style.css", get(handlers::style_css))
        .route("/pcm-worklet.js", get(handlers::worklet_js))
        .route("/favicon.ico", get(handlers::favicon))
        .route("/health", get(handlers::health))
        .route("/api/predict", post(handlers::predict))
        .route("/api/stream", get(handlers::stream_ws))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Resolves on ctrl-c or (on Unix) SIGTERM: pass to `with_graceful_shutdown` so in-flight
/// requests finish before the process exits.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
