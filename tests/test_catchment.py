"""Tests of the teaching catchment: generator statistics, process model, true sensitivity.

The generator is tested by summary statistics within tolerances, not byte equality: NumPy's
random streams are stable for one version only. The committed CSV is the reference.
"""

import re
import time

import numpy as np
import pandas as pd
import pytest

from helpers import catchment, config
from helpers._kit.catchment import cli as kit_cli
from helpers._kit.catchment import process, settings, sun
from helpers._kit.catchment import record as kit_record
from helpers._kit.catchment import truth as kit_truth
from helpers._kit.columns import DATE_COLUMN, FEATURES, TARGET

DISTRACTORS = [v for v in FEATURES if v not in settings.PROCESS_INPUTS]
N_TEST = 150  # about the test period of the course (last 20 % of the windows)


# ------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def record():
    """A fresh record from the default seed, indexed by date."""
    return kit_record.as_record(kit_record.generate_catchment())


@pytest.fixture(scope="module")
def committed():
    """The shipped CSV, read the way the course reads it (DatetimeIndex named date)."""
    return pd.read_csv(config.CATCHMENT_CSV, parse_dates=[DATE_COLUMN], index_col=DATE_COLUMN)


@pytest.fixture(scope="module")
def sensitivity(committed):
    """True sensitivity for the last N_TEST months of the shipped record."""
    return catchment.true_sensitivity(committed, target_dates=committed.index[-N_TEST:])


def anomalies(frame):
    """Departures from each calendar month's mean."""
    return frame - frame.groupby(frame.index.month).transform("mean")


# ------------------------------------------------------------------------------- generator
def test_record_shape_dates_and_columns(record):
    raw = kit_record.generate_catchment()
    assert list(raw.columns) == [DATE_COLUMN, *FEATURES, TARGET]
    assert len(record) == 746
    assert record.index[0] == pd.Timestamp("1960-01-01")
    assert record.index[-1] == pd.Timestamp("2022-02-01")
    assert record.index.equals(pd.date_range("1960-01-01", "2022-02-01", freq="MS"))
    assert not record.isna().any().any()


@pytest.mark.parametrize("seed", [settings.DEFAULT_SEED, 1, 2])
def test_water_balance_matches_design(seed):
    summary = kit_record.record_summary(kit_record.generate_catchment(seed=seed))
    assert 930 <= summary["precip_mm_per_year"] <= 1060
    assert 470 <= summary["pet_mm_per_year"] <= 525
    assert 440 <= summary["runoff_mm_per_year"] <= 570
    assert 0.45 <= summary["runoff_ratio"] <= 0.55
    assert 0.24 <= summary["snow_share"] <= 0.32
    assert summary["runoff_peak_month"] == 5  # snowmelt
    assert summary["snowpack_peak_month"] == 3
    assert 0.45 <= summary["runoff_lag1_autocorr"] <= 0.7


def test_temperature_climate_and_trend(record):
    monthly = record["tmean"].groupby(record.index.month).mean()
    assert -7 <= monthly[1] <= -3 and 14 <= monthly[7] <= 18
    annual = record["tmean"].groupby(record.index.year).mean().iloc[:-1]  # 2022 is 2 months
    slope = np.polyfit(annual.index, annual.to_numpy(), 1)[0]
    assert 0.01 <= slope <= 0.04  # design: +0.025 °C/yr


def test_distractors_are_tied_to_their_causal_variable(record):
    assert record["tmax"].corr(record["tmean"]) >= 0.9
    assert record["tmin"].corr(record["tmean"]) >= 0.9
    assert (record["tmax"] > record["tmin"]).all()
    a = anomalies(record)
    assert a["sunshine"].corr(a["precip"]) < -0.5
    assert a["rel_humidity"].corr(a["precip"]) > 0.45
    expected_vp = record["rel_humidity"] / 100 * sun.saturation_vapour_pressure(record["tmean"])
    np.testing.assert_allclose(record["vapour_pressure"], expected_vp, atol=0.02)
    others = a.drop(columns=["wind"]).corrwith(a["wind"]).abs()
    assert (others < 0.15).all(), others


