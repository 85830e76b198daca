"""Frame-level features with librosa's names, keyword arguments and defaults
(``librosa.feature``), computed by the Rust core.

Every function takes ``y`` of shape ``(..., n)`` (leading dimensions, e.g. channels or a
batch, are kept; several signals are processed on several cores) and returns float32 arrays
of librosa's shapes. Values match librosa 0.11 to the tolerances of the Rust parity tests
(relative 1e-4 plus a small absolute term; see ``python/tests/test_parity_librosa.py``).
Options librosa has and ``ser`` does not (other windows, ``freq=``, ``p != 2``, ...) raise
``ser.ParameterError`` naming what is supported; float64 input is computed in float32.
"""

import numpy as np

from . import _ser
from . import _util as u
from .errors import ParameterError

__all__ = [
    "melspectrogram",
    "mfcc",
    "spectral_centroid",
    "spectral_bandwidth",
    "spectral_rolloff",
    "spectral_flatness",
    "spectral_contrast",
    "zero_crossing_rate",
    "rms",
    "delta",
    "yin",
    "pyin",
]

_MEL_KEYS = {"n_mels", "fmin", "fmax", "htk", "norm", "dtype"}


def _stft_fields(sr, n_fft, hop_length, win_length, window, center, pad_mode):
    u.require(int(n_fft) == n_fft and n_fft > 0, f"n_fft must be a positive integer, got {n_fft!r}")
    u.require(
        hop_length is None or (int(hop_length) == hop_length and hop_length > 0),
        f"hop_length must be a positive integer, got {hop_length!r}",
    )
    fields = dict(
        sr=u.rate(sr),
        n_fft=int(n_fft),
        window=u.window(window),
        center=bool(center),
        pad_mode=u.pad_mode(pad_mode),
    )
    if hop_length is not None:
        fields["hop_length"] = int(hop_length)
    if win_length is not None:
        fields["win_length"] = int(win_length)
    return fields


def _mel_fields(kwargs, norm_key="norm"):
    unknown = set(kwargs) - _MEL_KEYS
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(unknown))}")
    fields = dict(
        n_mels=int(kwargs.get("n_mels", 128)),
        fmin=float(kwargs.get("fmin", 0.0)),
        htk=bool(kwargs.get("htk", False)),
        mel_norm=u.mel_norm(kwargs.get(norm_key, "slaney")),
    )
    if kwargs.get("fmax") is not None:
        fields["fmax"] = float(kwargs["fmax"])
    return fields


def _frames(y, fields, kind):
    y = u.signal(y)
    cfg = u.config(**fields)
    return u.batched(y, lambda flat: _ser.frame_features(flat, cfg, [kind])[0])


def _spectral(kind, y, S, sr, stft, roll_percent=0.85, fmin=200.0, n_bands=6, quantile=0.02):
    if S is not None:
        S = u.matrix(S)
        sr = u.rate(sr)
        return u.over_matrices(
            S,
            lambda m: _ser.spectral_from_s(
                m, kind, sr, float(roll_percent), float(fmin), int(n_bands), float(quantile)
            ),
        )
    fields = _stft_fields(sr, **stft)
    fields.update(
        roll_percent=float(roll_percent),
        contrast_fmin=float(fmin),
        contrast_n_bands=int(n_bands),
        contrast_quantile=float(quantile),
    )
    return _frames(y, fields, kind)


def melspectrogram(*, y=None, sr=22050, S=None, n_fft=2048, hop_length=512, win_length=None,
                   window="hann", center=True, pad_mode="constant", power=2.0, **kwargs):
    """``librosa.feature.melspectrogram``: ``(..., n_mels, frames)``."""
    if S is not None:
        from .filters import mel

        S = u.matrix(S)
        mkw = {k: v for k, v in kwargs.items() if k != "dtype"}
        basis = mel(sr=sr, n_fft=2 * (S.shape[-2] - 1), **mkw)
        return np.einsum("...ft,mf->...mt", S, basis, optimize=True).astype(np.float32)
    fields = _stft_fields(sr, n_fft, hop_length, win_length, window, center, pad_mode)
    fields.update(_mel_fields(kwargs), power=float(power))
    return _frames(y, fields, "melspectrogram")


