#!/usr/bin/env bash
# Kept for old instructions: the set-up now lives in course.py (any shell, any system).
# Creates or reuses .venv with the pinned packages; see `python course.py --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${BOOT:-python3}" course.py env ${PYTHON:+--python "$PYTHON"}
