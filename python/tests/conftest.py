"""Shared paths and skips. Tests that need ../shared/datasets or a reference tool that is not
installed are skipped with a reason that starts with "SKIPPED:"."""

import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
SPEECH = REPO / "assets" / "speech.wav"
SPECTRAL_FIXTURES = REPO / "ser-features" / "tests" / "fixtures" / "spectral"


def datasets():
    return pathlib.Path(os.environ.get("SER_DATASETS", REPO.parent / "shared" / "datasets"))


def emodb_files(n=None):
    files = sorted((datasets() / "emodb" / "wav").glob("*.wav"))
    if not files:
        pytest.skip(f"SKIPPED: no EmoDB under {datasets()} (set SER_DATASETS)")
    if n is None:
        return files
    step = max(1, len(files) // n)
    return files[::step][:n]


def need(module):
    try:
        return __import__(module)
    except ImportError:
        pytest.skip(f"SKIPPED: {module} is not installed (pip install -e 'python[test]')")


@pytest.fixture(scope="session")
def speech_path():
    return SPEECH
