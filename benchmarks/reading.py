"""Benchmark: reading and checking a user's 30-year daily file (issue 20: "under a second").

Writes a generated daily record of 30 years (1991-2020, 10 958 days, a date column and six
variables, one decimal) to a temporary folder in four forms, then times
``helpers.data.read_daily`` on each — reading, decoding (with encoding detection),
parsing the dates and every check of the values — and ``helpers.data.load_record`` on the
shipped monthly record:

- UTF-8, English headers, ISO dates;
- GBK, Chinese headers, ``1991/1/1`` dates (the encoding detected, not given);
- GBK with ``encoding="gbk"`` given;
- an ``.xlsx`` workbook with Excel dates (openpyxl; slower by nature, for comparison).

Each time is the best of ``--repeat`` runs (default 5), in seconds. Usage::

    python benchmarks/reading.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

from helpers import data

NAMES = {"precip": "降水量(mm)", "tmean": "平均气温(℃)", "tmax": "最高气温(℃)",
         "tmin": "最低气温(℃)", "rel_humidity": "相对湿度(%)", "runoff": "径流深(mm)"}


def daily_record(seed: int = 0) -> pd.DataFrame:
    """30 years of plausible daily values (seeded)."""
    days = pd.date_range("1991-01-01", "2020-12-31", freq="D")
    rng = np.random.default_rng(seed)
    season = np.cos(2 * np.pi * (days.day_of_year - 200) / 365.25)
    tmean = 10 + 10 * season + rng.normal(0, 2, len(days))
    return pd.DataFrame({
        "precip": rng.gamma(0.6, 5.0, len(days)),
        "tmean": tmean,
        "tmax": tmean + 5,
        "tmin": tmean - 5,
        "rel_humidity": np.clip(75 - 10 * season + rng.normal(0, 5, len(days)), 20, 100),
        "runoff": rng.gamma(2.0, 0.8, len(days)),
    }, index=pd.Index(days, name="date")).round(1)


def write_files(folder: Path, record: pd.DataFrame) -> dict[str, tuple[Path, dict]]:
    """The four files and the read_daily arguments each needs."""
    utf8 = folder / "daily_utf8.csv"
    record.to_csv(utf8, encoding="utf-8", date_format="%Y-%m-%d")
    chinese = record.rename(columns=NAMES)
    chinese.index = [f"{d.year}/{d.month}/{d.day}" for d in record.index]
    chinese.index.name = "日期"
    gbk = folder / "daily_gbk.csv"
    chinese.to_csv(gbk, encoding="gbk")
    workbook = folder / "daily.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(["date", *record.columns])
    for day, values in zip(record.index, record.to_numpy().tolist(), strict=True):
        sheet.append([day.to_pydatetime(), *values])
    book.save(workbook)
    return {
        "UTF-8, ISO dates": (utf8, {}),
        "GBK detected, Chinese headers, 1991/1/1": (gbk, {"date_column": "日期"}),
        "GBK given (encoding='gbk')": (gbk, {"date_column": "日期", "encoding": "gbk"}),
        ".xlsx, Excel dates": (workbook, {}),
    }


def best_time(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    record = daily_record()
    print(f"Reading and checking a 30-year daily file ({len(record)} days x "
          f"{record.shape[1]} variables); best of {args.repeat} runs")
    with tempfile.TemporaryDirectory() as folder:
        for label, (path, kwargs) in write_files(Path(folder), record).items():
            frame = data.read_daily(path, **kwargs)
            assert frame.shape == record.shape, (label, frame.shape)
            np.testing.assert_array_equal(frame.to_numpy(), record.to_numpy())
            seconds = best_time(lambda p=path, k=kwargs: data.read_daily(p, **k), args.repeat)
            size = path.stat().st_size / 1e6
            print(f"  {label:<42} {size:5.2f} MB  {seconds:6.3f} s")
    seconds = best_time(data.load_catchment, args.repeat)
    print(f"  {'monthly: load_catchment (746 months)':<42} {'':8}  {seconds:6.3f} s")


if __name__ == "__main__":
    main()
