"""The course's defaults in one place: windows, the model, its training, and the explanations.

Every helper reads these numbers from :data:`COURSE` instead of repeating a literal, so that a
learner who wants another window length or model size changes it once::

    from helpers.config import COURSE
    COURSE.window          # 12 months of history per prediction
    COURSE.replace(units=32, seed=1)   # a copy with other settings

Functions that take settings (``windowing.prepare_windows``, ``training.load_or_train``) take
them whole: a :class:`CourseConfig`, or a dict of the settings to change, e.g. ``{"seed": 1}``.

Files: a clone of the course reads the shipped data from ``data/`` and writes trained models
and the SHAP cache to ``models/`` beside it; an installed package (``pip install .``) reads the
data from inside the package (``helpers/course_data/``) and writes to ``./models`` of the
directory Python was started in. ``COURSE_MODELS_DIR`` (an environment variable) moves
models and caches elsewhere.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from helpers._kit.errors import whole_number
from helpers._kit.files import REPO_ROOT


@dataclass(frozen=True)
class CourseConfig:
    """Settings the notebooks share.

    Attributes
    ----------
    window : int
        Months of climate history per prediction (the window length).
    train_fraction : float
        Chronological share of the windows used for training; the rest is the test period.
    validation_fraction : float
        Last share of the training windows, held back for early stopping.
    units : int
        Size of the LSTM state. 16 and 32 score alike on validation (notebook 02); the smaller
        one is kept.
    learning_rate, batch_size : float, int
        Adam's learning rate; windows per gradient step.
    max_epochs, patience : int
        Upper limit on training epochs; epochs without a better validation loss before
        training stops (early stopping usually ends it well before ``max_epochs``).
    seed : int
        Seed of the course's model.
    tolerance : float
        Additivity error of a SHAP explanation always accepted, in the model's output units;
        ``deep_shap`` allows more where the outputs are large, as float32 round-off grows with
        them (``helpers/_kit/engine/tolerance.py``).
    memory_budget_mb : float
        Memory the batched DeepSHAP engine may use for one chunk of windows.
    background_size : int
        Training windows in a SHAP background (``explain.training_background``).
    """

    window: int = 12
    train_fraction: float = 0.8
    validation_fraction: float = 0.15
    units: int = 16
    learning_rate: float = 0.003
    batch_size: int = 32
    max_epochs: int = 300
    patience: int = 25
    seed: int = 42
    tolerance: float = 1e-5
    memory_budget_mb: float = 256.0
    background_size: int = 100

    def __post_init__(self) -> None:
        # checked once here, so that the functions that read them need not check them again
        whole_number(self.window, "window", unit="months")
        for name in ("train_fraction", "validation_fraction"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
                raise ValueError(f"{name} must be between 0 and 1 (exclusive), got {value!r}")

    def replace(self, **changes: object) -> CourseConfig:
        """A copy of these settings with ``changes`` applied.

        Raises
        ------
        TypeError
            If a name is not one of the settings; the message lists them.
        ValueError
            A window that is not a whole number of months, or a fraction outside (0, 1).
        """
        names = [field.name for field in dataclasses.fields(self)]
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise TypeError(
                f"unknown setting(s) {', '.join(unknown)}; the course's settings are "
                f"{', '.join(names)}"
            )
        return dataclasses.replace(self, **changes)


#: The settings the course runs with.
COURSE = CourseConfig()


def settings_from(config: CourseConfig | Mapping[str, object] | None = None) -> CourseConfig:
    """The settings a call runs with: :data:`COURSE`, with a learner's changes if any.

    ``config`` is None for :data:`COURSE`, a :class:`CourseConfig` (taken as it is) or a dict of
    the settings that differ from :data:`COURSE` (e.g. ``{"units": 32, "seed": 1}``).

    Raises
    ------
    TypeError
        For a dict with a name that is not a setting, or a config of another type.
    """
    if config is None:
        return COURSE
    if isinstance(config, CourseConfig):
        return config
    if isinstance(config, Mapping):
        return COURSE.replace(**config)
    raise TypeError(
        f"config must be a CourseConfig or a dict of settings, got {type(config).__name__}"
    )


#: Shipped data: the teaching-catchment record and its data dictionary.
DATA_DIR = (
    REPO_ROOT / "data"
    if REPO_ROOT is not None
    else Path(str(importlib.resources.files("helpers") / "course_data"))
)

#: The teaching-catchment record shipped with the course.
CATCHMENT_CSV = DATA_DIR / "teaching_catchment.csv"

#: Trained models and cached explanations (produced, not committed; see README).
MODELS_DIR = Path(os.environ.get("COURSE_MODELS_DIR") or (REPO_ROOT or Path.cwd()) / "models")
