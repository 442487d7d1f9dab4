"""The record's layout and every number the generator runs with, in three settings objects.

- :class:`WeatherSettings`: design choices of the weather generator (climatology, persistence,
  correlations, the distractors' coefficients);
- :class:`ProcessParameters`: the snow + GR2M process model, GR2M's fixed constants included;
- :class:`Catchment`: one catchment as the generator and the process model see it — its process
  parameters, its latitude and the years of spin-up — passed as one object.

The record's column names are not here: the generator takes them from ``helpers._kit.columns`` (a
lower layer), so it writes exactly the names the loader (``helpers.data``) reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from helpers._kit.columns import FEATURES, TARGET

#: Seed of the shipped record ``data/teaching_catchment.csv``: of seeds 0-39, the one whose
#: record came closest to the design targets (see ``data/README.md``).
DEFAULT_SEED = 38

#: First and last month of the record (month starts): 746 months.
START, END = "1960-01-01", "2022-02-01"

#: Latitude of the teaching catchment (degrees north): sets radiation, day length and so PET.
LATITUDE = 47.0

#: Years of weather simulated before ``START`` so the stores forget their initial values.
SPINUP_YEARS = 5

#: The only inputs the process model reads; the seven other features are distractors.
PROCESS_INPUTS = ("precip", "tmean")

#: Decimals kept in the CSV for each column.
DECIMALS = dict.fromkeys([*FEATURES, TARGET], 2) | {"climate_index": 3}

#: A seasonal cycle as (annual mean, amplitude, month of the maximum).
Cycle = tuple[float, float, float]


@dataclass(frozen=True)
class ProcessParameters:
    """Parameters of the snow + GR2M process model.

    Attributes
    ----------
    x1 : float
        Capacity of the GR2M production (soil) store, mm.
    x2 : float
        GR2M routing-store coefficient (< 1 means water leaves the catchment), -.
    t_snow : float
        Temperature (°C) at or below which all precipitation is snow.
    t_rain : float
        Temperature (°C) at or above which all precipitation is rain.
    melt_max : float
        Largest share of the snowpack that can melt in one month, -.
    initial_fill : float
        Initial content of both GR2M stores as a share of ``x1``.
    tanh_limit : float
        GR2M's cap on ``P/X1`` and ``E/X1`` inside ``tanh`` (``tanh(13)`` is 1 in float64).
    routing_constant : float
        GR2M's routing-store constant, mm: ``Q = R2² / (R2 + routing_constant)``. Mouelhi et
        al. (2006) fix it at 60 mm; a larger value empties the store more slowly (more memory).
    """

    x1: float = 380.0
    x2: float = 0.92
    t_snow: float = -1.0
    t_rain: float = 3.3
    melt_max: float = 0.5
    initial_fill: float = 0.3
    tanh_limit: float = 13.0
    routing_constant: float = 60.0


@dataclass(frozen=True)
class Catchment:
    """One catchment as the generator and the process model see it.

    Attributes
    ----------
    process : ProcessParameters
        Snow and GR2M parameters.
    latitude : float
        Degrees north: radiation, day length, hence PET and sunshine hours.
    spinup_years : int
        Years run before the record so that the stores forget their initial values.
    """

    process: ProcessParameters = field(default_factory=ProcessParameters)
    latitude: float = LATITUDE
    spinup_years: int = SPINUP_YEARS

    def __post_init__(self) -> None:
        if not -90 < self.latitude < 90:
            raise ValueError(f"latitude must be strictly between -90 and 90, got {self.latitude}")
        if self.spinup_years < 0:
            raise ValueError(f"spinup_years must be >= 0, got {self.spinup_years}")


@dataclass(frozen=True)
class WeatherSettings:
    """Design choices of the weather generator (not physics: tuned to a plausible climate).

    Seasonal means follow ``mean + amplitude * cos(2 pi (month - peak) / 12)``; a ``Cycle`` is
    ``(mean, amplitude, peak)``.

    Attributes
    ----------
    t_mean, t_amplitude, t_peak : float
        Temperature climatology (°C, °C, month of the maximum).
    t_sd_winter, t_sd_summer : float
        Standard deviation (°C) of monthly temperature anomalies in January and July.
    p_mean, p_amplitude, p_peak : float
        Precipitation climatology (mm/month, mm/month, month of the maximum).
    p_cv : float
        Coefficient of variation of monthly precipitation (Gamma distribution).
    phi_t, phi_p, phi_cloud : float
        Lag-1 autocorrelation of the temperature, precipitation and cloudiness anomalies.
    corr_p_cloud, corr_t_p, corr_t_cloud : float
        Correlations of the innovations of those anomalies.
    phi_index, index_period_years : float
        Climate index: AR(1) coefficient and period of its added sine.
    index_p_effect, index_t_effect : float
        Shift per standard deviation of the climate index: relative precipitation (-), °C.
    warming : float
        Linear temperature trend, °C per year, zero in ``trend_reference_year``.
    trend_reference_year : float
        Year in which the trend term is zero (middle of the record).
    runoff_noise : float
        Standard deviation of the multiplicative (log-normal) observation noise on runoff.
    dtr_cycle, dtr_per_cloud, dtr_noise, dtr_min : Cycle, float, float, float
        Diurnal temperature range (°C): its cycle, its change per unit of cloudiness anomaly,
        its noise and its floor.
    humidity_cycle, humidity_per_cloud, humidity_noise, humidity_range : Cycle, float, ...
        Relative humidity (%): cycle, cloudiness effect, noise, and the range it is clipped to.
    sun_cycle, sun_per_cloud, sun_noise, sun_range : Cycle, float, float, tuple
        Sunny share of the astronomical day length (-): cycle, cloudiness effect, noise, range.
    wind_cycle, wind_phi, wind_sd, wind_min : Cycle, float, float, float
        Wind speed (m/s): cycle, lag-1 autocorrelation and size of its anomaly, floor.
    """

    t_mean: float = 5.3
    t_amplitude: float = 10.5
    t_peak: float = 7.5
    t_sd_winter: float = 2.4
    t_sd_summer: float = 1.3
    p_mean: float = 83.0
    p_amplitude: float = 25.0
    p_peak: float = 7.0
    p_cv: float = 0.55
    phi_t: float = 0.3
    phi_p: float = 0.1
    phi_cloud: float = 0.1
    corr_p_cloud: float = 0.75
    corr_t_p: float = 0.0
    corr_t_cloud: float = -0.2
    phi_index: float = 0.95
    index_period_years: float = 7.0
    index_p_effect: float = 0.12
    index_t_effect: float = 0.5
    warming: float = 0.025
    trend_reference_year: float = 1991.0
    runoff_noise: float = 0.07
    dtr_cycle: Cycle = (8.5, 2.5, 7)
    dtr_per_cloud: float = -1.5
    dtr_noise: float = 0.7
    dtr_min: float = 1.5
    humidity_cycle: Cycle = (76, -8, 7)
    humidity_per_cloud: float = 5
    humidity_noise: float = 3
    humidity_range: tuple[float, float] = (35, 99)
    sun_cycle: Cycle = (0.40, 0.12, 7)
    sun_per_cloud: float = -0.09
    sun_noise: float = 0.03
    sun_range: tuple[float, float] = (0.05, 0.9)
    wind_cycle: Cycle = (3.0, 0.5, 1)
    wind_phi: float = 0.3
    wind_sd: float = 0.45
    wind_min: float = 0.5


#: The teaching catchment's process parameters (the defaults of the process-model functions).
TEACHING_PROCESS = ProcessParameters()

#: The teaching catchment: GR2M as published, 47° N, five years of spin-up.
TEACHING_CATCHMENT = Catchment()

#: The weather generator's settings for the teaching catchment.
TEACHING_WEATHER = WeatherSettings()
