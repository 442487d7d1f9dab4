"""The process model: snow (McCabe & Markstrom 2007), PET (Oudin et al. 2005), GR2M runoff.

All water in mm/month. Every function works on a leading batch axis, so many perturbed runs
(the true sensitivities) go through the model at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from helpers._kit.catchment.settings import LATITUDE, TEACHING_PROCESS, ProcessParameters
from helpers._kit.catchment.sun import extraterrestrial_radiation, mid_month_day_of_year


def snow_fraction(tmean: ArrayLike, params: ProcessParameters = TEACHING_PROCESS) -> np.ndarray:
    """Share of precipitation falling as snow: 1 at or below ``t_snow``, 0 at or above ``t_rain``.

    Linear in between (McCabe & Markstrom 2007).
    """
    tmean = np.asarray(tmean, dtype=float)
    return np.clip((params.t_rain - tmean) / (params.t_rain - params.t_snow), 0.0, 1.0)


def snow_step(
    pack: ArrayLike,
    precip: ArrayLike,
    tmean: ArrayLike,
    params: ProcessParameters = TEACHING_PROCESS,
) -> tuple[np.ndarray, np.ndarray]:
    """One month of the snow model.

    Snowfall ``fs * P`` joins the pack, then a share ``min(1 - fs, melt_max)`` of the pack
    melts.

    Parameters
    ----------
    pack : array_like
        Snowpack at the start of the month, mm water equivalent.
    precip, tmean : array_like
        Precipitation (mm) and mean temperature (°C) of the month.
    params : ProcessParameters

    Returns
    -------
    pack : numpy.ndarray
        Snowpack at the end of the month, mm.
    liquid : numpy.ndarray
        Rain plus melt reaching the soil, mm.
    """
    fs = snow_fraction(tmean, params)
    pack = pack + fs * precip
    melt = np.minimum(1 - fs, params.melt_max) * pack
    return pack - melt, (1 - fs) * precip + melt


def oudin_pet(tmean: ArrayLike, radiation: ArrayLike, days: ArrayLike) -> np.ndarray:
    """Potential evapotranspiration (mm per period), Oudin et al. (2005).

    ``0.408 * Ra * (T + 5) / 100`` mm/day when ``T > -5 °C``, else 0, times ``days``.

    Parameters
    ----------
    tmean : array_like
        Mean temperature, °C.
    radiation : array_like
        Extraterrestrial radiation ``Ra``, MJ m-2 day-1 (0.408 = 1 / latent heat, mm per MJ m-2).
    days : array_like
        Number of days in the period.

    Returns
    -------
    numpy.ndarray
    """
    tmean = np.asarray(tmean, dtype=float)
    daily = 0.408 * np.asarray(radiation) * (tmean + 5) / 100
    return np.where(tmean > -5, daily, 0.0) * np.asarray(days)


def gr2m_step(
    production: ArrayLike,
    routing: ArrayLike,
    liquid: ArrayLike,
    pet: ArrayLike,
    params: ProcessParameters = TEACHING_PROCESS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One month of GR2M (Mouelhi et al. 2006).

    Parameters
    ----------
    production, routing : array_like
        Contents of the production store ``S`` and the routing store ``R`` (mm), start of month.
    liquid : array_like
        Water reaching the soil (rain + melt), mm.
    pet : array_like
        Potential evapotranspiration, mm.
    params : ProcessParameters
        ``x1`` (production-store capacity, mm), ``x2`` (routing coefficient) and GR2M's
        constants ``tanh_limit`` and ``routing_constant``.

    Returns
    -------
    production, routing, runoff : numpy.ndarray
        Stores at the end of the month and the month's runoff, mm.
    """
    x1, x2, limit = params.x1, params.x2, params.tanh_limit
    s = np.asarray(production, dtype=float)
    phi = np.tanh(np.minimum(liquid / x1, limit))
    s1 = (s + x1 * phi) / (1 + phi * s / x1)  # rain fills the soil store
    p1 = liquid + s - s1  # the part that does not
    psi = np.tanh(np.minimum(pet / x1, limit))
    s2 = s1 * (1 - psi) / (1 + psi * (1 - s1 / x1))  # evaporation from the soil store
    s_end = s2 / (1 + (s2 / x1) ** 3) ** (1 / 3)  # percolation
    p3 = p1 + (s2 - s_end)
    r2 = x2 * (routing + p3)  # x2 < 1: water lost to the outside of the catchment
    runoff = r2**2 / (r2 + params.routing_constant)
    return s_end, r2 - runoff, runoff


