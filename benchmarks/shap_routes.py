"""Benchmark of the SHAP routes of helpers.explain on one model and one data set.

For each route: wall time, number of windows and background windows, the largest additivity
error (|sum of SHAP values + base value - prediction|), and the Spearman rank correlation of
its per-variable importance with the exact variable-Shapley importance.

Importance of a variable = mean over windows of |SHAP value summed over the window's months|
(``helpers.readings.by_variable``); for variable_shapley it is the mean |value| of the player.

Usage::

    python benchmarks/shap_routes.py [--background 100] [--synthetic] [--permutation-windows 20]

By default the course model and data come from ``helpers.training.load_or_train()`` (trains once
if no saved model exists). ``--synthetic`` uses a stand-in: an LSTM(32) trained for a few
epochs on random seasonal data of the course's shapes (588 training, 147 test windows).
The permutation route is slow (it is the point of the comparison): by default it explains the
first ``--permutation-windows`` test windows and the table extrapolates its time to the full
test set; ``--permutation-windows 0`` runs it on all of them.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from helpers import crosschecks, explain, readings  # noqa: E402


def course_model_and_data():
    """The course's trained model and its scaled windows (helpers.training.load_or_train)."""
    from helpers.training import load_or_train

    trained = load_or_train()
    train, test = trained.prepared.train, trained.prepared.test
    return trained.model, train.X, test.X, list(train.feature_names)


def synthetic_model_and_data(seed=0, n_train=588, n_test=147, window=12):
    """A quickly trained LSTM(32) on random seasonal data with the course's shapes."""
    import keras

    from helpers.data import FEATURES

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    n_months = n_train + n_test + window - 1
    month = np.arange(n_months)
    season = np.sin(2 * np.pi * month / 12)
    phases = rng.uniform(0, 2 * np.pi, len(FEATURES))
    series = np.stack([np.sin(2 * np.pi * month / 12 + p) for p in phases], axis=1)
    series += rng.normal(scale=0.8, size=series.shape)
    # runoff: recent precipitation, minus evaporation driven by temperature, plus the season
    target = (series[:, 0] + 0.6 * np.roll(series[:, 0], 1) + 0.3 * np.roll(series[:, 0], 2)
              - 0.5 * series[:, 1] + 0.3 * season)
    X = np.stack([series[i : i + window] for i in range(n_months - window + 1)]).astype("float32")
    y = target[window - 1 :].astype("float32")
    y = (y - y[:n_train].mean()) / y[:n_train].std()

    model = keras.Sequential([keras.Input((window, len(FEATURES))), keras.layers.LSTM(32),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.005), loss="mse")
    model.fit(X[:n_train], y[:n_train], epochs=15, batch_size=32, verbose=0)
    return model, X[:n_train], X[n_train:], list(FEATURES)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def importance(explanation):
    """Mean |SHAP| per variable, the window's months summed first, as an array."""
    return readings.variable_importance(explanation).to_numpy()


