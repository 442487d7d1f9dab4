"""Reading users' files as they come: encodings, Chinese headers and dates, workbooks, paths.

The teaching record is re-saved the way a Chinese spreadsheet saves it (GBK, Chinese headers,
``1960/1/1`` dates), in GB18030, in UTF-8 with a BOM, in Windows-1252 with accented names, and
as ``.xlsx`` workbooks built here with openpyxl; each must load to the same numbers as the
shipped CSV, under the names as written, or be refused with a message naming the fix.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from helpers import config, data
from helpers._kit import daily
from helpers.data import DataError

#: The shipped record's columns under the names of a Chinese export.
CHINESE = {
    "date": "日期", "precip": "降水量(mm)", "tmean": "平均气温(℃)", "tmax": "最高气温(℃)",
    "tmin": "最低气温(℃)", "rel_humidity": "相对湿度(%)", "sunshine": "日照时数(h)",
    "vapour_pressure": "水汽压(hPa)", "wind": "风速(m/s)", "climate_index": "气候指数",
    "runoff": "径流量(mm)",
}
FEATURES_ZH = [CHINESE[name] for name in data.FEATURES]
TARGET_ZH = CHINESE[data.TARGET]


@pytest.fixture(scope="module")
def shipped():
    return data.load_catchment()


@pytest.fixture(scope="module")
def chinese_text():
    """The shipped CSV with Chinese headers and dates such as 1960/1/1."""
    frame = pd.read_csv(config.CATCHMENT_CSV, dtype={"date": str})
    dates = pd.to_datetime(frame["date"])
    frame["date"] = [f"{d.year}/{d.month}/{d.day}" for d in dates]
    return frame.rename(columns=CHINESE).to_csv(index=False, lineterminator="\r\n")


def same_record(record, shipped):
    assert list(record.columns) == [*FEATURES_ZH, TARGET_ZH]
    np.testing.assert_array_equal(record.to_numpy(), shipped.to_numpy())
    assert record.index.equals(shipped.index)
    return True


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_chinese_export_loads_in_every_encoding(encoding, chinese_text, shipped, tmp_path):
    path = tmp_path / "流域月资料.csv"
    path.write_bytes(chinese_text.encode(encoding))
    record = data.load_record(path, date_column="日期", features=FEATURES_ZH, target=TARGET_ZH)
    assert same_record(record, shipped)


def test_chinese_export_with_encoding_given(chinese_text, shipped, tmp_path):
    path = tmp_path / "record.csv"
    path.write_bytes(chinese_text.encode("gbk"))
    record = data.load_record(path, date_column="日期", features=FEATURES_ZH, target=TARGET_ZH,
                              encoding="gbk")
    assert same_record(record, shipped)


def test_all_features_keep_their_chinese_names(chinese_text, tmp_path):
    path = tmp_path / "record.csv"
    path.write_bytes(chinese_text.encode("gbk"))
    record = data.load_record(path, date_column="日期", target=TARGET_ZH)
    assert list(record.columns) == [*FEATURES_ZH, TARGET_ZH]


def test_half_width_name_for_a_full_width_header_is_pointed_out(chinese_text, tmp_path):
    path = tmp_path / "record.csv"
    path.write_bytes(chinese_text.replace("降水量(mm)", "降水量（mm）").encode("gbk"))
    with pytest.raises(DataError, match=r"unknown feature column\(s\) '降水量\(mm\)'.*"
                       r"Did you mean '降水量（mm）' for '降水量\(mm\)'\? .*full-width"):
        data.load_record(path, date_column="日期", features=FEATURES_ZH, target=TARGET_ZH)


def test_a_station_name_on_every_row_is_refused_with_the_gbk_reading_shown(chinese_text,
                                                                          shipped, tmp_path):
    """charset-normalizer finds no plausible reading (黄河站 is not among its common characters):
    the refusal shows what GB18030 makes of the file and the encoding= to pass."""
    lines = chinese_text.splitlines()
    text = "\r\n".join([f"{lines[0]},站名", *(f"{line},黄河站" for line in lines[1:])])
    path = tmp_path / "record.csv"
    path.write_bytes(text.encode("gbk"))
    with pytest.raises(DataError, match=r"not text in any of the encodings tried .* with "
                       r"confidence \(GB18030 \(GBK\) reads '日期,降水量\(mm\),.*"
                       r"encoding='gb18030'"):
        data.load_record(path, date_column="日期", features=FEATURES_ZH, target=TARGET_ZH)
    record = data.load_record(path, date_column="日期", features=FEATURES_ZH, target=TARGET_ZH,
                              encoding="gb18030")
    assert same_record(record, shipped)


def test_windows_1252_with_accented_names(shipped, tmp_path):
    text = config.CATCHMENT_CSV.read_text(encoding="utf-8")
    text = text.replace("tmean", "température").replace("wind", "Windstärke")
    path = tmp_path / "relevé.csv"
    path.write_bytes(text.encode("cp1252"))
    record = data.load_record(path)
    assert "température" in record.columns and "Windstärke" in record.columns
    np.testing.assert_array_equal(record.to_numpy(), shipped.to_numpy())


def test_gbk_daily_file_with_chinese_dates(tmp_path):
    days = pd.date_range("2001-01-01", periods=400)
    lines = ["日期,降水量(mm)"] + [f"{d.year}年{d.month}月{d.day}日,{i % 7}.5"
                                    for i, d in enumerate(days)]
    path = tmp_path / "daily.csv"
    path.write_bytes("\n".join(lines).encode("gbk"))
    frame = daily.read_daily(path, date_column="日期")
    assert list(frame.columns) == ["降水量(mm)"]
    assert frame.index.equals(pd.DatetimeIndex(days, name="date"))


# --- open files ----------------------------------------------------------------------------------


def test_a_file_opened_in_the_wrong_encoding_is_refused_not_read_as_mojibake(chinese_text,
                                                                             tmp_path):
    """open(path) decodes in the computer's default encoding: GBK's 日期 becomes ÈÕÆÚ."""
    path = tmp_path / "record.csv"
    path.write_bytes(chinese_text.encode("gbk"))
    with path.open(encoding="latin-1") as opened:
        with pytest.raises(DataError, match=r"file 'record\.csv' was opened as 'latin-1' text, "
                           r"which reads 'ÈÕÆÚ,.*', but its bytes read '日期,降水量\(mm\),.*'"
                           r": pass the path of the file instead"):
            data.load_record(opened)
    path.write_bytes(chinese_text.encode("utf-8"))  # 降 is E9 99 8D: Windows-1252 has no 8D
    with path.open(encoding="cp1252") as opened:
        with pytest.raises(DataError, match=r"opened as 'cp1252' text, but it is not in that "
                           r"encoding .*binary mode \('rb'\)"):
            data.load_record(opened)


def test_a_file_opened_in_its_own_encoding_is_read(chinese_text, shipped, tmp_path):
    path = tmp_path / "record.csv"
    path.write_bytes(chinese_text.encode("gbk"))
    with path.open(encoding="gbk") as opened:  # as open(path) does on a Chinese Windows
        record = data.load_record(opened, date_column="日期", features=FEATURES_ZH,
                                  target=TARGET_ZH)
    assert same_record(record, shipped)
    short = tmp_path / "short.csv"  # t°C: GBK's t癈, too short to tell; the encoding given stands
    short.write_bytes(config.CATCHMENT_CSV.read_text(encoding="utf-8").replace(
        "tmean", "t°C").encode("cp1252"))
    with short.open(encoding="cp1252") as opened:
        assert "t°C" in data.load_record(opened).columns


@pytest.mark.parametrize("source", [None, 3, ["record.csv"]])
def test_something_that_is_neither_a_path_nor_a_file_is_refused(source):
    with pytest.raises(DataError, match=r"expected the path of a CSV or \.xlsx file .* or an "
                       r"open file, got"):
        data.load_record(source)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_title_line_above_the_header_points_to_skiprows(chinese_text, shipped, suffix,
                                                          tmp_path):
    """Chinese exports often put a title such as 某站逐月资料 above the header."""
    rows = list(csv.reader(io.StringIO(chinese_text)))
    path = tmp_path / f"record{suffix}"
    if suffix == ".csv":
        path.write_bytes(("某站1960-2022年逐月资料\r\n" + chinese_text).encode("gbk"))
    else:
        workbook(path, {"资料": [["某站逐月资料"], *rows]})
    load = lambda **kwargs: data.load_record(  # noqa: E731
        path, date_column="日期", features=FEATURES_ZH, target=TARGET_ZH, **kwargs)
    with pytest.raises(DataError, match=r"the first line read \('某站.*逐月资料'\) has one name "
                       r"but the next has 11 \('日期,降水量\(mm\),.*if the first line is a title "
                       r"above the header, pass skiprows=\[0\]"):
        load()
    assert same_record(load(skiprows=[0]), shipped)


# --- paths ---------------------------------------------------------------------------------------

PATH_CASES = [
    ("empty path", lambda tmp: "", r"the path is empty: pass the path of your CSV or \.xlsx file"),
    ("blank path", lambda tmp: "  ", r"the path is empty"),
    ("a folder", lambda tmp: tmp, r"is a folder, not a file: pass the path of the CSV.*inside it"),
    ("a folder with a CSV", lambda tmp: (tmp / "x.csv").write_text("a", encoding="utf-8") and tmp,
     r"is a folder.*\(files there: x\.csv\)"),
    ("an .xls name", lambda tmp: tmp / "old.xls", r"old Excel \.xls workbook.*save it as \.xlsx"),
]


@pytest.mark.parametrize(("make_path", "message"), [c[1:] for c in PATH_CASES],
                         ids=[c[0] for c in PATH_CASES])
@pytest.mark.parametrize("reader", [data.load_record, daily.read_daily],
                         ids=["load_record", "read_daily"])
def test_bad_paths_are_refused_by_name(reader, make_path, message, tmp_path):
    with pytest.raises(DataError, match=message):
        reader(make_path(tmp_path))


def test_missing_file_is_still_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        data.load_record(tmp_path / "nowhere.csv")


def test_a_path_with_spaces_and_a_backslash_loads(shipped, tmp_path):
    """A learner's folders as Windows names them (spaces; on Linux a backslash is part of a
    name), given as a Path or as a string, load the same record as the shipped file."""
    folder = tmp_path / "My Documents" / "runoff data\\2024 copy"
    folder.mkdir(parents=True)
    path = folder / "teaching catchment.csv"
    path.write_bytes(config.CATCHMENT_CSV.read_bytes())
    for given in (path, str(path)):
        record = data.load_record(given, features=data.FEATURES)
        pd.testing.assert_frame_equal(record, shipped)


# --- workbooks -----------------------------------------------------------------------------------


def workbook(path, sheets):
    """Write ``{sheet title: rows}`` to ``path`` with openpyxl (dates stay Excel dates)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def shipped_rows(shipped, date_cell):
    header = [CHINESE["date"], *FEATURES_ZH, TARGET_ZH]
    rows = [[date_cell(day), *values] for day, values in zip(
        shipped.index, shipped.to_numpy().tolist(), strict=True)]
    return [header, *rows]


