"""ser.Recognizer: the shipped default model from Python."""

import numpy as np
import pytest

import ser
from conftest import SPEECH, emodb_files


@pytest.fixture(scope="module")
def rec():
    return ser.Recognizer()


def test_file_and_signal_agree(rec):
    p = rec.predict(SPEECH)
    assert p.is_speech and p.label in rec.labels and p.reason is None
    assert set(p.probabilities) == set(rec.labels)
    assert abs(sum(p.probabilities.values()) - 1) < 1e-4
    assert p.label == max(p.probabilities, key=p.probabilities.get)
    y, sr = ser.load(SPEECH, sr=None)
    q = rec.predict(y, sr)
    assert q.label == p.label
    assert max(abs(q.probabilities[k] - p.probabilities[k]) for k in rec.labels) < 1e-5


def test_non_speech_gets_no_emotion(rec):
    silence = rec.predict(np.zeros(16000, np.float32), 16000)
    assert not silence.is_speech and silence.label is None and "silence" in silence.reason
    t = np.arange(32000) / 16000
    tone = rec.predict((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
    assert not tone.is_speech and tone.label is None


def test_predict_files_in_parallel(rec, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_text("no audio")
    out = rec.predict_files([SPEECH, bad, SPEECH], errors="coerce")
    assert out[0] == out[2] and isinstance(out[1], ser.AudioError)
    with pytest.raises(ser.AudioError):
        rec.predict_files([SPEECH, bad])


def test_adapt_to_a_domain(tmp_path):
    files = emodb_files(8)
    r = ser.Recognizer()
    assert r.adapt(files) == 8
    assert r.predict(files[0]).is_speech


def test_bad_arguments(rec):
    with pytest.raises(ser.ParameterError):
        rec.predict(np.zeros(100, np.float32))  # no sr
    with pytest.raises(ser.ParameterError):
        rec.predict(np.zeros((2, 100), np.float32), 16000)
    with pytest.raises(ser.ParameterError):
        rec.predict(SPEECH, 16000)
