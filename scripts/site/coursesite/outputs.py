"""A notebook's outputs: executed in a fresh kernel, cleaned for publication, and never stale.

When a notebook is executed, the SHA-256 of each code cell's source is stored in the notebook's
metadata (``metadata["course"]["executed_code_sha256"]``). A build that reuses the saved outputs
instead of executing compares those hashes with the code as it is now, and stops at the first
code cell that changed since its outputs were saved.
"""

import hashlib
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

PROGRESS = re.compile(r"\d+%\|.*\|")  # a tqdm bar: " 45%|████▍     | 66/147 [...]"
HASHES = "executed_code_sha256"


class BuildError(Exception):
    """The site cannot be built from these notebooks; the message says where and what to do."""


def code_hashes(notebook: nbformat.NotebookNode) -> list[str]:
    """SHA-256 (hex) of the source of every code cell, in order."""
    return [
        hashlib.sha256(cell.source.encode("utf-8")).hexdigest()
        for cell in notebook.cells
        if cell.cell_type == "code"
    ]


def record_code_hashes(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Store the hashes of the code that produced the notebook's outputs in its metadata."""
    notebook.metadata.setdefault("course", {})[HASHES] = code_hashes(notebook)
    return notebook


def check_outputs_current(notebook: nbformat.NotebookNode, name: str) -> None:
    """Fail unless the saved outputs were produced by the code cells as they are now.

    Parameters
    ----------
    notebook
        A notebook with saved outputs.
    name
        Its file name, for the message.

    Raises
    ------
    BuildError
        When the notebook was never executed by ``--in-place``, when a code cell was added,
        removed or edited since, or when a saved output is an error the cell does not expect.
    """
    refresh = ("re-execute it with `python course.py refresh` "
               "(scripts/site/build_course.py --in-place)")
    saved = notebook.metadata.get("course", {}).get(HASHES)
    if saved is None:
        raise BuildError(f"{name}: no record of the code its outputs came from; {refresh}")
    code_cells = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    for index, now, then in zip(code_cells, code_hashes(notebook), saved, strict=False):
        if now != then:
            raise BuildError(f"{name}, cell {index}: the code changed since its outputs were "
                             f"saved, so they are stale; {refresh}")
    if len(saved) != len(code_cells):
        raise BuildError(f"{name}: {len(saved)} code cells when its outputs were saved, "
                         f"{len(code_cells)} now; {refresh}")
    check_no_unexpected_errors(notebook, name)


def check_no_unexpected_errors(notebook: nbformat.NotebookNode, name: str) -> None:
    """Fail on an error output in a cell not tagged ``raises-exception``, naming the cell."""
    for index, cell in enumerate(notebook.cells):
        if "raises-exception" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise BuildError(f"{name}, cell {index} failed: "
                                 f"{output.get('ename')}: {output.get('evalue')}")


def execute(path: Path, working_dir: Path) -> nbformat.NotebookNode:
    """Run one notebook top to bottom in a fresh kernel and return it with its outputs.

    Parameters
    ----------
    path
        The notebook file.
    working_dir
        The kernel's working directory (``notebooks/``, so relative paths work as for a learner).

    Raises
    ------
    BuildError
        When a cell not tagged ``raises-exception`` fails; the message names notebook and cell.
    """
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(working_dir)}},
        record_timing=False,
        # the kernel's start-up notice about its local TCP transport is noise for a learner
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    try:
        client.execute()
    except CellExecutionError as error:
        check_no_unexpected_errors(notebook, path.name)  # names the cell that failed
        raise BuildError(f"{path.name} failed: {error}") from error
    return record_code_hashes(notebook)


def strip_machine_paths(notebook: nbformat.NotebookNode, prefixes: list[str]) -> None:
    """Write paths in outputs relative to the repository (tracebacks name installed files).

    ``/home/me/course/.venv/lib/...`` becomes ``.venv/lib/...``, so saved notebooks and pages
    do not carry the folder layout of the machine that ran them. Changes ``notebook`` in place.
    """
    def clean(text):
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return text

    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for key in ("text", "evalue"):
                if key in output:
                    output[key] = clean(output[key])
            if "traceback" in output:
                output["traceback"] = [clean(line) for line in output["traceback"]]
            for kind in ("text/plain", "text/html"):
                if kind in output.get("data", {}):
                    output["data"][kind] = clean(output["data"][kind])


def strip_progress_bars(notebook: nbformat.NotebookNode) -> None:
    """Drop progress bars from saved outputs: useful live, noise in a saved notebook or page.

    A live learner still sees them while a slow step runs; what a cell prints on stdout (timings,
    results) is kept. Changes ``notebook`` in place.
    """
    for cell in notebook.cells:
        if "outputs" in cell:
            cell["outputs"] = [
                output
                for output in cell["outputs"]
                if not (
                    output.get("output_type") == "stream"
                    and output.get("name") == "stderr"
                    and (PROGRESS.search(output.get("text", "")) or not output["text"].strip())
                )
            ]