def text_date(day):
    return f"{day.year}/{day.month}/{day.day}"


WORKBOOK_CASES = [
    ("Excel dates", lambda s: {"月资料": shipped_rows(s, lambda d: d.to_pydatetime())}, {},
     "ok"),
    ("dates as text", lambda s: {"Sheet1": shipped_rows(s, text_date)}, {}, "ok"),
    ("date objects", lambda s: {"Sheet1": shipped_rows(s, lambda d: d.date())}, {}, "ok"),
    ("units row", lambda s: {"Sheet1": [shipped_rows(s, text_date)[0], ["", "mm", "℃"],
                                        *shipped_rows(s, text_date)[1:]]},
     {"skiprows": [1]}, "ok"),
    ("units row not skipped", lambda s: {"Sheet1": [shipped_rows(s, text_date)[0], ["-", "mm"],
                                                    *shipped_rows(s, text_date)[1:]]},
     {}, r"'-' at row 1; .*if row 1 is a units line, pass skiprows=\[1\]"),
    ("units row with an empty date", lambda s: {"Sheet1": [shipped_rows(s, text_date)[0],
                                                           ["", "mm", "℃"],
                                                           *shipped_rows(s, text_date)[1:]]},
     {}, r"'日期' has 1 missing date \(empty cells\), at row\(s\) 1; if row 1 is a units line, "
     r"pass skiprows=\[1\]"),
    ("empty sheet beside the data", lambda s: {"说明": [], "数据": shipped_rows(s, text_date)},
     {}, "ok"),
    ("two sheets with data", lambda s: {"a": shipped_rows(s, text_date),
                                        "b": shipped_rows(s, text_date)},
     {}, r"file 'record\.xlsx' has 2 sheets with data \('a', 'b'\): pass sheet='\.\.\.'"),
    ("sheet named", lambda s: {"a": [["x"], [1]], "b": shipped_rows(s, text_date)},
     {"sheet": "b"}, "ok"),
    ("sheet by position", lambda s: {"a": [["x"], [1]], "b": shipped_rows(s, text_date)},
     {"sheet": 1}, "ok"),
    ("unknown sheet", lambda s: {"a": shipped_rows(s, text_date)}, {"sheet": "c"},
     r"file 'record\.xlsx' has no sheet 'c'; its sheets: 'a'"),
    ("position out of range", lambda s: {"a": shipped_rows(s, text_date)}, {"sheet": 3},
     r"has 1 sheet\(s\) \('a'\); sheet=3 is not one of them"),
    ("header only", lambda s: {"a": shipped_rows(s, text_date)[:1]}, {},
     r"file 'record\.xlsx', sheet 'a' has a header line .* but no data rows"),
    ("number as text", lambda s: {"a": [*shipped_rows(s, text_date)[:3],
                                       [text_date(s.index[2]), "12,5",
                                        *shipped_rows(s, text_date)[3][2:]],
                                       *shipped_rows(s, text_date)[4:]]},
     {}, r"column '降水量\(mm\)' is not numeric.*'12,5' at row 3"),
    ("day-first text dates", lambda s: {"a": shipped_rows(s, lambda d: f"{d:%d.%m.%Y}")}, {},
     r"'01\.01\.1960' at row 1.*date_format="),
    ("Excel day numbers", lambda s: {"a": shipped_rows(s, lambda d: (d - pd.Timestamp(
        "1899-12-30")).days)}, {}, r"'21916' at row 1; .*looks like an Excel date serial number "
     r"\(day 21916 = 1960-01-01\): format the column as dates in Excel"),
]


