"""Real catchment records that ship inside PyPI packages, read from the installed packages.

Nothing is downloaded while the course runs and no file is copied into this repository: each
record is read where its package installed it (found through ``importlib.metadata``, without
importing the package, so lumod's numba is not needed). ``RECORDS`` describes each one — the
package, the file, its format, units, licence and the catchment area with its source — and
``load_monthly(name)`` turns it into a monthly record in the course's format with
``helpers._kit.daily``: precipitation and runoff in mm/month, temperatures in °C. The list, with
periods and variables, is in ``data/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from helpers._kit import daily
from helpers._kit.errors import DataError


@dataclass(frozen=True)
class RealRecord:
    """Where a daily record lives and how to read it.

    Attributes
    ----------
    package, version : str
        The PyPI distribution and the version the course pins.
    file : str
        Path of the CSV inside the installed distribution.
    licence : str
        The package's licence, which covers the file.
    description : str
        Catchment, period, variables.
    area_km2 : float
        Catchment area, and ``area_source``: where that number comes from.
    read : dict
        Keyword arguments of :func:`helpers._kit.daily.read_daily`.
    rename : dict
        File column -> course name (``precip``, ``tmean``, ``tmax``, ``tmin``, ``pet``,
        ``discharge``).
    flow_unit : str
        Unit of the discharge column (see :data:`helpers._kit.daily.FLOW_UNITS`).
    """

    package: str
    version: str
    file: str
    licence: str
    description: str
    area_km2: float
    area_source: str
    read: dict = field(default_factory=dict)
    rename: dict = field(default_factory=dict)
    flow_unit: str = "m3/s"


_LUMOD_COLUMNS = {"prec": "precip", "tmean": "tmean", "tmax": "tmax", "tmin": "tmin",
                  "qt": "discharge"}

RECORDS: dict[str, RealRecord] = {
    "fulda": RealRecord(
        package="spotpy", version="1.6.7", file="spotpy/examples/cmf_data/fulda_climate.csv",
        licence="MIT",
        description="Fulda (Hesse, Germany), daily 1979-1988: precipitation, tmean, tmax, tmin, "
                    "discharge",
        area_km2=2976.41,
        area_source="spotpy/examples/spot_setup_cmf_lumped.py (area = 2976.41e6 m²)",
        read={"date_format": "%d.%m.%Y", "skiprows": [1]},
        rename={"Prec": "precip", "tmean": "tmean", "tmax": "tmax", "tmin": "tmin",
                "Q": "discharge"},
    ),
    "hymod": RealRecord(
        package="spotpy", version="1.6.7", file="spotpy/examples/hymod_python/hymod_input.csv",
        licence="MIT",
        description="spotpy's hymod example catchment, daily 2012-2016: rainfall, Turc PET, "
                    "discharge (l/s; missing in 2012)",
        area_km2=1.783,
        area_source="spotpy/examples/spot_setup_hymod_python.py (1.783 km², in the factor "
                    "converting mm/day to l/s)",
        read={"date_column": "Date", "date_format": "%d.%m.%Y", "sep": ";"},
        rename={"rainfall[mm]": "precip", "TURC [mm d-1]": "pet", "Discharge[ls-1]": "discharge"},
        flow_unit="l/s",
    ),
    "lumod1": RealRecord(
        package="lumod", version="0.1.3.0", file="lumod/data/example1.csv", licence="GPL-3.0",
        description="lumod example catchment 1 (latitude 24.3°), daily 1981-2010",
        area_km2=382.0, area_source="lumod/data/attributes.csv (catchment 1)",
        read={"date_column": "Date"}, rename=_LUMOD_COLUMNS,
    ),
    "lumod2": RealRecord(
        package="lumod", version="0.1.3.0", file="lumod/data/example2.csv", licence="GPL-3.0",
        description="lumod example catchment 2 (latitude 10.5°), daily 1982-1990",
        area_km2=73.4, area_source="lumod/data/attributes.csv (catchment 2)",
        rename=_LUMOD_COLUMNS,
    ),
    "lumod3": RealRecord(
        package="lumod", version="0.1.3.0", file="lumod/data/example3.csv", licence="GPL-3.0",
        description="lumod example catchment 3 (latitude 57.0°), daily Oct 2003 - Sep 2007",
        area_km2=30.0, area_source="lumod/data/attributes.csv (catchment 3)",
        rename=_LUMOD_COLUMNS,
    ),
}

#: How each course variable is aggregated from days to months.
MONTHLY = {"precip": "sum", "pet": "sum", "tmean": "mean", "tmax": "mean", "tmin": "mean",
           "runoff": "sum"}


def package_file(package: str, file: str) -> Path:
    """Path of ``file`` inside the installed distribution ``package``, without importing it.

    Parameters
    ----------
    package : str
        Distribution name, e.g. ``"spotpy"``.
    file : str
        Path inside it, e.g. ``"spotpy/examples/cmf_data/fulda_climate.csv"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        When the package is not installed or lacks the file; the message says what to install.
    """
    try:
        distribution = metadata.distribution(package)
    except metadata.PackageNotFoundError as error:
        raise FileNotFoundError(
            f"the package {package!r} is not installed; run `make env` (or pip install the "
            "pins of requirements.txt and requirements-data.txt)"
        ) from error
    path = Path(distribution.locate_file(file))
    if not path.is_file():
        raise FileNotFoundError(
            f"{package} {distribution.version} has no file {file}; install the pinned version"
        )
    return path


def _read_daily(name: str) -> pd.DataFrame:
    """The daily record ``name`` with the course's column names; discharge still in its unit."""
    spec = _spec(name)
    frame = daily.read_daily(package_file(spec.package, spec.file), columns=list(spec.rename),
                             **spec.read)
    return frame.rename(columns=spec.rename)


def load_monthly(name: str) -> pd.DataFrame:
    """The record ``name`` as complete consecutive months: sums in mm/month, means in °C.

    Discharge becomes ``runoff`` in mm/month with the catchment area (``RECORDS[name]``); a
    month counts only when all its days are present (``helpers._kit.daily.to_monthly``), and the
    longest run of complete months is kept (``helpers._kit.daily.complete_months``).

    Returns
    -------
    pandas.DataFrame
        Indexed by month (``freq='MS'``, named ``date``); the features then ``runoff``.
    """
    spec = _spec(name)
    frame = _read_daily(name)
    frame["runoff"] = daily.discharge_to_mm(frame.pop("discharge"), spec.area_km2,
                                            spec.flow_unit)
    monthly = daily.to_monthly(frame, {c: MONTHLY[c] for c in frame.columns})
    return daily.complete_months(monthly)


def _spec(name: str) -> RealRecord:
    if name not in RECORDS:
        raise DataError(f"unknown record {name!r}; known: {', '.join(RECORDS)}")
    return RECORDS[name]
