"""The README's Chinese case runs as written: a GBK CSV with Chinese headers to a figure.

The block of "Chinese spreadsheets, encodings and workbooks" (the same in both READMEs, which
``tests/test_docs.py`` checks) saves the teaching record as a Chinese Excel saves CSV, reads
it, trains a small model, explains it and draws a figure under the Chinese names.
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
import pytest

from helpers import config

pytest.importorskip("shap")

HEADING = "### Chinese spreadsheets, encodings and workbooks"


def chinese_block() -> str:
    text = (config.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(HEADING)[1].split("\n## ")[0].split("\n### ")[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return block


@pytest.mark.filterwarnings(
    "ignore:the test period has only", "ignore:Only [0-9]+ training windows"
)
def test_chinese_block_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(chinese_block(), namespace)
    # the file is GBK: not UTF-8, and its header decodes as GBK
    raw = (tmp_path / "流域.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    lines = raw.decode("gbk").splitlines()
    assert lines[0] == "日期,降水量(mm),平均气温(℃),径流量(mm)"
    assert lines[1].startswith("1960/1/1,") and lines[2].startswith("1960/2/1,")
    # the record, the model's windows and the explanation keep the Chinese names
    record, trained = namespace["record"], namespace["trained"]
    assert list(record.columns) == ["降水量(mm)", "平均气温(℃)", "径流量(mm)"]
    assert len(record) == 746 and record.index[0].strftime("%Y-%m-%d") == "1960-01-01"
    names = ["降水量(mm)", "平均气温(℃)"]
    assert trained.prepared.features == trained.prepared.test.feature_names == names
    assert (tmp_path / "models" / "流域.keras").exists()
    explanation, importance = namespace["explanation"], namespace["importance"]
    assert explanation.values.shape == (len(trained.prepared.test), 12, 2)
    assert explanation.max_additivity_error < 1e-5
    assert list(importance.index) == ["降水量(mm)", "平均气温(℃)"]
    assert np.all(importance.to_numpy() > 0)
    # the figure: saved, with the Chinese labels as written
    ax = namespace["ax"]
    assert (tmp_path / "流域_shap.png").stat().st_size > 0
    assert {label.get_text() for label in ax.get_yticklabels()} == {"降水量(mm)", "平均气温(℃)"}
    assert ax.get_title() == "流域：各变量的 SHAP 重要性"
    # glyphs: checked only where helpers.plotting has chosen a font with Chinese glyphs
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    from helpers._kit import fonts

    if fonts.installed_cjk_font() is None:
        if os.environ.get("CI"):  # CI installs one (.ci/run) and must check the glyphs
            pytest.fail(f"no CJK font chosen by helpers.plotting in CI ({len(missing)} "
                        "missing-glyph warnings)")
        pytest.skip(f"no CJK font chosen by helpers.plotting: glyph check skipped "
                    f"({len(missing)} missing-glyph warnings)")
    assert not missing, missing[:3]
