"""The input checks every SHAP route runs (windows, background, outputs, names), and lag names."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from helpers._kit.engine import internals
from helpers._kit.engine.graph import model_window_shape
from helpers._kit.engine.shap_state import require_healthy_tensorflow


def _check_windows(windows: ArrayLike, name: str, window_shape: tuple) -> np.ndarray:
    """Return ``windows`` as float32 after checking it is a finite (n, window, n_features) array.

    ``window_shape`` is the expected (window, n_features); a None in it accepts any size.
    """
    try:
        array = np.asarray(windows, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a numeric array; got {type(windows).__name__}.") from error
    expected = "(n, " + ", ".join("?" if size is None else str(size) for size in window_shape) + ")"
    matches = array.ndim == 3 and all(
        size is None or size == got for size, got in zip(window_shape, array.shape[1:], strict=True)
    )
    if not matches:
        raise ValueError(
            f"{name} must have shape {expected} (windows, time steps, variables) to match the "
            f"model's input; got shape {array.shape}."
        )
    if len(array) == 0:
        raise ValueError(f"{name} holds no windows (shape {array.shape}).")
    bad = ~np.isfinite(array).all(axis=(1, 2))
    if bad.any():
        raise ValueError(
            f"{name} has NaN or infinite values in {bad.sum()} window(s), first at index "
            f"{np.flatnonzero(bad)[0]}."
        )
    return array


def _check_background_is_separate(X: np.ndarray, background: np.ndarray) -> None:
    """Refuse a background that contains windows being explained (unless asked to allow it)."""
    explained = {window.tobytes() for window in X}
    shared = [i for i, window in enumerate(background) if window.tobytes() in explained]
    if shared:
        raise ValueError(
            f"The background shares {len(shared)} window(s) with X (e.g. background[{shared[0]}]). "
            "SHAP values explain how far each prediction lies from the average prediction over "
            "the background; with the explained windows in the background they answer 'how does "
            "this window differ from the windows explained?' rather than 'from the training "
            "period'. If that is your question, pass allow_overlap=True and report the "
            "background with the values; otherwise take it from the training period, e.g. "
            "helpers.explain.training_background(X_train)."
        )


def _output_size(model: keras.Model, window: np.ndarray) -> tuple[int, list[tuple]]:
    """Number of values the model gives per window (all outputs flattened), and their shapes.

    Read from the model's symbolic outputs where their shapes are fully known (Sequential and
    functional models), else found by calling the model on the window (an untraced call of a
    recurrent model runs its time loop op by op, slowly at long windows).
    """
    shapes = _symbolic_output_shapes(model)
    if shapes is None:
        outputs = tf.nest.flatten(model(window[None], training=False))
        shapes = [tuple(output.shape) for output in outputs]
    return sum(math.prod(shape) for shape in shapes), shapes


def _symbolic_output_shapes(model: keras.Model) -> list[tuple] | None:
    """The shapes of the outputs for one window, ``(1, ...)``, if the model states them all."""
    if not internals.is_sequential_or_functional(model):
        return None
    outputs = getattr(model, "outputs", None)  # an unbuilt Sequential has none yet
    if not outputs:
        return None
    shapes = [(1, *output.shape[1:]) for output in tf.nest.flatten(outputs)]
    return shapes if all(size is not None for shape in shapes for size in shape) else None


def _check_output(model: keras.Model, window: np.ndarray, output: int | None) -> None:
    """Refuse a model with several output values unless ``output`` picks one (tried on a window)."""
    size, shapes = _output_size(model, window)
    if output is None:
        if size != 1:
            raise ValueError(
                f"This model gives {size} values per window (output shapes {shapes}), not a "
                f"single output value. Choose the one to explain with output=k, 0 <= k < {size} "
                "(outputs flattened in order)."
            )
        return
    if isinstance(output, bool) or not isinstance(output, (int, np.integer)):
        raise TypeError(f"output must be a whole number; got {output!r}.")
    if not 0 <= output < size:
        raise ValueError(
            f"output={output} is out of range: this model gives {size} values per window "
            f"(output shapes {shapes}); choose 0 <= output < {size}."
        )


def _check_feature_names(
    feature_names: Sequence[str] | None, n_features: int, label: str = "feature_names",
    prefix: str = "x",
) -> list[str]:
    """The variable names as strings (default ``x0, x1, ...``), checked for count and duplicates."""
    if feature_names is None:
        return [f"{prefix}{j}" for j in range(n_features)]
    names = [str(name) for name in feature_names]
    if len(names) != n_features:
        raise ValueError(f"{label} must name the {n_features} variables; got {len(names)} names.")
    if len(set(names)) != len(names):
        raise ValueError(f"{label} must be unique; got {names}.")
    return names


def checked_inputs(
    model: keras.Model,
    X: ArrayLike,
    background: ArrayLike,
    feature_names: Sequence[str] | None,
    output: int | None = None,
    allow_overlap: bool = False,
    static_names: Sequence[str] | None = None,
    two_inputs: bool = False,
) -> tuple:
    """Common checks of every route; returns float32 X, background and the variable names.

    ``output`` picks one of several output values (see :func:`_check_output`);
    ``allow_overlap`` accepts a background that contains explained windows. For a model with a
    window and a static input, X and background are lists [window, static] and the names a pair
    (the window's variables, ``static_names``); routes that explain one input leave
    ``two_inputs`` False and refuse such models.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}.")
    if _input_count(model, X, background) == 2:  # a window and statics
        if not two_inputs:
            raise ValueError(
                "This route explains models with one input (windows); for a model with a "
                "static input use helpers.explain.deep_shap(model, [window, static], "
                "background=[window_bg, static_bg])."
            )
        X, background = _checked_two_inputs(model, X, background, output, allow_overlap)
        return X, background, names_of_inputs(X, feature_names, static_names)
    X = _check_windows(X, "X", model_window_shape(model) or (None, None))
    background = _check_windows(background, "background", X.shape[1:])
    if not allow_overlap:
        _check_background_is_separate(X, background)
    require_healthy_tensorflow()
    _check_output(model, X[0], output)
    return X, background, names_of_inputs(X, feature_names, static_names)


