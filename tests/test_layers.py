"""The package's shape: a dozen course files a learner reads, the machinery behind a door.

The course files are ``helpers/*.py``; the machinery is the private package ``helpers/_kit``.
A course file imports only course files listed above it in ``helpers/__init__``'s docstring
(and ``_kit``); ``_kit`` never imports a course file. Sizes are the ones issue 27 set: at most
12 course files and 4,000 lines in all, no module over 600 lines, no function over 50 lines
of code.
"""

import ast
import re
import subprocess
import sys

import helpers
from helpers import config

HELPERS = config.REPO_ROOT / "helpers"
KIT = HELPERS / "_kit"
COURSE_FILES = sorted(p for p in HELPERS.glob("*.py") if p.stem != "__init__")


def layer_order():
    """Course-file names in the order the package docstring lists them."""
    names = []
    for line in helpers.__doc__.splitlines():
        match = re.match(r"- ((?:``\w+``,? ?)+)", line)
        if match:
            names += re.findall(r"``(\w+)``", match.group(1))
    return names


def imported_helpers(path):
    """Top-level names of helpers imported by one file (``config``, ``_kit``, ...)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "helpers":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("helpers."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("helpers.")}
    return found


def test_every_course_file_is_listed():
    assert {p.stem for p in COURSE_FILES} == set(layer_order())


def test_no_course_file_imports_one_listed_below_it():
    rank = {name: i for i, name in enumerate(layer_order())}
    upward = [f"{path.name} imports {name}" for path in COURSE_FILES
              for name in imported_helpers(path) - {path.stem, "_kit"}
              if rank[name] > rank[path.stem]]
    assert not upward, upward


def test_the_door_imports_no_course_file():
    """Everything under helpers/_kit imports only helpers._kit (and third-party packages)."""
    offenders = [f"{path.relative_to(HELPERS)} imports helpers.{name}"
                 for path in sorted(KIT.rglob("*.py"))
                 for name in imported_helpers(path) - {"_kit"}]
    assert not offenders, offenders


def test_a_dozen_course_files_within_4000_lines():
    lines = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in COURSE_FILES}
    assert len(lines) <= 12, sorted(lines)
    assert sum(lines.values()) <= 4000, lines


def code_lines(function: ast.FunctionDef, source: list[str]) -> int:
    """Lines of a function's body that hold code: not its docstring, blank lines or comments."""
    body = function.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    lines = {number for statement in body
             for number in range(statement.lineno, statement.end_lineno + 1)
             if source[number - 1].strip() and not source[number - 1].strip().startswith("#")}
    return len(lines)


def functions(path):
    text = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node, text.splitlines()


def test_a_learner_sized_read_no_module_above_600_lines_no_function_above_50():
    too_long = []
    for path in sorted(HELPERS.rglob("*.py")):
        n_lines = len(path.read_text(encoding="utf-8").splitlines())
        if n_lines > 600:
            too_long.append(f"{path.relative_to(HELPERS)}: {n_lines} lines")
        too_long += [f"{path.relative_to(HELPERS)}: {node.name}() has "
                     f"{code_lines(node, source)} lines of code"
                     for node, source in functions(path) if code_lines(node, source) > 50]
    assert not too_long, too_long


def test_code_lines_counts_code_only():
    source = ['def f():', '    """Doc."""', '', '    # a comment', '    x = 1', '    return x']
    function = ast.parse("\n".join(source)).body[0]
    assert code_lines(function, source) == 2


def test_one_public_prediction_path_and_one_private_traced_one():
    named = sorted(f"{path.relative_to(HELPERS)}:{node.name}"
                   for path in HELPERS.rglob("*.py") for node, _ in functions(path)
                   if "predict" in node.name.lower())
    public = [name for name in named if not name.split(":")[1].startswith("_")]
    assert public == ["training.py:predict"], named
    assert len(named) <= 2, named


def test_regional_builds_on_the_course_pipeline():
    """regional.py cuts no windows, splits nothing, trains and loads no model by itself."""
    source = (HELPERS / "regional.py").read_text(encoding="utf-8")
    for own in ("sliding_window_view", "model.fit(", "keras.models.load_model", "EarlyStopping",
                "def _split", "def _windows"):
        assert own not in source, own


def test_notebook_01_leads_into_at_most_five_course_files():
    import json

    cells = json.loads((config.REPO_ROOT / "notebooks" / "01_data_preparation.ipynb")
                       .read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    start = {n for n in re.findall(r"from helpers import ([\w, ]+)", code) for n in n.split(", ")}
    reached, todo = set(), {n.strip() for n in start}
    while todo:
        name = todo.pop()
        if name in reached or name == "_kit":
            continue
        reached.add(name)
        todo |= imported_helpers(HELPERS / f"{name}.py")
    assert len(reached) <= 5, sorted(reached)


def test_importing_the_course_files_changes_no_matplotlib_setting():
    script = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        + "; ".join(f"import helpers.{p.stem}" for p in COURSE_FILES)
        + "; changed = [k for k, v in mpl.rcParams.items() if before[k] != v]; print(changed)"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         encoding="utf-8", check=True)
    assert run.stdout.strip() == "[]", run.stdout


def test_the_dead_names_are_gone():
    everything = "\n".join(p.read_text(encoding="utf-8") for p in HELPERS.rglob("*.py"))
    for name in ("def run_catchments", "BUILD_DIR", "def plot_shares", "class Standardisation",
                 "class TargetScaler"):
        assert name not in everything, name
    assert not (config.REPO_ROOT / "scripts" / "ensure-env.sh").exists()
