"""The figures of the course. Each function draws one figure and returns its Axes.

Functions take plain pandas/numpy data, so they work on a learner's own record too, with
labels in any language: the first figure drawn adds an installed font with Chinese glyphs to
matplotlib's settings, after the default font (:func:`use_fonts`), so Chinese variable names
render in it and in every later figure of the session, shap's included. Importing this module
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.text import Text
from numpy.typing import ArrayLike

from helpers._kit import fonts

_MONTH_LABELS = ["J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"]
_MONTHS = list(range(1, 13))

#: One colour per series, the same in every figure of the course: a learner who has seen the
#: LSTM in blue and ridge in orange once does not need to read the legend again.
COLOURS = {
    "observed": "black", "LSTM": "tab:blue", "ridge": "tab:orange", "climatology": "tab:grey",
    "GRU": "tab:cyan", "training": "tab:blue", "validation": "tab:red", "test": "tab:orange",
    "SHAP": "tab:blue", "truth": "black", "causal": "tab:blue", "distractor": "tab:grey",
    "group": "tab:green", "DeepSHAP": "tab:blue", "exact Shapley": "tab:purple",
    "permutation": "tab:pink", "winter (DJF)": "tab:blue", "spring (MAM)": "tab:green",
    "summer (JJA)": "tab:red", "autumn (SON)": "tab:brown", "snowmelt": "tab:blue",
    "recent rainfall": "tab:orange", "historical rainfall": "tab:green",
}


def use_fonts(*labels: object) -> str | None:
    """Fonts for the labels about to be drawn: a font with Chinese glyphs after the default.

    Every figure of this module calls it first; call it yourself before drawing shap's or
    pandas' figures with Chinese labels. The first call appends the installed CJK font to
    ``matplotlib.rcParams["font.family"]`` (later calls change nothing); without one, labels
    that need it get a warning, once, saying what to install.

    Returns
    -------
    str or None
        The CJK font in use, None when none is installed.
    """
    font = fonts.use_cjk_font()  # finds the installed font once, adds it to rcParams once
    fonts.check_labels(*labels)  # no such font: says once what to install
    return font


def _start(ax: Axes | None, size: tuple[float, float], *labels: object) -> Axes:
    """The Axes to draw on, a new figure of ``size`` when None, with fonts for ``labels``."""
    font = use_fonts(*labels)
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    elif font is not None:  # an Axes made before the font was set: its texts get it too
        for text in ax.findobj(Text):
            if font not in text.get_fontfamily():
                text.set_fontfamily([*text.get_fontfamily(), font])
    return ax


def _colour(label: str, default: str = "tab:olive") -> str:
    """The course's colour for a series (``COLOURS``), matched by the label's first word too."""
    label = str(label)
    if label in COLOURS:
        return COLOURS[label]
    first = label.split(" ")[0].split(",")[0]
    return COLOURS.get(first, default)


def _symmetric_limit(values: ArrayLike, percentile: float = 98.0) -> float:
    """A colour limit for signed values that one extreme cell cannot wash out.

    The ``percentile`` of the absolute values (not the maximum): a colour scale from ``-limit``
    to ``+limit`` keeps contrast for the bulk of the cells; the few beyond saturate.
    """
    finite = np.abs(np.asarray(values, float))
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 1.0
    limit = float(np.percentile(finite, percentile))
    return limit if limit > 0 else float(finite.max() or 1.0)


def plot_series(
    record: pd.DataFrame,
    columns: Sequence[str],
    units: Mapping[str, str] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> np.ndarray:
    """Stacked time series, one panel per column, sharing the time axis.

    ``record`` is indexed by date; ``units`` maps a column to its unit label; ``start`` and
    ``end`` limit the dates (e.g. "2000", "2010-12"). Returns the panels' Axes.
    """
    units = units or {}
    use_fonts(columns, units.values())
    part = record.loc[start:end, columns]
    fig, axes = plt.subplots(len(columns), 1, figsize=(11, 1.6 * len(columns)), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, column in zip(axes, columns, strict=True):
        ax.plot(part.index, part[column], lw=0.8)
        ax.set_ylabel(f"{column}\n{units.get(column, '')}".strip(), fontsize=8)
    fig.tight_layout()
    return axes


def plot_regime(
    record: pd.DataFrame, columns: Sequence[str], units: Mapping[str, str] | None = None
) -> np.ndarray:
    """Monthly climatology (mean by calendar month, with the 10-90 % range) of each column."""
    units = units or {}
    use_fonts(columns, units.values())
    fig, axes = plt.subplots(1, len(columns), figsize=(3.2 * len(columns), 2.8))
    axes = np.atleast_1d(axes)
    month = record.index.month
    for ax, column in zip(axes, columns, strict=True):
        grouped = record[column].groupby(month)
        tint = _colour(column, "tab:blue")
        ax.fill_between(range(1, 13), grouped.quantile(0.1), grouped.quantile(0.9), alpha=0.25,
                        color=tint, label="10–90 % of years")
        ax.plot(range(1, 13), grouped.mean(), marker="o", color=tint, label="mean")
        ax.set_xticks(range(1, 13), _MONTH_LABELS)
        ax.set_title(column, fontsize=10)
        ax.set_ylabel(units.get(column, ""))
    axes[0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return axes


def plot_correlation(frame: pd.DataFrame, title: str, ax: Axes | None = None) -> Axes:
    """Heatmap of the Pearson correlation matrix of a frame's columns, annotated."""
    ax = _start(ax, (7, 5.5), frame.columns, title)
    sns.heatmap(frame.corr(), vmin=-1, vmax=1, cmap="RdBu_r", annot=True, fmt=".2f",
                annot_kws={"fontsize": 7}, ax=ax, cbar_kws={"shrink": 0.7})
    ax.set_title(title)
    return ax