def mfcc(*, y=None, sr=22050, S=None, n_mfcc=20, dct_type=2, norm="ortho", lifter=0,
         mel_norm="slaney", **kwargs):
    """``librosa.feature.mfcc``: ``(..., n_mfcc, frames)``; ``S`` is a log-power mel
    spectrogram (``power_to_db(melspectrogram(...))``). Only ``dct_type=2`` with
    ``norm='ortho'`` (librosa's defaults) is supported."""
    u.require(dct_type == 2 and norm == "ortho", "only dct_type=2 with norm='ortho' is supported")
    u.require(lifter >= 0, f"MFCC lifter={lifter} must be a non-negative number")
    if S is not None:
        S = u.matrix(S)
        flat = S.reshape((-1,) + S.shape[-2:])
        out = _ser.mfcc_from_log_mel(flat, int(n_mfcc), float(lifter))
        return out.reshape(S.shape[:-2] + out.shape[-2:])
    stft = {k: kwargs.pop(k) for k in ("n_fft", "hop_length", "win_length", "window", "center",
                                       "pad_mode") if k in kwargs}
    power = kwargs.pop("power", 2.0)
    kwargs["norm"] = mel_norm
    fields = _stft_fields(
        sr,
        stft.get("n_fft", 2048),
        stft.get("hop_length", 512),
        stft.get("win_length"),
        stft.get("window", "hann"),
        stft.get("center", True),
        stft.get("pad_mode", "constant"),
    )
    fields.update(_mel_fields(kwargs), power=float(power), n_mfcc=int(n_mfcc), lifter=float(lifter))
    y = u.signal(y)
    if y.ndim > 1 and y.size > y.shape[-1]:
        # librosa clips the log-mel of a batch at (max over the whole batch) - 80 dB: mel
        # spectrograms of every signal, one power_to_db over all, then the DCT per signal
        mel_fields = {k: v for k, v in fields.items() if k not in ("n_mfcc", "lifter")}
        from .core import power_to_db

        S = power_to_db(_frames(y, mel_fields, "melspectrogram"))
        return mfcc(S=S, n_mfcc=n_mfcc, lifter=lifter)
    return _frames(y, fields, "mfcc")


def spectral_centroid(*, y=None, sr=22050, S=None, n_fft=2048, hop_length=512, freq=None,
                      win_length=None, window="hann", center=True, pad_mode="constant"):
    """``librosa.feature.spectral_centroid``: ``(..., 1, frames)`` in Hz."""
    u.require(freq is None, "freq= is not supported (the FFT bin frequencies are used)")
    stft = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                center=center, pad_mode=pad_mode)
    return _spectral("spectral_centroid", y, S, sr, stft)


def spectral_bandwidth(*, y=None, sr=22050, S=None, n_fft=2048, hop_length=512, win_length=None,
                       window="hann", center=True, pad_mode="constant", freq=None, centroid=None,
                       norm=True, p=2):
    """``librosa.feature.spectral_bandwidth`` (``p=2``, ``norm=True``): ``(..., 1, frames)``."""
    u.require(freq is None and centroid is None, "freq= and centroid= are not supported")
    u.require(p == 2 and norm is True, "only p=2 with norm=True is supported")
    stft = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                center=center, pad_mode=pad_mode)
    return _spectral("spectral_bandwidth", y, S, sr, stft)


def spectral_rolloff(*, y=None, sr=22050, S=None, n_fft=2048, hop_length=512, win_length=None,
                     window="hann", center=True, pad_mode="constant", freq=None, roll_percent=0.85):
    """``librosa.feature.spectral_rolloff``: ``(..., 1, frames)`` in Hz."""
    u.require(freq is None, "freq= is not supported (the FFT bin frequencies are used)")
    u.require(0 < roll_percent < 1, f"roll_percent={roll_percent} must lie in the range (0, 1)")
    stft = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                center=center, pad_mode=pad_mode)
    return _spectral("spectral_rolloff", y, S, sr, stft, roll_percent=roll_percent)


def spectral_flatness(*, y=None, S=None, n_fft=2048, hop_length=512, win_length=None,
                      window="hann", center=True, pad_mode="constant", amin=1e-10, power=2.0):
    """``librosa.feature.spectral_flatness`` (``amin=1e-10``, ``power=2``): ``(..., 1, frames)``."""
    u.require(amin == 1e-10 and power == 2.0, "only amin=1e-10 with power=2.0 is supported")
    stft = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                center=center, pad_mode=pad_mode)
    return _spectral("spectral_flatness", y, S, 22050, stft)


def spectral_contrast(*, y=None, sr=22050, S=None, n_fft=2048, hop_length=512, win_length=None,
                      window="hann", center=True, pad_mode="constant", freq=None, fmin=200.0,
                      n_bands=6, quantile=0.02, linear=False):
    """``librosa.feature.spectral_contrast``: ``(..., n_bands + 1, frames)`` in dB.

    In a batch, each signal's peak and valley dB are clipped 80 dB below that signal's own
    maximum; librosa clips at the maximum over the whole batch (the two differ only in bands
    more than 80 dB below the loudest peak)."""
    u.require(freq is None, "freq= is not supported (the FFT bin frequencies are used)")
    u.require(not linear, "linear=True is not supported")
    stft = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                center=center, pad_mode=pad_mode)
    return _spectral("spectral_contrast", y, S, sr, stft, fmin=fmin, n_bands=n_bands,
                     quantile=quantile)


