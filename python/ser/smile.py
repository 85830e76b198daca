"""Utterance-level feature sets with opensmile-python's interface (``opensmile.Smile``).

``Smile(feature_set="eGeMAPSv02")`` computes ser's eGeMAPS-like set: the 88 eGeMAPSv02
functionals with openSMILE's column names and order (Pearson r 0.993 median per feature with
openSMILE 2.6 over EmoDB; ``scripts/features_prosody_egemaps_corr.py``).
``"ComParE_2016"`` is ser's ComParE_2016-like large set (73 LLDs and deltas x 23 functionals
= 3358 values). Its descriptors are computed differently from openSMILE's (librosa-style
MFCC, mel bands and spectral descriptors on a 25 ms Hann STFT), so none of its columns is
openSMILE's and they keep ser's names (e.g. ``mfcc3_sma_de_mean``). Any name of
``ser.FEATURE_SETS`` works too. As in openSMILE, audio is processed at its own rate unless
``sampling_rate`` is given (then it is resampled to it first).
"""

import enum
import os

import numpy as np
import pandas as pd

from . import _ser
from . import errors as _errors
from .errors import ParameterError

__all__ = ["Smile", "FeatureSet", "FeatureLevel"]


class FeatureSet(enum.Enum):
    """Feature sets by opensmile-python's names; the value is ser's set name."""

    eGeMAPSv02 = "egemaps"
    ComParE_2016 = "compare-large"


class FeatureLevel(enum.Enum):
    """Feature levels (only utterance functionals)."""

    Functionals = "func"


def _set_name(feature_set):
    if isinstance(feature_set, FeatureSet):
        return feature_set.value
    if isinstance(feature_set, str):
        if feature_set in FeatureSet.__members__:
            return FeatureSet[feature_set].value
        if feature_set in _ser.FEATURE_SETS:
            return feature_set
    known = list(FeatureSet.__members__) + list(_ser.FEATURE_SETS)
    raise ParameterError(f"unknown feature_set {feature_set!r} (known: {', '.join(known)})")


def _seconds(t, name):
    if t is None:
        return None
    if isinstance(t, str):
        t = pd.to_timedelta(t)
    if isinstance(t, (pd.Timedelta, np.timedelta64)):
        secs = pd.Timedelta(t).total_seconds()
    else:
        secs = float(t)
    if pd.isna(secs) or secs < 0:
        raise ParameterError(f"{name} must be a time >= 0, got {t!r}")
    return secs


def _td(seconds):
    return pd.to_timedelta(seconds, unit="s")


class Smile:
    """``opensmile.Smile``-like extractor over ser's named sets.

    ``num_workers``: files processed at once by ``process_files`` (``None`` = every core).
    """

    def __init__(self, feature_set="eGeMAPSv02", feature_level="Functionals", *,
                 sampling_rate=None, num_workers=None):
        level = feature_level.name if isinstance(feature_level, FeatureLevel) else feature_level
        if level not in ("Functionals", "func"):
            raise ParameterError(
                f"feature_level={feature_level!r} is not supported: only Functionals "
                "(utterance-level values)")
        self.feature_set = feature_set
        self.feature_level = FeatureLevel.Functionals
        self.sampling_rate = None if sampling_rate is None else int(sampling_rate)
        self.num_workers = num_workers
        self._set = _ser.FeatureSet(_set_name(feature_set), self.sampling_rate)

    @property
    def feature_names(self):
        """Column names, in order."""
        return list(self._set.names)

    @property
    def num_features(self):
        return len(self._set.names)

    def __repr__(self):
        return f"Smile(feature_set={self.feature_set!r}, {self.num_features} features)"

    def __call__(self, signal, sampling_rate):
        """The values of one signal as ``(1, n_features)`` (no DataFrame)."""
        y = _mono(signal)
        return self._set.process_signal(y, int(sampling_rate))[None, :]

    def process_signal(self, signal, sampling_rate, *, file=None, start=None, end=None):
        """One row for ``signal[start:end]`` (seconds or ``pd.Timedelta``), indexed by
        ``(start, end)``, or ``(file, start, end)`` when ``file`` is given."""
        y = _mono(signal)
        sr = int(sampling_rate)
        s = _seconds(start, "start") or 0.0
        e = _seconds(end, "end")
        i0 = int(round(s * sr))
        i1 = y.shape[-1] if e is None else min(y.shape[-1], int(round(e * sr)))
        if i1 <= i0:
            raise ParameterError(f"empty segment: start={start!r}, end={end!r}")
        values = self._set.process_signal(np.ascontiguousarray(y[i0:i1]), sr)
        starts, ends = [_td(i0 / sr)], [_td(i1 / sr)]
        if file is None:
            index = pd.MultiIndex.from_arrays([starts, ends], names=["start", "end"])
        else:
            index = pd.MultiIndex.from_arrays([[file], starts, ends], names=["file", "start", "end"])
        return pd.DataFrame(values[None, :], index=index, columns=self.feature_names)

    def process_file(self, file, *, start=None, end=None, root=None):
        """One row for a file (segment ``start``..``end``), indexed by ``(file, start, end)``."""
        return self.process_files([file], starts=start, ends=end, root=root)

    def process_files(self, files, *, starts=None, ends=None, root=None, errors="raise"):
        """One row per file, files in parallel. ``errors="raise"`` raises the first failure
        (a ``ser.AudioError`` naming the file, ...); ``errors="coerce"`` leaves a NaN row and
        collects the messages in ``df.attrs["errors"]`` (``{file: message}``)."""
        if errors not in ("raise", "coerce"):
            raise ParameterError(f"errors={errors!r} (raise, coerce)")
        files = [os.fspath(f) for f in files]
        n = len(files)
        starts = _broadcast(starts, n, "starts")
        ends = _broadcast(ends, n, "ends")
        offsets, durations = [], []
        for s, e in zip(starts, ends):
            s = _seconds(s, "start") or 0.0
            e = _seconds(e, "end")
            if e is not None and e <= s:
                raise ParameterError(f"empty segment: start={s} s, end={e} s")
            offsets.append(s)
            durations.append(None if e is None else e - s)
        paths = [os.path.join(root, f) if root else f for f in files]
        values, seconds, errs = self._run(paths, offsets, durations)
        failed = {}
        for f, err in zip(files, errs):
            if err is not None:
                if errors == "raise":
                    raise _errors.from_core(*err)
                failed[f] = err[1]
        index = pd.MultiIndex.from_arrays(
            [files, _td(offsets), _td(np.asarray(offsets) + np.asarray(seconds))],
            names=["file", "start", "end"],
        )
        df = pd.DataFrame(values, index=index, columns=self.feature_names)
        df.attrs["errors"] = failed
        return df

    def _run(self, paths, offsets, durations):
        workers = None if self.num_workers is None else int(self.num_workers)
        return self._set.process_files(paths, offsets, durations, workers)


def _mono(signal):
    y = np.asarray(signal)
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(f"signal must be floating-point, not {y.dtype}")
    if y.ndim == 2 and y.shape[0] == 1:
        y = y[0]
    if y.ndim != 1:
        raise ParameterError(f"signal must be mono, shape (n,) or (1, n); got {y.shape}")
    return np.ascontiguousarray(y, dtype=np.float32)


def _broadcast(x, n, name):
    if x is None or np.isscalar(x) or isinstance(x, (str, pd.Timedelta)):
        return [x] * n
    x = list(x)
    if len(x) != n:
        raise ParameterError(f"{name} has {len(x)} entries for {n} files")
    return x