def test_climate_index_is_a_persistent_upstream_driver(record):
    index = record["climate_index"]
    assert abs(index.mean()) < 0.15 and 0.85 < index.std() < 1.15
    assert index.autocorr(1) > 0.85
    a = anomalies(record)
    assert a["precip"].corr(index) > 0.1 and a["tmean"].corr(index) > 0.1


def test_runoff_noise_is_five_to_ten_percent(record):
    truth = kit_record.simulate_record(record)["runoff"]
    log_ratio = np.log(record[TARGET] / truth).loc["1965":]  # after the spin-up differences
    log_ratio = log_ratio[truth.loc["1965":] > 5]  # rounding to 0.01 mm dominates below
    assert 0.05 <= log_ratio.std() <= 0.10
    assert abs(log_ratio.mean()) < 0.02


def test_same_seed_same_record_other_seed_other_record():
    pd.testing.assert_frame_equal(kit_record.generate_catchment(seed=5),
                                  kit_record.generate_catchment(seed=5))
    a, b = kit_record.generate_catchment(seed=5), kit_record.generate_catchment(seed=6)
    assert not np.allclose(a["precip"], b["precip"])
    assert not np.allclose(a[TARGET], b[TARGET])


@pytest.mark.parametrize("kwargs", [{"seed": -1}, {"seed": 1.5}, {"seed": "1"},
                                    {"start": "2000-01-01", "end": "1999-01-01"}])
def test_generator_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=r"seed must|no month start"):
        kit_record.generate_catchment(**kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [({"spinup_years": -1}, "spinup_years must"),
                                                 ({"latitude": 91.0}, "latitude must")])
def test_catchment_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        settings.Catchment(**kwargs)


def test_generator_columns_are_the_loaders():
    """The generator defines the columns it writes; the loader must read the same names."""
    from helpers import data

    assert FEATURES == data.FEATURES and TARGET == data.TARGET
    assert DATE_COLUMN == data.DATE_COLUMN


def test_one_catchment_object_reaches_every_step(committed):
    """A Catchment with other parameters changes simulation, truth and summary alike."""
    slow = settings.Catchment(process=settings.ProcessParameters(routing_constant=200.0))
    fast = kit_record.simulate_record(committed)
    slow_run = kit_record.simulate_record(committed, slow)
    assert slow_run["routing"].mean() > fast["routing"].mean()
    assert kit_record.record_summary(committed, slow)["pet_mm_per_year"] == pytest.approx(
        kit_record.record_summary(committed)["pet_mm_per_year"])
    targets = committed.index[-24:]
    memory = [catchment.true_sensitivity(committed, targets, lags=[0, 6], catchment=k)
              .query("variable == 'precip'").groupby("lag")["delta_runoff"].mean()
              for k in (settings.TEACHING_CATCHMENT, slow)]
    assert memory[1][6] / memory[1][0] > memory[0][6] / memory[0][0]


def test_melt_closes_the_snow_balance(committed):
    sim = kit_record.simulate_record(committed)
    rain = committed["precip"] - sim["snowfall"]
    np.testing.assert_allclose(sim["liquid"], rain + sim["melt"], atol=1e-9)
    assert (sim["melt"] >= -1e-9).all() and sim["melt"].sum() > 0


# ------------------------------------------------------------------------------- process model
def test_snow_fraction_limits():
    t = np.array([-10.0, -1.0, 1.15, 3.3, 10.0])
    np.testing.assert_allclose(process.snow_fraction(t), [1, 1, 0.5, 0, 0])


def test_snow_step_cold_stores_everything_warm_melts_half():
    pack, liquid = process.snow_step(np.array([100.0]), np.array([40.0]), np.array([-3.0]))
    assert pack[0] == 140 and liquid[0] == 0
    pack, liquid = process.snow_step(np.array([100.0]), np.array([40.0]), np.array([8.0]))
    assert pack[0] == 50 and liquid[0] == 90  # all rain, melt = 0.5 * pack