@pytest.mark.parametrize(("sheets", "kwargs", "expected"), [c[1:] for c in WORKBOOK_CASES],
                         ids=[c[0] for c in WORKBOOK_CASES])
def test_workbook(sheets, kwargs, expected, shipped, tmp_path):
    path = workbook(tmp_path / "record.xlsx", sheets(shipped))
    load = lambda: data.load_record(path, date_column="日期", features=FEATURES_ZH,  # noqa: E731
                                    target=TARGET_ZH, **kwargs)
    if expected == "ok":
        assert same_record(load(), shipped)
    else:
        with pytest.raises(DataError, match=expected):
            load()


def test_workbook_from_a_stream_and_a_daily_workbook(tmp_path):
    days = pd.date_range("2001-01-01", periods=60)
    rows = [["date", "Q"], *[[d.to_pydatetime(), float(i)] for i, d in enumerate(days)]]
    path = workbook(tmp_path / "daily.xlsx", {"Q": rows})
    frame = daily.read_daily(path)
    assert frame["Q"].iloc[-1] == 59.0 and frame.index[0] == pd.Timestamp("2001-01-01")
    with path.open("rb") as stream:
        assert daily.read_daily(stream).equals(frame)


def test_damaged_workbook_is_refused(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match=r"'broken\.xlsx' cannot be read as an \.xlsx workbook"):
        data.load_record(path)


