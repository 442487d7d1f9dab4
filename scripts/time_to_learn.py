"""Estimate each notebook's time to learn from its content, and state it where learners read it.

Nobody has yet timed learners through the course, so the times the notebooks and the READMEs
state are an estimate from a stated model, computed from the notebooks themselves:

- prose is read at :data:`WORDS_PER_MINUTE` (technical text read while cross-checking code and
  figures; about half the ~240 words per minute of ordinary silent reading of non-fiction,
  Brysbaert 2019, doi:10.1016/j.jml.2019.104047);
- each line of code (not blank, not a comment) costs :data:`MINUTES_PER_CODE_LINE` to read, run
  and compare with its output;
- each figure costs :data:`MINUTES_PER_FIGURE` to look at;
- each exercise costs :data:`MINUTES_PER_EXERCISE` (trying it, then reading the solution).

The *core* is everything before the ``## Exercises`` section except folded ``<details>`` blocks
(answers and solutions) and sections whose heading says "optional"; *with exercises* adds the
exercises, their solutions and the optional sections.

Usage::

    python scripts/time_to_learn.py          # print the estimate per notebook
    python scripts/time_to_learn.py --write  # write it into the title cells and both READMEs

``tests/test_time_to_learn.py`` fails when a stated time differs from the computed one.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
READMES = (ROOT / "README.md", ROOT / "README.zh-CN.md")

WORDS_PER_MINUTE = 120
MINUTES_PER_CODE_LINE = 0.25
MINUTES_PER_FIGURE = 2.0
MINUTES_PER_EXERCISE = 10.0

#: The sentence in each notebook's title cell (its numbers are what the test compares).
STATED = re.compile(r"\*\*Time to learn:\*\*.*?(?=\n\n|\Z)", re.S)
#: The README tables' cell for a notebook: "| [01 · ...](notebooks/01_....ipynb) | ... | 40 min |"
#: (a notebook in parts is numbered 03, 03b, ...).
README_ROW = re.compile(
    r"^(\| \[(\d\d[a-z]?) [^\n]*?\| )(\d+(?:[–-]\d+)? (?:min|分钟)[^|]*)(\|)", re.M
)

_DETAILS = re.compile(r"<details>.*?</details>", re.S)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Content:
    """What a learner meets in one part of a notebook."""

    words: int = 0
    code_lines: int = 0
    figures: int = 0
    exercises: int = 0

    def __add__(self, other: Content) -> Content:
        return Content(
            self.words + other.words,
            self.code_lines + other.code_lines,
            self.figures + other.figures,
            self.exercises + other.exercises,
        )

    def minutes(self) -> float:
        """Minutes this content takes under the module's reading model."""
        return (
            self.words / WORDS_PER_MINUTE
            + self.code_lines * MINUTES_PER_CODE_LINE
            + self.figures * MINUTES_PER_FIGURE
            + self.exercises * MINUTES_PER_EXERCISE
        )


def _cell_content(cell: dict, in_exercises: bool) -> tuple[Content, Content]:
    """Split one cell into (core, extra): folded blocks and exercise sections are extra."""
    source = "".join(cell["source"])
    if cell["cell_type"] == "markdown":
        folded = " ".join(_DETAILS.findall(source))
        shown = _DETAILS.sub(" ", source)
        exercises = len(re.findall(r"^\d+\. ", shown, re.M)) if in_exercises else 0
        shown_part = Content(words=len(_WORD.findall(shown)), exercises=exercises)
        folded_part = Content(words=len(_WORD.findall(folded)))
        if in_exercises:
            return Content(), shown_part + folded_part
        return shown_part, folded_part
    lines = [
        line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    figures = sum("image/png" in output.get("data", {}) for output in cell.get("outputs", []))
    part = Content(code_lines=len(lines), figures=figures)
    return (Content(), part) if in_exercises else (part, Content())


def _heading(cell: dict) -> str | None:
    """The cell's level-2 heading, if it opens with one."""
    if cell["cell_type"] != "markdown":
        return None
    match = re.match(r"## (.+)", "".join(cell["source"]))
    return match.group(1) if match else None


def measure(path: Path) -> tuple[Content, Content]:
    """Core and extra (exercises, solutions, answers, optional sections) content of a notebook."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    core, extra = Content(), Content()
    in_exercises = optional = False
    for cell in cells:
        heading = _heading(cell)
        if heading is not None:
            in_exercises = heading.startswith("Exercises")
            optional = "optional" in heading.lower()
            if heading.startswith(("Summary", "What's next", "References")):
                in_exercises = optional = False
        shown, folded = _cell_content(cell, in_exercises)
        if optional:
            shown, folded = Content(), shown + folded
        core, extra = core + shown, extra + folded
    return core, extra


def _round5(minutes: float) -> int:
    return max(5, int(5 * round(minutes / 5)))


def estimate(path: Path) -> tuple[int, int]:
    """(core, with exercises) minutes for a notebook, rounded to 5 minutes."""
    core, extra = measure(path)
    return _round5(core.minutes()), _round5(core.minutes() + extra.minutes())


def sentence(core: int, total: int) -> str:
    """The title cell's sentence for an estimate."""
    return (
        f"**Time to learn:** about {core} minutes for the core, {total} with the exercises "
        "(an estimate from the notebook's words, code lines, figures and exercises: "
        "`scripts/time_to_learn.py`)."
    )


def readme_cell(core: int, total: int, chinese: bool) -> str:
    """The README table's cell for an estimate."""
    if chinese:
        return f"{core} 分钟（含练习 {total} 分钟）"
    return f"{core} min ({total} with exercises)"


def write(notebooks: list[Path]) -> None:
    """Write the estimates into the notebooks' title cells and both READMEs' tables."""
    estimates = {}
    for path in notebooks:
        core, total = estimate(path)
        estimates[path.name.split("_")[0]] = (core, total)
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        title = data["cells"][0]
        source = "".join(title["source"])
        if not STATED.search(source):
            raise SystemExit(f"{path.name}: the title cell has no '**Time to learn:**' line")
        stated = sentence(core, total)
        new = STATED.sub(lambda _, stated=stated: stated, source, count=1)
        title["source"] = new.splitlines(keepends=True)
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for readme in READMES:
        text = readme.read_text(encoding="utf-8")
        chinese = readme.name.endswith("zh-CN.md")
        cells = {number: readme_cell(*times, chinese) for number, times in estimates.items()}

        def replace(match: re.Match, cells: dict = cells) -> str:
            if match.group(2) not in cells:
                return match.group(0)
            return f"{match.group(1)}{cells[match.group(2)]} {match.group(4)}"

        readme.write_text(README_ROW.sub(replace, text), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the estimates where stated")
    args = parser.parse_args()
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
    for path in notebooks:
        core, extra = measure(path)
        print(
            f"{path.name}: core {_round5(core.minutes())} min ({core.words} words, "
            f"{core.code_lines} code lines, {core.figures} figures); with exercises "
            f"{_round5(core.minutes() + extra.minutes())} min ({extra.exercises} exercises)"
        )
    if args.write:
        write(notebooks)


if __name__ == "__main__":
    main()
