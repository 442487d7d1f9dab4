"""Tests of the figures grouped by calendar month or by class: what they draw, what they refuse."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

from helpers import grouped_plots, plotting


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def monthly_table():
    months = range(1, 13)
    return pd.DataFrame({"LSTM": [float(m) for m in months], "ridge": [2.0 * m for m in months]},
                        index=months)


def test_plot_by_month_draws_one_bar_per_month_and_column_in_the_course_colours():
    table = monthly_table().iloc[::-1]  # the order of the rows does not matter
    ax = grouped_plots.plot_by_month(table, "RMSE (mm/month)", title="by month")
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, [*range(1, 13), *range(2, 25, 2)])  # January first
    assert [t.get_text() for t in ax.get_xticklabels()] == plotting.MONTH_LABELS
    assert ax.patches[0].get_facecolor() == to_rgba(plotting.COLOURS["LSTM"])
    assert ax.patches[12].get_facecolor() == to_rgba(plotting.COLOURS["ridge"])
    assert ax.get_ylabel() == "RMSE (mm/month)" and ax.get_title() == "by month"


def test_plot_by_month_draws_a_line_on_its_own_axis():
    line = pd.Series(np.linspace(-2.0, 18.0, 12), index=range(1, 13))
    ax = grouped_plots.plot_by_month(monthly_table(), "mm/month", line=line, line_label="°C")
    right = next(other for other in ax.figure.axes if other is not ax)
    np.testing.assert_allclose(right.get_lines()[0].get_ydata(), line.to_numpy())
    assert right.get_ylabel() == "°C"


def test_plot_by_month_refuses_an_index_that_is_not_the_twelve_months():
    dated = monthly_table().set_axis(pd.date_range("2000", periods=12, freq="MS"))
    with pytest.raises(ValueError, match="calendar months 1 to 12.*group by"):
        grouped_plots.plot_by_month(dated, "mm")
    with pytest.raises(ValueError, match="calendar months 1 to 12"):
        grouped_plots.plot_by_month(monthly_table().iloc[:11], "mm")


def test_plot_by_month_refuses_a_line_without_its_label():
    line = pd.Series(range(12), index=range(1, 13))
    with pytest.raises(ValueError, match="line_label"):
        grouped_plots.plot_by_month(monthly_table(), "mm", line=line)


def test_plot_by_class_draws_each_class_once_in_its_colour():
    classes = ["snowmelt", "recent rainfall", "snowmelt", "other"]
    ax = grouped_plots.plot_by_class([0, 1, 2, 3], [4, 5, 6, 7], classes, "x", "y",
                                     sizes=[10, 20, 30, 40], legend_title="driver")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "snowmelt", "recent rainfall", "other"]  # order of first appearance
    snow = ax.collections[0]
    np.testing.assert_allclose(snow.get_offsets(), [[0, 4], [2, 6]])
    np.testing.assert_allclose(snow.get_sizes(), [10, 30])
    assert tuple(snow.get_facecolor()[0][:3]) == to_rgba(plotting.COLOURS["snowmelt"])[:3]
    assert ax.get_legend().get_title().get_text() == "driver"


def test_plot_by_class_keeps_lines_drawn_before_in_the_legend():
    _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="1:1")
    grouped_plots.plot_by_class([0.2], [0.3], ["snowmelt"], "x", "y", ax=ax)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1:1", "snowmelt"]


def test_plot_by_class_refuses_unequal_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        grouped_plots.plot_by_class([1, 2, 3], [1, 2, 3], ["a", "b"], "x", "y")