def test_snow_step_melt_share_between_the_thresholds():
    # T = 0.075 °C: fs = (3.3 - 0.075) / 4.3 = 0.75, so a share 1 - fs = 0.25 of the pack melts
    pack, liquid = process.snow_step(np.array([100.0]), np.array([0.0]), np.array([0.075]))
    assert pack[0] == pytest.approx(75) and liquid[0] == pytest.approx(25)
    # T = 2.44 °C: fs = 0.2; the share 0.8 is capped at melt_max = 0.5
    pack, liquid = process.snow_step(np.array([100.0]), np.array([0.0]), np.array([2.44]))
    assert pack[0] == pytest.approx(50) and liquid[0] == pytest.approx(50)


def test_snow_step_conserves_water():
    rng = np.random.default_rng(0)
    pack0, precip, tmean = rng.uniform(0, 200, 50), rng.uniform(0, 150, 50), rng.uniform(-8, 8, 50)
    pack, liquid = process.snow_step(pack0, precip, tmean)
    np.testing.assert_allclose(pack0 + precip, pack + liquid)
    assert (pack >= 0).all() and (liquid >= 0).all()


def test_oudin_pet_hand_values():
    cold = process.oudin_pet(np.array([-5.5, -5.0, -12.0]), 30.0, 31)
    np.testing.assert_array_equal(cold, 0.0)  # never negative below -5 °C
    # 0.408 * 30 MJ m-2 d-1 * (T + 5) / 100 * 30 days
    assert process.oudin_pet(15.0, 30.0, 30) == pytest.approx(73.44)
    assert process.oudin_pet(-4.0, 30.0, 30) == pytest.approx(3.672)


def test_radiation_and_day_length_match_fao56_examples():
    # FAO-56 examples 8 and 9: 20 °S, 3 September (day 246)
    assert sun.extraterrestrial_radiation(-20, 246) == pytest.approx(32.2, abs=0.1)
    assert sun.daylight_hours(-20, 246) == pytest.approx(11.7, abs=0.05)
    with pytest.raises(ValueError, match="latitude must be strictly between"):
        sun.extraterrestrial_radiation(95, 100)


def test_gr2m_water_balance_closes_without_evaporation():
    rng = np.random.default_rng(1)
    s, r, p = rng.uniform(0, 380, 20), rng.uniform(0, 200, 20), rng.uniform(0, 300, 20)
    s1, r1, q = process.gr2m_step(s, r, p, np.zeros(20))
    loss = (1 - 0.92) / 0.92 * (r1 + q)  # what x2 < 1 sends out of the catchment
    np.testing.assert_allclose(p + s + r, s1 + r1 + q + loss)
    s1, r1, q = process.gr2m_step(s, r, p, np.zeros(20), settings.ProcessParameters(x2=1.0))
    np.testing.assert_allclose(p + s + r, s1 + r1 + q)


def test_gr2m_huge_rain_fills_the_soil_store():
    # phi = tanh(13) = 1: S1 = X1, then percolation leaves X1 / 2^(1/3)
    s, r, q = process.gr2m_step(0.0, 0.0, 20 * 380.0, 0.0)
    assert s == pytest.approx(380 / 2 ** (1 / 3))
    assert np.isfinite(r) and q > 0


def test_gr2m_more_rain_more_runoff_more_pet_less_runoff():
    q = [process.gr2m_step(150.0, 50.0, p, 50.0)[2] for p in (0.0, 50.0, 100.0)]
    assert q[0] < q[1] < q[2]
    q = [process.gr2m_step(150.0, 50.0, 80.0, e)[2] for e in (0.0, 50.0, 100.0)]
    assert q[0] > q[1] > q[2]


def test_no_rain_stores_drain():
    n = 36
    run = process.run_process_model(np.zeros(n), np.full(n, 10.0), np.full(n, 20.0), 30.0)
    storage = run["production"] + run["routing"]
    assert (np.diff(storage) < 0).all()
    assert (run["runoff"] > 0).all() and run["runoff"][-1] < 0.5 * run["runoff"][0]
    assert (np.diff(run["runoff"][3:]) < 0).all()


