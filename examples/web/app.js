// Speech emotion recognition page: upload, record (MediaRecorder -> WAV in the page) and
// live mode (AudioWorklet PCM over a WebSocket). No build step, no dependencies.
'use strict';

const $ = (id) => document.getElementById(id);
const TARGET_SR = 16000;
let labels = [];
let canTranscribe = false; // /health says the server was started with --transcribe

function setStatus(text, isError = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', isError);
}

function drawChart(probs, winner) {
  const chart = $('chart');
  chart.textContent = '';
  for (const { label, probability } of probs) {
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = label;
    const bar = document.createElement('div');
    bar.className = 'bar';
    const fill = document.createElement('div');
    fill.className = 'fill' + (label === winner ? ' win' : '');
    fill.style.width = (100 * probability).toFixed(1) + '%';
    bar.appendChild(fill);
    const pct = document.createElement('span');
    pct.className = 'pct';
    pct.textContent = (100 * probability).toFixed(1) + '%';
    chart.append(name, bar, pct);
  }
}

function showLabel(label) {
  $('label').textContent = label ?? '–';
}

function addWindow(w) {
  const el = document.createElement('span');
  el.className = 'w' + (w.label ? '' : ' silence');
  el.title = `${w.start.toFixed(1)}–${w.end.toFixed(1)} s` +
    (w.label ? `: ${w.label}` : ': silence') + ` (speech ${(100 * w.speech_ratio).toFixed(0)}%)`;
  el.textContent = w.label ? w.label.slice(0, 3) : '·';
  $('timeline').appendChild(el);
}

function showResult(r) {
  showLabel(r.label);
  drawChart(r.probabilities, r.label);
  $('meta').textContent = `${r.duration_secs.toFixed(2)} s at ${r.sample_rate} Hz · ` +
    `${r.inference_ms.toFixed(0)} ms · model ${r.model}`;
  $('timeline').textContent = '';
  for (const w of r.windows || []) addWindow(w);
  showLinguistic(r.linguistic);
}

// Transcript, text emotion and fused answer of an upload or a live utterance.
function showLinguistic(l, prefix = '') {
  const t = $('transcript');
  if (!l) {
    t.hidden = true;
    return;
  }
  let text = `${prefix}“${l.transcript || '…'}” (${l.language})`;
  if (l.text) {
    text += ` · words: ${l.text.top_group}, VADER ${l.text.vader_compound.toFixed(2)}`;
  } else if (l.text_skipped) {
    text += ` · ${l.text_skipped}`;
  }
  if (l.fused) {
    text += ` · voice + words: ${l.fused.label} (${(100 * l.fused.acoustic_share).toFixed(0)} % from the voice)`;
  }
  t.textContent = text;
  t.hidden = false;
}

async function predict(body, type) {
  setStatus('recognising…');
  try {
    const q = canTranscribe ? '?timeline=true&transcribe=true' : '?timeline=true';
    const res = await fetch('/api/predict' + q, {
      method: 'POST',
      headers: { 'Content-Type': type || 'application/octet-stream' },
      body,
    });
    const json = await res.json();
    if (!res.ok) {
      if (json.code === 'no_speech') {
        setStatus(`no speech detected — ${json.error.replace(/^no speech: /, '')}`, true);
        return;
      }
      setStatus(`error ${json.status}: ${json.error}`, true);
      return;
    }
    showResult(json);
    setStatus('done');
  } catch (e) {
    setStatus('request failed: ' + e, true);
  }
}

// ---- upload ----
$('file').addEventListener('change', () => {
  const f = $('file').files[0];
  $('upload').disabled = !f;
  if (f) {
    document.querySelector('.file span').textContent = f.name;
    const p = $('player');
    p.src = URL.createObjectURL(f);
    p.hidden = false;
  }
});
$('upload').addEventListener('click', () => {
  const f = $('file').files[0];
  if (f) predict(f, f.type);
});

// ---- WAV encoding of recorded audio ----
function mixToMono(buf) {
  const out = new Float32Array(buf.length);
  for (let c = 0; c < buf.numberOfChannels; c++) {
    const d = buf.getChannelData(c);
    for (let i = 0; i < d.length; i++) out[i] += d[i] / buf.numberOfChannels;
  }
  return out;
}

async function resampleTo(buf, sr) {
  if (buf.sampleRate === sr) return mixToMono(buf);
  const frames = Math.ceil(buf.duration * sr);
  const off = new OfflineAudioContext(1, frames, sr);
  const src = off.createBufferSource();
  src.buffer = buf;
  src.connect(off.destination);
  src.start();
  const r = await off.startRendering();
  return r.getChannelData(0);
}

