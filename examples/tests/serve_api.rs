//! API tests of the `serve` router, driven in-process with `tower::ServiceExt::oneshot`:
//! valid uploads (raw and multipart), wrong types, oversized, empty and truncated bodies,
//! duration limits, JSON errors, bounded concurrency.
#![allow(clippy::unwrap_used)]

use ser_models::ModelInput;
use std::path::Path;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use ser_dsp::Audio;
use ser_examples::serve::{router, AppState, Limits, PredictResponse};
use ser_models::{
    fit_standardizer, init_model, save_model_dir, set_standardizer, Arch, FeaturePipeline,
    FeatureSpec, LogMelSpec, ModelCard, Recognizer,
};
use serde_json::Value;
use tower::ServiceExt;

const LABELS: [&str; 4] = ["neutral", "happy", "sad", "angry"];

fn speech_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/speech.wav")
}

fn wav_bytes() -> Vec<u8> {
    std::fs::read(speech_path()).unwrap()
}

/// A small untrained model with fitted input standardisation (outputs depend on the audio).
fn recognizer(dir: &Path) -> Recognizer {
    let spec = FeatureSpec::LogMel(LogMelSpec::default());
    let cfg = Arch::Mlp.default_config(spec.n_features(), LABELS.len());
    let (_, params) = init_model(&cfg, 3).unwrap();
    let audio = Audio::load(speech_path(), Some(16000)).unwrap();
    let pipe = FeaturePipeline::new(&spec).unwrap();
    let seqs: Vec<_> = audio
        .samples
        .chunks(16000)
        .map(|c| pipe.sequence(c, 16000).unwrap())
        .collect();
    let (m, s) = fit_standardizer(&seqs).unwrap();
    set_standardizer(&params, &m, &s).unwrap();
    let card = ModelCard::new(cfg, spec, LABELS.iter().map(|s| s.to_string()).collect());
    save_model_dir(dir, &card, &params).unwrap();
    Recognizer::load(dir).unwrap()
}

fn app_with(limits: Limits) -> (Router, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let rec = recognizer(dir.path());
    (router(AppState::new(rec, "test-model", limits)), dir)
}

fn app() -> (Router, tempfile::TempDir) {
    app_with(Limits::default())
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Option<String>, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string());
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, ct, body)
}

fn post(uri: &str, content_type: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut b = Request::builder().method("POST").uri(uri);
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    b.body(Body::from(body)).unwrap()
}

