"""Speed of the ser-models (Candle) architectures vs the same architectures in PyTorch (CPU).

Usage (from the workspace root; PyTorch lives only in its own venv):

    cargo build --release -p ser-examples --bin models-speed
    /work/venv-torch/bin/python scripts/models_vs_pytorch.py \
        [--threads 1,2] [--archs mlp,cnn,lstm,cnn-lstm,attention,transformer] \
        [--runs 50] [--epochs 3] [--out results/models_speed.md] [--json raw.json]

For every thread count and architecture the script

1. runs `target/release/models-speed --archs A --json ...` with `RAYON_NUM_THREADS=n`
   (Candle's CPU matmul/conv kernels use that many threads; unset = all cores). The binary
   builds the Table II recipe of `A` (`Recipe::default_for`, 7 EmoDB classes), measures
   forward + softmax on one synthetic `(1, T, F)` input of a 3 s clip's shape (median of
   `--runs` after 5 warm-up runs), feature extraction + forward, and `ser_models::train` for
   `--epochs` epochs over 428 synthetic examples (median epoch), and writes the exact model and
   trainer configs it used;
2. builds the same architecture in PyTorch from that config (same layer sizes, same masked
   pooling, same pre-LN encoder, same BiLSTM, same trainer: AdamW, warm-up + cosine LR,
   class-weighted label-smoothed soft cross entropy, the recipe's mixup, global gradient-norm
   clipping, batch size), asserts the trainable parameter counts are equal, and measures the
   same two things with `torch.set_num_threads(n)` (`set_num_interop_threads(1)`) on inputs of
   the same shape.

It prints a markdown table and writes it, with the command, machine, versions and load
average (`uptime` before and after), to `--out`. Ratios are Candle / PyTorch (> 1: Candle is
slower). The machine is shared: the numbers are only as good as the load average says.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "models-speed"
MASK_NEG = -1e9


# ---------------------------------------------------------------------------------------------
# Layers (mirror ser-models/src/layers.rs)
# ---------------------------------------------------------------------------------------------


class InputNorm(nn.Module):
    """Per-feature (x - mean) * inv_std, padded frames zeroed; buffers, not parameters."""

    def __init__(self, n: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("inv_std", torch.ones(n))

    def forward(self, x, mask):
        return (x - self.mean) * self.inv_std * mask.unsqueeze(2)


def masked_mean(x, mask):
    s = (x * mask.unsqueeze(2)).sum(1)
    n = mask.sum(1, keepdim=True).clamp(min=1.0)
    return s / n


def masked_max(x, mask):
    neg = (1.0 - mask).unsqueeze(2) * MASK_NEG
    return (x + neg).amax(1)


def masked_mean_std(x, mask):
    mu = masked_mean(x, mask)
    ex2 = masked_mean(x * x, mask)
    var = (ex2 - mu * mu).clamp(min=1e-6)
    return torch.cat([mu, var.sqrt()], 1)


def masked_softmax(scores, mask):
    return torch.softmax(scores + (1.0 - mask) * MASK_NEG, dim=-1)


def mask_from_lengths(lengths, t):
    return (torch.arange(t).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)).float()


def stack_frames(x, lengths, k):
    if k <= 1:
        return x, lengths
    b, t, f = x.shape
    t2 = -(-t // k)
    x = F.pad(x, (0, 0, 0, t2 * k - t))
    return x.reshape(b, t2, k * f), [-(-l // k) for l in lengths]


def positional_encoding(t, dim):
    pos = torch.arange(t, dtype=torch.float64).unsqueeze(1)
    i = torch.arange(dim)
    k = (i // 2).double()
    angle = pos / torch.pow(10000.0, 2.0 * k / dim)
    pe = torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle))
    return pe.float()


class AttentiveStatsPool(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.proj = nn.Linear(dim, hidden)
        self.score = nn.Linear(hidden, 1)

    def forward(self, x, mask):
        e = self.score(torch.tanh(self.proj(x))).squeeze(2)
        a = masked_softmax(e, mask).unsqueeze(2)
        mu = (x * a).sum(1)
        ex2 = (x * x * a).sum(1)
        sd = (ex2 - mu * mu).clamp(min=1e-6).sqrt()
        return torch.cat([mu, sd], 1)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, dim, n_heads, dropout):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.h, self.dim, self.p = n_heads, dim, dropout

    def forward(self, x, mask):
        b, t, _ = x.shape
        hd = self.dim // self.h
        qkv = self.qkv(x).reshape(b, t, 3, self.h, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
        neg = ((1.0 - mask) * MASK_NEG).reshape(b, 1, 1, t)
        att = torch.softmax(scores + neg, dim=-1)
        att = F.dropout(att, self.p, self.training)
        y = (att @ v).transpose(1, 2).reshape(b, t, self.dim)
        return self.out(y)


class EncoderLayer(nn.Module):
    """Pre-LN: x + MHSA(LN(x)), then x + FFN(LN(x)) with exact (erf) GELU."""

    def __init__(self, dim, n_heads, ff_dim, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = MultiHeadSelfAttention(dim, n_heads, dropout)
        self.ln2 = nn.LayerNorm(dim, eps=1e-5)
        self.ff1 = nn.Linear(dim, ff_dim)
        self.ff2 = nn.Linear(ff_dim, dim)
        self.p = dropout

    def forward(self, x, mask):
        x = x + F.dropout(self.attn(self.ln1(x), mask), self.p, self.training)
        f = self.ff2(F.gelu(self.ff1(self.ln2(x))))
        return x + F.dropout(f, self.p, self.training)


class BiLstm(nn.LSTM):
    """One bidirectional layer (same keys `weight_ih_l0[_reverse]`, … and gate order as the
    Candle BiLstm). Equal lengths run the fused kernel on the padded batch; unequal lengths are
    packed so that padding never leaks into real outputs (as Candle's length-aware reverse)."""

    def __init__(self, inp, hidden):
        super().__init__(inp, hidden, batch_first=True, bidirectional=True)

    def forward(self, x, lengths):
        t = x.shape[1]
        if all(l == t for l in lengths):
            return super().forward(x)[0]
        packed = nn.utils.rnn.pack_padded_sequence(
            x, torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )
        y, _ = super().forward(packed)
        return nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=t)[0]


