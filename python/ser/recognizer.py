"""The emotion recogniser (``ser_models::Recognizer``) from Python."""

import dataclasses
import os
from typing import Dict, Optional

import numpy as np

from . import _ser
from . import errors as _errors
from .errors import ParameterError

__all__ = ["Recognizer", "Prediction"]


@dataclasses.dataclass(frozen=True)
class Prediction:
    """One clip's result. Without speech (silence, noise, a tone) ``label`` is ``None``,
    ``probabilities`` is empty and ``reason`` says why; no emotion is given."""

    label: Optional[str]
    probabilities: Dict[str, float]
    is_speech: bool
    reason: Optional[str] = None

    @classmethod
    def _from(cls, outcome):
        label, probs, is_speech, reason = outcome
        return cls(label, {k: float(v) for k, v in probs}, bool(is_speech), reason)


def _default_model_dir():
    # a model directory shipped inside the installed package wins; else the Rust lookup
    # ($SER_MODEL_DIR, the XDG data directory, the source tree the package was built from)
    bundled = os.path.join(os.path.dirname(__file__), "models", "default")
    return bundled if os.path.isfile(os.path.join(bundled, "config.json")) else None


class Recognizer:
    """Speech emotion recogniser of a model directory.

    ``Recognizer()`` loads the shipped default model (``models/default`` of the source tree,
    or ``$SER_MODEL_DIR/default``); ``Recognizer("path/to/model")`` any directory written by
    ``train``. ``speech_gate=False`` classifies any audio, speech or not.
    """

    def __init__(self, model_dir=None, *, speech_gate=True):
        path = model_dir if model_dir is not None else _default_model_dir()
        self._inner = _ser.Recognizer(None if path is None else os.fspath(path), bool(speech_gate))

    @property
    def labels(self):
        """Class names, in output order."""
        return list(self._inner.labels)

    @property
    def model_dir(self):
        return self._inner.model_dir

    @property
    def sample_rate(self):
        """The rate audio is resampled to before feature extraction."""
        return self._inner.sample_rate

    def __repr__(self):
        return f"Recognizer({str(self.model_dir)!r}, labels={self.labels})"

    def predict(self, audio, sr=None):
        """Classifies a file path, or a mono float signal with its rate ``sr``."""
        if isinstance(audio, (str, os.PathLike)):
            if sr is not None:
                raise ParameterError("sr is only for signals; a file carries its own rate")
            return Prediction._from(self._inner.predict_file(os.fspath(audio)))
        y = np.asarray(audio)
        if sr is None:
            raise ParameterError("sr is required with a signal")
        if not np.issubdtype(y.dtype, np.floating):
            raise ParameterError(f"Audio data must be floating-point, not {y.dtype}")
        if y.ndim != 1:
            raise ParameterError(f"signal must be mono, shape (n,); got {y.shape}")
        return Prediction._from(self._inner.predict_samples(np.ascontiguousarray(y, dtype=np.float32), int(sr)))

    def predict_files(self, files, *, errors="raise"):
        """Classifies files in parallel (every core). ``errors="raise"`` raises the first
        failure; ``errors="coerce"`` returns the exception in place of that file's result."""
        if errors not in ("raise", "coerce"):
            raise ParameterError(f"errors={errors!r} (raise, coerce)")
        out = []
        for ok, err in self._inner.predict_files([os.fspath(f) for f in files]):
            if err is not None:
                exc = _errors.from_core(*err)
                if errors == "raise":
                    raise exc
                out.append(exc)
            else:
                out.append(Prediction._from(ok))
        return out

    def adapt(self, files):
        """Re-fits the model's input standardisation on unlabelled files from the target
        domain (a speaker, a microphone, a corpus); returns the number of files used."""
        return self._inner.adapt([os.fspath(f) for f in files])
