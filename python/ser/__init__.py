"""ser: speech emotion recognition with a Rust core.

- ``ser.load``, ``ser.power_to_db``: like ``librosa.load`` / ``librosa.power_to_db``.
- ``ser.feature``: ``mfcc``, ``melspectrogram``, ``spectral_*``, ``rms``,
  ``zero_crossing_rate``, ``delta``, ``yin``, ``pyin`` with librosa's keywords and defaults;
  ``ser.filters.mel``; ``ser.yin`` / ``ser.pyin`` as in librosa.
- ``ser.Smile``: eGeMAPSv02 (openSMILE's column names) and ComParE_2016-like functionals as
  pandas DataFrames, like ``opensmile.Smile``.
- ``ser.Recognizer``: the emotion of a file or signal.
- ``ser.errors``: ``Error`` and its subclasses ``ParameterError``, ``AudioError``,
  ``ModelError``.

The GIL is released while Rust works, so Python threads run ``ser`` calls in parallel.
"""

from . import errors, feature, filters
from ._ser import FEATURE_SETS, __version__
from .core import load, power_to_db
from .errors import AudioError, Error, ModelError, ParameterError
from .feature import pyin, yin
from .recognizer import Prediction, Recognizer
from .smile import FeatureLevel, FeatureSet, Smile

__all__ = [
    "load",
    "power_to_db",
    "feature",
    "filters",
    "yin",
    "pyin",
    "Smile",
    "FeatureSet",
    "FeatureLevel",
    "Recognizer",
    "Prediction",
    "errors",
    "Error",
    "ParameterError",
    "AudioError",
    "ModelError",
    "FEATURE_SETS",
    "__version__",
]
