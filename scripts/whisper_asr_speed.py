#!/usr/bin/env python3
"""Transcription speed on CPU: ser-whisper (`transcribe` binary) vs faster-whisper.

Clips (16 kHz, from the repository):
  3s    the first 3 s of assets/speech.wav
  35s   assets/speech.wav 8 times back to back (34.8 s: two 30 s windows)
Decoding: greedy (beam 1, temperature 0 only, no conditioning on previous text) and
faster-whisper's defaults (beam 5, temperature fallback, conditioning), no VAD, language
detected, Whisper-base (models/whisper-base, CTranslate2 f16 weights loaded as f32 / int8).
Engines, each at 1 and 2 threads:
  faster-whisper f32 / int8: WhisperModel(dir, device="cpu", compute_type=..., cpu_threads=T)
  ser-whisper: `transcribe --json` with RAYON_NUM_THREADS=T, padded 30 s windows (the default)
      and --real-length 1000 (the real frames, padded to at least 10 s)
Reported: real-time factor = wall time of one transcription / audio duration (median over
--runs after one warm-up run; model loading excluded), and each engine's text.

Usage: /work/venv/bin/python scripts/whisper_asr_speed.py --bin target/release/transcribe
       [--runs 3] [--threads 1,2] [--settings greedy,beam5] [--json results/whisper-asr/speed.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import soundfile as sf
from faster_whisper import WhisperModel

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MODEL = os.path.join(ROOT, "models/whisper-base")
SETTINGS = {
    "greedy": dict(beam_size=1, temperature=0.0, condition_on_previous_text=False),
    "beam5": dict(beam_size=5),
}


def fw_time(model, audio, kw, runs):
    times, text = [], ""
    for i in range(runs + 1):
        t0 = time.perf_counter()
        segs, _ = model.transcribe(audio, vad_filter=False, **kw)
        text = "".join(s.text for s in segs).strip()
        if i > 0:
            times.append(time.perf_counter() - t0)
    return statistics.median(times), text


def ours_time(binary, wav, setting, real, threads, runs):
    cmd = [binary, "--model", MODEL, "--json"]
    cmd += ["--greedy"] if setting == "greedy" else ["--beam", "5"]
    if real:
        cmd += ["--real-length", "1000"]
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    out = subprocess.run(cmd + [wav] * (runs + 1), check=True, capture_output=True, text=True,
                         env=env).stdout
    rows = [json.loads(l) for l in out.splitlines() if l.strip()]
    return statistics.median(r["seconds"] for r in rows[1:]), rows[-1]["text"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/transcribe"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--settings", default="greedy,beam5")
    ap.add_argument("--json", default=os.path.join(ROOT, "results/whisper-asr/speed.json"))
    args = ap.parse_args()
    speech, sr = sf.read(os.path.join(ROOT, "assets/speech.wav"), dtype="float32")
    assert sr == 16000
    clips = {"3s": speech[:48000], "35s": np.tile(speech, 8)}
    tmp = tempfile.mkdtemp()
    wavs = {}
    for name, x in clips.items():
        wavs[name] = os.path.join(tmp, f"{name}.wav")
        sf.write(wavs[name], x, 16000, subtype="FLOAT")
    rows = []
    print(f"{'engine':26} {'T':>2} {'setting':7} {'clip':5} {'RTF':>7}  text")
    for threads in [int(t) for t in args.threads.split(",")]:
        engines = []
        for ct in ["float32", "int8"]:
            engines.append((f"faster-whisper {ct}", WhisperModel(MODEL, device="cpu", compute_type=ct,
                                                                 cpu_threads=threads)))
        engines += [("ser-whisper padded", None), ("ser-whisper real>=10s", None)]
        for setting in args.settings.split(","):
            kw = SETTINGS[setting]
            for clip, x in clips.items():
                dur = len(x) / 16000
                for name, model in engines:
                    if model is not None:
                        secs, text = fw_time(model, x, kw, args.runs)
                    else:
                        secs, text = ours_time(args.bin, wavs[clip], setting, "real" in name, threads,
                                               args.runs)
                    r = dict(engine=name, threads=threads, setting=setting, clip=clip,
                             duration=dur, seconds=secs, rtf=secs / dur, text=text)
                    rows.append(r)
                    print(f"{name:26} {threads:2d} {setting:7} {clip:5} {r['rtf']:7.3f}  {text[:60]}",
                          flush=True)
    with open(args.json, "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