def test_batch_rows_do_not_mix():
    rng = np.random.default_rng(2)
    precip, tmean = rng.gamma(3, 30, (4, 24)), rng.normal(5, 8, (4, 24))
    radiation, days = process.process_drivers(sun.monthly_dates("2000-01-01", "2001-12-01"))
    batch = process.run_process_model(precip, tmean, radiation, days)
    for i in range(4):
        single = process.run_process_model(precip[i], tmean[i], radiation, days)
        for name in ("runoff", "pet", "snowpack", "production", "routing"):
            np.testing.assert_allclose(batch[name][i], single[name], rtol=0, atol=1e-12)


def test_process_model_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        process.run_process_model(np.zeros(5), np.zeros(6), 20.0, 30.0)
    with pytest.raises(ValueError, match="same shape"):
        process.run_process_model(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), 20.0, 30.0)


# ------------------------------------------------------------------------------- true sensitivity
def test_sensitivity_shape_and_columns(sensitivity, committed):
    assert {"variable", "lag", "target_date", "target_month", "delta_runoff"} <= set(
        sensitivity.columns)
    assert len(sensitivity) == len(FEATURES) * 12 * N_TEST
    assert list(sensitivity["variable"].unique()) == FEATURES
    assert set(sensitivity["lag"]) == set(range(12))
    assert (sensitivity["target_month"] == sensitivity["target_date"].dt.month).all()
    assert set(sensitivity["target_date"]) == set(committed.index[-N_TEST:])


def test_distractors_exactly_zero_causal_not(sensitivity):
    by_var = sensitivity.groupby("variable", observed=True)["delta_runoff"]
    assert (by_var.apply(lambda d: (d == 0).all())[DISTRACTORS]).all()
    assert (by_var.apply(lambda d: (d.abs() > 0).mean())[list(settings.PROCESS_INPUTS)] > 0.5).all()


def test_precipitation_dominates_and_decays_with_lag(sensitivity):
    table = kit_truth.sensitivity_summary(sensitivity, by="lag")
    precip = table.loc["precip"]
    assert precip.sum() > 2 * table.loc["tmean"].sum()
    assert precip[0] == precip.max()
    assert precip[0] > precip[3] > precip[6] > precip[11]
    assert 0.55 <= precip[[0, 1, 2]].sum() / precip.sum() <= 0.85  # design: about 2/3
    precip_rows = sensitivity[sensitivity["variable"] == "precip"]
    assert (precip_rows["delta_runoff"] >= -1e-9).all()  # more rain never less runoff
    assert (precip_rows.loc[precip_rows["lag"] == 0, "delta_runoff"].mean()) > 0


def test_spring_runoff_remembers_winter_precipitation(sensitivity):
    precip = sensitivity[sensitivity["variable"] == "precip"]
    may = precip[precip["target_month"] == 5].groupby("lag")["delta_runoff"].mean()
    winter = may[[2, 3, 4, 5]].sum()  # December to March
    assert winter >= 0.5 * may[0]
    july = precip[precip["target_month"] == 7].groupby("lag")["delta_runoff"].mean()
    assert july[[2, 3, 4, 5]].sum() < winter  # no snow memory in summer


def test_temperature_sign_depends_on_season(sensitivity):
    tmean = sensitivity[sensitivity["variable"] == "tmean"]
    mean = tmean.groupby(["target_month", "lag"])["delta_runoff"].mean()
    assert mean[(3, 0)] > 0  # warm March: melt now
    assert mean[(5, 2)] < 0  # warm March: less snow left for May
    assert mean[(7, 0)] < 0  # warm July: more evapotranspiration


def test_batched_restart_equals_full_rerun(committed):
    target = committed.index[-20]
    sens = catchment.true_sensitivity(committed, target_dates=[target], lags=[0, 4, 9])
    sizes = kit_truth.perturbation_sizes(committed)
    base = kit_record.simulate_record(committed)["runoff"]
    for variable in ("precip", "tmean"):
        for lag in (0, 4, 9):
            perturbed = committed.copy()
            month = committed.index[-20 - lag]
            perturbed.loc[month, variable] += sizes.loc[month, variable]
            expected = kit_record.simulate_record(perturbed)["runoff"][target] - base[target]
            got = sens.query("variable == @variable and lag == @lag")["delta_runoff"].item()
            assert got == pytest.approx(expected, abs=1e-9)


