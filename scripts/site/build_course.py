"""Build the course site: execute the notebooks in order and render them with Sphinx and MyST-NB.

Usage (through course.py, which prepares the environment first; make is a shim for it):

    python course.py run       # execute copies of the notebooks, write the site to build/html/
    python course.py refresh   # re-execute notebooks/ in place so their saved outputs are current
    python course.py site      # the site from the saved outputs (checked current)

Each notebook runs in a fresh kernel from the notebooks/ folder, in file-name order, so
notebook 02's saved model is there for 03 and 04. Notebooks not executed (not named on the
command line, or --saved-outputs) are rendered from their saved outputs, and the build stops if
those are stale: a code cell changed since `--in-place` last executed the notebook.
The site (Jupyter Book 1.x's stack: Sphinx, MyST-NB, sphinx-book-theme) has the instructor and
student editions, the READMEs, the glossary and docs/; book/ holds its configuration.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coursesite import book, outputs  # noqa: E402 (the package beside this script)

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
OUT = REPO / "build" / "html"
STAGE = REPO / "build" / "site-src"


def prepared(path: Path, run: bool, in_place: bool) -> nbformat.NotebookNode:
    """One notebook with current outputs: executed now, or saved and checked current."""
    if not run:
        notebook = nbformat.read(path, as_version=4)
        outputs.check_outputs_current(notebook, path.name)
        print(f"{path.name}: saved outputs, current")
        return notebook
    start = time.perf_counter()
    print(f"{path.name} ...", end=" ", flush=True)
    notebook = outputs.execute(path, NOTEBOOKS)
    outputs.strip_machine_paths(notebook, [str(REPO) + os.sep, str(Path.home()) + os.sep])
    outputs.strip_progress_bars(notebook)
    if in_place:
        nbformat.write(notebook, path)
    print(f"done in {time.perf_counter() - start:.0f} s")
    return notebook


def main() -> None:
    """Parse the command line, prepare every notebook, build the site."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-place", action="store_true",
                        help="save executed notebooks back into notebooks/ "
                             "(python course.py refresh)")
    parser.add_argument("--saved-outputs", action="store_true",
                        help="execute nothing: render the saved outputs (checked current)")
    parser.add_argument("only", nargs="*", type=Path,
                        help="execute only these notebooks (default: all, in order)")
    args = parser.parse_args()
    if args.in_place and args.saved_outputs:
        parser.error("--in-place executes the notebooks; --saved-outputs executes none")

    every = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
    if not every:
        sys.exit("no notebooks found in notebooks/")
    chosen = {p.resolve() for p in args.only} or set(every)
    unknown = sorted(str(path) for path in chosen - set(every))
    if unknown:  # executing nothing while the user asked for a notebook is a silent wrong answer
        parser.error(f"not a notebook of the course: {', '.join(unknown)}; name one as "
                     "notebooks/NN_name.ipynb from the course's folder, or by its full path")
    total = time.perf_counter()
    try:
        notebooks = {path.name: prepared(path, path in chosen and not args.saved_outputs,
                                         args.in_place) for path in every}
        # the unset repository address is the maintainers' to-do: said by refresh and site
        book.build_site(REPO, notebooks, STAGE, OUT,
                        maintainer=args.in_place or args.saved_outputs)
    except outputs.BuildError as error:
        sys.exit(f"error: {error}")
    print(f"The site was built in {time.perf_counter() - total:.0f} s; open it in a browser "
          "(a click on the link in most terminals):")
    print((OUT / "index.html").as_uri())  # the last line: a link a terminal can open


if __name__ == "__main__":
    main()
