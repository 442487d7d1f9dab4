"""The engine's one private traced path from windows to a model's outputs, for routes that call
the model thousands of times (exact Shapley values, permutation SHAP).

The course's public way to predict is ``helpers.training.predict``; it goes through Keras'
``predict_on_batch``, whose per-call overhead dominates when called thousands of times. A
``tf.function`` with a fixed input signature is traced once and reused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike


def traced_forward(
    model: keras.Model, window_shape: tuple, batch_size: int
) -> Callable[[ArrayLike], np.ndarray]:
    """A fast ``windows -> first output value (n,)`` function: one traced graph, large batches.

    The windows may come flattened (shap's maskers pass rows); they are reshaped to
    ``window_shape``. The values are float64.
    """
    spec = tf.TensorSpec((None, *window_shape), tf.float32)
    forward = tf.function(lambda windows: model(windows, training=False), input_signature=[spec])

    def first_output(windows: ArrayLike) -> np.ndarray:
        windows = np.asarray(windows, np.float32).reshape(-1, *window_shape)
        batches = []
        for start in range(0, len(windows), batch_size):
            parts = tf.nest.flatten(forward(windows[start : start + batch_size]))
            parts = [np.asarray(part, np.float64) for part in parts]
            batches.append(np.concatenate([part.reshape(len(part), -1) for part in parts], 1))
        return np.concatenate(batches)[:, 0]

    return first_output


@contextlib.contextmanager
def preserved_numpy_random_state() -> Iterator[None]:
    """shap's explainers reseed numpy's global generator; put it back afterwards."""
    state = np.random.get_state()  # noqa: NPY002 (shap reseeds the legacy global generator)
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002
