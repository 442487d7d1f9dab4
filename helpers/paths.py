"""Where the course keeps its files, resolved from this package's location.

The course installs ``helpers`` in editable mode, so these paths point into the repository
whatever directory Jupyter or pytest was started in.
"""

from pathlib import Path

#: Top folder of the repository (the one holding README.md).
REPO_ROOT = Path(__file__).resolve().parents[1]

#: Shipped data: the teaching-catchment record and its data dictionary.
DATA_DIR = REPO_ROOT / "data"

#: The teaching-catchment record shipped with the course.
CATCHMENT_CSV = DATA_DIR / "teaching_catchment.csv"

#: Trained models written by notebook 02 (produced, not committed; see README).
MODELS_DIR = REPO_ROOT / "models"

#: Rendered notebooks (HTML) written by ``make course``.
BUILD_DIR = REPO_ROOT / "build"