def plain_permutation_explainer(model, X, background, max_evals=500):
    """shap.PermutationExplainer as it is commonly written: model.predict on reshaped rows.

    The same explainer, masker and budget as ``crosschecks.permutation_shap``, but calling the
    model through ``model.predict`` — what a learner's first attempt looks like.
    """
    import shap

    window_shape = X.shape[1:]

    def predict(rows):
        return model.predict(rows.reshape(len(rows), *window_shape), verbose=0).ravel()

    masker = shap.maskers.Independent(background.reshape(len(background), -1),
                                      max_samples=len(background))
    explainer = shap.PermutationExplainer(predict, masker, seed=0)
    return explainer(X.reshape(len(X), -1), max_evals=max_evals, silent=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--background", type=int, default=100,
                        help="training windows used as background (default 100)")
    parser.add_argument("--synthetic", action="store_true",
                        help="use a quickly trained stand-in model on random data")
    parser.add_argument("--permutation-windows", type=int, default=20,
                        help="test windows for the permutation route; 0 = all (default 20)")
    args = parser.parse_args()

    if args.synthetic:
        model, X_train, X_test, names = synthetic_model_and_data()
        source = "synthetic stand-in (LSTM(32), 15 epochs on random seasonal data)"
    else:
        model, X_train, X_test, names = course_model_and_data()
        source = "course model (helpers.training.load_or_train)"
    background = explain.training_background(X_train, size=args.background, seed=0)
    n_test = len(X_test)
    n_permutation = n_test
    if args.permutation_windows > 0:
        n_permutation = min(args.permutation_windows, n_test)
    print(f"model: {source}; test windows {X_test.shape}, background {background.shape}")

    rows = []  # (route, windows, seconds, additivity error, importance, note)
    exact, seconds = timed(crosschecks.variable_shapley, model, X_test, background,
                           feature_names=names, progress=False)
    exact_importance = importance(exact)
    rows.append(("variable_shapley (exact, 9 players)", n_test, seconds,
                 exact.max_additivity_error, exact_importance, ""))

    deep, deep_seconds = timed(explain.deep_shap, model, X_test, background, feature_names=names)
    rows.append((f"deep_shap ({deep.engine} engine)", n_test, deep_seconds,
                 deep.max_additivity_error, importance(deep), ""))
    twin, seconds = timed(explain.deep_shap, model, X_test, background, feature_names=names,
                          engine="shap")
    rows.append(("deep_shap (shap engine: the recipe)", n_test, seconds,
                 twin.max_additivity_error, importance(twin), ""))

    gradient, seconds = timed(crosschecks.gradient_shap, model, X_test, background,
                              feature_names=names, nsamples=200)
    rows.append(("gradient_shap (nsamples=200)", n_test, seconds, gradient.max_additivity_error,
                 importance(gradient), ""))

    permutation, seconds = timed(crosschecks.permutation_shap, model, X_test[:n_permutation],
                                 background, feature_names=names, progress=False)
    permutation_full = seconds * n_test / n_permutation
    note = "" if n_permutation == n_test else (
        f"measured on the first {n_permutation} windows ({seconds:.1f} s), time extrapolated; "
        f"rank correlation vs exact importance on the same {n_permutation} windows")
    exact_on_subset = importance(exact[:n_permutation])
    rows.append(("permutation_shap (max_evals=500)", n_test, permutation_full,
                 permutation.max_additivity_error, importance(permutation), note))

    plain_windows = min(5, n_test)
    plain, seconds = timed(plain_permutation_explainer, model, X_test[:plain_windows], background)
    plain_full = seconds * n_test / plain_windows
    plain_error = float(np.max(np.abs(plain.values.sum(axis=1) + plain.base_values
                                      - model.predict(X_test[:plain_windows], verbose=0).ravel())))
    print(f"shap.PermutationExplainer with a model.predict wrapper: {seconds:.1f} s for "
          f"{plain_windows} windows, {plain_full:.0f} s extrapolated to {n_test}; "
          f"max additivity error {plain_error:.1e}")

    print()
    print(f"{'route':38} {'windows':>7} {'backgr.':>7} {'seconds':>8} {'max add. error':>15} "
          f"{'Spearman':>9}")
    for route, windows, seconds, error, route_importance, note in rows:
        reference = exact_on_subset if route.startswith("permutation") else exact_importance
        rho = spearmanr(route_importance, reference).statistic
        star = "*" if note else ""
        print(f"{route:38} {windows:>7} {len(background):>7} {seconds:>7.1f}{star:1} "
              f"{error:>15.1e} {rho:>9.2f}")
    for route, *_, note in rows:
        if note:
            print(f"* {route}: {note}")
    print(f"\npermutation time / deep_shap time (full test set): "
          f"{permutation_full / deep_seconds:.0f}x with crosschecks.permutation_shap's compiled "
          f"predictor, {plain_full / deep_seconds:.0f}x with a model.predict wrapper")
    order = np.argsort(-exact_importance)
    print("exact variable importance (mean |Shapley value|):",
          ", ".join(f"{names[j]} {exact_importance[j]:.3f}" for j in order))


if __name__ == "__main__":
    main()
