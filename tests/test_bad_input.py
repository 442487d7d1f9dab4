"""Bad input, one line per case: refused with a message naming the problem, or loaded right.

Each case of ``CASES`` starts from the same small valid monthly CSV (``BASE``), changes it
with one mutation, loads it with ``data.load_record(**kwargs)`` and expects either a
``DataError`` whose message matches a regex, or (``ok(check)``) a record on which ``check``
holds. Adding a case is adding a line. ``DAILY_CASES`` do the same for ``helpers._kit.daily``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from helpers import config, data
from helpers._kit import daily
from helpers.data import DataError

N_MONTHS = 48
HEADER = ["date", "precip", "tmean", "runoff"]


def _rows() -> list[list[str]]:
    rng = np.random.default_rng(3)
    dates = pd.date_range("1990-01-01", periods=N_MONTHS, freq="MS").strftime("%Y-%m-%d")
    precip = rng.gamma(3.0, 25.0, N_MONTHS)
    tmean = 8 + 9 * np.cos(2 * np.pi * (np.arange(N_MONTHS) % 12 - 6) / 12)
    runoff = 0.4 * precip + 5
    return [[d, f"{p:.1f}", f"{t:.2f}", f"{q:.1f}"] for d, p, t, q in
            zip(dates, precip, tmean, runoff, strict=True)]


ROWS = _rows()
BASE = "\n".join([",".join(HEADER)] + [",".join(row) for row in ROWS]) + "\n"


# --- mutations: text -> text (or bytes) -------------------------------------------------------
def sub(old: str, new: str) -> Callable[[str], str]:
    return lambda text: text.replace(old, new)


def cell(row: int, column: str, value: str) -> Callable[[str], str]:
    """Set the cell of data row ``row`` (1 = first below the header) in ``column``."""
    def mutate(text: str) -> str:
        lines = text.splitlines()
        fields = lines[row].split(",")
        fields[HEADER.index(column)] = value
        lines[row] = ",".join(fields)
        return "\n".join(lines) + "\n"
    return mutate


def lines(change: Callable[[list[str]], list[str]]) -> Callable[[str], str]:
    return lambda text: "\n".join(change(text.splitlines())) + "\n"


def column(name: str, values: Callable[[int], str], position: int = 4) -> Callable[[str], str]:
    """Insert a column ``name`` whose row i (0 = first data row) holds ``values(i)``."""
    def change(old: list[str]) -> list[str]:
        out = []
        for i, line in enumerate(old):
            fields = line.split(",")
            fields.insert(position, name if i == 0 else values(i - 1))
            out.append(",".join(fields))
        return out
    return lines(change)


def encode(encoding: str) -> Callable[[str], bytes]:
    return lambda text: text.encode(encoding)


def then(*steps: Callable) -> Callable:
    def mutate(text):
        for step in steps:
            text = step(text)
        return text
    return mutate


def ok(check: Callable[[pd.DataFrame], bool]) -> Callable[[pd.DataFrame], bool]:
    """Expect the file to load, and ``check(record)`` to hold."""
    check.accepted = True
    return check


def value(row: int, name: str) -> float:
    return float(ROWS[row - 1][HEADER.index(name)])


FIRST = "1990-01-01"
DAILY_TEXT = "date,precip\n" + "".join(
    f"{day:%Y-%m-%d},{i % 5}\n" for i, day in enumerate(pd.date_range("1990-01-01", periods=120)))
DAILY_DAY_FIRST = "date,precip\n" + "".join(
    f"{day:%d.%m.%Y},{i % 5}\n" for i, day in enumerate(pd.date_range("1990-01-01", periods=120)))

# id | mutation of BASE | load_record kwargs | expected: error regex, or ok(check)
CASES = [
    ("unchanged", sub("", ""), {}, ok(lambda r: r.shape == (48, 3))),
    ("semicolon file", sub(",", ";"), {}, r"semicolon-separated.*pass sep=';'$"),
    ("semicolon, decimal comma", then(sub(",", ";"), sub(".", ",")), {},
     r"semicolon-separated.*pass sep=';', decimal=','"),
    ("tab file", sub(",", "\t"), {}, r"tab-separated.*pass sep='\\t'"),
    ("vertical bars", sub(",", "|"), {}, r"vertical bar-separated.*pass sep='\|'"),
    ("semicolon read with sep", sub(",", ";"), {"sep": ";"},
     ok(lambda r: r["precip"].iloc[0] == value(1, "precip"))),
    ("decimal comma read", then(sub(",", ";"), sub(".", ",")), {"sep": ";", "decimal": ","},
     ok(lambda r: r["tmean"].iloc[2] == value(3, "tmean"))),
    ("tab read with sep", sub(",", "\t"), {"sep": "\t"}, ok(lambda r: len(r) == 48)),
    ("decimal comma splits fields", cell(3, "tmean", "12,5"), {},
     r"row 3 has 5 fields but the header has 4.*decimal comma \(12,5\)"),
    ("quoted decimal comma", cell(3, "tmean", '"12,5"'), {},
     r"'tmean' is not numeric.*'12,5' at row 3.*decimal comma: pass decimal=','"),
    ("semicolon, comma not declared", then(sub(",", ";"), sub(".", ",")), {"sep": ";"},
     r"not numeric.*decimal comma: pass decimal=','"),
    ("sep equals decimal", sub("", ""), {"decimal": ","}, r"sep and decimal are both ','"),
    ("empty file", lambda text: "", {}, r"the CSV text is empty"),
    ("blank lines only", lambda text: "\n \n\n", {}, r"is empty"),
    ("header only", lambda text: text.splitlines()[0] + "\n", {},
     r"has a header line \('date,precip,tmean,runoff'\) but no data rows"),
    ("row with a missing field", lines(lambda ls: ls[:5] + ["1990-05-01,1.0,2.0"] + ls[6:]), {},
     r"row 5 has 3 fields but the header has 4.*one value per column"),
    ("trailing comma", lines(lambda ls: ls[:2] + [ls[2] + ","] + ls[3:]), {},
     r"row 2 has 5 fields"),
    ("sentinel -999", cell(5, "precip", "-999"), {},
     r"'precip' holds -999 at row 5 \(date 1990-05-01\).*missing value.*sentinels=\(\)"),
    ("sentinel -9999 in target", cell(9, "runoff", "-9999"), {}, r"'runoff' holds -9999 at row 9"),
    ("sentinel -99.9", cell(2, "tmean", "-99.9"), {}, r"'tmean' holds -99.9 at row 2"),
    ("sentinel 99999", cell(2, "precip", "99999"), {}, r"'precip' holds 99999 at row 2"),
    ("sentinel accepted on request", cell(5, "precip", "-999"), {"sentinels": ()},
     ok(lambda r: r["precip"].iloc[4] == -999)),
    ("absurd value 1e30", cell(7, "tmean", "1e30"), {},
     r"'tmean' holds an implausible value 1e\+30 at row 7 \(date 1990-07-01\).*"
     r"outlier_limit=None"),
    ("unit slip x1e6", cell(11, "runoff", "40000000"), {}, r"implausible value 4e\+07 at row 11"),
    ("outlier accepted on request", cell(7, "tmean", "1e30"), {"outlier_limit": None},
     ok(lambda r: r["tmean"].iloc[6] == 1e30)),
    ("index column from to_csv", column("", str, 0), {},
     r"column 'Unnamed: 0' looks like a row index.*index=False"),
    ("column named index", column("index", str, 1), {}, r"column 'index' looks like a row index"),
    ("index column, explicit features", column("", str, 0),
     {"features": ["precip", "tmean"]}, ok(lambda r: list(r.columns) == [
         "precip", "tmean", "runoff"])),
    ("row counter column", column("id", lambda i: str(i + 1)), {},
     r"column 'id' counts 1, 2, 3, \.\.\. row by row"),
    ("header names a column twice", sub("date,precip,tmean,runoff", "date,precip,precip,runoff"),
     {}, r"names column\(s\) 'precip' more than once.*features=None"),
    ("used column named twice", sub("date,precip,tmean,runoff", "date,precip,precip,runoff"),
     {"features": ["precip"]}, r"names column 'precip' more than once"),
    ("unused column named twice", sub("date,precip,tmean,runoff", "date,tmean,tmean,runoff"),
     {"features": []}, r"features is empty"),
    ("daily file", lambda text: DAILY_TEXT.replace("precip", "precip,runoff").replace(
        "\n", ",1\n").replace("precip,runoff,1", "precip,runoff"), {},
     r"holds daily data \(up to 31 rows per month.*helpers\.data\.to_monthly"),
    ("day-first dates", sub("1990-01-01", "01.01.1990"), {},
     r"'01\.01\.1990' at row 1.*date_format='%d\.%m\.%Y'"),
    ("units line", lines(lambda ls: ls[:1] + ["#,mm,degC,mm"] + ls[1:]), {},
     r"'#' at row 1.*units or comment line.*skiprows=\[1\]"),
    ("units line skipped", lines(lambda ls: ls[:1] + ["#,mm,degC,mm"] + ls[1:]),
     {"skiprows": [1]}, ok(lambda r: len(r) == 48)),
    ("units line, date not first", then(sub("date,precip", "precip,date"), lines(
        lambda ls: ls[:1] + ["mm,#,degC,mm"] + ls[1:])), {}, r"'#' at row 1.*skiprows=\[1\]"),
    ("Windows-1252, accents in words", then(sub("tmean", "température"), sub("precip", "Zürich"),
                                            encode("cp1252")), {},
     ok(lambda r: list(r.columns) == ["Zürich", "température", "runoff"])),
    ("ambiguous short header", then(sub("tmean", "t°C"), encode("cp1252")), {},
     r"cannot tell the encoding of the CSV text: GB18030 \(GBK\) reads 'date,precip,t癈,runoff'"
     r".*Windows-1252 reads 'date,precip,t°C,runoff'.*encoding='cp1252'"),
    ("ambiguous header, encoding given", then(sub("tmean", "t°C"), encode("cp1252")),
     {"encoding": "cp1252"}, ok(lambda r: "t°C" in r.columns)),
    ("GBK header", then(sub("tmean", "平均气温(℃)"), encode("gbk")), {},
     ok(lambda r: "平均气温(℃)" in r.columns)),
    ("GBK header without symbols", then(sub("tmean", "气温"), encode("gbk")), {},
     ok(lambda r: "气温" in r.columns)),
    ("GBK that is valid UTF-8", then(sub("tmean", "水位"), encode("gbk")), {},
     r"cannot tell the encoding of the CSV text: UTF-8 reads 'date,precip,ˮλ,runoff'; "
     r"GB18030 \(GBK\) reads 'date,precip,水位,runoff'\. Pass the right one, encoding='utf-8' "
     r"or encoding='gb18030' \(encodings tried: UTF-8, GB18030 \(GBK\)\)$"),
    ("GBK that is valid UTF-8, encoding given", then(sub("tmean", "水位"), encode("gbk")),
     {"encoding": "gbk"}, ok(lambda r: "水位" in r.columns)),
    ("UTF-8 signs next to letters", then(sub("tmean", "T(°C)"), sub("precip", "P(m³)"),
                                         encode("utf-8")), {},
     ok(lambda r: list(r.columns) == ["P(m³)", "T(°C)", "runoff"])),
    ("wrong encoding given", then(sub("tmean", "气温"), encode("gbk")), {"encoding": "utf-8"},
     r"not valid 'utf-8' text: bytes .* on line 1 cannot be decoded; pass the file's real "
     r"encoding as encoding="),
    ("UTF-16 with BOM", then(sub("tmean", "平均气温"), encode("utf-16")), {},
     ok(lambda r: "平均气温" in r.columns)),
    ("GB18030 beyond GBK", then(sub("tmean", "气温€"), encode("gb18030")), {},
     ok(lambda r: "气温€" in r.columns)),
    ("unknown encoding", encode("utf-8"), {"encoding": "klingon"}, r"unknown encoding 'klingon'"),
    ("Shift-JIS", then(sub("tmean", "日付の気温"), encode("shift_jis")), {},
     r"not text in any of the encodings tried \(UTF-8, GB18030 \(GBK\), Big5, Windows-1252\)"
     r".*encoding='shift_jis'"),
    ("Shift-JIS given", then(sub("tmean", "日付の気温"), encode("shift_jis")),
     {"encoding": "shift_jis"}, ok(lambda r: "日付の気温" in r.columns)),
    ("old .xls bytes", lambda text: b"\xd0\xcf\x11\xe0" + text.encode(), {},
     r"old Excel \.xls workbook.*save it as \.xlsx \(Excel workbook\) or as CSV"),
    ("UTF-8 byte order mark", then(lambda t: "\ufeff" + t, encode("utf-8")), {},
     ok(lambda r: r.index[0] == pd.Timestamp(FIRST))),
    ("CRLF line ends", sub("\n", "\r\n"), {}, ok(lambda r: len(r) == 48)),
    ("blank lines inside", lines(lambda ls: ls[:10] + ["", ""] + ls[10:]), {},
     ok(lambda r: len(r) == 48)),
    ("spaces around values", cell(4, "precip", " 12.5 "), {},
     ok(lambda r: r["precip"].iloc[3] == 12.5)),
    ("month-end dates", sub("-01,", "-28,"), {}, ok(lambda r: r.index[0] == pd.Timestamp(FIRST))),
    ("year-month dates", sub("-01,", ","), {}, ok(lambda r: r.index.freqstr == "MS")),
    ("year-first slashes", lines(lambda ls: ls[:1] + [
        re.sub(r"^(\d{4})-0?(\d+)-0?(\d+)", r"\1/\2/\3", line) for line in ls[1:]]), {},
     ok(lambda r: r.index[0] == pd.Timestamp(FIRST) and r.index[-1] == pd.Timestamp("1993-12-01"))),
    ("year/month unpadded", lines(lambda ls: ls[:1] + [
        re.sub(r"^(\d{4})-0?(\d+)-01", r"\1/\2", line) for line in ls[1:]]), {},
     ok(lambda r: r.index[9] == pd.Timestamp("1990-10-01"))),
    ("year-month unpadded", lines(lambda ls: ls[:1] + [
        re.sub(r"^(\d{4})-0?(\d+)-01", r"\1-\2", line) for line in ls[1:]]), {},
     ok(lambda r: len(r) == 48)),
    ("Chinese year and month", lines(lambda ls: ls[:1] + [
        re.sub(r"^(\d{4})-0?(\d+)-01", r"\1年\2月", line) for line in ls[1:]]), {},
     ok(lambda r: r.index[13] == pd.Timestamp("1991-02-01"))),
    ("Chinese full date", lines(lambda ls: ls[:1] + [
        re.sub(r"^(\d{4})-0?(\d+)-0?(\d+)", r"\1年\2月\3日", line) for line in ls[1:]]), {},
     ok(lambda r: r.index[0] == pd.Timestamp(FIRST))),
    ("compact dates", lines(lambda ls: ls[:1] + [
        re.sub(r"^(\d{4})-(\d+)-(\d+)", r"\1\2\3", line) for line in ls[1:]]), {},
     ok(lambda r: r.index[1] == pd.Timestamp("1990-02-01"))),
    ("slashes with a time", lines(lambda ls: ls[:1] + [
        re.sub(r"^(\d{4})-0?(\d+)-0?(\d+)", r"\1/\2/\3 0:00", line) for line in ls[1:]]), {},
     ok(lambda r: len(r) == 48)),
    ("month first, unambiguous", lines(lambda ls: ls[:1] + [
        re.sub(r"^(\d{4})-(\d+)-(\d+)", r"\2/15/\1", line) for line in ls[1:]]), {},
     r"'01/15/1990' at row 1.*put the month first \(e\.g\. '01/15/1990'\): pass "
     r"date_format='%m/%d/%Y'"),
    ("month first read", lines(lambda ls: ls[:1] + [
        re.sub(r"^(\d{4})-(\d+)-(\d+)", r"\2/15/\1", line) for line in ls[1:]]),
     {"date_format": "%m/%d/%Y"}, ok(lambda r: r.index[0] == pd.Timestamp(FIRST))),
    ("day first, unambiguous", sub("1990-01-01", "13.01.1990"), {},
     r"'13\.01\.1990' at row 1.*put the day first \(e\.g\. '13\.01\.1990'\): pass "
     r"date_format='%d\.%m\.%Y'"),
    ("day or month first", sub("1990-01-01", "01/02/1990"), {},
     r"cannot be told apart.*date_format='%d/%m/%Y' \(day first\) or date_format='%m/%d/%Y'"),
    ("month 13", sub("1990-03-01", "1990/13/1"), {}, r"1 date cannot be read, first '1990/13/1'"),
    ("dates with a time", sub("-01,", "-01T00:00,"), {}, ok(lambda r: len(r) == 48)),
    ("empty cell in target", cell(6, "runoff", ""), {},
     r"'runoff' has 1 missing value \(NaN\), first at row 6"),
    ("'nan' written out", cell(6, "precip", "nan"), {}, r"'precip' has 1 missing value"),
    ("'n/a' written out", cell(6, "precip", "n/a"), {}, r"'precip' has 1 missing value"),
    ("value with a unit", cell(8, "precip", "12 mm"), {},
     r"'precip' is not numeric.*'12 mm' at row 8.*no units"),
    ("thousands separator", cell(8, "precip", '"1,234.5"'), {}, r"'precip' is not numeric"),
    ("infinite value", cell(8, "tmean", "inf"), {}, r"'tmean' has 1 infinite value"),
    ("True/False column", column("frost", lambda i: str(i % 2 == 0)), {},
     r"'frost' holds True/False values"),
    ("constant column", column("station_height", lambda i: "312"), {},
     r"'station_height' is constant"),
    ("missing month", lines(lambda ls: ls[:6] + ls[7:]), {}, r"1 month missing.*1990-06"),
    ("two rows in one month", sub("1990-03-01", "1990-02-15"), {},
     r"1990-02: '1990-02-01' \(row 2\), '1990-02-15' \(row 3\)"),
    ("dates out of order", lines(lambda ls: [ls[0], ls[2], ls[1], *ls[3:]]), {},
     r"not in increasing order"),
    ("too short", lines(lambda ls: ls[:35]), {}, r"too short: 34 months.*at least 35"),
    ("date column renamed", sub("date,", "Datum,"), {},
     r"date column 'date' not found in the CSV text.*'Datum'"),
    ("target missing", sub(",runoff", ",flow"), {}, r"target column 'runoff' not found"),
    ("features as a string", sub("", ""), {"features": "precip"}, r"write \['precip'\]"),
    ("window True", sub("", ""), {"window": True}, r"window must be a whole number.*True"),
]


@pytest.mark.parametrize(("mutate", "kwargs", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_load_record(mutate, kwargs, expected):
    content = mutate(BASE)
    source = io.BytesIO(content) if isinstance(content, bytes) else io.StringIO(content)
    if callable(expected):
        assert expected(data.load_record(source, **kwargs))
    else:
        with pytest.raises(DataError, match=expected):
            data.load_record(source, **kwargs)


def _daily(text: str, **kwargs) -> pd.DataFrame:
    return daily.read_daily(io.StringIO(text), **kwargs)


def _days(n: int = 90, start: str = "2000-01-01") -> pd.DataFrame:
    index = pd.date_range(start, periods=n, freq="D", name="date")
    return pd.DataFrame({"p": np.ones(n), "t": np.arange(n, dtype=float)}, index=index)


# id | call | expected: error regex, or ok(check) on the result
DAILY_CASES = [
    ("daily sentinel", lambda: _daily(DAILY_TEXT.replace("1990-01-09,3", "1990-01-09,-999")),
     r"'precip' holds -999 at row 9 \(date 1990-01-09\)"),
    ("daily day-first dates, no format", lambda: _daily(DAILY_TEXT.replace(
        "1990-01-01", "01.01.1990")), r"'01\.01\.1990' at row 1.*date_format='%d\.%m\.%Y'"),
    ("daily day-first file, no format", lambda: _daily(DAILY_DAY_FIRST),
     r"120 dates cannot be read, first '01\.01\.1990' at row 1.*put the day first "
     r"\(e\.g\. '13\.01\.1990'\): pass date_format='%d\.%m\.%Y'$"),
    ("daily dates out of order", lambda: _daily(DAILY_TEXT.replace("1990-01-02", "x")
                                                .replace("1990-01-04", "1990-01-02")
                                                .replace("x", "1990-01-04")),
     r"column 'date': dates are not in increasing order: row 3 \(1990-01-03\) comes after "
     r"row 2 \(1990-01-04\); sort the rows by date"),
    ("daily GBK, Chinese dates", lambda: daily.read_daily(io.BytesIO(re.sub(
        r"(\d{4})-0?(\d+)-0?(\d+)", r"\1年\2月\3日",
        DAILY_TEXT.replace("date,precip", "日期,降水量")).encode("gbk")), date_column="日期"),
     ok(lambda d: list(d.columns) == ["降水量"] and d.index[40] == pd.Timestamp("1990-02-10"))),
    ("daily day-first dates read", lambda: _daily(DAILY_DAY_FIRST, date_format="%d.%m.%Y"),
     ok(lambda d: d.index[1] == pd.Timestamp("1990-01-02") and d.index.is_monotonic_increasing)),
    ("daily day twice", lambda: _daily(DAILY_TEXT.replace("1990-01-02", "1990-01-01")),
     r"day 1990-01-01 appears more than once \(row 2\)"),
    ("daily semicolons", lambda: _daily(DAILY_TEXT.replace(",", ";")),
     r"semicolon-separated.*sep=';'"),
    ("missing days stay missing", lambda: daily.to_monthly(_days().drop(index=_days().index[40]),
                                                           {"p": "sum", "t": "mean"}),
     ok(lambda m: np.isnan(m.loc["2000-02-01", "p"]) and m.loc["2000-01-01", "p"] == 31)),
    ("missing year is NaN, not 0", lambda: daily.to_monthly(
        _days(3 * 366).assign(p=lambda d: d["p"].where(d.index.year != 2001)), {"p": "sum"}),
     ok(lambda m: m.loc["2001"].isna().all().all() and m.loc["2002-01-01", "p"] == 31)),
    ("minimum valid days scales sums", lambda: daily.to_monthly(
        _days().drop(index=_days().index[40]), {"p": "sum"}, min_valid_days=25),
     ok(lambda m: m.loc["2000-02-01", "p"] == 29)),
    ("partial last month missing", lambda: daily.to_monthly(_days(75), {"t": "mean"}),
     ok(lambda m: np.isnan(m["t"].iloc[-1]) and m["t"].iloc[0] == 15)),
    ("unknown aggregation", lambda: daily.to_monthly(_days(), {"p": "median"}),
     r"aggregation must be 'sum' or 'mean'"),
    ("bad min_valid_days", lambda: daily.to_monthly(_days(), {"p": "sum"}, min_valid_days=40),
     r"min_valid_days must be a whole number from 1 to 31"),
    ("m3/s to mm/day", lambda: daily.discharge_to_mm(pd.Series([10.0]), area_km2=86.4),
     ok(lambda q: np.isclose(q.iloc[0], 10.0))),
    ("l/s to mm/day", lambda: daily.discharge_to_mm(pd.Series([1000.0]), 86.4, unit="l/s"),
     ok(lambda q: np.isclose(q.iloc[0], 1.0))),
    ("monthly flow to mm/month", lambda: daily.discharge_to_mm(pd.Series(
        [1.0], index=pd.DatetimeIndex(["2001-02-01"])), 86.4, per="month"),
     ok(lambda q: np.isclose(q.iloc[0], 28.0))),
    ("area zero", lambda: daily.discharge_to_mm(pd.Series([1.0]), 0), r"area_km2 must be"),
    ("unknown flow unit", lambda: daily.discharge_to_mm(pd.Series([1.0]), 5, unit="cfs"),
     r"unknown discharge unit 'cfs'"),
]


@pytest.mark.filterwarnings("ignore:kept the longest run")
@pytest.mark.parametrize(("call", "expected"), [c[1:] for c in DAILY_CASES],
                         ids=[c[0] for c in DAILY_CASES])
def test_daily(call, expected):
    if callable(expected):
        assert expected(call())
    else:
        with pytest.raises(DataError, match=expected):
            call()


def test_complete_months_keeps_the_longest_run_and_says_so():
    monthly = pd.DataFrame({"q": [1.0, np.nan, 2, 3, 4, np.nan]},
                           index=pd.date_range("2000-01-01", periods=6, freq="MS"))
    with pytest.warns(UserWarning, match=r"2000-03 to 2000-05 \(3 months\); 3 months"):
        run = daily.complete_months(monthly)
    assert run["q"].tolist() == [2, 3, 4]
    assert run.index.freqstr == "MS"


def test_there_are_at_least_40_cases():
    assert len(CASES) + len(DAILY_CASES) >= 40


def test_the_readmes_give_the_number_of_cases():
    english = (config.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    chinese = (config.REPO_ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    stated = [re.search(r"`tests/test_bad_input\.py` \((\d+) bad inputs", english),
              re.search(r"`tests/test_bad_input\.py`（(\d+) 种错误输入", chinese)]
    assert [int(match.group(1)) for match in stated] == [len(CASES) + len(DAILY_CASES)] * 2
