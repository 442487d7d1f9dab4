"""The two editions of the course, built from the same notebooks.

The instructor edition is the notebooks as they are: each exercise's worked answer sits in a
collapsed ``<details>`` block whose summary starts with "Solution" (tests/test_notebooks.py
checks that). The student edition keeps every exercise and removes those blocks.
"""

import copy
import re

import nbformat

# <details> ... <summary>Solution 2</summary> ... </details>, across lines, case-insensitive.
SOLUTION_BLOCK = re.compile(
    r"<details>\s*<summary>\s*Solution\b.*?</details>[ \t]*\n?", flags=re.S | re.I
)
# The line that points to those blocks ("Solutions are folded below; try first.").
SOLUTIONS_NOTE = re.compile(r"^Solutions are folded below.*$", flags=re.M)
STUDENT_NOTE = "*This is the student edition: the worked answers are in the instructor edition.*"


def remove_solutions(source: str) -> tuple[str, int]:
    """Remove the folded solution blocks from the text of one Markdown cell.

    Parameters
    ----------
    source
        The cell's Markdown.

    Returns
    -------
    tuple of (str, int)
        The Markdown without its solution blocks (and with the line that points to them
        saying where the answers are instead), and how many blocks were removed.
    """
    without, count = SOLUTION_BLOCK.subn("", source)
    return SOLUTIONS_NOTE.sub(STUDENT_NOTE, without), count


def student_edition(notebook: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """A copy of an instructor-edition notebook with every folded solution removed.

    Markdown cells left empty by the removal are dropped; code cells, outputs and exercises are
    kept as they are.

    Parameters
    ----------
    notebook
        The notebook as it is in ``notebooks/`` (not changed).

    Returns
    -------
    tuple of (NotebookNode, int)
        The student edition and the number of solution blocks removed.
    """
    student = copy.deepcopy(notebook)
    kept, removed = [], 0
    for cell in student.cells:
        if cell.cell_type == "markdown":
            cell.source, count = remove_solutions(cell.source)
            removed += count
            if count and not cell.source.strip():
                continue
        kept.append(cell)
    student.cells = kept
    return student, removed