fn multipart(field: &str, filename: Option<&str>, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----sertestboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    let disp = match filename {
        Some(f) => format!("form-data; name=\"{field}\"; filename=\"{f}\""),
        None => format!("form-data; name=\"{field}\""),
    };
    body.extend(
        format!("--{boundary}\r\nContent-Disposition: {disp}\r\nContent-Type: audio/wav\r\n\r\n")
            .as_bytes(),
    );
    body.extend(data);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Asserts a JSON error body with the given status and code.
fn assert_error(status: StatusCode, ct: Option<String>, body: &[u8], want: StatusCode, code: &str) {
    assert_eq!(status, want, "body: {}", String::from_utf8_lossy(body));
    assert_eq!(ct.as_deref(), Some("application/json"));
    let v: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["code"], code, "{v}");
    assert_eq!(v["status"], want.as_u16());
    assert!(!v["error"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn health_and_page() {
    let (app, _d) = app();
    let (s, ct, body) = call(&app, Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct.as_deref(), Some("application/json"));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["model"], "test-model");
    assert_eq!(v["arch"], "mlp");
    assert_eq!(v["labels"], serde_json::json!(LABELS));
    assert_eq!(v["sample_rate"], 16000);

    let (s, ct, body) = call(&app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.unwrap().starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("id=\"file\"") && html.contains("/app.js"));
    for (path, ct_prefix) in [
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/pcm-worklet.js", "text/javascript"),
    ] {
        let (s, ct, body) = call(&app, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(ct.unwrap().starts_with(ct_prefix), "{path}");
        assert!(!body.is_empty());
    }
}

#[tokio::test]
async fn valid_wav_raw_and_multipart_match_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recognizer(dir.path());
    let expected = rec.predict_file(speech_path()).unwrap();
    let app = router(AppState::new(rec, "m", Limits::default()));

    for ct in [Some("audio/wav"), Some("application/octet-stream"), None] {
        let (s, rct, body) = call(&app, post("/api/predict", ct, wav_bytes())).await;
        assert_eq!(
            s,
            StatusCode::OK,
            "{ct:?}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(rct.as_deref(), Some("application/json"));
        let r: PredictResponse = serde_json::from_slice(&body).unwrap();
        assert_eq!(r.label, expected.label);
        assert_eq!(r.index, expected.index);
        assert_eq!(r.sample_rate, 16000);
        assert!((r.duration_secs - 4.35).abs() < 0.01, "{}", r.duration_secs);
        assert_eq!(r.probabilities.len(), LABELS.len());
        for (a, (l, p)) in r.probabilities.iter().zip(&expected.probabilities) {
            assert_eq!(&a.label, l);
            assert!((a.probability - p).abs() < 1e-6);
        }
        let sum: f32 = r.probabilities.iter().map(|p| p.probability).sum();
        assert!((sum - 1.0).abs() < 1e-4);
        assert!(r.windows.is_none());
    }

    for (field, fname) in [
        ("file", Some("speech.wav")),
        ("audio", None),
        ("upload", Some("x.wav")),
    ] {
        let (ct, body) = multipart(field, fname, &wav_bytes());
        let (s, _, body) = call(&app, post("/api/predict", Some(&ct), body)).await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let r: PredictResponse = serde_json::from_slice(&body).unwrap();
        assert_eq!(r.label, expected.label);
    }

    // Timeline of sliding windows: 4.35 s -> windows at 0, 0.5, 1, 1.5, 2 s + tail.
    let (s, _, body) = call(
        &app,
        post("/api/predict?timeline=true", Some("audio/wav"), wav_bytes()),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let r: PredictResponse = serde_json::from_slice(&body).unwrap();
    let w = r.windows.unwrap();
    assert_eq!(w.len(), 6);
    assert_eq!((w[0].start, w[0].end), (0.0, 2.0));
    assert!(
        (w[5].end - r.duration_secs).abs() < 1e-6,
        "{} vs {}",
        w[5].end,
        r.duration_secs
    );
    assert!(w.iter().any(|w| w.label.is_some()));

    // Other container: FLAC / float WAV of the same audio decode too (here: 32-bit float WAV
    // at 22.05 kHz, resampled by the server).
    let a = Audio::load(speech_path(), Some(22050)).unwrap();
    let f = dir.path().join("f32.wav");
    a.write_wav_f32(&f).unwrap();
    let (s, _, body) = call(
        &app,
        post(
            "/api/predict",
            Some("audio/x-wav"),
            std::fs::read(&f).unwrap(),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let r: PredictResponse = serde_json::from_slice(&body).unwrap();
    assert_eq!(r.sample_rate, 22050);
}

#[tokio::test]
async fn wrong_type() {
    let (app, _d) = app();
    // A content type that is not audio.
    let (s, ct, b) = call(&app, post("/api/predict", Some("text/plain"), wav_bytes())).await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let (s, ct, b) = call(
        &app,
        post("/api/predict", Some("application/json"), b"{}".to_vec()),
    )
    .await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    // An audio content type on bytes that are not audio.
    let junk = b"this is definitely not an audio file, just some text".repeat(20);
    let (s, ct, b) = call(&app, post("/api/predict", Some("audio/wav"), junk.clone())).await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_audio",
    );
    let (mct, body) = multipart("file", Some("notes.txt"), &junk);
    let (s, ct, b) = call(&app, post("/api/predict", Some(&mct), body)).await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_audio",
    );
    // A PNG header.
    let png = [
        &[0x89u8, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a][..],
        &[0u8; 200],
    ]
    .concat();
    let (s, ct, b) = call(&app, post("/api/predict", None, png)).await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_audio",
    );
}

#[tokio::test]
async fn oversized_uploads_and_audio() {
    let (app, _d) = app_with(
        Limits::default()
            .max_body_bytes(50_000)
            .max_duration_secs(2.0),
    );
    let big = wav_bytes(); // 139 kB
    assert!(big.len() > 50_000);
    // Raw body with a Content-Length over the limit (rejected before reading).
    let req = Request::post("/api/predict")
        .header(header::CONTENT_TYPE, "audio/wav")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big.clone()))
        .unwrap();
    let (s, ct, b) = call(&app, req).await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Without Content-Length the body is cut off at the limit while reading.
    let (s, ct, b) = call(&app, post("/api/predict", Some("audio/wav"), big.clone())).await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Multipart over the limit.
    let (mct, body) = multipart("file", Some("speech.wav"), &big);
    let (s, ct, b) = call(&app, post("/api/predict", Some(&mct), body)).await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Just over the limit: the file alone is larger than max_body_bytes.
    let (s, ct, b) = call(&app, post("/api/predict", None, vec![0u8; 50_001])).await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );

    // Small file but longer than the duration limit: 3 s at 8 kHz, 16-bit (48 kB).
    let a = Audio::new(
        (0..24000).map(|i| 0.2 * (i as f32 * 0.07).sin()).collect(),
        8000,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long.wav");
    a.write_wav(&p).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    assert!(bytes.len() < 50_000);
    let (s, ct, b) = call(&app, post("/api/predict", Some("audio/wav"), bytes)).await;
    assert_error(s, ct, &b, StatusCode::PAYLOAD_TOO_LARGE, "audio_too_long");
}

#[tokio::test]
async fn empty_and_truncated() {
    let (app, _d) = app();
    let (s, ct, b) = call(&app, post("/api/predict", Some("audio/wav"), Vec::new())).await;
    assert_error(s, ct, &b, StatusCode::BAD_REQUEST, "empty_body");
    let (s, ct, b) = call(&app, post("/api/predict", None, Vec::new())).await;
    assert_error(s, ct, &b, StatusCode::BAD_REQUEST, "empty_body");
    let (mct, body) = multipart("file", Some("empty.wav"), &[]);
    let (s, ct, b) = call(&app, post("/api/predict", Some(&mct), body)).await;
    assert_error(s, ct, &b, StatusCode::BAD_REQUEST, "empty_body");
    // Multipart without any file field.
    let boundary = "xyzzy";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--{boundary}--\r\n"
    );
    let (s, ct, b) = call(
        &app,
        post(
            "/api/predict",
            Some("multipart/form-data; boundary=xyzzy"),
            body.into_bytes(),
        ),
    )
    .await;
    assert_error(s, ct, &b, StatusCode::BAD_REQUEST, "missing_file");

    let wav = wav_bytes();
    // Cut inside the header.
    let (s, ct, b) = call(
        &app,
        post("/api/predict", Some("audio/wav"), wav[..20].to_vec()),
    )
    .await;
    assert!(s.is_client_error(), "{s}");
    assert_error(
        s,
        ct,
        &b,
        s,
        serde_json::from_slice::<Value>(&b).unwrap()["code"]
            .as_str()
            .unwrap(),
    );
    // Cut inside the samples: the data chunk announces more than is there.
    let (s, ct, b) = call(
        &app,
        post(
            "/api/predict",
            Some("audio/wav"),
            wav[..wav.len() / 2].to_vec(),
        ),
    )
    .await;
    let code = serde_json::from_slice::<Value>(&b).unwrap()["code"].clone();
    assert!(code == "truncated_audio" || code == "bad_audio", "{code}");
    assert_error(
        s,
        ct,
        &b,
        StatusCode::UNPROCESSABLE_ENTITY,
        code.as_str().unwrap(),
    );
    // Header only, no samples.
    let (s, ct, b) = call(
        &app,
        post("/api/predict", Some("audio/wav"), wav[..44].to_vec()),
    )
    .await;
    assert!(s == StatusCode::UNPROCESSABLE_ENTITY, "{s}");
    assert_error(
        s,
        ct,
        &b,
        s,
        serde_json::from_slice::<Value>(&b).unwrap()["code"]
            .as_str()
            .unwrap(),
    );
    // Valid but too short (10 ms).
    let a = Audio::new(vec![0.1; 160], 16000).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("short.wav");
    a.write_wav(&p).unwrap();
    let (s, ct, b) = call(
        &app,
        post(
            "/api/predict",
            Some("audio/wav"),
            std::fs::read(&p).unwrap(),
        ),
    )
    .await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::UNPROCESSABLE_ENTITY,
        "audio_too_short",
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json() {
    let (app, _d) = app();
    let (s, ct, b) = call(&app, Request::get("/nope").body(Body::empty()).unwrap()).await;
    assert_error(s, ct, &b, StatusCode::NOT_FOUND, "not_found");
    let (s, ct, b) = call(
        &app,
        Request::get("/api/predict").body(Body::empty()).unwrap(),
    )
    .await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    // The live endpoint rejects a bad PCM format before upgrading.
    let req = Request::get("/api/stream?format=mp3")
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Body::empty())
        .unwrap();
    let (s, _, _) = call(&app, req).await;
    assert!(s.is_client_error(), "{s}");
}