def initial_state(params: ProcessParameters = TEACHING_PROCESS, batch: int = 1) -> dict:
    """Default stores: no snow, both GR2M stores at ``initial_fill * x1``; arrays of ``batch``."""
    fill = params.initial_fill * params.x1
    return {
        "snowpack": np.zeros(batch),
        "production": np.full(batch, fill),
        "routing": np.full(batch, fill),
    }


def process_drivers(
    dates: pd.DatetimeIndex, latitude: float = LATITUDE
) -> tuple[np.ndarray, np.ndarray]:
    """Mid-month extraterrestrial radiation (MJ m-2 day-1) and days in month for ``dates``."""
    radiation = extraterrestrial_radiation(latitude, mid_month_day_of_year(dates))
    return radiation, dates.days_in_month.to_numpy().astype(float)


def run_process_model(
    precip: ArrayLike,
    tmean: ArrayLike,
    radiation: ArrayLike,
    days: ArrayLike,
    params: ProcessParameters = TEACHING_PROCESS,
    state: Mapping | None = None,
) -> dict:
    """Run snow, PET and GR2M through time, for one or many input series at once.

    The loop runs over months; each step works on the whole batch with NumPy.

    Parameters
    ----------
    precip, tmean : array_like, shape (n,) or (batch, n)
        Precipitation (mm/month, negative values are set to 0) and mean temperature (°C).
    radiation, days : array_like
        Extraterrestrial radiation (MJ m-2 day-1) and days per month, broadcastable to the
        shape of ``precip`` (e.g. shape (n,) from :func:`process_drivers`).
    params : ProcessParameters
    state : mapping, optional
        Start stores ``snowpack``, ``production``, ``routing`` (scalars or shape (batch,));
        default :func:`initial_state`.

    Returns
    -------
    dict of numpy.ndarray
        ``runoff``, ``pet``, ``liquid`` (rain + melt), and the end-of-month stores ``snowpack``,
        ``production``, ``routing``; each with the shape of ``precip``.
    """
    precip, tmean = np.asarray(precip, dtype=float), np.asarray(tmean, dtype=float)
    if precip.shape != tmean.shape or precip.ndim not in (1, 2):
        raise ValueError(
            "precip and tmean must have the same shape, (n,) or (batch, n); "
            f"got {precip.shape} and {tmean.shape}"
        )
    p2, t2 = np.atleast_2d(np.clip(precip, 0, None)), np.atleast_2d(tmean)
    pet = oudin_pet(t2, np.broadcast_to(radiation, t2.shape), np.broadcast_to(days, t2.shape))
    # time-major, contiguous copies: row t holds month t of every run in the batch
    p_t, t_t, e_t = (np.ascontiguousarray(a.T) for a in (p2, t2, pet))
    start = initial_state(params) if state is None else state
    stores = {
        k: np.array(np.broadcast_to(start[k], p_t.shape[1]), dtype=float)
        for k in ("snowpack", "production", "routing")
    }
    out = {k: np.empty_like(p_t) for k in ("runoff", "liquid", *stores)}
    for t in range(p_t.shape[0]):
        stores["snowpack"], out["liquid"][t] = snow_step(stores["snowpack"], p_t[t], t_t[t], params)
        stores["production"], stores["routing"], out["runoff"][t] = gr2m_step(
            stores["production"], stores["routing"], out["liquid"][t], e_t[t], params
        )
        for k, v in stores.items():
            out[k][t] = v
    out["pet"] = e_t
    return {k: (v.T[0] if precip.ndim == 1 else v.T) for k, v in out.items()}


