"""The teaching catchment: a synthetic monthly record whose runoff process is known.

A seeded weather generator produces nine monthly climate variables; a small water-balance model
turns two of them (``precip`` and ``tmean``) into runoff. Because the process is known, the
course can compare what SHAP says with the truth (:func:`true_sensitivity`).

The process model, in the order it runs each month (all water in mm/month):

1. Snow, McCabe & Markstrom (2007, USGS OFR 2007-1088): the snow fraction of precipitation
   falls linearly from 1 at ``t_snow`` to 0 at ``t_rain``; a share ``min(1 - fs, melt_max)`` of
   the pack melts.
2. Potential evapotranspiration, Oudin et al. (2005): ``0.408 Ra (T + 5) / 100`` mm/day when
   ``T > -5 °C``, with ``Ra`` the extraterrestrial radiation of FAO-56 (Allen et al. 1998).
3. GR2M, Mouelhi et al. (2006): a production (soil) store and a routing store.

The modules, by job (lowest first)
----------------------------------
- ``settings``  the three settings objects: ``WeatherSettings``,
  ``ProcessParameters``, and ``Catchment`` (process parameters + latitude + spin-up)
- ``sun``       month starts, seasonal cycles, radiation and day length (FAO-56)
- ``weather``   the weather generator
- ``process``   snow, PET and GR2M, vectorised over a batch of runs
- ``record``    generating, writing and re-simulating a record
- ``truth``     the true sensitivities SHAP is checked against
- ``cli``       ``python -m helpers._kit.catchment`` (``make data``)

Columns, units, roles and references: ``data/README.md``.
"""

from helpers._kit.catchment.cli import main
from helpers._kit.catchment.process import (
    gr2m_step,
    initial_state,
    oudin_pet,
    process_drivers,
    run_process_model,
    snow_fraction,
    snow_step,
)
from helpers._kit.catchment.record import (
    as_record,
    file_sha256,
    generate_catchment,
    record_summary,
    round_record,
    simulate_record,
    start_states,
    write_record,
)
from helpers._kit.catchment.settings import (
    DECIMALS,
    DEFAULT_SEED,
    END,
    LATITUDE,
    PROCESS_INPUTS,
    SPINUP_YEARS,
    START,
    TEACHING_CATCHMENT,
    TEACHING_PROCESS,
    TEACHING_WEATHER,
    Catchment,
    ProcessParameters,
    WeatherSettings,
)
from helpers._kit.catchment.sun import (
    daylight_hours,
    extraterrestrial_radiation,
    mid_month_day_of_year,
    monthly_dates,
    saturation_vapour_pressure,
    seasonal_cycle,
)
from helpers._kit.catchment.truth import perturbation_sizes, sensitivity_summary, true_sensitivity
from helpers._kit.catchment.weather import (
    climate_index_series,
    correlated_ar1,
    gamma_from_normal,
    generate_weather,
)
from helpers._kit.columns import DATE_COLUMN, FEATURES, TARGET

__all__ = [
    "DATE_COLUMN", "DECIMALS", "DEFAULT_SEED", "END", "FEATURES", "LATITUDE", "PROCESS_INPUTS",
    "SPINUP_YEARS", "START", "TARGET", "TEACHING_CATCHMENT", "TEACHING_PROCESS",
    "TEACHING_WEATHER", "Catchment", "ProcessParameters", "WeatherSettings",
    "as_record", "climate_index_series", "correlated_ar1", "daylight_hours",
    "extraterrestrial_radiation", "file_sha256", "gamma_from_normal", "generate_catchment",
    "generate_weather", "gr2m_step", "initial_state", "main", "mid_month_day_of_year",
    "monthly_dates", "oudin_pet", "perturbation_sizes", "process_drivers", "record_summary",
    "round_record", "run_process_model", "saturation_vapour_pressure", "seasonal_cycle",
    "sensitivity_summary", "simulate_record", "snow_fraction", "snow_step", "start_states",
    "true_sensitivity", "write_record",
]
