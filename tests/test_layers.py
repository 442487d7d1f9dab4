"""The package's layers: a module imports only modules listed above it in helpers/__init__."""

import ast
import re

import helpers
from helpers import paths

HELPERS = paths.REPO_ROOT / "helpers"


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
    packages = {p.parent.name for p in HELPERS.glob("*/__init__.py")}
    assert modules | packages == set(layer_order())


def test_no_module_imports_one_listed_below_it():
    rank = {name: i for i, name in enumerate(layer_order())}
    upward = []
    for path in HELPERS.rglob("*.py"):
        top = path.relative_to(HELPERS).parts[0].removesuffix(".py")
        if top == "__init__":
            continue
        for name in imported_helpers(path) - {top}:
            if rank[name] > rank[top]:
                upward.append(f"{path.relative_to(HELPERS)} imports {name}")
    assert not upward, upward
