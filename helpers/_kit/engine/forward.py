"""Evaluating a model on windows: one path for every helper, as float64 arrays.

:func:`model_outputs` is the one place where windows go through a model (in batches, every output
value side by side); :func:`predict` is its single-output form, :func:`traced_predict` the same
through Keras' traced ``model.predict`` (for repeated calls on one model) and
:func:`fast_predictor` through one traced graph, for routes that call the model thousands of
times.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

#: Seconds between progress-bar updates of the routes that call the model many times: a
#: notebook keeps every update in its saved output.
PROGRESS_INTERVAL = 10

#: Windows per model call: large enough to amortise a call, small enough for memory.
BATCH_SIZE = 4096


def model_outputs(
    call: Callable[[np.ndarray], object], windows: ArrayLike, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """Every output value of ``call`` per window, in batches: float64 array (n, n_values).

    Parameters
    ----------
    call : callable
        A Keras model or any function ``windows (k, window, n_features) -> outputs (k, ...)``.
    windows : array of shape (n, window, n_features)
    batch_size : int
        Windows per call.
    """
    windows = np.asarray(windows, np.float32)
    batches = [
        _side_by_side(call(windows[start : start + batch_size]))
        for start in range(0, len(windows), batch_size)
    ]
    return np.concatenate(batches)


def _side_by_side(outputs: object) -> np.ndarray:
    """One model call's outputs (a tensor, or a list/dict of them) as rows (k, n_values)."""
    parts = tf.nest.flatten(outputs)
    if any(np.ndim(part) == 0 for part in parts):  # a plain list of numbers, one per window
        parts = [outputs]
    parts = [np.asarray(part, np.float64) for part in parts]
    return np.concatenate([part.reshape(len(part), -1) for part in parts], axis=1)


def predict(model: keras.Model, windows: ArrayLike, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Predictions of a single-output model as a 1-D float64 array (n,).

    Raises
    ------
    ValueError
        If the model gives more than one value per window.
    """
    outputs = model_outputs(lambda batch: model(batch, training=False), windows, batch_size)
    return _single_output(model, outputs)


def traced_predict(
    model: keras.Model, windows: ArrayLike, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """:func:`predict` through Keras' traced predict step, traced once per model and kept on it.

    For callers that predict with the same model again and again (the batched DeepSHAP
    engine): an untraced call of a recurrent model runs its time loop op by op, slowly at
    long windows; Keras traces its predict step on first use and keeps it on the model.
    ``model.predict_on_batch`` runs that step on one batch without ``model.predict``'s
    dataset and callbacks (about 35 ms a call in benchmarks/deepshap_engine.py's case a, where
    a whole warm ``deep_shap`` call took 0.24 s).

    Raises
    ------
    ValueError
        If the model gives more than one value per window.
    """
    outputs = model_outputs(model.predict_on_batch, windows, batch_size)
    return _single_output(model, outputs)


def _single_output(model: keras.Model, outputs: np.ndarray) -> np.ndarray:
    if outputs.shape[1] != 1:
        raise ValueError(
            f"Model {model.name!r} gives {outputs.shape[1]} values per window; one is expected "
            "here (pick one with output=k where the function offers it)."
        )
    return outputs[:, 0]


def fast_predictor(
    model: keras.Model, window_shape: tuple, batch_size: int = 16384
) -> Callable[[ArrayLike], np.ndarray]:
    """A fast ``windows -> predictions (n,)`` function: one traced graph, large batches.

    ``model.predict`` has a per-call overhead that dominates when called thousands of times;
    a ``tf.function`` with a fixed input signature is traced once and reused. The windows may
    come flattened (shap's maskers pass rows); they are reshaped to ``window_shape``.
    """
    spec = tf.TensorSpec((None, *window_shape), tf.float32)
    forward = tf.function(lambda windows: model(windows, training=False), input_signature=[spec])

    def predict_windows(windows):
        windows = np.asarray(windows, np.float32).reshape(-1, *window_shape)
        return model_outputs(forward, windows, batch_size)[:, 0]

    return predict_windows


@contextlib.contextmanager
def preserved_numpy_random_state() -> Iterator[None]:
    """shap's explainers reseed numpy's global generator; put it back afterwards."""
    state = np.random.get_state()  # noqa: NPY002 (shap reseeds the legacy global generator)
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002