function encodeWav(samples, sr) {
  const view = new DataView(new ArrayBuffer(44 + 2 * samples.length));
  const str = (o, s) => { for (let i = 0; i < s.length; i++) view.setUint8(o + i, s.charCodeAt(i)); };
  str(0, 'RIFF'); view.setUint32(4, 36 + 2 * samples.length, true); str(8, 'WAVE');
  str(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 1, true);
  view.setUint16(22, 1, true); view.setUint32(24, sr, true); view.setUint32(28, 2 * sr, true);
  view.setUint16(32, 2, true); view.setUint16(34, 16, true);
  str(36, 'data'); view.setUint32(40, 2 * samples.length, true);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + 2 * i, v < 0 ? v * 0x8000 : v * 0x7fff, true);
  }
  return new Blob([view], { type: 'audio/wav' });
}

// ---- record ----
let recorder = null;
$('record').addEventListener('click', async () => {
  if (recorder) { recorder.stop(); return; }
  try {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true });
    const chunks = [];
    recorder = new MediaRecorder(media);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = async () => {
      media.getTracks().forEach((t) => t.stop());
      recorder = null;
      $('record').classList.remove('active');
      $('record').textContent = '● Record';
      const blob = new Blob(chunks, { type: chunks[0]?.type || 'audio/webm' });
      const ctx = new AudioContext();
      const decoded = await ctx.decodeAudioData(await blob.arrayBuffer());
      ctx.close();
      const wav = encodeWav(await resampleTo(decoded, TARGET_SR), TARGET_SR);
      const p = $('player'); p.src = URL.createObjectURL(wav); p.hidden = false;
      predict(wav, 'audio/wav');
    };
    recorder.start();
    $('record').classList.add('active');
    $('record').textContent = '■ Stop';
    setStatus('recording… press Stop to recognise');
  } catch (e) {
    recorder = null;
    setStatus('microphone unavailable: ' + e, true);
  }
});

// ---- live mode ----
let live = null;
async function startLive() {
  const media = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false },
  });
  let ctx;
  try { ctx = new AudioContext({ sampleRate: TARGET_SR }); } catch { ctx = new AudioContext(); }
  await ctx.audioWorklet.addModule('/pcm-worklet.js');
  const src = ctx.createMediaStreamSource(media);
  const node = new AudioWorkletNode(ctx, 'pcm-forwarder');
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const tq = canTranscribe ? '&transcribe=true' : '';
  const ws = new WebSocket(`${proto}//${location.host}/api/stream?sample_rate=${ctx.sampleRate}&format=f32${tq}`);
  ws.binaryType = 'arraybuffer';
  $('timeline').textContent = '';
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === 'window') {
      addWindow(m);
      if (m.label) { showLabel(m.label); drawChart(m.probabilities, m.label); }
      $('meta').textContent = `live · window ${m.start.toFixed(1)}–${m.end.toFixed(1)} s` +
        (m.label ? '' : ' · silence');
    } else if (m.type === 'utterance') {
      showLinguistic(m.linguistic, `${m.start.toFixed(1)}–${m.end.toFixed(1)} s, voice ${m.label}: `);
    } else if (m.type === 'error') {
      setStatus(`error: ${m.error}`, true);
    } else if (m.type === 'done') {
      ws.close();
    } else if (m.type === 'ready') {
      setStatus(`live: ${m.window_secs} s windows every ${m.hop_secs} s` +
        (m.transcribe ? ' · each utterance is transcribed when you pause' : ''));
    }
  };
  ws.onclose = () => { if (live && live.ws === ws) stopLive(false); };
  node.port.onmessage = (ev) => { if (ws.readyState === WebSocket.OPEN) ws.send(ev.data.buffer); };
  src.connect(node);
  live = { media, ctx, ws, node };
  $('live').classList.add('active');
  $('live').textContent = '■ Stop live';
}

function stopLive(sendStop = true) {
  if (!live) return;
  const { media, ctx, ws, node } = live;
  live = null;
  node.port.onmessage = null;
  media.getTracks().forEach((t) => t.stop());
  ctx.close();
  if (sendStop && ws.readyState === WebSocket.OPEN) ws.send('stop'); // server answers "done"
  $('live').classList.remove('active');
  $('live').textContent = 'Live mode';
  setStatus('live mode stopped');
}

$('live').addEventListener('click', async () => {
  if (live) { stopLive(); return; }
  try { await startLive(); } catch (e) { setStatus('live mode unavailable: ' + e, true); }
});

// ---- model info ----
fetch('/health').then((r) => r.json()).then((h) => {
  labels = h.labels;
  canTranscribe = !!h.transcription;
  const enc = h.encoder ? ` on ${h.encoder.split('/').pop()}` : '';
  $('model').textContent = `model “${h.model}” (${h.arch}${enc}), classes: ${labels.join(', ')} · ` +
    `uploads up to ${(h.limits.max_body_bytes / 1048576).toFixed(0)} MB / ${h.limits.max_duration_secs} s` +
    (canTranscribe ? ' · uploads are transcribed (Whisper) and the words read' : '');
  drawChart(labels.map((label) => ({ label, probability: 0 })), null);
}).catch(() => { $('model').textContent = 'server unreachable'; });
