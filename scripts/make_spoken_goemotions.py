#!/usr/bin/env python3
"""A synthetic corpus where the *words* carry the emotion: GoEmotions test comments spoken by
espeak-ng with its flat, neutral prosody (so the voice carries none). Used by
`fusion --corpora spoken-goemotions` to check that the audio -> Whisper -> text path recovers
the text model's accuracy while an acoustic model sits near chance. SYNTHETIC: not speech
emotion data; label it so wherever it is reported.

Selection (seeded, reproducible): GoEmotions *test* comments whose labels all fall into one
Ekman group (GoEmotions' ekman_mapping.json + neutral, the same table as
ser_fusion::text_model::EKMAN_GROUPS), 4 to 30 words, no "[NAME]"/"[RELIGION]" placeholders,
--per-class of each of the 7 groups. Each comment is spoken by one of 8 espeak-ng voices (the
"speakers" for speaker-independent folds), written as 16 kHz mono 16-bit WAV, with
manifest.csv (path,label,speaker,transcript) in ser-data's manifest format (joy -> happiness).

  apt-get install -y espeak-ng
  python3 scripts/make_spoken_goemotions.py [--out target/spoken-goemotions] [--per-class 40] [--seed 0]

Needs only the Python standard library and the espeak-ng binary.
"""
import argparse
import csv
import os
import random
import subprocess
import wave

EKMAN = {
    "anger": ["anger", "annoyance", "disapproval"],
    "disgust": ["disgust"],
    "fear": ["fear", "nervousness"],
    "joy": ["joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism",
            "relief", "pride", "admiration", "desire", "caring"],
    "sadness": ["sadness", "disappointment", "embarrassment", "grief", "remorse"],
    "surprise": ["surprise", "realization", "confusion", "curiosity"],
    "neutral": ["neutral"],
}
SER_LABEL = {"joy": "happiness"}
VOICES = ["en-us+m1", "en-us+f1", "en-us+m3", "en-us+f3", "en-gb+m2", "en-gb+f2", "en-us+m7", "en-gb+f4"]


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--datasets", default=os.environ.get("SER_DATASETS", os.path.join(root, "..", "shared", "datasets")))
    ap.add_argument("--out", default=os.path.join(root, "target", "spoken-goemotions"))
    ap.add_argument("--per-class", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    ge = os.path.join(args.datasets, "goemotions")
    names = [l.strip() for l in open(os.path.join(ge, "labels.txt")) if l.strip()]
    group_of = {lab: g for g, labs in EKMAN.items() for lab in labs}
    by_group = {g: [] for g in EKMAN}
    with open(os.path.join(ge, "test.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2:
                continue
            text, labs = parts[0].strip(), [names[int(x)] for x in parts[1].split(",")]
            groups = {group_of.get(l) for l in labs}
            if len(groups) != 1 or None in groups:
                continue
            if "[" in text or not (4 <= len(text.split()) <= 30):
                continue
            by_group[groups.pop()].append(text)
    rng = random.Random(args.seed)
    rows = []
    os.makedirs(os.path.join(args.out, "wav"), exist_ok=True)
    k = 0
    for g in EKMAN:
        pool = sorted(set(by_group[g]))
        rng.shuffle(pool)
        if len(pool) < args.per_class:
            raise SystemExit(f"only {len(pool)} comments for {g}")
        for text in pool[: args.per_class]:
            voice = VOICES[k % len(VOICES)]
            rel = f"wav/{k:04d}_{g}.wav"
            tmp = os.path.join(args.out, "tmp.wav")
            subprocess.run(["espeak-ng", "-v", voice, "-w", tmp, text], check=True)
            to_16k(tmp, os.path.join(args.out, rel))
            rows.append({"path": rel, "label": SER_LABEL.get(g, g), "speaker": voice, "transcript": text})
            k += 1
    os.remove(os.path.join(args.out, "tmp.wav"))
    with open(os.path.join(args.out, "manifest.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["path", "label", "speaker", "transcript"])
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} clips ({args.per_class} per class, {len(VOICES)} voices) to {args.out}")


def to_16k(src, dst):
    """espeak-ng writes 22050 Hz; resample to 16 kHz with linear interpolation (speech band
    only matters here, and ser-dsp resamples again anyway)."""
    with wave.open(src) as r:
        sr, n, sw = r.getframerate(), r.getnframes(), r.getsampwidth()
        raw = r.readframes(n)
    import array
    x = array.array("h", raw)
    m = int(len(x) * 16000 / sr)
    y = array.array("h", [0] * m)
    for i in range(m):
        t = i * sr / 16000
        j = int(t)
        a = t - j
        v0 = x[j] if j < len(x) else 0
        v1 = x[j + 1] if j + 1 < len(x) else v0
        y[i] = int(round(v0 + a * (v1 - v0)))
    with wave.open(dst, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(sw)
        w.setframerate(16000)
        w.writeframes(y.tobytes())


if __name__ == "__main__":
    main()
