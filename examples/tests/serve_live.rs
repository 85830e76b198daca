//! The live WebSocket protocol of `serve` over a real loopback socket: `ready`, one `window`
//! message per window equal to the library's streaming timeline, `error` for bad messages,
//! `stop` → tail + `done`, and graceful shutdown.
#![allow(clippy::unwrap_used)]

use ser_models::ModelInput;
use std::path::Path;

use futures_util::{SinkExt, StreamExt};
use ser_dsp::Audio;
use ser_examples::serve::{router, AppState, Limits, WindowJson};
use ser_models::streaming::timeline;
use ser_models::{
    fit_standardizer, init_model, save_model_dir, set_standardizer, Arch, FeaturePipeline,
    FeatureSpec, LogMelSpec, ModelCard, Recognizer, StreamConfig,
};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

fn speech() -> Audio {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/speech.wav");
    Audio::load(p, Some(16000)).unwrap()
}

fn recognizer(dir: &Path) -> Recognizer {
    let spec = FeatureSpec::LogMel(LogMelSpec::default());
    let cfg = Arch::Mlp.default_config(spec.n_features(), 3);
    let (_, params) = init_model(&cfg, 5).unwrap();
    let pipe = FeaturePipeline::new(&spec).unwrap();
    let seqs: Vec<_> = speech()
        .samples
        .chunks(16000)
        .map(|c| pipe.sequence(c, 16000).unwrap())
        .collect();
    let (m, s) = fit_standardizer(&seqs).unwrap();
    set_standardizer(&params, &m, &s).unwrap();
    let labels = vec!["calm".into(), "happy".into(), "angry".into()];
    save_model_dir(dir, &ModelCard::new(cfg, spec, labels), &params).unwrap();
    Recognizer::load(dir).unwrap()
}

async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Close(_) => panic!("socket closed"),
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_stream_over_websocket_matches_library_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(recognizer(dir.path()), "live-test", Limits::default());
    let rec = state.recognizer.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async {
                stop_rx.await.ok();
            })
            .await
    });

    let url = format!("ws://{addr}/api/stream?sample_rate=16000&format=i16");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let ready = next_json(&mut ws).await;
    assert_eq!(ready["type"], "ready");
    assert_eq!(ready["sample_rate"], 16000);
    assert_eq!(ready["window_secs"], 2.0);
    assert_eq!(
        ready["labels"],
        serde_json::json!(["calm", "happy", "angry"])
    );

    // A message that is not a whole number of int16 samples: error, session continues.
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    let e = next_json(&mut ws).await;
    assert_eq!(e["type"], "error");
    assert_eq!(e["code"], "bad_pcm");

    // speech.wav as int16 PCM in 100 ms messages, then `stop`.
    let pcm: Vec<i16> = speech()
        .samples
        .iter()
        .map(|v| (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    for chunk in pcm.chunks(1600) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|s| s.to_le_bytes()).collect();
        ws.send(Message::binary(bytes)).await.unwrap();
    }
    ws.send(Message::text("stop")).await.unwrap();
    let mut windows = Vec::new();
    loop {
        let m = next_json(&mut ws).await;
        match m["type"].as_str().unwrap() {
            "window" => windows.push(serde_json::from_value::<WindowJson>(m).unwrap()),
            "done" => break,
            other => panic!("unexpected message {other}: {m}"),
        }
    }

    // The same samples through the library's streaming path.
    let x: Vec<f32> = pcm.iter().map(|&s| s as f32 / 32768.0).collect();
    let expected = timeline(&rec, &x, 16000, &StreamConfig::default()).unwrap();
    assert_eq!(windows.len(), expected.len());
    assert_eq!(
        windows.len(),
        6,
        "5 full windows + the tail of a 4.35 s signal"
    );
    for (w, e) in windows.iter().zip(&expected) {
        assert_eq!((w.index, w.start, w.end), (e.index, e.start, e.end));
        assert_eq!(w.label, e.prediction.as_ref().map(|p| p.label.clone()));
        if let (Some(wp), Some(ep)) = (&w.probabilities, &e.prediction) {
            for (a, (_, b)) in wp.iter().zip(&ep.probabilities) {
                assert!((a.probability - b).abs() < 1e-6);
            }
        }
    }

    // Text other than `stop` is rejected; the session stays open.
    ws.send(Message::text("hello")).await.unwrap();
    assert_eq!(next_json(&mut ws).await["code"], "bad_message");
    ws.close(None).await.unwrap();

    // A bad format is refused before the upgrade.
    let bad = format!("ws://{addr}/api/stream?format=mp3");
    assert!(tokio_tungstenite::connect_async(bad).await.is_err());

    // Graceful shutdown: the server future completes once signalled.
    stop_tx.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("server did not shut down")
        .unwrap()
        .unwrap();
}

