"""Execute the course's notebooks in order and render them to HTML.

Usage (through make, which prepares the environment first):

    make course      # executed copies rendered to build/html/, notebooks/ untouched
    make refresh     # re-execute notebooks/ in place so their saved outputs are current

Each notebook runs in a fresh kernel from the notebooks/ folder, in file-name order, so
notebook 02's saved model is there for 03 and 04.
"""

import argparse
import html
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
OUT = REPO / "build" / "html"


def execute(path):
    """Run one notebook top to bottom in a fresh kernel and return it with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        record_timing=False,
        # the kernel's start-up notice about its local TCP transport is noise for a learner
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    client.execute()
    return notebook


def strip_machine_paths(notebook):
    """Write paths in outputs relative to the repository (tracebacks name installed files).

    ``/home/me/course/.venv/lib/...`` becomes ``.venv/lib/...``, so saved notebooks and HTML
    pages do not carry the folder layout of the machine that ran them.
    """
    prefixes = [str(REPO) + "/", str(Path.home()) + "/"]

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
    return notebook


PROGRESS = re.compile(r"\d+%\|.*\|")  # a tqdm bar: " 45%|████▍     | 66/147 [...]"


def strip_progress_bars(notebook):
    """Drop progress bars from saved outputs: useful live, noise in a saved notebook or page.

    A live learner still sees them while a slow step runs; what a cell prints on stdout (timings,
    results) is kept.
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
    return notebook


def summary_of(notebook, page):
    """What the landing page shows of one notebook: title, goal, time to learn, one figure."""
    first = notebook.cells[0].source if notebook.cells else ""

    def field(label):
        match = re.search(r"\*\*" + re.escape(label) + r"\*\*\s*(.+?)(?:\n\s*\n|$)", first, re.S)
        return " ".join(match.group(1).split()) if match else ""

    figure = next(
        (
            output["data"]["image/png"]
            for cell in notebook.cells
            if cell.cell_type == "code"
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ),
        None,
    )
    return {
        "page": page,
        "title": first_heading(notebook, page),
        "goal": field("Purpose:"),
        "time": field("Time to learn:"),
        "figure": figure.replace("\n", "") if isinstance(figure, str) else None,
    }


def write_index(entries):
    """The landing page: each notebook with its goal, time to learn and its first figure."""
    items = []
    for entry in entries:
        figure = (
            f'<img src="data:image/png;base64,{entry["figure"]}" alt="a figure of this notebook">'
            if entry["figure"]
            else ""
        )
        items.append(
            f'<li><h2><a href="{html.escape(entry["page"])}">{html.escape(entry["title"])}</a></h2>'
            f"<p><b>Goal:</b> {html.escape(entry['goal'])}</p>"
            f"<p><b>Time to learn:</b> {html.escape(entry['time'])}</p>{figure}</li>"
        )
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "li{margin-bottom:2em}img{max-width:100%;max-height:22em;border:1px solid #ddd}"
    )
    (OUT / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>LSTM + SHAP runoff course</title>"
        f"<style>{style}</style><h1>Explaining a runoff LSTM with SHAP</h1>"
        "<p>Five notebooks, in order. Each runs on a laptop CPU in minutes; the times below are"
        " for a learner working through it.</p>"
        f"<ol>{''.join(items)}</ol>\n",
        encoding="utf-8",
    )


def first_heading(notebook, fallback):
    """The notebook's first Markdown heading, for the index page."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("# ").strip()
    return fallback


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-place", action="store_true",
                        help="save executed notebooks back into notebooks/")
    parser.add_argument("only", nargs="*", type=Path,
                        help="run only these notebooks (default: all, in order)")
    args = parser.parse_args()

    paths = [p.resolve() for p in args.only] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        sys.exit("no notebooks found in notebooks/")
    OUT.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter()
    executed = {}
    total = time.perf_counter()
    for number, path in enumerate(paths, start=1):
        print(f"[{number}/{len(paths)}] {path.name} ...", end=" ", flush=True)
        start = time.perf_counter()
        notebook = strip_progress_bars(strip_machine_paths(execute(path)))
        body, _ = exporter.from_notebook_node(notebook)
        page = path.with_suffix(".html").name
        (OUT / page).write_text(body, encoding="utf-8")
        if args.in_place:
            nbformat.write(notebook, path)
        executed[path] = notebook
        print(f"done in {time.perf_counter() - start:.0f} s")
    print(f"\nThe course ran in {time.perf_counter() - total:.0f} s.")
    # the landing page lists every notebook: the ones just run, and the saved ones otherwise
    entries = [
        summary_of(executed.get(path) or nbformat.read(path, as_version=4),
                   path.with_suffix(".html").name)
        for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    ]
    write_index(entries)
    print(f"Open {OUT / 'index.html'} in a browser (rendered notebooks with figures).")


if __name__ == "__main__":
    main()
