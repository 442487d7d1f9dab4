"""The times the course states are the estimate scripts/time_to_learn.py computes."""

import importlib.util
import json
import sys

import pytest

from helpers import config

_SPEC = importlib.util.spec_from_file_location(
    "time_to_learn", config.REPO_ROOT / "scripts" / "time_to_learn.py"
)
ttl = importlib.util.module_from_spec(_SPEC)
sys.modules["time_to_learn"] = ttl  # dataclasses look their module up there
_SPEC.loader.exec_module(ttl)

NOTEBOOKS = sorted((config.REPO_ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


def _notebook(tmp_path, cells):
    path = tmp_path / "99_test.ipynb"
    path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    return path


def _md(text):
    return {"cell_type": "markdown", "source": [text]}


def _code(text, figures=0):
    outputs = [{"output_type": "display_data", "data": {"image/png": ""}}] * figures
    return {"cell_type": "code", "source": [text], "outputs": outputs}


def test_counts_core_extra_and_exercises(tmp_path):
    path = _notebook(tmp_path, [
        _md("# Title\none two three"),
        _code("x = 1\n\n# a comment\ny = 2", figures=1),
        _md("words <details><summary>Answer</summary>four five</details>"),
        _md("## Extra depth (optional)\nsix seven"),
        _code("z = 3"),
        _md("## Exercises\n1. First task\n2. Second task"),
        _code("solution = 1"),
        _md("## Summary\neight"),
    ])
    core, extra = ttl.measure(path)
    # core: "Title one two three" (4) + "words" (1) + "Summary eight" (2), two code lines
    # (blank and comment lines not counted), one figure
    assert (core.words, core.code_lines, core.figures, core.exercises) == (7, 2, 1, 0)
    assert extra.exercises == 2 and extra.code_lines == 2  # "z = 3" (optional) + the solution
    assert extra.words >= 2 + 4 + 2  # the folded answer, the optional section, the exercises


def test_minutes_follow_the_stated_model():
    content = ttl.Content(words=ttl.WORDS_PER_MINUTE, code_lines=4, figures=1, exercises=1)
    expected = 1 + 4 * ttl.MINUTES_PER_CODE_LINE + ttl.MINUTES_PER_FIGURE + ttl.MINUTES_PER_EXERCISE
    assert content.minutes() == pytest.approx(expected)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_title_cell_states_the_estimate(path):
    title = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"])
    stated = ttl.STATED.search(title)
    assert stated, f"{path.name}: no '**Time to learn:**' line"
    assert stated.group(0) == ttl.sentence(*ttl.estimate(path)), (
        f"{path.name}: the stated time is not the computed estimate; run "
        "`python scripts/time_to_learn.py --write`"
    )


@pytest.mark.parametrize("readme", ttl.READMES, ids=lambda p: p.name)
def test_readme_tables_state_the_estimates(readme):
    text = readme.read_text(encoding="utf-8")
    rows = {m.group(2): m.group(3).strip() for m in ttl.README_ROW.finditer(text)}
    for path in NOTEBOOKS:
        number = path.name.split("_")[0]
        assert number in rows, f"{readme.name}: no table row for notebook {number}"
        expected = ttl.readme_cell(*ttl.estimate(path), readme.name.endswith("zh-CN.md"))
        assert rows[number] == expected, f"{readme.name}, notebook {number}: {rows[number]!r}"



def test_the_session_plan_states_the_computed_times():
    """docs/session-plan.md's "about N minutes" for a notebook's core (and its time with the
    exercises, where given) is the estimate, as in the title cells and the READMEs."""
    import re

    plan = (config.REPO_ROOT / "docs" / "session-plan.md").read_text(encoding="utf-8")
    claims = re.findall(r"[Nn]otebook (\d\d[a-z]?)(?: takes|,)? \(?about (\d+) minutes"
                        r"(?: for the core)?(?:, (\d+) with)?", plan)
    for section in re.split(r"^## ", plan, flags=re.M):  # a session on one notebook
        named = re.findall(r"^Session .*\(notebook (\d\d[a-z]?)\)", section)
        core = re.search(r"^Core \(about (\d+) minutes(?:, (\d+) with)?", section, flags=re.M)
        if named and core:
            claims.append((named[0], *core.groups(default="")))
    by_number = {path.name.split("_")[0]: path for path in NOTEBOOKS}
    assert len({number for number, _, _ in claims}) >= 7, claims
    for number, core, total in claims:
        computed = ttl.estimate(by_number[number])
        assert int(core) == computed[0], (number, core, computed)
        assert not total or int(total) == computed[1], (number, total, computed)
