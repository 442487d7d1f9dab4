"""Figures of values grouped by calendar month or by class, one line each in a notebook.

Like :mod:`helpers.plotting` (whose colours and month letters they share), each function draws
one figure from plain pandas/numpy data and returns its Axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from helpers._kit import fonts
from helpers.plotting import MONTH_LABELS, colour

MONTHS = list(range(1, 13))


def _check_months(name: str, index: pd.Index) -> None:
    if sorted(index) != MONTHS:
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
        ``frame.groupby(frame.index.month).mean()``); a column is coloured as
        :data:`helpers.plotting.COLOURS` says, or in matplotlib's order.
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
    fonts.check_labels(table.columns, ylabel, title, line_label)
    _check_months("table", table.index)
    if line is not None:
        _check_months("line", line.index)
        if not line_label:
            raise ValueError("a line needs line_label, the label of its own y axis")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    colours = [colour(name, default=f"C{k}") for k, name in enumerate(table.columns)]
    table.loc[MONTHS].plot.bar(ax=ax, rot=0, color=colours)
    ax.set_xticks(range(12), MONTH_LABELS)
    ax.set(xlabel="month", ylabel=ylabel, title=title or "")
    if line is not None:
        right = ax.twinx()
        right.plot(range(12), line.loc[MONTHS].to_numpy(), color="tab:red", marker="o")
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
        A label per point. Each class gets the course's colour for it
        (:data:`helpers.plotting.COLOURS`) or matplotlib's next one, and one legend entry, in
        order of first appearance.
    xlabel, ylabel : str
    title : str, optional
    sizes : array-like, optional
        Marker area per point (e.g. mean precipitation); 30 by default.
    legend_title : str, optional
    ax : matplotlib.axes.Axes, optional
        Lines drawn on it before the call (e.g. a 1:1 line) join the legend.

    Returns
    -------
    matplotlib.axes.Axes
    """
    x, y, classes = np.asarray(x, float), np.asarray(y, float), np.asarray(classes)
    sizes = np.full(len(x), 30.0) if sizes is None else np.asarray(sizes, float)
    if not len(x) == len(y) == len(classes) == len(sizes):
        raise ValueError(
            "x, y, classes and sizes differ in length: "
            f"{len(x)}, {len(y)}, {len(classes)}, {len(sizes)}"
        )
    labels = list(dict.fromkeys(classes.tolist()))
    fonts.check_labels(xlabel, ylabel, title, legend_title, [str(label) for label in labels])
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    for k, label in enumerate(labels):
        chosen = classes == label
        ax.scatter(x[chosen], y[chosen], s=sizes[chosen], alpha=0.8, label=str(label),
                   color=colour(str(label), default=f"C{k}"))
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or "")
    ax.legend(title=legend_title, fontsize=8)
    return ax
