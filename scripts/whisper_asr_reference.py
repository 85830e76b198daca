#!/usr/bin/env python3
"""Reference transcripts from faster-whisper for ser-whisper's decoder.

1. assets/speech.wav with Whisper-base and tiny.en, greedy and beam 5 (faster-whisper defaults
   otherwise) -> ser-whisper/tests/fixtures/asr_speech.json (text, language, segments).
2. Emotion corpora (../shared/datasets or $SER_DATASETS): every --ravdess-step-th RAVDESS file
   and every --emodb-step-th EmoDB file (sorted paths). Each clip is decoded to 16 kHz float32
   once with faster_whisper.decode_audio and written to --clips DIR/<corpus>/<name>.wav, so the
   Rust side reads exactly the same samples. Transcribed with
     WhisperModel(dir, device="cpu", compute_type="float32", cpu_threads=--threads)
     .transcribe(audio, beam_size=1, temperature=0.0, condition_on_previous_text=False,
                 vad_filter=False)
   -> results/whisper-asr/reference_<model>_<corpus>.jsonl, one
   {"path", "ref_text", "text", "language", "language_probability", "segments": [[start, end, text]]}
   per line (ref_text: the sentence the speaker read).
   With --decode beam5: beam_size=5 with faster-whisper's temperature fallback (its defaults)
   -> reference_<model>_<corpus>_beam5.jsonl, on the clips already in --clips (--corpus-only).

Usage: /work/venv/bin/python scripts/whisper_asr_reference.py [--clips /tmp/ser_asr_clips]
       [--ravdess-step 6] [--emodb-step 3] [--threads 1] [--skip-corpora]
       [--decode greedy|beam5] [--corpus-only] [--subsample K]
"""
import argparse
import csv
import glob
import json
import os
import time

import numpy as np
import soundfile as sf
from faster_whisper import WhisperModel, decode_audio

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DATA = os.environ.get("SER_DATASETS", os.path.join(ROOT, "../shared/datasets"))
RAVDESS_TEXT = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}


def seg_list(segments):
    return [[round(s.start, 2), round(s.end, 2), s.text] for s in segments]


def run(model, audio, **kw):
    segs, info = model.transcribe(audio, condition_on_previous_text=False, vad_filter=False, **kw)
    segs = list(segs)
    return {
        "text": "".join(s.text for s in segs).strip(),
        "language": info.language,
        "language_probability": round(float(info.language_probability), 4),
        "segments": seg_list(segs),
        "avg_logprob": [round(s.avg_logprob, 4) for s in segs],
        "no_speech_prob": [round(s.no_speech_prob, 4) for s in segs],
        "tokens": [s.tokens for s in segs],
    }


def corpus_clips(args):
    rav = sorted(glob.glob(os.path.join(DATA, "ravdess/Actor_*/*.flac")))[:: args.ravdess_step]
    out = {"ravdess": [], "emodb": []}
    for p in rav:
        code = os.path.basename(p).split(".")[0].split("-")
        out["ravdess"].append((p, RAVDESS_TEXT[code[4]]))
    with open(os.path.join(DATA, "emodb/manifest.csv")) as f:
        rows = sorted(csv.DictReader(f), key=lambda r: r["path"])
    for r in rows[:: args.emodb_step]:
        out["emodb"].append((os.path.join(DATA, "emodb", r["path"]), r["text"]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", default="/tmp/ser_asr_clips")
    ap.add_argument("--ravdess-step", type=int, default=6)
    ap.add_argument("--emodb-step", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--skip-corpora", action="store_true")
    ap.add_argument("--decode", default="greedy", choices=["greedy", "beam5"])
    ap.add_argument("--corpus-only", action="store_true", help="skip the speech.wav fixture")
    ap.add_argument("--subsample", type=int, default=1, help="every K-th of the selected clips")
    args = ap.parse_args()
    decode = dict(beam_size=1, temperature=0.0) if args.decode == "greedy" else dict(beam_size=5)
    suffix = "" if args.decode == "greedy" else "_beam5"

    models = {
        m: WhisperModel(os.path.join(ROOT, "models", f"whisper-{m}"), device="cpu",
                        compute_type="float32", cpu_threads=args.threads)
        for m in ["base", "tiny.en"]
    }
    if not args.corpus_only:
        speech_fixture(models)
    if args.skip_corpora:
        return
    corpora(args, models, decode, suffix)


def speech_fixture(models):
    speech = decode_audio(os.path.join(ROOT, "assets/speech.wav"))
    fixture = {}
    for m, model in models.items():
        fixture[m] = {
            "greedy": run(model, speech, beam_size=1, temperature=0.0),
            "beam5": run(model, speech, beam_size=5),
        }
        print(m, fixture[m]["greedy"]["text"], "|", fixture[m]["beam5"]["text"], flush=True)
    path = os.path.join(ROOT, "ser-whisper/tests/fixtures/asr_speech.json")
    with open(path, "w") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")


def corpora(args, models, decode, suffix):
    os.makedirs(os.path.join(ROOT, "results/whisper-asr"), exist_ok=True)
    for corpus, clips in corpus_clips(args).items():
        clips = clips[:: args.subsample]
        os.makedirs(os.path.join(args.clips, corpus), exist_ok=True)
        audios = []
        for p, ref in clips:
            a = decode_audio(p)
            name = os.path.splitext(os.path.basename(p))[0]
            wav = os.path.join(args.clips, corpus, name + ".wav")
            sf.write(wav, a.astype(np.float32), 16000, subtype="FLOAT")
            audios.append((wav, ref, a))
        for m, model in models.items():
            if m == "tiny.en" and corpus == "emodb":
                continue  # German speech, English-only model
            out = os.path.join(ROOT, f"results/whisper-asr/reference_{m}_{corpus}{suffix}.jsonl")
            t0 = time.time()
            with open(out, "w") as f:
                for wav, ref, a in audios:
                    r = run(model, a, **decode)
                    r = {"path": wav, "ref_text": ref, **r}
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
            print(f"{out}: {len(audios)} clips in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