def test_sensitivity_accepts_date_column_and_index(committed):
    targets = committed.index[-3:]
    with_index = catchment.true_sensitivity(committed, target_dates=targets, lags=[0, 1])
    with_column = catchment.true_sensitivity(committed.reset_index(), target_dates=targets,
                                             lags=[0, 1])
    pd.testing.assert_frame_equal(with_index, with_column)


def test_sensitivity_options(committed):
    targets = committed.index[-12:]
    minus = catchment.true_sensitivity(committed, target_dates=targets, lags=[0], n_std=-1.0)
    assert minus.loc[minus["variable"] == "precip", "delta_runoff"].mean() < 0
    delta = dict.fromkeys(FEATURES, 1.0)
    fixed = catchment.true_sensitivity(committed, target_dates=targets, lags=[0], delta=delta)
    assert (fixed["input_delta"] == 1.0).all()
    first = catchment.true_sensitivity(committed, target_dates=committed.index[:2], lags=range(12))
    assert set(first["lag"]) == {0, 1}  # perturbed months before the record are left out


@pytest.mark.parametrize("kwargs", [{"lags": [-1, 0]}, {"lags": []}, {"lags": [0.5]},
                                    {"target_dates": ["1900-01-01"]},
                                    {"delta": {"precip": 1.0}}])
def test_sensitivity_rejects_bad_arguments(committed, kwargs):
    with pytest.raises(ValueError, match=r"lags must|target_dates must|delta must give"):
        catchment.true_sensitivity(committed, **kwargs)


def test_sensitivity_rejects_incomplete_record(committed):
    with pytest.raises(ValueError, match="lacks the columns"):
        catchment.true_sensitivity(committed.drop(columns=["wind"]))
    with pytest.raises(ValueError, match="consecutive month starts"):
        catchment.true_sensitivity(committed.iloc[::2])  # not consecutive months
    with pytest.raises(ValueError, match="by must be"):
        catchment.sensitivity_summary(catchment.true_sensitivity(committed.iloc[:24], lags=[0]),
                                      by="year")


def test_sensitivity_is_fast(committed):
    start = time.perf_counter()
    catchment.true_sensitivity(committed, target_dates=committed.index[-N_TEST:])
    assert time.perf_counter() - start < 10  # a fraction of a second on a laptop


# ------------------------------------------------------------------------------- shipped CSV
def test_committed_checksum_matches_data_dictionary():
    readme = (config.DATA_DIR / "README.md").read_text(encoding="utf-8")
    documented = re.findall(r"SHA-256.*?\b([0-9a-f]{64})\b", readme)
    assert documented, "data/README.md must state the SHA-256 checksum of the CSV"
    assert kit_record.file_sha256(config.CATCHMENT_CSV) == documented[0]


def test_committed_csv_matches_fresh_generation(committed, record):
    """Statistics, not bytes. If this fails after a NumPy upgrade, the random stream changed:
    the committed CSV stays the reference (see data/README.md)."""
    assert list(committed.columns) == [*FEATURES, TARGET]
    assert committed.index.equals(record.index)
    np.testing.assert_allclose(committed.mean(), record.mean(), rtol=5e-3, atol=1e-3)
    np.testing.assert_allclose(committed.std(), record.std(), rtol=5e-3, atol=1e-3)
    by_month = committed[TARGET].groupby(committed.index.month).mean()
    np.testing.assert_allclose(by_month, record[TARGET].groupby(record.index.month).mean(),
                               rtol=1e-2)


def test_command_line_writes_csv_and_prints_checksum(tmp_path, capsys):
    out = tmp_path / "catchment.csv"
    assert kit_cli.main(["--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"SHA-256 {kit_record.file_sha256(out)}" in printed
    assert "runoff_ratio" in printed
    written = pd.read_csv(out, parse_dates=[DATE_COLUMN])
    assert list(written.columns) == [DATE_COLUMN, *FEATURES, TARGET] and len(written) == 746
