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

Import the names from these modules; the course's face is ``helpers/catchment.py``.

Columns, units, roles and references: ``data/README.md``.
"""
