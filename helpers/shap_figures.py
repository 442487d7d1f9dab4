"""Figures for reading SHAP values: importances, shares on one scale, dependence grids, events.

Notebook 04 and its parts compare SHAP values (mm/month) with a true sensitivity (runoff change
for a nudge), read dependence plots season by season and explain single events; these
functions draw those figures in one line each, with :mod:`helpers.plotting`'s colours and fonts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shap
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from helpers import plotting


def plot_share_heatmaps(
    tables: Mapping[str, pd.DataFrame],
    per: str = "table",
    xlabel: str | None = None,
    ylabel: str | None = None,
    stacked: bool = False,
) -> np.ndarray:
    """Tables in different units as shares of their totals, side by side on one colour scale.

    Use it to compare patterns, not sizes: SHAP (mm/month) next to a true sensitivity (ΔQ for a
    nudge). ``per="table"`` divides each table by its total (all its cells add up to 1);
    ``per="row"`` divides each row by the row's total (each row adds up to 1).

    Parameters
    ----------
    tables : dict
        Title -> table of values >= 0.
    per : {"table", "row"}
    xlabel, ylabel : str, optional
    stacked : bool
        One table above the other (heights in proportion to their rows), not side by side.

    Returns one Axes per table; each heatmap's cells show the shares.
    """
    if per not in ("table", "row"):
        raise ValueError(f"per must be 'table' or 'row', got {per!r}")
    shares = {}
    for title, table in tables.items():
        totals = table.sum(axis=1) if per == "row" else pd.Series([table.to_numpy().sum()])
        if (table.to_numpy() < 0).any() or not (totals > 0).all():
            raise ValueError(f"{title!r}: shares need values >= 0 and a positive total per {per}")
        shares[title] = table.div(totals, axis=0) if per == "row" else table / totals.iloc[0]
    plotting.use_fonts(list(tables), xlabel, ylabel)
    common = max(float(table.to_numpy().max()) for table in shares.values())
    label = "share of the row's total" if per == "row" else "share of the table's total"
    if stacked:
        rows = [len(table) + 1.5 for table in shares.values()]
        layout = {"nrows": len(shares), "figsize": (10, 0.45 * sum(rows) + 1),
                  "gridspec_kw": {"height_ratios": rows}}
    else:
        layout = {"ncols": len(shares), "figsize": (6.5 * len(shares) + 1, 4.4)}
    fig, axes = plt.subplots(**layout)
    axes = np.atleast_1d(axes)
    for ax, (title, table) in zip(axes, shares.items(), strict=True):
        plotting.plot_heatmap(table, title, fmt=".2f", ax=ax, vmax=common, colorbar_label=label)
        ax.set_xlabel(xlabel or "")
        ax.set_ylabel(ylabel or "")
        ax.tick_params(axis="y", rotation=0)
    fig.tight_layout()
    return axes


def plot_dependence_grid(
    panels: Mapping[str, tuple[ArrayLike, ArrayLike, str, str]],
    groups: ArrayLike,
    order: Sequence[str],
) -> np.ndarray:
    """Dependence plots in a grid: one row per input, one column per group (e.g. per season).

    Each panel is :func:`plot_dependence_by_group` for the windows of one group, so no group's
    points or line hide another's; the panels of a row share their y axis.

    Parameters
    ----------
    panels : dict
        Row title -> ``(x, y, xlabel, ylabel)``, with ``x`` and ``y`` one value per window.
    groups : array-like
        A label per window (e.g. the season of its target month).
    order : list of str
        The groups, one column each, in this order.

    Returns the Axes, shape (rows, groups).
    """
    groups = np.asarray(groups)
    plotting.use_fonts(list(panels), [str(label) for label in order])
    size = (3.75 * len(order), 3.3 * len(panels))
    fig, axes = plt.subplots(len(panels), len(order), figsize=size, sharey="row", squeeze=False)
    for row, (title, (x, y, xlabel, ylabel)) in enumerate(panels.items()):
        x, y = np.asarray(x, float), np.asarray(y, float)
        for column, label in enumerate(order):
            chosen = groups == label
            plotting.plot_dependence_by_group(x[chosen], y[chosen], groups[chosen], xlabel,
                                              ylabel, f"{title}: {label}", ax=axes[row, column])
    fig.tight_layout()
    return axes


def plot_importances(
    table: pd.DataFrame, highlighted: Sequence[str], xlabel: str, legend: tuple[str, str]
) -> np.ndarray:
    """Importance bars, one panel per column (e.g. per method), highlighted rows in colour.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows: variables; columns: ways of measuring their importance (e.g. mean |SHAP|).
    highlighted : list of str
        Rows drawn in the course's "causal" colour; the others in its "distractor" colour.
    xlabel : str
    legend : (str, str)
        Legend labels of the highlighted rows and of the others.

    Returns the panels' Axes.
    """
    missing = sorted(set(highlighted) - set(table.index))
    if missing:
        raise ValueError(f"highlighted rows {missing} are not in the table: {list(table.index)}")
    kinds = ("causal", "distractor")
    plotting.use_fonts(table.columns, table.index, xlabel, legend)
    fig, axes = plt.subplots(1, table.shape[1], figsize=(5.5 * table.shape[1], 3.8), sharex=True)
    axes = np.atleast_1d(axes)
    for ax, (name, values) in zip(axes, table.items(), strict=True):
        colours = [plotting.COLOURS[kinds[0] if v in highlighted else kinds[1]]
                   for v in values.sort_values().index]
        plotting.plot_importance(values, name, xlabel, ax=ax, color=colours)
    patches = [plt.Rectangle((0, 0), 1, 1, color=plotting.COLOURS[kind]) for kind in kinds]
    axes[-1].legend(handles=patches, labels=list(legend), loc="lower right", fontsize=8)
    fig.tight_layout()
    return axes


def plot_window_explanation(
    values: np.ndarray,
    base_value: float,
    feature_names: Sequence[str],
    title: str,
    months_shown: int = 6,
    units: str = "mm/month",
) -> tuple[Axes, Axes]:
    """One window's explanation: a waterfall over the variables, then a heatmap by lag.

    The waterfall starts at the base value and adds each variable's SHAP value, summed over the
    window's time steps, up to the prediction; the heatmap shows the signed values of the last
    ``months_shown`` steps (lag 0 = the window's last step), so it says *when* each variable
    acted. Both figures are shown at once (``plt.show``).

    Parameters
    ----------
    values : array of shape (window, n_features)
        SHAP values of one window, in ``units`` (e.g. ``shap_mm.values[i]``).
    base_value : float
    feature_names : list of str
    title : str
        Put before each figure's title, e.g. "June 2015".
    months_shown : int
    units : str

    Returns the waterfall's and the heatmap's Axes.
    """
    values = np.asarray(values, float)
    if values.ndim != 2 or values.shape[1] != len(feature_names):
        raise ValueError(f"values must be (time steps, {len(feature_names)} variables), "
                         f"got shape {values.shape}")
    if not 1 <= months_shown <= values.shape[0]:
        raise ValueError(f"months_shown must be 1 to {values.shape[0]}, got {months_shown}")
    plotting.use_fonts(feature_names, title, units)  # shap's waterfall: Chinese names too
    one = shap.Explanation(values=values.sum(axis=0), base_values=base_value,
                           feature_names=list(feature_names))
    shap.plots.waterfall(one, max_display=len(feature_names), show=False)
    waterfall = plt.gcf().axes[0]  # shap adds twin axes for its labels; the bars are on the first
    waterfall.set_title(f"{title}: contributions in {units}")
    plt.show()
    plt.ion()  # shap's show=False switched matplotlib's interactive mode off; later figures need it
    signed = pd.DataFrame(values[::-1][:months_shown].T, index=list(feature_names),
                          columns=pd.Index(range(months_shown), name="lag"))
    heatmap = plotting.plot_heatmap(signed, f"{title}: SHAP value by variable and lag ({units})",
                                    cmap="RdBu_r", center=0, fmt=".1f",
                                    colorbar_label=f"SHAP value ({units})")
    return waterfall, heatmap
