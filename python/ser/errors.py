"""Exceptions raised by ``ser``: every error of the Rust core arrives as one of these.

``Error`` is the base; catch it to handle anything ``ser`` raises.

- ``ParameterError`` (also a ``ValueError``): a bad parameter or input value: empty, NaN or
  infinite audio, an invalid sample rate, a shape that does not fit, an unsupported option.
- ``AudioError`` (also an ``OSError``): a file that cannot be read or decoded: missing,
  not audio, truncated, an unsupported codec.
- ``ModelError``: a model directory that is missing, incomplete or corrupt.
"""


class Error(Exception):
    """Base class of every ``ser`` error."""


class ParameterError(Error, ValueError):
    """A bad parameter or input value (like ``librosa.util.exceptions.ParameterError``)."""


class AudioError(Error, OSError):
    """An audio file that cannot be read or decoded."""


class ModelError(Error):
    """A missing, incomplete or corrupt model directory."""


def from_core(class_name, message):
    """The exception the Rust core reported as ``(class name, message)`` for one file."""
    classes = {c.__name__: c for c in (ParameterError, AudioError, ModelError)}
    return classes.get(class_name, Error)(message)


__all__ = ["Error", "ParameterError", "AudioError", "ModelError"]
