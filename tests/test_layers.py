"""The package's layers: a module imports only modules listed above it in helpers/__init__,
and the machinery behind the door (helpers/_kit) imports none of the course files."""

import ast
import re

import helpers
from helpers import config

HELPERS = config.REPO_ROOT / "helpers"


def layer_order():
    """Module names in the order the package docstring lists them."""
    names = []
    for line in helpers.__doc__.splitlines():
        match = re.match(r"- ((?:``\w+``,? ?)+)", line)
        if match:
            names += re.findall(r"``(\w+)``", match.group(1))
    return names


def imported_helpers(path):
    """Top-level helpers modules imported by one file."""
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


def test_every_module_is_listed():
    modules = {p.stem for p in HELPERS.glob("*.py") if p.stem != "__init__"}
    packages = {p.parent.name for p in HELPERS.glob("*/__init__.py")} - {"_kit"}
    assert modules | packages == set(layer_order())


def test_the_kit_imports_no_course_file():
    upward = [
        f"{path.relative_to(HELPERS)} imports {name}"
        for path in (HELPERS / "_kit").rglob("*.py")
        for name in imported_helpers(path) - {"_kit"}
    ]
    assert not upward, upward


def test_no_module_imports_one_listed_below_it():
    rank = {name: i for i, name in enumerate(layer_order())}
    upward = []
    for path in HELPERS.rglob("*.py"):
        top = path.relative_to(HELPERS).parts[0].removesuffix(".py")
        if top in ("__init__", "_kit"):
            continue
        for name in imported_helpers(path) - {top, "_kit"}:
            if rank[name] > rank[top]:
                upward.append(f"{path.relative_to(HELPERS)} imports {name}")
    assert not upward, upward


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


def test_a_learner_sized_read_no_module_above_600_lines_no_function_above_50():
    too_long = []
    for path in sorted(HELPERS.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        source = text.splitlines()
        if len(source) > 600:
            too_long.append(f"{path.relative_to(HELPERS)}: {len(source)} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and code_lines(node, source) > 50:
                too_long.append(f"{path.relative_to(HELPERS)}: {node.name}() has "
                                f"{code_lines(node, source)} lines of code")
    assert not too_long, too_long


def test_code_lines_counts_code_only():
    source = ['def f():', '    """Doc."""', '', '    # a comment', '    x = 1', '    return x']
    function = ast.parse("\n".join(source)).body[0]
    assert code_lines(function, source) == 2