def test_excel_time_of_day_is_ignored(tmp_path):
    rows = [["date", "p", "q"], *[[dt.datetime(1990 + m // 12, m % 12 + 1, 1, 12, 30),
                                   float(m % 7), float(m % 5)] for m in range(40)]]
    path = workbook(tmp_path / "noon.xlsx", {"s": rows})
    record = data.load_record(path, features=["p"], target="q")
    assert record.index[0] == pd.Timestamp("1990-01-01")


def test_the_daily_hand_offs_of_data_give_the_real_records_monthly_form():
    """data.read_daily -> discharge_to_mm -> to_monthly -> complete_months, as notebook 05."""
    fulda = data.RECORDS["fulda"]
    path = data.package_file(fulda.package, fulda.file)
    days = data.read_daily(path, date_format="%d.%m.%Y", skiprows=[1],
                           columns=list(fulda.rename)).rename(columns=fulda.rename)
    days["runoff"] = data.discharge_to_mm(days.pop("discharge"), fulda.area_km2)
    how = {"precip": "sum", "tmean": "mean", "tmax": "mean", "tmin": "mean", "runoff": "sum"}
    record = data.complete_months(data.to_monthly(days, how))
    pd.testing.assert_frame_equal(record, data.load_monthly("fulda"))
    data.validate_record(record, None, "runoff")
