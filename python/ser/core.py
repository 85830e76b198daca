"""Audio loading and conversions (``librosa.load``, ``librosa.power_to_db``)."""

import os

import numpy as np

from . import _ser
from . import _util as u
from .errors import ParameterError

__all__ = ["load", "power_to_db"]

# librosa's `res_type` names mapped onto the three presets of ser-dsp's sinc resampler.
_RES_TYPES = {
    "soxr_vhq": "high", "soxr_hq": "high", "kaiser_best": "high", "fft": "high",
    "scipy": "high", "polyphase": "high", "high": "high",
    "soxr_mq": "balanced", "balanced": "balanced",
    "soxr_lq": "fast", "soxr_qq": "fast", "kaiser_fast": "fast", "fast": "fast",
}


def load(path, *, sr=22050, mono=True, offset=0.0, duration=None, dtype=np.float32, res_type="soxr_hq"):
    """``librosa.load``: ``(y, sr)``, ``y`` mono float32 in ``[-1, 1]``.

    ``path`` is a file path, a binary file-like object (anything with ``read()``), or the
    bytes of an audio file.

    WAV, FLAC, MP3 and OGG-Vorbis are decoded in Rust (the format is sniffed from the bytes);
    ``sr=None`` keeps the file's rate, otherwise the audio is resampled with ser-dsp's sinc
    resampler (``res_type`` picks its preset: the soxr / kaiser names map onto high, balanced
    and fast). Only ``mono=True`` is supported: the channels are averaged, like librosa.
    """
    if not mono:
        raise ParameterError("mono=False is not supported: ser decodes to mono (the channel mean)")
    if res_type not in _RES_TYPES:
        raise ParameterError(f"res_type={res_type!r} is not supported (supported: {', '.join(sorted(_RES_TYPES))})")
    target = None if sr is None else u.rate(sr)
    args = (target, float(offset), None if duration is None else float(duration), _RES_TYPES[res_type])
    if hasattr(path, "read"):
        source = bytes(path.read())
    elif isinstance(path, (bytes, bytearray, memoryview)):
        source = bytes(path)
    else:
        source = os.fspath(path)
    y, rate = _ser.load(source, *args)
    return y.astype(dtype, copy=False), rate


def power_to_db(S, *, ref=1.0, amin=1e-10, top_db=80.0):
    """``librosa.power_to_db``: ``10 log10(max(S, amin) / ref)``, clipped at ``max - top_db``.
    ``ref`` may be a number or a function of ``S`` (e.g. ``np.max``)."""
    arr = np.asarray(S)
    if np.iscomplexobj(arr):
        raise ParameterError("power_to_db was called on complex input: take np.abs(S) ** 2 first")
    u.require(amin > 0, "amin must be strictly positive")
    u.require(top_db is None or top_db >= 0, "top_db must be non-negative")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    ref_value = float(ref(arr)) if callable(ref) else float(ref)
    shape = arr.shape
    flat = arr.reshape(1, -1) if arr.ndim != 2 else arr
    out = _ser.power_to_db(flat, ref_value, float(amin), None if top_db is None else float(top_db))
    return out.reshape(shape)
