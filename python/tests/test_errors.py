"""Bad input raises a ser.errors class with a clear message, never crashes the interpreter."""

import numpy as np
import pytest

import ser
from conftest import SPEECH


def test_hierarchy():
    assert issubclass(ser.ParameterError, ser.Error) and issubclass(ser.ParameterError, ValueError)
    assert issubclass(ser.AudioError, ser.Error) and issubclass(ser.AudioError, OSError)
    assert issubclass(ser.ModelError, ser.Error)


@pytest.mark.parametrize(
    "y, match",
    [
        (np.zeros(0, np.float32), "empty"),
        (np.array([0.0, np.nan, 0.1], np.float32), "finite"),
        (np.array([0.0, np.inf], np.float64), "finite"),
        (np.arange(100, dtype=np.int16), "floating-point"),
        (np.float32(1.0), "one-dimensional"),
    ],
)
def test_bad_signals(y, match):
    with pytest.raises(ser.ParameterError, match=match):
        ser.feature.mfcc(y=y, sr=16000)


def test_bad_parameters():
    y = np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    with pytest.raises(ser.ParameterError):
        ser.feature.mfcc(y=y, sr=0)
    with pytest.raises(ser.ParameterError):
        ser.feature.mfcc(y=y, sr=16000, n_mfcc=200)  # more than the 128 mel bands
    with pytest.raises(ser.ParameterError, match="window"):
        ser.feature.melspectrogram(y=y, window="blackman")
    with pytest.raises(ser.ParameterError, match="dct_type"):
        ser.feature.mfcc(y=y, dct_type=3)
    with pytest.raises(ser.ParameterError):
        ser.feature.spectral_rolloff(y=y, roll_percent=1.5)
    with pytest.raises(ser.ParameterError):
        ser.yin(y, fmin=500, fmax=100, sr=16000)
    with pytest.raises(ser.ParameterError):
        ser.feature.delta(np.zeros((3, 5), np.float32), width=9)  # fewer frames than width
    with pytest.raises(TypeError):
        ser.feature.melspectrogram(y=y, n_melz=40)


def test_bad_files(tmp_path):
    with pytest.raises(ser.AudioError, match="missing.wav"):
        ser.load(tmp_path / "missing.wav")
    text = tmp_path / "text.wav"
    text.write_text("RIFF but not really a wave file")
    with pytest.raises(ser.AudioError):
        ser.load(text)
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(SPEECH.read_bytes()[:30])
    with pytest.raises(ser.AudioError):
        ser.load(truncated)
    with pytest.raises(ser.ParameterError, match="past the end"):
        ser.load(SPEECH, offset=3600.0)
    with pytest.raises(ser.ParameterError, match="mono"):
        ser.load(SPEECH, mono=False)


def test_bad_model_dirs(tmp_path):
    with pytest.raises(ser.ModelError):
        ser.Recognizer(tmp_path / "nothing-here")
    model = tmp_path / "corrupt"
    model.mkdir()
    src = SPEECH.parents[1] / "models" / "linear"
    (model / "config.json").write_text((src / "config.json").read_text())
    (model / "model.safetensors").write_bytes((src / "model.safetensors").read_bytes()[:100])
    with pytest.raises(ser.ModelError):
        ser.Recognizer(model)


def test_load_from_bytes_and_file_objects():
    import io

    y, sr = ser.load(SPEECH, sr=None)
    data = SPEECH.read_bytes()
    for src in (data, io.BytesIO(data), memoryview(data)):
        z, r = ser.load(src, sr=None)
        assert r == sr and np.array_equal(z, y)
    with pytest.raises(ser.AudioError):
        ser.load(b"not audio at all")