class ConvBlock(nn.Module):
    """Conv 3x3 (pad 1) -> BatchNorm -> ReLU -> mask -> 2x2 max-pool -> dropout."""

    def __init__(self, c_in, c_out, dropout):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-5, momentum=0.1)
        self.p = dropout

    def forward(self, x, lengths):
        t = x.shape[3]
        y = torch.relu(self.bn(self.conv(x)))
        y = y * mask_from_lengths(lengths, t).reshape(-1, 1, 1, t)
        y = F.max_pool2d(y, 2)
        return F.dropout(y, self.p, self.training), [-(-l // 2) for l in lengths]


def conv_front(blocks, x, lengths):
    t = x.shape[1]
    total = 2 ** len(blocks)
    x = F.pad(x, (0, 0, 0, -(-t // total) * total - t))
    h = x.transpose(1, 2).unsqueeze(1)  # (B, 1, F, T)
    for b in blocks:
        h, lengths = b(h, lengths)
    return h, lengths


# ---------------------------------------------------------------------------------------------
# Architectures (mirror ser-models/src/models.rs)
# ---------------------------------------------------------------------------------------------


class Cnn(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_norm = InputNorm(c["n_features"])
        ch = [1] + c["channels"]
        self.blocks = nn.ModuleList(
            ConvBlock(ch[i], ch[i + 1], c["dropout"] * 0.5) for i in range(len(c["channels"]))
        )
        self.flatten = c.get("flatten_freq", False)
        per_frame = ch[-1] * (c["n_features"] >> len(c["channels"])) if self.flatten else ch[-1]
        self.head = nn.Linear(2 * per_frame, c["n_classes"])
        self.p = c["dropout"]

    def forward(self, x, mask, lengths):
        x = self.input_norm(x, mask)
        h, lengths = conv_front(self.blocks, x, lengths)
        if self.flatten:  # (B, T', C·F'), as ser-models' CnnConfig::flatten_freq
            b, c, f, t = h.shape
            h = h.permute(0, 3, 1, 2).reshape(b, t, c * f)
        else:
            h = h.mean(2).transpose(1, 2)  # (B, T', C)
        m = mask_from_lengths(lengths, h.shape[1])
        pooled = torch.cat([masked_mean(h, m), masked_max(h, m)], 1)
        return self.head(F.dropout(pooled, self.p, self.training))


class Lstm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_norm = InputNorm(c["n_features"])
        self.lstm = BiLstm(c["n_features"] * c["frame_stack"], c["hidden"])
        self.head = nn.Linear(4 * c["hidden"], c["n_classes"])
        self.k, self.p = c["frame_stack"], c["dropout"]

    def forward(self, x, mask, lengths):
        x = self.input_norm(x, mask)
        x, lengths = stack_frames(x, lengths, self.k)
        h = self.lstm(x, lengths)
        pooled = masked_mean_std(h, mask_from_lengths(lengths, h.shape[1]))
        return self.head(F.dropout(pooled, self.p, self.training))


class CnnLstm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_norm = InputNorm(c["n_features"])
        ch = [1] + c["channels"]
        self.blocks = nn.ModuleList(
            ConvBlock(ch[i], ch[i + 1], c["dropout"] * 0.5) for i in range(len(c["channels"]))
        )
        f_out = c["n_features"] >> len(c["channels"])
        self.lstm = BiLstm(ch[-1] * f_out, c["hidden"])
        self.pool = AttentiveStatsPool(2 * c["hidden"], c["att_hidden"])
        self.head = nn.Linear(4 * c["hidden"], c["n_classes"])
        self.p = c["dropout"]

    def forward(self, x, mask, lengths):
        x = self.input_norm(x, mask)
        h, lengths = conv_front(self.blocks, x, lengths)
        b, ch, f, t = h.shape
        h = h.permute(0, 3, 1, 2).reshape(b, t, ch * f)
        h = self.lstm(h, lengths)
        pooled = self.pool(h, mask_from_lengths(lengths, t))
        return self.head(F.dropout(pooled, self.p, self.training))


class AttentionNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_norm = InputNorm(c["n_features"])
        self.proj = nn.Linear(c["n_features"] * c["frame_stack"], c["d_model"])
        self.ln = nn.LayerNorm(c["d_model"], eps=1e-5)
        self.attn = MultiHeadSelfAttention(c["d_model"], c["n_heads"], c["dropout"])
        self.pool = AttentiveStatsPool(c["d_model"], c["att_hidden"])
        self.head = nn.Linear(2 * c["d_model"], c["n_classes"])
        self.k, self.p = c["frame_stack"], c["dropout"]

    def forward(self, x, mask, lengths):
        x = self.input_norm(x, mask)
        x, lengths = stack_frames(x, lengths, self.k)
        m = mask_from_lengths(lengths, x.shape[1])
        h = torch.relu(self.proj(x))
        h = h + F.dropout(self.attn(self.ln(h), m), self.p, self.training)
        pooled = self.pool(h, m)
        return self.head(F.dropout(pooled, self.p, self.training))


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_norm = InputNorm(c["n_features"])
        self.proj = nn.Linear(c["n_features"] * c["frame_stack"], c["d_model"])
        self.layers = nn.ModuleList(
            EncoderLayer(c["d_model"], c["n_heads"], c["ff_dim"], c["dropout"])
            for _ in range(c["n_layers"])
        )
        self.ln_f = nn.LayerNorm(c["d_model"], eps=1e-5)
        self.stats = bool(c.get("stats_pooling", False))
        self.head = nn.Linear((2 if self.stats else 1) * c["d_model"], c["n_classes"])
        self.k, self.p, self.d = c["frame_stack"], c["dropout"], c["d_model"]

    def forward(self, x, mask, lengths):
        x = self.input_norm(x, mask)
        x, lengths = stack_frames(x, lengths, self.k)
        t = x.shape[1]
        m = mask_from_lengths(lengths, t)
        h = self.proj(x) + positional_encoding(t, self.d)
        h = F.dropout(h, self.p, self.training)
        for layer in self.layers:
            h = layer(h, m)
        h = self.ln_f(h)
        pooled = masked_mean_std(h, m) if self.stats else masked_mean(h, m)
        return self.head(F.dropout(pooled, self.p, self.training))


class Mlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.input_norm = InputNorm(c["n_features"])
        dims = [c["n_features"]] + c["hidden"]
        self.layers = nn.ModuleList(nn.Linear(dims[i], dims[i + 1]) for i in range(len(c["hidden"])))
        self.head = nn.Linear(dims[-1], c["n_classes"])
        self.p = c["dropout"]

    def forward(self, x, mask, lengths):
        x = self.input_norm(x, mask)
        h = F.dropout(masked_mean(x, mask), self.p, self.training)
        for l in self.layers:
            h = F.dropout(torch.relu(l(h)), self.p, self.training)
        return self.head(h)


ARCHS = {
    "cnn": Cnn,
    "lstm": Lstm,
    "cnn-lstm": CnnLstm,
    "attention": AttentionNet,
    "transformer": Transformer,
    "mlp": Mlp,
}


def n_trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# ---------------------------------------------------------------------------------------------
# Trainer (mirror ser-models/src/train.rs)
# ---------------------------------------------------------------------------------------------


def lr_at(tc, step, steps_per_epoch, total):
    warm = tc["warmup_epochs"] * steps_per_epoch
    if step < warm:
        return tc["lr"] * (step + 1) / warm
    span = max(total - warm, 1)
    p = min((step - warm) / span, 1.0)
    lo = tc["lr"] * tc["min_lr_ratio"]
    return lo + 0.5 * (tc["lr"] - lo) * (1.0 + math.cos(math.pi * p))


def class_weights(y, n_classes, balanced):
    if not balanced:
        return np.ones(n_classes, np.float32)
    counts = np.bincount(y, minlength=n_classes)
    return np.where(counts > 0, len(y) / (n_classes * np.maximum(counts, 1)), 0.0).astype(np.float32)


def soft_cross_entropy(logits, targets, weights):
    per = -(F.log_softmax(logits, 1) * targets).sum(1)
    return (per * weights).sum() / weights.sum()


def train_epochs(model, tc, xs, ys, n_classes, epochs, seed):
    """Returns the wall seconds of each epoch (the Candle `EpochLog::secs` equivalent)."""
    rng = np.random.default_rng(seed + 1)
    n, t, f = xs.shape
    # Input standardisation fitted on the training frames (untimed, as in Candle).
    flat = xs.reshape(-1, f).astype(np.float64)
    model.input_norm.mean.copy_(torch.from_numpy(flat.mean(0)).float())
    model.input_norm.inv_std.copy_(torch.from_numpy(1.0 / np.maximum(flat.std(0), 1e-5)).float())
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=tc["lr"], weight_decay=tc["weight_decay"], betas=(0.9, 0.999), eps=1e-8)
    w_cls = class_weights(ys, n_classes, tc["class_weighted"])
    bs, eps, alpha = tc["batch_size"], tc["label_smoothing"], tc["mixup_alpha"]
    spe = -(-n // bs)
    total = spe * epochs
    step = 0
    order = np.arange(n)
    secs = []
    model.train()
    for _ in range(epochs):
        t0 = time.perf_counter()
        rng.shuffle(order)
        loss_sum, correct = 0.0, 0
        for s in range(0, n, bs):
            idx = order[s : s + bs]
            b = len(idx)
            q = np.full((b, n_classes), eps / n_classes, np.float32)
            q[np.arange(b), ys[idx]] += 1.0 - eps
            w = w_cls[ys[idx]]
            x = torch.from_numpy(xs[idx])
            lengths = [t] * b
            mask = mask_from_lengths(lengths, t)
            if alpha > 0 and b > 1:
                lam = float(np.clip(rng.beta(alpha, alpha), 0.0, 1.0))
                lam = max(lam, 1.0 - lam)
                perm = rng.permutation(b)
                pt = torch.from_numpy(perm)
                x = x * lam + x[pt] * (1.0 - lam)
                mask = torch.maximum(mask, mask[pt])
                lengths = [max(lengths[k], lengths[perm[k]]) for k in range(b)]
                q = lam * q + (1.0 - lam) * q[perm]
                w = lam * w + (1.0 - lam) * w[perm]
            logits = model(x, mask, lengths)
            loss = soft_cross_entropy(logits, torch.from_numpy(q), torch.from_numpy(np.asarray(w, np.float32)))
            lv = loss.item()
            if not math.isfinite(lv):
                raise RuntimeError("non-finite loss")
            loss_sum += lv * b
            correct += int((logits.argmax(1).numpy() == ys[idx]).sum())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if tc["grad_clip"] > 0:
                torch.nn.utils.clip_grad_norm_(params, tc["grad_clip"])
            for g in opt.param_groups:
                g["lr"] = lr_at(tc, step, spe, total)
            opt.step()
            step += 1
        secs.append(time.perf_counter() - t0)
    return secs


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


def run_candle(arch, threads, args, tmp):
    """Runs the Rust binary for one architecture; returns its JSON row plus `dump`, the
    directory with the untrained weights, the timed input and Candle's probabilities."""
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    path = Path(tmp) / f"{arch}-{threads}.json"
    dump = Path(tmp) / f"dump-{threads}"
    cmd = [
        str(BIN), "--archs", arch, "--runs", str(args.runs), "--epochs", str(args.epochs),
        "--n-train", str(args.n_train), "--e2e-runs", str(args.e2e_runs), "--seed", str(args.seed),
        "--json", str(path), "--dump", str(dump),
    ]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    sys.stderr.write(out.stdout)
    row = json.loads(path.read_text())[0]
    row["dump"] = str(dump / arch)
    return row


def load_candle_weights(model, dump):
    """Loads Candle's model.safetensors into the PyTorch model (same keys; PyTorch's extra
    BatchNorm `num_batches_tracked` counters stay at 0)."""
    from safetensors.torch import load_file

    sd = load_file(str(Path(dump) / "model.safetensors"))
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise AssertionError(f"key mismatch: missing {missing}, unexpected {unexpected}")


def run_torch(row, threads, args):
    torch.set_num_threads(threads)
    torch.manual_seed(args.seed)
    cfg = dict(row["model_config"])
    arch = cfg.pop("arch")
    model = ARCHS[arch](cfg)
    n_params = n_trainable(model)
    t, f = row["frames"], row["n_features"]
    gen = np.random.default_rng(args.seed + 17)

    # Same weights and input as the Candle run; check the outputs agree.
    load_candle_weights(model, row["dump"])
    model.eval()
    x = torch.from_numpy(np.load(Path(row["dump"]) / "input.npy")).unsqueeze(0)
    mask = mask_from_lengths([t], t)
    with torch.inference_mode():
        p_torch = torch.softmax(model(x, mask, [t]), -1)[0].numpy()
    parity = float(np.abs(p_torch - np.load(Path(row["dump"]) / "proba.npy")).max())

    # (a) inference: eval mode, forward + softmax on one (1, T, F) input.
    times = []
    with torch.inference_mode():
        for i in range(5 + args.runs):
            t0 = time.perf_counter()
            torch.softmax(model(x, mask, [t]), -1).tolist()
            if i >= 5:
                times.append((time.perf_counter() - t0) * 1e3)

    # Step breakdown: train-mode forward + loss, then backward, on one full batch.
    model.train()
    bs = min(row["train_config"]["batch_size"], args.n_train)
    bx = torch.from_numpy(gen.standard_normal((bs, t, f), dtype=np.float32))
    bmask = mask_from_lengths([t] * bs, t)
    q = torch.full((bs, cfg["n_classes"]), 1.0 / cfg["n_classes"])
    w = torch.ones(bs)
    fwd, bwd = [], []
    for i in range(max(2 + args.runs // 5, 3)):
        t0 = time.perf_counter()
        loss = soft_cross_entropy(model(bx, bmask, [t] * bs), q, w)
        loss.item()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        model.zero_grad(set_to_none=True)
        if i >= 2:
            fwd.append((t1 - t0) * 1e3)
            bwd.append((t2 - t1) * 1e3)

    # (b) training: same trainer settings, same number / shape of examples.
    xs = gen.standard_normal((args.n_train, t, f), dtype=np.float32)
    ys = np.arange(args.n_train) % cfg["n_classes"]
    epochs = train_epochs(model, row["train_config"], xs, ys, cfg["n_classes"], args.epochs, args.seed)
    return {
        "arch": arch,
        "params": n_params,
        "parity_max_abs_dp": parity,
        "threads": torch.get_num_threads(),
        "infer_ms_median": float(np.median(times)),
        "infer_ms_min": float(np.min(times)),
        "batch_fwd_ms_median": float(np.median(fwd)),
        "batch_bwd_ms_median": float(np.median(bwd)),
        "train_s_per_epoch_median": float(np.median(epochs)),
        "train_s_per_epoch_all": epochs,
    }


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def fmt_ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


LOAD_NOTE = (
    "**Load note:** the 1-minute load average exceeded the core count during the run. Timings "
    "with more than one thread then measure contention more than the libraries (PyTorch's "
    "OpenMP workers spin at barriers and collapse when a core is taken away; Candle's rayon / "
    "gemm degrade more gracefully); the 1-thread table is the meaningful comparison, and even it "
    "is inflated by time-sharing (compare the min columns)."
)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--archs", default="mlp,cnn,lstm,cnn-lstm,attention,transformer")
    ap.add_argument("--runs", type=int, default=50, help="timed forward passes (median)")
    ap.add_argument("--e2e-runs", type=int, default=5, help="Candle features + forward runs")
    ap.add_argument("--epochs", type=int, default=3, help="timed training epochs (median)")
    ap.add_argument("--n-train", type=int, default=428, help="training examples per epoch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "results" / "models_speed.md"))
    ap.add_argument("--json", default=None, help="also write every raw measurement here")
    args = ap.parse_args()
    if not BIN.exists():
        sys.exit(f"{BIN} not found: cargo build --release -p ser-examples --bin models-speed")
    torch.set_num_interop_threads(1)
    threads = [int(s) for s in args.threads.split(",")]
    archs = args.archs.split(",")
    command = "/work/venv-torch/bin/python scripts/models_vs_pytorch.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:]
    )
    load_before = sh("uptime")
    started = time.time()

    results = []  # (threads, candle_row, torch_row)
    tmp = tempfile.TemporaryDirectory()
    for n in threads:
        for a in archs:
            # Candle then PyTorch for the same architecture, back to back, so both see
            # similar machine load.
            c = run_candle(a, n, args, tmp.name)
            p = run_torch(c, n, args)
            if c["params"] != p["params"]:
                raise AssertionError(f"{a}: Candle {c['params']} vs PyTorch {p['params']} parameters")
            print(
                f"threads={n} arch={a} params={c['params']} infer_ms candle={c['infer_ms_median']:.3f} "
                f"torch={p['infer_ms_median']:.3f} train_s_epoch candle={c['train_s_per_epoch_median']:.3f} "
                f"torch={p['train_s_per_epoch_median']:.3f} parity={p['parity_max_abs_dp']:.1e}",
                file=sys.stderr,
                flush=True,
            )
            results.append((n, c, p))
    load_after = sh("uptime")
    wall = time.time() - started

    cpu = sh("lscpu | grep 'Model name' | sed 's/.*: *//'") or platform.processor()
    lock = (ROOT / "Cargo.lock").read_text()
    m = re.search(r'name = "candle-core"\nversion = "([^"]+)"', lock)
    candle_v = m.group(1) if m else "?"
    commit = sh(f"git -C {ROOT} rev-parse --short HEAD")

    lines = [
        "# Model speed: Candle (ser-models) vs PyTorch, CPU",
        "",
        f"Command (workspace root, after `cargo build --release -p ser-examples --bin models-speed`):",
        "",
        f"```text\n{command}\n```",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores, shared with other jobs. Load before: `{load_before}`; "
        f"after: `{load_after}` (wall {wall:.0f} s). Commit {commit}; candle-core {candle_v} "
        f"(release, thin LTO, no `-C target-cpu=native`); PyTorch {torch.__version__} "
        f"(CPU, {torch.backends.mkldnn.is_available() and 'oneDNN' or 'no oneDNN'}, MKL {torch.backends.mkl.is_available()}), "
        f"NumPy {np.__version__}, Python {platform.python_version()}.",
        "",
        "Protocol: each architecture is the Table II recipe (`Recipe::default_for(arch, 7)`); the "
        "PyTorch model is built from the exact config the Rust binary printed and has the same "
        "trainable parameter count (asserted); loaded with the Candle model's initial weights it gives "
        "the same class probabilities on the timed input (column *same-weights max |Δp|*). Inputs are seeded standard-normal arrays of the "
        "shape the recipe's features give for a 3 s clip (`T × F`). **Inference** = forward pass in "
        f"evaluation mode + softmax on one `(1, T, F)` input, median (and minimum) of {args.runs} runs after 5 "
        "warm-up runs (PyTorch under `inference_mode`). **Features + inference** (Candle only) = "
        "`FeaturePipeline::sequence` on 3 s of `assets/speech.wav` + the same forward pass, median "
        f"of {args.e2e_runs}. **Training** = one epoch of the real trainer over {args.n_train} "
        "examples (4/5 of EmoDB's 535) with the recipe's batch size, AdamW, warm-up + cosine LR, "
        "class-weighted label-smoothed cross entropy, the recipe's mixup and gradient-norm "
        f"clipping; no validation, no SpecAugment; median of {args.epochs} epochs. Threads: Candle "
        "`RAYON_NUM_THREADS=n` (its gemm and conv kernels; elementwise ops are single-threaded), "
        "PyTorch `torch.set_num_threads(n)`, `set_num_interop_threads(1)`. Ratio = Candle / "
        "PyTorch (> 1: Candle slower).",
        "",
    ]
    for n in threads:
        lines += [
            f"## {n} thread{'s' if n > 1 else ''}",
            "",
            "| architecture | input T × F | params (Candle = PyTorch) | same-weights max \\|Δp\\| | infer ms / 3 s clip: Candle (min) | PyTorch (min) | ratio | features + infer ms (Candle) | train s / epoch: Candle | PyTorch | ratio |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for tn, c, p in results:
            if tn != n:
                continue
            e2e = c.get("feat_infer_ms_median")
            lines.append(
                f"| {c['arch']} | {c['frames']} × {c['n_features']} ({c['features']}) | {c['params']:,} | "
                f"{p['parity_max_abs_dp']:.1e} | "
                f"{c['infer_ms_median']:.2f} ({c['infer_ms_min']:.2f}) | {p['infer_ms_median']:.2f} ({p['infer_ms_min']:.2f}) | "
                f"{fmt_ratio(c['infer_ms_median'], p['infer_ms_median'])} | "
                f"{'–' if e2e is None else f'{e2e:.1f}'} | "
                f"{c['train_s_per_epoch_median']:.2f} | {p['train_s_per_epoch_median']:.2f} | "
                f"{fmt_ratio(c['train_s_per_epoch_median'], p['train_s_per_epoch_median'])} |"
            )
        lines.append("")
        lines += [
            f"Where a training step goes ({n} thread{'s' if n > 1 else ''}): one batch of the recipe's "
            "batch size, train-mode forward + loss, then backward (ms, median; no optimiser step):",
            "",
            "| architecture | batch | Candle forward | Candle backward | PyTorch forward | PyTorch backward | ratio fwd | ratio bwd |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for tn, c, p in results:
            if tn != n:
                continue
            lines.append(
                f"| {c['arch']} | {c['batch_size']} | {c['batch_fwd_ms_median']:.1f} | {c['batch_bwd_ms_median']:.1f} | "
                f"{p['batch_fwd_ms_median']:.1f} | {p['batch_bwd_ms_median']:.1f} | "
                f"{fmt_ratio(c['batch_fwd_ms_median'], p['batch_fwd_ms_median'])} | "
                f"{fmt_ratio(c['batch_bwd_ms_median'], p['batch_bwd_ms_median'])} |"
            )
        lines.append("")
    loads = [float(x) for u in (load_before, load_after) for x in re.findall(r"(\d+\.\d+),", u)[:1]]
    if loads and max(loads) > (os.cpu_count() or 1):
        lines += [LOAD_NOTE, ""]
    broken = [(c["arch"], c["no_grad_params"]) for tn, c, _ in results if tn == threads[0] and c.get("no_grad_params")]
    if broken:
        lines += [
            "## Warning: cut backward paths in Candle",
            "",
            "Trainable tensors that receive **no gradient** in the Candle models (one train-mode "
            "batch, `loss.backward()`; PyTorch computes gradients for all of them). candle-nn "
            f"{candle_v}'s `ops::softmax_last_dim` and the fast path of `LayerNorm::forward` "
            "(contiguous input) are `apply_op*_no_bwd` custom ops: no gradient flows through them. "
            "Candle's training time for these rows is therefore *lower* than a correct backward "
            "would cost (the Transformer's backward is ~0 ms: only `head` trains). In multi-head "
            "self-attention the query/key rows of `qkv` also get zero gradient (only the value rows "
            "train), which this whole-tensor check does not list.",
            "",
            "| architecture | tensors without gradient |",
            "|---|---|",
        ]
        for a, names in broken:
            lines.append(f"| {a} | {len(names)}: {', '.join(f'`{n}`' for n in names)} |")
        lines.append("")
    table = "\n".join(lines)
    print(table)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table)
    print(f"wrote {out}", file=sys.stderr)
    if args.json:
        raw = [{"threads": n, "candle": c, "pytorch": p} for n, c, p in results]
        Path(args.json).write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