def plot_learning_curves(history: Mapping[str, Sequence[float]], ax: Axes | None = None) -> Axes:
    """Training and validation loss per epoch, with the restored best epoch marked."""
    ax = _start(ax, (7, 3.5))
    ax.plot(history["loss"], label="training", color=COLOURS["training"])
    ax.plot(history["val_loss"], label="validation", color=COLOURS["validation"])
    ax.axvline(history["best_epoch"] - 1, color="grey", ls="--", label="best (restored)")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE (scaled runoff)")
    ax.legend()
    return ax


def plot_hydrograph(
    dates: pd.DatetimeIndex,
    observed: ArrayLike,
    predictions: Mapping[str, ArrayLike],
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Observed runoff against one or more simulations (``predictions``: label -> values)."""
    ax = _start(ax, (11, 3.5), predictions.keys(), title)
    ax.plot(dates, observed, color=COLOURS["observed"], lw=1.6, label="observed")
    for label, values in predictions.items():
        ax.plot(dates, values, lw=1.0, label=label, color=_colour(label))
    ax.set_ylabel("runoff (mm/month)")
    ax.legend(ncol=len(predictions) + 1, fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_scatter(observed: ArrayLike, predictions: Mapping[str, ArrayLike]) -> np.ndarray:
    """Simulated against observed, one panel per simulation, with the 1:1 line."""
    use_fonts(predictions.keys())
    fig, axes = plt.subplots(
        1, len(predictions), figsize=(3.6 * len(predictions), 3.4), sharex=True, sharey=True
    )
    axes = np.atleast_1d(axes)
    top = max(np.max(observed), *(np.max(v) for v in predictions.values()))
    for ax, (label, values) in zip(axes, predictions.items(), strict=True):
        ax.scatter(observed, values, s=10, alpha=0.6, color=_colour(label))
        ax.plot([0, top], [0, top], color="grey", lw=1)
        ax.set_title(label)
        ax.set_xlabel("observed (mm/month)")
    axes[0].set_ylabel("predicted (mm/month)")
    fig.tight_layout()
    return axes


def plot_monthly_regime_comparison(
    dates: pd.DatetimeIndex,
    observed: ArrayLike,
    predictions: Mapping[str, ArrayLike],
    ax: Axes | None = None,
) -> Axes:
    """Mean runoff by calendar month: observed against each simulation."""
    ax = _start(ax, (6, 3.5), predictions.keys())
    month = pd.DatetimeIndex(dates).month
    ax.plot(range(1, 13), pd.Series(observed).groupby(month).mean(), color="black", lw=2,
            marker="o", label="observed")
    for label, values in predictions.items():
        ax.plot(range(1, 13), pd.Series(values).groupby(month).mean(), marker=".", label=label,
                color=_colour(label))
    ax.set_xticks(range(1, 13), _MONTH_LABELS)
    ax.set_ylabel("mean runoff (mm/month)")
    ax.legend(fontsize=8)
    return ax


def plot_heatmap(
    table: pd.DataFrame,
    title: str,
    cmap: str = "viridis",
    center: float | None = None,
    fmt: str = ".2f",
    ax: Axes | None = None,
    colorbar_label: str | None = None,
    vmax: float | None = None,
) -> Axes:
    """An annotated heatmap of a small table (e.g. lag x variable or month x variable).

    With ``center`` given (signed values, e.g. ``center=0`` with ``cmap="RdBu_r"``), the colour
    scale is symmetric about it with limits at the 98th percentile of the absolute deviations,
    so a single extreme cell does not wash out the rest. Without it, ``vmax`` (with 0 as the
    lower end) puts several heatmaps on one common scale. Cells beyond the colour scale get the
    end colour, and the colour bar an arrow at that end.
    """
    size = (1.2 + 0.75 * table.shape[1], max(2.6, 0.9 + 0.4 * table.shape[0]))
    ax = _start(ax, size, table.index, table.columns, title, colorbar_label)
    limits = {} if vmax is None else {"vmin": 0.0, "vmax": vmax}
    if center is not None:
        limit = _symmetric_limit(table.to_numpy(float) - center)
        limits = {"vmin": center - limit, "vmax": center + limit}
    values = table.to_numpy(float)
    below = bool(limits) and np.nanmin(values) < limits["vmin"]
    above = bool(limits) and np.nanmax(values) > limits["vmax"]
    extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get((below, above))
    colorbar = {"shrink": 0.7, **({"label": colorbar_label} if colorbar_label else {}),
                **({"extend": extend} if extend else {})}
    sns.heatmap(table, cmap=cmap, center=center, **limits, annot=True, fmt=fmt,
                annot_kws={"fontsize": 7}, ax=ax, cbar_kws=colorbar)
    ax.set_title(title)
    return ax


def plot_importance(
    values: pd.Series,
    title: str,
    xlabel: str,
    ax: Axes | None = None,
    color: str | Sequence[str] = COLOURS["SHAP"],
) -> Axes:
    """Horizontal bars of a pandas Series, largest on top."""
    ax = _start(ax, (6, 0.35 * len(values) + 1), values.index, title, xlabel)
    ordered = values.sort_values()
    ax.barh(ordered.index, ordered.to_numpy(), color=color)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    return ax


def fit_lines_by_group(x: ArrayLike, y: ArrayLike, groups: ArrayLike) -> pd.DataFrame:
    """Least-squares line ``y = slope * x + intercept`` within each group.

    Parameters
    ----------
    x, y : array-like, same length
    groups : array-like, same length
        A label per point (e.g. the season of each target month).

    Returns
    -------
    pandas.DataFrame
        One row per group (in order of first appearance): ``slope``, ``intercept``,
        ``correlation`` (Pearson) and ``n``. Groups with fewer than 3 points or no spread in
        ``x`` get NaN.
    """
    frame = pd.DataFrame(
        {"x": np.asarray(x, float), "y": np.asarray(y, float), "group": np.asarray(groups)}
    )
    rows = {}
    for label, part in frame.groupby("group", sort=False):
        if len(part) < 3 or part["x"].std() == 0:
            rows[label] = {"slope": np.nan, "intercept": np.nan, "correlation": np.nan,
                           "n": len(part)}
            continue
        slope, intercept = np.polyfit(part["x"], part["y"], 1)
        rows[label] = {"slope": slope, "intercept": intercept,
                       "correlation": part["x"].corr(part["y"]), "n": len(part)}
    return pd.DataFrame(rows).T.astype({"n": int})


def plot_dependence_by_group(
    x: ArrayLike,
    y: ArrayLike,
    groups: ArrayLike,
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    order: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A SHAP dependence plot split by group: one colour and one least-squares line per group.

    Parameters
    ----------
    x : array-like
        The input's value in each window (e.g. temperature of the target month, °C).
    y : array-like
        Its SHAP value in each window (e.g. mm/month).
    groups : array-like
        A label per window (e.g. "winter", "spring", ...).
    xlabel, ylabel : str
    title : str, optional
    order : list, optional
        Groups to draw, in this order (default: order of first appearance).
    ax : matplotlib.axes.Axes, optional
    """
    x, y, groups = np.asarray(x, float), np.asarray(y, float), np.asarray(groups)
    if not len(x) == len(y) == len(groups):
        raise ValueError(f"x, y and groups differ in length: {len(x)}, {len(y)}, {len(groups)}")
    ax = _start(ax, (6.5, 4), xlabel, ylabel, title, np.unique(groups.astype(str)))
    lines = fit_lines_by_group(x, y, groups)
    order = list(lines.index) if order is None else list(order)
    tints = [COLOURS.get(str(label), plt.get_cmap("tab10")(k)) for k, label in enumerate(order)]
    for label, tint in zip(order, tints, strict=True):
        chosen = groups == label
        ax.scatter(x[chosen], y[chosen], s=14, alpha=0.45, color=tint, label=str(label))
    # lines after all points, with a white casing: no line hides under another group's points
    for label, tint in zip(order, tints, strict=True):
        chosen, line = groups == label, lines.loc[label]
        if np.isfinite(line["slope"]):
            span = np.array([x[chosen].min(), x[chosen].max()])
            ax.plot(span, line["slope"] * span + line["intercept"], color=tint, lw=2.0,
                    path_effects=[patheffects.withStroke(linewidth=4.0, foreground="white")])
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def _check_months(name: str, index: pd.Index) -> None:
    if sorted(index) != _MONTHS:
        raise ValueError(
            f"{name} must be indexed by the calendar months 1 to 12, each once; got "
            f"{list(index)} (group by the dates' month first, e.g. frame.groupby(dates.month))"
        )


def plot_by_month(
    table: pd.DataFrame,
    ylabel: str,
    title: str | None = None,
    line: pd.Series | None = None,
    line_label: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bars by calendar month, one per column of ``table``, with month letters on the x axis.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by the calendar months 1 to 12, each once (e.g.
        ``frame.groupby(frame.index.month).mean()``); a column is coloured as :data:`COLOURS`
        says, or in matplotlib's order.
    ylabel : str
    title : str, optional
    line : pandas.Series, optional
        Indexed by the months 1 to 12: drawn in red on a second y axis (e.g. temperature).
    line_label : str, optional
        That axis's label; needed with ``line``.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The bars' axes (the line's, if any, shares their x axis).
    """
    _check_months("table", table.index)
    if line is not None:
        _check_months("line", line.index)
        if not line_label:
            raise ValueError("a line needs line_label, the label of its own y axis")
    ax = _start(ax, (8, 3), table.columns, ylabel, title, line_label)
    colours = [_colour(name, default=f"C{k}") for k, name in enumerate(table.columns)]
    table.loc[_MONTHS].plot.bar(ax=ax, rot=0, color=colours)
    ax.set_xticks(range(12), _MONTH_LABELS)
    ax.set(xlabel="month", ylabel=ylabel, title=title or "")
    if line is not None:
        right = ax.twinx()
        right.plot(range(12), line.loc[_MONTHS].to_numpy(), color="tab:red", marker="o")
        right.set_ylabel(line_label)
    return ax


def plot_by_class(
    x: ArrayLike,
    y: ArrayLike,
    classes: ArrayLike,
    xlabel: str,
    ylabel: str,
    title: str | None = None,
    sizes: ArrayLike | None = None,
    legend_title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A scatter plot with one colour per class (e.g. each catchment's dominant driver).

    Parameters
    ----------
    x, y : array-like
        One point each.
    classes : array-like
        A label per point. Each class gets the course's colour for it (:data:`COLOURS`) or
        matplotlib's next one, and one legend entry, in order of first appearance.
    xlabel, ylabel : str
    title : str, optional
    sizes : array-like, optional
        Marker area per point (e.g. mean precipitation); 30 by default.
    legend_title : str, optional
    ax : matplotlib.axes.Axes, optional
        Lines drawn on it before the call (e.g. a 1:1 line) join the legend.
    """
    x, y, classes = np.asarray(x, float), np.asarray(y, float), np.asarray(classes)
    sizes = np.full(len(x), 30.0) if sizes is None else np.asarray(sizes, float)
    if not len(x) == len(y) == len(classes) == len(sizes):
        raise ValueError(
            "x, y, classes and sizes differ in length: "
            f"{len(x)}, {len(y)}, {len(classes)}, {len(sizes)}"
        )
    labels = list(dict.fromkeys(classes.tolist()))
    ax = _start(ax, (6.5, 4), xlabel, ylabel, title, legend_title, [str(c) for c in labels])
    for k, label in enumerate(labels):
        chosen = classes == label
        ax.scatter(x[chosen], y[chosen], s=sizes[chosen], alpha=0.8, label=str(label),
                   color=_colour(str(label), default=f"C{k}"))
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or "")
    ax.legend(title=legend_title, fontsize=8)
    return ax
