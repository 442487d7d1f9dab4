"""Tests for helpers.data: loading a monthly CSV and refusing every kind of bad record."""

import io

import numpy as np
import pandas as pd
import pytest

from helpers import config, data
from helpers._kit.validation import MIN_WINDOWS
from helpers.data import DataError, load_record, validate_record

FEATURES = ["precip", "tmean", "wind"]


def make_frame(n_months=48, start="1960-01-01", seed=0):
    """A small valid record as a plain table with a text ``date`` column (as in a CSV)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_months, freq="MS")
    frame = pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "precip": rng.gamma(2.0, 30.0, n_months).round(1),
            "tmean": rng.normal(8.0, 6.0, n_months).round(2),
            "wind": rng.uniform(1.0, 6.0, n_months).round(2),
            "runoff": rng.gamma(2.0, 20.0, n_months).round(1),
        }
    )
    return frame


def to_csv_text(frame):
    return frame.to_csv(index=False)


def load_text(text, **kwargs):
    return load_record(io.StringIO(text), **kwargs)


def load_frame(frame, **kwargs):
    return load_text(to_csv_text(frame), **kwargs)


def indexed(frame):
    """The record as validate_record expects it (date index, numeric columns)."""
    out = frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame["date"]), name="date"))
    return out.drop(columns="date")


# ---------------------------------------------------------------------------------------------
# Good input
# ---------------------------------------------------------------------------------------------


def test_load_from_path_gives_monthly_float_index(tmp_path):
    frame = make_frame()
    path = tmp_path / "record.csv"
    frame.to_csv(path, index=False)
    record = load_record(path)
    assert isinstance(record.index, pd.DatetimeIndex)
    assert record.index.name == "date"
    assert record.index.freqstr == "MS"
    assert record.index[0] == pd.Timestamp("1960-01-01")
    assert len(record) == 48
    assert list(record.columns) == ["precip", "tmean", "wind", "runoff"]
    assert (record.dtypes == "float64").all()
    np.testing.assert_array_equal(record["tmean"].to_numpy(), frame["tmean"].to_numpy())


def test_load_from_str_path_and_file_like_agree(tmp_path):
    frame = make_frame()
    path = tmp_path / "record.csv"
    frame.to_csv(path, index=False)
    from_str = load_record(str(path))
    with open(path, encoding="utf-8") as handle:
        from_handle = load_record(handle)
    pd.testing.assert_frame_equal(from_str, from_handle)


def test_feature_order_is_respected_and_extra_columns_ignored():
    frame = make_frame()
    frame["station"] = "A1"  # text column, not used
    record = load_frame(frame, features=["wind", "precip"], target="runoff")
    assert list(record.columns) == ["wind", "precip", "runoff"]


def test_other_date_column_and_target_names():
    frame = make_frame().rename(columns={"date": "month", "runoff": "flow"})
    record = load_frame(frame, date_column="month", target="flow")
    assert list(record.columns) == ["precip", "tmean", "wind", "flow"]
    assert record.index.name == "date"


def test_integer_columns_become_float64():
    frame = make_frame()
    frame["wind"] = np.arange(len(frame)) % 7
    record = load_frame(frame)
    assert record["wind"].dtype == "float64"


@pytest.mark.parametrize("day", ["15", "28"])
def test_any_day_of_month_is_moved_to_month_start(day):
    frame = make_frame()
    frame["date"] = frame["date"].str.slice(0, 8) + day
    record = load_frame(frame)
    assert (record.index.day == 1).all()
    assert record.index[1] == pd.Timestamp("1960-02-01")


def test_month_end_dates_and_year_month_dates_are_accepted():
    frame = make_frame()
    ends = pd.date_range("1960-01-31", periods=len(frame), freq="ME")
    frame["date"] = ends.strftime("%Y-%m-%d")
    from_ends = load_frame(frame)
    frame["date"] = ends.strftime("%Y-%m")
    from_months = load_frame(frame)
    pd.testing.assert_index_equal(from_ends.index, from_months.index)
    assert from_ends.index[0] == pd.Timestamp("1960-01-01")


def test_minimum_length_is_accepted_and_one_less_is_not():
    needed = 12 + MIN_WINDOWS - 1
    assert len(load_frame(make_frame(needed))) == needed
    with pytest.raises(DataError, match=rf"too short: {needed - 1} months.*at least {needed}"):
        load_frame(make_frame(needed - 1))


def test_validate_record_accepts_a_good_frame():
    assert validate_record(indexed(make_frame()), FEATURES, "runoff") is None


def test_shipped_catchment_loads():
    if not config.CATCHMENT_CSV.exists():
        pytest.skip(f"{config.CATCHMENT_CSV} not generated yet (it ships with the course)")
    record = data.load_catchment()
    assert list(record.columns) == [*data.FEATURES, data.TARGET]
    assert len(record) == 746
    assert record.index[0] == pd.Timestamp("1960-01-01")
    assert record.index[-1] == pd.Timestamp("2022-02-01")
    assert record.index.freqstr == "MS"


# ---------------------------------------------------------------------------------------------
# Bad input: every problem raises DataError naming what and where
# ---------------------------------------------------------------------------------------------


def test_missing_date_column_lists_available_columns():
    frame = make_frame().rename(columns={"date": "Datum"})
    with pytest.raises(DataError, match=r"date column 'date' not found.*'Datum'"):
        load_frame(frame)


def test_unparseable_date_names_row_and_value():
    frame = make_frame()
    frame.loc[4, "date"] = "1960-05-xx"
    with pytest.raises(DataError, match=r"'1960-05-xx' at row 5"):
        load_frame(frame)


def test_ambiguous_date_format_is_refused():
    frame = make_frame()
    frame["date"] = pd.to_datetime(frame["date"]).dt.strftime("%d/%m/%Y")
    with pytest.raises(
        DataError,
        match=r"'01/01/1960' at row 1.*year first.*day and month cannot be told apart.*"
        r"date_format='%d/%m/%Y' \(day first\) or date_format='%m/%d/%Y' \(month first\)",
    ):
        load_frame(frame)


def test_empty_date_cells_are_named():
    frame = make_frame()
    frame.loc[[6, 9], "date"] = ""
    with pytest.raises(DataError, match=r"2 missing dates \(empty cells\), at row\(s\) 7, 10"):
        load_frame(frame)


def test_duplicate_dates_are_named():
    frame = make_frame()
    frame.loc[3, "date"] = frame.loc[2, "date"]  # 1960-03-01 twice, 1960-04 missing
    with pytest.raises(
        DataError,
        match=r"first 1960-03: '1960-03-01' \(row 3\), '1960-03-01' \(row 4\)",
    ):
        load_frame(frame)


def test_two_days_in_one_month_are_refused_as_duplicates():
    frame = make_frame()
    frame.loc[1, "date"] = "1960-01-15"
    with pytest.raises(DataError, match=r"1960-01: '1960-01-01' \(row 1\), '1960-01-15' \(row 2\)"):
        load_frame(frame)


def test_unsorted_dates_are_named():
    frame = make_frame()
    frame.loc[[2, 3], "date"] = ["1960-04-01", "1960-03-01"]
    with pytest.raises(
        DataError,
        match=(
            r"not in increasing order: "
            r"row 4 \(1960-03-01\) comes after row 3 \(1960-04-01\)"
        ),
    ):
        load_frame(frame)


def test_gap_names_missing_months():
    frame = make_frame().drop(index=[5, 6]).reset_index(drop=True)
    with pytest.raises(DataError, match=r"2 months missing.*1960-06, 1960-07"):
        load_frame(frame)


@pytest.mark.parametrize("column", ["tmean", "runoff"])
def test_nan_names_column_count_row_and_date(column):
    frame = make_frame()
    frame.loc[[17, 20, 30], column] = np.nan
    with pytest.raises(
        DataError,
        match=(
            rf"column '{column}' has 3 missing values \(NaN\), "
            r"first at row 18 \(date 1961-06-01\)"
        ),
    ):
        load_frame(frame)


def test_nan_in_an_unused_column_is_fine():
    frame = make_frame()
    frame.loc[3, "wind"] = np.nan
    record = load_frame(frame, features=["precip", "tmean"])
    assert list(record.columns) == ["precip", "tmean", "runoff"]


def test_non_numeric_column_names_column_value_and_row():
    frame = make_frame().astype({"precip": object})
    frame.loc[10, "precip"] = "12,5"
    with pytest.raises(
        DataError,
        match=r"column 'precip' is not numeric.*first '12,5' at row 11 \(date 1960-11-01\)",
    ):
        load_frame(frame)


def test_text_column_with_features_none_is_refused():
    frame = make_frame()
    frame["station"] = "A1"
    with pytest.raises(DataError, match=r"column 'station' is not numeric.*'A1' at row 1"):
        load_frame(frame)


def test_unknown_feature_lists_available_columns():
    with pytest.raises(
        DataError,
        match=(
            r"unknown feature column\(s\) 'rain'.*"
            r"available columns: 'date', 'precip', 'tmean', 'wind', 'runoff'"
        ),
    ):
        load_frame(make_frame(), features=["precip", "rain"])


def test_unknown_target_lists_available_columns():
    with pytest.raises(DataError, match=r"target column 'flow' not found.*'runoff'"):
        load_frame(make_frame(), target="flow")


def test_target_among_features_is_refused():
    with pytest.raises(DataError, match=r"'runoff' is both the target and a feature"):
        load_frame(make_frame(), features=["precip", "runoff"])


def test_features_given_as_a_string_is_refused():
    with pytest.raises(DataError, match=r"list of column names.*\['precip'\]"):
        load_frame(make_frame(), features="precip")


def test_constant_column_is_refused():
    frame = make_frame()
    frame["wind"] = 3.0
    with pytest.raises(DataError, match=r"column 'wind' is constant"):
        load_frame(frame)


def test_infinite_value_is_refused():
    frame = make_frame()
    frame.loc[7, "tmean"] = np.inf
    with pytest.raises(
        DataError,
        match=r"column 'tmean' has 1 infinite value, first at row 8 \(date 1960-08-01\)",
    ):
        load_frame(frame)


def test_bad_window_is_refused():
    with pytest.raises(DataError, match=r"window must be a whole number"):
        load_frame(make_frame(), window=0)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_record(tmp_path / "nope.csv")


# ---------------------------------------------------------------------------------------------
# validate_record on an already indexed frame
# ---------------------------------------------------------------------------------------------


def test_validate_refuses_dates_not_at_month_start():
    frame = indexed(make_frame())
    frame.index = frame.index + pd.Timedelta(days=14)
    with pytest.raises(DataError, match=r"first day of their month.*1960-01-15.*row 1"):
        validate_record(frame, FEATURES, "runoff")


def test_validate_refuses_a_non_date_index():
    frame = make_frame().drop(columns="date")
    with pytest.raises(DataError, match=r"DatetimeIndex"):
        validate_record(frame, FEATURES, "runoff")


def test_validate_names_nan_gap_duplicate_and_unknown_column():
    good = indexed(make_frame())
    with_nan = good.copy()
    with_nan.iloc[17, 1] = np.nan
    with pytest.raises(DataError, match=r"'tmean'.*row 18 \(date 1961-06-01\)"):
        validate_record(with_nan, FEATURES, "runoff")
    with pytest.raises(DataError, match=r"1 month missing.*1960-03"):
        validate_record(good.drop(index=good.index[2]), FEATURES, "runoff")
    doubled = pd.concat([good.iloc[:3], good.iloc[2:]])
    with pytest.raises(
        DataError,
        match=r"1 month appears more than once, first 1960-03 at rows 3, 4",
    ):
        validate_record(doubled, FEATURES, "runoff")
    with pytest.raises(DataError, match=r"unknown feature column\(s\) 'rain'"):
        validate_record(good, ["rain"], "runoff")


def test_validate_refuses_text_column_in_string_dtype():
    frame = indexed(make_frame())
    frame["tmean"] = frame["tmean"].astype(str)
    frame.iloc[5, 1] = "n/a"
    with pytest.raises(
        DataError,
        match=r"'tmean' is not numeric.*'n/a' at row 6 \(date 1960-06-01\)",
    ):
        validate_record(frame, FEATURES, "runoff")


def test_validate_refuses_too_short_for_the_window():
    frame = indexed(make_frame(48))
    validate_record(frame, FEATURES, "runoff", window=25)  # 48 = 25 + 24 - 1
    with pytest.raises(DataError, match=r"too short.*26-month window needs at least 49 months"):
        validate_record(frame, FEATURES, "runoff", window=26)


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)
