"""The teaching catchment's truth: the answer key SHAP is checked against (notebooks 04-04c).

``data/teaching_catchment.csv`` was made by a seeded weather generator and a small
water-balance model (snow, Oudin PET, GR2M) that reads only ``precip`` and ``tmean``. Because
the process is known, its true sensitivities can be computed and compared with SHAP's readings.
The generator sits behind the door (``helpers/_kit/catchment/``; ``data/README.md`` describes
it); ``python -m helpers._kit.catchment`` regenerates the file.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from numpy.typing import ArrayLike

from helpers._kit.catchment import record as _record
from helpers._kit.catchment import truth as _truth
from helpers.config import COURSE


def true_sensitivity(record: pd.DataFrame, target_dates: ArrayLike | None = None,
                     lags: Iterable[int] = range(COURSE.window),
                     **options: object) -> pd.DataFrame:
    """Runoff's true change when one input of one month is raised by one standard deviation.

    For each variable, lag ``k`` and target month ``t``: perturb the variable in month
    ``t - k``, re-run the process model and record ``delta_runoff`` in month ``t`` (mm/month).
    Returns a tidy table (``variable``, ``lag``, ``target_date``, ``target_month``,
    ``delta_runoff``, ...); ``options``: ``delta``, ``n_std``, ``catchment``.
    """
    return _truth.true_sensitivity(record, target_dates, lags, **options)  # batched re-runs


def sensitivity_summary(sensitivity: pd.DataFrame, by: str = "lag") -> pd.DataFrame:
    """Mean absolute true sensitivity, variables (rows) by ``"lag"`` or ``"target_month"``."""
    return _truth.sensitivity_summary(sensitivity, by)  # a pivot table of |delta_runoff|


def simulate_record(record: pd.DataFrame) -> pd.DataFrame:
    """The process model's hidden states for a record: ``runoff`` (noise-free), ``pet``,
    ``snowfall``, ``liquid``, ``melt`` and the stores ``snowpack``, ``production``, ``routing``."""
    return _record.simulate_record(record)  # snow, PET and GR2M re-run from precip and tmean