def zero_crossing_rate(y, *, frame_length=2048, hop_length=512, center=True, **kwargs):
    """``librosa.feature.zero_crossing_rate``: ``(..., 1, frames)`` (librosa's default
    threshold, ``pad=False``, ``zero_pos=True``; centring pads with the edge values)."""
    if kwargs:
        raise ParameterError(f"zero_crossing_rate options not supported: {', '.join(sorted(kwargs))}")
    fields = _stft_fields(22050, frame_length, hop_length, None, "hann", center, "constant")
    return _frames(y, fields, "zero_crossing_rate")


def rms(*, y=None, S=None, frame_length=2048, hop_length=512, center=True, pad_mode="constant",
        dtype=np.float32):
    """``librosa.feature.rms``: ``(..., 1, frames)``. From ``S`` (a magnitude spectrogram) it
    is librosa's Parseval formula, in numpy."""
    if S is not None:
        S = u.matrix(S)
        x = np.square(S, dtype=np.float64)
        x[..., 0, :] *= 0.5
        if frame_length % 2 == 0:
            x[..., -1, :] *= 0.5
        power = 2 * np.sum(x, axis=-2, keepdims=True) / frame_length**2
        return np.sqrt(power).astype(dtype)
    fields = _stft_fields(22050, frame_length, hop_length, None, "hann", center, pad_mode)
    return _frames(y, fields, "rms").astype(dtype, copy=False)


def delta(data, *, width=9, order=1, axis=-1, mode="interp"):
    """``librosa.feature.delta`` (``mode='interp'``) along ``axis``."""
    u.require(mode == "interp", "only mode='interp' is supported")
    u.require(width >= 3 and width % 2 == 1, f"width must be an odd integer >= 3, got {width}")
    arr = np.asarray(data)
    u.require(arr.ndim >= 1 and arr.size > 0, "data must be a non-empty array")
    moved = np.moveaxis(np.ascontiguousarray(arr, dtype=np.float32), axis, -1)
    flat = np.ascontiguousarray(moved.reshape(-1, moved.shape[-1]))
    out = _ser.delta(flat, int(width), int(order)).reshape(moved.shape)
    return np.moveaxis(out, -1, axis)


def _f0_args(y, fmin, fmax, sr, frame_length, win_length, hop_length, center, pad_mode):
    u.require(win_length is None, "win_length is deprecated in librosa and not supported")
    u.require(fmin is not None and fmax is not None and 0 < fmin < fmax,
              f"need 0 < fmin < fmax, got fmin={fmin}, fmax={fmax}")
    return (u.signal(y), u.rate(sr), float(fmin), float(fmax), int(frame_length),
            None if hop_length is None else int(hop_length), bool(center), u.pad_mode(pad_mode))


def yin(y, *, fmin, fmax, sr=22050, frame_length=2048, win_length=None, hop_length=None,
        trough_threshold=0.1, center=True, pad_mode="constant"):
    """``librosa.yin``: F0 in Hz, ``(..., frames)``."""
    y, sr, fmin, fmax, fl, hop, center, pad = _f0_args(
        y, fmin, fmax, sr, frame_length, win_length, hop_length, center, pad_mode)
    return u.batched(
        y, lambda flat: _ser.yin(flat, sr, fmin, fmax, fl, hop, float(trough_threshold), center, pad)
    )


def pyin(y, *, fmin, fmax, sr=22050, frame_length=2048, win_length=None, hop_length=None,
         n_thresholds=100, beta_parameters=(2, 18), boltzmann_parameter=2, resolution=0.1,
         max_transition_rate=35.92, switch_prob=0.01, no_trough_prob=0.01, fill_na=np.nan,
         center=True, pad_mode="constant"):
    """``librosa.pyin``: ``(f0, voiced_flag, voiced_prob)``, each ``(..., frames)``."""
    y, sr, fmin, fmax, fl, hop, center, pad = _f0_args(
        y, fmin, fmax, sr, frame_length, win_length, hop_length, center, pad_mode)
    beta = (float(beta_parameters[0]), float(beta_parameters[1]))
    fill = None if fill_na is None else float(fill_na)
    return u.batched(
        y,
        lambda flat: _ser.pyin(flat, sr, fmin, fmax, fl, hop, int(n_thresholds), beta,
                               float(boltzmann_parameter), float(resolution),
                               float(max_transition_rate), float(switch_prob),
                               float(no_trough_prob), fill, center, pad),
    )
