// End-to-end test of the `serve` page in headless Chromium (driven by playwright-core):
// upload a WAV through the page, wait for the label and the bar chart, take a screenshot,
// then run the live mode with Chromium's fake microphone fed from the same WAV and wait for
// window estimates over the WebSocket. Run through scripts/serve_e2e.sh (not run by CI).
//
// Env: BASE_URL (http://127.0.0.1:18080), WAV (file to upload), SCREENSHOT (png path),
//      PW_DIR (folder whose node_modules holds playwright-core), CHROMIUM (/usr/bin/chromium).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.resolve(process.env.PW_DIR || '.') + '/');
const { chromium } = require('playwright-core');

const base = process.env.BASE_URL || 'http://127.0.0.1:18080';
const wav = path.resolve(process.env.WAV || 'assets/speech.wav');
const shot = path.resolve(process.env.SCREENSHOT || 'results/serve_screenshot.png');
const liveShot = shot.replace(/\.png$/, '_live.png');

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exitCode = 1;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run',
    // Live mode: a fake microphone that plays the WAV, permission granted without a prompt.
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}`,
    '--autoplay-policy=no-user-gesture-required',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 820 } });
  page.on('console', (m) => { if (m.type() === 'error') console.error('page console:', m.text()); });
  await page.goto(base + '/');
  const health = await (await page.request.get(base + '/health')).json();
  await page.waitForFunction(() => document.getElementById('model').textContent.includes('classes'));

  // 1. Upload.
  await page.setInputFiles('#file', wav);
  await page.click('#upload');
  await page.waitForFunction(() => document.getElementById('status').textContent === 'done'
    || document.getElementById('status').classList.contains('error'), null, { timeout: 30000 });
  const label = (await page.textContent('#label')).trim();
  const status = (await page.textContent('#status')).trim();
  const bars = await page.$$eval('#chart .fill', (els) => els.map((e) => parseFloat(e.style.width)));
  const windows = await page.$$eval('#timeline .w', (els) => els.length);
  console.log(`upload: status "${status}", label "${label}", bars [${bars.map((b) => b.toFixed(1)).join(', ')}] %, ${windows} timeline windows`);
  if (!health.labels.includes(label)) fail(`label "${label}" not one of ${health.labels}`);
  if (bars.length !== health.labels.length) fail(`expected ${health.labels.length} bars, got ${bars.length}`);
  const sum = bars.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 100) > 1) fail(`bar widths sum to ${sum}%`);
  if (windows < 1) fail('no timeline windows');
  await page.screenshot({ path: shot, fullPage: true });
  console.log('screenshot: ' + shot);

  // 2. Live mode over the WebSocket with the fake microphone.
  await page.click('#live');
  try {
    // The page clears the timeline and shows "live: …" once the WebSocket is ready; window
    // messages then update the meta line ("live · window a–b s").
    await page.waitForFunction(() => document.getElementById('meta').textContent.startsWith('live'),
      null, { timeout: 20000 });
    await page.waitForFunction(() => document.querySelectorAll('#timeline .w').length >= 3,
      null, { timeout: 20000 });
    const live = await page.$$eval('#timeline .w', (els) => els.map((e) => e.title));
    const st = (await page.textContent('#status')).trim();
    console.log(`live: status "${st}", ${live.length} windows: ${live.slice(0, 4).join(' | ')}`);
    await page.screenshot({ path: liveShot, fullPage: true });
    console.log('screenshot: ' + liveShot);
  } catch (e) {
    fail('live mode produced no windows: ' + e.message + ' / status: ' + (await page.textContent('#status')));
  }
  await page.click('#live');
} finally {
  await browser.close();
}
if (!process.exitCode) console.log('e2e OK');
