"""The course's content says what its evidence shows (issue 18): the pages for a class exist and
quote real messages, every notebook has a concept check, heatmap colour bars are labelled, and the
numbers of data/README.md are the ones the notebooks compute.
"""

import json
import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from helpers import data, plotting, windowing

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
COMMON_ERRORS = ROOT / "docs" / "common-errors.md"
SESSION_PLAN = ROOT / "docs" / "session-plan.md"
DATA_README = ROOT / "data" / "README.md"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s#]+)(?:#[^)]*)?\)")


def read(path):
    return path.read_text(encoding="utf-8")


def cells(path):
    notebook = json.loads(read(path))
    return [(cell["cell_type"], "".join(cell["source"]), cell) for cell in notebook["cells"]]


def notebook(prefix):
    return next(path for path in NOTEBOOKS if path.name.startswith(prefix))


def saved_text(path):
    """All saved outputs of a notebook as one string (stream, text/plain and error values)."""
    parts = []
    for kind, _, cell in cells(path):
        for output in cell.get("outputs", []) if kind == "code" else []:
            parts.append("".join(output.get("text", "")))
            parts.append("".join(output.get("data", {}).get("text/plain", "")))
            parts.append(output.get("evalue", ""))
    return "\n".join(parts)


def notebook_source(prefix):
    """All cell sources of a notebook, whitespace collapsed (messages wrap across lines)."""
    return " ".join(" ".join(source for _, source, _ in cells(notebook(prefix))).split())


def helpers_source():
    return "\n".join(read(path) for path in (ROOT / "helpers").rglob("*.py"))


# --- the two new pages -------------------------------------------------------------------------


@pytest.mark.parametrize("page", [COMMON_ERRORS, SESSION_PLAN], ids=lambda p: p.stem)
def test_page_is_linked_from_both_readmes_and_its_links_resolve(page):
    for readme in ("README.md", "README.zh-CN.md"):
        assert f"(docs/{page.name})" in read(ROOT / readme), f"{readme} does not link {page.name}"
    for target in LINK.findall(read(page)):
        if not target.startswith("http"):
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


def test_common_errors_quotes_the_messages_learners_see():
    page = read(COMMON_ERRORS)
    # the error of notebook 03, as its saved output shows it
    assert "gradient registry has no entry for: shap_TensorListStack" in saved_text(notebook("03_"))
    assert "LookupError: gradient registry has no entry for: shap_TensorListStack" in page
    assert "StagingError: in user code:" in page
    # the broken session and its repair, as the helpers document and implement them
    assert "no entry for: shap_DivNoNan" in helpers_source() and "shap_DivNoNan" in page
    assert "def repair_tensorflow" in helpers_source() and "explain.repair_tensorflow()" in page
    # the GPU error of shap issue 4023
    assert "shap_CudnnRNNV3" in page and "#4023" in page
    # version drift: the messages the course itself raises or quotes
    assert '"the course is written for Keras 3"' in notebook_source("02_")
    assert "AssertionError: the course is written for Keras 3" in page
    assert (
        "has no attribute '_record_gradient'" in notebook_source("03_")
        and "'_record_gradient'" in page
    )


def test_common_errors_quotes_the_additivity_refusals_verbatim():
    page = " ".join(read(COMMON_ERRORS).split())
    readme = read(ROOT / "README.md")
    not_exact = re.search(r"NOT_EXACT = \((.*?)\)\n", readme, flags=re.S).group(1)
    recipe_message = "".join(re.findall(r'"([^"]*)"', not_exact))
    assert recipe_message.format("the values miss the predictions by ...") in page
    for fragment in (
        "SHAP values plus base value differ from the model's predictions by up to",
        "DeepSHAP engine: values plus base value differ from the model's predictions by up",
        "helpers.explain.deep_shap(..., engine='shap').",
    ):
        assert fragment in helpers_source(), fragment  # each message as the helpers raise it
        assert fragment in page, fragment
    shap_source = (
        Path(__import__("shap").__file__).parent / "explainers" / "_deep" / "deep_utils.py"
    )
    assert "The SHAP explanations do not sum up to the model's output!" in read(shap_source)
    assert "The SHAP explanations do not sum up to the model's output!" in page


def test_session_plan_covers_every_notebook_and_marks_optional_parts():
    plan = read(SESSION_PLAN)
    numbers = [path.name.split("_")[0] for path in NOTEBOOKS]  # "01", ..., "03b", ...
    assert len(numbers) >= 5
    for number in numbers:
        assert f"notebook {number}" in plan.lower() or f"notebooks {number}" in plan.lower(), number
    sessions = re.split(r"^## Session ", plan, flags=re.M)[1:]
    assert len(sessions) >= 3
    for session in sessions:
        assert "Core" in session and "Optional" in session, session.splitlines()[0]