#[tokio::test]
async fn bounded_concurrency_serves_every_request() {
    // One inference slot, eight simultaneous requests: all succeed, in turn.
    let (app, _d) = app_with(Limits::default().max_concurrent(1));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            call(&app, post("/api/predict", Some("audio/wav"), wav_bytes()))
                .await
                .0
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
    // A zero queue timeout with the only slot taken gives 503 busy, as JSON.
    let dir = tempfile::tempdir().unwrap();
    let st = AppState::new(
        recognizer(dir.path()),
        "m",
        Limits::default().max_concurrent(1).queue_timeout_secs(0.0),
    );
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let st2 = st.clone();
    let blocker = tokio::spawn(async move {
        st2.run_blocking(move || {
            rx.recv().ok();
            Ok(())
        })
        .await
    });
    while st.free_slots() > 0 {
        tokio::task::yield_now().await;
    }
    let app = router(st.clone());
    let (s, ct, b) = call(&app, post("/api/predict", Some("audio/wav"), wav_bytes())).await;
    assert_error(s, ct, &b, StatusCode::SERVICE_UNAVAILABLE, "busy");
    tx.send(()).unwrap();
    blocker.await.unwrap().unwrap();
    assert_eq!(st.free_slots(), 1);
}

/// Non-speech uploads (a tone, silence) are reported as such, not given an emotion.
#[tokio::test]
async fn non_speech_is_reported() {
    let (app, _d) = app();
    let dir = tempfile::tempdir().unwrap();
    for (name, x) in [
        (
            "tone",
            (0..32000)
                .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 16000.0).sin())
                .collect::<Vec<f32>>(),
        ),
        ("silence", vec![0.0f32; 32000]),
    ] {
        let p = dir.path().join(format!("{name}.wav"));
        Audio::new(x, 16000).unwrap().write_wav(&p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let (s, ct, b) = call(&app, post("/api/predict", Some("audio/wav"), bytes)).await;
        assert_error(s, ct, &b, StatusCode::UNPROCESSABLE_ENTITY, "no_speech");
    }
}

#[tokio::test]
async fn transcription_needs_the_text_branch() {
    let (app, _d) = app();
    // /health says transcription is off; asking for it is a clear 400, not a silent skip.
    let (s, _, b) = call(&app, Request::get("/health").body(Body::empty()).unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    let h: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(h["transcription"], serde_json::json!(false));
    let (s, ct, b) = call(
        &app,
        post(
            "/api/predict?transcribe=true",
            Some("audio/wav"),
            wav_bytes(),
        ),
    )
    .await;
    assert_error(
        s,
        ct,
        &b,
        StatusCode::BAD_REQUEST,
        "transcription_unavailable",
    );
    // Without the flag the same upload is recognised and carries no linguistic block.
    let (s, _, b) = call(&app, post("/api/predict", Some("audio/wav"), wav_bytes())).await;
    assert_eq!(s, StatusCode::OK);
    let r: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert!(r.get("linguistic").is_none());
}
