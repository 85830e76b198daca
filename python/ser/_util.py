"""Argument checking and batching shared by the librosa-style functions."""

import json

import numpy as np

from .errors import ParameterError

_WINDOWS = {
    "hann": "hann",
    "hanning": "hann",
    "hamming": "hamming",
    "boxcar": "rectangular",
    "rect": "rectangular",
    "rectangular": "rectangular",
    "ones": "rectangular",
}
_PAD_MODES = ("constant", "reflect")


def signal(y, name="y"):
    """``y`` as a C-contiguous float32 array of shape (..., n), checked like librosa's
    ``valid_audio``: floating point, at least one sample (NaN and infinities are rejected by
    the Rust core, which scans the samples anyway)."""
    if y is None:
        raise ParameterError(f"{name} is required")
    arr = np.asarray(y)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ParameterError(f"Audio data must be floating-point, not {arr.dtype}")
    if arr.ndim == 0:
        raise ParameterError(f"{name} must be at least one-dimensional, got a scalar")
    if arr.shape[-1] == 0:
        raise ParameterError(f"{name} is empty")
    return np.ascontiguousarray(arr, dtype=np.float32)


def matrix(S, name="S"):
    """``S`` as a float32 array of shape (..., rows, frames)."""
    arr = np.asarray(S)
    if np.iscomplexobj(arr):
        raise ParameterError(f"{name} must be real (take np.abs of a complex STFT)")
    if arr.ndim < 2 or arr.size == 0:
        raise ParameterError(f"{name} must be a non-empty array of shape (..., rows, frames), got {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        raise ParameterError(f"{name} is not finite everywhere")
    return arr


def rate(sr, name="sr"):
    """A sample rate as a positive int (librosa accepts floats holding whole numbers)."""
    if sr is None or not np.isfinite(sr) or sr <= 0 or int(sr) != sr:
        raise ParameterError(f"{name} must be a positive whole number of Hz, got {sr!r}")
    return int(sr)


def window(w):
    if isinstance(w, str) and w.lower() in _WINDOWS:
        return _WINDOWS[w.lower()]
    raise ParameterError(
        f"window={w!r} is not supported (supported: {', '.join(sorted(set(_WINDOWS)))})"
    )


def pad_mode(m):
    if m in _PAD_MODES:
        return m
    raise ParameterError(f"pad_mode={m!r} is not supported (supported: {', '.join(_PAD_MODES)})")


def require(ok, message):
    if not ok:
        raise ParameterError(message)


def mel_norm(norm):
    if norm == "slaney":
        return "slaney"
    if norm is None:
        return "none"
    raise ParameterError(f"mel norm={norm!r} is not supported (supported: 'slaney', None)")


def batched(y, fn):
    """Runs ``fn`` on ``y`` reshaped to (batch, n) and restores the leading dimensions of
    every returned array (whose first axis is the batch)."""
    lead = y.shape[:-1]
    flat = y.reshape(-1, y.shape[-1])
    out = fn(flat)
    if isinstance(out, (list, tuple)):
        return type(out)(o.reshape(lead + o.shape[1:]) for o in out)
    return out.reshape(lead + out.shape[1:])


def over_matrices(S, fn):
    """Runs ``fn`` (2-D → 2-D) on every (rows, frames) matrix of ``S`` (..., rows, frames)."""
    if S.ndim == 2:
        return fn(S)
    lead = S.shape[:-2]
    outs = [fn(m) for m in S.reshape((-1,) + S.shape[-2:])]
    stacked = np.stack(outs)
    return stacked.reshape(lead + stacked.shape[1:])


def config(**fields):
    """A ``ser_features::FeatureConfig`` as JSON (unset fields keep librosa's defaults)."""
    return json.dumps(fields, sort_keys=True)
