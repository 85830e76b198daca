"""Filter banks (``librosa.filters``)."""

import json

import numpy as np

from . import _ser
from . import _util as u

__all__ = ["mel"]


def mel(*, sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney", dtype=np.float32):
    """``librosa.filters.mel``: the mel filter bank ``(n_mels, 1 + n_fft // 2)``."""
    fields = dict(sr=u.rate(sr), n_fft=int(n_fft), n_mels=int(n_mels), fmin=float(fmin),
                  htk=bool(htk), norm=u.mel_norm(norm))
    if fmax is not None:
        fields["fmax"] = float(fmax)
    return _ser.mel_filters(json.dumps(fields)).astype(dtype, copy=False)