# --- notebooks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_concept_check_before_the_exercises(path):
    sources = [source for kind, source, _ in cells(path) if kind == "markdown"]
    check = next((i for i, s in enumerate(sources) if s.startswith("## Concept check")), None)
    exercises = next(i for i, s in enumerate(sources) if s.startswith("## Exercises"))
    assert check is not None and check < exercises, (
        f"{path.name}: no concept check before the exercises"
    )
    questions = re.findall(r"^\d+\. ", sources[check], flags=re.M)
    answers = re.findall(
        r"<details><summary>Answer</summary>.+?</details>", sources[check], flags=re.S
    )
    assert 3 <= len(questions) <= 5 and len(answers) == len(questions), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_heatmap_in_the_notebooks_has_a_labelled_colour_bar(path):
    for kind, source, _ in cells(path):
        if kind == "code" and "plot_heatmap(" in source:
            calls = source.count("plot_heatmap(")
            assert source.count("colorbar_label=") >= calls, (
                f"{path.name}: a heatmap without a colour-bar label"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_distractors_are_described_by_direct_effect_not_as_non_causal(path):
    text = read(path)
    for phrase in ("no causal path", "no causal effect", "没有真实作用"):
        assert phrase not in text, f"{path.name}: '{phrase}' (climate_index is an upstream cause)"


def test_glossary_defines_a_distractor_by_direct_effect():
    glossary = read(ROOT / "docs" / "glossary.md")
    row = next(line for line in glossary.splitlines() if line.startswith("| distractor |"))
    assert "直接作用" in row and "no direct effect" in row
    for term in (
        "summation-to-delta",
        "expected gradients",
        "beeswarm",
        "waterfall",
        "dependence plot",
        "block bootstrap",
        "off-manifold",
    ):
        assert any(line.startswith(f"| {term}") for line in glossary.splitlines()), term


def test_readme_recipe_heading_says_deepshap():
    for readme in ("README.md", "README.zh-CN.md"):
        headings = [line for line in read(ROOT / readme).splitlines() if line.startswith("## ")]
        recipe = next(line for line in headings if "recipe" in line)
        assert "DeepSHAP" in recipe, readme


# --- plotting: clipped colour scales say so ------------------------------------------------------


def test_heatmap_colour_bar_shows_clipping_and_its_label():
    table = pd.DataFrame([[1.0, 2.0, 80.0], [-3.0, 0.0, 1.0]])
    signed = plotting.plot_heatmap(table, "signed", cmap="RdBu_r", center=0, colorbar_label="mm")
    assert signed.collections[0].colorbar.extend == "max"
    assert signed.collections[0].colorbar.ax.get_ylabel() == "mm"
    common = plotting.plot_heatmap(table.abs(), "shares", vmax=0.5)
    assert common.collections[0].colorbar.extend == "max"
    plain = plotting.plot_heatmap(table.abs(), "plain")
    assert plain.collections[0].colorbar.extend == "neither"


# --- data/README.md states what the notebooks compute ---------------------------------------------


def readme_table(heading_line):
    """The Markdown table that follows the line containing ``heading_line``."""
    lines = read(DATA_README).splitlines()
    start = next(i for i, line in enumerate(lines) if heading_line in line)
    rows = []
    for line in lines[start if lines[start].startswith("|") else start + 1 :]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # without header and separator


def number(text):
    return float(text.replace("−", "-"))


def test_data_readme_anomaly_correlations_are_the_notebooks_standardised_ones():
    record = data.load_catchment()
    corr = data.monthly_anomalies(record[data.FEATURES]).corr()
    for name, with_precip, with_tmean in readme_table("notebooks 01 and 04c compute them"):
        variables = [v.strip("` ") for v in name.split("/")]
        for variable, p, t in zip(
            variables, with_precip.split("/"), with_tmean.split("/"), strict=True
        ):
            assert number(p) == pytest.approx(round(corr.loc[variable, "precip"], 2), abs=0.006), (
                variable
            )
            assert number(t) == pytest.approx(round(corr.loc[variable, "tmean"], 2), abs=0.006), (
                variable
            )


def test_data_readme_warming_and_precipitation_peak_are_the_notebooks():
    record = data.load_catchment()
    prepared = windowing.prepare_windows(
        record, data.FEATURES, data.TARGET, window=12, train_fraction=0.8
    )
    warming = (
        record.loc[prepared.test.target_dates, "tmean"].mean()
        - record.loc[: prepared.scaler.fitted_until, "tmean"].mean()
    )
    text = " ".join(read(DATA_README).split())
    assert f"are {warming:.2f} °C warmer on average than the training period" in text
    peak = record["precip"].groupby(record.index.month).mean()
    assert peak.idxmax() == 8 and f"peaks in August ({peak.max():.0f} mm" in text


def test_data_readme_fulda_scores_are_notebook_05s():
    outputs = saved_text(notebook("05_"))
    table = re.search(
        r"LSTM\s+(-?[\d.]+).*?\nridge\s+(-?[\d.]+).*?\nclimatology\s+(-?[\d.]+)", outputs
    )
    if table is None:
        pytest.skip("notebook 05 has no saved score table (outputs cleared)")
    row = next(r for r in readme_table("| record | training / test windows |") if r[0] == "`fulda`")
    assert [number(v) for v in row[2:5]] == [float(v) for v in table.groups()]
