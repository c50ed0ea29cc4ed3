#!/bin/sh
# The image's install steps, in one place: the Dockerfile runs this script, and so does
# .ci/run (no Docker daemon runs there), so what CI tests is what the image does.
# Usage: docker/install.sh VENV_DIR   (run from the repository root)
set -eu
venv="${1:?usage: docker/install.sh VENV_DIR}"
python3 -m venv "$venv"
"$venv/bin/pip" install --no-cache-dir --quiet --upgrade pip
# Builds durable-rules' C extension from its sdist (needs gcc and the Python headers).
"$venv/bin/pip" install --no-cache-dir --quiet .
# Fail the build on a broken rules/ directory, not the first request: the rules the installed
# package ships (checked from another folder, so the checkout's rules/ cannot stand in).
(cd / && "$venv/bin/python" -m service rules check)
