"""Every notebook of the course has the same outline, and its exercise solutions are hidden.

The outline (course-style.md, after the Project Pythia cookbooks): a title cell with an
**Overview** that lists the notebook's sections, **Prerequisites** and **Time to learn**; then
the sections; and at the end ``## Summary``, ``## What's next`` and ``## References`` (with at
least one DOI). Solutions to exercises sit in collapsed ``<details>`` blocks of Markdown cells,
never in a code cell right after the exercise, so an instructor can assign them; the Python in
them must at least compile.
"""

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


def cells(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [(cell["cell_type"], "".join(cell["source"])) for cell in notebook["cells"]]


def level2_headings(path):
    return [
        line[3:].strip()
        for kind, source in cells(path)
        if kind == "markdown"
        for line in source.splitlines()
        if line.startswith("## ")
    ]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_title_cell_has_overview_prerequisites_and_time(path):
    kind, first = cells(path)[0]
    assert kind == "markdown" and first.startswith("# "), "the first cell is the title"
    for part in ("**Overview.**", "**Prerequisites**", "**Time to learn:**"):
        assert part in first, f"{path.name}: the title cell lacks {part}"
    # The stated time is computed from the notebook's content, not capped here:
    # tests/test_time_to_learn.py compares it with scripts/time_to_learn.py's estimate.


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_overview_lists_every_section(path):
    overview = cells(path)[0][1].split("**Overview.**", 1)[1].split("**Prerequisites**", 1)[0]
    flat = " ".join(overview.split())
    for heading in level2_headings(path):
        name = re.sub(r"^\d+\.\s*", "", heading)
        assert name in flat, f"{path.name}: the overview does not list the section {heading!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_closing_sections(path):
    headings = level2_headings(path)
    for name in ("Summary", "What's next", "References"):
        assert name in headings, f"{path.name}: no '## {name}' section"
    assert headings.index("Summary") < headings.index("What's next") < headings.index("References")
    references = next(
        source for kind, source in cells(path) if kind == "markdown" and "## References" in source
    )
    references = references.split("## References", 1)[1]
    assert "https://doi.org/10." in references, f"{path.name}: references without a DOI"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_are_hidden(path):
    notebook = cells(path)
    for kind, source in notebook:
        if kind == "code":
            assert not source.lstrip().lower().startswith("# solution"), (
                f"{path.name}: a solution in a code cell; fold it into a <details> block"
            )
    if "Exercises" in level2_headings(path):
        folded = [s for k, s in notebook if k == "markdown" and "<summary>Solution" in s]
        assert folded, f"{path.name}: exercises without folded solutions"
    for kind, source in notebook:
        if kind == "markdown" and "Solution" in source and "<summary>" in source:
            stripped = source.strip()
            assert stripped.startswith("<details>") and stripped.endswith("</details>"), (
                f"{path.name}: a solution outside its <details> block"
            )
            for code in re.findall(r"```python\n(.*?)```", source, flags=re.S):
                compile(code, f"{path.name} solution", "exec")


INTERPRETATION = [p for p in NOTEBOOKS if p.name.startswith("04")]


def test_interpretation_notebook_is_in_three_parts():
    assert [p.name.split("_")[0] for p in INTERPRETATION] == ["04", "04b", "04c"]


@pytest.mark.parametrize("path", INTERPRETATION, ids=lambda p: p.stem)
def test_interpretation_notebook_keeps_library_code_in_helpers(path):
    """Reusable code lives in helpers/ (tested there); each part of notebook 04 defines at most 2
    functions (04b: show_event and against_same_month, which read that notebook's variables)."""
    definitions = [
        line
        for kind, source in cells(path)
        if kind == "code"
        for line in source.splitlines()
        if line.lstrip().startswith("def ")
    ]
    assert len(definitions) <= 2, definitions
