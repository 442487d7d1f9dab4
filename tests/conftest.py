"""Fixtures shared by several test files."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def record():
    """120 months of three inputs and a target that depends on the last two months."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2000-01-01", periods=120, freq="MS", name="date")
    frame = pd.DataFrame(rng.normal(size=(120, 3)), index=dates, columns=["a", "b", "c"])
    frame["q"] = frame["a"] + 0.5 * frame["a"].shift(1).fillna(0) + 0.1 * rng.normal(size=120)
    return frame
