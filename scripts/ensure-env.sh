#!/usr/bin/env bash
# Create (or reuse) the course's virtual environment in .venv with the pinned packages.
#
# Idempotent: a stamp records the hash of the files that define the environment; when none of
# them changed, nothing is reinstalled. Needs a Python 3.12 interpreter (current shap needs
# >= 3.12; TensorFlow 2.21 wheels exist for it). Set PYTHON=/path/to/python3.12 to choose one.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.course-env-stamp"

is_python312() {
    "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1
}

find_python() {
    local candidate version
    for candidate in "${PYTHON:-}" python3.12 python3; do
        if [ -n "$candidate" ] && is_python312 "$candidate"; then
            command -v "$candidate" || echo "$candidate"
            return 0
        fi
    done
    # pyenv installs a python3.12 shim that refuses to run unless 3.12 is selected.
    if command -v pyenv >/dev/null 2>&1; then
        for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.[0-9]+)?$' | sort -t. -k3 -n -r); do
            candidate="$(pyenv root)/versions/$version/bin/python3.12"
            if is_python312 "$candidate"; then
                echo "$candidate"
                return 0
            fi
        done
    fi
    return 1
}

wanted=$(cat requirements.txt requirements-data.txt constraints.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ]; then
    echo "environment: reusing $VENV (pins unchanged)"
    exit 0
fi

if ! python=$(find_python); then
    echo "error: no Python 3.12 interpreter found. Install Python 3.12 and rerun," >&2
    echo "       or name it: PYTHON=/path/to/python3.12 make ..." >&2
    exit 1
fi

echo "environment: creating $VENV with $("$python" --version) (a few minutes the first time)"
start=$(date +%s)
[ -x "$VENV/bin/python" ] || "$python" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r requirements.txt -c constraints.txt
# Packages wanted only for the data files they ship (lumod's records), without their
# dependencies: the course reads the files and never imports the package (requirements-data.txt).
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    -r requirements-data.txt
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
echo "$wanted" > "$STAMP"
echo "environment: ready in $(( $(date +%s) - start )) s"
