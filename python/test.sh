#!/usr/bin/env bash
# Builds the `ser` Python package from this checkout into a venv and runs its pytest suite
# (parity with librosa and opensmile-python, errors, the recogniser, GIL release).
#
#   python/test.sh            # venv in target/py-venv (reused on later runs)
#   SER_PY_VENV=DIR python/test.sh
#
# Needs only Rust and Python >= 3.9 (with venv); everything else comes from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${SER_PY_VENV:-target/py-venv}
PYTHON=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q maturin numpy pandas pytest librosa opensmile soundfile
# the package as a user installs it: `pip install ./python` (maturin, release build)
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps ./python
# from the repository root, so `import ser` finds the installed package, not python/ser
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider python/tests "$@"