/// The text branch of the live mode, or `None` (with `SKIPPED:`) without the Whisper
/// checkpoint and the sentence encoder.
fn text_branch() -> Option<ser_fusion::TextBranch> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let asr = root.join("models/whisper-tiny.en");
    let text = root.join("models/text-emotion");
    let encoder = root.join("models/all-MiniLM-L6-v2");
    if !asr.join("model.bin").is_file() || !encoder.is_dir() {
        println!(
            "SKIPPED: live transcription needs {} and {} (scripts/fetch_whisper.sh tiny.en, scripts/fetch_minilm.sh)",
            asr.display(),
            encoder.display()
        );
        return None;
    }
    Some(
        ser_fusion::TextBranch::load(asr, text)
            .unwrap()
            .with_options(ser_fusion::spoken::asr_options(1)),
    )
}

/// `transcribe=true`: two sentences separated by 3 s of silence come back as two
/// `utterance` messages, each after the window that closed it, with Whisper's transcript;
/// without `--transcribe` on the server the upgrade is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_stream_transcribes_each_utterance() {
    let dir = tempfile::tempdir().unwrap();
    let plain = AppState::new(recognizer(dir.path()), "live-test", Limits::default());
    let Some(branch) = text_branch() else { return };
    let state = plain.clone().with_text_branch(branch);
    let serve = |state: AppState| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        addr
    };
    let off = serve(plain).await;
    let refused = format!("ws://{off}/api/stream?transcribe=true");
    assert!(tokio_tungstenite::connect_async(refused).await.is_err());

    let addr = serve(state).await;
    let url = format!("ws://{addr}/api/stream?sample_rate=16000&format=f32&transcribe=true");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let ready = next_json(&mut ws).await;
    assert_eq!(ready["transcribe"], true);
    let s = speech().samples;
    let mut x = s.clone();
    x.extend(std::iter::repeat_n(0.0, 3 * 16000));
    x.extend(&s);
    for chunk in x.chunks(3200) {
        let bytes: Vec<u8> = chunk.iter().flat_map(|v| v.to_le_bytes()).collect();
        ws.send(Message::binary(bytes)).await.unwrap();
    }
    ws.send(Message::text("stop")).await.unwrap();
    let mut utterances = Vec::new();
    let mut last_window_end = 0.0;
    loop {
        let m = next_json(&mut ws).await;
        match m["type"].as_str().unwrap() {
            "window" => last_window_end = m["end"].as_f64().unwrap(),
            "utterance" => {
                assert!(m["end"].as_f64().unwrap() <= last_window_end + 1e-9);
                utterances.push(m)
            }
            "done" => break,
            other => panic!("unexpected message {other}: {m}"),
        }
    }
    assert_eq!(utterances.len(), 2, "{utterances:?}");
    let secs = s.len() as f64 / 16000.0;
    assert!(utterances[0]["start"].as_f64().unwrap() < 0.5);
    assert!(utterances[0]["end"].as_f64().unwrap() < secs + 2.5);
    assert!(utterances[1]["start"].as_f64().unwrap() > secs + 0.5);
    for u in &utterances {
        let text = u["linguistic"]["transcript"]
            .as_str()
            .unwrap()
            .to_lowercase();
        println!("utterance {}–{}: {text:?}", u["start"], u["end"]);
        assert!(text.contains("wonderful"), "{text}");
        assert_eq!(u["linguistic"]["language"], "en");
        assert!(u["linguistic"]["text"]["vader_compound"].is_number());
    }
}
