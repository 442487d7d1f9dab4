"""Evaluating a model on windows: quickly, as a 1-D array, without disturbing NumPy's seed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike


def fast_predictor(
    model: keras.Model, window_shape: tuple, batch_size: int = 16384
) -> Callable[[ArrayLike], np.ndarray]:
    """A fast ``windows -> predictions (n,)`` function: one traced graph, large batches.

    ``model.predict`` has a per-call overhead that dominates when called thousands of times;
    a ``tf.function`` with a fixed input signature is traced once and reused.
    """
    spec = tf.TensorSpec((None, *window_shape), tf.float32)
    forward = tf.function(lambda windows: model(windows, training=False), input_signature=[spec])

    def predict_windows(windows):
        windows = np.asarray(windows, np.float32).reshape(-1, *window_shape)
        outputs = [
            forward(windows[start : start + batch_size]).numpy().reshape(-1)
            for start in range(0, len(windows), batch_size)
        ]
        return np.concatenate(outputs)

    return predict_windows


def predict(model: keras.Model, windows: ArrayLike) -> np.ndarray:
    """Predictions of a single-output model as a 1-D float64 array."""
    outputs = model(np.asarray(windows, np.float32), training=False)
    return np.asarray(outputs, dtype=np.float64).reshape(len(windows), -1)[:, 0]


@contextlib.contextmanager
def preserved_numpy_random_state() -> Iterator[None]:
    """shap's explainers reseed numpy's global generator; put it back afterwards."""
    state = np.random.get_state()  # noqa: NPY002 (shap reseeds the legacy global generator)
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002