TWO_INPUTS = (
    "models with one or two inputs (a window (n, window, n_features) and a static vector "
    "(n, n_static), in this order) are supported"
)


def _input_count(model: keras.Model, X, background) -> int:
    """1 or 2 (a window and statics): what the model takes, X and background must agree."""
    functional = internals.is_sequential_or_functional(model)
    inputs = getattr(model, "inputs", None) if functional else None
    n_model = len(inputs) if inputs else 1
    given = {name: len(value) if isinstance(value, (list, tuple)) else 1
             for name, value in (("X", X), ("background", background))}
    if n_model > 2 or any(n > 2 for n in given.values()):
        raise ValueError(
            f"{TWO_INPUTS}; this model takes {n_model} input(s), X holds {given['X']} and "
            f"background {given['background']}."
        )
    shapes = [tuple(tensor.shape[1:]) for tensor in inputs or ()]
    if n_model == 2 and not (len(shapes[0]) == 2 and len(shapes[1]) == 1
                             and None not in (*shapes[0], *shapes[1])):
        raise ValueError(f"{TWO_INPUTS}, with a fixed window length; this model's inputs are "
                         f"{[(None, *shape) for shape in shapes]}.")
    for name, n in given.items():
        if n != n_model:
            form = ("a list [window, static]" if n_model == 2
                    else "one array of windows (n, window, n_features)")
            raise ValueError(
                f"This model takes {n_model} input(s) but {name} gives {n}: pass {name} as "
                f"{form}, and the same form for {'background' if name == 'X' else 'X'} "
                "(a background for every input)."
            )
    return n_model


def _check_statics(statics: ArrayLike, name: str, n_static: int) -> np.ndarray:
    """``statics`` as float32 after checking it is a finite (n, n_static) array."""
    try:
        array = np.asarray(statics, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a numeric array; got {type(statics).__name__}.") from error
    if array.ndim != 2 or array.shape[1] != n_static:
        raise ValueError(
            f"{name} must have shape (n, {n_static}) (rows, static attributes) to match the "
            f"model's static input; got shape {array.shape}."
        )
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        raise ValueError(f"{name} has NaN or infinite values in {bad.sum()} row(s), first at "
                         f"index {np.flatnonzero(bad)[0]}.")
    return array


def _checked_two_inputs(model, X, background, output, allow_overlap):
    """Checks of a window-and-statics call; returns X and background as [window, static]."""
    shapes = [tuple(tensor.shape[1:]) for tensor in model.inputs]
    checked = []
    for name, pair in (("X", X), ("background", background)):
        window = _check_windows(pair[0], f"{name}[0] (windows)", shapes[0])
        static = _check_statics(pair[1], f"{name}[1] (statics)", shapes[1][0])
        if len(window) != len(static):
            raise ValueError(f"{name}[0] holds {len(window)} windows but {name}[1] "
                             f"{len(static)} rows of statics: one row per window.")
        checked.append([window, static])
    X, background = checked
    if not allow_overlap:  # a background row is a (window, statics) pair
        _check_background_is_separate(*(np.concatenate([w.reshape(len(w), -1), s], axis=1)
                                        for w, s in (X, background)))
    require_healthy_tensorflow()
    _check_output(model, X[0][0], output)
    return X, background


def names_of_inputs(
    X: ArrayLike | list, feature_names: Sequence[str] | None, static_names: Sequence[str] | None
) -> list[str] | tuple[list[str], list[str]]:
    """The window's variable names, and for [window, static] the statics' names too."""
    if not isinstance(X, list):
        if static_names is not None:
            raise ValueError("static_names names a model's static input; this model has one input "
                             "(windows): leave static_names out.")
        return _check_feature_names(feature_names, X.shape[2])
    return (_check_feature_names(feature_names, X[0].shape[2]),
            _check_feature_names(static_names, X[1].shape[1], "static_names", "static"))


def lagged_names(feature_names: Sequence[str], window: int) -> np.ndarray:
    """Names ``"precip (t)"``, ``"precip (t-3)"`` (window, n_features): lag ``window - 1 - s``."""
    names = []
    for step in range(window):
        lag = window - 1 - step
        suffix = "(t)" if lag == 0 else f"(t-{lag})"
        names.append([f"{name} {suffix}" for name in feature_names])
    return np.array(names)
